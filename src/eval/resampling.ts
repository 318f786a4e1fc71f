import { type Matrix, Rng, takeRows } from '../core/index.js'
import { isMatrix } from './classification.js'
import { EvalInputError } from './errors.js'
import type { Metric } from './metric-registry.js'
import { checkSameLength, type NumericArray } from './validate.js'

/** A metric as a plain function of labels, predictions and optional weights. */
export type MetricFn<P extends Float64Array | Matrix> = (
  yTrue: Float64Array,
  prediction: P,
  sampleWeight?: Float64Array,
) => number

/** Options for {@link bootstrapCI}. */
export interface BootstrapOptions {
  /** Number of bootstrap resamples (default 1000). */
  readonly nBoot?: number
  /** Two-sided miss rate: 0.05 gives a 95% interval (default 0.05). */
  readonly alpha?: number
  readonly seed?: number
  readonly sampleWeight?: NumericArray
}

/** A percentile bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** The metric on the full data. */
  readonly estimate: number
  readonly lower: number
  readonly upper: number
  readonly alpha: number
  /** Resamples that produced a value. */
  readonly nBoot: number
  /** Resamples where the metric was undefined (e.g. a single class drawn) and were skipped. */
  readonly nFailed: number
}

/**
 * Percentile bootstrap confidence interval for a metric: rows are drawn with replacement
 * `nBoot` times (seeded), the metric recomputed, and the alpha/2 and 1 - alpha/2 quantiles
 * (linear interpolation, numpy's default) reported. Resamples on which the metric throws an
 * {@link EvalInputError} (one class only) are skipped and counted in `nFailed`.
 * @example
 * const ci = bootstrapCI(rocAuc, y, score, { nBoot: 500, seed: 1 })
 */
export function bootstrapCI<P extends Float64Array | Matrix>(
  metric: MetricFn<P> | Metric,
  yTrue: NumericArray,
  prediction: P,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const nBoot = options.nBoot ?? 1000
  const alpha = options.alpha ?? 0.05
  if (!(Number.isInteger(nBoot) && nBoot >= 1))
    throw new EvalInputError(`nBoot must be a positive integer; got ${nBoot}.`)
  if (!(alpha > 0 && alpha < 1)) throw new EvalInputError(`alpha must be in (0, 1); got ${alpha}.`)
  const n = yTrue.length
  const rowsOfPrediction = isMatrix(prediction) ? prediction.rows : prediction.length
  checkSameLength('bootstrapCI', yTrue, {
    prediction: { length: rowsOfPrediction },
    sampleWeight: options.sampleWeight,
  })
  const call = toFn(metric)
  const y = Float64Array.from(yTrue)
  const weights = options.sampleWeight === undefined ? undefined : Float64Array.from(options.sampleWeight)
  const estimate = call(y, prediction, weights)
  const rng = new Rng(options.seed ?? 0)
  const values: number[] = []
  let nFailed = 0
  const idx = new Int32Array(n)
  const yb = new Float64Array(n)
  const wb = weights === undefined ? undefined : new Float64Array(n)
  for (let b = 0; b < nBoot; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n)
    for (let i = 0; i < n; i++) yb[i] = y[idx[i]!]!
    if (wb !== undefined && weights !== undefined) for (let i = 0; i < n; i++) wb[i] = weights[idx[i]!]!
    // the resampled prediction has the caller's type: a matrix stays a matrix, a vector a vector
    const pb = (isMatrix(prediction) ? takeRows(prediction, idx) : takeVector(prediction, idx)) as P
    try {
      const v = call(yb, pb, wb)
      if (Number.isFinite(v)) values.push(v)
      else nFailed++
    } catch (error) {
      if (!(error instanceof EvalInputError)) throw error
      nFailed++
    }
  }
  if (values.length === 0) {
    throw new EvalInputError(
      `Every one of ${nBoot} bootstrap resamples failed to produce the metric; the data is too small or has a single class.`,
      { nBoot },
    )
  }
  values.sort((a, b) => a - b)
  return {
    estimate,
    lower: quantile(values, alpha / 2),
    upper: quantile(values, 1 - alpha / 2),
    alpha,
    nBoot: values.length,
    nFailed,
  }
}

function takeVector(v: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length)
  for (let i = 0; i < idx.length; i++) out[i] = v[idx[i]!]!
  return out
}

function toFn<P extends Float64Array | Matrix>(metric: MetricFn<P> | Metric): MetricFn<P> {
  if (typeof metric === 'function') return metric
  return (yTrue, prediction, sampleWeight) =>
    metric.compute({ yTrue, prediction, ...(sampleWeight === undefined ? {} : { sampleWeight }) })
}

/** @internal Quantile of sorted values with linear interpolation (numpy 'linear'). */
export function quantile(sorted: readonly number[] | Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = sorted[lo]!
  const b = sorted[hi]!
  return a + (b - a) * (pos - lo)
}

/** One cross-validation fold as row indices into the caller's data. */
export interface Fold {
  readonly train: ArrayLike<number>
  readonly valid: ArrayLike<number>
}

/** Result of {@link crossValidate}: scores per fold, and their mean and (population) std. */
export interface CrossValidationResult {
  readonly folds: readonly Readonly<Record<string, number>>[]
  readonly mean: Readonly<Record<string, number>>
  readonly std: Readonly<Record<string, number>>
}

/**
 * Runs `fitAndScore` once per fold, in order, and aggregates the returned scores by name.
 * Folds whose train and validation rows overlap are rejected, since that would leak rows.
 * @throws EvalInputError on an empty fold list, an empty fold or overlapping rows.
 * @example
 * const cv = await crossValidate(folds, async ({ train, valid }) => ({ auc: await fitScore(train, valid) }))
 */
export async function crossValidate(
  folds: readonly Fold[],
  fitAndScore: (
    fold: Fold & { readonly index: number },
  ) => Promise<Record<string, number>> | Record<string, number>,
  options: { onFold?: (index: number, scores: Readonly<Record<string, number>>) => void } = {},
): Promise<CrossValidationResult> {
  if (folds.length === 0) throw new EvalInputError('crossValidate needs at least one fold.')
  folds.forEach((fold, index) => {
    if (fold.train.length === 0 || fold.valid.length === 0) {
      throw new EvalInputError(
        `Fold ${index} has ${fold.train.length} train and ${fold.valid.length} valid rows; both must be non-empty.`,
      )
    }
    const inTrain = new Set<number>()
    for (let i = 0; i < fold.train.length; i++) inTrain.add(fold.train[i]!)
    for (let i = 0; i < fold.valid.length; i++) {
      if (inTrain.has(fold.valid[i]!)) {
        throw new EvalInputError(
          `Fold ${index}: row ${fold.valid[i]} is in both train and valid; folds must not overlap.`,
          {
            fold: index,
            row: fold.valid[i],
          },
        )
      }
    }
  })
  const results: Record<string, number>[] = []
  for (let index = 0; index < folds.length; index++) {
    const fold = folds[index]!
    const scores = await fitAndScore({ index, train: fold.train, valid: fold.valid })
    results.push({ ...scores })
    options.onFold?.(index, scores)
  }
  const names = Object.keys(results[0]!)
  const mean: Record<string, number> = {}
  const std: Record<string, number> = {}
  for (const name of names) {
    const values = results.map((r) => r[name] ?? Number.NaN)
    const m = values.reduce((a, b) => a + b, 0) / values.length
    mean[name] = m
    std[name] = Math.sqrt(values.reduce((a, b) => a + (b - m) * (b - m), 0) / values.length)
  }
  return { folds: results, mean, std }
}
