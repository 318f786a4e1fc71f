import { z } from 'zod'
import type { Artifact, Matrix } from '../../core/index.js'
import { ArtifactError, InvalidArgumentError } from '../../core/index.js'
import { DefinedEstimator, defineEstimator, num, oneOf, resolveArtifactParams } from '../define.js'
import type { FitOptions, FittedClassifier } from '../estimator.js'
import { argmaxRows, probabilitiesFromMargins } from '../estimator.js'
import { minimizeLbfgs } from './lbfgs.js'
import {
  checkSolverFitsPenalty,
  columnStd,
  FittedLinear,
  LINEAR_COMMON_SHAPE,
  type LinearFit,
  readLinearFit,
} from './linear-model.js'
import {
  applyClassWeight,
  checkFitInputs,
  checkFormatVersion,
  countClasses,
  readNumber,
  resolveFeatureNames,
  stateRecord,
} from './model-io.js'
import { newtonBinaryLogistic } from './newton.js'
import { binaryLogisticObjective, softmaxObjective } from './objectives.js'
import { checkDenseSolve, isSparsePenalty, penaltyParts } from './penalty.js'
import { proximalNewtonLogistic } from './proximal-newton.js'
import { applyStandardizer, fitStandardizer } from './standardize.js'

/** 2 added the params `penalty` and `l1Ratio`; version-1 artifacts read as L2. */
const FORMAT_VERSION = 2
const KIND = 'linear-classifier'

/** Params of {@link LogisticRegression} (schema; the type is `LogisticRegressionParams`). */
export const LOGISTIC_REGRESSION_SCHEMA = z.object({
  /**
   * Penalty strength on the standardised coefficients (intercept unpenalised), `1 / C` in
   * scikit-learn's terms for every `penalty`. The objective is
   * `sum_i w_i * logloss_i + l2 * (l1Ratio * ||coef||_1 + (1 - l1Ratio)/2 * ||coef||^2)` with
   * l1Ratio taken as 0 for penalty `l2` and 1 for `l1`: scikit-learn's
   * `LogisticRegression(C = 1 / l2, penalty, l1_ratio = l1Ratio)`. The default 1 matches its
   * default C = 1. Ignored for penalty `none`.
   */
  l2: num({ min: 0 }),
  ...LINEAR_COMMON_SHAPE,
  /** `balanced` weights class c by n / (k * n_c), multiplied into any sample weights. */
  classWeight: oneOf('balanced', null),
  /**
   * `newton` (binary only: exact Newton steps on a (p+1) x (p+1) system), `lbfgs`, `newton-cd`
   * (proximal Newton with coordinate descent on each quadratic model, glmnet style; any penalty,
   * binary or multinomial; the only solver for `l1` and `elasticnet`; builds a q x q Hessian with
   * q = outputs * (p + 1), so it suits moderate widths), or `auto`: newton-cd for `l1` and
   * `elasticnet`, otherwise newton for binary problems with at most 300 features, lbfgs otherwise.
   */
  solver: oneOf('auto', 'newton', 'lbfgs', 'newton-cd'),
  /**
   * Stop when the largest gradient entry of the per-weight objective is below tol * max(1, |f|)
   * (with an L1 part: the smallest subgradient's largest entry).
   */
  tol: num({ gt: 0 }),
})

/** Params of {@link LogisticRegression}. */
export type LogisticRegressionParams = Readonly<z.infer<typeof LOGISTIC_REGRESSION_SCHEMA>>

/** Defaults of {@link LogisticRegression}. */
export const LOGISTIC_REGRESSION_DEFAULT_PARAMS: LogisticRegressionParams = {
  l2: 1,
  penalty: 'l2',
  l1Ratio: 0.5,
  fitIntercept: true,
  classWeight: null,
  standardize: 'numeric',
  solver: 'auto',
  maxIter: 1000,
  tol: 1e-9,
}

/** Params, defaults and tags of {@link LogisticRegression}. */
export const LOGISTIC_REGRESSION = defineEstimator({
  name: 'LogisticRegression',
  kind: KIND,
  schema: LOGISTIC_REGRESSION_SCHEMA,
  defaults: LOGISTIC_REGRESSION_DEFAULT_PARAMS,
  // Coefficients are readable; NaN inputs count as the training mean.
  tags: { task: 'classification', categorical: false, missing: 'imputed', tree: false, interpretable: true },
  refine: (p) => checkSolverFitsPenalty('LogisticRegression', p, 'newton-cd'),
})

/**
 * Logistic regression (binary, or multinomial softmax for k > 2 classes) on internally
 * standardised features with an L2 (default), L1 or elastic-net penalty, fitted to convergence by
 * Newton or L-BFGS (L2) or proximal Newton with coordinate descent (L1 parts, exact zeros).
 */
export class LogisticRegression extends DefinedEstimator<
  LogisticRegressionParams,
  FittedLogisticRegression,
  typeof KIND
> {
  static readonly DEFAULT_PARAMS = LOGISTIC_REGRESSION_DEFAULT_PARAMS
  static readonly definition = LOGISTIC_REGRESSION

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedLogisticRegression> {
    const p = this.params
    const sampleWeight = checkFitInputs(x, y, options)
    const featureNames = resolveFeatureNames(x.cols, options)
    const k = countClasses(y)
    const w = applyClassWeight(y, sampleWeight, k, p.classWeight)
    // Standardise with the sample weights only: class weights reweight the loss, they do not
    // describe the feature distribution.
    const scaler = fitStandardizer(x, options?.sampleWeight, p.standardize, options?.indicatorFeatures)
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

interface LogisticState extends LinearFit<LogisticRegressionParams> {
  readonly nClasses: number
}

/** A fitted {@link LogisticRegression}. `predictProba` columns follow class codes 0..k-1. */
export class FittedLogisticRegression
  extends FittedLinear<LogisticRegressionParams, LogisticState>
  implements FittedClassifier
{
  readonly kind = KIND
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number

  constructor(state: LogisticState) {
    super(state)
    this.nClasses = state.nClasses
    this.task = state.nClasses === 2 ? 'binary' : 'multiclass'
  }

  /** Raw margins (logits): rows x 1 for binary (positive class), rows x k for multiclass. */
  decisionFunction(x: Matrix): Matrix {
    return { rows: x.rows, cols: this.state.intercept.length, data: this.margins(x) }
  }

  predictProba(x: Matrix): Matrix {
    return probabilitiesFromMargins(this.decisionFunction(x).data, x.rows, this.nClasses)
  }

  predict(x: Matrix): Float64Array {
    return argmaxRows(this.predictProba(x))
  }

  toArtifact(): Artifact {
    return this.artifact(FORMAT_VERSION, { nClasses: this.state.nClasses })
  }
}

/** Reads a `linear-classifier` artifact. @internal */
export function readLogisticRegression(artifact: Artifact<unknown, unknown>): FittedLogisticRegression {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = resolveArtifactParams(LOGISTIC_REGRESSION, artifact)
  const nClasses = readNumber(stateRecord(artifact), 'nClasses', KIND)
  if (!Number.isInteger(nClasses) || nClasses < 2) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${KIND}': nClasses must be an integer >= 2.`,
    )
  }
  const nOut = nClasses === 2 ? 1 : nClasses
  return new FittedLogisticRegression({ ...readLinearFit(artifact, params, nOut), nClasses })
}
