import { randomUUID } from 'node:crypto'
import { AppError, InvalidArgumentError } from '../core/index.js'
import { type Dataset, loadDataset } from '../data/index.js'
import { bootstrapCI, getMetric } from '../eval/index.js'
import { encodedOwners, ModelBundle, type ReferenceProfile } from '../pipeline/index.js'
import { type LoggedInputs, PredictionLogReader, type ServeTables } from '../predlog/index.js'
import { openRegistry } from '../registry/index.js'
import { openDb } from '../store/index.js'
import { openTrackingStore } from '../track/index.js'
import { DEFAULT_MIN_ROWS, type DriftOptions, type DriftReport, detectDrift } from './drift.js'
import { migrateMonitorTables } from './tables.js'

/** Where the current window comes from. */
export type CurrentSource =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'window'; readonly windowMs: number }
  | { readonly kind: 'last'; readonly n: number }

/** Options of `runDriftCheck`. */
export interface DriftCheckOptions {
  /** Registry reference, e.g. `churn@production`. */
  readonly model: string
  readonly current: CurrentSource
  readonly storeUrl?: string
  readonly drift?: DriftOptions
  /** Record the check in the store (default true); `insufficient_data` verdicts are recorded too. */
  readonly record?: boolean
  /**
   * Fewest current rows for a verdict (default 100, the server's `monitor.minRows`); fewer give
   * `insufficient_data` with the counts instead of running the tests. Overrides `drift.minRows`.
   */
  readonly minRows?: number
}

/** Outcome of one drift check. */
export interface DriftCheckResult {
  readonly checkId: string
  readonly name: string
  readonly version: number
  readonly source: string
  readonly report: DriftReport
}

/** Parses a window like `24h`, `30m`, `7d` into milliseconds. */
export function parseWindow(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim())
  if (m === null) throw new InvalidArgumentError(`Window '${text}' is not like 30m, 24h or 7d.`)
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  return Number(m[1]) * unit
}

/** Loads a model version's bundle and the reference profile recorded with its training run. */
export async function loadReference(
  ref: string,
  storeUrl?: string,
): Promise<{ name: string; version: number; bundle: ModelBundle; profile: ReferenceProfile }> {
  const registry = await openRegistry(storeUrl)
  let name: string
  let version: number
  let runId: string | null
  let bytes: Uint8Array
  try {
    const loaded = await registry.loadArtifact(ref)
    name = loaded.model.name
    version = loaded.model.version
    runId = loaded.model.runId
    bytes = loaded.bytes
  } finally {
    await registry.close()
  }
  if (runId === null) {
    throw new AppError(
      'MONITOR_NO_REFERENCE',
      `${name}@${version} has no training run, so no reference profile to compare with.`,
    )
  }
  const store = await openTrackingStore(storeUrl)
  let profile: ReferenceProfile
  try {
    const raw = await store.getArtifact(runId, 'reference-profile.json')
    profile = JSON.parse(Buffer.from(raw).toString('utf8')) as ReferenceProfile
  } catch (error) {
    throw new AppError(
      'MONITOR_NO_REFERENCE',
      `Run ${runId} of ${name}@${version} has no reference profile; retrain it with this Keel version.`,
      {
        cause: error,
      },
    )
  } finally {
    await store.close()
  }
  return { name, version, bundle: ModelBundle.load(bytes), profile }
}

/**
 * Drift weights of a model: the global importance recorded in its reference profile, else (older
 * profiles) the model's gain importance summed over each feature's encoded columns, else none
 * (equal weights).
 */
export function importanceWeights(
  bundle: ModelBundle,
  profile: ReferenceProfile,
): Readonly<Record<string, number>> | undefined {
  if (profile.importance !== undefined) return profile.importance
  const gain = bundle.model.featureImportance?.('gain')
  if (gain === undefined) return undefined
  const owners = encodedOwners(bundle)
  const sums = new Float64Array(bundle.features.length)
  for (let j = 0; j < gain.length && j < owners.length; j++) sums[owners[j]!]! += Math.abs(gain[j]!)
  const total = sums.reduce((a, b) => a + b, 0)
  if (!(total > 0)) return undefined
  return Object.fromEntries(bundle.features.map((f, i) => [f.name, sums[i]! / total]))
}

function scoresOf(bundle: ModelBundle, ds: Dataset): Float64Array {
  const out = bundle.predictDataset(ds)
  if (out.positive !== undefined) return out.positive
  if (bundle.task === 'regression') return Float64Array.from(out.labels as number[])
  const k = bundle.classes.length
  return Float64Array.from({ length: ds.nRows }, (_, r) => {
    let best = 0
    for (let c = 0; c < k; c++) best = Math.max(best, out.proba!.data[r * k + c]!)
    return best
  })
}

