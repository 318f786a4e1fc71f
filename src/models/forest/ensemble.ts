import { lowerBound, type Matrix } from '../../core/index.js'
import type { TreeView } from '../estimator.js'
import type { BinnedFeatures } from '../tree/index.js'
import { CAT_WORDS, PackedForest, type Tree } from '../tree/index.js'
import type { GrownTree } from './grow-types.js'

// Kernels index typed arrays by node ids the trees were built with; non-null assertions are safe.

/**
 * All trees of a model in concatenated flat arrays (a single tree is a forest of one). Tree `t`
 * owns nodes `treeOffset[t] .. treeOffset[t+1]-1`; `left`/`right` are relative to the tree start
 * (-1 for leaves). A row goes left when `x <= threshold`, and when x is missing (NaN) it goes left
 * iff `defaultLeft` is 1. At one-vs-rest nodes (`categorical` 1) a row goes left iff
 * `x === threshold` (the level); every other level and missing go right. `value` holds `nOutputs`
 * numbers per node.
 * @internal
 */
export interface ForestState {
  readonly nTrees: number
  readonly nOutputs: number
  readonly treeOffset: Int32Array
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  readonly categorical: Uint8Array
  readonly cover: Float64Array
  readonly value: Float64Array
}

/** The bound in upper[lo..hi] (increasing) nearest to `v`; the lower one on a tie. */
function nearestBound(upper: Float64Array, lo: number, hi: number, v: number): number {
  // The first index in [lo, hi] with upper >= v (hi when none).
  const a = lowerBound(upper, v, lo, hi)
  if (a > lo && v - upper[a - 1]! <= upper[a]! - v) return upper[a - 1]!
  return upper[a]!
}

/** Concatenates grown trees, turning bin thresholds into raw-value thresholds. @internal */
export function assembleForest(
  trees: readonly GrownTree[],
  binned: Pick<BinnedFeatures, 'upper' | 'levels' | 'binMin' | 'binMax'>,
  nOutputs: number,
): ForestState {
  const { upper, levels, binMin, binMax } = binned
  const treeOffset = new Int32Array(trees.length + 1)
  for (let t = 0; t < trees.length; t++) treeOffset[t + 1] = treeOffset[t]! + trees[t]!.nNodes
  const total = treeOffset[trees.length]!
  const feature = new Int32Array(total)
  const threshold = new Float64Array(total)
  const left = new Int32Array(total)
  const right = new Int32Array(total)
  const defaultLeft = new Uint8Array(total)
  const categorical = new Uint8Array(total)
  const cover = new Float64Array(total)
  const value = new Float64Array(total * nOutputs)
  for (let t = 0; t < trees.length; t++) {
    const tree = trees[t]!
    const o = treeOffset[t]!
    feature.set(tree.feature, o)
    left.set(tree.left, o)
    right.set(tree.right, o)
    defaultLeft.set(tree.defaultLeft, o)
    categorical.set(tree.category, o)
    cover.set(tree.cover, o)
    value.set(tree.value, o * nOutputs)
    for (let i = 0; i < tree.nNodes; i++) {
      const f = tree.feature[i]!
      // The last real bin has no upper bound: such a split separates non-missing from missing.
      const b = tree.bin[i]!
      const hi = tree.binHi[i]!
      if (f < 0) threshold[o + i] = 0
      else if (tree.category[i] === 1) threshold[o + i] = levels[f]![b]!
      else if (hi > b + 1) {
        // Bins between the node's two sides hold no row of the node: cut midway between the
        // node's values, as CART does, snapped to the nearest bin bound so that the threshold
        // stays between two neighbouring training values (never on one, where rounding the
        // input to float32 could flip a value equal to it).
        const mid = binMax[f]![b]! / 2 + binMin[f]![hi]! / 2
        threshold[o + i] = nearestBound(upper[f]!, b, hi - 1, mid)
      } else threshold[o + i] = upper[f]![b] ?? Number.POSITIVE_INFINITY
    }
  }
  return {
    nTrees: trees.length,
    nOutputs,
    treeOffset,
    feature,
    threshold,
    left,
    right,
    defaultLeft,
    categorical,
    cover,
    value,
  }
}

/**
 * Adds every tree's leaf values for each row of `x` into `out` (rows × nOutputs), trees in
 * order, so the sums do not depend on how the model was built or loaded. No allocation.
 * @internal
 */
export function accumulateLeaves(state: ForestState, x: Matrix, out: Float64Array): void {
  const { nTrees, nOutputs, treeOffset, feature, threshold, left, right, defaultLeft, categorical, value } =
    state
  const data = x.data
  const cols = x.cols
  const rows = x.rows
  for (let t = 0; t < nTrees; t++) {
    const base = treeOffset[t]!
    for (let r = 0; r < rows; r++) {
      const rowBase = r * cols
      let node = base
      let l = left[node]!
      while (l !== -1) {
        const v = data[rowBase + feature[node]!]!
        const thr = threshold[node]!
        if (categorical[node] === 1) node = base + (v === thr ? l : right[node]!)
        else if (v <= thr) node = base + l
        else if (v > thr) node = base + right[node]!
        else node = base + (defaultLeft[node] === 1 ? l : right[node]!)
        l = left[node]!
      }
      if (nOutputs === 1) out[r]! += value[node]!
      else {
        const vo = node * nOutputs
        const oo = r * nOutputs
        for (let o = 0; o < nOutputs; o++) out[oo + o]! += value[vo + o]!
      }
    }
  }
}

/**
 * Out-of-bag sums: for each training row, the leaf values of the trees that did not draw it,
 * added in tree order (so the result is the same for any thread count), plus how many trees that
 * was. Rows are routed by their raw values as at prediction time (an out-of-bag value may fall
 * between a node's bins, on either side of the threshold).
 * @internal
 */
