/**
 * Neural networks: the multilayer perceptron for tabular data (dense layers, batch norm,
 * ReLU/GELU, dropout, Adam/AdamW, learning-rate schedules, early stopping that keeps the best
 * epoch), trained on float32 with a cache-blocked matrix kernel.
 *
 * @example
 * ```ts
 * import { MLPClassifier } from './index.js'
 * import { fromRows } from '../../core/index.js'
 * const x = fromRows([[0, 0], [0, 1], [1, 0], [1, 1]])
 * const model = await new MLPClassifier({ hiddenLayers: [8], batchNorm: false, maxEpochs: 50, seed: 1 })
 *   .fit(x, Float64Array.of(0, 1, 1, 0), { onIteration: (i) => console.log(i.iteration, i.trainLoss) })
 * const proba = model.predictProba(x)
 * ```
 */

import { registerModelReader } from '../load.js'
import { readMlpClassifier, readMlpRegressor } from './mlp.js'

export type { InitScheme } from './layers.js'
export type { MLPParams } from './mlp.js'
export {
  FittedMLPClassifier,
  FittedMLPRegressor,
  MLP_DEFAULT_PARAMS,
  MLPClassifier,
  MLPRegressor,
} from './mlp.js'

registerModelReader('mlp-classifier', readMlpClassifier)
registerModelReader('mlp-regressor', readMlpRegressor)
