/**
 * Worker threads for the MLP's WebAssembly matrix products. The kernel's memory is shared, so a
 * worker instantiates the same kernel on it and computes bands of C's rows; tasks pass through a
 * shared control block with Atomics (a postMessage per product would cost more than a small
 * product).
 *
 * The rows are cut into chunks that the calling thread and the workers claim one at a time from
 * a shared counter, so the caller starts at once and nobody waits for a worker that wakes late:
 * at the end the caller waits only for chunks already in flight. Every element of C is computed
 * by exactly one thread with the same operations, so results do not depend on the thread count
 * or on who took which chunk.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { WorkerPoolError, workerModuleCode, workerOnline } from '../../runtime/index.js'
import type { KernelFn } from './wasm-kernel.js'

/**
 * Control block slots. `claim` holds (chunk count << 16) | next chunk: one compare-and-swap both
 * checks that chunks remain and takes one. `args` holds the product: aPtr, lda, bPtr, cPtr, ldc,
 * n8, k, aStep, m4 (rows in all), chunk (rows per chunk), mode, biasPtr.
 */
export const GEMM_CTRL = { generation: 0, claim: 1, completed: 2, failed: 3, exit: 4, args: 8 } as const
const ARG_COUNT = 12
/** Products smaller than this many multiply-adds stay on the calling thread. */
const MIN_PARALLEL_MACS = 1 << 20
/** How long the caller spins for chunks in flight before it sleeps (milliseconds). */
const SPIN_MS = 0.5
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
      ctrl: new Int32Array(new SharedArrayBuffer((GEMM_CTRL.args + ARG_COUNT) * 4)),
    }
  }
  const p = pool
  const code = workerModuleCode('gemm-worker', import.meta.url)
  const started: Promise<void>[] = []
  while (p.workers.length < want - 1) {
    const data: GemmWorkerData = {
      memory,
      control: p.ctrl.buffer as SharedArrayBuffer,
      generation: Atomics.load(p.ctrl, GEMM_CTRL.generation),
    }
    const worker = new Worker(code, { eval: true, workerData: data })
    p.workers.push(worker)
    // A worker that died fails the next product at once (a product already blocked in
    // Atomics.wait cannot run this listener; its timeout covers that case).
    worker.on('error', () => {
      Atomics.store(p.ctrl, GEMM_CTRL.failed, 1)
      Atomics.notify(p.ctrl, GEMM_CTRL.completed)
    })
    started.push(workerOnline(worker))
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
 * Claims chunks of the product described in `ctrl` until none remain, running the kernel on
 * each; shared by the calling thread and the workers. @internal
 */
export function claimChunks(ctrl: Int32Array, run: KernelFn): void {
  const a = GEMM_CTRL.args
  for (;;) {
    const v = Atomics.load(ctrl, GEMM_CTRL.claim)
    const next = v & 0xffff
    if (next >= v >>> 16) return
    if (Atomics.compareExchange(ctrl, GEMM_CTRL.claim, v, v + 1) !== v) continue
    // The claim succeeded, so this product stays current until the chunk is reported complete:
    // its arguments cannot change under us.
    const lda = ctrl[a + 1]!
    const ldc = ctrl[a + 4]!
    const m4 = ctrl[a + 8]!
    const chunk = ctrl[a + 9]!
    const r0 = next * chunk
    try {
      run(
        ctrl[a]! + r0 * lda,
        lda,
        ctrl[a + 2]!,
        ctrl[a + 3]! + r0 * ldc,
        ldc,
        Math.min(chunk, m4 - r0),
        ctrl[a + 5]!,
        ctrl[a + 6]!,
        ctrl[a + 7]!,
        ctrl[a + 10]!,
        ctrl[a + 11]!,
      )
    } catch {
      Atomics.store(ctrl, GEMM_CTRL.failed, 1)
    }
    if (Atomics.add(ctrl, GEMM_CTRL.completed, 1) + 1 === v >>> 16) Atomics.notify(ctrl, GEMM_CTRL.completed)
  }
}

/**
 * Runs the kernel over rows [0, m4) of C, shared in chunks of multiples of 4 rows between the
 * calling thread and the workers when the product is large enough.
 */
export function runRows(run: KernelFn, ...args: Parameters<KernelFn>): void {
  const [aPtr, lda, bPtr, cPtr, ldc, m4, n8, k, aStep, mode, biasPtr] = args
  const p = pool
  const workers = p === null ? 0 : Math.min(p.workers.length, threads - 1)
  if (p === null || workers <= 0 || m4 < 16 || m4 * n8 * k < MIN_PARALLEL_MACS) {
    run(...args)
    return
  }
  // About eight chunks per thread: the last one in flight is all the caller may wait for.
  const chunk = Math.max(8, Math.ceil(m4 / (8 * (workers + 1)) / 4) * 4)
  const chunks = Math.ceil(m4 / chunk)
  const ctrl = p.ctrl
  const a = GEMM_CTRL.args
  ctrl[a] = aPtr
  ctrl[a + 1] = lda
  ctrl[a + 2] = bPtr
  ctrl[a + 3] = cPtr
  ctrl[a + 4] = ldc
  ctrl[a + 5] = n8
  ctrl[a + 6] = k
  ctrl[a + 7] = aStep
  ctrl[a + 8] = m4
  ctrl[a + 9] = chunk
  ctrl[a + 10] = mode
  ctrl[a + 11] = biasPtr
  Atomics.store(ctrl, GEMM_CTRL.completed, 0)
  // Publishing the claim word makes the arguments above visible (sequentially consistent store).
  Atomics.store(ctrl, GEMM_CTRL.claim, chunks << 16)
  Atomics.add(ctrl, GEMM_CTRL.generation, 1)
  Atomics.notify(ctrl, GEMM_CTRL.generation)
  claimChunks(ctrl, run)
  // What is left is at most one chunk per worker, tens of microseconds: spin for it before
  // sleeping, since a futex wake-up costs about as much as the chunk itself.
  const spinUntil = performance.now() + SPIN_MS
  for (let spins = 0; ; spins++) {
    const done = Atomics.load(ctrl, GEMM_CTRL.completed)
    if (done >= chunks || Atomics.load(ctrl, GEMM_CTRL.failed) !== 0) break
    if ((spins & 63) !== 63 || performance.now() < spinUntil) continue
    if (
      Atomics.wait(ctrl, GEMM_CTRL.completed, done, 60_000) === 'timed-out' &&
      Atomics.load(ctrl, GEMM_CTRL.completed) === done
    )
      throw new WorkerPoolError('A matrix-product worker thread stopped responding. Retry with threads: 1.')
  }
  if (Atomics.load(ctrl, GEMM_CTRL.failed) !== 0) {
    throw new WorkerPoolError('A matrix-product worker thread failed. Retry with threads: 1.')
  }
}
