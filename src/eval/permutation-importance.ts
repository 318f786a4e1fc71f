import { type Matrix, Rng } from '../core/index.js'
import { EvalInputError } from './errors.js'
import type { Metric } from './metric-registry.js'
import type { NumericArray } from './validate.js'

/** Options for {@link permutationImportance}. */
export interface PermutationImportanceOptions {
  /** Shuffles per feature (default 5). */
  readonly nRepeats?: number
  readonly seed?: number
  readonly sampleWeight?: NumericArray
  /** Columns to score (default: all). Others get importance 0. */
  readonly features?: readonly number[]
}

/** Result of {@link permutationImportance}; importance is signed so that larger = more important. */
export interface PermutationImportanceResult {
  /** Metric on the unshuffled data. */
  readonly baseline: number
  /** Mean drop in quality per feature, in the metric's units. */
  readonly importancesMean: Float64Array
  /** Population std of the drop over repeats. */
  readonly importancesStd: Float64Array
  /** Every repeat: `importances[feature * nRepeats + repeat]`. */
  readonly importances: Float64Array
  readonly nRepeats: number
}

/**
 * Permutation importance (Breiman 2001; sklearn `permutation_importance`): for each feature,
 * shuffle its column `nRepeats` times (seeded), re-predict and record how much the metric
 * gets worse. Positive means the model relies on the feature; for metrics where lower is
 * better the sign is flipped so that larger is always more important.
 * @param predictFn returns what `metric.compute` expects as `prediction` (scores, a
 *   probability matrix or predicted values).
 * @example
 * const imp = await permutationImportance((m) => model.predictProba(m), xValid, yValid, getMetric('roc_auc'))
 */
export async function permutationImportance(
  predictFn: (x: Matrix) => Promise<NumericArray | Matrix> | NumericArray | Matrix,
  x: Matrix,
  y: NumericArray,
  metric: Metric,
  options: PermutationImportanceOptions = {},
): Promise<PermutationImportanceResult> {
  const nRepeats = options.nRepeats ?? 5
  if (!(Number.isInteger(nRepeats) && nRepeats >= 1)) {
    throw new EvalInputError(`nRepeats must be a positive integer; got ${nRepeats}.`)
  }
  if (y.length !== x.rows) {
    throw new EvalInputError(`x has ${x.rows} rows but y has ${y.length} values; pass one label per row.`)
  }
  const features = options.features ?? Array.from({ length: x.cols }, (_, i) => i)
  for (const f of features) {
    if (!(Number.isInteger(f) && f >= 0 && f < x.cols))
      throw new EvalInputError(`Feature index ${f} is outside [0, ${x.cols}).`)
  }
  const weights = options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight }
  const score = async (m: Matrix): Promise<number> =>
    metric.compute({ yTrue: y, prediction: await predictFn(m), ...weights })
  const baseline = await score(x)
  const sign = metric.direction === 'higher' ? 1 : -1
  const rng = new Rng(options.seed ?? 0)
  const importances = new Float64Array(x.cols * nRepeats)
  // one working copy; each feature's column is restored after its repeats
  const work = Float64Array.from(x.data)
  const shuffled: Matrix = { rows: x.rows, cols: x.cols, data: work }
  const original = new Float64Array(x.rows)
  for (const f of features) {
    for (let r = 0; r < x.rows; r++) original[r] = x.data[r * x.cols + f]!
    for (let k = 0; k < nRepeats; k++) {
      const perm = rng.permutation(x.rows)
      for (let r = 0; r < x.rows; r++) work[r * x.cols + f] = original[perm[r]!]!
      importances[f * nRepeats + k] = sign * (baseline - (await score(shuffled)))
    }
    for (let r = 0; r < x.rows; r++) work[r * x.cols + f] = original[r]!
  }
  const importancesMean = new Float64Array(x.cols)
  const importancesStd = new Float64Array(x.cols)
  for (let f = 0; f < x.cols; f++) {
    let mean = 0
    for (let k = 0; k < nRepeats; k++) mean += importances[f * nRepeats + k]!
    mean /= nRepeats
    let variance = 0
    for (let k = 0; k < nRepeats; k++) variance += (importances[f * nRepeats + k]! - mean) ** 2
    importancesMean[f] = mean
    importancesStd[f] = Math.sqrt(variance / nRepeats)
  }
  return { baseline, importancesMean, importancesStd, importances, nRepeats }
}
