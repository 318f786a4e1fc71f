import { type Matrix, takeRows } from '../core/index.js'
import { isMatrix, predictedLabels } from './classification.js'
import { EvalInputError } from './errors.js'
import type { Metric } from './metric-registry.js'
import { bootstrapCI } from './resampling.js'
import type { NumericArray } from './validate.js'

/** Row indices per level, per grouping column: `{ region: { north: [0, 4], south: [1, 2] } }`. */
export type SubgroupIndex = Readonly<Record<string, Readonly<Record<string, ArrayLike<number>>>>>

/** Options for {@link subgroupMetrics}. */
export interface SubgroupOptions {
  readonly yTrue: NumericArray
  /** Same shape as `MetricInput.prediction`. */
  readonly prediction: NumericArray | Matrix
  readonly groups: SubgroupIndex
  readonly metrics: readonly Metric[]
  readonly sampleWeight?: NumericArray
  readonly threshold?: number
  /** Groups smaller than this are reported but never flagged (default 30). */
  readonly minGroupSize?: number
  /** Smallest shortfall against the overall figure worth flagging, in metric units (default 0.02). */
  readonly minGap?: number
  /** Bootstrap resamples per group and metric for the CI (default 200). */
  readonly nBoot?: number
  /** Two-sided CI miss rate (default 0.05). */
  readonly alpha?: number
  readonly seed?: number
}

/** One metric in one subgroup. `value` is NaN where the metric is undefined (e.g. one class). */
export interface SubgroupMetricValue {
  readonly value: number
  readonly lower: number
  readonly upper: number
  /** Worse than overall by at least minGap, and the group's CI excludes the overall value. */
  readonly isFlagged: boolean
}

/** One level of one grouping column. */
export interface SubgroupRow {
  readonly column: string
  readonly level: string
  readonly size: number
  readonly isTooSmall: boolean
  readonly metrics: Readonly<Record<string, SubgroupMetricValue>>
  /** Names of flagged metrics. */
  readonly flagged: readonly string[]
}

/** Result of {@link subgroupMetrics}. */
export interface SubgroupReport {
  readonly overall: Readonly<Record<string, number>>
  readonly rows: readonly SubgroupRow[]
}

function subset(prediction: NumericArray | Matrix, rows: ArrayLike<number>): Float64Array | Matrix {
  if (isMatrix(prediction)) return takeRows(prediction, rows)
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = prediction[rows[i]!]!
  return out
}

function take(values: NumericArray, rows: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]!]!
  return out
}

/**
 * Every metric per level of each grouping column, flagging levels that fall well below the
 * overall figure: a level is flagged for a metric when it has at least `minGroupSize` rows,
 * is worse than overall by at least `minGap`, and its percentile bootstrap CI lies entirely
 * on the worse side of the overall value (so small noisy groups are not flagged by chance).
 * @example
 * subgroupMetrics({ yTrue: y, prediction: score, groups: { plan: { basic: [0, 2], pro: [1] } }, metrics: [getMetric('roc_auc')] })
 */
export function subgroupMetrics(options: SubgroupOptions): SubgroupReport {
  const { yTrue, prediction, groups, metrics } = options
  const n = yTrue.length
  const rowsOfPrediction = isMatrix(prediction) ? prediction.rows : prediction.length
  if (rowsOfPrediction !== n) {
    throw new EvalInputError(`yTrue has ${n} values but prediction has ${rowsOfPrediction} rows.`)
  }
  const minGroupSize = options.minGroupSize ?? 30
  const minGap = options.minGap ?? 0.02
  const nBoot = options.nBoot ?? 200
  const alpha = options.alpha ?? 0.05
  const extra = (w: Float64Array | undefined) => ({
    ...(w === undefined ? {} : { sampleWeight: w }),
    ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
  })
  const overall: Record<string, number> = {}
  const allWeights = options.sampleWeight === undefined ? undefined : Float64Array.from(options.sampleWeight)
  for (const m of metrics) overall[m.name] = m.compute({ yTrue, prediction, ...extra(allWeights) })
  const rows: SubgroupRow[] = []
  let seed = options.seed ?? 0
  for (const [column, levels] of Object.entries(groups)) {
    for (const [level, indices] of Object.entries(levels)) {
      for (let i = 0; i < indices.length; i++) {
        const r = indices[i]!
        if (!(Number.isInteger(r) && r >= 0 && r < n)) {
          throw new EvalInputError(`Subgroup ${column}=${level} lists row ${r}, outside [0, ${n}).`)
        }
      }
      const yGroup = take(yTrue, indices)
      const pGroup = subset(prediction, indices)
      const wGroup = options.sampleWeight === undefined ? undefined : take(options.sampleWeight, indices)
      const isTooSmall = indices.length < minGroupSize
      const values: Record<string, SubgroupMetricValue> = {}
      const flagged: string[] = []
      for (const m of metrics) {
        const entry = groupMetric(m, yGroup, pGroup, wGroup, extra, {
          overall: overall[m.name]!,
          isTooSmall,
          minGap,
          nBoot,
          alpha,
          seed: seed++,
        })
        values[m.name] = entry
        if (entry.isFlagged) flagged.push(m.name)
      }
      rows.push({ column, level, size: indices.length, isTooSmall, metrics: values, flagged })
    }
  }
  return { overall, rows }
}

