/**
 * Worker-thread side of gemm-pool.ts: instantiates the WebAssembly kernel on the shared memory,
 * then for each task computes its band of rows and bumps the done counter.
 */
import { workerData } from 'node:worker_threads'
import { GEMM_CTRL, type GemmWorkerData } from './gemm-pool.js'
import { gemmModuleBytes, type KernelFn } from './wasm-gemm.js'

const data = workerData as GemmWorkerData
const ctrl = new Int32Array(data.control)
const instance = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes()), {
  env: { mem: data.memory },
})
const run = instance.exports.gemm as KernelFn
const o = GEMM_CTRL.args + 9 * (data.index - 1)

let generation = data.generation
for (;;) {
  Atomics.wait(ctrl, GEMM_CTRL.generation, generation)
  generation = Atomics.load(ctrl, GEMM_CTRL.generation)
  if (ctrl[GEMM_CTRL.exit] === 1) break
  if (data.index > ctrl[GEMM_CTRL.nActive]!) continue
  try {
    run(
      ctrl[o]!,
      ctrl[o + 1]!,
      ctrl[o + 2]!,
      ctrl[o + 3]!,
      ctrl[o + 4]!,
      ctrl[o + 5]!,
      ctrl[o + 6]!,
      ctrl[o + 7]!,
      ctrl[o + 8]!,
    )
  } catch {
    Atomics.store(ctrl, GEMM_CTRL.failed, 1)
  }
  Atomics.add(ctrl, GEMM_CTRL.done, 1)
  Atomics.notify(ctrl, GEMM_CTRL.done)
}
