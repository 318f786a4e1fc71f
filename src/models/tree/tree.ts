import type { TreeView } from '../estimator.js'
import {
  CAT_WORDS,
  FEATURE_MASK,
  FLAG_CATEGORICAL,
  NAN_RIGHT_SHIFT,
  type PackedForestParts,
} from './packed-parts.js'
import { WasmScorer } from './wasm-score.js'

export { CAT_WORDS }

/**
 * A fitted tree as flat typed arrays; node 0 is the root. Leaves have feature -1. A numeric node
 * sends x <= threshold left; a categorical node (catIndex >= 0) sends codes whose bit is set in
 * catBits[catIndex*8 ..] left and other codes right. NaN follows defaultLeft.
 */
export interface Tree extends Omit<TreeView, 'categorical' | 'categoriesLeft'> {
  // The node arrays (feature, threshold, left, right, defaultLeft) are TreeView's; categorical
  // splits are held as bitsets (catIndex, catBits) rather than TreeView's per-node code lists.
  /** Leaf values (shrinkage applied); internal nodes hold what they would output as a leaf. */
  readonly value: Float64Array
  /** Hessian sum of the training rows reaching the node. */
  readonly cover: Float64Array
  /** Split gain of internal nodes (0 for leaves). */
  readonly gain: Float64Array
  readonly catIndex: Int32Array
  readonly catBits: Uint32Array
}

/** Grows a tree node by node during training; `finish` packs it into a `Tree`. */
export class TreeBuilder {
  private readonly feature: number[] = []
  private readonly threshold: number[] = []
  private readonly left: number[] = []
  private readonly right: number[] = []
  private readonly defaultLeft: number[] = []
  private readonly value: number[] = []
  private readonly cover: number[] = []
  private readonly gain: number[] = []
  private readonly catIndex: number[] = []
  private readonly catBits: number[] = []
  /** Training-only: per node, the bins that go left (for routing binned rows). */
  readonly leftMasks: (Uint8Array | null)[] = []

  get size(): number {
    return this.feature.length
  }

  /** Adds a leaf and returns its index. */
  addLeaf(value: number, cover: number): number {
    this.feature.push(-1)
    this.threshold.push(Number.NaN)
    this.left.push(-1)
    this.right.push(-1)
    this.defaultLeft.push(0)
    this.value.push(value)
    this.cover.push(cover)
    this.gain.push(0)
    this.catIndex.push(-1)
    this.leftMasks.push(null)
    return this.feature.length - 1
  }

  /** Turns leaf `node` into a split with the given children. */
  setSplit(
    node: number,
    split: {
      feature: number
      threshold: number
      categories: readonly number[] | null
      defaultLeft: boolean
      gain: number
      leftMask: Uint8Array
    },
    leftChild: number,
    rightChild: number,
  ): void {
    this.feature[node] = split.feature
    this.threshold[node] = split.categories === null ? split.threshold : Number.NaN
    this.left[node] = leftChild
    this.right[node] = rightChild
    this.defaultLeft[node] = split.defaultLeft ? 1 : 0
    this.gain[node] = split.gain
    this.leftMasks[node] = split.leftMask
    if (split.categories !== null) {
      const index = this.catBits.length / CAT_WORDS
      const words = new Array<number>(CAT_WORDS).fill(0)
      for (const code of split.categories) words[code >>> 5] = (words[code >>> 5]! | (1 << (code & 31))) >>> 0
      this.catBits.push(...words)
      this.catIndex[node] = index
    }
  }

  setValue(node: number, value: number): void {
    this.value[node] = value
  }

  getValue(node: number): number {
    return this.value[node]!
  }

  isLeaf(node: number): boolean {
    return this.feature[node] === -1
  }

  childrenOf(node: number): [number, number] {
    return [this.left[node]!, this.right[node]!]
  }

  featureOf(node: number): number {
    return this.feature[node]!
  }

  finish(): Tree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Float64Array.from(this.threshold),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      defaultLeft: Uint8Array.from(this.defaultLeft),
      value: Float64Array.from(this.value),
      cover: Float64Array.from(this.cover),
      gain: Float64Array.from(this.gain),
      catIndex: Int32Array.from(this.catIndex),
      catBits: Uint32Array.from(this.catBits),
    }
  }
}

