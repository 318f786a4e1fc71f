import type { Matrix } from '../core/index.js'
import { rocAuc } from './curves.js'
import { EvalInputError } from './errors.js'
import {
  argmaxRows,
  checkBinaryLabels,
  checkClassCodes,
  checkProbaRows,
  checkSameLength,
  inferClassCount,
  type NumericArray,
  weightsOrOnes,
} from './validate.js'

/** How per-class scores are combined for multiclass precision, recall and F1. */
export type Average = 'binary' | 'macro' | 'weighted' | 'micro'

/** Options shared by label-based metrics. */
export interface LabelMetricOptions {
  readonly sampleWeight?: NumericArray
  /** How to combine classes (default 'binary': class 1 is positive). */
  readonly average?: Average
  /** Classes to include for macro/weighted (default: those present in yTrue or yPred, as sklearn). */
  readonly labels?: readonly number[]
}

/** Per-class line of a classification report. */
export interface ClassReportLine {
  readonly label: number
  readonly name: string
  readonly precision: number
  readonly recall: number
  readonly f1: number
  /** Weighted number of true rows of this class. */
  readonly support: number
}

/** Precision/recall/F1 per class plus accuracy and averages at one threshold. */
export interface ClassificationReport {
  /** Binary reports: score >= threshold predicts class 1. Multiclass: argmax, threshold null. */
  readonly threshold: number | null
  readonly classes: readonly ClassReportLine[]
  readonly accuracy: number
  readonly macroAvg: Omit<ClassReportLine, 'label' | 'name'>
  readonly weightedAvg: Omit<ClassReportLine, 'label' | 'name'>
  /** Rows are true classes, columns predicted classes. */
  readonly confusionMatrix: readonly (readonly number[])[]
}

const FLOAT64_EPS = 2.220446049250313e-16

/**
 * Turns scores into class codes: a positive-class score vector (or a two-column probability
 * matrix) is thresholded (score >= threshold means 1); wider matrices use the argmax.
 */
export function predictedLabels(prediction: NumericArray | Matrix, threshold = 0.5): Float64Array {
  if (isMatrix(prediction)) {
    if (prediction.cols === 2) {
      const out = new Float64Array(prediction.rows)
      for (let r = 0; r < prediction.rows; r++) out[r] = prediction.data[r * 2 + 1]! >= threshold ? 1 : 0
      return out
    }
    return argmaxRows(prediction)
  }
  const out = new Float64Array(prediction.length)
  for (let i = 0; i < prediction.length; i++) out[i] = prediction[i]! >= threshold ? 1 : 0
  return out
}

/** @internal Distinguishes a Matrix from an array of numbers. */
export function isMatrix(value: NumericArray | Matrix): value is Matrix {
  return (value as Matrix).data !== undefined && typeof (value as Matrix).cols === 'number'
}

/**
 * Mean cross-entropy. `proba` is either the positive-class probability (binary) or a rows x k
 * matrix. Probabilities are clipped to [eps, 1 - eps] and each row renormalised, as sklearn
 * `log_loss` does (eps = float64 machine epsilon).
 */
export function logLoss(
  yTrue: NumericArray,
  proba: NumericArray | Matrix,
  options: { sampleWeight?: NumericArray; eps?: number } = {},
): number {
  const eps = options.eps ?? FLOAT64_EPS
  const w = weightsOrOnes(yTrue.length, options.sampleWeight)
  let total = 0
  let weightSum = 0
  if (isMatrix(proba)) {
    checkProbaRows('logLoss', yTrue, proba)
    checkClassCodes('logLoss', yTrue, proba.cols)
    const k = proba.cols
    for (let r = 0; r < proba.rows; r++) {
      let rowSum = 0
      for (let c = 0; c < k; c++) rowSum += clip(proba.data[r * k + c]!, eps)
      const p = clip(proba.data[r * k + yTrue[r]!]!, eps) / rowSum
      total += -Math.log(p) * w[r]!
      weightSum += w[r]!
    }
  } else {
    checkSameLength('logLoss', yTrue, { proba, sampleWeight: options.sampleWeight })
    checkBinaryLabels('logLoss', yTrue)
    for (let i = 0; i < yTrue.length; i++) {
      const p1 = clip(proba[i]!, eps)
      const p0 = 1 - p1
      const p = (yTrue[i] === 1 ? p1 : p0) / (p0 + p1)
      total += -Math.log(p) * w[i]!
      weightSum += w[i]!
    }
  }
  return total / weightSum
}

