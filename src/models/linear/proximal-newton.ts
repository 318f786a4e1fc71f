/**
 * Proximal Newton for L1 / elastic-net penalised logistic regression, binary and multinomial
 * (the glmnet scheme; convergence analysis in Lee, Sun & Saunders 2014, "Proximal Newton-type
 * methods for minimizing composite functions"). Each outer step builds the exact Hessian of the
 * smooth part (log-loss plus the ridge share of the penalty), solves the penalised quadratic
 * model by coordinate descent (which gives exact zeros), then backtracks along the step until
 * the full objective falls by a fixed share of the model's predicted decrease. Unit steps are
 * taken near the optimum, so convergence is fast and the zero pattern settles exactly.
 *
 * Parameter layout as in objectives.ts: per output a block of p coefficients then its intercept.
 * The Hessian is q x q with q = outputs * (p + 1), built in O(n * q^2): this solver suits the
 * moderate widths where the exact Newton solver is used for ridge.
 *
 * Loop bounds guarantee every typed-array index below, hence the non-null assertions.
 */
import {
  COORD_FIXED,
  COORD_FREE,
  COORD_PENALISED,
  coordinateDescent,
  kktViolation,
} from './coordinate-descent.js'
import type { LbfgsResult, Objective } from './lbfgs.js'
import { type Design, softmaxExp } from './objectives.js'

/** Options of {@link proximalNewtonLogistic}. @internal */
export interface ProximalNewtonOptions {
  /** Stop when the optimality violation (max-norm of the smallest subgradient) <= gradTol * max(1, |F|). */
  readonly gradTol: number
  readonly maxIter: number
  readonly onIteration?: (iteration: number, f: number) => void
}

/** Hessian of the per-weight log-loss (no penalty) at theta, q x q row-major. */
function logisticHessian(d: Design, nOut: number, theta: Float64Array, fitIntercept: boolean): Float64Array {
  const { z, n, p, w, weightSum } = d
  const stride = p + 1
  const q = nOut * stride
  const h = new Float64Array(q * q)
  const row = new Float64Array(stride)
  const prob = new Float64Array(Math.max(nOut, 2))
  for (let i = 0; i < n; i++) {
    const off = i * p
    for (let j = 0; j < p; j++) row[j] = z[off + j]!
    row[p] = 1
    const wi = w[i]! / weightSum
    if (wi === 0) continue
    if (nOut === 1) {
      let m = fitIntercept ? theta[p]! : 0
      for (let j = 0; j < p; j++) m += row[j]! * theta[j]!
      const s = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m))
      const hi = wi * s * (1 - s)
      for (let j = 0; j < stride; j++) {
        const v = hi * row[j]!
        const base = j * q
        for (let k = 0; k <= j; k++) h[base + k]! += v * row[k]!
      }
      continue
    }
    const sum = softmaxExp(z, off, p, theta, nOut, fitIntercept, prob)
    for (let c = 0; c < nOut; c++) prob[c] = prob[c]! / sum
    // Block (c, c2) of the softmax Hessian is sum_i w_i P_c (delta_cc2 - P_c2) z~ z~'; lower
    // triangle of the whole matrix, mirrored below.
    for (let c = 0; c < nOut; c++) {
      for (let c2 = 0; c2 <= c; c2++) {
        const coef = wi * prob[c]! * ((c === c2 ? 1 : 0) - prob[c2]!)
        if (coef === 0) continue
        for (let j = 0; j < stride; j++) {
          const v = coef * row[j]!
          const base = (c * stride + j) * q + c2 * stride
          const kEnd = c === c2 ? j : stride - 1
          for (let k = 0; k <= kEnd; k++) h[base + k]! += v * row[k]!
        }
      }
    }
  }
  for (let j = 0; j < q; j++) for (let k = 0; k < j; k++) h[k * q + j] = h[j * q + k]!
  return h
}

/**
 * Minimises `smooth(theta) + l1 * ||coef||_1` where `smooth` is the per-weight logistic or
 * softmax objective including its ridge part `l2/2 * ||coef||^2` (both strengths per unit of
 * weight). Multinomial intercepts are returned centred (softmax is unchanged by a common shift).
 * @internal
 */