/** The TreeView (for TreeSHAP and exporters) of a tree. */
export function treeView(tree: Tree): TreeView {
  const n = tree.feature.length
  const categorical = new Uint8Array(n)
  const categoriesLeft: (readonly number[] | null)[] = []
  for (let i = 0; i < n; i++) {
    const ci = tree.catIndex[i]!
    if (ci < 0) {
      categoriesLeft.push(null)
      continue
    }
    categorical[i] = 1
    const codes: number[] = []
    for (let code = 0; code < 32 * CAT_WORDS; code++) {
      if ((tree.catBits[ci * CAT_WORDS + (code >>> 5)]! >>> (code & 31)) & 1) codes.push(code)
    }
    categoriesLeft.push(codes)
  }
  return {
    feature: tree.feature,
    threshold: tree.threshold,
    left: tree.left,
    right: tree.right,
    defaultLeft: tree.defaultLeft,
    value: tree.value,
    cover: tree.cover,
    categorical,
    categoriesLeft,
  }
}

/** Trees walked in lockstep when scoring one row (independent walks overlap their loads). */
const TREE_LANES = 4
/** Rows scored per group of trees in batch scoring. */
const ROW_BLOCK = 64

/**
 * Node order of `tree` in which every right child directly follows its left sibling, and every
 * subtree's nodes are contiguous (pairs of children in depth-first order). A walk's deep steps
 * then stay within a few cache lines: on full-depth forests, breadth-first order put each of them
 * on a line of its own (measured: bench/train-cost-results.md, session 12).
 */
function siblingOrder(tree: Tree): Int32Array {
  const n = tree.feature.length
  const order = new Int32Array(n)
  const stack = new Int32Array(n)
  let top = 0
  let tail = 1
  stack[top++] = 0
  while (top > 0) {
    const i = stack[--top]!
    if (tree.feature[i]! < 0) continue
    const left = tree.left[i]!
    const right = tree.right[i]!
    order[tail++] = left
    order[tail++] = right
    // Left first: its subtree follows the pair, then the right one's.
    stack[top++] = right
    stack[top++] = left
  }
  return order
}

// In a leaf module so that wasm-score.ts can name it without importing this file back.
export type { PackedForestParts } from './packed-parts.js'

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4))
}
function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * 8))
}

/** Edges on the longest root-to-leaf path. */
function treeDepth(tree: Tree): number {
  const n = tree.feature.length
  const depth = new Int32Array(n)
  let max = 0
  // Children always come after their parent (checked when loading), so one forward pass works.
  for (let i = 0; i < n; i++) {
    if (tree.feature[i]! < 0) continue
    const d = depth[i]! + 1
    depth[tree.left[i]!] = d
    depth[tree.right[i]!] = d
    if (d > max) max = d
  }
  return max
}

/**
 * All trees of an ensemble packed into flat arrays with absolute child indices, so scoring is a
 * tight loop with no allocation and no branch on the common path. Each node is two int32 words,
 * [info, child]: info holds the feature index and flags (missing goes right; categorical), child
 * the left child, with the right child always at child + 1, so a step is plain arithmetic:
 * node = child + (x > threshold). A leaf points at itself with threshold +Infinity and feature 0,
 * so a walk that reaches it stays there: every tree is walked exactly depthOf[t] steps with no
 * leaf test, and several walks can run in lockstep. `values` holds leaf values.
 */
export class PackedForest {
  readonly nOutputs: number
  readonly nTrees: number
  private readonly valueWidth: number
  readonly roots: Int32Array
  private readonly outputOf: Int32Array
  readonly nodes: Int32Array
  readonly thresholds: Float64Array
  readonly values: Float64Array
  private readonly catOffset: Int32Array
  private readonly catBits: Uint32Array
  /** Depth (edges from root to the deepest leaf) of each tree. */
  readonly depthOf: Int32Array
  private readonly singleOutput: boolean
  /** The WebAssembly batch scorer, made on first use; null: none. */
  private wasm: WasmScorer | null | undefined

  constructor(parts: PackedForestParts) {
    this.nOutputs = parts.nOutputs
    this.valueWidth = parts.valueWidth
    this.nTrees = parts.roots.length
    this.roots = parts.roots
    this.outputOf = parts.outputOf
    this.nodes = parts.nodes
    this.thresholds = parts.thresholds
    this.values = parts.values
    this.catOffset = parts.catOffset
    this.catBits = parts.catBits
    this.depthOf = parts.depthOf
    this.singleOutput = parts.nOutputs === 1
  }

  /** The packed arrays, all backed by SharedArrayBuffers (worker threads can score with them). */
  parts(): PackedForestParts {
    const { nOutputs, valueWidth, roots, outputOf, nodes, thresholds, values, catOffset, catBits, depthOf } =
      this
    return { nOutputs, valueWidth, roots, outputOf, nodes, thresholds, values, catOffset, catBits, depthOf }
  }

