import type { Artifact, Matrix } from '../../core/index.js'
import { assertColumns, encodeArray, InvalidArgumentError, makeArtifact } from '../../core/index.js'
import { flag, int, num, oneOf } from '../define.js'
import { readF64, readNumber, stateRecord } from './model-io.js'
import type { Penalty } from './penalty.js'
import { isSparsePenalty } from './penalty.js'
import type { Standardizer } from './standardize.js'
import { applyStandardizer } from './standardize.js'

/**
 * Coefficients of a fitted linear model on both scales. Row o of a coefficient matrix (k x p,
 * row-major) belongs to output o: the positive class for binary logistic regression (one row),
 * each class for multinomial, the target for regression (one row).
 */
export interface LinearCoefficients {
  readonly featureNames: readonly string[]
  readonly nOutputs: number
  /** On the internally standardised features z = (x - mean) / scale, as optimised. */
  readonly standardized: { readonly coef: Float64Array; readonly intercept: Float64Array }
  /** On the original feature units: margin = intercept + sum_j coef_j * x_j. */
  readonly original: { readonly coef: Float64Array; readonly intercept: Float64Array }
  readonly mean: Float64Array
  readonly scale: Float64Array
}

/** Converts standardised-scale coefficients to the original units. @internal */
export function toOriginalScale(
  coef: Float64Array,
  intercept: Float64Array,
  s: Standardizer,
): { coef: Float64Array; intercept: Float64Array } {
  const p = s.mean.length
  const k = intercept.length
  const oc = new Float64Array(k * p)
  const oi = new Float64Array(k)
  for (let o = 0; o < k; o++) {
    let b = intercept[o]!
    for (let j = 0; j < p; j++) {
      const c = coef[o * p + j]! / s.scale[j]!
      oc[o * p + j] = c
      b -= c * s.mean[j]!
    }
    oi[o] = b
  }
  return { coef: oc, intercept: oi }
}

/**
 * Margins (rows x k) of a linear model on standardised inputs; NaN inputs count as the training
 * mean. @internal
 */
export function linearMargins(
  x: Matrix,
  s: Standardizer,
  coef: Float64Array,
  intercept: Float64Array,
): Float64Array {
  const z = applyStandardizer(x, s)
  const p = x.cols
  const k = intercept.length
  const out = new Float64Array(x.rows * k)
  for (let i = 0; i < x.rows; i++) {
    const off = i * p
    for (let o = 0; o < k; o++) {
      let m = intercept[o]!
      const base = o * p
      for (let j = 0; j < p; j++) m += z[off + j]! * coef[base + j]!
      out[i * k + o] = m
    }
  }
  return out
}

/**
 * Importance of each feature: |coefficient| times the feature's standard deviation (the effect
 * of a one-SD change on the margin), summed over outputs. @internal
 */
export function linearImportance(
  coef: Float64Array,
  scale: Float64Array,
  featureStd: Float64Array,
): Float64Array {
  const p = scale.length
  const k = coef.length / p
  const out = new Float64Array(p)
  for (let o = 0; o < k; o++) {
    for (let j = 0; j < p; j++) out[j]! += Math.abs((coef[o * p + j]! / scale[j]!) * featureStd[j]!)
  }
  return out
}

/** Weighted standard deviation of each column ignoring NaN (used for importances). @internal */
export function columnStd(x: Matrix, w: Float64Array): Float64Array {
  const { rows, cols, data } = x
  const s = new Float64Array(cols)
  const s2 = new Float64Array(cols)
  const sw = new Float64Array(cols)
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!
      if (Number.isNaN(v)) continue
      s[c]! += wr * v
      sw[c]! += wr
    }
  }
  for (let c = 0; c < cols; c++) s[c] = sw[c]! > 0 ? s[c]! / sw[c]! : 0
  for (let r = 0; r < rows; r++) {
    const wr = w[r]!
    for (let c = 0; c < cols; c++) {
      const v = data[r * cols + c]!
      if (Number.isNaN(v)) continue
      const d = v - s[c]!
      s2[c]! += wr * d * d
    }
  }
  const out = new Float64Array(cols)
  for (let c = 0; c < cols; c++) out[c] = sw[c]! > 0 ? Math.sqrt(s2[c]! / sw[c]!) : 0
  return out
}

/**
 * Schema shape of the params both linear models share (each adds its own `l2` scale, `solver`
 * and `tol` rule, documented there). @internal
 */
