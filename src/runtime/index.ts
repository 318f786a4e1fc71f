/**
 * Runtime support shared by the model families: the worker-thread pool pieces and the loading of
 * the WebAssembly kernels. Depends on core only. @internal
 */
export {
  allocFloat64,
  allocInt32,
  allocUint8,
  spinWhile,
  WorkerPoolError,
  workerModuleCode,
  workerOnline,
} from './thread-pool.js'
export { compileWasm, wasmBytes, wasmDisabled } from './wasm.js'
export { Arena, type ResidentSpan } from './wasm-arena.js'
