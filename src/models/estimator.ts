import type { Artifact, Matrix } from '../core/index.js'

/** The three supervised task kinds Keel handles. */
export type TaskKind = 'binary' | 'multiclass' | 'regression'

/**
 * Options for `fit`. Classifier targets are class codes 0..k-1 stored as numbers; the label
 * names live in the pipeline, not in the model.
 */
export interface FitOptions {
  /** Per-row weights (same length as y). */
  readonly sampleWeight?: Float64Array
  /** Rows used only for early stopping / monitoring, never for fitting. */
  readonly validation?: { readonly x: Matrix; readonly y: Float64Array }
  /** Column indices holding categorical codes (0..levels-1, NaN missing) rather than numbers. */
  readonly categoricalFeatures?: readonly number[]
  /**
   * Column indices holding 0/1 indicators the feature encoder made (one-hot levels, missing
   * flags) rather than the user's own values: linear models keep them unscaled.
   */
  readonly indicatorFeatures?: readonly number[]
  /** Column names (defaults to f0..f{n-1}). */
  readonly featureNames?: readonly string[]
  /** Called once per boosting round / epoch with the training (and validation) loss. */
  readonly onIteration?: (info: IterationInfo) => void
}

/** Progress of an iterative fit, reported through `FitOptions.onIteration`. */
export interface IterationInfo {
  readonly iteration: number
  /**
   * Loss on the training rows; gradient boosting on more than 65,536 rows estimates it on an
   * evenly spaced sample of that many rows (the full pass would cost a tenth of the fit).
   */
  readonly trainLoss: number
  readonly validLoss?: number
}

/** What every fitted model offers. */
export interface FittedModel {
  readonly kind: string
  readonly task: TaskKind
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  /** Class codes for classifiers (argmax of predictProba), values for regressors. */
  predict(x: Matrix): Float64Array
  /** A versioned, code-free artifact that `loadModel` turns back into an identical model. */
  toArtifact(): Artifact
  /** Non-negative importances, one per feature, where the model defines them. */
  featureImportance?(kind?: 'gain' | 'split'): Float64Array
  /**
   * Releases what the model holds outside the heap (an ONNX graph's runtime thread). Models with
   * nothing to release leave it out; callers that load models on demand call it when done.
   */
  close?(): Promise<void>
}

/** A fitted classifier: probabilities per class, columns in `classes` order. */
export interface FittedClassifier extends FittedModel {
  readonly task: 'binary' | 'multiclass'
  /** Number of classes k; class codes are 0..k-1. */
  readonly nClasses: number
  /** Row-major rows × k matrix of class probabilities (each row sums to 1). */
  predictProba(x: Matrix): Matrix
}

/** An unfitted estimator: params plus `fit`. Fitted state lives in what `fit` returns. */
export interface Estimator<P extends object, F extends FittedModel = FittedModel> {
  readonly kind: string
  getParams(): P
  withParams(patch: Partial<P>): Estimator<P, F>
  fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<F>
}

/** True when the fitted model is a classifier. */
export function isClassifier(model: FittedModel): model is FittedClassifier {
  return model.task === 'binary' || model.task === 'multiclass'
}

/**
 * A tree in flat arrays, the shape TreeSHAP and exporters read. Node 0 is the root.
 * Leaves have `left[i] === -1`. A numeric split sends x <= threshold left; a categorical split
 * (`categorical[i] === 1`) sends codes in `categoriesLeft[i]` left. Missing goes left when
 * `defaultLeft[i] === 1`. `value` is the raw (margin) output for leaves; `cover` is the training
 * weight (hessian sum or row count) reaching each node.
 */
export interface TreeView {
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  readonly value: Float64Array
  readonly cover: Float64Array
  readonly categorical?: Uint8Array
  readonly categoriesLeft?: readonly (readonly number[] | null)[]
}

/**
 * A tree ensemble exposed for explanation: raw margin = baseScore[o] + sum over trees of
 * output o of the leaf value (scaled by `treeWeight`, e.g. 1/nTrees for forests).
 */
export interface TreeEnsembleView {
  readonly nOutputs: number
  readonly baseScore: Float64Array
  readonly trees: readonly { readonly tree: TreeView; readonly output: number }[]
  readonly treeWeight: number
}

/** Models that can expose their trees (GBDT, random forest, decision tree). */
export interface HasTrees {
  treeEnsemble(): TreeEnsembleView
}

/**
 * Class probabilities (rows x k) from raw margins: one logit per row for binary models (the
 * positive class; the sigmoid is written so neither branch overflows), k per row otherwise
 * (softmax, shifted by the row maximum). Shared by logistic regression and the MLP. @internal
 */
export function probabilitiesFromMargins(margins: Float64Array, rows: number, k: number): Matrix {
  const out = new Float64Array(rows * k)
  if (k === 2) {
    for (let i = 0; i < rows; i++) {
      const v = margins[i]!
      const p1 = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))
      out[2 * i] = 1 - p1
      out[2 * i + 1] = p1
    }
    return { rows, cols: k, data: out }
  }
  for (let i = 0; i < rows; i++) {
    let max = Number.NEGATIVE_INFINITY
    for (let c = 0; c < k; c++) max = Math.max(max, margins[i * k + c]!)
    let sum = 0
    for (let c = 0; c < k; c++) {
      const e = Math.exp(margins[i * k + c]! - max)
      out[i * k + c] = e
      sum += e
    }
    for (let c = 0; c < k; c++) out[i * k + c] = out[i * k + c]! / sum
  }
  return { rows, cols: k, data: out }
}

/** The most probable class code of each row of a probability matrix (the lowest code on ties). @internal */
export function argmaxRows(proba: Matrix): Float64Array {
  const { rows, cols: k, data } = proba
  const out = new Float64Array(rows)
  for (let i = 0; i < rows; i++) {
    let best = 0
    for (let c = 1; c < k; c++) if (data[i * k + c]! > data[i * k + best]!) best = c
    out[i] = best
  }
  return out
}