function clip(p: number, eps: number): number {
  if (Number.isNaN(p)) throw new EvalInputError('Probability is NaN; pass finite probabilities.')
  return Math.min(Math.max(p, eps), 1 - eps)
}

/** Brier score: weighted mean of (y - p)^2 for the positive-class probability p. */
export function brierScore(yTrue: NumericArray, proba: NumericArray, sampleWeight?: NumericArray): number {
  checkSameLength('brierScore', yTrue, { proba, sampleWeight })
  checkBinaryLabels('brierScore', yTrue)
  const w = weightsOrOnes(yTrue.length, sampleWeight)
  let total = 0
  let weightSum = 0
  for (let i = 0; i < yTrue.length; i++) {
    const d = yTrue[i]! - proba[i]!
    total += w[i]! * d * d
    weightSum += w[i]!
  }
  return total / weightSum
}

/** Weighted fraction of rows whose predicted class equals the true class. */
export function accuracy(yTrue: NumericArray, yPred: NumericArray, sampleWeight?: NumericArray): number {
  checkSameLength('accuracy', yTrue, { yPred, sampleWeight })
  const w = weightsOrOnes(yTrue.length, sampleWeight)
  let hit = 0
  let weightSum = 0
  for (let i = 0; i < yTrue.length; i++) {
    if (yTrue[i] === yPred[i]) hit += w[i]!
    weightSum += w[i]!
  }
  return hit / weightSum
}

/**
 * Weighted confusion matrix, rows = true class, columns = predicted class, for class codes
 * 0..nClasses-1 (default: largest code seen + 1).
 */
export function confusionMatrix(
  yTrue: NumericArray,
  yPred: NumericArray,
  options: { nClasses?: number; sampleWeight?: NumericArray } = {},
): number[][] {
  checkSameLength('confusionMatrix', yTrue, { yPred, sampleWeight: options.sampleWeight })
  const k = options.nClasses ?? inferClassCount(yTrue, yPred)
  checkClassCodes('confusionMatrix', yTrue, k)
  checkClassCodes('confusionMatrix', yPred, k, 'yPred')
  const w = weightsOrOnes(yTrue.length, options.sampleWeight)
  const m: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0))
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]! += w[i]!
  return m
}

/**
 * Balanced accuracy: mean recall over the classes present in yTrue (sklearn
 * `balanced_accuracy_score`, not adjusted).
 */
export function balancedAccuracy(
  yTrue: NumericArray,
  yPred: NumericArray,
  sampleWeight?: NumericArray,
): number {
  const m = confusionMatrix(yTrue, yPred, sampleWeight === undefined ? {} : { sampleWeight })
  let sum = 0
  let count = 0
  for (let c = 0; c < m.length; c++) {
    const row = m[c]!
    const support = row.reduce((a, b) => a + b, 0)
    if (support > 0) {
      sum += row[c]! / support
      count++
    }
  }
  return sum / count
}

interface ClassCounts {
  readonly labels: number[]
  readonly tp: number[]
  readonly predicted: number[]
  readonly actual: number[]
}

