/**
 * The row partition of a split. A node's rows (with their gradients and hessians) live in one of
 * the two row buffers; the split writes them into the other buffer at the same positions, left
 * child's rows first, stably, so every node's rows stay in increasing order and memory access stays
 * forward. The split's left row count (exact: counts in the histogram) says where the right rows
 * start, so each row is read once and written once, with no scratch and no merge pass. Two threads
 * share a node from both ends: the first takes the lower chunk forwards (writing both parts'
 * bottoms), the second the upper chunk backwards (writing both parts' tops); the result is the same,
 * bit for bit, as one thread's.
 */
import { PartitionCountError } from './errors.js'
import type { HistogramInputs } from './histogram.js'
import type { HistKernel } from './wasm-hist.js'

/**
 * Writes rows[from..to) of buffer `src` into the other buffer. Forwards (`step` 1): left rows at l,
 * l + 1, ..., right rows at r, r + 1, ...; backwards (`step` -1): rows taken last first, left rows
 * at l, l - 1, ..., right rows at r, r - 1, .... Returns where l ended. With the WebAssembly kernel
 * the mask must already be in the arena (`writeMask`).
 */
export function partitionRows(
  inputs: HistogramInputs,
  src: 0 | 1,
  from: number,
  to: number,
  f: number,
  mask: Uint8Array,
  l: number,
  r: number,
  kernel: HistKernel | null,
  step: 1 | -1,
): number {
  const colBase = f * inputs.nRows
  const arena = inputs.arena
  if (kernel !== null && arena !== undefined) {
    const s = arena.buf[src]
    const d = arena.buf[src === 0 ? 1 : 0]
    const run = step === 1 ? kernel.partition : kernel.partition_back
    return run(
      s.rows,
      s.grad,
      s.hess,
      from,
      to,
      arena.bins + colBase,
      arena.mask,
      d.rows,
      d.grad,
      d.hess,
      l,
      r,
    )
  }
  const bins = inputs.bins
  const { rows, grad: og, hess: oh } = inputs.buf[src]
  const { rows: dr, grad: dg, hess: dh } = inputs.buf[src === 0 ? 1 : 0]
  const n = to - from
  for (let k = 0; k < n; k++) {
    const i = step === 1 ? from + k : to - 1 - k
    const row = rows[i]!
    const left = mask[bins[colBase + row]!]!
    const p = left === 1 ? l : r
    dr[p] = row
    dg[p] = og[i]!
    dh[p] = oh[i]!
    l += step * left
    r += step * (1 - left)
  }
  return l
}

/**
 * Partitions the node rows[start..end) of buffer `src` on the calling thread, `nLeft` of them
 * going left. Returns where the right rows start (in the other buffer).
 */
export function partitionNode(
  inputs: HistogramInputs,
  src: 0 | 1,
  start: number,
  end: number,
  f: number,
  mask: Uint8Array,
  nLeft: number,
  kernel: HistKernel | null,
): number {
  if (kernel !== null) writeMask(inputs, mask)
  const mid = start + nLeft
  const l = partitionRows(inputs, src, start, end, f, mask, start, mid, kernel, 1)
  if (l !== mid) throw new PartitionCountError(nLeft, l - start)
  return mid
}

/** Puts the split's left mask where the WebAssembly partition reads it. */
export function writeMask(inputs: HistogramInputs, mask: Uint8Array): void {
  const arena = inputs.arena
  if (arena !== undefined) new Uint8Array(arena.memory.buffer, arena.mask, 256).set(mask)
}

/** Counts the rows of rows[from..to) of buffer `src` that a split on feature `f` sends left. */
type LeftCounter = (
  inputs: HistogramInputs,
  src: 0 | 1,
  range: readonly [from: number, to: number],
  f: number,
  mask: Uint8Array,
  kernel: HistKernel | null,
) => number

/** A LeftCounter for a mask already in the arena (`writeMask`) where the kernel runs. */
export const countLeftRows: LeftCounter = (inputs, src, [from, to], f, mask, kernel) => {
  const colBase = f * inputs.nRows
  const arena = inputs.arena
  if (kernel !== null && arena !== undefined)
    return kernel.count_left(arena.buf[src].rows, from, to, arena.bins + colBase, arena.mask)
  const bins = inputs.bins
  const rows = inputs.buf[src].rows
  let n = 0
  for (let i = from; i < to; i++) n += mask[bins[colBase + rows[i]!]!]!
  return n
}

/**
 * A LeftCounter on the calling thread: the exact left count the partition needs where histograms
 * hold no counts (histogramCounts 'hessian').
 */
export const countLeft: LeftCounter = (inputs, src, range, f, mask, kernel) => {
  if (kernel !== null) writeMask(inputs, mask)
  return countLeftRows(inputs, src, range, f, mask, kernel)
}
