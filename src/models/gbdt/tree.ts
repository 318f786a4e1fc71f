import type { TreeView } from '../estimator.js'

/** 32-bit words of a categorical split's bitset: codes 0..255. */
export const CAT_WORDS = 8

/**
 * A fitted tree as flat typed arrays; node 0 is the root. Leaves have feature -1. A numeric node
 * sends x <= threshold left; a categorical node (catIndex >= 0) sends codes whose bit is set in
 * catBits[catIndex*8 ..] left and other codes right. NaN follows defaultLeft.
 */
export interface Tree {
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
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

/** Flag bit in PackedForest's node word (the low 24 bits hold the feature index). */
const FLAG_CATEGORICAL = 1 << 30
const FEATURE_MASK = (1 << 24) - 1
/** Rows scored together per tree in batch prediction (tree nodes and rows stay in cache). */
const ROW_BLOCK = 128

/**
 * Node order of `tree` in which every right child directly follows its left sibling (breadth
 * first). Trees grown here already have it; this covers any other valid tree.
 */
function siblingOrder(tree: Tree): Int32Array {
  const n = tree.feature.length
  const order = new Int32Array(n)
  let head = 0
  let tail = 1
  while (head < tail) {
    const i = order[head++]!
    if (tree.feature[i]! >= 0) {
      order[tail++] = tree.left[i]!
      order[tail++] = tree.right[i]!
    }
  }
  return order
}

/** The arrays of a PackedForest (see its docs for the layout). */
export interface PackedForestParts {
  readonly nOutputs: number
  readonly roots: Int32Array
  readonly outputOf: Int32Array
  readonly nodes: Int32Array
  readonly numbers: Float64Array
  readonly catBits: Uint32Array
  readonly depthOf: Int32Array
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4))
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
 * All trees of an ensemble packed into flat arrays with absolute child indices, so scoring a row
 * is a tight loop with no allocation. Each node is four int32 words: [info, left, nanRight,
 * catOffset], where info is -1 for a leaf, else the feature index (plus a flag for categorical
 * splits). The right child always sits at left + 1, so a numeric step is branch-free arithmetic:
 * node = left + (x > threshold). `numbers` holds the threshold of a split node and the value of
 * a leaf.
 */
export class PackedForest {
  readonly nOutputs: number
  readonly nTrees: number
  private readonly roots: Int32Array
  private readonly outputOf: Int32Array
  private readonly nodes: Int32Array
  private readonly numbers: Float64Array
  private readonly catBits: Uint32Array
  /** Depth (edges from root to the deepest leaf) of each tree. */
  private readonly depthOf: Int32Array

  constructor(parts: PackedForestParts) {
    this.nOutputs = parts.nOutputs
    this.nTrees = parts.roots.length
    this.roots = parts.roots
    this.outputOf = parts.outputOf
    this.nodes = parts.nodes
    this.numbers = parts.numbers
    this.catBits = parts.catBits
    this.depthOf = parts.depthOf
  }

  /** The packed arrays, all backed by SharedArrayBuffers (worker threads can score with them). */
  parts(): PackedForestParts {
    const { nOutputs, roots, outputOf, nodes, numbers, catBits, depthOf } = this
    return { nOutputs, roots, outputOf, nodes, numbers, catBits, depthOf }
  }

