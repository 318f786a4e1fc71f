import type { Matrix } from '../core/index.js'
import { EvalInputError } from './errors.js'

/** Numbers in, numbers out: the array-ish inputs every metric accepts. */
export type NumericArray = ArrayLike<number>

/** @internal Throws unless every array has the length of `yTrue`. */
export function checkSameLength(
  what: string,
  yTrue: NumericArray,
  others: Record<string, NumericArray | undefined>,
): void {
  for (const [name, values] of Object.entries(others)) {
    if (values !== undefined && values.length !== yTrue.length) {
      throw new EvalInputError(
        `${what}: yTrue has ${yTrue.length} values but ${name} has ${values.length}. Pass one value per row.`,
        { yTrue: yTrue.length, [name]: values.length },
      )
    }
  }
  if (yTrue.length === 0) throw new EvalInputError(`${what}: received no rows. Pass at least one row.`)
}

/** @internal Weights as a Float64Array (all ones when absent); rejects negative or non-finite weights. */
export function weightsOrOnes(n: number, sampleWeight: NumericArray | undefined): Float64Array {
  const w = new Float64Array(n)
  if (sampleWeight === undefined) return w.fill(1)
  for (let i = 0; i < n; i++) {
    const v = sampleWeight[i]!
    if (!(v >= 0) || !Number.isFinite(v)) {
      throw new EvalInputError(`sampleWeight[${i}] is ${v}; weights must be finite and >= 0.`, { index: i })
    }
    w[i] = v
  }
  return w
}

/** @internal Throws unless every label is exactly 0 or 1. */
export function checkBinaryLabels(what: string, yTrue: NumericArray): void {
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]
    if (v !== 0 && v !== 1) {
      throw new EvalInputError(
        `${what}: yTrue[${i}] is ${v}; binary metrics expect class codes 0 and 1 (1 = positive).`,
        { index: i, value: v },
      )
    }
  }
}

/** @internal Throws unless every label is an integer class code in [0, nClasses). */
export function checkClassCodes(what: string, y: NumericArray, nClasses: number, name = 'yTrue'): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!Number.isInteger(v) || v < 0 || v >= nClasses) {
      throw new EvalInputError(
        `${what}: ${name}[${i}] is ${v}; expected an integer class code in [0, ${nClasses}).`,
        { index: i, value: v, nClasses },
      )
    }
  }
}

/** @internal Number of classes implied by the largest class code in the arrays. */
export function inferClassCount(...arrays: NumericArray[]): number {
  let max = 0
  for (const a of arrays) for (let i = 0; i < a.length; i++) max = Math.max(max, a[i]!)
  return Math.floor(max) + 1
}

/** @internal Throws unless the probability matrix has one row per label. */
export function checkProbaRows(what: string, yTrue: NumericArray, proba: Matrix): void {
  if (proba.rows !== yTrue.length) {
    throw new EvalInputError(
      `${what}: yTrue has ${yTrue.length} values but proba has ${proba.rows} rows. Pass one row per label.`,
      { yTrue: yTrue.length, probaRows: proba.rows },
    )
  }
}

/** @internal Argmax per row (first maximum wins, as numpy does). */
export function argmaxRows(proba: Matrix): Float64Array {
  const out = new Float64Array(proba.rows)
  for (let r = 0; r < proba.rows; r++) {
    let best = 0
    let bestValue = proba.data[r * proba.cols]!
    for (let c = 1; c < proba.cols; c++) {
      const v = proba.data[r * proba.cols + c]!
      if (v > bestValue) {
        bestValue = v
        best = c
      }
    }
    out[r] = best
  }
  return out
}
