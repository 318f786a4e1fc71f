import { Rng } from '../../core/index.js'
import type { GrowData, GrownTree, GrowSettings, OpenNode } from './grow-types.js'
import { NodeHistogram } from './histogram.js'
import { NodeRows } from './partition.js'
import { impurityOf, SplitFinder, sum } from './split-finder.js'

/**
 * Builds CART trees on binned features, cut as the GBDT grower is: the bootstrap draw, then nodes
 * taken depth-first (or best-first under `maxLeafNodes`), each searched by the split finder
 * (split-finder.ts, over histograms from histogram.ts) when it is created and split by partitioning
 * its rows (partition.ts). One builder, with its buffers, is reused for many trees.
 * @internal
 */
export class ForestGrower {
  private readonly data: GrowData
  private readonly k: number
  private readonly rows: NodeRows
  private readonly splits: SplitFinder
  /** Per row: bootstrap count times sample weight. */
  private readonly w: Float64Array
  /** Per row: times drawn into the bootstrap sample. */
  private readonly counts: Int32Array
  // growing tree
  private cap = 0
  private nNodes = 0
  private tFeature = new Int32Array(0)
  private tBin = new Int32Array(0)
  private tBinHi = new Int32Array(0)
  private tLeft = new Int32Array(0)
  private tRight = new Int32Array(0)
  private tDefaultLeft = new Uint8Array(0)
  private tCategory = new Uint8Array(0)
  private tCover = new Float64Array(0)
  private tValue = new Float64Array(0)

  constructor(data: GrowData) {
    this.data = data
    this.k = data.nClasses
    this.rows = new NodeRows(data)
    this.splits = new SplitFinder(data, new NodeHistogram(data, this.rows))
    this.w = new Float64Array(data.n)
    this.counts = new Int32Array(data.n)
  }

  /** Grows one tree with its own generator (seeded by the caller from the tree index). */
  grow(seed: number, s: GrowSettings): GrownTree {
    const { n, d, sampleWeight } = this.data
    const rng = new Rng(seed)
    const w = this.w
    const counts = this.counts
    counts.fill(0)
    if (s.bootstrap) {
      for (let i = 0; i < n; i++) counts[rng.int(n)]!++
    } else counts.fill(1)
    for (let r = 0; r < n; r++) w[r] = counts[r]! * (sampleWeight === null ? 1 : sampleWeight[r]!)
    const outputs = this.k > 0 ? this.k : 1
    const rootStats = new Float64Array(this.k > 0 ? this.k : 3)
    const m = this.rows.load(w, rootStats)
    this.splits.resetDraws()
    this.nNodes = 0
    this.ensureCapacity(64, outputs)
    const importance = new Float64Array(d)

    const rootWeight = this.k > 0 ? rootStats.reduce((a, b) => a + b, 0) : rootStats[0]!
    const root = this.makeNode(0, m, 0, rootStats, rootWeight, s, rng, outputs)
    const bestFirst = s.maxLeafNodes > 0
    const pending: OpenNode[] = []
    if (root.feature >= 0) pending.push(root)
    let leaves = 1
    while (pending.length > 0) {
      if (bestFirst && leaves >= s.maxLeafNodes) break
      const node = bestFirst ? popMax(pending) : pending.pop()!
      const { leftStats, rightStats, mid } = this.rows.partition(node)
      const wl = this.k > 0 ? sum(leftStats) : leftStats[0]!
      const wr = this.k > 0 ? sum(rightStats) : rightStats[0]!
      const leftNode = this.makeNode(node.start, mid, node.depth + 1, leftStats, wl, s, rng, outputs)
      const rightNode = this.makeNode(mid, node.end, node.depth + 1, rightStats, wr, s, rng, outputs)
      const id = node.id
      this.tFeature[id] = node.feature
      this.tBin[id] = node.bin
      this.tBinHi[id] = node.binHi
      this.tLeft[id] = leftNode.id
      this.tRight[id] = rightNode.id
      this.tDefaultLeft[id] = node.missingLeft ? 1 : 0
      this.tCategory[id] = node.category ? 1 : 0
      importance[node.feature]! +=
        node.weight * node.impurity - wl * leftNode.impurity - wr * rightNode.impurity
      leaves++
      if (bestFirst) {
        if (leftNode.feature >= 0) pushHeap(pending, leftNode)
        if (rightNode.feature >= 0) pushHeap(pending, rightNode)
      } else {
        if (rightNode.feature >= 0) pending.push(rightNode)
        if (leftNode.feature >= 0) pending.push(leftNode)
      }
    }
    const nn = this.nNodes
    let inBag: Uint8Array | null = null
    if (s.keepInBag) {
      inBag = new Uint8Array(n)
      for (let r = 0; r < n; r++) inBag[r] = counts[r]! > 0 ? 1 : 0
    }
    return {
      nNodes: nn,
      feature: this.tFeature.slice(0, nn),
      bin: this.tBin.slice(0, nn),
      binHi: this.tBinHi.slice(0, nn),
      left: this.tLeft.slice(0, nn),
      right: this.tRight.slice(0, nn),
      defaultLeft: this.tDefaultLeft.slice(0, nn),
      category: this.tCategory.slice(0, nn),
      cover: this.tCover.slice(0, nn),
      value: this.tValue.slice(0, nn * outputs),
      importance,
      inBag,
    }
  }

