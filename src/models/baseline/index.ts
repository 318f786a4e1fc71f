/**
 * Baseline models: predictions that ignore the features, the floor every model must beat.
 *
 * @example
 * ```ts
 * import { BaselineClassifier, BaselineRegressor } from './index.js'
 * import { fromRows } from '../../core/index.js'
 * const x = fromRows([[1], [2], [3], [4]])
 * const prior = await new BaselineClassifier({ strategy: 'prior' }).fit(x, Float64Array.of(0, 1, 1, 1))
 * prior.predictProba(x) // every row [0.25, 0.75]
 * const median = await new BaselineRegressor({ strategy: 'median' }).fit(x, Float64Array.of(1, 2, 3, 100))
 * median.predict(x) // every row 2.5
 * ```
 */

import { registerModelReader } from '../load.js'
import { readBaselineClassifier, readBaselineRegressor } from './baseline.js'

export type { BaselineClassifierParams, BaselineRegressorParams } from './baseline.js'
export {
  BASELINE_CLASSIFIER_DEFAULT_PARAMS,
  BASELINE_REGRESSOR_DEFAULT_PARAMS,
  BaselineClassifier,
  BaselineRegressor,
  FittedBaselineClassifier,
  FittedBaselineRegressor,
} from './baseline.js'

registerModelReader('baseline-classifier', readBaselineClassifier)
registerModelReader('baseline-regressor', readBaselineRegressor)
