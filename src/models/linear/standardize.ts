import { InvalidArgumentError, type Matrix } from '../../core/index.js'

/**
 * Which columns to rescale to unit variance. All columns are centred either way (centring only
 * moves the unpenalised intercept).
 * - `all`: every column (glmnet's convention).
 * - `non-binary`: columns whose observed values are only 0 and 1 (one-hot indicators) keep their
 *   0/1 scale, the usual scikit-learn recipe (StandardScaler on numerics, raw one-hot). Scaling a
 *   rare indicator to unit variance would inflate it and so weaken its penalty.
 * - `numeric` (the default): every column except the 0/1 indicators the feature encoder made
 *   (one-hot levels, missing flags; `FitOptions.indicatorFeatures`) is rescaled, exactly the
 *   scikit-learn recipe: an original numeric column is scaled even when it only holds 0 and 1
 *   (a 0/1 flag the user supplied is a numeric input to StandardScaler). Without
 *   `indicatorFeatures` (a matrix not made by the encoder) it falls back to `non-binary`.
 * - `none`: no rescaling (the penalty then depends on the units of each column).
 */
export type StandardizeMode = 'all' | 'numeric' | 'non-binary' | 'none'

/** Per-column affine map z = (x - mean) / scale learned at fit time. @internal */
export interface Standardizer {
  readonly mean: Float64Array
  readonly scale: Float64Array
}

/**
 * Weighted mean and (population) standard deviation per column, ignoring NaN cells. Constant or
 * all-missing columns get scale 1, as scikit-learn's StandardScaler does, so they never divide
 * by zero. @internal
 */
export function fitStandardizer(
  x: Matrix,
  weights: Float64Array | undefined,
  mode: StandardizeMode,
  indicators?: readonly number[],
): Standardizer {
  const { rows, cols, data } = x
  const sum = new Float64Array(cols)
  const wsum = new Float64Array(cols)
  const isBinary = new Uint8Array(cols).fill(1)
  for (let r = 0; r < rows; r++) {
    const w = weights === undefined ? 1 : weights[r]!
    const off = r * cols
    for (let c = 0; c < cols; c++) {
      const v = data[off + c]!
      if (Number.isNaN(v)) continue
      sum[c]! += w * v
      wsum[c]! += w
      if (v !== 0 && v !== 1) isBinary[c] = 0
    }
  }
  const mean = new Float64Array(cols)
  for (let c = 0; c < cols; c++) mean[c] = wsum[c]! > 0 ? sum[c]! / wsum[c]! : 0
  // Second pass for the variance: the two-pass form is exact where sum-of-squares cancels.
  const ss = new Float64Array(cols)
  for (let r = 0; r < rows; r++) {
    const w = weights === undefined ? 1 : weights[r]!
    const off = r * cols
    for (let c = 0; c < cols; c++) {
      const v = data[off + c]!
      if (Number.isNaN(v)) continue
      const d = v - mean[c]!
      ss[c]! += w * d * d
    }
  }
  // Columns that keep their scale: 'numeric' uses the encoder's own list of indicator columns
  // when it has one, since a 0/1 numeric input is not an indicator the encoder made.
  const unscaled = new Uint8Array(cols)
  if (mode === 'none') unscaled.fill(1)
  else if (mode === 'numeric' && indicators !== undefined) {
    for (const c of indicators) {
      if (!(Number.isInteger(c) && c >= 0 && c < cols))
        throw new InvalidArgumentError(`indicatorFeatures lists column ${c}; x has columns 0..${cols - 1}.`)
      unscaled[c] = 1
    }
  } else if (mode === 'non-binary' || mode === 'numeric') unscaled.set(isBinary)
  const scale = new Float64Array(cols)
  for (let c = 0; c < cols; c++) {
    const sd = wsum[c]! > 0 ? Math.sqrt(ss[c]! / wsum[c]!) : 0
    const keep = unscaled[c] === 1
    // A tiny relative threshold, not exact zero: columns constant up to rounding stay unscaled.
    scale[c] = keep || !(sd > 1e-12 * Math.max(1, Math.abs(mean[c]!))) ? 1 : sd
  }
  return { mean, scale }
}

/**
 * Applies the standardizer into a new row-major array. Missing cells (NaN) become 0, i.e. the
 * training mean, so a stray NaN never poisons a prediction. @internal
 */
export function applyStandardizer(x: Matrix, s: Standardizer): Float64Array {
  const { rows, cols, data } = x
  const out = new Float64Array(rows * cols)
  const inv = new Float64Array(cols)
  for (let c = 0; c < cols; c++) inv[c] = 1 / s.scale[c]!
  for (let r = 0; r < rows; r++) {
    const off = r * cols
    for (let c = 0; c < cols; c++) {
      const z = (data[off + c]! - s.mean[c]!) * inv[c]!
      out[off + c] = Number.isNaN(z) || !Number.isFinite(z) ? 0 : z
    }
  }
  return out
}