  /**
   * Packs fitted trees; `treeOutput[t]` is the output (class) tree t adds to. With `valueWidth`
   * = nOutputs every leaf holds a vector instead (tree.value has valueWidth numbers per node, as
   * random forests' class frequencies) that each tree adds to all outputs.
   */
  static fromTrees(
    trees: readonly Tree[],
    treeOutput: Int32Array,
    nOutputs: number,
    valueWidth = 1,
  ): PackedForest {
    let nNodes = 0
    let nCatWords = 0
    for (const t of trees) {
      nNodes += t.feature.length
      nCatWords += t.catBits.length
    }
    const roots = sharedInt32(trees.length)
    const outputOf = sharedInt32(trees.length)
    outputOf.set(treeOutput)
    const nodes = sharedInt32(nNodes * 2)
    const thresholds = sharedFloat64(nNodes)
    const values = sharedFloat64(nNodes * valueWidth)
    const catOffset = sharedInt32(nNodes)
    const catBits = new Uint32Array(new SharedArrayBuffer(nCatWords * 4))
    const depthOf = sharedInt32(trees.length)
    let base = 0
    let catBase = 0
    for (let t = 0; t < trees.length; t++) {
      const tree = trees[t]!
      const n = tree.feature.length
      const order = siblingOrder(tree)
      const position = new Int32Array(n)
      for (let p = 0; p < n; p++) position[order[p]!] = p
      depthOf[t] = treeDepth(tree)
      roots[t] = base
      for (let p = 0; p < n; p++) {
        const i = order[p]!
        const k = base + p
        const f = tree.feature[i]!
        for (let o = 0; o < valueWidth; o++) values[k * valueWidth + o] = tree.value[i * valueWidth + o]!
        catOffset[k] = -1
        if (f < 0) {
          nodes[2 * k] = 0
          nodes[2 * k + 1] = k
          thresholds[k] = Number.POSITIVE_INFINITY
          continue
        }
        const ci = tree.catIndex[i]!
        const nanRight = tree.defaultLeft[i] === 1 ? 0 : 1
        nodes[2 * k] = f | (nanRight << NAN_RIGHT_SHIFT) | (ci >= 0 ? FLAG_CATEGORICAL : 0)
        nodes[2 * k + 1] = base + position[tree.left[i]!]!
        thresholds[k] = tree.threshold[i]!
        if (ci >= 0) catOffset[k] = catBase + ci * CAT_WORDS
      }
      catBits.set(tree.catBits, catBase)
      base += n
      catBase += tree.catBits.length
    }
    return new PackedForest({
      nOutputs,
      valueWidth,
      roots,
      outputOf,
      nodes,
      thresholds,
      values,
      catOffset,
      catBits,
      depthOf,
    })
  }

  /**
   * Step (0 left, 1 right) at categorical node `node` for value v: codes in the node's left set
   * go left; NaN follows the missing direction; codes never seen at fit time go right.
   */
  private categoricalStep(node: number, info: number, v: number): number {
    if (Number.isNaN(v)) return (info >>> NAN_RIGHT_SHIFT) & 1
    const code = v | 0
    if (code !== v || code < 0 || code >= 256) return 1
    const co = this.catOffset[node]!
    return ((this.catBits[co + (code >>> 5)]! >>> (code & 31)) & 1) === 1 ? 0 : 1
  }

  /** The node one step below `node` for the row at data[offset..]. */
  private step(node: number, data: Float64Array, offset: number): number {
    // Child indices come from a validated tree, so every index below is in range.
    const nodes = this.nodes
    const info = nodes[2 * node]!
    const v = data[offset + (info & FEATURE_MASK)]!
    // Branch-free for numeric splits: x > t goes right, and so does NaN when flagged.
    // Unary plus turns a comparison into 0/1 without a branch in V8 (`? 1 : 0` compiles to a
    // branch, mispredicted about half the time on split decisions: 3x slower).
    let right = +(v > this.thresholds[node]!) | (+Number.isNaN(v) & (info >>> NAN_RIGHT_SHIFT))
    if (info >= FLAG_CATEGORICAL) right = this.categoricalStep(node, info, v)
    return nodes[2 * node + 1]! + right
  }

