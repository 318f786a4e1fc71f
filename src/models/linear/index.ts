/**
 * Linear models: logistic regression (binary and multinomial) and linear regression with an L2
 * (default), L1 or elastic-net penalty, fitted to convergence on internally standardised features.
 *
 * @example
 * ```ts
 * import { LogisticRegression } from './index.js'
 * import { fromRows } from '../../core/index.js'
 * const x = fromRows([[0, 1], [1, 0], [2, 1], [3, 0]])
 * const model = await new LogisticRegression({ l2: 1 }).fit(x, Float64Array.of(0, 0, 1, 1))
 * const proba = model.predictProba(x) // rows x 2, columns in class-code order
 * const { original } = model.coefficients()
 * ```
 */

import { registerModelReader } from '../load.js'
import { readLinearRegression } from './linear-regression.js'
import { readLogisticRegression } from './logistic-regression.js'

export type { LinearCoefficients } from './linear-model.js'
export type { LinearRegressionParams } from './linear-regression.js'
export {
  FittedLinearRegression,
  LINEAR_REGRESSION_DEFAULT_PARAMS,
  LinearRegression,
} from './linear-regression.js'
export type { LogisticRegressionParams } from './logistic-regression.js'
export {
  FittedLogisticRegression,
  LOGISTIC_REGRESSION_DEFAULT_PARAMS,
  LogisticRegression,
} from './logistic-regression.js'
export type { ClassWeight } from './model-io.js'
export type { Penalty } from './penalty.js'
export type { StandardizeMode } from './standardize.js'

registerModelReader('linear-classifier', readLogisticRegression)
registerModelReader('linear-regressor', readLinearRegression)
