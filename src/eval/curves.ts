import { argsortFloat64 } from '../core/index.js'
import { EvalInputError } from './errors.js'
import { checkBinaryLabels, checkSameLength, type NumericArray, weightsOrOnes } from './validate.js'

/**
 * Weighted true/false positive counts at each distinct score, scores descending: the
 * building block of ROC and PR curves (scikit-learn's `_binary_clf_curve`). A row is
 * predicted positive when its score is >= the threshold, so tied scores enter together.
 */
export interface BinaryCounts {
  readonly thresholds: Float64Array
  readonly truePositives: Float64Array
  readonly falsePositives: Float64Array
}

/** ROC curve points, starting at (0, 0); `thresholds[i]` gives point i + 1. */
export interface RocCurve {
  readonly fpr: Float64Array
  readonly tpr: Float64Array
  readonly thresholds: Float64Array
}

/**
 * Precision-recall curve in scikit-learn's order: recall decreasing, ending with the
 * conventional point (recall 0, precision 1); `thresholds[i]` gives point i.
 */
export interface PrCurve {
  readonly precision: Float64Array
  readonly recall: Float64Array
  readonly thresholds: Float64Array
}

/** A metric value together with the score threshold that reaches it. */
export interface ThresholdedValue {
  readonly value: number
  /** Predict positive when score >= threshold. `Infinity` when no threshold reaches the target. */
  readonly threshold: number
  /** False when the target could not be met at any threshold (then value is 0). */
  readonly isAchieved: boolean
}

/** Weighted TP/FP counts per distinct threshold, descending (see {@link BinaryCounts}). */
export function binaryCounts(
  yTrue: NumericArray,
  yScore: NumericArray,
  sampleWeight?: NumericArray,
): BinaryCounts {
  checkSameLength('binaryCounts', yTrue, { yScore, sampleWeight })
  checkBinaryLabels('binaryCounts', yTrue)
  const w = weightsOrOnes(yTrue.length, sampleWeight)
  const kept = new Int32Array(yTrue.length)
  let m = 0
  for (let i = 0; i < yTrue.length; i++) {
    const s = yScore[i]!
    if (Number.isNaN(s)) throw new EvalInputError(`yScore[${i}] is NaN; scores must be numbers.`)
    // zero-weight rows cannot move any count, and sklearn drops them before finding thresholds
    if (w[i]! !== 0) kept[m++] = i
  }
  // Descending scores, ties in row order (a stable sort): ascending negated scores, with -0 and
  // +0 as one key, as the scores compare.
  const keys = new Float64Array(m)
  for (let k = 0; k < m; k++) {
    const s = yScore[kept[k]!]!
    keys[k] = s === 0 ? 0 : -s
  }
  const perm = argsortFloat64(keys)
  const order = new Int32Array(m)
  for (let k = 0; k < m; k++) order[k] = kept[perm[k]!]!
  const thresholds: number[] = []
  const tps: number[] = []
  const fps: number[] = []
  let tp = 0
  let fp = 0
  for (let k = 0; k < m; k++) {
    const i = order[k]!
    if (yTrue[i] === 1) tp += w[i]!
    else fp += w[i]!
    if (k + 1 === m || yScore[order[k + 1]!]! !== yScore[i]!) {
      thresholds.push(yScore[i]!)
      tps.push(tp)
      fps.push(fp)
    }
  }
  return {
    thresholds: Float64Array.from(thresholds),
    truePositives: Float64Array.from(tps),
    falsePositives: Float64Array.from(fps),
  }
}

function checkBothClasses(totalPos: number, totalNeg: number): void {
  if (totalPos === 0 || totalNeg === 0) {
    throw new EvalInputError(
      `ROC needs both classes with positive weight; got positives=${totalPos}, negatives=${totalNeg}.`,
      { positives: totalPos, negatives: totalNeg },
    )
  }
}

/** ROC curve with every distinct threshold kept (sklearn `roc_curve(drop_intermediate=False)`). */
export function rocCurve(yTrue: NumericArray, yScore: NumericArray, sampleWeight?: NumericArray): RocCurve {
  const { thresholds, truePositives, falsePositives } = binaryCounts(yTrue, yScore, sampleWeight)
  const n = thresholds.length
  const totalPos = truePositives[n - 1]!
  const totalNeg = falsePositives[n - 1]!
  checkBothClasses(totalPos, totalNeg)
  const fpr = new Float64Array(n + 1)
  const tpr = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) {
    fpr[i + 1] = falsePositives[i]! / totalNeg
    tpr[i + 1] = truePositives[i]! / totalPos
  }
  return { fpr, tpr, thresholds }
}

/**
 * @internal The ROC area from the cumulative counts of the first `m` distinct thresholds
 * (descending score, as {@link binaryCounts} gives them): trapezoids from (0, 0). `rocAuc` and the
 * bootstrap's count-based resamples both end here, so their values are identical bit for bit.
 */
export function rocAreaFromCounts(
  truePositives: ArrayLike<number>,
  falsePositives: ArrayLike<number>,
  m: number,
  totalPos: number,
  totalNeg: number,
): number {
  let area = 0
  let prevF = 0
  let prevT = 0
  for (let j = 0; j < m; j++) {
    const f = falsePositives[j]! / totalNeg
    const t = truePositives[j]! / totalPos
    area += ((f - prevF) * (t + prevT)) / 2
    prevF = f
    prevT = t
  }
  return area
}