function groupMetric(
  metric: Metric,
  y: Float64Array,
  prediction: Float64Array | Matrix,
  weights: Float64Array | undefined,
  extra: (w: Float64Array | undefined) => { sampleWeight?: Float64Array; threshold?: number },
  rule: { overall: number; isTooSmall: boolean; minGap: number; nBoot: number; alpha: number; seed: number },
): SubgroupMetricValue {
  const nan = { value: Number.NaN, lower: Number.NaN, upper: Number.NaN, isFlagged: false }
  if (y.length === 0) return nan
  let value: number
  try {
    value = metric.compute({ yTrue: y, prediction, ...extra(weights) })
  } catch (error) {
    // e.g. AUC on a group with one class: undefined here, not a failure of the whole report
    if (error instanceof EvalInputError) return nan
    throw error
  }
  if (rule.isTooSmall) return { value, lower: Number.NaN, upper: Number.NaN, isFlagged: false }
  const { threshold } = extra(undefined)
  const ci = bootstrapCI(
    (yb: Float64Array, pb: Float64Array | Matrix, wb?: Float64Array) =>
      metric.compute({
        yTrue: yb,
        prediction: pb,
        ...(wb === undefined ? {} : { sampleWeight: wb }),
        ...(threshold === undefined ? {} : { threshold }),
      }),
    y,
    prediction,
    {
      nBoot: rule.nBoot,
      alpha: rule.alpha,
      seed: rule.seed,
      ...(weights === undefined ? {} : { sampleWeight: weights }),
    },
  )
  const shortfall = metric.direction === 'higher' ? rule.overall - value : value - rule.overall
  const ciExcludes = metric.direction === 'higher' ? ci.upper < rule.overall : ci.lower > rule.overall
  return { value, lower: ci.lower, upper: ci.upper, isFlagged: shortfall >= rule.minGap && ciExcludes }
}

/** One confidently wrong prediction. */
export interface ConfidentError {
  readonly row: number
  readonly trueClass: number
  readonly predictedClass: number
  /** Probability the model gave its (wrong) predicted class. */
  readonly confidence: number
  /** Probability the model gave the true class. */
  readonly trueClassProbability: number
  /** The row's features by name, when `x` and `featureNames` are given. */
  readonly features?: Readonly<Record<string, number>>
}

/**
 * The k misclassified rows with the highest confidence in the wrong class, most confident
 * first (ties by row index). `proba` is the positive-class probability (binary, thresholded
 * at `threshold`) or a rows x k probability matrix (argmax).
 */
export function topConfidentErrors(
  yTrue: NumericArray,
  proba: NumericArray | Matrix,
  k: number,
  options: { threshold?: number; x?: Matrix; featureNames?: readonly string[] } = {},
): ConfidentError[] {
  const n = yTrue.length
  const rowsOfProba = isMatrix(proba) ? proba.rows : proba.length
  if (rowsOfProba !== n) throw new EvalInputError(`yTrue has ${n} values but proba has ${rowsOfProba} rows.`)
  if (options.x !== undefined && options.x.rows !== n) {
    throw new EvalInputError(
      `x has ${options.x.rows} rows but yTrue has ${n}; pass the rows that were scored.`,
    )
  }
  const threshold = options.threshold ?? 0.5
  const predicted = predictedLabels(proba, threshold)
  const probOf = (row: number, cls: number): number => {
    if (isMatrix(proba)) return proba.data[row * proba.cols + cls]!
    return cls === 1 ? proba[row]! : 1 - proba[row]!
  }
  const errors: ConfidentError[] = []
  for (let r = 0; r < n; r++) {
    if (predicted[r] === yTrue[r]) continue
    const entry: ConfidentError = {
      row: r,
      trueClass: yTrue[r]!,
      predictedClass: predicted[r]!,
      confidence: probOf(r, predicted[r]!),
      trueClassProbability: probOf(r, yTrue[r]!),
    }
    errors.push(entry)
  }
  errors.sort((a, b) => b.confidence - a.confidence || a.row - b.row)
  const top = errors.slice(0, Math.max(0, k))
  const { x, featureNames } = options
  if (x === undefined) return top
  const names = featureNames ?? Array.from({ length: x.cols }, (_, i) => `f${i}`)
  return top.map((e) => {
    const features: Record<string, number> = {}
    for (let c = 0; c < x.cols; c++) features[names[c] ?? `f${c}`] = x.data[e.row * x.cols + c]!
    return { ...e, features }
  })
}

/** A regression row with a large error. */
export interface LargestError {
  readonly row: number
  readonly yTrue: number
  readonly yPred: number
  readonly absError: number
}

/** The k rows with the largest absolute regression error, largest first. */
export function largestErrors(yTrue: NumericArray, yPred: NumericArray, k: number): LargestError[] {
  if (yTrue.length !== yPred.length)
    throw new EvalInputError(`yTrue has ${yTrue.length} values but yPred has ${yPred.length}.`)
  const out: LargestError[] = []
  for (let r = 0; r < yTrue.length; r++) {
    out.push({ row: r, yTrue: yTrue[r]!, yPred: yPred[r]!, absError: Math.abs(yTrue[r]! - yPred[r]!) })
  }
  out.sort((a, b) => b.absError - a.absError || a.row - b.row)
  return out.slice(0, Math.max(0, k))
}
