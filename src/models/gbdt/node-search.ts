/**
 * One node's work after a split, as one task for the histogram pool: build a child's histogram,
 * turn the parent's into its sibling's (parent minus child), and search both for their best split.
 * Each thread does all three for its share of the features, so the split search runs on every
 * thread too; the calling thread then keeps, per node, the best of the shares' bests (a later
 * share's only when strictly better: findBestSplit's tie rule), which is the split one thread
 * finds, bit for bit.
 */
import { buildHistogramFeatures, type HistogramInputs, subtractHistogram } from './histogram.js'
import {
  findBestSplit,
  type NodeSums,
  type SplitConstraints,
  type SplitInfo,
  type SplitMapper,
  type SplitScratch,
} from './split-finder.js'
import type { HistKernel } from './wasm-hist.js'

/** A node task: node A built from its rows; node B (optional) as its parent minus A. */
export interface NodeTask {
  readonly buffer: 0 | 1
  /** Where A's histogram goes. */
  readonly slot: number
  readonly start: number
  readonly end: number
  readonly nFeatures: number
  /** A's sums when A's best split is wanted, else null. */
  readonly sums: NodeSums | null
  /** The parent's histogram slot, which becomes B's, or -1 without B. */
  readonly parentSlot: number
  /** B's sums when B's best split is wanted, else null. */
  readonly siblingSums: NodeSums | null
}

/** The split search's fixed inputs. */
export interface SearchContext {
  readonly mapper: SplitMapper
  readonly constraints: SplitConstraints
  readonly scratch: SplitScratch
}

/** The best splits of A and B (null: none, or not searched). */
export type NodeSplits = [a: SplitInfo | null, b: SplitInfo | null]

/** Runs `task` for features[fFrom..fTo). */
export function runNodeShare(
  inputs: HistogramInputs,
  features: Int32Array,
  fFrom: number,
  fTo: number,
  task: NodeTask,
  ctx: SearchContext,
  kernel: HistKernel | null,
): NodeSplits {
  buildHistogramFeatures(inputs, features, fFrom, fTo, task.slot, task.buffer, task.start, task.end, kernel)
  if (task.parentSlot >= 0) subtractHistogram(inputs, features, fTo, task.parentSlot, task.slot, fFrom)
  const search = (slot: number, sums: NodeSums | null): SplitInfo | null =>
    sums === null
      ? null
      : findBestSplit(
          inputs.histPool,
          slot * inputs.histSize,
          inputs.histStride,
          ctx.mapper,
          features,
          fTo,
          sums,
          ctx.constraints,
          ctx.scratch,
          fFrom,
        )
  return [
    search(task.slot, task.sums),
    task.parentSlot >= 0 ? search(task.parentSlot, task.siblingSums) : null,
  ]
}

/** Doubles per split in a shared result block: found, gain, feature, categorical, bin, defaultLeft, lg, lh, lc. */
export const RESULT_STRIDE = 9
/** Mask bytes per split (bins of a feature plus the missing bin: at most 256). */
export const MASK_BYTES = 256

/** Writes a split (or none) as result `index` of a shared block. */
export function writeResult(
  split: SplitInfo | null,
  results: Float64Array,
  masks: Uint8Array,
  index: number,
): void {
  const o = index * RESULT_STRIDE
  if (split === null) {
    results[o] = 0
    return
  }
  results[o] = 1
  results[o + 1] = split.gain
  results[o + 2] = split.feature
  results[o + 3] = split.isCategorical ? 1 : 0
  results[o + 4] = split.bin
  results[o + 5] = split.defaultLeft ? 1 : 0
  results[o + 6] = split.left.grad
  results[o + 7] = split.left.hess
  results[o + 8] = split.left.count
  masks.set(split.leftMask, index * MASK_BYTES)
}

/**
 * Result `index` of a shared block as a split of the node with `sums`, or null. The right side is
 * computed as findBestSplit does (node sums minus the left side's), so it is the same split.
 */
export function readResult(
  results: Float64Array,
  masks: Uint8Array,
  index: number,
  sums: NodeSums,
  mapper: SplitMapper,
): SplitInfo | null {
  const o = index * RESULT_STRIDE
  if (results[o] !== 1) return null
  const feature = results[o + 2]!
  const lg = results[o + 6]!
  const lh = results[o + 7]!
  const lc = results[o + 8]!
  const at = index * MASK_BYTES
  return {
    gain: results[o + 1]!,
    feature,
    isCategorical: results[o + 3] === 1,
    bin: results[o + 4]!,
    defaultLeft: results[o + 5] === 1,
    leftMask: masks.slice(at, at + mapper.nBins[feature]! + 1),
    left: { grad: lg, hess: lh, count: lc },
    right: { grad: sums.grad - lg, hess: sums.hess - lh, count: sums.count - lc },
  }
}

/** The better of two shares' bests: the later share's only when strictly better. */
export function better(first: SplitInfo | null, later: SplitInfo | null): SplitInfo | null {
  if (later === null) return first
  if (first === null || later.gain > first.gain) return later
  return first
}
