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

/**
 * All trees of an ensemble packed into one set of arrays with absolute child indices, so
 * scoring a row is a tight loop with no allocation: for each tree, walk from its root to a leaf.
 */
export class PackedForest {
  readonly nOutputs: number
  readonly nTrees: number
  private readonly roots: Int32Array
  private readonly outputOf: Int32Array
  private readonly feature: Int32Array
  private readonly threshold: Float64Array
  private readonly left: Int32Array
  private readonly right: Int32Array
  private readonly defaultLeft: Uint8Array
  private readonly value: Float64Array
  /** Word offset into catBits for categorical nodes, -1 otherwise. */
  private readonly catOffset: Int32Array
  private readonly catBits: Uint32Array
  private readonly hasCategorical: boolean

  constructor(trees: readonly Tree[], treeOutput: Int32Array, nOutputs: number) {
    this.nOutputs = nOutputs
    this.nTrees = trees.length
    let nNodes = 0
    let nCatWords = 0
    for (const t of trees) {
      nNodes += t.feature.length
      nCatWords += t.catBits.length
    }
    this.roots = new Int32Array(trees.length)
    this.outputOf = Int32Array.from(treeOutput)
    this.feature = new Int32Array(nNodes)
    this.threshold = new Float64Array(nNodes)
    this.left = new Int32Array(nNodes)
    this.right = new Int32Array(nNodes)
    this.defaultLeft = new Uint8Array(nNodes)
    this.value = new Float64Array(nNodes)
    this.catOffset = new Int32Array(nNodes)
    this.catBits = new Uint32Array(nCatWords)
    let base = 0
    let catBase = 0
    for (let t = 0; t < trees.length; t++) {
      const tree = trees[t]!
      const n = tree.feature.length
      this.roots[t] = base
      for (let i = 0; i < n; i++) {
        const j = base + i
        this.feature[j] = tree.feature[i]!
        this.threshold[j] = tree.threshold[i]!
        this.left[j] = tree.left[i]! < 0 ? -1 : base + tree.left[i]!
        this.right[j] = tree.right[i]! < 0 ? -1 : base + tree.right[i]!
        this.defaultLeft[j] = tree.defaultLeft[i]!
        this.value[j] = tree.value[i]!
        const ci = tree.catIndex[i]!
        this.catOffset[j] = ci < 0 ? -1 : catBase + ci * CAT_WORDS
      }
      this.catBits.set(tree.catBits, catBase)
      base += n
      catBase += tree.catBits.length
    }
    this.hasCategorical = nCatWords > 0
  }

  /** Leaf node (absolute index) reached by the row starting at data[offset]. */
  private leafOf(root: number, data: Float64Array, offset: number): number {
    // Child indices come from a validated tree, so every index below is in range.
    const { feature, threshold, left, right, defaultLeft, catOffset, catBits } = this
    let node = root
    let f = feature[node]!
    while (f >= 0) {
      const v = data[offset + f]!
      if (v !== v) {
        node = defaultLeft[node] === 1 ? left[node]! : right[node]!
      } else {
        const co = catOffset[node]!
        if (co < 0) {
          node = v <= threshold[node]! ? left[node]! : right[node]!
        } else {
          // Codes outside 0..255 or not integers were never seen at fit time: go right.
          const code = v | 0
          const isLeft =
            code === v && code >= 0 && code < 256 && ((catBits[co + (code >>> 5)]! >>> (code & 31)) & 1) === 1
          node = isLeft ? left[node]! : right[node]!
        }
      }
      f = feature[node]!
    }
    return node
  }

  /**
   * Adds the trees' outputs for one row (data[offset .. offset+nFeatures)) to out[outOffset ..
   * outOffset+nOutputs). No allocation.
   */
  addRow(data: Float64Array, offset: number, out: Float64Array, outOffset: number): void {
    const { roots, outputOf, value } = this
    const nTrees = this.nTrees
    if (this.nOutputs === 1) {
      let sum = 0
      if (this.hasCategorical) {
        for (let t = 0; t < nTrees; t++) sum += value[this.leafOf(roots[t]!, data, offset)]!
      } else {
        for (let t = 0; t < nTrees; t++) sum += value[this.numericLeafOf(roots[t]!, data, offset)]!
      }
      out[outOffset] = out[outOffset]! + sum
      return
    }
    for (let t = 0; t < nTrees; t++) {
      const k = outOffset + outputOf[t]!
      out[k] = out[k]! + value[this.leafOf(roots[t]!, data, offset)]!
    }
  }

  /** Leaf lookup for forests without categorical splits (one branch less per node). */
  private numericLeafOf(root: number, data: Float64Array, offset: number): number {
    const { feature, threshold, left, right, defaultLeft } = this
    let node = root
    let f = feature[node]!
    while (f >= 0) {
      const v = data[offset + f]!
      node =
        v <= threshold[node]! ? left[node]! : v !== v && defaultLeft[node] === 1 ? left[node]! : right[node]!
      f = feature[node]!
    }
    return node
  }

  /**
   * Raw margins of rows [from, to) of a row-major matrix with `cols` columns, added onto
   * `out` (row-major, nOutputs per row). Trees are walked in blocks of rows so a tree's nodes
   * stay in cache while a block is scored.
   */
  addRows(data: Float64Array, cols: number, from: number, to: number, out: Float64Array): void {
    const K = this.nOutputs
    for (let r = from; r < to; r++) this.addRow(data, r * cols, out, r * K)
  }
}