  /** Packs fitted trees; `treeOutput[t]` is the output (class) tree t adds to. */
  static fromTrees(trees: readonly Tree[], treeOutput: Int32Array, nOutputs: number): PackedForest {
    let nNodes = 0
    let nCatWords = 0
    for (const t of trees) {
      nNodes += t.feature.length
      nCatWords += t.catBits.length
    }
    const roots = sharedInt32(trees.length)
    const outputOf = sharedInt32(trees.length)
    outputOf.set(treeOutput)
    const nodes = sharedInt32(nNodes * 4)
    const numbers = new Float64Array(new SharedArrayBuffer(nNodes * 8))
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
        const j = (base + p) * 4
        const f = tree.feature[i]!
        if (f < 0) {
          nodes[j] = -1
          numbers[base + p] = tree.value[i]!
          continue
        }
        const ci = tree.catIndex[i]!
        nodes[j] = f | (ci >= 0 ? FLAG_CATEGORICAL : 0)
        nodes[j + 1] = base + position[tree.left[i]!]!
        nodes[j + 2] = tree.defaultLeft[i] === 1 ? 0 : 1
        nodes[j + 3] = ci < 0 ? -1 : catBase + ci * CAT_WORDS
        numbers[base + p] = tree.threshold[i]!
      }
      catBits.set(tree.catBits, catBase)
      base += n
      catBase += tree.catBits.length
    }
    return new PackedForest({ nOutputs, roots, outputOf, nodes, numbers, catBits, depthOf })
  }

  /** Whether code `v` is in the left set at catBits[co..]; codes never seen at fit time go right. */
  private isLeftCategory(co: number, v: number): boolean {
    const code = v | 0
    return (
      code === v && code >= 0 && code < 256 && ((this.catBits[co + (code >>> 5)]! >>> (code & 31)) & 1) === 1
    )
  }

  /** Value of the leaf reached from `root` by the row starting at data[offset]. */
  private leafValue(root: number, data: Float64Array, offset: number): number {
    // Child indices come from a validated tree, so every index below is in range.
    const nodes = this.nodes
    const numbers = this.numbers
    let node = root
    let info = nodes[node * 4]!
    while (info >= 0) {
      const j = node * 4
      const v = data[offset + (info & FEATURE_MASK)]!
      if (Number.isNaN(v)) {
        node = nodes[j + 1]! + nodes[j + 2]!
      } else if (info < FLAG_CATEGORICAL) {
        node = nodes[j + 1]! + ((v > numbers[node]! ? 1 : 0) | 0)
      } else {
        node = nodes[j + 1]! + (this.isLeftCategory(nodes[j + 3]!, v) ? 0 : 1)
      }
      info = nodes[node * 4]!
    }
    return numbers[node]!
  }
  /**
   * Adds the trees' outputs for one row (data[offset .. offset+nFeatures)) to out[outOffset ..
   * outOffset+nOutputs). No allocation.
   */
  addRow(data: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    const { roots, outputOf } = this
    const nTrees = this.nTrees
    if (this.nOutputs === 1) {
      // Same summation order as addRows (start value, then tree by tree): bit-identical results.
      let acc = out[outOffset]!
      for (let t = 0; t < nTrees; t++) acc += this.leafValue(roots[t]!, data, offset)
      out[outOffset] = acc
      return
    }
    for (let t = 0; t < nTrees; t++) {
      const k = outOffset + outputOf[t]!
      out[k] = out[k]! + this.leafValue(roots[t]!, data, offset)
    }
  }

  /**
   * Raw margins of rows [from, to) of a row-major matrix with `cols` columns, added onto `out`
   * (row-major, nOutputs per row). For each block of rows, each tree moves all rows of the block
   * down one level at a time: the walks are independent, so the CPU overlaps their memory loads
   * instead of waiting on one pointer chase at a time.
   */
  addRows(data: Float64Array, cols: number, from: number, to: number, out: Float64Array): void {
    const K = this.nOutputs
    const { roots, outputOf, nodes, numbers, depthOf } = this
    const cursor = new Int32Array(ROW_BLOCK)
    for (let b = from; b < to; b += ROW_BLOCK) {
      const m = Math.min(to, b + ROW_BLOCK) - b
      for (let t = 0; t < this.nTrees; t++) {
        const root = roots[t]!
        const o = outputOf[t]!
        cursor.fill(root, 0, m)
        const depth = depthOf[t]!
        for (let level = 0; level < depth; level++) {
          for (let i = 0; i < m; i++) {
            const node = cursor[i]!
            const info = nodes[node * 4]!
            if (info < 0) continue
            const j = node * 4
            const v = data[(b + i) * cols + (info & FEATURE_MASK)]!
            if (Number.isNaN(v)) cursor[i] = nodes[j + 1]! + nodes[j + 2]!
            else if (info < FLAG_CATEGORICAL) cursor[i] = nodes[j + 1]! + ((v > numbers[node]! ? 1 : 0) | 0)
            else cursor[i] = nodes[j + 1]! + (this.isLeftCategory(nodes[j + 3]!, v) ? 0 : 1)
          }
        }
        for (let i = 0; i < m; i++) {
          const k = (b + i) * K + o
          out[k] = out[k]! + numbers[cursor[i]!]!
        }
      }
    }
  }
}
