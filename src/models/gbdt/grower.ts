import type { BinMapper } from '../tree/index.js'
import { TreeBuilder } from '../tree/index.js'
import type { HistogramBuilder } from './hist-pool.js'
import { HESSIAN_HIST_STRIDE, type HistogramInputs } from './histogram.js'
import type { NodeTask } from './node-search.js'
import { leafOutput, type NodeSums, type SplitConstraints, type SplitInfo } from './split-finder.js'

/** Limits of one tree. */
export interface GrowerParams extends SplitConstraints {
  readonly maxLeaves: number
  /** Infinity when unlimited. */
  readonly maxDepth: number
  readonly learningRate: number
}

/** Everything a tree grows from; buffers are reused across trees. */
export interface GrowerState {
  readonly mapper: BinMapper
  readonly inputs: HistogramInputs
  readonly builder: HistogramBuilder
  /** Features this tree may split on: features[0..nFeatures). */
  readonly features: Int32Array
  /** Per-row gradients and hessians of the output being fitted. */
  readonly grad: Float64Array
  readonly hess: Float64Array
  /** Histogram slots available in inputs.histPool. */
  readonly nSlots: number
  /** Whether the tree's rows are all rows in order (rows[i] = i, no row sample). */
  readonly identityRows: boolean
  /**
   * Whether row buffer 0 already holds the root: rows[i] = i with their gradients and hessians (the
   * score pass wrote them, round.ts), so `grad` and `hess` are not read.
   */
  readonly rootReady: boolean
}

/** A leaf of the grown tree and its rows: inputs.buf[buf].rows[start..end). */
export interface GrownLeaf {
  readonly node: number
  readonly buf: 0 | 1
  readonly start: number
  readonly end: number
}

export interface GrownTree {
  readonly tree: TreeBuilder
  readonly leaves: readonly GrownLeaf[]
}

interface OpenLeaf {
  readonly node: number
  /** The row buffer holding the leaf's rows. */
  readonly buf: 0 | 1
  readonly start: number
  readonly end: number
  readonly depth: number
  readonly sums: NodeSums
  slot: number
  split: SplitInfo | null
}

/**
 * Grows one tree leaf-wise (best gain first, as LightGBM) over rows inputs.buf[0].rows[0..nRows),
 * until `maxLeaves` leaves, `maxDepth`, or no split gains enough. Each split moves its node's rows
 * into the other row buffer (stably, so each node's rows stay in increasing order and memory access
 * stays forward).
 */
