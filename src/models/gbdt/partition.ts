/**
 * The row partition of a split: a node's rows (with their ordered gradients and hessians) are
 * reordered so that the left child's rows come first, stably, so that every node's rows stay in
 * increasing order and memory access stays forward. One chunk at a time: a thread partitions its
 * chunk of the node in place (left rows compacted to the chunk's front, right rows to scratch), and
 * `mergeChunks` puts the chunks' parts together; the result is the same, bit for bit, however the
 * node was cut into chunks.
 */
import type { HistogramInputs } from './histogram.js'
import type { HistKernel } from './wasm-hist.js'

/** Scratch as long as `inputs.rows`, for the right rows of a partition. */
export interface PartitionScratch {
  readonly rows: Int32Array
  readonly grad: Float64Array
  readonly hess: Float64Array
}

/**
 * Partitions rows[from..to) by `mask` on the bins of feature `f`: left rows compacted in place from
 * `from`, right rows written, in order, to scratch[offset..). Returns the number of left rows. With
 * the WebAssembly kernel the mask must already be in the arena (`writeMask`).
 */
export function partitionChunk(
  inputs: HistogramInputs,
  scratch: PartitionScratch,
  from: number,
  to: number,
  f: number,
  mask: Uint8Array,
  offset: number,
  kernel: HistKernel | null,
): number {
  const colBase = f * inputs.nRows
  const arena = inputs.arena
  if (kernel !== null && arena !== undefined) {
    const l = kernel.partition(
      arena.rows,
      arena.orderedGrad,
      arena.orderedHess,
      from,
      to,
      arena.bins + colBase,
      arena.mask,
      arena.scratchRows + offset * 4,
      arena.scratchGrad + offset * 8,
      arena.scratchHess + offset * 8,
    )
    return l - from
  }
  // Branch-free: every row is written to both places and only one cursor advances, so the ~50%
  // unpredictable left/right choice costs no branch mispredictions.
  const { rows, orderedGrad: og, orderedHess: oh, bins } = inputs
  const { rows: sr, grad: sg, hess: sh } = scratch
  let l = from
  for (let i = from; i < to; i++) {
    const r = rows[i]!
    const gi = og[i]!
    const hi = oh[i]!
    const goLeft = mask[bins[colBase + r]!]!
    rows[l] = r
    og[l] = gi
    oh[l] = hi
    const k = offset + i - l
    sr[k] = r
    sg[k] = gi
    sh[k] = hi
    l += goLeft
  }
  return l - from
}

/** Puts the split's left mask where the WebAssembly partition reads it. */
export function writeMask(inputs: HistogramInputs, mask: Uint8Array): void {
  const arena = inputs.arena
  if (arena !== undefined) new Uint8Array(arena.memory.buffer, arena.mask, 256).set(mask)
}

/**
 * Joins partitioned chunks of rows[start..end): chunk t began at `starts[t]` (scratch offset
 * `starts[t] - start`) and kept `lefts[t]` left rows. Left parts move down in chunk order, then the
 * right parts follow from scratch in chunk order. Returns where the right rows start.
 */
export function mergeChunks(
  inputs: HistogramInputs,
  scratch: PartitionScratch,
  start: number,
  end: number,
  starts: readonly number[],
  lefts: readonly number[],
): number {
  const { rows, orderedGrad: og, orderedHess: oh } = inputs
  let at = start
  for (let t = 0; t < starts.length; t++) {
    const from = starts[t]!
    const n = lefts[t]!
    if (from !== at && n > 0) {
      // Always downwards (at <= from): copyWithin moves overlapping ranges correctly.
      rows.copyWithin(at, from, from + n)
      og.copyWithin(at, from, from + n)
      oh.copyWithin(at, from, from + n)
    }
    at += n
  }
  const mid = at
  for (let t = 0; t < starts.length; t++) {
    const off = starts[t]! - start
    const n = (t + 1 < starts.length ? starts[t + 1]! : end) - starts[t]! - lefts[t]!
    if (n === 0) continue
    rows.set(scratch.rows.subarray(off, off + n), at)
    og.set(scratch.grad.subarray(off, off + n), at)
    oh.set(scratch.hess.subarray(off, off + n), at)
    at += n
  }
  return mid
}
