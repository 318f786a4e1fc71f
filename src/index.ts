/**
 * keel-ml: production machine learning for TypeScript.
 * The public API is the union of each capability's index.
 */
export * from './core/index.js'
export * from './data/index.js'
export * from './eval/index.js'
export * from './llm/index.js'
export * from './models/index.js'
export * from './monitor/index.js'
export * from './rag/index.js'
export type { ConstraintCheck } from './registry/index.js'
export * from './registry/index.js'
// Names exported by more than one capability: the registry's are the canonical ones.
export { ModelNotFoundError, parseModelRef } from './registry/index.js'
export * from './serve/index.js'
export * from './store/index.js'
export * from './track/index.js'
export * from './train/index.js'
