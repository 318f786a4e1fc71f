/**
 * Penalised negative log-likelihoods of the linear models on standardised features, each divided
 * by the total sample weight so the gradient tolerance means the same at any data size.
 *
 * Parameter layout: for each output o (one for binary logistic and regression, k for softmax) a
 * block of p coefficients followed by its intercept: theta[o * (p + 1) + j], j = p the intercept.
 * The intercept is never penalised.
 */
import type { Objective } from './lbfgs.js'

/** Standardised design: row-major n x p, targets, weights. @internal */
export interface Design {
  readonly z: Float64Array
  readonly n: number
  readonly p: number
  readonly y: Float64Array
  readonly w: Float64Array
  readonly weightSum: number
}

/** log(1 + exp(m)) without overflow. */
function softplus(m: number): number {
  return m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))
}

/**
 * The gradient of a one-output objective from its weighted residuals r (dLoss/dMargin per row):
 * grad[j] = (Σᵢ rᵢ zᵢⱼ + l2 θⱼ) / W, the intercept's Σᵢ rᵢ / W (0 without one). Returns Σⱼ θⱼ², the
 * caller's penalty. Rows with r = 0 are skipped: the standardised design is finite, and adding +0 or
 * -0 to a sum that starts at +0 never changes it, so the result is bit-identical either way and
 * zero-weight or exactly fitted rows cost nothing.
 */
function singleOutputGradient(
  d: Design,
  resid: Float64Array,
  theta: Float64Array,
  l2: number,
  fitIntercept: boolean,
  grad: Float64Array,
): number {
  const { z, n, p, weightSum } = d
  grad.fill(0)
  let gb = 0
  for (let i = 0; i < n; i++) {
    const r = resid[i]!
    if (r === 0) continue
    gb += r
    const off = i * p
    for (let j = 0; j < p; j++) grad[j]! += r * z[off + j]!
  }
  let pen = 0
  for (let j = 0; j < p; j++) {
    const t = theta[j]!
    pen += t * t
    grad[j] = (grad[j]! + l2 * t) / weightSum
  }
  grad[p] = fitIntercept ? gb / weightSum : 0
  return pen
}

/** Binary logistic loss; y in {0, 1}. @internal */
export function binaryLogisticObjective(d: Design, l2: number, fitIntercept: boolean): Objective {
  const { z, n, p, y, w, weightSum } = d
  const margin = new Float64Array(n)
  return (theta, grad) => {
    const b = fitIntercept ? theta[p]! : 0
    let loss = 0
    for (let i = 0; i < n; i++) {
      let m = b
      const off = i * p
      for (let j = 0; j < p; j++) m += z[off + j]! * theta[j]!
      loss += w[i]! * (softplus(m) - y[i]! * m)
      // Reuse the buffer for the residual sigmoid(m) - y, weighted.
      const s = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m))
      margin[i] = w[i]! * (s - y[i]!)
    }
    const pen = singleOutputGradient(d, margin, theta, l2, fitIntercept, grad)
    return (loss + 0.5 * l2 * pen) / weightSum
  }
}

/**
 * out[c] = exp(s_c - max s) for the softmax scores s_c = intercept_c + z[off..off+p) . theta_c
 * (k classes, stride p + 1 per class in theta); returns their sum. @internal
 */
export function softmaxExp(
  z: Float64Array,
  off: number,
  p: number,
  theta: Float64Array,
  k: number,
  fitIntercept: boolean,
  out: Float64Array,
): number {
  const stride = p + 1
  let max = Number.NEGATIVE_INFINITY
  for (let c = 0; c < k; c++) {
    const base = c * stride
    let s = fitIntercept ? theta[base + p]! : 0
    for (let j = 0; j < p; j++) s += z[off + j]! * theta[base + j]!
    out[c] = s
    if (s > max) max = s
  }
  let sumExp = 0
  for (let c = 0; c < k; c++) {
    const e = Math.exp(out[c]! - max)
    out[c] = e
    sumExp += e
  }
  return sumExp
}

/** Multinomial (softmax) cross-entropy over k classes; y holds class codes. @internal */
export function softmaxObjective(d: Design, k: number, l2: number, fitIntercept: boolean): Objective {
  const { z, n, p, y, w, weightSum } = d
  const stride = p + 1
  const m = new Float64Array(k)
  const resid = new Float64Array(n * k)
  return (theta, grad) => {
    let loss = 0
    for (let i = 0; i < n; i++) {
      const sumExp = softmaxExp(z, i * p, p, theta, k, fitIntercept, m)
      const yi = y[i]!
      const wi = w[i]!
      // -log softmax_y = log(sum exp) + max - m_y; m now holds exp(m - max).
      loss += wi * (Math.log(sumExp) - Math.log(m[yi]!))
      for (let c = 0; c < k; c++) resid[i * k + c] = wi * (m[c]! / sumExp - (c === yi ? 1 : 0))
    }
    grad.fill(0)
    for (let i = 0; i < n; i++) {
      const off = i * p
      for (let c = 0; c < k; c++) {
        const r = resid[i * k + c]!
        const base = c * stride
        grad[base + p]! += r
        for (let j = 0; j < p; j++) grad[base + j]! += r * z[off + j]!
      }
    }
    let pen = 0
    for (let c = 0; c < k; c++) {
      const base = c * stride
      for (let j = 0; j < p; j++) {
        const t = theta[base + j]!
        pen += t * t
        grad[base + j] = (grad[base + j]! + l2 * t) / weightSum
      }
      grad[base + p] = fitIntercept ? grad[base + p]! / weightSum : 0
    }
    return (loss + 0.5 * l2 * pen) / weightSum
  }
}

/** Half squared error, the ridge objective when solved iteratively. @internal */
export function squaredObjective(d: Design, l2: number, fitIntercept: boolean): Objective {
  const { z, n, p, y, w, weightSum } = d
  const resid = new Float64Array(n)
  return (theta, grad) => {
    const b = fitIntercept ? theta[p]! : 0
    let loss = 0
    for (let i = 0; i < n; i++) {
      let m = b
      const off = i * p
      for (let j = 0; j < p; j++) m += z[off + j]! * theta[j]!
      const r = m - y[i]!
      loss += w[i]! * r * r
      resid[i] = w[i]! * r
    }
    const pen = singleOutputGradient(d, resid, theta, l2, fitIntercept, grad)
    return (0.5 * loss + 0.5 * l2 * pen) / weightSum
  }
}
