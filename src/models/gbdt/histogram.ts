/**
 * Gradient/hessian histograms. A histogram holds, for every bin of every feature, the gradient sum,
 * the hessian sum and, with exact counts, the row count: `inputs.histStride` doubles per bin
 * (HIST_STRIDE with counts, HESSIAN_HIST_STRIDE without). Feature f's bins start at
 * featureOffset[f] * stride. Only the smaller child of a split is built from rows; the larger one is
 * its parent minus the smaller (LightGBM's sibling subtraction), which roughly halves the work.
 * Without counts (histogramCounts 'hessian') the split search estimates a bin's rows from its
 * hessian sum, as LightGBM does: one load and one store fewer per row and feature.
 */

import type { ArenaLayout, HistKernel } from './wasm-hist.js'

/** Doubles per histogram bin with exact counts: gradient sum, hessian sum, count. */
export const HIST_STRIDE = 3
/** Doubles per histogram bin without counts: gradient sum, hessian sum. */
export const HESSIAN_HIST_STRIDE = 2

/** Doubles per histogram bin: 2 (counts estimated from hessians) or 3 (exact counts). */
export type HistStride = typeof HESSIAN_HIST_STRIDE | typeof HIST_STRIDE

/**
 * A node's rows and their gradients and hessians, aligned: the rows of a node are rows[start..end)
 * of one row buffer, and grad[i], hess[i] belong to rows[i] (they move with their rows).
 */
export interface RowBuffer {
  readonly rows: Int32Array
  readonly grad: Float64Array
  readonly hess: Float64Array
}

/** What a histogram build reads; every array may live in a SharedArrayBuffer. */
export interface HistogramInputs {
  /** Column-major bins: bins[f * nRows + r]. */
  readonly bins: Uint8Array
  readonly nRows: number
  /**
   * The two row buffers: the root's rows are in buffer 0, and each split moves a node's rows into
   * the other buffer, so a node's rows are in buffer (its depth mod 2).
   */
  readonly buf: readonly [RowBuffer, RowBuffer]
  readonly featureOffset: Int32Array
  readonly nBins: Int32Array
  /** All histograms, each `histSize` doubles long. */
  readonly histPool: Float64Array
  readonly histSize: number
  /** Doubles per bin: HIST_STRIDE (with counts) or HESSIAN_HIST_STRIDE (without). */
  readonly histStride: HistStride
  /** Where the arrays above live when they share one WebAssembly memory (see wasm-hist.ts). */
  readonly arena?: ArenaLayout
}

/**
 * Builds the histograms of features features[fFrom..fTo) for the node rows[start..end) of row
 * buffer `buffer` into histogram `slot`. Each feature is summed by one thread in row order, so the
 * result does not depend on how features are spread over threads.
 */
export function buildHistogramFeatures(
  inputs: HistogramInputs,
  features: Int32Array,
  fFrom: number,
  fTo: number,
  slot: number,
  buffer: 0 | 1,
  start: number,
  end: number,
  kernel: HistKernel | null = null,
): void {
  // Loop bounds guarantee every index below is in range (non-null assertions are safe).
  const { nRows, featureOffset, nBins, histPool: hist, histStride: S } = inputs
  const { rows, grad: og, hess: oh } = inputs.buf[buffer]
  const histBase = slot * inputs.histSize
  for (let j = fFrom; j < fTo; j++) {
    const f = features[j]!
    const base = histBase + featureOffset[f]! * S
    hist.fill(0, base, base + (nBins[f]! + 1) * S)
  }
  const arena = inputs.arena
  if (kernel !== null && arena !== undefined) {
    // Same loops in WebAssembly, on byte addresses into the arena.
    const col = (f: number) => arena.bins + f * nRows
    const at = (f: number) => arena.histPool + (histBase + featureOffset[f]! * S) * 8
    const { rows: pr, grad: pg, hess: ph } = arena.buf[buffer]
    const counted = S === HIST_STRIDE
    const hist8 = counted ? kernel.hist8 : kernel.hist8h
    const hist4 = counted ? kernel.hist4 : kernel.hist4h
    const hist1 = counted ? kernel.hist1 : kernel.hist1h
    let jw = fFrom
    for (; jw + 8 <= fTo; jw += 8) {
      const cols: number[] = []
      const bases: number[] = []
      for (let q = 0; q < 8; q++) {
        cols.push(col(features[jw + q]!))
        bases.push(at(features[jw + q]!))
      }
      hist8(pr, pg, ph, start, end, ...cols, ...bases)
    }
    for (; jw + 4 <= fTo; jw += 4) {
      const f0 = features[jw]!
      const f1 = features[jw + 1]!
      const f2 = features[jw + 2]!
      const f3 = features[jw + 3]!
      hist4(pr, pg, ph, start, end, col(f0), col(f1), col(f2), col(f3), at(f0), at(f1), at(f2), at(f3))
    }
    if (!counted)
      for (; jw + 2 <= fTo; jw += 2) {
        const f0 = features[jw]!
        const f1 = features[jw + 1]!
        kernel.hist2h(pr, pg, ph, start, end, col(f0), col(f1), at(f0), at(f1))
      }
    for (; jw < fTo; jw++) hist1(pr, pg, ph, start, end, col(features[jw]!), at(features[jw]!))
    return
  }
  const range: RowRange = { rows, og, oh, start, end }
  if (S === HIST_STRIDE) buildCountedJs(inputs, features, fFrom, fTo, histBase, range)
  else for (let j = fFrom; j < fTo; j++) buildFeatureJs(inputs, features[j]!, histBase, S, range)
}

