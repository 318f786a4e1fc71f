import { z } from 'zod'
import type { Artifact, Matrix } from '../../core/index.js'
import { DefinedEstimator, defineEstimator, num, oneOf, resolveArtifactParams } from '../define.js'
import type { FitOptions, FittedModel } from '../estimator.js'
import { choleskySolve } from './cholesky.js'
import { COORD_PENALISED, coordinateDescent } from './coordinate-descent.js'
import { minimizeLbfgs } from './lbfgs.js'
import {
  checkSolverFitsPenalty,
  columnStd,
  FittedLinear,
  LINEAR_COMMON_SHAPE,
  type LinearFit,
  readLinearFit,
} from './linear-model.js'
import { checkFitInputs, checkFormatVersion, checkRegressionTarget, resolveFeatureNames } from './model-io.js'
import { squaredObjective } from './objectives.js'
import { checkDenseSolve, isSparsePenalty, penaltyParts } from './penalty.js'
import { applyStandardizer, fitStandardizer } from './standardize.js'

/** 2 added `penalty`, `l1Ratio` and state.converged; version-1 artifacts read as ridge. */
const FORMAT_VERSION = 2
const KIND = 'linear-regressor'
// Coefficients are readable; NaN inputs count as the training mean.
const LINEAR_TAGS = {
  task: 'regression',
  categorical: false,
  missing: 'imputed',
  tree: false,
  interpretable: true,
} as const

/** Params of {@link LinearRegression} (schema; the type is `LinearRegressionParams`). */
export const LINEAR_REGRESSION_SCHEMA = z.object({
  /**
   * Penalty strength on the standardised coefficients (intercept unpenalised). Its scale follows
   * scikit-learn's estimator for each `penalty`, so values carry over from there:
   * - `l2` (ridge): `sum_i w_i (y_i - f_i)^2 + l2 * ||coef||^2`, i.e. `Ridge(alpha = l2)`; the
   *   default 1 matches its default alpha. Use 0 (or penalty `none`) for least squares.
   * - `l1` / `elasticnet`: `1/(2W) sum_i w_i (y_i - f_i)^2 + l2 * (l1Ratio * ||coef||_1 +
   *   (1 - l1Ratio)/2 * ||coef||^2)` with W the total weight, i.e. `Lasso(alpha = l2)` and
   *   `ElasticNet(alpha = l2, l1_ratio = l1Ratio)`. As in scikit-learn, this is the mean loss, so
   *   `elasticnet` with `l1Ratio` 0 equals `l2` with a strength W times larger.
   * Fitting on standardised features, a coefficient is exactly zero under `l1` when its feature's
   * weighted covariance with the residual stays below `l2`: strength 1 zeroes every feature when
   * the target's standard deviation is below 1, so scale it to the target.
   */
  l2: num({ min: 0 }),
  ...LINEAR_COMMON_SHAPE,
  /**
   * `cholesky` solves the normal equations exactly (p x p system); `lbfgs` iterates and suits very
   * wide data; `cd` is cyclic coordinate descent on the p x p weighted Gram matrix (any penalty;
   * the only solver for `l1` and `elasticnet`); `auto` picks cd for `l1`/`elasticnet`, otherwise
   * cholesky up to 2000 features and lbfgs beyond.
   */
  solver: oneOf('auto', 'cholesky', 'lbfgs', 'cd'),
  /**
   * Convergence tolerance. `lbfgs`: max |gradient| of the per-weight objective <= tol * max(1, f).
   * `cd`: duality gap <= tol * (weighted variance of y), scikit-learn's rule (with no L1 part,
   * where the gap is not informative: max |gradient| <= tol * standard deviation of y).
   */
  tol: num({ gt: 0 }),
})

/** Params of {@link LinearRegression}. */
export type LinearRegressionParams = Readonly<z.infer<typeof LINEAR_REGRESSION_SCHEMA>>

/** Defaults of {@link LinearRegression}. */
export const LINEAR_REGRESSION_DEFAULT_PARAMS: LinearRegressionParams = {
  l2: 1,
  penalty: 'l2',
  l1Ratio: 0.5,
  fitIntercept: true,
  standardize: 'numeric',
  solver: 'auto',
  maxIter: 1000,
  tol: 1e-10,
}

