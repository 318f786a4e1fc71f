import type { Experiment } from '../predlog/index.js'

// The experiment's definition lives with the table that stores it (predlog), where the A/B report
// reads it too; serving adds the assignment of requests to variants and the canary watch.
export { type Experiment, type ExperimentInput, experimentSchema } from '../predlog/index.js'

/** Number of hash buckets variants' weights are spread over. */
export const BUCKETS = 10_000

/**
 * 32-bit FNV-1a followed by the murmur3 finaliser: fast, stable across processes and versions, and
 * well mixed even for sequential keys such as `user-1`, `user-2`.
 */
export function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The bucket (0..BUCKETS-1) of a request key within an experiment (salted by its id). */
export function bucketOf(experimentId: string, key: string): number {
  return hash32(`${experimentId}\u0000${key}`) % BUCKETS
}

/** Picks the variant for a bucket by cumulative weight. */
export function variantForBucket<V extends { weight: number }>(variants: readonly V[], bucket: number): V {
  const total = variants.reduce((s, v) => s + v.weight, 0)
  const point = ((bucket + 0.5) / BUCKETS) * total
  let acc = 0
  for (const v of variants) {
    acc += v.weight
    if (point < acc) return v
  }
  return variants[variants.length - 1]!
}

/**
 * Sticky assignment: the same key always gets the same variant of an experiment; requests without a
 * key get the default variant (so they never dilute one arm at random).
 */
export function assignVariant(
  experiment: Experiment,
  key: string | undefined,
): Experiment['variants'][number] {
  if (key === undefined || key === '') {
    const name = experiment.defaultVariant
    return experiment.variants.find((v) => v.name === name) ?? experiment.variants[0]!
  }
  return variantForBucket(experiment.variants, bucketOf(experiment.id, key))
}

/** Canary settings of a served model. */
export interface CanaryConfig {
  readonly ref: string
  /** Share of traffic (0..1). */
  readonly weight: number
  /** Roll back when the error share of the last `windowSize` canary calls exceeds this. Default 0.1. */
  readonly maxErrorRate?: number | undefined
  /** Roll back when the mean latency of the window exceeds this many ms. Default: no latency check. */
  readonly maxLatencyMs?: number | undefined
  /** Calls observed before any decision. Default 20. */
  readonly minRequests?: number | undefined
  /** Sliding window length. Default 100. */
  readonly windowSize?: number | undefined
}

/** Canary calls summed over a window: this process's, or every replica's from the canary ledger. */
export interface CanaryTotals {
  readonly calls: number
  /** May be fractional when the window cuts a shared time bucket (see canary-ledger.ts). */
  readonly errors: number
  readonly latencySumMs: number
}

/**
 * The rollback decision on a window's totals: a reason when the error share exceeds `maxErrorRate`
 * (default 0.1) or the mean latency exceeds `maxLatencyMs`, once at least `minRequests` (default 20)
 * calls were seen; undefined otherwise. The same function decides for one process and for a cluster.
 */
export function canaryRollbackReason(config: CanaryConfig, totals: CanaryTotals): string | undefined {
  const { calls } = totals
  if (calls <= 0 || calls < (config.minRequests ?? 20)) return undefined
  const errorRate = totals.errors / calls
  const meanLatency = totals.latencySumMs / calls
  const maxErrorRate = config.maxErrorRate ?? 0.1
  const over = `over ${Number.isInteger(calls) ? calls : calls.toFixed(1)} calls`
  if (errorRate > maxErrorRate) return `error rate ${errorRate.toFixed(3)} > ${maxErrorRate} ${over}`
  if (config.maxLatencyMs !== undefined && meanLatency > config.maxLatencyMs)
    return `mean latency ${meanLatency.toFixed(1)} ms > ${config.maxLatencyMs} ms ${over}`
  return undefined
}

/**
 * Watches a canary's recent calls in this process (a ring of the last `windowSize`) and holds the
 * rollback state. Alone (no database) it decides from its own window (`record`); in a cluster the
 * canary ledger decides from every replica's counts and calls `rollBack` on each process.
 */
export class CanaryMonitor {
  private readonly errors: Uint8Array
  private readonly latencies: Float64Array
  private count = 0
  private next = 0
  rolledBack = false
  rollbackReason: string | undefined

  constructor(readonly config: CanaryConfig) {
    const size = config.windowSize ?? 100
    this.errors = new Uint8Array(size)
    this.latencies = new Float64Array(size)
  }

  /** Adds one canary call to this process's window (no decision). */
  observe(isError: boolean, latencyMs: number): void {
    const size = this.errors.length
    this.errors[this.next] = isError ? 1 : 0
    this.latencies[this.next] = latencyMs
    this.next = (this.next + 1) % size
    if (this.count < size) this.count++
  }

  /** Totals of this process's window. */
  windowTotals(): CanaryTotals {
    let errors = 0
    let latencySumMs = 0
    for (let i = 0; i < this.count; i++) {
      errors += this.errors[i]!
      latencySumMs += this.latencies[i]!
    }
    return { calls: this.count, errors, latencySumMs }
  }

  /** The decision on the given totals (see `canaryRollbackReason`); changes nothing. */
  decide(totals: CanaryTotals): string | undefined {
    return canaryRollbackReason(this.config, totals)
  }

  /** Stops the canary; returns false when it was already rolled back. */
  rollBack(reason: string): boolean {
    if (this.rolledBack) return false
    this.rolledBack = true
    this.rollbackReason = reason
    return true
  }

  /** Records one call and decides from this process's window; returns a reason when this call triggers the rollback. */
  record(isError: boolean, latencyMs: number): string | undefined {
    if (this.rolledBack) return undefined
    this.observe(isError, latencyMs)
    const reason = this.decide(this.windowTotals())
    if (reason !== undefined) this.rollBack(reason)
    return reason
  }
}