export function outOfBag(
  trees: readonly GrownTree[],
  state: ForestState,
  x: Matrix,
): { sum: Float64Array; count: Int32Array } {
  const { nOutputs, treeOffset, feature, threshold, left, right, defaultLeft, categorical, value } = state
  const n = x.rows
  const cols = x.cols
  const data = x.data
  const sum = new Float64Array(n * nOutputs)
  const count = new Int32Array(n)
  for (let t = 0; t < trees.length; t++) {
    const inBag = trees[t]!.inBag
    if (inBag === null) continue
    const base = treeOffset[t]!
    for (let r = 0; r < n; r++) {
      if (inBag[r] === 1) continue
      let node = base
      let l = left[node]!
      while (l !== -1) {
        const v = data[r * cols + feature[node]!]!
        const thr = threshold[node]!
        if (categorical[node] === 1) node = base + (v === thr ? l : right[node]!)
        else if (v <= thr) node = base + l
        else if (v > thr) node = base + right[node]!
        else node = base + (defaultLeft[node] === 1 ? l : right[node]!)
        l = left[node]!
      }
      for (let o = 0; o < nOutputs; o++) sum[r * nOutputs + o]! += value[node * nOutputs + o]!
      count[r]!++
    }
  }
  return { sum, count }
}

/**
 * Mean decrease in impurity: each tree's decreases normalised to sum 1, averaged over trees,
 * normalised again (scikit-learn's `feature_importances_`). All zeros when no tree split.
 * @internal
 */
export function meanDecreaseImpurity(trees: readonly GrownTree[], nFeatures: number): Float64Array {
  const out = new Float64Array(nFeatures)
  for (const tree of trees) {
    let total = 0
    for (let f = 0; f < nFeatures; f++) total += Math.max(0, tree.importance[f]!)
    if (total <= 0) continue
    for (let f = 0; f < nFeatures; f++) out[f]! += Math.max(0, tree.importance[f]!) / total
  }
  let total = 0
  for (let f = 0; f < nFeatures; f++) total += out[f]!
  if (total > 0) for (let f = 0; f < nFeatures; f++) out[f] = out[f]! / total
  return out
}

/** One tree of the state as a TreeView (subarray views, `value` for one output). @internal */
export function treeView(state: ForestState, t: number, output: number): TreeView {
  const a = state.treeOffset[t]!
  const b = state.treeOffset[t + 1]!
  let value: Float64Array
  if (state.nOutputs === 1) value = state.value.subarray(a, b)
  else {
    value = new Float64Array(b - a)
    for (let i = a; i < b; i++) value[i - a] = state.value[i * state.nOutputs + output]!
  }
  const categorical = state.categorical.subarray(a, b)
  const categoriesLeft: (number[] | null)[] = []
  let hasCategorical = false
  for (let i = a; i < b; i++) {
    const isCat = state.categorical[i] === 1
    hasCategorical ||= isCat
    categoriesLeft.push(isCat ? [state.threshold[i]!] : null)
  }
  return {
    ...(hasCategorical ? { categorical, categoriesLeft } : {}),
    feature: state.feature.subarray(a, b),
    threshold: state.threshold.subarray(a, b),
    left: state.left.subarray(a, b),
    right: state.right.subarray(a, b),
    defaultLeft: state.defaultLeft.subarray(a, b),
    value,
    cover: state.cover.subarray(a, b),
  }
}

/**
 * The forest in the packed, branch-free layout of gradient boosting's scorer (vector leaves of
 * nOutputs numbers), or null when a one-vs-rest level is not an integer code 0..255 (then
 * accumulateLeaves scores). Routing is the same: numeric x > threshold goes right, NaN follows
 * defaultLeft; a categorical node sends its level left and every other value (NaN too) right.
 * Leaf sums are added in tree order, so scores equal accumulateLeaves' bit for bit.
 * @internal
 */
export function packForest(state: ForestState): PackedForest | null {
  const { nTrees, nOutputs, treeOffset } = state
  const trees: Tree[] = []
  for (let t = 0; t < nTrees; t++) {
    const o = treeOffset[t]!
    const n = treeOffset[t + 1]! - o
    const feature = new Int32Array(n)
    const threshold = new Float64Array(n)
    const defaultLeft = new Uint8Array(n)
    const catIndex = new Int32Array(n).fill(-1)
    const bits: number[] = []
    for (let i = 0; i < n; i++) {
      const leaf = state.left[o + i] === -1
      feature[i] = leaf ? -1 : state.feature[o + i]!
      threshold[i] = state.threshold[o + i]!
      defaultLeft[i] = state.defaultLeft[o + i]!
      if (!leaf && state.categorical[o + i] === 1) {
        const level = state.threshold[o + i]!
        if (!Number.isInteger(level) || level < 0 || level > 255) return null
        const words = new Array<number>(CAT_WORDS).fill(0)
        words[level >>> 5] = (1 << (level & 31)) >>> 0
        catIndex[i] = bits.length / CAT_WORDS
        bits.push(...words)
        defaultLeft[i] = 0
      }
    }
    trees.push({
      feature,
      threshold,
      left: state.left.slice(o, o + n),
      right: state.right.slice(o, o + n),
      defaultLeft,
      value: state.value.slice(o * nOutputs, (o + n) * nOutputs),
      cover: new Float64Array(n),
      gain: new Float64Array(n),
      catIndex,
      catBits: Uint32Array.from(bits),
    })
  }
  return PackedForest.fromTrees(trees, new Int32Array(nTrees), nOutputs, nOutputs)
}
