import { z } from 'zod'
import type { Artifact, Matrix } from '../../core/index.js'
import { assertColumns, encodeArray, makeArtifact } from '../../core/index.js'
import { DefinedEstimator, defineEstimator, oneOf, resolveArtifactParams } from '../define.js'
import type { FitOptions, FittedClassifier, FittedModel } from '../estimator.js'
import {
  checkFitInputs,
  checkFormatVersion,
  checkRegressionTarget,
  countClasses,
  readF64,
  readNumber,
  resolveFeatureNames,
  stateRecord,
} from '../linear/model-io.js'

const FORMAT_VERSION = 1

/** Params of {@link BaselineClassifier} (schema). */
export const BASELINE_CLASSIFIER_SCHEMA = z.object({
  /**
   * `prior`: predict the (weighted) class frequencies as probabilities; `majority`: probability 1
   * for the most frequent class. Both predict the most frequent class.
   */
  strategy: oneOf('prior', 'majority'),
})

/** Params of {@link BaselineRegressor} (schema). */
export const BASELINE_REGRESSOR_SCHEMA = z.object({
  /** `mean` (minimises squared error) or `median` (minimises absolute error) of the weighted target. */
  strategy: oneOf('mean', 'median'),
})

/** Params of {@link BaselineClassifier}. */
export type BaselineClassifierParams = Readonly<z.infer<typeof BASELINE_CLASSIFIER_SCHEMA>>

/** Params of {@link BaselineRegressor}. */
export type BaselineRegressorParams = Readonly<z.infer<typeof BASELINE_REGRESSOR_SCHEMA>>

/** Defaults of {@link BaselineClassifier}. */
export const BASELINE_CLASSIFIER_DEFAULT_PARAMS: BaselineClassifierParams = { strategy: 'prior' }
/** Defaults of {@link BaselineRegressor}. */
export const BASELINE_REGRESSOR_DEFAULT_PARAMS: BaselineRegressorParams = { strategy: 'mean' }

// A constant is readable, and the features (missing or not) are never looked at.
const BASELINE_TAGS = { categorical: false, missing: 'ignored', tree: false, interpretable: true } as const

/** Params, defaults and tags of {@link BaselineClassifier}. */
export const BASELINE_CLASSIFIER = defineEstimator({
  name: 'BaselineClassifier',
  kind: 'baseline-classifier',
  schema: BASELINE_CLASSIFIER_SCHEMA,
  defaults: BASELINE_CLASSIFIER_DEFAULT_PARAMS,
  tags: { task: 'classification', ...BASELINE_TAGS },
})

/** Params, defaults and tags of {@link BaselineRegressor}. */
export const BASELINE_REGRESSOR = defineEstimator({
  name: 'BaselineRegressor',
  kind: 'baseline-regressor',
  schema: BASELINE_REGRESSOR_SCHEMA,
  defaults: BASELINE_REGRESSOR_DEFAULT_PARAMS,
  tags: { task: 'regression', ...BASELINE_TAGS },
})

/** A classifier that ignores the features: the floor every other model must beat. */
export class BaselineClassifier extends DefinedEstimator<
  BaselineClassifierParams,
  FittedBaselineClassifier,
  'baseline-classifier'
> {
  static readonly definition = BASELINE_CLASSIFIER

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedBaselineClassifier> {
    const w = checkFitInputs(x, y, options)
    const k = countClasses(y)
    const totals = new Float64Array(k)
    let sum = 0
    for (let i = 0; i < y.length; i++) {
      totals[y[i]!]! += w[i]!
      sum += w[i]!
    }
    let best = 0
    for (let c = 1; c < k; c++) if (totals[c]! > totals[best]!) best = c
    const proba = new Float64Array(k)
    if (this.params.strategy === 'prior') for (let c = 0; c < k; c++) proba[c] = totals[c]! / sum
    else proba[best] = 1
    options?.onIteration?.({ iteration: 1, trainLoss: logLoss(totals, proba, sum) })
    return new FittedBaselineClassifier(this.params, resolveFeatureNames(x.cols, options), proba, best)
  }
}

function logLoss(totals: Float64Array, proba: Float64Array, sum: number): number {
  let loss = 0
  for (let c = 0; c < totals.length; c++) {
    if (totals[c]! > 0) loss -= totals[c]! * Math.log(Math.max(proba[c]!, 1e-15))
  }
  return loss / sum
}

/** A fitted {@link BaselineClassifier}. */
export class FittedBaselineClassifier implements FittedClassifier {
  readonly kind = 'baseline-classifier'
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number
  readonly nFeatures: number

  constructor(
    readonly params: BaselineClassifierParams,
    readonly featureNames: readonly string[],
    /** Predicted probability of each class, whatever the input. */
    readonly classProba: Float64Array,
    /** The predicted class code. */
    readonly majorityClass: number,
  ) {
    this.nClasses = classProba.length
    this.task = this.nClasses === 2 ? 'binary' : 'multiclass'
    this.nFeatures = featureNames.length
  }

