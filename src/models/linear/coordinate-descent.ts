/**
 * Cyclic coordinate descent for an elastic-net-penalised quadratic,
 *
 *   minimise 0.5 * t'At - c't + sum over penalised j of (l1 * |t_j| + l2/2 * t_j^2),
 *
 * the inner solver of the L1 / elastic-net linear models (Friedman, Hastie & Tibshirani 2010,
 * "Regularization paths for generalized linear models via coordinate descent"). Least squares
 * passes its weighted Gram matrix (an exact problem, as scikit-learn's Gram-based cd_fast);
 * logistic regression passes its Hessian (one proximal Newton subproblem). Each coordinate's
 * update is a soft threshold, so coefficients reach exact zeros. `At` is kept up to date by a
 * rank-one column update per changed coordinate, so a sweep costs O(q^2) whatever the row count.
 *
 * Plain coordinate descent crawls when A is (nearly) singular, e.g. a full set of one-hot columns
 * beside an intercept: moving along the flat direction takes all its coordinates at once. So once
 * the support (the set of non-zero coordinates) stops changing, an active-set Newton step solves
 * the problem restricted to that support and sign pattern exactly (a tiny relative ridge keeps the
 * Cholesky factorisation defined), cut short where a coordinate would cross zero, which it then
 * pins at exactly zero. It is kept only when it lowers the objective, so it can only help.
 *
 * Loop bounds guarantee every typed-array index below, hence the non-null assertions.
 */

import { choleskySolve } from './cholesky.js'

/** How each coordinate is treated. @internal */
export const COORD_PENALISED = 0
/** Unpenalised (an intercept). @internal */
export const COORD_FREE = 1
/** Held at its current value (an intercept when fitIntercept is false). @internal */
export const COORD_FIXED = 2

/** The quadratic problem. `a` is q x q, symmetric positive semi-definite, row-major. @internal */
export interface PenalisedQuadratic {
  readonly q: number
  readonly a: Float64Array
  readonly c: Float64Array
  readonly role: Uint8Array
  readonly l1: number
  readonly l2: number
}

/** Result of {@link coordinateDescent}. @internal */
export interface CoordinateDescentResult {
  readonly sweeps: number
  /** Whether `stop` accepted the point (false: the sweep cap was reached). */
  readonly stopped: boolean
}

/** Soft-thresholding operator S(u, l) = sign(u) * max(|u| - l, 0). @internal */
export function softThreshold(u: number, l: number): number {
  return u > l ? u - l : u < -l ? u + l : 0
}

/**
 * Largest violation of the optimality conditions (the smallest subgradient's max-norm) of a
 * penalised problem with gradient `g` of its smooth part at `t`. Zero exactly at the optimum.
 * @internal
 */
export function kktViolation(t: Float64Array, g: Float64Array, role: Uint8Array, l1: number): number {
  let worst = 0
  for (let j = 0; j < t.length; j++) {
    const r = role[j]!
    if (r === COORD_FIXED) continue
    const gj = g[j]!
    let v: number
    if (r === COORD_FREE) v = Math.abs(gj)
    else {
      const tj = t[j]!
      v = tj > 0 ? Math.abs(gj + l1) : tj < 0 ? Math.abs(gj - l1) : Math.max(0, Math.abs(gj) - l1)
    }
    if (v > worst) worst = v
  }
  return worst
}

/** The penalised quadratic's value at t (computes A t afresh). */
function quadraticValue(problem: PenalisedQuadratic, t: Float64Array): number {
  const { q, a, c, role, l1, l2 } = problem
  let v = 0
  for (let j = 0; j < q; j++) {
    let s = 0
    const row = j * q
    for (let k = 0; k < q; k++) s += a[row + k]! * t[k]!
    const tj = t[j]!
    v += 0.5 * tj * s - c[j]! * tj
    if (role[j] === COORD_PENALISED) v += l1 * Math.abs(tj) + 0.5 * l2 * tj * tj
  }
  return v
}

/**
 * Newton step on the current support and signs (see the file comment). Returns whether the
 * step lowered the objective and was taken; `at` is recomputed when it was.
 */