/** A node's rows with their gradients and hessians: rows[start..end). */
interface RowRange {
  readonly rows: Int32Array
  readonly og: Float64Array
  readonly oh: Float64Array
  readonly start: number
  readonly end: number
}

/** The JavaScript loop with counts (HIST_STRIDE). */
function buildCountedJs(
  inputs: HistogramInputs,
  features: Int32Array,
  fFrom: number,
  fTo: number,
  histBase: number,
  range: RowRange,
): void {
  const { bins, nRows, featureOffset, histPool: hist } = inputs
  const { rows, og, oh, start, end } = range
  let j = fFrom
  // Four features per pass over the rows: the row index, gradient and hessian are loaded once
  // for four bins, which is about twice as fast in V8 as one feature per pass.
  for (; j + 4 <= fTo; j += 4) {
    const f0 = features[j]!
    const f1 = features[j + 1]!
    const f2 = features[j + 2]!
    const f3 = features[j + 3]!
    const b0 = histBase + featureOffset[f0]! * HIST_STRIDE
    const b1 = histBase + featureOffset[f1]! * HIST_STRIDE
    const b2 = histBase + featureOffset[f2]! * HIST_STRIDE
    const b3 = histBase + featureOffset[f3]! * HIST_STRIDE
    const c0 = f0 * nRows
    const c1 = f1 * nRows
    const c2 = f2 * nRows
    const c3 = f3 * nRows
    for (let i = start; i < end; i++) {
      const r = rows[i]!
      const g = og[i]!
      const h = oh[i]!
      const k0 = b0 + bins[c0 + r]! * HIST_STRIDE
      hist[k0] = hist[k0]! + g
      hist[k0 + 1] = hist[k0 + 1]! + h
      hist[k0 + 2] = hist[k0 + 2]! + 1
      const k1 = b1 + bins[c1 + r]! * HIST_STRIDE
      hist[k1] = hist[k1]! + g
      hist[k1 + 1] = hist[k1 + 1]! + h
      hist[k1 + 2] = hist[k1 + 2]! + 1
      const k2 = b2 + bins[c2 + r]! * HIST_STRIDE
      hist[k2] = hist[k2]! + g
      hist[k2 + 1] = hist[k2 + 1]! + h
      hist[k2 + 2] = hist[k2 + 2]! + 1
      const k3 = b3 + bins[c3 + r]! * HIST_STRIDE
      hist[k3] = hist[k3]! + g
      hist[k3 + 1] = hist[k3 + 1]! + h
      hist[k3 + 2] = hist[k3 + 2]! + 1
    }
  }
  for (; j < fTo; j++) buildFeatureJs(inputs, features[j]!, histBase, HIST_STRIDE, range)
}

/** One feature's bins, one row at a time: with counts (stride 3) or without (stride 2). */
function buildFeatureJs(
  inputs: HistogramInputs,
  f: number,
  histBase: number,
  S: HistStride,
  range: RowRange,
): void {
  const { bins, nRows, featureOffset, histPool: hist } = inputs
  const { rows, og, oh, start, end } = range
  const base = histBase + featureOffset[f]! * S
  const colBase = f * nRows
  for (let i = start; i < end; i++) {
    const k = base + bins[colBase + rows[i]!]! * S
    hist[k] = hist[k]! + og[i]!
    hist[k + 1] = hist[k + 1]! + oh[i]!
    if (S === HIST_STRIDE) hist[k + 2] = hist[k + 2]! + 1
  }
}

/**
 * parent -= child over features[fFrom..nFeatures): turns the parent's histogram into the larger
 * sibling's.
 */
export function subtractHistogram(
  inputs: HistogramInputs,
  features: Int32Array,
  nFeatures: number,
  parentSlot: number,
  childSlot: number,
  fFrom = 0,
): void {
  const { featureOffset, nBins, histPool: hist, histSize, histStride: S } = inputs
  const pBase = parentSlot * histSize
  const cBase = childSlot * histSize
  for (let j = fFrom; j < nFeatures; j++) {
    const f = features[j]!
    const from = featureOffset[f]! * S
    const to = from + (nBins[f]! + 1) * S
    for (let k = from; k < to; k++) hist[pBase + k] = hist[pBase + k]! - hist[cBase + k]!
  }
}
