import type { Artifact, Matrix } from '../../core/index.js'
import {
  ArtifactError,
  assertColumns,
  encodeArray,
  InvalidArgumentError,
  makeArtifact,
} from '../../core/index.js'
import type { Estimator, FitOptions, FittedClassifier } from '../estimator.js'
import { minimizeLbfgs } from './lbfgs.js'
import type { LinearCoefficients } from './linear-model.js'
import { columnStd, linearImportance, linearMargins, toOriginalScale } from './linear-model.js'
import type { ClassWeight } from './model-io.js'
import {
  applyClassWeight,
  checkChoice,
  checkFitInputs,
  checkFormatVersion,
  checkNumber,
  countClasses,
  mergeParams,
  readF64,
  readNumber,
  resolveFeatureNames,
  stateRecord,
} from './model-io.js'
import { newtonBinaryLogistic } from './newton.js'
import { binaryLogisticObjective, softmaxObjective } from './objectives.js'
import type { Penalty } from './penalty.js'
import { checkDenseSolve, isSparsePenalty, PENALTIES, penaltyParts } from './penalty.js'
import { proximalNewtonLogistic } from './proximal-newton.js'
import type { StandardizeMode, Standardizer } from './standardize.js'
import { applyStandardizer, fitStandardizer } from './standardize.js'

/** 2 added the params `penalty` and `l1Ratio`; version-1 artifacts read as L2. */
const FORMAT_VERSION = 2
const KIND = 'linear-classifier'

/** Params of {@link LogisticRegression}. */
export interface LogisticRegressionParams {
  /**
   * Penalty strength on the standardised coefficients (intercept unpenalised), `1 / C` in
   * scikit-learn's terms for every `penalty`. The objective is
   * `sum_i w_i * logloss_i + l2 * (l1Ratio * ||coef||_1 + (1 - l1Ratio)/2 * ||coef||^2)` with
   * l1Ratio taken as 0 for penalty `l2` and 1 for `l1`: scikit-learn's
   * `LogisticRegression(C = 1 / l2, penalty, l1_ratio = l1Ratio)`. The default 1 matches its
   * default C = 1. Ignored for penalty `none`.
   */
  readonly l2: number
  /** Which penalty `l2` sets the strength of; `l2` (ridge) by default. See {@link Penalty}. */
  readonly penalty: Penalty
  /** Share of L1 in the `elasticnet` penalty, in [0, 1] (scikit-learn's `l1_ratio`). */
  readonly l1Ratio: number
  readonly fitIntercept: boolean
  /** `balanced` weights class c by n / (k * n_c), multiplied into any sample weights. */
  readonly classWeight: ClassWeight
  /** Which columns are scaled to unit variance before fitting (all are centred). */
  readonly standardize: StandardizeMode
  /**
   * `newton` (binary only: exact Newton steps on a (p+1) x (p+1) system), `lbfgs`, `newton-cd`
   * (proximal Newton with coordinate descent on each quadratic model, glmnet style; any penalty,
   * binary or multinomial; the only solver for `l1` and `elasticnet`; builds a q x q Hessian with
   * q = outputs * (p + 1), so it suits moderate widths), or `auto`: newton-cd for `l1` and
   * `elasticnet`, otherwise newton for binary problems with at most 300 features, lbfgs otherwise.
   */
  readonly solver: 'auto' | 'newton' | 'lbfgs' | 'newton-cd'
  /**
   * Iteration cap (outer iterations). Reaching it is not an error: the model reports
   * `converged: false`.
   */
  readonly maxIter: number
  /**
   * Stop when the largest gradient entry of the per-weight objective is below tol * max(1, |f|)
   * (with an L1 part: the smallest subgradient's largest entry).
   */
  readonly tol: number
}

/** Defaults of {@link LogisticRegression}. */
export const LOGISTIC_REGRESSION_DEFAULT_PARAMS: LogisticRegressionParams = {
  l2: 1,
  penalty: 'l2',
  l1Ratio: 0.5,
  fitIntercept: true,
  classWeight: null,
  standardize: 'non-binary',
  solver: 'auto',
  maxIter: 1000,
  tol: 1e-9,
}

function checkParams(p: LogisticRegressionParams): void {
  const what = 'LogisticRegression'
  checkNumber(what, 'l2', p.l2, { min: 0 })
  checkChoice(what, 'penalty', p.penalty, PENALTIES)
  checkNumber(what, 'l1Ratio', p.l1Ratio, { min: 0, max: 1 })
  checkChoice(what, 'fitIntercept', p.fitIntercept, [true, false])
  checkChoice(what, 'classWeight', p.classWeight, ['balanced', null])
  checkChoice(what, 'standardize', p.standardize, ['all', 'non-binary', 'none'])
  checkChoice(what, 'solver', p.solver, ['auto', 'newton', 'lbfgs', 'newton-cd'])
  if (isSparsePenalty(p.penalty) && p.solver !== 'auto' && p.solver !== 'newton-cd') {
    throw new InvalidArgumentError(
      `${what} param 'solver' is '${p.solver}', which cannot fit penalty '${p.penalty}' (its L1 part is not smooth). Use solver 'auto' or 'newton-cd'.`,
      { param: 'solver' },
    )
  }
  checkNumber(what, 'maxIter', p.maxIter, { min: 1, integer: true })
  checkNumber(what, 'tol', p.tol, { min: 0, exclusiveMin: true })
}