function classCounts(
  what: string,
  yTrue: NumericArray,
  yPred: NumericArray,
  options: LabelMetricOptions,
): ClassCounts {
  const m = confusionMatrix(
    yTrue,
    yPred,
    options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight },
  )
  const k = m.length
  let labels: number[]
  if (options.labels !== undefined) labels = [...options.labels]
  else {
    // sklearn uses the labels present in either array (by count, not weight)
    const present = new Set<number>()
    for (let i = 0; i < yTrue.length; i++) present.add(yTrue[i]!).add(yPred[i]!)
    labels = [...present].sort((a, b) => a - b)
  }
  for (const l of labels) {
    if (!Number.isInteger(l) || l < 0) throw new EvalInputError(`${what}: label ${l} is not a class code.`)
  }
  const tp: number[] = []
  const predicted: number[] = []
  const actual: number[] = []
  for (const l of labels) {
    let p = 0
    let a = 0
    for (let c = 0; c < k; c++) {
      p += l < k ? m[c]![l]! : 0
      a += l < k ? m[l]![c]! : 0
    }
    tp.push(l < k ? m[l]![l]! : 0)
    predicted.push(p)
    actual.push(a)
  }
  return { labels, tp, predicted, actual }
}

type PerClass = (tp: number, predicted: number, actual: number) => number

const safeDiv = (a: number, b: number): number => (b === 0 ? 0 : a / b)
const precisionOf: PerClass = (tp, predicted) => safeDiv(tp, predicted)
const recallOf: PerClass = (tp, _predicted, actual) => safeDiv(tp, actual)
const f1Of: PerClass = (tp, predicted, actual) => {
  const p = safeDiv(tp, predicted)
  const r = safeDiv(tp, actual)
  return p + r === 0 ? 0 : (2 * p * r) / (p + r)
}

function averaged(
  what: string,
  perClass: PerClass,
  yTrue: NumericArray,
  yPred: NumericArray,
  options: LabelMetricOptions,
): number {
  const average = options.average ?? 'binary'
  if (average === 'binary') {
    checkBinaryLabels(what, yTrue)
    checkBinaryLabels(what, yPred)
    const c = classCounts(what, yTrue, yPred, { ...options, labels: [1] })
    return perClass(c.tp[0]!, c.predicted[0]!, c.actual[0]!)
  }
  const c = classCounts(what, yTrue, yPred, options)
  switch (average) {
    case 'micro': {
      const tp = c.tp.reduce((a, b) => a + b, 0)
      return perClass(
        tp,
        c.predicted.reduce((a, b) => a + b, 0),
        c.actual.reduce((a, b) => a + b, 0),
      )
    }
    case 'macro': {
      let sum = 0
      for (let i = 0; i < c.labels.length; i++) sum += perClass(c.tp[i]!, c.predicted[i]!, c.actual[i]!)
      return sum / c.labels.length
    }
    case 'weighted': {
      let sum = 0
      let support = 0
      for (let i = 0; i < c.labels.length; i++) {
        sum += perClass(c.tp[i]!, c.predicted[i]!, c.actual[i]!) * c.actual[i]!
        support += c.actual[i]!
      }
      return safeDiv(sum, support)
    }
    default: {
      const never: never = average
      throw new EvalInputError(`Unknown average '${String(never)}'; use binary, macro, weighted or micro.`)
    }
  }
}

/** Precision tp / (tp + fp); 0 when nothing is predicted positive (sklearn zero_division=0). */
export function precision(
  yTrue: NumericArray,
  yPred: NumericArray,
  options: LabelMetricOptions = {},
): number {
  return averaged('precision', precisionOf, yTrue, yPred, options)
}

/** Recall tp / (tp + fn); 0 when the class has no true rows. */
export function recall(yTrue: NumericArray, yPred: NumericArray, options: LabelMetricOptions = {}): number {
  return averaged('recall', recallOf, yTrue, yPred, options)
}

/** F1, the harmonic mean of precision and recall; 0 when both are 0. */
export function f1(yTrue: NumericArray, yPred: NumericArray, options: LabelMetricOptions = {}): number {
  return averaged('f1', f1Of, yTrue, yPred, options)
}

