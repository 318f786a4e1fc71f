import { CalibratorError, EvalInputError } from './errors.js'
import { quantile } from './resampling.js'
import { checkBinaryLabels, checkSameLength, type NumericArray, weightsOrOnes } from './validate.js'

/** How reliability bins are placed: equal widths on [0, 1], or equal counts. */
export type BinStrategy = 'uniform' | 'quantile'

/** A reliability (calibration) curve; only non-empty bins appear. */
export interface ReliabilityCurve {
  /** Fraction of positives per bin. */
  readonly probTrue: Float64Array
  /** Mean predicted probability per bin. */
  readonly probPred: Float64Array
  /** Rows per bin. */
  readonly counts: Float64Array
  /** All nBins + 1 edges, including those of empty bins. */
  readonly binEdges: Float64Array
}

/**
 * Reliability curve as sklearn `calibration_curve`: bins are right-closed (a probability on an
 * inner edge falls in the lower bin); quantile edges use numpy's linear percentile.
 * @throws EvalInputError when a probability is outside [0, 1].
 */
export function reliabilityCurve(
  yTrue: NumericArray,
  proba: NumericArray,
  options: { nBins?: number; strategy?: BinStrategy } = {},
): ReliabilityCurve {
  const nBins = options.nBins ?? 10
  const strategy = options.strategy ?? 'uniform'
  checkSameLength('reliabilityCurve', yTrue, { proba })
  checkBinaryLabels('reliabilityCurve', yTrue)
  if (!(Number.isInteger(nBins) && nBins >= 1))
    throw new EvalInputError(`nBins must be a positive integer; got ${nBins}.`)
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i]!
    if (!(p >= 0 && p <= 1)) throw new EvalInputError(`proba[${i}] is ${p}; probabilities must be in [0, 1].`)
  }
  const edges = new Float64Array(nBins + 1)
  if (strategy === 'uniform') {
    for (let i = 0; i <= nBins; i++) edges[i] = i / nBins
  } else {
    const sorted = Float64Array.from(proba).sort()
    for (let i = 0; i <= nBins; i++) edges[i] = quantile(sorted, i / nBins)
  }
  const sums = new Float64Array(nBins)
  const trues = new Float64Array(nBins)
  const totals = new Float64Array(nBins)
  for (let i = 0; i < proba.length; i++) {
    const p = proba[i]!
    // searchsorted(edges[1:-1], p, side='left'): count inner edges strictly below p
    let bin = 0
    while (bin < nBins - 1 && edges[bin + 1]! < p) bin++
    sums[bin]! += p
    trues[bin]! += yTrue[i]!
    totals[bin]! += 1
  }
  const probTrue: number[] = []
  const probPred: number[] = []
  const counts: number[] = []
  for (let b = 0; b < nBins; b++) {
    if (totals[b] === 0) continue
    probTrue.push(trues[b]! / totals[b]!)
    probPred.push(sums[b]! / totals[b]!)
    counts.push(totals[b]!)
  }
  return {
    probTrue: Float64Array.from(probTrue),
    probPred: Float64Array.from(probPred),
    counts: Float64Array.from(counts),
    binEdges: edges,
  }
}

/** Serialised calibrator state. */
export type CalibratorJSON =
  | { readonly kind: 'platt'; readonly a: number; readonly b: number }
  | { readonly kind: 'isotonic'; readonly x: readonly number[]; readonly y: readonly number[] }

/** A fitted calibrator: maps scores to calibrated positive-class probabilities. */
export interface Calibrator {
  readonly kind: CalibratorJSON['kind']
  transform(scores: NumericArray): Float64Array
  toJSON(): CalibratorJSON
}

function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z))
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z))
}

/**
 * Platt scaling: p = 1 / (1 + exp(a * score + b)), fitted by Newton's method with
 * backtracking (Lin, Lin & Weng 2007) on Platt's smoothed targets, the same objective as
 * sklearn's `CalibratedClassifierCV(method='sigmoid')` (same sign convention for a and b).
 */
export class PlattCalibrator implements Calibrator {
  readonly kind = 'platt' as const