/**
 * Logistic regression (binary, or multinomial softmax for k > 2 classes) on internally
 * standardised features with an L2 (default), L1 or elastic-net penalty, fitted to convergence by
 * Newton or L-BFGS (L2) or proximal Newton with coordinate descent (L1 parts, exact zeros).
 */
export class LogisticRegression implements Estimator<LogisticRegressionParams, FittedLogisticRegression> {
  static readonly DEFAULT_PARAMS = LOGISTIC_REGRESSION_DEFAULT_PARAMS
  readonly kind = KIND
  private readonly params: LogisticRegressionParams

  constructor(params: Partial<LogisticRegressionParams> = {}) {
    this.params = mergeParams(LOGISTIC_REGRESSION_DEFAULT_PARAMS, params, 'LogisticRegression')
    checkParams(this.params)
  }

  getParams(): LogisticRegressionParams {
    return { ...this.params }
  }

  withParams(patch: Partial<LogisticRegressionParams>): LogisticRegression {
    return new LogisticRegression({ ...this.params, ...patch })
  }

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedLogisticRegression> {
    const p = this.params
    const sampleWeight = checkFitInputs(x, y, options)
    const featureNames = resolveFeatureNames(x.cols, options)
    const k = countClasses(y)
    const w = applyClassWeight(y, sampleWeight, k, p.classWeight)
    // Standardise with the sample weights only: class weights reweight the loss, they do not
    // describe the feature distribution.
    const scaler = fitStandardizer(x, options?.sampleWeight, p.standardize)
    const z = applyStandardizer(x, scaler)
    let weightSum = 0
    for (let i = 0; i < w.length; i++) weightSum += w[i]!
    const design = { z, n: x.rows, p: x.cols, y, w, weightSum }
    const nOut = k === 2 ? 1 : k
    const { l1, l2 } = penaltyParts(p.penalty, p.l2, p.l1Ratio)
    const objective =
      k === 2
        ? binaryLogisticObjective(design, l2, p.fitIntercept)
        : softmaxObjective(design, k, l2, p.fitIntercept)
    const onIteration = options?.onIteration
    const solverOptions = {
      gradTol: p.tol,
      maxIter: p.maxIter,
      memory: 20,
      ...(onIteration === undefined
        ? {}
        : { onIteration: (iteration: number, f: number) => onIteration({ iteration, trainLoss: f }) }),
    }
    if (p.solver === 'newton' && k !== 2) {
      throw new InvalidArgumentError(
        `LogisticRegression solver 'newton' handles binary targets only; y has ${k} classes. Use 'auto' or 'lbfgs'.`,
      )
    }
    const useNewtonCd = p.solver === 'newton-cd' || (p.solver === 'auto' && isSparsePenalty(p.penalty))
    const useNewton = k === 2 && (p.solver === 'newton' || (p.solver === 'auto' && x.cols <= 300))
    if (useNewtonCd) checkDenseSolve('LogisticRegression', 'newton-cd', nOut * (x.cols + 1), p.penalty)
    else if (useNewton) checkDenseSolve('LogisticRegression', 'newton', x.cols + 1, p.penalty)
    // The objectives are per unit of weight, so are the penalty strengths handed to the solvers.
    const result = useNewtonCd
      ? proximalNewtonLogistic(
          design,
          nOut,
          objective,
          l1 / weightSum,
          l2 / weightSum,
          p.fitIntercept,
          solverOptions,
        )
      : useNewton
        ? newtonBinaryLogistic(design, objective, l2, p.fitIntercept, solverOptions)
        : minimizeLbfgs(objective, new Float64Array(nOut * (x.cols + 1)), solverOptions)
    const coef = new Float64Array(nOut * x.cols)
    const intercept = new Float64Array(nOut)
    for (let o = 0; o < nOut; o++) {
      coef.set(result.x.subarray(o * (x.cols + 1), o * (x.cols + 1) + x.cols), o * x.cols)
      intercept[o] = result.x[o * (x.cols + 1) + x.cols]!
    }
    return new FittedLogisticRegression({
      params: p,
      featureNames,
      nClasses: k,
      scaler,
      coef,
      intercept,
      featureStd: columnStd(x, sampleWeight),
      iterations: result.iterations,
      converged: result.converged ? 1 : 0,
    })
  }
}

interface LogisticState {
  readonly params: LogisticRegressionParams
  readonly featureNames: readonly string[]
  readonly nClasses: number
  readonly scaler: Standardizer
  /** nOutputs x p on the standardised scale; nOutputs = 1 for binary, k otherwise. */
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly featureStd: Float64Array
  readonly iterations: number
  readonly converged: number
}