/**
 * Area under the ROC curve by the trapezoid rule over distinct thresholds, so tied scores
 * count half, as in sklearn's `roc_auc_score`.
 * @throws EvalInputError when only one class is present.
 */
export function rocAuc(yTrue: NumericArray, yScore: NumericArray, sampleWeight?: NumericArray): number {
  const { thresholds, truePositives, falsePositives } = binaryCounts(yTrue, yScore, sampleWeight)
  const n = thresholds.length
  const totalPos = truePositives[n - 1]!
  const totalNeg = falsePositives[n - 1]!
  checkBothClasses(totalPos, totalNeg)
  return rocAreaFromCounts(truePositives, falsePositives, n, totalPos, totalNeg)
}

/** Precision-recall curve exactly as sklearn's `precision_recall_curve` (see {@link PrCurve}). */
export function prCurve(yTrue: NumericArray, yScore: NumericArray, sampleWeight?: NumericArray): PrCurve {
  const { thresholds, truePositives, falsePositives } = binaryCounts(yTrue, yScore, sampleWeight)
  const n = thresholds.length
  const totalPos = truePositives[n - 1]!
  const precision = new Float64Array(n + 1)
  const recall = new Float64Array(n + 1)
  const reversed = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const j = n - 1 - i
    const predicted = truePositives[j]! + falsePositives[j]!
    precision[i] = predicted === 0 ? 0 : truePositives[j]! / predicted
    // sklearn sets recall to 1 everywhere when there are no positives
    recall[i] = totalPos === 0 ? 1 : truePositives[j]! / totalPos
    reversed[i] = thresholds[j]!
  }
  precision[n] = 1
  recall[n] = 0
  return { precision, recall, thresholds: reversed }
}

/**
 * @internal Average precision from the cumulative counts of the first `m` distinct thresholds
 * (descending score): the points in ascending-score order, then the recall-0 end point, summed as
 * sklearn does. Shared by `averagePrecision` and the bootstrap's count-based resamples.
 */
export function averagePrecisionFromCounts(
  truePositives: ArrayLike<number>,
  falsePositives: ArrayLike<number>,
  m: number,
  totalPos: number,
): number {
  let ap = 0
  for (let i = 0; i < m; i++) {
    const j = m - 1 - i
    const predicted = truePositives[j]! + falsePositives[j]!
    const precision = predicted === 0 ? 0 : truePositives[j]! / predicted
    const recall = truePositives[j]! / totalPos
    const nextRecall = i + 1 < m ? truePositives[j - 1]! / totalPos : 0
    ap -= (nextRecall - recall) * precision
  }
  return ap
}

/**
 * Average precision (PR-AUC) with sklearn's step definition: sum over thresholds of
 * (R_n - R_{n-1}) * P_n, no interpolation.
 * @throws EvalInputError when there are no positives.
 */
export function averagePrecision(
  yTrue: NumericArray,
  yScore: NumericArray,
  sampleWeight?: NumericArray,
): number {
  const { thresholds, truePositives, falsePositives } = binaryCounts(yTrue, yScore, sampleWeight)
  const n = thresholds.length
  const totalPos = truePositives[n - 1]!
  if (totalPos === 0) {
    throw new EvalInputError('Average precision needs at least one positive row with positive weight.')
  }
  return averagePrecisionFromCounts(truePositives, falsePositives, n, totalPos)
}

function bestOnCurve(
  yTrue: NumericArray,
  yScore: NumericArray,
  sampleWeight: NumericArray | undefined,
  target: number,
  kind: 'precisionAtRecall' | 'recallAtPrecision',
): ThresholdedValue {
  if (!(target >= 0 && target <= 1)) {
    throw new EvalInputError(`${kind} target must be in [0, 1]; got ${target}.`, { target })
  }
  const { precision, recall, thresholds } = prCurve(yTrue, yScore, sampleWeight)
  let best = -1
  let bestThreshold = Number.POSITIVE_INFINITY
  // the last curve point (recall 0, precision 1) is a convention, not a threshold
  for (let i = 0; i < thresholds.length; i++) {
    const meets = kind === 'precisionAtRecall' ? recall[i]! >= target : precision[i]! >= target
    if (!meets) continue
    const value = kind === 'precisionAtRecall' ? precision[i]! : recall[i]!
    if (value > best || (value === best && thresholds[i]! > bestThreshold)) {
      best = value
      bestThreshold = thresholds[i]!
    }
  }
  if (best < 0) return { value: 0, threshold: Number.POSITIVE_INFINITY, isAchieved: false }
  return { value: best, threshold: bestThreshold, isAchieved: true }
}

/**
 * Highest precision over thresholds whose recall is at least `minRecall`, and the threshold
 * giving it (the highest one on ties).
 */
export function precisionAtRecall(
  yTrue: NumericArray,
  yScore: NumericArray,
  minRecall: number,
  sampleWeight?: NumericArray,
): ThresholdedValue {
  return bestOnCurve(yTrue, yScore, sampleWeight, minRecall, 'precisionAtRecall')
}

/**
 * Highest recall over thresholds whose precision is at least `minPrecision`, and the
 * threshold giving it (the highest one on ties). `isAchieved` is false when none does.
 */
export function recallAtPrecision(
  yTrue: NumericArray,
  yScore: NumericArray,
  minPrecision: number,
  sampleWeight?: NumericArray,
): ThresholdedValue {
  return bestOnCurve(yTrue, yScore, sampleWeight, minPrecision, 'recallAtPrecision')
}