  constructor(
    readonly a: number,
    readonly b: number,
  ) {
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw new CalibratorError(`Platt parameters must be finite; got a=${a}, b=${b}.`)
    }
  }

  /**
   * Fits a and b on validation scores and binary labels.
   * @throws EvalInputError on mismatched lengths or labels other than 0/1.
   */
  static fit(scores: NumericArray, yTrue: NumericArray, sampleWeight?: NumericArray): PlattCalibrator {
    checkSameLength('PlattCalibrator.fit', yTrue, { scores, sampleWeight })
    checkBinaryLabels('PlattCalibrator.fit', yTrue)
    const n = yTrue.length
    const w = weightsOrOnes(n, sampleWeight)
    let prior0 = 0
    let prior1 = 0
    for (let i = 0; i < n; i++) {
      if (yTrue[i] === 1) prior1 += w[i]!
      else prior0 += w[i]!
    }
    // Platt's targets keep the fit away from 0/1 probabilities on separable data
    const hi = (prior1 + 1) / (prior1 + 2)
    const lo = 1 / (prior0 + 2)
    const t = new Float64Array(n)
    for (let i = 0; i < n; i++) t[i] = yTrue[i] === 1 ? hi : lo
    const objective = (a: number, b: number): number => {
      let total = 0
      for (let i = 0; i < n; i++) {
        const z = a * scores[i]! + b
        total += w[i]! * (softplus(z) - (1 - t[i]!) * z)
      }
      return total
    }
    let a = 0
    let b = Math.log((prior0 + 1) / (prior1 + 1))
    let value = objective(a, b)
    for (let iter = 0; iter < 200; iter++) {
      let ga = 0
      let gb = 0
      let haa = 1e-12
      let hab = 0
      let hbb = 1e-12
      for (let i = 0; i < n; i++) {
        const f = scores[i]!
        const p = sigmoid(-(a * f + b))
        const d = w[i]! * (t[i]! - p)
        const h = w[i]! * p * (1 - p)
        ga += d * f
        gb += d
        haa += h * f * f
        hab += h * f
        hbb += h
      }
      if (
        Math.abs(ga) < 1e-11 * Math.max(1, prior0 + prior1) &&
        Math.abs(gb) < 1e-11 * Math.max(1, prior0 + prior1)
      )
        break
      const det = haa * hbb - hab * hab
      const da = -(hbb * ga - hab * gb) / det
      const db = -(-hab * ga + haa * gb) / det
      const slope = ga * da + gb * db
      let step = 1
      let accepted = false
      while (step >= 1e-10) {
        const next = objective(a + step * da, b + step * db)
        if (next <= value + 1e-4 * step * slope) {
          a += step * da
          b += step * db
          value = next
          accepted = true
          break
        }
        step /= 2
      }
      if (!accepted) break
    }
    return new PlattCalibrator(a, b)
  }

  transform(scores: NumericArray): Float64Array {
    const out = new Float64Array(scores.length)
    for (let i = 0; i < scores.length; i++) out[i] = sigmoid(-(this.a * scores[i]! + this.b))
    return out
  }

  toJSON(): CalibratorJSON {
    return { kind: 'platt', a: this.a, b: this.b }
  }
}

/**
 * Isotonic calibration: a non-decreasing step-linear map fitted by weighted pool-adjacent-
 * violators, equal to sklearn `IsotonicRegression(out_of_bounds='clip')`: tied scores are
 * pooled first, transform interpolates linearly between fitted points and clips outside.
 */
export class IsotonicCalibrator implements Calibrator {
  readonly kind = 'isotonic' as const
  readonly x: Float64Array
  readonly y: Float64Array

  constructor(x: ArrayLike<number>, y: ArrayLike<number>) {
    if (x.length === 0 || x.length !== y.length) {
      throw new CalibratorError(
        `Isotonic state needs equal, non-empty x and y; got ${x.length} and ${y.length}.`,
      )
    }
    for (let i = 1; i < x.length; i++) {
      if (!(x[i]! > x[i - 1]!) || y[i]! < y[i - 1]!) {
        throw new CalibratorError(`Isotonic state must have increasing x and non-decreasing y (index ${i}).`)
      }
    }
    this.x = Float64Array.from(x)
    this.y = Float64Array.from(y)
  }

