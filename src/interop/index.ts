/**
 * Interop: models trained elsewhere in, Keel's models out. `keel import` reads XGBoost JSON and
 * LightGBM text models into Keel's own packed forest (WebAssembly scorer, TreeSHAP) and ONNX graphs
 * onto onnxruntime-node, maps their inputs from named features and registers them like a trained
 * version; `keel export` writes Keel models as ONNX graphs with their preprocessing inside.
 *
 * @example
 * ```ts
 * import { importModel } from 'keel-ml/interop'
 * const { model } = await importModel({ file: 'model.json', name: 'churn-xgb', schemaPath: 'sample.csv', target: 'churned' })
 * ```
 */
export type { ImportModelOptions, ImportModelResult, SchemaJsonFeature } from './import-model.js'
export { detectFormat, importModel, readForeignModel } from './import-model.js'
export type { LightgbmImportProblem } from './lightgbm.js'
export { importLightgbm, LightgbmImportError } from './lightgbm.js'
export type { OnnxImportOptions, OnnxImportProblem } from './onnx.js'
export { importOnnx, OnnxImportError } from './onnx.js'
export type { OnnxExport, OnnxExportOptions, OnnxExportProblem } from './onnx-export.js'
export { exportOnnx, OnnxExportError } from './onnx-export.js'
export type { ImportedModel, ImportFormat } from './types.js'
export type { XgboostImportProblem } from './xgboost.js'
export { importXgboost, XGBOOST_OBJECTIVES, XgboostImportError, xgboostThreshold } from './xgboost.js'
