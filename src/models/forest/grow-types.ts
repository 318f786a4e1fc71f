// The data, settings and node records the forest grower's parts share (grower.ts sequences them:
// histogram.ts, split-finder.ts, partition.ts).

/** Criterion codes used inside the kernel. @internal */
export const CRITERION = { gini: 0, entropy: 1, 'squared-error': 2 } as const

/** What the grower reads: binned features (shared between threads) and the target. @internal */
export interface GrowData {
  readonly n: number
  readonly d: number
  readonly codes: Uint16Array
  readonly nBins: Int32Array
  /** 1 where the feature has missing values in training. */
  readonly hasMissing: Uint8Array
  /**
   * 1 for categorical features split one level against the rest (what a one-hot encoding gives
   * CART); their bins are their exact levels. Each level, and missing, is drawn as a feature of
   * its own when sampling `mtry`, as columns of a one-hot encoding would be.
   */
  readonly oneVsRest: Uint8Array
  /** Number of classes for classification; 0 for regression. */
  readonly nClasses: number
  /** Class codes 0..k-1 (classification). */
  readonly yClass: Int32Array | null
  /** Targets (regression). */
  readonly y: Float64Array | null
  readonly sampleWeight: Float64Array | null
}

/** Settings for one tree. `maxDepth` -1 and `maxLeafNodes` 0 mean unlimited. @internal */
export interface GrowSettings {
  readonly criterion: 0 | 1 | 2
  readonly maxDepth: number
  readonly minSamplesSplit: number
  readonly minSamplesLeaf: number
  readonly mtry: number
  readonly maxLeafNodes: number
  readonly bootstrap: boolean
  readonly keepInBag: boolean
}

/**
 * One grown tree in flat arrays. Internal nodes send rows with `code <= bin[i]` left and missing
 * rows left when `defaultLeft[i] === 1`; leaves have `left[i] === -1` and `feature[i] === -1`.
 * `value` holds `outputs` numbers per node (class probabilities, or the mean target).
 * @internal
 */
export interface GrownTree {
  readonly nNodes: number
  readonly feature: Int32Array
  readonly bin: Int32Array
  /**
   * Numeric splits: the lowest bin above `bin` that the node's rows occupy, so the threshold can
   * sit midway between the node's values (-1: none, the split separates values from missing).
   */
  readonly binHi: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  /** 1 for one-vs-rest splits: rows whose code is bin `bin[i]` go left, all others (and missing) right. */
  readonly category: Uint8Array
  readonly cover: Float64Array
  readonly value: Float64Array
  /** Weighted impurity decrease per feature (unnormalised). */
  readonly importance: Float64Array
  /** 1 for rows drawn into this tree's bootstrap sample (only when `keepInBag`). */
  readonly inBag: Uint8Array | null
}

/**
 * A node still open for splitting: its rows `idx[start, end)` (see NodeRows), its statistics
 * (class weights, or weight, w·y and w·y² for regression) and, once searched, its best split
 * (`feature` -1 when it stays a leaf). @internal
 */
export interface OpenNode {
  id: number
  start: number
  end: number
  depth: number
  stats: Float64Array
  weight: number
  impurity: number
  feature: number
  bin: number
  binHi: number
  missingLeft: boolean
  category: boolean
  gain: number
}

/** Virtual features: one per numeric feature, one per level (and missing) of one-vs-rest features. */
export function virtualFeatureCount(
  data: Pick<GrowData, 'd' | 'nBins' | 'hasMissing' | 'oneVsRest'>,
): number {
  let count = 0
  for (let f = 0; f < data.d; f++) count += data.oneVsRest[f] === 1 ? data.nBins[f]! + data.hasMissing[f]! : 1
  return count
}

/** Histogram slots per bin: one per class, or weight and weighted target sum for regression. */
export function statsStride(data: Pick<GrowData, 'nClasses'>): number {
  return data.nClasses > 0 ? data.nClasses : 2
}
