/**
 * Worker-thread side of gemm-pool.ts: instantiates the WebAssembly kernels on the shared memory,
 * then for each job claims and runs bands of its phases until none remain. Between jobs it copies
 * pieces of the next batch's rows (a row gather) when one is pending.
 */
import { workerData } from 'node:worker_threads'
import {
  bandFunctions,
  claimGatherPiece,
  claimUnits,
  GEMM_CTRL,
  type GemmWorkerData,
  HeapViews,
} from './gemm-pool.js'

const data = workerData as GemmWorkerData
const ctrl = new Int32Array(data.control)
const fns = bandFunctions(data.memory)
const heap = new HeapViews(data.memory)

let generation = data.generation
for (;;) {
  // A job that arrives while a gather piece is copied waits for that piece only.
  if (Atomics.load(ctrl, GEMM_CTRL.generation) === generation && !claimGatherPiece(ctrl, heap))
    Atomics.wait(ctrl, GEMM_CTRL.generation, generation)
  const g = Atomics.load(ctrl, GEMM_CTRL.generation)
  if (g === generation) continue
  generation = g
  if (ctrl[GEMM_CTRL.exit] === 1) break
  claimUnits(ctrl, fns)
}