export function growTree(state: GrowerState, nRows: number, nFeatures: number, p: GrowerParams): GrownTree {
  const { mapper, inputs, builder, grad, hess } = state
  const hessianCounts = inputs.histStride === HESSIAN_HIST_STRIDE
  const { rows, grad: og, hess: oh } = inputs.buf[0]
  const tree = new TreeBuilder()
  const freeSlots: number[] = []
  for (let s = state.nSlots - 1; s >= 0; s--) freeSlots.push(s)
  const open: OpenLeaf[] = []

  const acquire = (): number => {
    const slot = freeSlots.pop()
    if (slot !== undefined) return slot
    // Pool exhausted: drop the histogram of the open leaf least likely to be split next; if it
    // is split later, both its children are built from rows instead of by subtraction.
    let victim: OpenLeaf | null = null
    for (const leaf of open) {
      if (leaf.slot >= 0 && (victim === null || (leaf.split?.gain ?? -1) < (victim.split?.gain ?? -1)))
        victim = leaf
    }
    if (victim === null) throw new Error('histogram pool has no slot to give')
    const s = victim.slot
    victim.slot = -1
    return s
  }
  const release = (leaf: OpenLeaf): void => {
    if (leaf.slot >= 0) freeSlots.push(leaf.slot)
    leaf.slot = -1
  }
  const canSplit = (depth: number, sums: NodeSums): boolean =>
    depth < p.maxDepth && sums.count >= 2 * p.minSamplesLeaf && sums.hess >= 2 * p.minChildWeight
  /** Records a leaf's best split (node-search.ts found it); a leaf without one frees its histogram. */
  const setSplit = (leaf: OpenLeaf, split: SplitInfo | null): void => {
    leaf.split = split
    if (split === null) release(leaf)
  }
  /** A node task for `leaf`'s rows into its slot, searching it when `search`. */
  const task = (
    leaf: OpenLeaf,
    search: boolean,
    parentSlot = -1,
    sibling: OpenLeaf | null = null,
  ): NodeTask => ({
    buffer: leaf.buf,
    slot: leaf.slot,
    start: leaf.start,
    end: leaf.end,
    nFeatures,
    sums: search ? leaf.sums : null,
    parentSlot,
    siblingSums: sibling === null ? null : sibling.sums,
  })
  const nodeValue = (sums: NodeSums): number => p.learningRate * leafOutput(sums.grad, sums.hess, p.l1, p.l2)

  // The only gather: partitions keep og/oh aligned with rows from here on. All rows in order (no
  // row sample) is a plain copy.
  if (state.rootReady) {
    // Written in place by the score pass.
  } else if (state.identityRows) {
    og.set(grad.subarray(0, nRows))
    oh.set(hess.subarray(0, nRows))
  } else {
    for (let i = 0; i < nRows; i++) {
      const r = rows[i]!
      og[i] = grad[r]!
      oh[i] = hess[r]!
    }
  }
  // Sums in row order, as before the gather (the same values in the same order).
  let g = 0
  let h = 0
  for (let i = 0; i < nRows; i++) {
    g += og[i]!
    h += oh[i]!
  }
  const rootSums: NodeSums = { grad: g, hess: h, count: nRows }
  const root: OpenLeaf = {
    node: tree.addLeaf(nodeValue(rootSums), h),
    buf: 0,
    start: 0,
    end: nRows,
    depth: 0,
    sums: rootSums,
    slot: -1,
    split: null,
  }
  open.push(root)
  if (p.maxLeaves > 1 && canSplit(0, rootSums)) {
    root.slot = acquire()
    setSplit(root, builder.node(task(root, true))[0])
  }

  let nLeaves = 1
  while (nLeaves < p.maxLeaves) {
    let bestIndex = -1
    for (let i = 0; i < open.length; i++) {
      const s = open[i]!.split
      if (s === null) continue
      const best = bestIndex < 0 ? null : open[bestIndex]!
      if (
        best === null ||
        s.gain > best.split!.gain ||
        (s.gain === best.split!.gain && open[i]!.node < best.node)
      )
        bestIndex = i
    }
    if (bestIndex < 0) break
    const leaf = open[bestIndex]!
    open.splice(bestIndex, 1)
    const split = leaf.split!

    // Stable partition into the other row buffer (partition.ts): gradients and hessians move with
    // their rows, so histograms never gather them (a gather reads the full-length arrays at random).
    // Histograms without counts only estimate the split's left rows; the partition needs them exact.
    const nLeft = hessianCounts
      ? builder.countLeft(leaf.buf, leaf.start, leaf.end, split.feature, split.leftMask)
      : split.left.count
    const mid = builder.partition(leaf.buf, leaf.start, leaf.end, split.feature, split.leftMask, nLeft)
    const childBuf = leaf.buf === 0 ? 1 : 0

    const { leftNode, rightNode } = recordSplit(tree, mapper, leaf.node, split, nodeValue)
    nLeaves++
    const left: OpenLeaf = {
      node: leftNode,
      buf: childBuf,
      start: leaf.start,
      end: mid,
      depth: leaf.depth + 1,
      sums: { grad: split.left.grad, hess: split.left.hess, count: nLeft },
      slot: -1,
      split: null,
    }
    const right: OpenLeaf = {
      node: rightNode,
      buf: childBuf,
      start: mid,
      end: leaf.end,
      depth: leaf.depth + 1,
      sums: { grad: split.right.grad, hess: split.right.hess, count: leaf.end - leaf.start - nLeft },
      slot: -1,
      split: null,
    }
    open.push(left, right)
    const more = nLeaves < p.maxLeaves
    const leftOk = more && canSplit(left.depth, left.sums)
    const rightOk = more && canSplit(right.depth, right.sums)
    if (!leftOk && !rightOk) {
      release(leaf)
      continue
    }
    const leftSmaller = left.end - left.start <= right.end - right.start
    const small = leftSmaller ? left : right
    const large = leftSmaller ? right : left
    const smallOk = leftSmaller ? leftOk : rightOk
    const largeOk = leftSmaller ? rightOk : leftOk
    if (largeOk && leaf.slot >= 0) {
      // Sibling subtraction: build the smaller child, the larger is parent minus smaller.
      small.slot = acquire()
      const [smallSplit, largeSplit] = builder.node(task(small, smallOk, leaf.slot, large))
      large.slot = leaf.slot
      leaf.slot = -1
      if (!smallOk) release(small)
      if (leftSmaller) {
        if (smallOk) setSplit(small, smallSplit)
        setSplit(large, largeSplit)
      } else {
        setSplit(large, largeSplit)
        if (smallOk) setSplit(small, smallSplit)
      }
    } else {
      release(leaf)
      // Both built before either releases a histogram, so the pool's slots (and which histogram
      // an exhausted pool drops) are as they were when each search followed both builds.
      const found: (SplitInfo | null)[] = []
      for (const child of [left, right]) {
        if (!(child === left ? leftOk : rightOk)) continue
        child.slot = acquire()
        found.push(builder.node(task(child, true))[0])
      }
      if (leftOk) setSplit(left, found.shift()!)
      if (rightOk) setSplit(right, found.shift()!)
    }
  }
  const leaves: GrownLeaf[] = open
    .map((leaf) => ({ node: leaf.node, buf: leaf.buf, start: leaf.start, end: leaf.end }))
    .sort((a, b) => a.node - b.node)
  return { tree, leaves }
}

/**
 * Records a chosen split in the tree: two new leaves valued by `nodeValue`, and the split on
 * `node` (a numeric threshold from the feature's bin bounds, or the categories on the left side).
 * Shared by this grower and the out-of-core (SQL) one, so both build identical trees. @internal
 */
export function recordSplit(
  tree: TreeBuilder,
  mapper: BinMapper,
  node: number,
  split: SplitInfo,
  nodeValue: (sums: NodeSums) => number,
): { leftNode: number; rightNode: number } {
  const f = split.feature
  const mask = split.leftMask
  const leftNode = tree.addLeaf(nodeValue(split.left), split.left.hess)
  const rightNode = tree.addLeaf(nodeValue(split.right), split.right.hess)
  let categories: number[] | null = null
  if (split.isCategorical) {
    categories = []
    for (let b = 0; b < mapper.nBins[f]!; b++) if (mask[b] === 1) categories.push(b)
  }
  const bounds = mapper.thresholds[f]!
  tree.setSplit(
    node,
    {
      feature: f,
      threshold: split.isCategorical
        ? Number.NaN
        : split.bin < bounds.length
          ? bounds[split.bin]!
          : Number.POSITIVE_INFINITY,
      categories,
      defaultLeft: split.defaultLeft,
      gain: split.gain,
      leftMask: mask,
    },
    leftNode,
    rightNode,
  )
  return { leftNode, rightNode }
}
