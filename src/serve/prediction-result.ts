/**
 * What the predictor answers for one row, and the score it logs and exports for it. Shared by the
 * predictor, the predict route and the package index.
 */
import type { Contribution, ModelOutput } from '../pipeline/servable.js'

/** Which link of the fallback chain answered. */
export type ServedBy = 'primary' | 'fallback' | 'default'

/** One answered row as returned to the client. */
export interface PredictionResult {
  readonly predictionId: string
  readonly prediction: number | string
  readonly probabilities?: Readonly<Record<string, number>>
  readonly model: string
  readonly version: number
  readonly variant: string
  readonly servedBy: ServedBy
  readonly explanation?: readonly Contribution[]
}

/** The model score logged and exported: P(positive) for binary, max P for multiclass, value for regression. */
export function scoreOf(
  output: ModelOutput,
  task: string,
  classes: readonly string[] | undefined,
): number | null {
  const probs = output.probabilities
  if (task === 'regression') return typeof output.prediction === 'number' ? output.prediction : null
  if (probs === undefined) return typeof output.prediction === 'number' ? output.prediction : null
  if (task === 'binary') {
    const positive = classes?.[1]
    if (positive !== undefined && probs[positive] !== undefined) return probs[positive]!
    const values = Object.values(probs)
    return values.length === 2 ? values[1]! : null
  }
  let max = Number.NEGATIVE_INFINITY
  for (const key in probs) if (probs[key]! > max) max = probs[key]!
  return Number.isFinite(max) ? max : null
}
