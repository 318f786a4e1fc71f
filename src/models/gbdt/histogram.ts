/**
 * Gradient/hessian histograms. A histogram holds, for every bin of every feature, three doubles:
 * gradient sum, hessian sum and row count (HIST_STRIDE). Feature f's bins start at
 * featureOffset[f] * HIST_STRIDE. Only the smaller child of a split is built from rows; the larger
 * one is its parent minus the smaller (LightGBM's sibling subtraction), which roughly halves the work.
 */

import type { ArenaLayout, HistKernel } from './wasm-hist.js'

/** Doubles per histogram bin: gradient sum, hessian sum, count. */
export const HIST_STRIDE = 3

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
  const { bins, nRows, featureOffset, nBins, histPool: hist } = inputs
  const { rows, grad: og, hess: oh } = inputs.buf[buffer]
  const histBase = slot * inputs.histSize
  for (let j = fFrom; j < fTo; j++) {
    const f = features[j]!
    const base = histBase + featureOffset[f]! * HIST_STRIDE
    hist.fill(0, base, base + (nBins[f]! + 1) * HIST_STRIDE)
  }
  const arena = inputs.arena
  if (kernel !== null && arena !== undefined) {
    // Same loops in WebAssembly, on byte addresses into the arena.
    const col = (f: number) => arena.bins + f * nRows
    const at = (f: number) => arena.histPool + (histBase + featureOffset[f]! * HIST_STRIDE) * 8
    const { rows: pr, grad: pg, hess: ph } = arena.buf[buffer]
    let jw = fFrom
    for (; jw + 8 <= fTo; jw += 8) {
      const cols: number[] = []
      const bases: number[] = []
      for (let q = 0; q < 8; q++) {
        cols.push(col(features[jw + q]!))
        bases.push(at(features[jw + q]!))
      }
      kernel.hist8(pr, pg, ph, start, end, ...cols, ...bases)
    }
    for (; jw + 4 <= fTo; jw += 4) {
      const f0 = features[jw]!
      const f1 = features[jw + 1]!
      const f2 = features[jw + 2]!
      const f3 = features[jw + 3]!
      kernel.hist4(pr, pg, ph, start, end, col(f0), col(f1), col(f2), col(f3), at(f0), at(f1), at(f2), at(f3))
    }
    for (; jw < fTo; jw++) kernel.hist1(pr, pg, ph, start, end, col(features[jw]!), at(features[jw]!))
    return
  }
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
  for (; j < fTo; j++) {
    const f = features[j]!
    const base = histBase + featureOffset[f]! * HIST_STRIDE
    const colBase = f * nRows
    for (let i = start; i < end; i++) {
      const k = base + bins[colBase + rows[i]!]! * HIST_STRIDE
      hist[k] = hist[k]! + og[i]!
      hist[k + 1] = hist[k + 1]! + oh[i]!
      hist[k + 2] = hist[k + 2]! + 1
    }
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
  const { featureOffset, nBins, histPool: hist, histSize } = inputs
  const pBase = parentSlot * histSize
  const cBase = childSlot * histSize
  for (let j = fFrom; j < nFeatures; j++) {
    const f = features[j]!
    const from = featureOffset[f]! * HIST_STRIDE
    const to = from + (nBins[f]! + 1) * HIST_STRIDE
    for (let k = from; k < to; k++) hist[pBase + k] = hist[pBase + k]! - hist[cBase + k]!
  }
}
