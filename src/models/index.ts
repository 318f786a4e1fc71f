/** Estimators: baselines, linear, trees and forests, gradient boosting, MLP; and loading any of them from an artifact. */

export * from './baseline/index.js'
export type { EstimatorDefinition, EstimatorTags } from './define.js'
export { DefinedEstimator, defineEstimator } from './define.js'
export type {
  Estimator,
  FitOptions,
  FittedClassifier,
  FittedModel,
  HasTrees,
  IterationInfo,
  TaskKind,
  TreeEnsembleView,
  TreeView,
} from './estimator.js'
export { isClassifier } from './estimator.js'
export * from './forest/index.js'
export * from './gbdt/index.js'
export * from './linear/index.js'
export { loadModel, registerModelReader } from './load.js'
export * from './nn/index.js'
export * from './onnx/index.js'
