import { checkSameLength, type NumericArray, weightsOrOnes } from './validate.js'

const FLOAT64_EPS = 2.220446049250313e-16

/**
 * @internal Per-row losses of the mean-based regression metrics, shared with the bootstrap's fast
 * path (src/eval/resampling.ts) so both compute each term with the very same expression.
 */
export const REGRESSION_LOSSES = {
  rmse: (t: number, p: number): number => (t - p) * (t - p),
  mae: (t: number, p: number): number => Math.abs(t - p),
  mape: (t: number, p: number): number => Math.abs(p - t) / Math.max(Math.abs(t), FLOAT64_EPS),
} as const

function weightedMean(
  what: string,
  yTrue: NumericArray,
  yPred: NumericArray,
  sampleWeight: NumericArray | undefined,
  loss: (t: number, p: number) => number,
): number {
  checkSameLength(what, yTrue, { yPred, sampleWeight })
  const w = weightsOrOnes(yTrue.length, sampleWeight)
  let total = 0
  let weightSum = 0
  for (let i = 0; i < yTrue.length; i++) {
    total += w[i]! * loss(yTrue[i]!, yPred[i]!)
    weightSum += w[i]!
  }
  return total / weightSum
}

/** Root mean squared error (weighted mean of squared errors, then the square root). */
export function rmse(yTrue: NumericArray, yPred: NumericArray, sampleWeight?: NumericArray): number {
  return Math.sqrt(weightedMean('rmse', yTrue, yPred, sampleWeight, REGRESSION_LOSSES.rmse))
}

/** Mean absolute error. */
export function mae(yTrue: NumericArray, yPred: NumericArray, sampleWeight?: NumericArray): number {
  return weightedMean('mae', yTrue, yPred, sampleWeight, REGRESSION_LOSSES.mae)
}

/**
 * Mean absolute percentage error as a fraction (0.1 = 10%), dividing by max(|y|, eps) so a
 * zero target gives a huge but finite term, as sklearn does.
 */
export function mape(yTrue: NumericArray, yPred: NumericArray, sampleWeight?: NumericArray): number {
  return weightedMean('mape', yTrue, yPred, sampleWeight, REGRESSION_LOSSES.mape)
}

/**
 * Coefficient of determination R^2 = 1 - SS_res / SS_tot (weighted). A constant target gives
 * 1 for a perfect fit and 0 otherwise (sklearn's `force_finite`).
 */
export function r2(yTrue: NumericArray, yPred: NumericArray, sampleWeight?: NumericArray): number {
  checkSameLength('r2', yTrue, { yPred, sampleWeight })
  const w = weightsOrOnes(yTrue.length, sampleWeight)
  let weightSum = 0
  let mean = 0
  for (let i = 0; i < yTrue.length; i++) {
    mean += w[i]! * yTrue[i]!
    weightSum += w[i]!
  }
  mean /= weightSum
  let residual = 0
  let total = 0
  for (let i = 0; i < yTrue.length; i++) {
    const e = yTrue[i]! - yPred[i]!
    const d = yTrue[i]! - mean
    residual += w[i]! * e * e
    total += w[i]! * d * d
  }
  if (total === 0) return residual === 0 ? 1 : 0
  return 1 - residual / total
}