/** Logged predictions of a model (not shadow copies), newest first. */
export async function readPredictionWindow(
  storeUrl: string | undefined,
  name: string,
  source: { windowMs?: number; n?: number },
): Promise<{ features: Record<string, unknown>[]; scores: Float64Array; ids: string[] }> {
  const db = await openDb(storeUrl)
  try {
    // Not migrated: a store the server never wrote to has no log, which is the error below.
    const log = new PredictionLogReader(db.typed<ServeTables>())
    let rows: LoggedInputs[]
    try {
      rows = await log.window(name, source)
    } catch (error) {
      throw new AppError(
        'MONITOR_NO_LOG',
        `No prediction log in ${db.url}: has 'keel serve' run against this store?`,
        { cause: error },
      )
    }
    return {
      ids: rows.map((r) => r.id),
      features: rows.map((r) => JSON.parse(r.features) as Record<string, unknown>),
      scores: Float64Array.from(rows, (r) => r.score ?? Number.NaN),
    }
  } finally {
    await db.close()
  }
}

/**
 * Compares a model's current inputs and scores with its reference profile, records the check,
 * and returns the per-feature verdicts and the dataset verdict.
 */
export async function runDriftCheck(options: DriftCheckOptions): Promise<DriftCheckResult> {
  const { name, version, bundle, profile } = await loadReference(options.model, options.storeUrl)
  const weights = importanceWeights(bundle, profile)
  const drift: DriftOptions = {
    ...(weights === undefined ? {} : { weights }),
    ...options.drift,
    minRows: options.minRows ?? options.drift?.minRows ?? DEFAULT_MIN_ROWS,
  }
  let report: DriftReport
  let source: string
  if (options.current.kind === 'file') {
    const ds = await loadDataset(options.current.path)
    source = options.current.path
    report = detectDrift(profile, { kind: 'dataset', dataset: ds, scores: scoresOf(bundle, ds) }, drift)
  } else {
    const window =
      options.current.kind === 'window' ? { windowMs: options.current.windowMs } : { n: options.current.n }
    const logged = await readPredictionWindow(options.storeUrl, name, window)
    source =
      options.current.kind === 'window'
        ? `log:last ${Math.round(options.current.windowMs / 60_000)} min`
        : `log:last ${options.current.n} predictions`
    if (logged.features.length === 0) {
      throw new AppError(
        'MONITOR_EMPTY_WINDOW',
        `No logged predictions of '${name}' in the ${source.slice(4)}.`,
      )
    }
    report = detectDrift(profile, { kind: 'records', records: logged.features, scores: logged.scores }, drift)
  }
  const checkId = randomUUID()
  // Insufficient-data checks are recorded too: the dashboard's badge shows the latest verdict, and a
  // quiet window must read "not enough data", not the last verdict from busier times.
  if (options.record !== false) {
    const db = await openDb(options.storeUrl)
    try {
      const k = await migrateMonitorTables(db)
      await k
        .insertInto('monitor_checks')
        .values({
          id: checkId,
          ts: Date.now(),
          model: name,
          version,
          source,
          current_rows: report.currentRows,
          drifted_share: report.driftedShare,
          dataset_drift: report.datasetDrift ? 1 : 0,
          report: JSON.stringify(report),
        })
        .execute()
    } finally {
      await db.close()
    }
  }
  return { checkId, name, version, source, report }
}

/** The model's metric over consecutive time buckets, from logged predictions joined with feedback. */
export interface PerformancePoint {
  readonly start: number
  readonly end: number
  readonly count: number
  readonly metric: string
  readonly value: number
  readonly lower: number
  readonly upper: number
}

/**
 * Live performance from feedback: joins logged predictions with their reported outcomes and
 * computes the primary metric (ROC-AUC for binary, RMSE for regression, accuracy otherwise) per
 * time bucket, with a bootstrap confidence interval.
 */
export async function performanceOverTime(options: {
  readonly name: string
  readonly task: 'binary' | 'multiclass' | 'regression'
  readonly windowMs: number
  readonly buckets: number
  readonly storeUrl?: string
}): Promise<PerformancePoint[]> {
  const db = await openDb(options.storeUrl)
  try {
    const since = Date.now() - options.windowMs
    const rows = await new PredictionLogReader(db.typed<ServeTables>()).withFeedback({
      model: options.name,
      since,
      labelledOnly: true,
      order: 'asc',
    })
    const metricName =
      options.task === 'binary' ? 'roc_auc' : options.task === 'regression' ? 'rmse' : 'accuracy'
    const metric = getMetric(metricName)
    const width = options.windowMs / options.buckets
    const points: PerformancePoint[] = []
    for (let b = 0; b < options.buckets; b++) {
      const start = since + b * width
      const end = start + width
      const inBucket = rows.filter(
        (r) => r.ts >= start && r.ts < end && r.outcomeValue !== null && r.score !== null,
      )
      const y = Float64Array.from(inBucket, (r) => r.outcomeValue!)
      const s = Float64Array.from(inBucket, (r) => r.score!)
      const hasBothClasses = options.task !== 'binary' || (y.some((v) => v === 1) && y.some((v) => v === 0))
      if (inBucket.length < 10 || !hasBothClasses) continue
      const ci = bootstrapCI(metric, y, s, { nBoot: 200, seed: b + 1 })
      points.push({
        start,
        end,
        count: inBucket.length,
        metric: metricName,
        value: ci.estimate,
        lower: ci.lower,
        upper: ci.upper,
      })
    }
    return points
  } finally {
    await db.close()
  }
}
