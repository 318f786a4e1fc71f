/**
 * The per-round pass over every training row, after a tree is grown: add the tree's leaf value to
 * each row's score, then the next round's gradients and hessians, written straight into row buffer
 * 0 in row order (the next root's layout, so the tree needs no gather or copy). Rows are
 * independent, so the pass is split over the histogram pool's threads with the same results.
 */
import type { RowBuffer } from './histogram.js'
import type { ObjectiveKind, RowGradients } from './objectives.js'
import type { HistKernel, RowBufferLayout, ScoreLayout } from './wasm-hist.js'

/** What the score pass reads and writes; typed arrays on shared memory when workers take part. */
export interface ScoreInputs {
  readonly kind: ObjectiveKind
  /** Margins of the training rows (one output). */
  readonly raw: Float64Array
  readonly y: Float64Array
  readonly w: Float64Array | null
  /** The leaf (index into leafValues) of every row in the tree just grown. */
  readonly leafOfRow: Uint8Array | Uint16Array
  readonly leafValues: Float64Array
  /** Where these arrays are in the arena, when they are (then leafOfRow is a Uint16Array). */
  readonly arena: ScoreLayout | null
}

/**
 * Rows [from, to): raw += the tree's leaf value (when `addTree`), then gradients and hessians into
 * `root` (buffer 0) with root.rows[r] = r. Log-loss runs in the WebAssembly kernel where the arena
 * holds the arrays (`rootAt`: buffer 0's offsets there).
 */
export function updateRows(
  score: ScoreInputs,
  gradients: RowGradients,
  root: RowBuffer,
  addTree: boolean,
  from: number,
  to: number,
  kernel: HistKernel | null = null,
  rootAt: RowBufferLayout | null = null,
): void {
  const at = score.arena
  if (kernel !== null && at !== null && rootAt !== null && score.kind === 'logistic') {
    kernel.score_logistic(
      at.raw,
      at.y,
      at.w,
      rootAt.grad,
      rootAt.hess,
      rootAt.rows,
      at.leaf,
      at.values,
      from,
      to,
      addTree ? 1 : 0,
    )
    return
  }
  const { raw, leafOfRow, leafValues } = score
  if (addTree) for (let r = from; r < to; r++) raw[r] = raw[r]! + leafValues[leafOfRow[r]!]!
  gradients(raw, score.y, score.w, root.grad, root.hess, from, to)
  const rows = root.rows
  for (let r = from; r < to; r++) rows[r] = r
}
