import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { BucketHistogram } from './bucket-histogram.js'

/** The server's Prometheus metrics, in their own registry (never prom-client's global one). */
export interface ServeMetrics {
  readonly registry: Registry
  readonly requests: TallyCounter<'model' | 'version' | 'variant' | 'status'>
  readonly latency: BucketHistogram<'model' | 'version' | 'variant' | 'status'>
  readonly rows: TallyCounter<'model' | 'version' | 'variant'>
  readonly score: BucketHistogram<'model' | 'version' | 'variant'>
  readonly fallbacks: Counter<'model' | 'from' | 'to' | 'reason'>
  readonly logQueueDepth: Gauge
  readonly logDropped: Counter
  readonly logWritten: Counter
  /** Failed attempts to commit a batch of the prediction log (each is retried or dropped). */
  readonly logWriteFailures: Counter
  readonly shadow: Counter<'model' | 'shadow' | 'outcome'>
  readonly canaryRollbacks: Counter<'model' | 'ref'>
  readonly swaps: Counter<'model' | 'ref'>
  readonly breakerOpen: Gauge<'model' | 'version'>
  readonly fastPath: TallyCounter<'outcome'>
}

/**
 * A counter whose hot path adds to a plain number per label set; the sums join prom-client's series
 * whenever the metric is read (`get()`, which both the text export and the cluster aggregation call).
 * A prom-client child's `inc` hashes its labels and validates them on every call.
 */
export class TallyCounter<T extends string> extends Counter<T> {
  private readonly tallies = new Map<string, { labels: Partial<Record<T, string>>; pending: number }>()

  /** The incrementer of one label set (keep it: looking it up builds a key). */
  tally(labels: Readonly<Record<T, string>>): { inc(by?: number): void } {
    const key = JSON.stringify(labels)
    let t = this.tallies.get(key)
    if (t === undefined) {
      t = { labels: { ...labels } as Partial<Record<T, string>>, pending: 0 }
      this.tallies.set(key, t)
    }
    const entry = t
    return {
      inc(by = 1): void {
        entry.pending += by
      },
    }
  }

  override async get(): ReturnType<Counter<T>['get']> {
    for (const t of this.tallies.values()) {
      if (t.pending === 0) continue
      this.inc(t.labels, t.pending)
      t.pending = 0
    }
    return super.get()
  }

  override reset(): void {
    super.reset()
    // prom-client's constructor calls reset() before this class's fields exist.
    const tallies = this.tallies as Map<string, { pending: number }> | undefined
    if (tallies !== undefined) for (const t of tallies.values()) t.pending = 0
  }
}

/** Per-label-set counter + latency children, so the hot path skips prom-client's label hashing. */
const requestChildren = new WeakMap<
  ServeMetrics,
  Map<string, { inc(): void; observe(seconds: number): void }>
>()

/** Counts one answered request and its latency under the request's labels and HTTP status. */
export function recordRequest(
  metrics: ServeMetrics,
  labels: { readonly model: string; readonly version: string; readonly variant: string },
  status: number,
  seconds: number,
): void {
  let cache = requestChildren.get(metrics)
  if (cache === undefined) {
    cache = new Map()
    requestChildren.set(metrics, cache)
  }
  const { model, version, variant } = labels
  const key = `${model}\u0000${version}\u0000${variant}\u0000${status}`
  let children = cache.get(key)
  if (children === undefined) {
    const all = { model, version, variant, status: String(status) }
    children = { inc: metrics.requests.tally(all).inc, observe: metrics.latency.recorder(all).observe }
    cache.set(key, children)
  }
  children.inc()
  children.observe(seconds)
}

const scoreChildren = new WeakMap<
  ServeMetrics,
  Map<string, { observe(v: number): void; rows(n: number): void }>
>()

/** Cached score-histogram and row-counter children for one (model, version, variant). */
export function scoreMetrics(
  metrics: ServeMetrics,
  model: string,
  version: string,
  variant: string,
): { observe(v: number): void; rows(n: number): void } {
  let cache = scoreChildren.get(metrics)
  if (cache === undefined) {
    cache = new Map()
    scoreChildren.set(metrics, cache)
  }
  const key = `${model}\u0000${version}\u0000${variant}`
  let children = cache.get(key)
  if (children === undefined) {
    const labels = { model, version, variant }
    children = { observe: metrics.score.recorder(labels).observe, rows: metrics.rows.tally(labels).inc }
    cache.set(key, children)
  }
  return children
}

/** Creates a fresh registry with every serving metric plus Node process metrics. */
export function createServeMetrics(options: { processMetrics?: boolean } = {}): ServeMetrics {
  const registry = new Registry()
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry })
  const labels = ['model', 'version', 'variant', 'status'] as const
  return {
    registry,
    requests: new TallyCounter({
      name: 'keel_requests_total',
      help: 'Prediction requests by model, version, variant and HTTP status.',
      labelNames: labels,
      registers: [registry],
    }),
    latency: new BucketHistogram({
      name: 'keel_request_duration_seconds',
      help: 'Prediction request latency (routing, validation, model, logging enqueue).',
      labelNames: labels,
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    rows: new TallyCounter({
      name: 'keel_predicted_rows_total',
      help: 'Rows predicted (a batch request counts each row).',
      labelNames: ['model', 'version', 'variant'],
      registers: [registry],
    }),
    score: new BucketHistogram({
      name: 'keel_prediction_score',
      help: 'Prediction scores: positive-class probability (binary), max probability (multiclass), value (regression).',
      labelNames: ['model', 'version', 'variant'],
      buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'keel_fallbacks_total',
      help: 'Rows answered by a later link of the fallback chain, by failing link, answering link and reason.',
      labelNames: ['model', 'from', 'to', 'reason'],
      registers: [registry],
    }),
    logQueueDepth: new Gauge({
      name: 'keel_prediction_log_queue_depth',
      help: 'Predictions waiting in memory to be written to the prediction log.',
      registers: [registry],
    }),
    logDropped: new Counter({
      name: 'keel_prediction_log_dropped_total',
      help: 'Predictions not logged because the queue was full or the database kept failing.',
      registers: [registry],
    }),
    logWritten: new Counter({
      name: 'keel_prediction_log_written_total',
      help: 'Predictions committed to the prediction log.',
      registers: [registry],
    }),
    logWriteFailures: new Counter({
      name: 'keel_prediction_log_write_failures_total',
      help: 'Failed attempts to commit a batch of the prediction log (database unreachable, disk full or read-only, refused rows).',
      registers: [registry],
    }),
    shadow: new Counter({
      name: 'keel_shadow_predictions_total',
      help: 'Shadow predictions by outcome compared with the primary: agree, disagree or error.',
      labelNames: ['model', 'shadow', 'outcome'],
      registers: [registry],
    }),
    canaryRollbacks: new Counter({
      name: 'keel_canary_rollbacks_total',
      help: 'Automatic canary rollbacks.',
      labelNames: ['model', 'ref'],
      registers: [registry],
    }),
    swaps: new Counter({
      name: 'keel_model_swaps_total',
      help: 'Hot swaps to a newly resolved model version.',
      labelNames: ['model', 'ref'],
      registers: [registry],
    }),
    breakerOpen: new Gauge({
      name: 'keel_circuit_open',
      help: '1 while the circuit breaker of a model version is open.',
      labelNames: ['model', 'version'],
      registers: [registry],
    }),
    fastPath: new TallyCounter({
      name: 'keel_fast_path_total',
      help: 'Predict requests answered on the lean HTTP path (outcome "answered"), and connections it handed to Fastify ("handed_off").',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  }
}
