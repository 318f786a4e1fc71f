/**
 * The per-round pass over every training row, after a tree is grown: add the tree's leaf value to
 * each row's score, then the next round's gradients and hessians, written straight into row buffer
 * 0 in row order (the next root's layout, so the tree needs no gather or copy). Rows are
 * independent, so the pass is split over the histogram pool's threads with the same results.
 */
import { lowerBound } from '../../core/index.js'
import type { HistogramInputs } from './histogram.js'
import { type ObjectiveKind, rowGradients } from './objectives.js'
import type { HistKernel, ScoreLayout } from './wasm-hist.js'

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
  /** The grown tree's leaves, leaf l at 3 l: its row buffer, start and end (see fillLeafOfRow). */
  readonly leaves: Int32Array
}

/**
 * leafOfRow[r] = l for every row r in [from, to) of the grown tree's `nLeaves` leaves. Each leaf's
 * rows are increasing, so two binary searches find the ones in [from, to): threads that take
 * disjoint row ranges write disjoint entries, and none reads what another writes.
 */
export function fillLeafOfRow(
  score: ScoreInputs,
  inputs: HistogramInputs,
  nLeaves: number,
  from: number,
  to: number,
): void {
  const { leaves, leafOfRow } = score
  for (let l = 0; l < nLeaves; l++) {
    const rows = inputs.buf[leaves[3 * l] === 1 ? 1 : 0].rows
    const start = leaves[3 * l + 1]!
    const end = leaves[3 * l + 2]!
    const a = lowerBound(rows, from, start, end)
    const b = lowerBound(rows, to, a, end)
    for (let i = a; i < b; i++) leafOfRow[rows[i]!] = l
  }
}

/**
 * Rows [from, to): raw += the tree's leaf value (when `addTree`), then gradients and hessians into
 * row buffer 0 with rows[r] = r. Log-loss runs in the WebAssembly kernel where the arena holds the
 * arrays.
 */
export function updateRows(
  score: ScoreInputs,
  inputs: HistogramInputs,
  addTree: boolean,
  from: number,
  to: number,
  kernel: HistKernel | null,
): void {
  const at = score.arena
  const rootAt = inputs.arena?.buf[0]
  if (kernel !== null && at !== null && rootAt !== undefined && score.kind === 'logistic') {
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
  const gradients = rowGradients(score.kind)
  // The trainer makes score inputs only for row-local losses (train.ts).
  if (gradients === null) throw new TypeError(`The score pass needs a row-local loss, not ${score.kind}.`)
  const { raw, leafOfRow, leafValues } = score
  const root = inputs.buf[0]
  if (addTree) for (let r = from; r < to; r++) raw[r] = raw[r]! + leafValues[leafOfRow[r]!]!
  gradients(raw, score.y, score.w, root.grad, root.hess, from, to)
  const rows = root.rows
  for (let r = from; r < to; r++) rows[r] = r
}

/** The score pass over rows [from, to) on one thread: each row's leaf (when `nLeaves` > 0), then updateRows. */
export function scoreRows(
  score: ScoreInputs,
  inputs: HistogramInputs,
  nLeaves: number,
  from: number,
  to: number,
  kernel: HistKernel | null,
): void {
  if (nLeaves > 0) fillLeafOfRow(score, inputs, nLeaves, from, to)
  updateRows(score, inputs, nLeaves > 0, from, to, kernel)
}