export function proximalNewtonLogistic(
  d: Design,
  nOut: number,
  smooth: Objective,
  l1: number,
  l2: number,
  fitIntercept: boolean,
  options: ProximalNewtonOptions,
): LbfgsResult {
  const p = d.p
  const stride = p + 1
  const q = nOut * stride
  const role = new Uint8Array(q)
  for (let o = 0; o < nOut; o++) role[o * stride + p] = fitIntercept ? COORD_FREE : COORD_FIXED
  const l1Norm = (t: Float64Array): number => {
    let s = 0
    for (let j = 0; j < q; j++) if (role[j] === COORD_PENALISED) s += Math.abs(t[j]!)
    return s
  }
  const theta = new Float64Array(q)
  const grad = new Float64Array(q)
  const trial = new Float64Array(q)
  const trialGrad = new Float64Array(q)
  const next = new Float64Array(q)
  const at = new Float64Array(q)
  const c = new Float64Array(q)
  let f = smooth(theta, grad) + l1 * l1Norm(theta)
  let violation = kktViolation(theta, grad, role, l1)
  const target = (): number => options.gradTol * Math.max(1, Math.abs(f))
  let converged = violation <= target()
  let iter = 0
  while (!converged && iter < options.maxIter) {
    const h = logisticHessian(d, nOut, theta, fitIntercept)
    for (let j = 0; j < q; j++) if (role[j] === COORD_PENALISED) h[j * q + j]! += l2
    // Quadratic model g'(t - theta) + 1/2 (t - theta)' H (t - theta) = 1/2 t'Ht - (H theta - g)'t.
    for (let j = 0; j < q; j++) {
      let s = 0
      const base = j * q
      for (let k = 0; k < q; k++) s += h[base + k]! * theta[k]!
      at[j] = s
      c[j] = s - grad[j]!
    }
    next.set(theta)
    // Inexact Newton: solve the model to a fraction of the current violation, tighter as the
    // outer iterate converges (superlinear forcing), but never below what the outer test needs.
    const innerTol = Math.max(Math.min(0.1 * violation, violation * violation), 0.01 * target())
    coordinateDescent({ q, a: h, c, role, l1, l2: 0 }, next, at, {
      maxSweeps: 1000,
      stop: (info) => info.violation <= innerTol,
    })
    let predicted = l1 * (l1Norm(next) - l1Norm(theta))
    for (let j = 0; j < q; j++) predicted += grad[j]! * (next[j]! - theta[j]!)
    // Near the optimum the predicted decrease falls below the rounding of f itself (and may even
    // round to a small positive number), where the sufficient-decrease test can no longer tell;
    // there the unit step is taken when f does not rise beyond rounding (the Newton step is then
    // well inside its region of fast convergence).
    const floor = 8 * Number.EPSILON * Math.max(1, Math.abs(f))
    if (!(predicted <= floor)) break // the model sees ascent: an inner solve gone wrong
    const atFloor = -predicted <= floor
    let step = 1
    let fNew = f
    let accepted = false
    for (let ls = 0; ls < 50; ls++) {
      for (let j = 0; j < q; j++) trial[j] = step === 1 ? next[j]! : theta[j]! + step * (next[j]! - theta[j]!)
      fNew = smooth(trial, trialGrad) + l1 * l1Norm(trial)
      if (fNew <= f + 1e-4 * step * predicted || (atFloor && fNew <= f + floor)) {
        accepted = true
        break
      }
      step /= 2
    }
    if (!accepted) break
    theta.set(trial)
    grad.set(trialGrad)
    f = fNew
    iter++
    options.onIteration?.(iter, f)
    violation = kktViolation(theta, grad, role, l1)
    converged = violation <= target()
  }
  if (nOut > 1 && fitIntercept) {
    let mean = 0
    for (let o = 0; o < nOut; o++) mean += theta[o * stride + p]!
    mean /= nOut
    for (let o = 0; o < nOut; o++) theta[o * stride + p] = theta[o * stride + p]! - mean
  }
  return { x: theta, f, iterations: iter, converged, gradMax: violation }
}
