/**
 * Losses as gradient/hessian producers. Raw scores are row-major n x nOutputs margins. Every
 * gradient and hessian is multiplied by the row weight (null weights mean 1).
 */

export type ObjectiveKind = 'logistic' | 'softmax' | 'squared-error' | 'absolute-error' | 'huber'

/** Hessians below this are clamped so a confident leaf cannot divide by ~0. */
const MIN_HESS = 1e-16

export interface Objective {
  readonly kind: ObjectiveKind
  readonly nOutputs: number
  /** Starting margins (the constant model minimising the loss). */
  initScore(y: Float64Array, w: Float64Array | null): Float64Array
  /** Called once per boosting round before `gradients` (softmax computes probabilities here). */
  prepare(raw: Float64Array, y: Float64Array, w: Float64Array | null, n: number): void
  /** Gradients and hessians of output k for rows 0..n-1. */
  gradients(
    k: number,
    raw: Float64Array,
    y: Float64Array,
    w: Float64Array | null,
    grad: Float64Array,
    hess: Float64Array,
    n: number,
  ): void
  /** Weighted mean loss of rows 0..n-1. */
  loss(raw: Float64Array, y: Float64Array, w: Float64Array | null, n: number): number
  /** True when leaf values are refitted from residuals after growing (absolute error). */
  readonly refitsLeaves: boolean
}

function weightedMean(y: Float64Array, w: Float64Array | null): number {
  let s = 0
  let sw = 0
  for (let i = 0; i < y.length; i++) {
    const wi = w === null ? 1 : w[i]!
    s += wi * y[i]!
    sw += wi
  }
  return sw > 0 ? s / sw : 0
}

/** Weighted quantile (lower interpolation-free definition: smallest v with cumulative weight >= q). */
export function weightedQuantile(values: Float64Array, w: Float64Array | null, q: number): number {
  const n = values.length
  if (n === 0) return 0
  if (w === null) {
    const sorted = Float64Array.from(values).sort()
    // Median of an even count: mean of the two middle values (as numpy), other quantiles: nearest.
    if (q === 0.5 && n % 2 === 0) return (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2
    return sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]! || a - b)
  let total = 0
  for (let i = 0; i < n; i++) total += w[i]!
  let acc = 0
  for (const i of order) {
    acc += w[i]!
    if (acc >= q * total) return values[i]!
  }
  return values[order[n - 1]!]!
}

/**
 * Gradients and hessians of rows [from, to) for a single-output loss whose gradient depends only
 * on the row (no per-round state): the same arithmetic on any thread, so rows can be split over
 * threads with bit-identical results.
 */
export type RowGradients = (
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  grad: Float64Array,
  hess: Float64Array,
  from: number,
  to: number,
) => void

const logisticRows: RowGradients = (raw, y, w, grad, hess, from, to) => {
  for (let i = from; i < to; i++) {
    const p = 1 / (1 + Math.exp(-raw[i]!))
    const h = p * (1 - p)
    if (w === null) {
      grad[i] = p - y[i]!
      hess[i] = Math.max(h, MIN_HESS)
    } else {
      const wi = w[i]!
      grad[i] = (p - y[i]!) * wi
      hess[i] = Math.max(h, MIN_HESS) * wi
    }
  }
}

const squaredErrorRows: RowGradients = (raw, y, w, grad, hess, from, to) => {
  for (let i = from; i < to; i++) {
    const wi = w === null ? 1 : w[i]!
    grad[i] = (raw[i]! - y[i]!) * wi
    hess[i] = wi
  }
}

const absoluteErrorRows: RowGradients = (raw, y, w, grad, hess, from, to) => {
  for (let i = from; i < to; i++) {
    const wi = w === null ? 1 : w[i]!
    const d = raw[i]! - y[i]!
    grad[i] = (d > 0 ? 1 : d < 0 ? -1 : 0) * wi
    hess[i] = wi
  }
}

/** The row-local gradients of `kind`, or null where a loss needs per-round state (softmax, huber). */
export function rowGradients(kind: ObjectiveKind): RowGradients | null {
  if (kind === 'logistic') return logisticRows
  if (kind === 'squared-error') return squaredErrorRows
  if (kind === 'absolute-error') return absoluteErrorRows
  return null
}

export function logistic(): Objective {
  return {
    kind: 'logistic',
    nOutputs: 1,
    refitsLeaves: false,
    initScore(y, w) {
      const p = Math.min(1 - 1e-15, Math.max(1e-15, weightedMean(y, w)))
      return Float64Array.of(Math.log(p / (1 - p)))
    },
    prepare() {},
    gradients(_k, raw, y, w, grad, hess, n) {
      logisticRows(raw, y, w, grad, hess, 0, n)
    },
    loss(raw, y, w, n) {
      let s = 0
      let sw = 0
      for (let i = 0; i < n; i++) {
        const f = raw[i]!
        // log(1 + e^f) - y f, computed stably.
        const l = (f > 0 ? f + Math.log1p(Math.exp(-f)) : Math.log1p(Math.exp(f))) - y[i]! * f
        const wi = w === null ? 1 : w[i]!
        s += wi * l
        sw += wi
      }
      return sw > 0 ? s / sw : 0
    },
  }
}