  /**
   * Adds the outputs of trees t..t+3 for the row at data[offset..] to out[outOffset..]: the four
   * walks run in lockstep (the CPU overlaps their loads) and stop once every lane sits on a leaf
   * (only a leaf maps to itself). Values are added in tree order.
   */
  private addGroup(
    t: number,
    data: Float64Array,
    offset: number,
    out: Float64Array,
    outOffset: number,
  ): void {
    const { roots, depthOf, values } = this
    let n0 = roots[t]!
    let n1 = roots[t + 1]!
    let n2 = roots[t + 2]!
    let n3 = roots[t + 3]!
    const d = Math.max(depthOf[t]!, depthOf[t + 1]!, depthOf[t + 2]!, depthOf[t + 3]!)
    for (let level = 0; level < d; level++) {
      // One lane after the other in the source keeps few values live (no register spills); the
      // CPU still overlaps the four independent walks.
      const m0 = this.step(n0, data, offset)
      const m1 = this.step(n1, data, offset)
      const m2 = this.step(n2, data, offset)
      const m3 = this.step(n3, data, offset)
      // Only a leaf maps to itself: when no lane moved, all four walks are done.
      const moved = m0 !== n0 || m1 !== n1 || m2 !== n2 || m3 !== n3
      n0 = m0
      n1 = m1
      n2 = m2
      n3 = m3
      if (!moved) break
    }
    const W = this.valueWidth
    if (W > 1) {
      for (let o = 0; o < W; o++) {
        const k = outOffset + o
        out[k] =
          out[k]! + values[n0 * W + o]! + values[n1 * W + o]! + values[n2 * W + o]! + values[n3 * W + o]!
      }
    } else if (this.singleOutput) {
      out[outOffset] = out[outOffset]! + values[n0]! + values[n1]! + values[n2]! + values[n3]!
    } else {
      const outputOf = this.outputOf
      const k0 = outOffset + outputOf[t]!
      out[k0] = out[k0]! + values[n0]!
      const k1 = outOffset + outputOf[t + 1]!
      out[k1] = out[k1]! + values[n1]!
      const k2 = outOffset + outputOf[t + 2]!
      out[k2] = out[k2]! + values[n2]!
      const k3 = outOffset + outputOf[t + 3]!
      out[k3] = out[k3]! + values[n3]!
    }
  }

  /** Adds the output of tree t alone (the trees left over after the groups of four). */
  private addOne(t: number, data: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    let node = this.roots[t]!
    const d = this.depthOf[t]!
    for (let level = 0; level < d; level++) node = this.step(node, data, offset)
    const W = this.valueWidth
    if (W > 1) {
      for (let o = 0; o < W; o++) out[outOffset + o] = out[outOffset + o]! + this.values[node * W + o]!
    } else {
      const k = outOffset + this.outputOf[t]!
      out[k] = out[k]! + this.values[node]!
    }
  }

  /** The WebAssembly scorer, made on first use; null where WasmScorer.create declines. */
  private wasmScorer(): WasmScorer | null {
    if (this.wasm === undefined) this.wasm = WasmScorer.create(this.parts())
    return this.wasm
  }

  /**
   * Adds the trees' outputs for one row (data[offset .. offset+nFeatures)) to out[outOffset ..
   * outOffset+nOutputs). No allocation. Values are added in tree order, so results equal addRows'
   * bit for bit. Given the row width `cols`, the WebAssembly scorer may take the row.
   */
  addRow(data: Float64Array, offset: number, out: Float64Array, outOffset: number, cols = 0): void {
    const wasm = cols > 0 ? this.wasmScorer() : null
    if (wasm !== null) {
      wasm.scoreRow(data, offset, cols, out, outOffset)
      return
    }
    const nTrees = this.nTrees
    let t = 0
    for (; t + TREE_LANES <= nTrees; t += TREE_LANES) this.addGroup(t, data, offset, out, outOffset)
    for (; t < nTrees; t++) this.addOne(t, data, offset, out, outOffset)
  }

  /**
   * Raw margins of rows [from, to) of a row-major matrix with `cols` columns, added onto `out`
   * (row-major, nOutputs per row). Rows go in blocks, and each group of four trees scores the
   * whole block before the next group: the group's nodes stay in L1 instead of the whole model
   * streaming through the cache for every row. Each row still gets its trees in tree order.
   */
  addRows(data: Float64Array, cols: number, from: number, to: number, out: Float64Array): void {
    // Batches of every size take the WebAssembly scorer when the forest allows it: measured from one
    // row up it is as fast as the JavaScript walk or faster (100-tree GBDT: 3.5 vs 6.1 µs for one
    // row, 19 vs 36 µs for eight; 100 deep RF trees: 77 vs 136 µs for eight).
    const wasm = this.wasmScorer()
    if (wasm !== null && to > from) {
      wasm.score(data, cols, from, to, out)
      return
    }
    const K = this.nOutputs
    const nTrees = this.nTrees
    for (let b = from; b < to; b += ROW_BLOCK) {
      const e = Math.min(to, b + ROW_BLOCK)
      let t = 0
      for (; t + TREE_LANES <= nTrees; t += TREE_LANES) {
        for (let r = b; r < e; r++) this.addGroup(t, data, r * cols, out, r * K)
      }
      for (; t < nTrees; t++) for (let r = b; r < e; r++) this.addOne(t, data, r * cols, out, r * K)
    }
  }
}