  /**
   * Fits the isotonic map on validation scores and binary labels (or any targets in [0, 1]).
   * @throws EvalInputError on mismatched lengths or NaN scores.
   */
  static fit(scores: NumericArray, yTrue: NumericArray, sampleWeight?: NumericArray): IsotonicCalibrator {
    checkSameLength('IsotonicCalibrator.fit', yTrue, { scores, sampleWeight })
    const w = weightsOrOnes(yTrue.length, sampleWeight)
    const order = Array.from({ length: yTrue.length }, (_, i) => i).filter((i) => {
      if (Number.isNaN(scores[i]!)) throw new EvalInputError(`scores[${i}] is NaN; pass numeric scores.`)
      return w[i]! > 0
    })
    order.sort((i, j) => scores[i]! - scores[j]! || yTrue[i]! - yTrue[j]!)
    // pool rows with equal scores into one weighted point
    const xs: number[] = []
    const sumWy: number[] = []
    const sumW: number[] = []
    for (const i of order) {
      const last = xs.length - 1
      if (last >= 0 && xs[last] === scores[i]) {
        sumWy[last]! += w[i]! * yTrue[i]!
        sumW[last]! += w[i]!
      } else {
        xs.push(scores[i]!)
        sumWy.push(w[i]! * yTrue[i]!)
        sumW.push(w[i]!)
      }
    }
    if (xs.length === 0)
      throw new EvalInputError('IsotonicCalibrator.fit needs at least one row with positive weight.')
    // pool adjacent violators over blocks of (weighted sum, weight, first index)
    const blockSum: number[] = []
    const blockWeight: number[] = []
    const blockStart: number[] = []
    for (let i = 0; i < xs.length; i++) {
      blockSum.push(sumWy[i]!)
      blockWeight.push(sumW[i]!)
      blockStart.push(i)
      while (blockSum.length > 1) {
        const k = blockSum.length - 1
        if (blockSum[k - 1]! / blockWeight[k - 1]! < blockSum[k]! / blockWeight[k]!) break
        blockSum[k - 1]! += blockSum[k]!
        blockWeight[k - 1]! += blockWeight[k]!
        blockSum.pop()
        blockWeight.pop()
        blockStart.pop()
      }
    }
    const fitted = new Float64Array(xs.length)
    for (let k = 0; k < blockStart.length; k++) {
      const end = k + 1 < blockStart.length ? blockStart[k + 1]! : xs.length
      const mean = blockSum[k]! / blockWeight[k]!
      for (let i = blockStart[k]!; i < end; i++) fitted[i] = mean
    }
    return new IsotonicCalibrator(xs, fitted)
  }

  transform(scores: NumericArray): Float64Array {
    const out = new Float64Array(scores.length)
    const n = this.x.length
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i]!
      if (Number.isNaN(s)) {
        out[i] = Number.NaN
        continue
      }
      if (s <= this.x[0]!) {
        out[i] = this.y[0]!
        continue
      }
      if (s >= this.x[n - 1]!) {
        out[i] = this.y[n - 1]!
        continue
      }
      let lo = 0
      let hi = n - 1
      while (hi - lo > 1) {
        const mid = (lo + hi) >> 1
        if (this.x[mid]! <= s) lo = mid
        else hi = mid
      }
      const x0 = this.x[lo]!
      const x1 = this.x[hi]!
      const y0 = this.y[lo]!
      out[i] = y0 + ((this.y[hi]! - y0) * (s - x0)) / (x1 - x0)
    }
    return out
  }

  toJSON(): CalibratorJSON {
    return { kind: 'isotonic', x: Array.from(this.x), y: Array.from(this.y) }
  }
}

/**
 * Rebuilds a calibrator from {@link Calibrator.toJSON} output (e.g. read from an artifact).
 * @throws CalibratorError when the value is not a valid calibrator state.
 */
export function calibratorFromJSON(value: unknown): Calibrator {
  if (typeof value !== 'object' || value === null)
    throw new CalibratorError('Calibrator JSON must be an object.')
  const v = value as Record<string, unknown>
  switch (v.kind) {
    case 'platt':
      if (typeof v.a !== 'number' || typeof v.b !== 'number') {
        throw new CalibratorError('Platt calibrator JSON needs numeric a and b.')
      }
      return new PlattCalibrator(v.a, v.b)
    case 'isotonic': {
      const isNumbers = (a: unknown): a is number[] =>
        Array.isArray(a) && a.every((e) => typeof e === 'number')
      if (!isNumbers(v.x) || !isNumbers(v.y))
        throw new CalibratorError('Isotonic calibrator JSON needs numeric arrays x and y.')
      return new IsotonicCalibrator(v.x, v.y)
    }
    default:
      throw new CalibratorError(
        `Unknown calibrator kind ${JSON.stringify(v.kind)}; expected 'platt' or 'isotonic'.`,
      )
  }
}
