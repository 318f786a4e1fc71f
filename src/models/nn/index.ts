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
import { QUANTIZED_MLP_KINDS, readQuantizedMlp } from './quantized.js'

export type { InitScheme } from './layers.js'
export type { MLPParams } from './mlp.js'
export {
  FittedMLPClassifier,
  FittedMLPRegressor,
  MLP_DEFAULT_PARAMS,
  MLPClassifier,
  MLPRegressor,
} from './mlp.js'
export type { MlpPrecision, MlpPruneOptions, MlpPruneResult, QuantizedMlpKind } from './quantized.js'
export {
  FittedQuantizedMlpClassifier,
  FittedQuantizedMlpRegressor,
  fromFloat16Bits,
  isFittedMlp,
  pruneMlp,
  QUANTIZED_MLP_KINDS,
  quantizeMlp,
  toFloat16Bits,
} from './quantized.js'

registerModelReader('mlp-classifier', readMlpClassifier)
registerModelReader('mlp-regressor', readMlpRegressor)
for (const kind of QUANTIZED_MLP_KINDS) registerModelReader(kind, readQuantizedMlp)
