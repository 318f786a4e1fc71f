/**
 * ONNX graphs served through onnxruntime-node (an optional peer dependency, loaded on first use):
 * a PyTorch network from `torch.onnx.export`, an ai.onnx.ml tree ensemble, any graph with one
 * numeric input tensor [batch, F]. The session lives on a worker thread behind a synchronous
 * bridge, so these models predict synchronously like every Keel model; `close()` stops the thread.
 *
 * @example
 * ```ts
 * import { loadModel } from '../index.js'
 * const model = loadModel(artifact) // kind 'onnx-graph'
 * const proba = (model as OnnxGraphClassifier).predictProba(x)
 * await (model as OnnxGraphModel).close()
 * ```
 */

import { registerModelReader } from '../load.js'
import { ONNX_GRAPH_KIND, readOnnxGraph } from './onnx-model.js'

export type { OnnxBridgeOptions, ValueInfo } from './onnx-bridge.js'
export {
  ONNXRUNTIME_NODE_VERSION,
  OnnxBridge,
  OnnxRuntimeError,
  OnnxRuntimeMissingError,
} from './onnx-bridge.js'
export type {
  OnnxGraphParams,
  OnnxGraphSpec,
  OnnxOutputKind,
  OnnxOutputSpec,
  OpenOnnxGraphOptions,
} from './onnx-model.js'
export {
  ONNX_GRAPH_KIND,
  OnnxGraphClassifier,
  OnnxGraphModel,
  openOnnxGraph,
  outputColumns,
  readOnnxGraph,
} from './onnx-model.js'

registerModelReader(ONNX_GRAPH_KIND, readOnnxGraph)
