/**
 * Limited-memory BFGS (Nocedal & Wright, Numerical Optimization, 2nd ed., Alg. 7.4 and 7.5) with a
 * strong-Wolfe line search (Alg. 3.5 and 3.6, cubic interpolation in the zoom phase). Smooth,
 * unconstrained problems only: the linear models' penalised log-likelihoods.
 */

/** Writes the gradient at `w` into `grad` and returns the objective value. */
export type Objective = (w: Float64Array, grad: Float64Array) => number

/** Stopping rules and history length. @internal */
export interface LbfgsOptions {
  /** Stop when max |gradient| <= gradTol * max(1, |f|). */
  readonly gradTol: number
  readonly maxIter: number
  /** Number of correction pairs kept. */
  readonly memory: number
  readonly onIteration?: (iteration: number, f: number) => void
}

/** Result of a minimisation. @internal */
export interface LbfgsResult {
  readonly x: Float64Array
  readonly f: number
  readonly iterations: number
  readonly converged: boolean
  /** max |gradient| at the returned point. */
  readonly gradMax: number
}

const C1 = 1e-4
const C2 = 0.9

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) {
    const v = Math.abs(a[i]!)
    if (v > m) m = v
  }
  return m
}

/** Minimiser of the cubic through (a, fa, ga) and (b, fb, gb), clamped inside the interval. */
function cubicMin(a: number, fa: number, ga: number, b: number, fb: number, gb: number): number {
  const d1 = ga + gb - (3 * (fa - fb)) / (a - b)
  const disc = d1 * d1 - ga * gb
  const lo = Math.min(a, b)
  const hi = Math.max(a, b)
  if (disc >= 0) {
    const d2 = Math.sign(b - a) * Math.sqrt(disc)
    const t = b - (b - a) * ((gb + d2 - d1) / (gb - ga + 2 * d2))
    // Keep away from the ends so the bracket always shrinks.
    const margin = 0.1 * (hi - lo)
    if (Number.isFinite(t) && t > lo + margin && t < hi - margin) return t
  }
  return (a + b) / 2
}

/**
 * Minimises `objective` from `x0` (not modified). Deterministic: the same inputs give the same
 * iterates bit for bit. @internal
 */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length
  const m = options.memory
  const x = Float64Array.from(x0)
  const g = new Float64Array(n)
  let f = objective(x, g)
  const s: Float64Array[] = []
  const y: Float64Array[] = []
  const rho: number[] = []
  const alpha = new Float64Array(m)
  const d = new Float64Array(n)
  const xNew = new Float64Array(n)
  const gNew = new Float64Array(n)
  let iter = 0
  let gm = maxAbs(g)
  let converged = gm <= options.gradTol * Math.max(1, Math.abs(f))
  let smallSteps = 0
  while (!converged && iter < options.maxIter) {
    // Two-loop recursion: d = -H g.
    for (let i = 0; i < n; i++) d[i] = -g[i]!
    const k = s.length
    for (let j = k - 1; j >= 0; j--) {
      const a = rho[j]! * dot(s[j]!, d)
      alpha[j] = a
      const yj = y[j]!
      for (let i = 0; i < n; i++) d[i]! -= a * yj[i]!
    }
    if (k > 0) {
      const gamma = dot(s[k - 1]!, y[k - 1]!) / dot(y[k - 1]!, y[k - 1]!)
      for (let i = 0; i < n; i++) d[i]! *= gamma
    }
    for (let j = 0; j < k; j++) {
      const b = rho[j]! * dot(y[j]!, d)
      const sj = s[j]!
      const a = alpha[j]!
      for (let i = 0; i < n; i++) d[i]! += (a - b) * sj[i]!
    }
    let dg = dot(d, g)
    if (!(dg < 0)) {
      // Lost descent (rounding): restart from steepest descent.
      s.length = 0
      y.length = 0
      rho.length = 0
      for (let i = 0; i < n; i++) d[i] = -g[i]!
      dg = dot(d, g)
    }
    // First step of a fresh history: scale so the step has unit length at most.
    const t0 = k === 0 ? Math.min(1, 1 / Math.max(1e-300, maxAbs(g))) : 1
    const step = lineSearch(objective, x, f, d, dg, t0, xNew, gNew)
    if (step === undefined) break
    const fNew = step
    const sv = new Float64Array(n)
    const yv = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      sv[i] = xNew[i]! - x[i]!
      yv[i] = gNew[i]! - g[i]!
    }
    const sy = dot(sv, yv)
    const fOld = f
    x.set(xNew)
    g.set(gNew)
    f = fNew
    iter++
    options.onIteration?.(iter, f)
    if (sy > 1e-16 * dot(yv, yv)) {
      if (s.length === m) {
        s.shift()
        y.shift()
        rho.shift()
      }
      s.push(sv)
      y.push(yv)
      rho.push(1 / sy)
    }
    gm = maxAbs(g)
    converged = gm <= options.gradTol * Math.max(1, Math.abs(f))
    // Guard against stalling at the rounding floor: several steps that no longer move f.
    if (fOld - f <= 1e-16 * Math.max(1, Math.abs(f))) {
      smallSteps++
      if (smallSteps >= 5) break
    } else smallSteps = 0
  }
  return { x, f, iterations: iter, converged, gradMax: gm }
}