export function softmax(nClasses: number): Objective {
  let proba = new Float64Array(0)
  return {
    kind: 'softmax',
    nOutputs: nClasses,
    refitsLeaves: false,
    initScore(y, w) {
      const counts = new Float64Array(nClasses)
      let total = 0
      for (let i = 0; i < y.length; i++) {
        const wi = w === null ? 1 : w[i]!
        counts[y[i]!] = counts[y[i]!]! + wi
        total += wi
      }
      const out = new Float64Array(nClasses)
      for (let k = 0; k < nClasses; k++) out[k] = Math.log(Math.max(1e-15, counts[k]! / total))
      return out
    },
    prepare(raw, _y, _w, n) {
      if (proba.length < n * nClasses) proba = new Float64Array(n * nClasses)
      softmaxRows(raw, proba, n, nClasses)
    },
    gradients(k, _raw, y, w, grad, hess, n) {
      for (let i = 0; i < n; i++) {
        const p = proba[i * nClasses + k]!
        const target = y[i] === k ? 1 : 0
        const h = p * (1 - p)
        const wi = w === null ? 1 : w[i]!
        grad[i] = (p - target) * wi
        hess[i] = Math.max(h, MIN_HESS) * wi
      }
    },
    loss(raw, y, w, n) {
      let s = 0
      let sw = 0
      for (let i = 0; i < n; i++) {
        const o = i * nClasses
        let max = Number.NEGATIVE_INFINITY
        for (let k = 0; k < nClasses; k++) max = Math.max(max, raw[o + k]!)
        let z = 0
        for (let k = 0; k < nClasses; k++) z += Math.exp(raw[o + k]! - max)
        const l = Math.log(z) + max - raw[o + y[i]!]!
        const wi = w === null ? 1 : w[i]!
        s += wi * l
        sw += wi
      }
      return sw > 0 ? s / sw : 0
    },
  }
}

/** Row-wise softmax of n x k margins into `out`. */
export function softmaxRows(raw: Float64Array, out: Float64Array, n: number, k: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * k
    let max = Number.NEGATIVE_INFINITY
    for (let c = 0; c < k; c++) max = Math.max(max, raw[o + c]!)
    let z = 0
    for (let c = 0; c < k; c++) {
      const e = Math.exp(raw[o + c]! - max)
      out[o + c] = e
      z += e
    }
    for (let c = 0; c < k; c++) out[o + c] = out[o + c]! / z
  }
}

export function squaredError(): Objective {
  return {
    kind: 'squared-error',
    nOutputs: 1,
    refitsLeaves: false,
    initScore: (y, w) => Float64Array.of(weightedMean(y, w)),
    prepare() {},
    gradients(_k, raw, y, w, grad, hess, n) {
      squaredErrorRows(raw, y, w, grad, hess, 0, n)
    },
    loss(raw, y, w, n) {
      let s = 0
      let sw = 0
      for (let i = 0; i < n; i++) {
        const d = raw[i]! - y[i]!
        const wi = w === null ? 1 : w[i]!
        s += wi * d * d
        sw += wi
      }
      return sw > 0 ? s / sw / 2 : 0
    },
  }
}

export function absoluteError(): Objective {
  return {
    kind: 'absolute-error',
    nOutputs: 1,
    refitsLeaves: true,
    initScore: (y, w) => Float64Array.of(weightedQuantile(y, w, 0.5)),
    prepare() {},
    gradients(_k, raw, y, w, grad, hess, n) {
      absoluteErrorRows(raw, y, w, grad, hess, 0, n)
    },
    loss(raw, y, w, n) {
      let s = 0
      let sw = 0
      for (let i = 0; i < n; i++) {
        const wi = w === null ? 1 : w[i]!
        s += wi * Math.abs(raw[i]! - y[i]!)
        sw += wi
      }
      return sw > 0 ? s / sw : 0
    },
  }
}

/**
 * Huber loss with the threshold re-estimated every round as the `alpha` quantile of the absolute
 * residuals (scikit-learn's GradientBoostingRegressor rule), so it adapts to the target's scale.
 */
export function huber(alpha: number): Objective {
  let delta = 1
  let residuals = new Float64Array(0)
  const lossOf = (d: number): number => {
    const a = Math.abs(d)
    return a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta)
  }
  return {
    kind: 'huber',
    nOutputs: 1,
    refitsLeaves: false,
    initScore: (y, w) => Float64Array.of(weightedQuantile(y, w, 0.5)),
    prepare(raw, y, w, n) {
      if (residuals.length !== n) residuals = new Float64Array(n)
      for (let i = 0; i < n; i++) residuals[i] = Math.abs(y[i]! - raw[i]!)
      delta = Math.max(1e-12, weightedQuantile(residuals, w === null ? null : w.subarray(0, n), alpha))
    },
    gradients(_k, raw, y, w, grad, hess, n) {
      for (let i = 0; i < n; i++) {
        const wi = w === null ? 1 : w[i]!
        const d = raw[i]! - y[i]!
        const g = Math.min(delta, Math.max(-delta, d))
        grad[i] = g * wi
        hess[i] = wi
      }
    },
    loss(raw, y, w, n) {
      let s = 0
      let sw = 0
      for (let i = 0; i < n; i++) {
        const wi = w === null ? 1 : w[i]!
        s += wi * lossOf(raw[i]! - y[i]!)
        sw += wi
      }
      return sw > 0 ? s / sw : 0
    },
  }
}
