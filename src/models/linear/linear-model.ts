import type { Matrix } from '../../core/index.js'
import type { Standardizer } from './standardize.js'
import { applyStandardizer } from './standardize.js'

/**
 * Coefficients of a fitted linear model on both scales. Row o of a coefficient matrix (k x p,
 * row-major) belongs to output o: the positive class for binary logistic regression (one row),
 * each class for multinomial, the target for regression (one row).
 */
export interface LinearCoefficients {
  readonly featureNames: readonly string[]
  readonly nOutputs: number
  /** On the internally standardised features z = (x - mean) / scale, as optimised. */
  readonly standardized: { readonly coef: Float64Array; readonly intercept: Float64Array }
  /** On the original feature units: margin = intercept + sum_j coef_j * x_j. */
  readonly original: { readonly coef: Float64Array; readonly intercept: Float64Array }
  readonly mean: Float64Array
  readonly scale: Float64Array
}

/** Converts standardised-scale coefficients to the original units. @internal */
export function toOriginalScale(
  coef: Float64Array,
  intercept: Float64Array,
  s: Standardizer,
): { coef: Float64Array; intercept: Float64Array } {
  const p = s.mean.length
  const k = intercept.length
  const oc = new Float64Array(k * p)
  const oi = new Float64Array(k)
  for (let o = 0; o < k; o++) {
    let b = intercept[o]!
    for (let j = 0; j < p; j++) {
      const c = coef[o * p + j]! / s.scale[j]!
      oc[o * p + j] = c
      b -= c * s.mean[j]!
    }
    oi[o] = b
  }
  return { coef: oc, intercept: oi }
}

/**
 * Margins (rows x k) of a linear model on standardised inputs; NaN inputs count as the training
 * mean. @internal
 */
export function linearMargins(
  x: Matrix,
  s: Standardizer,
  coef: Float64Array,
  intercept: Float64Array,
): Float64Array {
  const z = applyStandardizer(x, s)
  const p = x.cols
  const k = intercept.length
  const out = new Float64Array(x.rows * k)
  for (let i = 0; i < x.rows; i++) {
    const off = i * p
    for (let o = 0; o < k; o++) {
      let m = intercept[o]!
      const base = o * p
      for (let j = 0; j < p; j++) m += z[off + j]! * coef[base + j]!
      out[i * k + o] = m
    }
  }
  return out
}

/**
 * Importance of each feature: |coefficient| times the feature's standard deviation (the effect
 * of a one-SD change on the margin), summed over outputs. @internal
 */
export function linearImportance(
  coef: Float64Array,
  scale: Float64Array,
  featureStd: Float64Array,
): Float64Array {
  const p = scale.length
  const k = coef.length / p
  const out = new Float64Array(p)
  for (let o = 0; o < k; o++) {
    for (let j = 0; j < p; j++) out[j]! += Math.abs((coef[o * p + j]! / scale[j]!) * featureStd[j]!)
  }
  return out
}

/** Weighted standard deviation of each column ignoring NaN (used for importances). @internal */
export function columnStd(x: Matrix, w: Float64Array): Float64Array {
  const { rows, cols, data } = x
  const s = new Float64Array(cols)
  const s2 = new Float64Array(cols)
  const sw = new Float64Array(cols)
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!
      if (Number.isNaN(v)) continue
      s[c]! += wr * v
      sw[c]! += wr
    }
  }
  for (let c = 0; c < cols; c++) s[c] = sw[c]! > 0 ? s[c]! / sw[c]! : 0
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!
      if (Number.isNaN(v)) continue
      const d = v - s[c]!
      s2[c]! += wr * d * d
    }
  }
  const out = new Float64Array(cols)
  for (let c = 0; c < cols; c++) out[c] = sw[c]! > 0 ? Math.sqrt(s2[c]! / sw[c]!) : 0
  return out
}
