import type { ModelOutput } from '../pipeline/index.js'
import type { PredictionRow } from './tables.js'

/**
 * One prediction to log. `append` encodes it into a table row at once (JSON of features and outputs,
 * a few microseconds): the queue then holds one small row instead of the request's objects, which
 * would otherwise survive young-generation GCs while they wait and be promoted, and a flush only posts
 * ready rows instead of encoding hundreds at once on the event loop.
 */
export interface PredictionLogEntry {
  readonly id: string
  readonly ts: number
  readonly model: string
  readonly version: number
  readonly variant: string
  readonly experimentId: string | null
  readonly requestKey: string | null
  readonly features: unknown
  /**
   * The JSON text of `features` when the caller already has it (the request's own text of a row
   * that validation passed through unchanged): logged as is instead of stringifying `features`.
   * `JSON.parse(featuresJson)` must equal `features`.
   */
  readonly featuresJson?: string | undefined
  readonly output: ModelOutput
  readonly score: number | null
  readonly latencyMs: number
  readonly servedBy: string
  readonly shadowOf: string | null
}

function finiteOrNull(score: number | null): number | null {
  return score !== null && Number.isFinite(score) ? score : null
}

/** One entry as a table row (JSON columns encoded). @internal */
export function toRow(e: PredictionLogEntry): PredictionRow {
  return {
    id: e.id,
    ts: e.ts,
    model: e.model,
    version: e.version,
    variant: e.variant,
    experiment_id: e.experimentId,
    request_key: e.requestKey,
    features: e.featuresJson ?? JSON.stringify(e.features),
    outputs: JSON.stringify(e.output),
    score: finiteOrNull(e.score),
    latency_ms: e.latencyMs,
    served_by: e.servedBy,
    shadow_of: e.shadowOf,
  }
}
