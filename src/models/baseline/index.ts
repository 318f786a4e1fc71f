/** Baseline models: predictions that ignore the features, the floor every model must beat. */

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