/** A fitted {@link LogisticRegression}. `predictProba` columns follow class codes 0..k-1. */
export class FittedLogisticRegression implements FittedClassifier {
  readonly kind = KIND
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly params: LogisticRegressionParams
  /** Solver iterations used, and whether the tolerance was met within `maxIter`. */
  readonly iterations: number
  readonly converged: boolean
  private readonly state: LogisticState

  constructor(state: LogisticState) {
    this.state = state
    this.params = state.params
    this.nClasses = state.nClasses
    this.task = state.nClasses === 2 ? 'binary' : 'multiclass'
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
    this.iterations = state.iterations
    this.converged = state.converged === 1
  }

  /** Raw margins (logits): rows x 1 for binary (positive class), rows x k for multiclass. */
  decisionFunction(x: Matrix): Matrix {
    assertColumns(x, this.nFeatures, this.kind)
    const k = this.state.intercept.length
    return {
      rows: x.rows,
      cols: k,
      data: linearMargins(x, this.state.scaler, this.state.coef, this.state.intercept),
    }
  }

  predictProba(x: Matrix): Matrix {
    const m = this.decisionFunction(x).data
    const k = this.nClasses
    const out = new Float64Array(x.rows * k)
    if (k === 2) {
      for (let i = 0; i < x.rows; i++) {
        const v = m[i]!
        const p1 = v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))
        out[2 * i] = 1 - p1
        out[2 * i + 1] = p1
      }
    } else {
      for (let i = 0; i < x.rows; i++) {
        let max = Number.NEGATIVE_INFINITY
        for (let c = 0; c < k; c++) max = Math.max(max, m[i * k + c]!)
        let sum = 0
        for (let c = 0; c < k; c++) {
          const e = Math.exp(m[i * k + c]! - max)
          out[i * k + c] = e
          sum += e
        }
        for (let c = 0; c < k; c++) out[i * k + c] = out[i * k + c]! / sum
      }
    }
    return { rows: x.rows, cols: k, data: out }
  }

  predict(x: Matrix): Float64Array {
    const proba = this.predictProba(x)
    const k = proba.cols
    const out = new Float64Array(x.rows)
    for (let i = 0; i < x.rows; i++) {
      let best = 0
      for (let c = 1; c < k; c++) if (proba.data[i * k + c]! > proba.data[i * k + best]!) best = c
      out[i] = best
    }
    return out
  }

  /** Coefficients on the standardised and original scales, for explanation. */
  coefficients(): LinearCoefficients {
    const s = this.state
    return {
      featureNames: s.featureNames,
      nOutputs: s.intercept.length,
      standardized: { coef: Float64Array.from(s.coef), intercept: Float64Array.from(s.intercept) },
      original: toOriginalScale(s.coef, s.intercept, s.scaler),
      mean: Float64Array.from(s.scaler.mean),
      scale: Float64Array.from(s.scaler.scale),
    }
  }

  /** |coefficient| x feature standard deviation, summed over classes. */
  featureImportance(): Float64Array {
    return linearImportance(this.state.coef, this.state.scaler.scale, this.state.featureStd)
  }

  toArtifact(): Artifact {
    const s = this.state
    return makeArtifact({
      format: 'model',
      formatVersion: FORMAT_VERSION,
      kind: KIND,
      params: { ...s.params },
      state: {
        nClasses: s.nClasses,
        mean: encodeArray(s.scaler.mean),
        scale: encodeArray(s.scaler.scale),
        coef: encodeArray(s.coef),
        intercept: encodeArray(s.intercept),
        featureStd: encodeArray(s.featureStd),
        iterations: s.iterations,
        converged: s.converged,
      },
      featureNames: [...s.featureNames],
    })
  }
}

/** Reads a `linear-classifier` artifact. @internal */
export function readLogisticRegression(artifact: Artifact<unknown, unknown>): FittedLogisticRegression {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = new LogisticRegression(
    mergeParams(LOGISTIC_REGRESSION_DEFAULT_PARAMS, artifact.params, 'LogisticRegression'),
  ).getParams()
  const st = stateRecord(artifact)
  const p = artifact.featureNames.length
  const nClasses = readNumber(st, 'nClasses', KIND)
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${KIND}': nClasses must be an integer >= 2.`,
    )
  }
  const nOut = nClasses === 2 ? 1 : nClasses
  return new FittedLogisticRegression({
    params,
    featureNames: artifact.featureNames.map(String),
    nClasses,
    scaler: { mean: readF64(st, 'mean', KIND, p), scale: readF64(st, 'scale', KIND, p) },
    coef: readF64(st, 'coef', KIND, nOut * p),
    intercept: readF64(st, 'intercept', KIND, nOut),
    featureStd: readF64(st, 'featureStd', KIND, p),
    iterations: readNumber(st, 'iterations', KIND),
    converged: readNumber(st, 'converged', KIND),
  })
}
