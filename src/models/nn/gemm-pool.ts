/**
 * Worker threads for the MLP's WebAssembly matrix products. The kernel's memory is shared, so a
 * worker instantiates the same kernel on it and computes a band of C's rows while the calling
 * thread computes the first band; tasks pass through a shared control block with Atomics (a
 * postMessage per product would cost more than a small product). Every element of C is computed
 * by exactly one thread with the same operations, so results do not depend on the thread count.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { WorkerPoolError, workerModuleCode } from '../gbdt/thread-pool.js'
import type { KernelFn } from './wasm-gemm.js'

/** Control block slots; each worker's nine kernel arguments follow at ARGS + 9 * (index - 1). */
export const GEMM_CTRL = { generation: 0, done: 1, failed: 2, nActive: 3, exit: 4, args: 8 } as const
/** Products smaller than this many multiply-adds stay on the calling thread. */
const MIN_PARALLEL_MACS = 1 << 20
// Products of an MLP batch stop scaling long before this; each worker costs a V8 isolate.
const MAX_WORKERS = 15

interface Pool {
  readonly memory: WebAssembly.Memory
  readonly workers: Worker[]
  readonly ctrl: Int32Array
}

let pool: Pool | null = null
let threads = 1

/** What a gemm worker receives at start. @internal */
export interface GemmWorkerData {
  readonly memory: WebAssembly.Memory
  readonly control: SharedArrayBuffer
  readonly index: number
  /** The control block's generation when the worker was made (tasks after it are new). */
  readonly generation: number
}

/**
 * Uses `n` threads (0: every core) for the large products that follow, starting workers on
 * `memory` (the kernel's shared memory) as needed. Workers persist for the process, unref'd.
 */
export async function useGemmThreads(n: number, memory: WebAssembly.Memory): Promise<void> {
  const want = Math.min(MAX_WORKERS + 1, n === 0 ? availableParallelism() : n)
  threads = want
  if (want <= 1) return
  if (pool === null || pool.memory !== memory) {
    pool = {
      memory,
      workers: [],
      ctrl: new Int32Array(new SharedArrayBuffer((GEMM_CTRL.args + 9 * MAX_WORKERS) * 4)),
    }
  }
  const p = pool
  const code = workerModuleCode('gemm-worker', import.meta.url)
  const started: Promise<void>[] = []
  while (p.workers.length < want - 1) {
    const data: GemmWorkerData = {
      memory,
      control: p.ctrl.buffer as SharedArrayBuffer,
      index: p.workers.length + 1,
      generation: Atomics.load(p.ctrl, GEMM_CTRL.generation),
    }
    const worker = new Worker(code, { eval: true, workerData: data })
    p.workers.push(worker)
    // A worker that died fails the next product at once (a product already blocked in
    // Atomics.wait cannot run this listener; its timeout covers that case).
    worker.on('error', () => {
      Atomics.store(p.ctrl, GEMM_CTRL.failed, 1)
      Atomics.add(p.ctrl, GEMM_CTRL.done, MAX_WORKERS)
      Atomics.notify(p.ctrl, GEMM_CTRL.done)
    })
    started.push(
      new Promise((resolve, reject) => {
        worker.once('online', () => resolve())
        worker.once('error', reject)
      }),
    )
  }
  try {
    await Promise.all(started)
  } catch (error) {
    await Promise.all(p.workers.map((w) => w.terminate()))
    pool = null
    threads = 1
    throw new WorkerPoolError(
      `Could not start matrix-product worker threads: ${String(error)}. Use threads: 1.`,
    )
  }
  // Idle workers must never keep the process alive.
  for (const w of p.workers) w.unref()
}

/**
 * Runs the kernel over rows [0, m4) of C, split into bands of multiples of 4 rows across the
 * calling thread and the workers when the product is large enough.
 */
export function runRows(
  run: KernelFn,
  aPtr: number,
  lda: number,
  bPtr: number,
  cPtr: number,
  ldc: number,
  m4: number,
  n8: number,
  k: number,
  aStep: number,
): void {
  const p = pool
  const active = p === null ? 0 : Math.min(p.workers.length, threads - 1, Math.floor(m4 / 8) - 1)
  if (p === null || active <= 0 || m4 * n8 * k < MIN_PARALLEL_MACS) {
    run(aPtr, lda, bPtr, cPtr, ldc, m4, n8, k, aStep)
    return
  }
  const parts = active + 1
  const quads = m4 / 4
  const bound = (t: number) => Math.floor((quads * t) / parts) * 4
  const ctrl = p.ctrl
  for (let w = 1; w < parts; w++) {
    const r0 = bound(w)
    const o = GEMM_CTRL.args + 9 * (w - 1)
    ctrl[o] = aPtr + r0 * lda
    ctrl[o + 1] = lda
    ctrl[o + 2] = bPtr
    ctrl[o + 3] = cPtr + r0 * ldc
    ctrl[o + 4] = ldc
    ctrl[o + 5] = bound(w + 1) - r0
    ctrl[o + 6] = n8
    ctrl[o + 7] = k
    ctrl[o + 8] = aStep
  }
  ctrl[GEMM_CTRL.nActive] = active
  Atomics.store(ctrl, GEMM_CTRL.done, 0)
  Atomics.add(ctrl, GEMM_CTRL.generation, 1)
  Atomics.notify(ctrl, GEMM_CTRL.generation)
  run(aPtr, lda, bPtr, cPtr, ldc, bound(1), n8, k, aStep)
  for (;;) {
    const done = Atomics.load(ctrl, GEMM_CTRL.done)
    if (done >= active) break
    if (
      Atomics.wait(ctrl, GEMM_CTRL.done, done, 60_000) === 'timed-out' &&
      Atomics.load(ctrl, GEMM_CTRL.done) === done
    )
      throw new WorkerPoolError('A matrix-product worker thread stopped responding. Retry with threads: 1.')
  }
  if (Atomics.load(ctrl, GEMM_CTRL.failed) !== 0) {
    throw new WorkerPoolError('A matrix-product worker thread failed. Retry with threads: 1.')
  }
}
