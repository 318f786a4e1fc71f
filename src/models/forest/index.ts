/**
 * Decision trees (CART) and random forests: classification (gini/entropy) and regression (squared
 * error), with bootstrap, per-split feature sampling, out-of-bag scores, missing-value handling and
 * trees built in parallel on worker threads.
 *
 * Split search: each feature is cut into at most `maxBins` (default 255) quantile bins once per
 * fit; features with no more distinct values than that are split exactly (every midpoint between
 * neighbouring values), others on bin boundaries. A node fills a histogram of weighted class
 * counts (or target sums) per bin, or sorts its bin codes when it holds far fewer rows than bins.
 *
 * Missing values (NaN): at every split the rows with a missing value are tried on both sides and
 * go where the criterion is best (learned default direction); if no training row reaching a node
 * was missing there, missing values follow the child with more (weighted) training rows.
 *
 * @example
 * ```ts
 * import { fromRows } from '../../core/index.js'
 * import { RandomForestClassifier, loadModel } from '../index.js'
 * const x = fromRows([[0, 1], [1, 0], [0, 0], [1, 1]])
 * const model = await new RandomForestClassifier({ nEstimators: 10, seed: 7, threads: 1 }).fit(x, Float64Array.of(0, 1, 0, 1))
 * const proba = model.predictProba(x) // rows × 2
 * const again = loadModel(JSON.parse(JSON.stringify(model.toArtifact())))
 * ```
 */
import { registerModelReader } from '../load.js'
import { readTreeModel } from './fitted.js'

export {
  DecisionTreeClassifier,
  DecisionTreeRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
} from './estimators.js'
export type { OutOfBag, TreeModelKind } from './fitted.js'
export { FittedForestClassifier, FittedForestRegressor, FOREST_FORMAT_VERSION } from './fitted.js'
export type {
  ClassificationCriterion,
  DecisionTreeClassifierParams,
  DecisionTreeRegressorParams,
  ForestExtraParams,
  MaxFeatures,
  RandomForestClassifierParams,
  RandomForestRegressorParams,
  RegressionCriterion,
  TreeCommonParams,
} from './params.js'
export {
  DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS,
  DECISION_TREE_REGRESSOR_DEFAULT_PARAMS,
  RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS,
  RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS,
} from './params.js'
export { ForestWorkerError } from './pool.js'

for (const kind of ['tree-classifier', 'tree-regressor', 'rf-classifier', 'rf-regressor'])
  registerModelReader(kind, readTreeModel)
