/**
 * The histogram pool of GBDT training: node histograms built in-process or spread over worker
 * threads that share the training buffers (the worker side is hist-worker.ts). The generic pool
 * pieces (worker start-up, errors, shared arrays) are in src/runtime.
 */
import { Worker } from 'node:worker_threads'
import { WorkerPoolError, workerModuleCode, workerOnline } from '../../runtime/index.js'
import { buildHistogramFeatures, type HistogramInputs } from './histogram.js'
import { type ArenaLayout, histKernel } from './wasm-hist.js'

/** Slots of the shared control block. */
export const CTRL = {
  generation: 0,
  done: 1,
  task: 2,
  slot: 3,
  start: 4,
  end: 5,
  nFeatures: 6,
  nThreads: 7,
  failed: 8,
} as const
const CTRL_SIZE = 16

/** Task codes written to CTRL.task. */
export const TASK = { histogram: 1, exit: 2 } as const

/** What a histogram worker receives at start (shared buffers are not copied). */
export interface HistWorkerData extends Omit<HistogramInputs, 'arena'> {
  readonly control: SharedArrayBuffer
  // The HistogramInputs arrays are views on shared memory: a worker receives views of the same
  // memory, not copies.
  readonly features: Int32Array
  /** null where the arrays do not share one WebAssembly memory. */
  readonly arena: ArenaLayout | null
  readonly threadIndex: number
}

/** Builds node histograms: in-process, or spread over worker threads. */
export interface HistogramBuilder {
  /** Histograms of features[0..nFeatures) for rows[start..end) into `slot`. */
  build(slot: number, start: number, end: number, nFeatures: number): void
  close(): Promise<void>
}

/** Below this many (rows x features) a node is built on the calling thread: waking workers costs more. */
const MIN_PARALLEL_WORK = 131_072

function shared<T extends { buffer: ArrayBufferLike }>(a: T): T {
  if (!(a.buffer instanceof SharedArrayBuffer))
    throw new TypeError('expected an array backed by a SharedArrayBuffer')
  return a
}

/** The calling thread builds everything. */
export function localHistogramBuilder(inputs: HistogramInputs, features: Int32Array): HistogramBuilder {
  const kernel = inputs.arena === undefined ? null : histKernel(inputs.arena.memory)
  return {
    build(slot, start, end, nFeatures) {
      buildHistogramFeatures(inputs, features, 0, nFeatures, slot, start, end, kernel)
    },
    async close() {},
  }
}

/**
 * Starts `nThreads - 1` workers; the calling thread takes share 0 of every task and then waits
 * (Atomics.wait) for the others. Features are split into contiguous shares, so each feature's
 * histogram is summed by exactly one thread in row order: results are identical to the
 * single-threaded builder, bit for bit.
 */
export async function workerHistogramBuilder(
  inputs: HistogramInputs,
  features: Int32Array,
  nThreads: number,
): Promise<HistogramBuilder> {
  const control = new SharedArrayBuffer(CTRL_SIZE * 4)
  const ctrl = new Int32Array(control)
  const code = workerModuleCode('hist-worker', import.meta.url)
  const workers: Worker[] = []
  const ready: Promise<void>[] = []
  for (let t = 1; t < nThreads; t++) {
    const data: HistWorkerData = {
      control,
      bins: shared(inputs.bins),
      nRows: inputs.nRows,
      rows: shared(inputs.rows),
      orderedGrad: shared(inputs.orderedGrad),
      orderedHess: shared(inputs.orderedHess),
      featureOffset: inputs.featureOffset,
      nBins: inputs.nBins,
      histPool: shared(inputs.histPool),
      histSize: inputs.histSize,
      features: shared(features),
      arena: inputs.arena ?? null,
      threadIndex: t,
    }
    const worker = new Worker(code, { eval: true, workerData: data })
    workers.push(worker)
    ready.push(workerOnline(worker))
  }
  try {
    await Promise.all(ready)
    // Workers must not keep the process alive; fit closes them, this covers a crashed fit.
    for (const w of workers) w.unref()
  } catch (error) {
    await Promise.all(workers.map((w) => w.terminate()))
    throw new WorkerPoolError(
      `Could not start histogram worker threads: ${String(error)}. Use threads: 1 to train in-process.`,
    )
  }
  const nWorkers = workers.length
  const kernel = inputs.arena === undefined ? null : histKernel(inputs.arena.memory)
  let closed = false

  const waitDone = (): void => {
    for (;;) {
      const done = Atomics.load(ctrl, CTRL.done)
      if (done >= nWorkers) break
      // A bounded wait lets us notice a worker that died without reporting.
      if (
        Atomics.wait(ctrl, CTRL.done, done, 60_000) === 'timed-out' &&
        Atomics.load(ctrl, CTRL.done) === done
      ) {
        throw new WorkerPoolError('A histogram worker thread stopped responding. Retry with threads: 1.')
      }
    }
    if (Atomics.load(ctrl, CTRL.failed) !== 0) {
      throw new WorkerPoolError(
        'A histogram worker thread failed. Retry with threads: 1 to see the error in-process.',
      )
    }
  }

  return {
    build(slot, start, end, nFeatures) {
      if ((end - start) * nFeatures < MIN_PARALLEL_WORK || nFeatures < nThreads) {
        buildHistogramFeatures(inputs, features, 0, nFeatures, slot, start, end, kernel)
        return
      }
      ctrl[CTRL.task] = TASK.histogram
      ctrl[CTRL.slot] = slot
      ctrl[CTRL.start] = start
      ctrl[CTRL.end] = end
      ctrl[CTRL.nFeatures] = nFeatures
      ctrl[CTRL.nThreads] = nThreads
      Atomics.store(ctrl, CTRL.done, 0)
      Atomics.add(ctrl, CTRL.generation, 1)
      Atomics.notify(ctrl, CTRL.generation)
      buildHistogramFeatures(inputs, features, 0, Math.floor(nFeatures / nThreads), slot, start, end, kernel)
      waitDone()
    },
    async close() {
      if (closed) return
      closed = true
      ctrl[CTRL.task] = TASK.exit
      Atomics.add(ctrl, CTRL.generation, 1)
      Atomics.notify(ctrl, CTRL.generation)
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
