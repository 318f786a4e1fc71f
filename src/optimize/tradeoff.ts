/**
 * The trade-off of an optimization: artifact size, single-row latency, batch throughput and the
 * primary metric of the parent and the child on the same held-out rows.
 */
import { performance } from 'node:perf_hooks'
import { type Dataset, selectRows } from '../data/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import { computeMetrics, higherIsBetter, measureSingleRowLatencyMs } from '../train/index.js'
import { bundleTargets } from './common.js'

/** One model's side of the table. */
export interface TradeoffRow {
  readonly role: 'parent' | 'child'
  /** Whatever names the model to the reader (a registry ref, "parent"). */
  readonly label: string
  readonly kind: string
  readonly sizeBytes: number
  /** Median in-process latency of scoring one JSON row (ms), encoding included. */
  readonly latencyMs: number
  /** Rows per second scoring the held-out rows as one batch, encoding included. */
  readonly rowsPerSecond: number
  /** Metric values on the held-out rows, primary first. */
  readonly metrics: Readonly<Record<string, number>>
}

/** Parent against child, plus the ratios a model card records. */
export interface Tradeoff {
  readonly primaryMetric: string
  readonly higherIsBetter: boolean
  readonly testRows: number
  readonly parent: TradeoffRow
  readonly child: TradeoffRow
  /** parent size / child size (> 1: the child is smaller). */
  readonly sizeReduction: number
  /** child latency / parent latency (<= 1: the child is no slower). */
  readonly latencyRatio: number
  /** child throughput / parent throughput. */
  readonly throughputRatio: number
  /** child primary metric - parent primary metric. */
  readonly metricDelta: number
}

/** Minimum time one throughput measurement runs (ms). */
const BATCH_MS = 100

/** Labels and effort of {@link measureTradeoff}. */
export interface TradeoffOptions {
  readonly parentLabel?: string
  readonly childLabel?: string
  /** Single-row calls per latency measurement (default 200). */
  readonly repeats?: number
  /** Alternating measurement rounds; each side keeps its fastest round (default 3). */
  readonly rounds?: number
}

/** Metrics per task, primary first: AUC for binary, log loss then accuracy for multiclass, RMSE for regression. */
const METRICS = {
  binary: ['roc_auc', 'log_loss', 'accuracy'],
  multiclass: ['log_loss', 'accuracy'],
  regression: ['rmse', 'mae', 'r2'],
} as const

/**
 * Measures parent and child on `testDs` (rows with a usable target). Latency and throughput are
 * measured in alternating rounds and each side keeps its best round, so load on the machine
 * during one round does not decide the comparison.
 */
export function measureTradeoff(
  parent: ModelBundle,
  child: ModelBundle,
  testDs: Dataset,
  options: TradeoffOptions = {},
): Tradeoff {
  const { y, rows } = bundleTargets(parent, testDs)
  const ds = rows.length === testDs.nRows ? testDs : selectRows(testDs, rows)
  const names = METRICS[parent.task]
  const repeats = options.repeats ?? 200
  const rounds = Math.max(1, options.rounds ?? 3)
  const sides = [parent, child].map((bundle) => ({ bundle, latency: Number.POSITIVE_INFINITY, rate: 0 }))
  for (let r = 0; r < rounds; r++)
    for (const side of sides) {
      side.latency = Math.min(side.latency, measureSingleRowLatencyMs(side.bundle, ds, repeats))
      // Repeat the batch for at least BATCH_MS so a short batch is not timed by the clock's grain.
      const start = performance.now()
      let batches = 0
      let elapsed = 0
      do {
        side.bundle.predictDataset(ds)
        batches++
        elapsed = performance.now() - start
      } while (elapsed < BATCH_MS)
      const seconds = elapsed / 1000 / batches
      side.rate = Math.max(side.rate, ds.nRows / Math.max(seconds, 1e-9))
    }
  const row = (i: 0 | 1): TradeoffRow => {
    const { bundle, latency, rate } = sides[i]!
    const pred = bundle.predictDataset(ds)
    const metrics = computeMetrics(
      bundle.task,
      names,
      y,
      pred.proba !== undefined
        ? { proba: pred.proba }
        : { values: Float64Array.from(pred.labels as number[]) },
    )
    return {
      role: i === 0 ? 'parent' : 'child',
      label: (i === 0 ? options.parentLabel : options.childLabel) ?? (i === 0 ? 'parent' : 'child'),
      kind: bundle.model.kind,
      sizeBytes: bundle.toBytes().byteLength,
      latencyMs: latency,
      rowsPerSecond: rate,
      metrics,
    }
  }
  const p = row(0)
  const c = row(1)
  const primary = names[0]
  return {
    primaryMetric: primary,
    higherIsBetter: higherIsBetter(primary),
    testRows: ds.nRows,
    parent: p,
    child: c,
    sizeReduction: p.sizeBytes / c.sizeBytes,
    latencyRatio: c.latencyMs / p.latencyMs,
    throughputRatio: c.rowsPerSecond / p.rowsPerSecond,
    metricDelta: (c.metrics[primary] ?? Number.NaN) - (p.metrics[primary] ?? Number.NaN),
  }
}

function bytes(n: number): string {
  if (n >= 1_048_576) return `${(n / 1_048_576).toFixed(2)} MB`
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KB`
  return `${n} B`
}

/** The trade-off as a plain-text table (one line per model, then the change). */
export function renderTradeoff(t: Tradeoff): string {
  const metricNames = Object.keys(t.parent.metrics)
  const header = ['model', 'kind', 'size', 'latency (ms)', 'rows/s', ...metricNames]
  const line = (r: TradeoffRow): string[] => [
    r.label,
    r.kind,
    bytes(r.sizeBytes),
    r.latencyMs.toFixed(3),
    Math.round(r.rowsPerSecond).toLocaleString('en-US'),
    ...metricNames.map((m) => (r.metrics[m] ?? Number.NaN).toFixed(4)),
  ]
  const sign = (v: number): string => (v >= 0 ? `+${v.toFixed(4)}` : v.toFixed(4))
  const change = [
    'change',
    '',
    `${t.sizeReduction.toFixed(2)}x smaller`,
    `x${t.latencyRatio.toFixed(2)}`,
    `x${t.throughputRatio.toFixed(2)}`,
    ...metricNames.map((m) => sign((t.child.metrics[m] ?? Number.NaN) - (t.parent.metrics[m] ?? Number.NaN))),
  ]
  const table = [header, line(t.parent), line(t.child), change]
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  const fmt = (r: string[]): string =>
    r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')
  return [
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    fmt(line(t.parent)),
    fmt(line(t.child)),
    fmt(change),
    `${t.testRows} held-out rows; primary metric ${t.primaryMetric} (${t.higherIsBetter ? 'higher' : 'lower'} is better).`,
  ].join('\n')
}