/** Params, defaults and tags of {@link LinearRegression}. */
export const LINEAR_REGRESSION = defineEstimator({
  name: 'LinearRegression',
  kind: KIND,
  schema: LINEAR_REGRESSION_SCHEMA,
  defaults: LINEAR_REGRESSION_DEFAULT_PARAMS,
  tags: LINEAR_TAGS,
  refine: (p) => checkSolverFitsPenalty('LinearRegression', p, 'cd'),
})

/**
 * Linear least squares on internally standardised features with a ridge (default), lasso or
 * elastic-net penalty; the L1 penalties are fitted by coordinate descent and give exact zeros.
 */
export class LinearRegression extends DefinedEstimator<
  LinearRegressionParams,
  FittedLinearRegression,
  typeof KIND
> {
  static readonly DEFAULT_PARAMS = LINEAR_REGRESSION_DEFAULT_PARAMS
  static readonly definition = LINEAR_REGRESSION

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedLinearRegression> {
    const p = this.params
    const w = checkFitInputs(x, y, options)
    checkRegressionTarget(y)
    const featureNames = resolveFeatureNames(x.cols, options)
    const scaler = fitStandardizer(x, options?.sampleWeight, p.standardize, options?.indicatorFeatures)
    const z = applyStandardizer(x, scaler)
    const n = x.rows
    const d = x.cols
    let weightSum = 0
    for (let i = 0; i < n; i++) weightSum += w[i]!
    // Penalty 'none' is least squares: strength 0 on whichever solver runs.
    const strength = p.penalty === 'none' ? 0 : p.l2
    if (p.solver === 'cd' || (p.solver === 'auto' && isSparsePenalty(p.penalty))) {
      checkDenseSolve('LinearRegression', 'cd', d + 1, p.penalty)
      const cd = fitByCoordinateDescent(z, n, d, y, w, weightSum, p, options)
      return new FittedLinearRegression({
        params: p,
        featureNames,
        scaler,
        coef: cd.coef,
        intercept: Float64Array.of(cd.intercept),
        featureStd: columnStd(x, w),
        iterations: cd.sweeps,
        converged: cd.converged ? 1 : 0,
      })
    }
    const useCholesky = p.solver === 'cholesky' || (p.solver === 'auto' && d <= 2000)
    if (useCholesky) checkDenseSolve('LinearRegression', 'cholesky', d, p.penalty)
    let coef: Float64Array | undefined
    let intercept = 0
    let iterations = 1
    let converged = true
    if (useCholesky) {
      const solved = solveRidge(z, n, d, y, w, weightSum, strength, p.fitIntercept)
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
        options?.onIteration?.({ iteration: 1, trainLoss: (0.5 * loss + 0.5 * strength * pen) / weightSum })
      }
    }
    if (coef === undefined) {
      // Iterative path (wide data, or a singular system with l2 = 0).
      const onIteration = options?.onIteration
      const result = minimizeLbfgs(
        squaredObjective({ z, n, p: d, y, w, weightSum }, strength, p.fitIntercept),
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
      converged = result.converged
    }
    return new FittedLinearRegression({
      params: p,
      featureNames,
      scaler,
      coef,
      intercept: Float64Array.of(intercept),
      featureStd: columnStd(x, w),
      iterations,
      converged: converged ? 1 : 0,
    })
  }
}

/**
 * Weighted, centred normal equations: a = Zc' W Zc (p x p, full symmetric) and b = Zc' W yc, with
 * Zc and yc centred at their weighted means when fitting an intercept (which then equals
 * ybar - zbar . coef), and yy = yc' W yc.
 */
function centredGram(
  z: Float64Array,
  n: number,
  d: number,
  y: Float64Array,
  w: Float64Array,
  weightSum: number,
  fitIntercept: boolean,
): { a: Float64Array; b: Float64Array; zbar: Float64Array; ybar: number; yy: number } {
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
  let yy = 0
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
      yy += ri * (y[i]! - ybar)
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
  for (let j = 0; j < d; j++) for (let k = 0; k < j; k++) a[k * d + j] = a[j * d + k]!
  return { a, b, zbar, ybar, yy }
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
  const { a, b, zbar, ybar } = centredGram(z, n, d, y, w, weightSum, fitIntercept)
  for (let j = 0; j < d; j++) a[j * d + j]! += l2
  if (!choleskySolve(a, b, d)) return undefined
  let intercept = ybar
  for (let j = 0; j < d; j++) intercept -= zbar[j]! * b[j]!
  return { coef: b, intercept }
}

