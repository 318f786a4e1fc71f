import { type Matrix, Rng, takeRows } from '../core/index.js'
import { isMatrix } from './classification.js'
import { averagePrecision, averagePrecisionFromCounts, rocAreaFromCounts, rocAuc } from './curves.js'
import { EvalInputError } from './errors.js'
import { getMetric, type Metric } from './metric-registry.js'
import { mae, mape, REGRESSION_LOSSES, r2, rmse } from './regression.js'
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
  const fast = weights === undefined ? fastResampleMetric(metric, y, prediction) : undefined
  for (let b = 0; b < nBoot; b++) {
    for (let i = 0; i < n; i++) idx[i] = rng.int(n)
    if (fast !== undefined) {
      // same draws, same value bit for bit as the metric on the gathered rows (NaN = undefined)
      const v = fast(idx)
      if (Number.isFinite(v)) values.push(v)
      else nFailed++
      continue
    }
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

/** Metrics with a fast resample path (see {@link fastResampleMetric}). */
type FastKind = 'roc_auc' | 'pr_auc' | 'rmse' | 'mae' | 'mape' | 'r2'

/**
 * Evaluates one resample given its draws (row indices, with repeats); NaN where the metric is
 * undefined on it (the slow path's EvalInputError, e.g. a single class drawn).
 */
type ResampleMetric = (idx: Int32Array) => number

const FAST_FUNCTIONS = new Map<unknown, FastKind>([
  [rocAuc, 'roc_auc'],
  [averagePrecision, 'pr_auc'],
  [rmse, 'rmse'],
  [mae, 'mae'],
  [mape, 'mape'],
  [r2, 'r2'],
])

function fastKindOf<P extends Float64Array | Matrix>(metric: MetricFn<P> | Metric): FastKind | undefined {
  if (typeof metric === 'function') return FAST_FUNCTIONS.get(metric)
  const name = metric.name
  if (
    !(
      name === 'roc_auc' ||
      name === 'pr_auc' ||
      name === 'rmse' ||
      name === 'mae' ||
      name === 'mape' ||
      name === 'r2'
    )
  )
    return undefined
  // only the registry's own metric: a custom Metric that happens to share the name keeps the slow path
  return getMetric(name).compute === metric.compute ? name : undefined
}

/**
 * @internal A per-resample evaluator that gives exactly (bit for bit) the value the metric computes on
 * the gathered resample, without gathering rows or (for the curve metrics) sorting: or undefined
 * when the metric/prediction has no such path, and the caller gathers as before. Only called
 * without sample weights: with unit weights every count is an exact integer and every sum runs
 * in the same order as in the metric itself, which is what makes the values identical.
 *
 * - roc_auc / pr_auc: the scores are sorted once and grouped by distinct value; a resample is the
 *   multiplicity of each row, so its curve is the cumulative positive/negative counts over the
 *   groups that were drawn at all (a group with no draws has no point on the gathered curve), and
 *   the area is summed over those points in the order curves.ts sums them.
 * - rmse / mae / mape / r2: each row's loss is computed once; a resample sums the losses of its
 *   draws in draw order, the order the metric sums the gathered rows in.
 */
export function fastResampleMetric<P extends Float64Array | Matrix>(
  metric: MetricFn<P> | Metric,
  y: Float64Array,
  prediction: P,
): ResampleMetric | undefined {
  const kind = fastKindOf(metric)
  if (kind === undefined) return undefined
  if (kind === 'roc_auc' || kind === 'pr_auc') {
    let score: Float64Array
    if (!isMatrix(prediction)) score = prediction
    else if (typeof metric !== 'function' && prediction.cols === 2) score = takeColumn(prediction, 1)
    else return undefined // multiclass one-vs-rest, or a shape the metric rejects: the slow path
    return curveResampler(kind, y, score)
  }
  if (isMatrix(prediction)) return undefined
  return kind === 'r2' ? r2Resampler(y, prediction) : meanLossResampler(kind, y, prediction)
}

function takeColumn(m: Matrix, col: number): Float64Array {
  const out = new Float64Array(m.rows)
  for (let r = 0; r < m.rows; r++) out[r] = m.data[r * m.cols + col]!
  return out
}

function curveResampler(
  kind: 'roc_auc' | 'pr_auc',
  y: Float64Array,
  score: Float64Array,
): ResampleMetric | undefined {
  const n = y.length
  for (let i = 0; i < n; i++) {
    // non-0/1 labels and NaN scores make the metric throw on some resamples; infinite scores make
    // the sort comparator return NaN: leave all of those to the slow path, which handles them
    if ((y[i] !== 0 && y[i] !== 1) || !Number.isFinite(score[i]!)) return undefined
  }
  // the same comparator as binaryCounts, so ties group the same way (-0 and 0 included)
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!)
  const groupOf = new Int32Array(n)
  let nGroups = 0
  for (let k = 0; k < n; k++) {
    const i = order[k]!
    if (k > 0 && score[i]! !== score[order[k - 1]!]!) nGroups++
    groupOf[i] = nGroups
  }
  if (n > 0) nGroups++
  const isPositive = Uint8Array.from(y)
  const pos = new Float64Array(nGroups)
  const neg = new Float64Array(nGroups)
  const tps = new Float64Array(nGroups)
  const fps = new Float64Array(nGroups)
  return (idx) => {
    pos.fill(0)
    neg.fill(0)
    let totalPos = 0
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!
      if (isPositive[i] === 1) {
        pos[groupOf[i]!]!++
        totalPos++
      } else neg[groupOf[i]!]!++
    }
    const totalNeg = idx.length - totalPos
    // the drawn groups' cumulative counts: binaryCounts on the gathered rows, exact integers
    let m = 0
    let tp = 0
    let fp = 0
    for (let g = 0; g < nGroups; g++) {
      if (pos[g] === 0 && neg[g] === 0) continue
      tp += pos[g]!
      fp += neg[g]!
      tps[m] = tp
      fps[m] = fp
      m++
    }
    if (kind === 'roc_auc') {
      if (totalPos === 0 || totalNeg === 0) return Number.NaN
      return rocAreaFromCounts(tps, fps, m, totalPos, totalNeg)
    }
    if (totalPos === 0) return Number.NaN
    return averagePrecisionFromCounts(tps, fps, m, totalPos)
  }
}

function meanLossResampler(kind: 'rmse' | 'mae' | 'mape', y: Float64Array, p: Float64Array): ResampleMetric {
  const loss = REGRESSION_LOSSES[kind]
  const losses = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) losses[i] = loss(y[i]!, p[i]!)
  return (idx) => {
    // weightedMean with unit weights: 1 * loss is the loss, and n ones sum to n exactly
    let total = 0
    for (let k = 0; k < idx.length; k++) total += losses[idx[k]!]!
    const mean = total / idx.length
    return kind === 'rmse' ? Math.sqrt(mean) : mean
  }
}

function r2Resampler(y: Float64Array, p: Float64Array): ResampleMetric {
  const squaredErrors = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) {
    const e = y[i]! - p[i]!
    squaredErrors[i] = e * e
  }
  return (idx) => {
    // regression.ts r2 with unit weights, in draw order: (1 * e) * e is e * e, likewise d
    let mean = 0
    for (let k = 0; k < idx.length; k++) mean += y[idx[k]!]!
    mean /= idx.length
    let residual = 0
    let total = 0
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k]!
      const d = y[i]! - mean
      residual += squaredErrors[i]!
      total += d * d
    }
    if (total === 0) return residual === 0 ? 1 : 0
    return 1 - residual / total
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
