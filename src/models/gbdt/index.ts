/**
 * Histogram gradient boosting (Keel's flagship model): quantile binning, gradient/hessian
 * histograms with sibling subtraction, leaf-wise growth, native categorical splits, learned
 * missing-value directions, early stopping, multi-threaded histograms on worker threads.
 *
 * @example
 * ```ts
 * import { GradientBoostingClassifier } from './index.js'
 * import { fromRows } from '../../core/index.js'
 * const x = fromRows([[0], [1], [2], [3]])
 * const model = await new GradientBoostingClassifier({ nEstimators: 10, minSamplesLeaf: 1 }).fit(x, Float64Array.of(0, 0, 1, 1))
 * model.predictProba(x)
 * ```
 */
import { registerModelReader } from '../load.js'
import { GBDT_CLASSIFIER_KIND, GBDT_REGRESSOR_KIND, readGbdtClassifier, readGbdtRegressor } from './gbdt.js'

/** A histogram worker thread failed (code GBDT_WORKER_FAILED); retry with `threads: 1`. */
export { WorkerPoolError } from '../../runtime/index.js'
export type { GbdtTreesInput } from './gbdt.js'
export {
  /** What `GradientBoostingClassifier.fit` returns. */
  FittedGradientBoostingClassifier,
  /** What `GradientBoostingRegressor.fit` returns. */
  FittedGradientBoostingRegressor,
  /** Artifact kind of fitted classifiers: 'gbdt-classifier'. */
  GBDT_CLASSIFIER_KIND,
  /** Current artifact state version; readers refuse newer ones. */
  GBDT_FORMAT_VERSION,
  /** Artifact kind of fitted regressors: 'gbdt-regressor'. */
  GBDT_REGRESSOR_KIND,
  /** Histogram gradient boosting classifier (binary logistic / multiclass softmax). */
  GradientBoostingClassifier,
  /** Histogram gradient boosting regressor (squared error, absolute error, Huber). */
  GradientBoostingRegressor,
  /** A fitted GBDT over trees grown elsewhere (imported XGBoost / LightGBM models). */
  gbdtFromTrees,
  /** Reads a 'gbdt-classifier' artifact (also reachable through `loadModel`). */
  readGbdtClassifier,
  /** Reads a 'gbdt-regressor' artifact (also reachable through `loadModel`). */
  readGbdtRegressor,
} from './gbdt.js'
/** The histogram layout (doubles per bin), shared with the out-of-core trainer (src/outofcore). @internal */
export { HIST_STRIDE } from './histogram.js'
export type {
  GbdtClassifierLoss,
  GbdtCommonParams,
  GbdtRegressorLoss,
  GradientBoostingClassifierParams,
  GradientBoostingRegressorParams,
} from './params.js'
export {
  /** Defaults of `GradientBoostingClassifier` (scikit-learn HistGradientBoosting-like). */
  DEFAULT_GBDT_CLASSIFIER_PARAMS,
  /** Defaults shared by both GBDT estimators. */
  DEFAULT_GBDT_COMMON_PARAMS,
  /** Defaults of `GradientBoostingRegressor`. */
  DEFAULT_GBDT_REGRESSOR_PARAMS,
} from './params.js'
/**
 * Split search and leaf values: the out-of-core trainer (src/outofcore) grows the same trees from
 * histograms summed in SQL. @internal
 */
export type { NodeSums, SplitConstraints, SplitInfo } from './split-finder.js'
export { findBestSplit, leafOutput, SplitScratch } from './split-finder.js'

registerModelReader(GBDT_CLASSIFIER_KIND, readGbdtClassifier)
registerModelReader(GBDT_REGRESSOR_KIND, readGbdtRegressor)

/** Records a chosen split in a tree as the in-memory grower does (used by out-of-core training). @internal */
export { recordSplit } from './grower.js'