function activeSetStep(problem: PenalisedQuadratic, t: Float64Array, at: Float64Array): boolean {
  const { q, a, c, role, l1, l2 } = problem
  const idx: number[] = []
  for (let j = 0; j < q; j++) {
    const r = role[j]!
    if (r === COORD_FREE || (r === COORD_PENALISED && t[j] !== 0)) idx.push(j)
  }
  const m = idx.length
  if (m === 0) return false
  const sub = new Float64Array(m * m)
  const step = new Float64Array(m)
  let maxDiag = 0
  for (let u = 0; u < m; u++) {
    const j = idx[u]!
    const isPenalised = role[j] === COORD_PENALISED
    const tj = t[j]!
    step[u] = -(at[j]! - c[j]! + (isPenalised ? l2 * tj + l1 * Math.sign(tj) : 0))
    for (let v = 0; v < m; v++) sub[u * m + v] = a[j * q + idx[v]!]!
    if (isPenalised) sub[u * m + u]! += l2
    maxDiag = Math.max(maxDiag, sub[u * m + u]!)
  }
  if (!(maxDiag > 0)) return false
  for (let u = 0; u < m; u++) sub[u * m + u]! += 1e-9 * maxDiag
  if (!choleskySolve(sub, step, m)) return false
  // Longest step along the direction that keeps every penalised sign (the model is convex and
  // minimised at the full step on this orthant, so it falls all the way along).
  let length = 1
  let blocking = -1
  for (let u = 0; u < m; u++) {
    const j = idx[u]!
    if (role[j] !== COORD_PENALISED) continue
    const tj = t[j]!
    const dj = step[u]!
    if (tj * dj < 0 && -tj / dj < length) {
      length = -tj / dj
      blocking = u
    }
  }
  const trial = Float64Array.from(t)
  for (let u = 0; u < m; u++) {
    const j = idx[u]!
    const next = t[j]! + length * step[u]!
    // Rounding must not flip a sign the step was cut to keep.
    trial[j] = u === blocking || (role[j] === COORD_PENALISED && next * t[j]! < 0) ? 0 : next
  }
  if (!(quadraticValue(problem, trial) < quadraticValue(problem, t))) return false
  t.set(trial)
  for (let j = 0; j < q; j++) {
    let s = 0
    const row = j * q
    for (let k = 0; k < q; k++) s += a[row + k]! * t[k]!
    at[j] = s
  }
  return true
}

/**
 * Runs sweeps over all coordinates from `t` (updated in place; `at` must hold A t on entry and
 * holds it on return). After each sweep `stop(info)` decides whether to finish.
 * @internal
 */
export function coordinateDescent(
  problem: PenalisedQuadratic,
  t: Float64Array,
  at: Float64Array,
  options: {
    readonly maxSweeps: number
    readonly stop: (info: { sweep: number; maxChange: number; maxAbs: number; violation: number }) => boolean
  },
): CoordinateDescentResult {
  const { q, a, c, role, l1, l2 } = problem
  const grad = new Float64Array(q)
  let lastNewton = 0
  for (let sweep = 1; sweep <= options.maxSweeps; sweep++) {
    let maxChange = 0
    let maxAbs = 0
    let isSupportChanged = false
    for (let j = 0; j < q; j++) {
      const r = role[j]!
      if (r === COORD_FIXED) continue
      const ajj = a[j * q + j]!
      const old = t[j]!
      const u = c[j]! - at[j]! + ajj * old
      let next: number
      if (r === COORD_FREE) next = ajj > 0 ? u / ajj : old
      else {
        const denom = ajj + l2
        // A column that is zero on every weighted row carries no information: keep it at zero.
        next = denom > 0 ? softThreshold(u, l1) / denom : 0
      }
      const delta = next - old
      if ((next === 0) !== (old === 0)) isSupportChanged = true
      if (delta !== 0) {
        t[j] = next
        const row = j * q
        for (let k = 0; k < q; k++) at[k]! += delta * a[row + k]!
        const ad = Math.abs(delta)
        if (ad > maxChange) maxChange = ad
      }
      const an = Math.abs(next)
      if (an > maxAbs) maxAbs = an
    }
    for (let j = 0; j < q; j++) grad[j] = at[j]! - c[j]! + (role[j] === COORD_PENALISED ? l2 * t[j]! : 0)
    const violation = kktViolation(t, grad, role, l1)
    // A sweep that moves nothing is a fixed point of coordinate descent, i.e. the optimum up to
    // rounding: stop whatever the caller's rule says, rather than spin to the sweep cap.
    if (maxChange === 0 || options.stop({ sweep, maxChange, maxAbs, violation })) {
      return { sweeps: sweep, stopped: true }
    }
    // A few sweeps on a settled support: solve on it directly (see the file comment).
    if (!isSupportChanged && sweep - lastNewton >= 3 && activeSetStep(problem, t, at)) lastNewton = sweep
  }
  return { sweeps: options.maxSweeps, stopped: false }
}
