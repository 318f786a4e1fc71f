/**
 * The tree core shared by gradient boosting (`../gbdt`) and random forests (`../forest`): the
 * binner that turns raw features into bin codes, the tree structure and its packed, read-only
 * form scored by WebAssembly kernels (with a bit-identical JavaScript walk), and the worker pool
 * that scores large batches on several threads. Each learner keeps its own grower.
 * @internal
 */

export type { BinMapper, BinnedFeatures } from './binning.js'
export {
  BIN_SAMPLE_ROWS,
  binFeatures,
  binMatrix,
  binOf,
  binUpperBounds,
  fitBinMapper,
  MAX_CATEGORIES,
  numericBounds,
} from './binning.js'
export { MIN_PARALLEL_PREDICT_ROWS, PredictPool, predictThreads } from './predict-pool.js'
export type { PackedForestParts, Tree } from './tree.js'
export { CAT_WORDS, PackedForest, TreeBuilder, treeView } from './tree.js'