  private ensureCapacity(need: number, outputs: number): void {
    if (need <= this.cap) return
    const cap = Math.max(need, this.cap * 2)
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(
      a: T,
      size: number,
      make: (n: number) => T,
    ) => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.tFeature = grow(this.tFeature, cap, (k) => new Int32Array(k))
    this.tBin = grow(this.tBin, cap, (k) => new Int32Array(k))
    this.tBinHi = grow(this.tBinHi, cap, (k) => new Int32Array(k))
    this.tLeft = grow(this.tLeft, cap, (k) => new Int32Array(k))
    this.tRight = grow(this.tRight, cap, (k) => new Int32Array(k))
    this.tDefaultLeft = grow(this.tDefaultLeft, cap, (k) => new Uint8Array(k))
    this.tCategory = grow(this.tCategory, cap, (k) => new Uint8Array(k))
    this.tCover = grow(this.tCover, cap, (k) => new Float64Array(k))
    this.tValue = grow(this.tValue, cap * outputs, (k) => new Float64Array(k))
    this.cap = cap
  }

  /** Appends a leaf for rows idx[start, end) and searches its best split (feature -1: stays a leaf). */
  private makeNode(
    start: number,
    end: number,
    depth: number,
    stats: Float64Array,
    weight: number,
    s: GrowSettings,
    rng: Rng,
    outputs: number,
  ): OpenNode {
    this.ensureCapacity(this.nNodes + 1, outputs)
    const id = this.nNodes++
    this.tFeature[id] = -1
    this.tBin[id] = -1
    this.tBinHi[id] = -1
    this.tLeft[id] = -1
    this.tRight[id] = -1
    this.tDefaultLeft[id] = 0
    this.tCategory[id] = 0
    this.tCover[id] = weight
    if (this.k > 0) {
      for (let c = 0; c < this.k; c++) this.tValue[id * outputs + c] = weight > 0 ? stats[c]! / weight : 0
    } else this.tValue[id] = weight > 0 ? stats[1]! / weight : 0
    const impurity = impurityOf(s.criterion, stats, weight)
    const node: OpenNode = {
      id,
      start,
      end,
      depth,
      stats,
      weight,
      impurity,
      feature: -1,
      bin: -1,
      binHi: -1,
      missingLeft: false,
      category: false,
      gain: 0,
    }
    const count = end - start
    if (
      (s.maxDepth >= 0 && depth >= s.maxDepth) ||
      count < s.minSamplesSplit ||
      count < 2 * s.minSamplesLeaf ||
      impurity <= 0
    )
      return node
    this.splits.find(node, s, rng)
    return node
  }
}

// Best-first growth order (under maxLeafNodes): a max-heap of open nodes by gain.

function pushHeap(heap: OpenNode[], node: OpenNode): void {
  heap.push(node)
  let i = heap.length - 1
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!better(heap[i]!, heap[p]!)) break
    const t = heap[i]!
    heap[i] = heap[p]!
    heap[p] = t
    i = p
  }
}

/** Larger gain first; ties by smaller node id, so the order never depends on heap layout. */
function better(a: OpenNode, b: OpenNode): boolean {
  return a.gain > b.gain || (a.gain === b.gain && a.id < b.id)
}

function popMax(heap: OpenNode[]): OpenNode {
  const top = heap[0]!
  const lastNode = heap.pop()!
  if (heap.length > 0) {
    heap[0] = lastNode
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && better(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && better(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      const t = heap[i]!
      heap[i] = heap[m]!
      heap[m] = t
      i = m
    }
  }
  return top
}