/**
 * One-vs-rest ROC-AUC for a rows x k probability matrix, averaged over classes equally
 * ('macro') or by weighted prevalence ('weighted'), as sklearn `roc_auc_score(multi_class='ovr')`.
 * @throws EvalInputError when a class has no rows (its AUC is undefined).
 */
export function rocAucOvr(
  yTrue: NumericArray,
  proba: Matrix,
  options: { average?: 'macro' | 'weighted'; sampleWeight?: NumericArray } = {},
): number {
  checkProbaRows('rocAucOvr', yTrue, proba)
  checkClassCodes('rocAucOvr', yTrue, proba.cols)
  const w = weightsOrOnes(yTrue.length, options.sampleWeight)
  const k = proba.cols
  const n = proba.rows
  let sum = 0
  let weightSum = 0
  const yBin = new Float64Array(n)
  const score = new Float64Array(n)
  for (let c = 0; c < k; c++) {
    let prevalence = 0
    for (let r = 0; r < n; r++) {
      yBin[r] = yTrue[r] === c ? 1 : 0
      score[r] = proba.data[r * k + c]!
      prevalence += yBin[r]! * w[r]!
    }
    const auc = rocAuc(yBin, score, w)
    const weight = options.average === 'weighted' ? prevalence : 1
    sum += auc * weight
    weightSum += weight
  }
  return sum / weightSum
}

/**
 * Precision, recall, F1 and support per class, plus accuracy, macro and weighted averages
 * and the confusion matrix, at a decision threshold (binary) or by argmax (multiclass).
 * Matches sklearn `classification_report(labels=range(k), zero_division=0)`.
 */
export function classificationReport(
  yTrue: NumericArray,
  prediction: NumericArray | Matrix,
  options: { threshold?: number; sampleWeight?: NumericArray; classNames?: readonly string[] } = {},
): ClassificationReport {
  const threshold = options.threshold ?? 0.5
  const yPred = predictedLabels(prediction, threshold)
  const isBinary = !isMatrix(prediction) || prediction.cols === 2
  const k = isMatrix(prediction) ? prediction.cols : 2
  const labels = Array.from({ length: k }, (_, i) => i)
  const base = {
    labels,
    ...(options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight }),
  }
  const c = classCounts('classificationReport', yTrue, yPred, base)
  const classes: ClassReportLine[] = labels.map((label, i) => ({
    label,
    name: options.classNames?.[label] ?? String(label),
    precision: precisionOf(c.tp[i]!, c.predicted[i]!, c.actual[i]!),
    recall: recallOf(c.tp[i]!, c.predicted[i]!, c.actual[i]!),
    f1: f1Of(c.tp[i]!, c.predicted[i]!, c.actual[i]!),
    support: c.actual[i]!,
  }))
  const totalSupport = c.actual.reduce((a, b) => a + b, 0)
  const avg = (pick: (l: ClassReportLine) => number, weighted: boolean): number =>
    weighted
      ? safeDiv(
          classes.reduce((s, l) => s + pick(l) * l.support, 0),
          totalSupport,
        )
      : classes.reduce((s, l) => s + pick(l), 0) / classes.length
  const averages = (weighted: boolean) => ({
    precision: avg((l) => l.precision, weighted),
    recall: avg((l) => l.recall, weighted),
    f1: avg((l) => l.f1, weighted),
    support: totalSupport,
  })
  return {
    threshold: isBinary ? threshold : null,
    classes,
    accuracy: accuracy(yTrue, yPred, options.sampleWeight),
    macroAvg: averages(false),
    weightedAvg: averages(true),
    confusionMatrix: confusionMatrix(yTrue, yPred, {
      nClasses: k,
      ...(options.sampleWeight === undefined ? {} : { sampleWeight: options.sampleWeight }),
    }),
  }
}
