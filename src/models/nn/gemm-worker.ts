/**
 * Worker-thread side of gemm-pool.ts: instantiates the WebAssembly kernel on the shared memory,
 * then for each product claims and computes chunks of rows until none remain.
 */
import { workerData } from 'node:worker_threads'
import { claimChunks, GEMM_CTRL, type GemmWorkerData } from './gemm-pool.js'
import { gemmModuleBytes, type KernelFn } from './wasm-kernel.js'

const data = workerData as GemmWorkerData
const ctrl = new Int32Array(data.control)
const instance = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes()), {
  env: { mem: data.memory },
})
const run = instance.exports.gemm as KernelFn

let generation = data.generation
for (;;) {
  Atomics.wait(ctrl, GEMM_CTRL.generation, generation)
  generation = Atomics.load(ctrl, GEMM_CTRL.generation)
  if (ctrl[GEMM_CTRL.exit] === 1) break
  claimChunks(ctrl, run)
}