/**
 * Elastic net by cyclic coordinate descent on the Gram matrix (scikit-learn's
 * enet_coordinate_descent_gram), minimising the per-weight objective
 * `1/(2W) ||yc - Zc coef||_W^2 + l1 * ||coef||_1 + l2/2 * ||coef||^2`. Stops on the duality gap
 * of that problem relative to the weighted variance of y, as scikit-learn does; the gap needs
 * only A coef, which the sweeps keep, so checking it every sweep costs O(p).
 */
function fitByCoordinateDescent(
  z: Float64Array,
  n: number,
  d: number,
  y: Float64Array,
  w: Float64Array,
  weightSum: number,
  p: LinearRegressionParams,
  options: FitOptions | undefined,
): { coef: Float64Array; intercept: number; sweeps: number; converged: boolean } {
  const g = centredGram(z, n, d, y, w, weightSum, p.fitIntercept)
  const a = g.a
  const c = g.b
  for (let k = 0; k < a.length; k++) a[k] = a[k]! / weightSum
  for (let j = 0; j < d; j++) c[j] = c[j]! / weightSum
  const yy = g.yy / weightSum
  // Ridge strength is on the summed loss (scikit-learn's Ridge); on the mean loss it is l2 / W.
  const parts =
    p.penalty === 'l2' ? { l1: 0, l2: p.l2 / weightSum } : penaltyParts(p.penalty, p.l2, p.l1Ratio)
  const { l1, l2 } = parts
  const coef = new Float64Array(d)
  const at = new Float64Array(d)
  const primal = (): { objective: number; gap: number } => {
    let bc = 0
    let bab = 0
    let l1Norm = 0
    let w2 = 0
    let dual = 0
    for (let j = 0; j < d; j++) {
      const b = coef[j]!
      bc += b * c[j]!
      bab += b * at[j]!
      l1Norm += Math.abs(b)
      w2 += b * b
      dual = Math.max(dual, Math.abs(c[j]! - at[j]! - l2 * b))
    }
    const rNorm2 = Math.max(0, yy - 2 * bc + bab)
    const objective = 0.5 * rNorm2 + l1 * l1Norm + 0.5 * l2 * w2
    // Dual point: the residual scaled into the dual feasible set |Z'r| <= l1.
    let k = 1
    let gap = rNorm2
    if (dual > l1) {
      k = l1 / dual
      gap = 0.5 * (rNorm2 + rNorm2 * k * k)
    }
    gap += l1 * l1Norm - k * (yy - bc) + 0.5 * l2 * (1 + k * k) * w2
    return { objective, gap }
  }
  const onIteration = options?.onIteration
  const result = coordinateDescent(
    { q: d, a, c, role: new Uint8Array(d).fill(COORD_PENALISED), l1, l2 },
    coef,
    at,
    {
      maxSweeps: p.maxIter,
      stop: ({ sweep, violation }) => {
        const { objective, gap } = primal()
        onIteration?.({ iteration: sweep, trainLoss: objective })
        // Without an L1 part the dual point above is 0 and the gap is the whole objective;
        // use the gradient instead, relative to the target's standard deviation (its units).
        return l1 > 0 ? gap <= p.tol * yy : violation <= p.tol * Math.sqrt(yy)
      },
    },
  )
  let intercept = 0
  if (p.fitIntercept) {
    intercept = g.ybar
    for (let j = 0; j < d; j++) intercept -= g.zbar[j]! * coef[j]!
  }
  return { coef, intercept, sweeps: result.sweeps, converged: result.stopped }
}

/** A fitted {@link LinearRegression}. */
export class FittedLinearRegression
  extends FittedLinear<LinearRegressionParams, LinearFit<LinearRegressionParams>>
  implements FittedModel
{
  readonly kind = KIND
  readonly task = 'regression' as const

  predict(x: Matrix): Float64Array {
    return this.margins(x)
  }

  toArtifact(): Artifact {
    return this.artifact(FORMAT_VERSION, {})
  }
}

/** Reads a `linear-regressor` artifact. @internal */
export function readLinearRegression(artifact: Artifact<unknown, unknown>): FittedLinearRegression {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = resolveArtifactParams(LINEAR_REGRESSION, artifact)
  // Version 1 had only the exact and L-BFGS ridge solvers and did not record convergence.
  return new FittedLinearRegression(
    readLinearFit(artifact, params, 1, artifact.formatVersion < 2 ? 1 : undefined),
  )
}