  predict(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    return new Float64Array(x.rows).fill(this.majorityClass)
  }

  predictProba(x: Matrix): Matrix {
    assertColumns(x, this.nFeatures, this.kind)
    const k = this.nClasses
    const data = new Float64Array(x.rows * k)
    for (let r = 0; r < x.rows; r++) data.set(this.classProba, r * k)
    return { rows: x.rows, cols: k, data }
  }

  toArtifact(): Artifact {
    return makeArtifact({
      format: 'model',
      formatVersion: FORMAT_VERSION,
      kind: this.kind,
      params: { ...this.params },
      state: { classProba: encodeArray(this.classProba), majorityClass: this.majorityClass },
      featureNames: [...this.featureNames],
    })
  }
}

/** A regressor that ignores the features and predicts one constant. */
export class BaselineRegressor extends DefinedEstimator<
  BaselineRegressorParams,
  FittedBaselineRegressor,
  'baseline-regressor'
> {
  static readonly definition = BASELINE_REGRESSOR

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedBaselineRegressor> {
    const w = checkFitInputs(x, y, options)
    checkRegressionTarget(y)
    const value = this.params.strategy === 'mean' ? weightedMean(y, w) : weightedMedian(y, w)
    let loss = 0
    let sum = 0
    for (let i = 0; i < y.length; i++) {
      const d = y[i]! - value
      loss += w[i]! * (this.params.strategy === 'mean' ? d * d : Math.abs(d))
      sum += w[i]!
    }
    options?.onIteration?.({ iteration: 1, trainLoss: loss / sum })
    return new FittedBaselineRegressor(this.params, resolveFeatureNames(x.cols, options), value)
  }
}

function weightedMean(y: Float64Array, w: Float64Array): number {
  let s = 0
  let sw = 0
  for (let i = 0; i < y.length; i++) {
    s += w[i]! * y[i]!
    sw += w[i]!
  }
  return s / sw
}

/**
 * Weighted median: the smallest value whose cumulative weight reaches half the total; when the
 * cumulative weight hits exactly half, the midpoint of the two neighbours (the unweighted
 * median's convention for even counts).
 */
function weightedMedian(y: Float64Array, w: Float64Array): number {
  const order = Array.from({ length: y.length }, (_, i) => i).filter((i) => w[i]! > 0)
  order.sort((a, b) => y[a]! - y[b]! || a - b)
  let total = 0
  for (const i of order) total += w[i]!
  const half = total / 2
  let cum = 0
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!
    cum += w[i]!
    if (cum > half * (1 + 1e-12)) return y[i]!
    if (Math.abs(cum - half) <= half * 1e-12 && j + 1 < order.length) return (y[i]! + y[order[j + 1]!]!) / 2
  }
  return y[order[order.length - 1]!]!
}

/** A fitted {@link BaselineRegressor}. */
export class FittedBaselineRegressor implements FittedModel {
  readonly kind = 'baseline-regressor'
  readonly task = 'regression' as const
  readonly nFeatures: number

  constructor(
    readonly params: BaselineRegressorParams,
    readonly featureNames: readonly string[],
    /** The constant prediction. */
    readonly value: number,
  ) {
    this.nFeatures = featureNames.length
  }

  predict(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    return new Float64Array(x.rows).fill(this.value)
  }

  toArtifact(): Artifact {
    return makeArtifact({
      format: 'model',
      formatVersion: FORMAT_VERSION,
      kind: this.kind,
      params: { ...this.params },
      // A Float64Array of one keeps the value's exact bits (JSON numbers round-trip too, but this
      // stays uniform with the other models).
      state: { value: encodeArray(Float64Array.of(this.value)) },
      featureNames: [...this.featureNames],
    })
  }
}

/** Reads a `baseline-classifier` artifact. @internal */
export function readBaselineClassifier(artifact: Artifact<unknown, unknown>): FittedBaselineClassifier {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = resolveArtifactParams(BASELINE_CLASSIFIER, artifact)
  const state = stateRecord(artifact)
  const proba = readF64(state, 'classProba', artifact.kind)
  const majority = readNumber(state, 'majorityClass', artifact.kind)
  return new FittedBaselineClassifier(params, [...artifact.featureNames].map(String), proba, majority)
}

/** Reads a `baseline-regressor` artifact. @internal */
export function readBaselineRegressor(artifact: Artifact<unknown, unknown>): FittedBaselineRegressor {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = resolveArtifactParams(BASELINE_REGRESSOR, artifact)
  const state = stateRecord(artifact)
  const value = readF64(state, 'value', artifact.kind, 1)[0]!
  return new FittedBaselineRegressor(params, [...artifact.featureNames].map(String), value)
}