/**
 * Strong-Wolfe line search along d from x. On success writes the point and gradient into
 * xOut/gOut and returns f there; returns undefined when no acceptable step exists (only at the
 * rounding floor, where the caller stops).
 */
function lineSearch(
  objective: Objective,
  x: Float64Array,
  f0: number,
  d: Float64Array,
  dg0: number,
  t0: number,
  xOut: Float64Array,
  gOut: Float64Array,
): number | undefined {
  const n = x.length
  const evalAt = (t: number): [number, number] => {
    for (let i = 0; i < n; i++) xOut[i] = x[i]! + t * d[i]!
    const fv = objective(xOut, gOut)
    return [fv, dot(gOut, d)]
  }
  let tPrev = 0
  let fPrev = f0
  let gPrev = dg0
  let t = t0
  let best: { t: number; f: number } | undefined
  for (let i = 0; i < 30; i++) {
    const [ft, gt] = evalAt(t)
    if (!Number.isFinite(ft) || ft > f0 + C1 * t * dg0 || (i > 0 && ft >= fPrev)) {
      return zoom(tPrev, fPrev, gPrev, t, ft, gt)
    }
    if (Math.abs(gt) <= -C2 * dg0) return ft
    if (gt >= 0) return zoom(t, ft, gt, tPrev, fPrev, gPrev)
    best = { t, f: ft }
    tPrev = t
    fPrev = ft
    gPrev = gt
    t *= 2
  }
  if (best !== undefined) {
    const [fb] = evalAt(best.t)
    return fb
  }
  return undefined

  function zoom(
    lo: number,
    fLo: number,
    gLo: number,
    hi: number,
    fHi: number,
    gHi: number,
  ): number | undefined {
    for (let j = 0; j < 40; j++) {
      const tj = Number.isFinite(fHi) ? cubicMin(lo, fLo, gLo, hi, fHi, gHi) : (lo + hi) / 2
      const [fj, gj] = evalAt(tj)
      if (!Number.isFinite(fj) || fj > f0 + C1 * tj * dg0 || fj >= fLo) {
        hi = tj
        fHi = fj
        gHi = gj
      } else {
        if (Math.abs(gj) <= -C2 * dg0) return fj
        if (gj * (hi - lo) >= 0) {
          hi = lo
          fHi = fLo
          gHi = gLo
        }
        lo = tj
        fLo = fj
        gLo = gj
      }
      if (Math.abs(hi - lo) < 1e-16 * Math.max(1, Math.abs(lo))) break
    }
    // Accept the best sufficient-decrease point found, if any moved f down.
    if (lo > 0 && fLo < f0) {
      const [fb] = evalAt(lo)
      return fb
    }
    return undefined
  }
}