export const LINEAR_COMMON_SHAPE = {
  /** Which penalty `l2` sets the strength of; `l2` (ridge) by default. See {@link Penalty}. */
  penalty: oneOf('l2', 'l1', 'elasticnet', 'none'),
  /** Share of L1 in the `elasticnet` penalty, in [0, 1] (scikit-learn's `l1_ratio`, default 0.5). */
  l1Ratio: num({ min: 0, max: 1 }),
  fitIntercept: flag(),
  /**
   * Which columns are scaled to unit variance before fitting (all are centred); `numeric` by
   * default (bundles fitted before it existed keep the `non-binary` they were fitted with).
   */
  standardize: oneOf('all', 'numeric', 'non-binary', 'none'),
  /** Iteration cap (solver iterations or coordinate-descent sweeps); reaching it is not an error. */
  maxIter: int({ min: 1 }),
}

/**
 * The L1 penalties are not smooth: only the coordinate-descent solver (`l1Solver`) or `auto`
 * can fit them. @internal
 */
export function checkSolverFitsPenalty(
  name: string,
  p: { readonly penalty: Penalty; readonly solver: string },
  l1Solver: string,
): void {
  if (isSparsePenalty(p.penalty) && p.solver !== 'auto' && p.solver !== l1Solver) {
    throw new InvalidArgumentError(
      `${name} param 'solver' is '${p.solver}', which cannot fit penalty '${p.penalty}' (its L1 part is not smooth). Use solver 'auto' or '${l1Solver}'.`,
      { param: 'solver' },
    )
  }
}

/** Fitted state both linear models keep (`coef` is nOutputs x p on the standardised scale). @internal */
export interface LinearFit<P> {
  readonly params: P
  readonly featureNames: readonly string[]
  readonly scaler: Standardizer
  readonly coef: Float64Array
  readonly intercept: Float64Array
  readonly featureStd: Float64Array
  readonly iterations: number
  /** 1 when the solver met its tolerance (a number, as stored in artifacts). */
  readonly converged: number
}

/** What a fitted linear regression and a fitted logistic regression share. @internal */
export abstract class FittedLinear<P extends object, S extends LinearFit<P>> {
  abstract readonly kind: string
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly params: P
  /** Solver iterations (coordinate-descent sweeps, L-BFGS or Newton iterations; 1 for cholesky). */
  readonly iterations: number
  /** Whether the solver met its tolerance within `maxIter` (always true for cholesky). */
  readonly converged: boolean
  protected readonly state: S

  constructor(state: S) {
    this.state = state
    this.params = state.params
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
    this.iterations = state.iterations
    this.converged = state.converged === 1
  }

  /** Margins, rows x nOutputs. */
  protected margins(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    return linearMargins(x, this.state.scaler, this.state.coef, this.state.intercept)
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

  /** |coefficient| x feature standard deviation, summed over outputs (classes). */
  featureImportance(): Float64Array {
    return linearImportance(this.state.coef, this.state.scaler.scale, this.state.featureStd)
  }

  /** The artifact: the model's own state fields first (the order artifacts always had), then the shared ones. */
  protected artifact(formatVersion: number, own: Readonly<Record<string, unknown>>): Artifact {
    const s = this.state
    return makeArtifact({
      format: 'model',
      formatVersion,
      kind: this.kind,
      params: { ...s.params },
      state: {
        ...own,
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

/**
 * Reads the state both linear models store, for `nOutputs` outputs; `converged` overrides the
 * stored flag (for versions that did not record it). @internal
 */
export function readLinearFit<P>(
  artifact: Artifact<unknown, unknown>,
  params: P,
  nOutputs: number,
  converged?: number,
): LinearFit<P> {
  const st = stateRecord(artifact)
  const kind = artifact.kind
  const p = artifact.featureNames.length
  return {
    params,
    featureNames: artifact.featureNames.map(String),
    scaler: { mean: readF64(st, 'mean', kind, p), scale: readF64(st, 'scale', kind, p) },
    coef: readF64(st, 'coef', kind, nOutputs * p),
    intercept: readF64(st, 'intercept', kind, nOutputs),
    featureStd: readF64(st, 'featureStd', kind, p),
    iterations: readNumber(st, 'iterations', kind),
    converged: converged ?? readNumber(st, 'converged', kind),
  }
}
