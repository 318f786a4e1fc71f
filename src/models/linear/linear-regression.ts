import type { Artifact, Matrix } from '../../core/index.js'
import { assertColumns, encodeArray, makeArtifact } from '../../core/index.js'
import type { Estimator, FitOptions, FittedModel } from '../estimator.js'
import { choleskySolve } from './cholesky.js'
import { minimizeLbfgs } from './lbfgs.js'
import type { LinearCoefficients } from './linear-model.js'
import { columnStd, linearImportance, linearMargins, toOriginalScale } from './linear-model.js'
import {
  checkChoice,
  checkFitInputs,
  checkFormatVersion,
  checkNumber,
  checkRegressionTarget,
  mergeParams,
  readF64,
  readNumber,
  resolveFeatureNames,
  stateRecord,
} from './model-io.js'
import { squaredObjective } from './objectives.js'
import type { StandardizeMode, Standardizer } from './standardize.js'
import { applyStandardizer, fitStandardizer } from './standardize.js'

const FORMAT_VERSION = 1
const KIND = 'linear-regressor'

/** Params of {@link LinearRegression}. */
export interface LinearRegressionParams {
  /**
   * Ridge penalty on the standardised coefficients. The objective is
   * `sum_i w_i * (y_i - f_i)^2 + l2 * ||coef||^2` (intercept unpenalised), i.e. scikit-learn's
   * `Ridge(alpha = l2)`; the default 1 matches its default alpha = 1. Use 0 for least squares.
   */
  readonly l2: number
  readonly fitIntercept: boolean
  /** Which columns are scaled to unit variance before fitting (all are centred). */
  readonly standardize: StandardizeMode
  /**
   * `cholesky` solves the normal equations exactly (p x p system); `lbfgs` iterates and suits very
   * wide data; `auto` picks cholesky up to 2000 features.
   */
  readonly solver: 'auto' | 'cholesky' | 'lbfgs'
  readonly maxIter: number
  readonly tol: number
}

/** Defaults of {@link LinearRegression}. */
export const LINEAR_REGRESSION_DEFAULT_PARAMS: LinearRegressionParams = {
  l2: 1,
  fitIntercept: true,
  standardize: 'non-binary',
  solver: 'auto',
  maxIter: 1000,
  tol: 1e-10,
}

function checkParams(p: LinearRegressionParams): void {
  const what = 'LinearRegression'
  checkNumber(what, 'l2', p.l2, { min: 0 })
  checkChoice(what, 'fitIntercept', p.fitIntercept, [true, false])
  checkChoice(what, 'standardize', p.standardize, ['all', 'non-binary', 'none'])
  checkChoice(what, 'solver', p.solver, ['auto', 'cholesky', 'lbfgs'])
  checkNumber(what, 'maxIter', p.maxIter, { min: 1, integer: true })
  checkNumber(what, 'tol', p.tol, { min: 0, exclusiveMin: true })
}

/** Linear least squares with an L2 (ridge) penalty on internally standardised features. */
export class LinearRegression implements Estimator<LinearRegressionParams, FittedLinearRegression> {
  static readonly DEFAULT_PARAMS = LINEAR_REGRESSION_DEFAULT_PARAMS
  readonly kind = KIND
  private readonly params: LinearRegressionParams

  constructor(params: Partial<LinearRegressionParams> = {}) {
    this.params = mergeParams(LINEAR_REGRESSION_DEFAULT_PARAMS, params, 'LinearRegression')
    checkParams(this.params)
  }

  getParams(): LinearRegressionParams {
    return { ...this.params }
  }

  withParams(patch: Partial<LinearRegressionParams>): LinearRegression {
    return new LinearRegression({ ...this.params, ...patch })
  }

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedLinearRegression> {
    const p = this.params
    const w = checkFitInputs(x, y, options)
    checkRegressionTarget(y)
    const featureNames = resolveFeatureNames(x.cols, options)
    const scaler = fitStandardizer(x, options?.sampleWeight, p.standardize)
    const z = applyStandardizer(x, scaler)
    const n = x.rows
    const d = x.cols
    let weightSum = 0
    for (let i = 0; i < n; i++) weightSum += w[i]!
    const useCholesky = p.solver === 'cholesky' || (p.solver === 'auto' && d <= 2000)
    let coef: Float64Array | undefined
    let intercept = 0
    let iterations = 1
    if (useCholesky) {
      const solved = solveRidge(z, n, d, y, w, weightSum, p.l2, p.fitIntercept)
      if (solved !== undefined) {
        coef = solved.coef
        intercept = solved.intercept
        let loss = 0
        for (let i = 0; i < n; i++) {
          let m = intercept
          for (let j = 0; j < d; j++) m += z[i * d + j]! * coef[j]!
          loss += w[i]! * (m - y[i]!) ** 2
        }
        let pen = 0
        for (let j = 0; j < d; j++) pen += coef[j]! ** 2
        options?.onIteration?.({ iteration: 1, trainLoss: (0.5 * loss + 0.5 * p.l2 * pen) / weightSum })
      }
    }
    if (coef === undefined) {
      // Iterative path (wide data, or a singular system with l2 = 0).
      const onIteration = options?.onIteration
      const result = minimizeLbfgs(
        squaredObjective({ z, n, p: d, y, w, weightSum }, p.l2, p.fitIntercept),
        new Float64Array(d + 1),
        {
          gradTol: p.tol,
          maxIter: p.maxIter,
          memory: 20,
          ...(onIteration === undefined
            ? {}
            : { onIteration: (iteration, f) => onIteration({ iteration, trainLoss: f }) }),
        },
      )
      coef = result.x.slice(0, d)
      intercept = result.x[d]!
      iterations = result.iterations
    }
    return new FittedLinearRegression({
      params: p,
      featureNames,
      scaler,
      coef,
      intercept: Float64Array.of(intercept),
      featureStd: columnStd(x, w),
      iterations,
    })
  }
}

/**
 * Exact ridge solution: with weighted centring, coef = (Zc' W Zc + l2 I)^-1 Zc' W yc and
 * intercept = ybar - zbar . coef. Returns undefined when the system is singular (l2 = 0 and
 * collinear columns).
 */
function solveRidge(
  z: Float64Array,
  n: number,
  d: number,
  y: Float64Array,
  w: Float64Array,
  weightSum: number,
  l2: number,
  fitIntercept: boolean,
): { coef: Float64Array; intercept: number } | undefined {
  const zbar = new Float64Array(d)
  let ybar = 0
  if (fitIntercept) {
    for (let i = 0; i < n; i++) {
      const wi = w[i]!
      ybar += wi * y[i]!
      for (let j = 0; j < d; j++) zbar[j]! += wi * z[i * d + j]!
    }
    ybar /= weightSum
    for (let j = 0; j < d; j++) zbar[j] = zbar[j]! / weightSum
  }
  const a = new Float64Array(d * d)
  const b = new Float64Array(d)
  // Centred, weighted rows four at a time: a rank-4 update streams the p x p triangle once per
  // four rows instead of once per row (the triangle outgrows L2 at a few hundred features).
  const r0 = new Float64Array(d)
  const r1 = new Float64Array(d)
  const r2 = new Float64Array(d)
  const r3 = new Float64Array(d)
  const blocks = [r0, r1, r2, r3]
  const sw = new Float64Array(4)
  for (let i0 = 0; i0 < n; i0 += 4) {
    for (let t = 0; t < 4; t++) {
      const r = blocks[t]!
      const i = i0 + t
      if (i >= n) {
        r.fill(0)
        sw[t] = 0
        continue
      }
      const wi = w[i]!
      sw[t] = Math.sqrt(wi)
      const ri = wi * (y[i]! - ybar)
      for (let j = 0; j < d; j++) {
        const c = z[i * d + j]! - zbar[j]!
        b[j]! += c * ri
        r[j] = sw[t]! * c
      }
    }
    for (let j = 0; j < d; j++) {
      const v0 = r0[j]!
      const v1 = r1[j]!
      const v2 = r2[j]!
      const v3 = r3[j]!
      const base = j * d
      // Lower triangle only; mirrored below.
      for (let k = 0; k <= j; k++) a[base + k]! += v0 * r0[k]! + v1 * r1[k]! + v2 * r2[k]! + v3 * r3[k]!
    }
  }
  for (let j = 0; j < d; j++) {
    a[j * d + j]! += l2
    for (let k = 0; k < j; k++) a[k * d + j] = a[j * d + k]!
  }
  if (!choleskySolve(a, b, d)) return undefined
  let intercept = ybar
  for (let j = 0; j < d; j++) intercept -= zbar[j]! * b[j]!
  return { coef: b, intercept }
}

interface RegressionState {
  readonly params: LinearRegressionParams
  readonly featureNames: readonly string[]
  readonly scaler: Standardizer
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly featureStd: Float64Array
  readonly iterations: number
}

/** A fitted {@link LinearRegression}. */
export class FittedLinearRegression implements FittedModel {
  readonly kind = KIND
  readonly task = 'regression' as const
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly params: LinearRegressionParams
  private readonly state: RegressionState

  constructor(state: RegressionState) {
    this.state = state
    this.params = state.params
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
  }

  predict(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    return linearMargins(x, this.state.scaler, this.state.coef, this.state.intercept)
  }

  /** Coefficients on the standardised and original scales, for explanation. */
  coefficients(): LinearCoefficients {
    const s = this.state
    return {
      featureNames: s.featureNames,
      nOutputs: 1,
      standardized: { coef: Float64Array.from(s.coef), intercept: Float64Array.from(s.intercept) },
      original: toOriginalScale(s.coef, s.intercept, s.scaler),
      mean: Float64Array.from(s.scaler.mean),
      scale: Float64Array.from(s.scaler.scale),
    }
  }

  /** |coefficient| x feature standard deviation. */
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
        mean: encodeArray(s.scaler.mean),
        scale: encodeArray(s.scaler.scale),
        coef: encodeArray(s.coef),
        intercept: encodeArray(s.intercept),
        featureStd: encodeArray(s.featureStd),
        iterations: s.iterations,
      },
      featureNames: [...s.featureNames],
    })
  }
}

/** Reads a `linear-regressor` artifact. @internal */
export function readLinearRegression(artifact: Artifact<unknown, unknown>): FittedLinearRegression {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = new LinearRegression(
    mergeParams(LINEAR_REGRESSION_DEFAULT_PARAMS, artifact.params, 'LinearRegression'),
  ).getParams()
  const st = stateRecord(artifact)
  const p = artifact.featureNames.length
  return new FittedLinearRegression({
    params,
    featureNames: artifact.featureNames.map(String),
    scaler: { mean: readF64(st, 'mean', KIND, p), scale: readF64(st, 'scale', KIND, p) },
    coef: readF64(st, 'coef', KIND, p),
    intercept: readF64(st, 'intercept', KIND, 1),
    featureStd: readF64(st, 'featureStd', KIND, p),
    iterations: readNumber(st, 'iterations', KIND),
  })
}
