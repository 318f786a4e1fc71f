/**
 * The histogram pool of GBDT training: node histograms built in-process or spread over worker
 * threads that share the training buffers (the worker side is hist-worker.ts). The generic pool
 * pieces (worker start-up, errors, shared arrays) are in src/runtime.
 */
import { Worker } from 'node:worker_threads'
import { WorkerPoolError, workerModuleCode, workerOnline } from '../../runtime/index.js'
import { buildHistogramFeatures, type HistogramInputs } from './histogram.js'
import { mergeChunks, type PartitionScratch, partitionChunk, writeMask } from './partition.js'
import { type ArenaLayout, type HistKernel, histKernel } from './wasm-hist.js'

/** Slots of the shared control block. */
export const CTRL = {
  generation: 0,
  task: 2,
  slot: 3,
  start: 4,
  end: 5,
  nFeatures: 6,
  failed: 8,
  /** Partition: the split feature. */
  feature: 9,
  /** Partition: the left-row count of thread t is at CTRL.lefts + t. */
  lefts: 16,
} as const
const CTRL_FIXED = 16

/**
 * Where thread t (a worker, t >= 1) records the generation of the last task it finished: at
 * CTRL.lefts + nThreads + t. The caller waits for every worker to report the current generation,
 * not for a count, so a worker that woke without a new task, or ran late, can never be mistaken
 * for one that finished this task.
 */
export function doneSlot(nThreads: number, t: number): number {
  return CTRL.lefts + nThreads + t
}

/** Task codes written to CTRL.task. */
export const TASK = { histogram: 1, exit: 2, partition: 3 } as const

/** Chunk t of `nThreads` of rows[start..end): where it starts (the end is chunk t + 1's start). */
export function chunkStart(start: number, end: number, t: number, nThreads: number): number {
  return start + Math.floor(((end - start) * t) / nThreads)
}

/** What a histogram worker receives at start (shared buffers are not copied). */
export interface HistWorkerData extends Omit<HistogramInputs, 'arena'> {
  readonly control: SharedArrayBuffer
  // The HistogramInputs arrays are views on shared memory: a worker receives views of the same
  // memory, not copies.
  readonly features: Int32Array
  /** null where the arrays do not share one WebAssembly memory. */
  readonly arena: ArenaLayout | null
  readonly threadIndex: number
  /** Threads of the pool, the caller included. */
  readonly nThreads: number
}

/** Where a worker finds the partition scratch: the arena's (see wasm-hist.ts). */
export function arenaScratch(arena: ArenaLayout, nRows: number): PartitionScratch {
  const b = arena.memory.buffer
  return {
    rows: new Int32Array(b, arena.scratchRows, nRows),
    grad: new Float64Array(b, arena.scratchGrad, nRows),
    hess: new Float64Array(b, arena.scratchHess, nRows),
  }
}

/** Builds node histograms: in-process, or spread over worker threads. */
export interface HistogramBuilder {
  /** Histograms of features[0..nFeatures) for rows[start..end) into `slot`. */
  build(slot: number, start: number, end: number, nFeatures: number): void
  /**
   * Partitions a node's rows rows[start..end) for a split on feature `f` (see partition.ts): left
   * rows first, stably. Returns where the right rows start.
   */
  partition(start: number, end: number, f: number, mask: Uint8Array): number
  close(): Promise<void>
}

/** Below this many (rows x features) a node is built on the calling thread: waking workers costs more. */
const MIN_PARALLEL_WORK = 131_072
/** Below this many rows a node is partitioned on the calling thread. */
const MIN_PARALLEL_PARTITION = 32_768

function shared<T extends { buffer: ArrayBufferLike }>(a: T): T {
  if (!(a.buffer instanceof SharedArrayBuffer))
    throw new TypeError('expected an array backed by a SharedArrayBuffer')
  return a
}

/** The calling thread builds everything. */
export function localHistogramBuilder(
  inputs: HistogramInputs,
  features: Int32Array,
  scratch: PartitionScratch,
): HistogramBuilder {
  const kernel = inputs.arena === undefined ? null : histKernel(inputs.arena.memory)
  return {
    build(slot, start, end, nFeatures) {
      buildHistogramFeatures(inputs, features, 0, nFeatures, slot, start, end, kernel)
    },
    partition(start, end, f, mask) {
      return partitionLocal(inputs, scratch, start, end, f, mask, kernel)
    },
    async close() {},
  }
}

function partitionLocal(
  inputs: HistogramInputs,
  scratch: PartitionScratch,
  start: number,
  end: number,
  f: number,
  mask: Uint8Array,
  kernel: HistKernel | null,
): number {
  if (kernel !== null) writeMask(inputs, mask)
  const left = partitionChunk(inputs, scratch, start, end, f, mask, 0, kernel)
  return mergeChunks(inputs, scratch, start, end, [start], [left])
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
  scratch: PartitionScratch,
  nThreads: number,
): Promise<HistogramBuilder> {
  const control = new SharedArrayBuffer((CTRL_FIXED + 2 * nThreads) * 4)
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
      nThreads,
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
    const generation = Atomics.load(ctrl, CTRL.generation)
    for (let t = 1; t <= nWorkers; t++) {
      const slot = doneSlot(nThreads, t)
      for (;;) {
        const done = Atomics.load(ctrl, slot)
        if (done === generation) break
        // A bounded wait lets us notice a worker that died without reporting.
        if (Atomics.wait(ctrl, slot, done, 60_000) === 'timed-out' && Atomics.load(ctrl, slot) === done)
          throw new WorkerPoolError('A histogram worker thread stopped responding. Retry with threads: 1.')
      }
    }
    if (Atomics.load(ctrl, CTRL.failed) !== 0) {
      throw new WorkerPoolError(
        'A histogram worker thread failed. Retry with threads: 1 to see the error in-process.',
      )
    }
  }

  /** Publishes a task: its fields, then a new generation that wakes the workers. */
  const post = (task: number, ...fields: readonly (readonly [slot: number, value: number])[]): void => {
    Atomics.store(ctrl, CTRL.task, task)
    for (const [slot, value] of fields) Atomics.store(ctrl, slot, value)
    Atomics.add(ctrl, CTRL.generation, 1)
    Atomics.notify(ctrl, CTRL.generation)
  }

  // Rows are partitioned in chunks by every thread only where they all see the arena (WebAssembly).
  const parallelPartition = inputs.arena !== undefined && kernel !== null
  const starts: number[] = new Array(nThreads).fill(0)
  const lefts: number[] = new Array(nThreads).fill(0)

  return {
    partition(start, end, f, mask) {
      if (!parallelPartition || end - start < MIN_PARALLEL_PARTITION)
        return partitionLocal(inputs, scratch, start, end, f, mask, kernel)
      writeMask(inputs, mask)
      post(TASK.partition, [CTRL.start, start], [CTRL.end, end], [CTRL.feature, f])
      const to = chunkStart(start, end, 1, nThreads)
      const left = partitionChunk(inputs, scratch, start, to, f, mask, 0, kernel)
      waitDone()
      for (let t = 0; t < nThreads; t++) {
        starts[t] = chunkStart(start, end, t, nThreads)
        lefts[t] = t === 0 ? left : Atomics.load(ctrl, CTRL.lefts + t)
      }
      return mergeChunks(inputs, scratch, start, end, starts, lefts)
    },
    build(slot, start, end, nFeatures) {
      if ((end - start) * nFeatures < MIN_PARALLEL_WORK || nFeatures < nThreads) {
        buildHistogramFeatures(inputs, features, 0, nFeatures, slot, start, end, kernel)
        return
      }
      post(
        TASK.histogram,
        [CTRL.slot, slot],
        [CTRL.start, start],
        [CTRL.end, end],
        [CTRL.nFeatures, nFeatures],
      )
      buildHistogramFeatures(inputs, features, 0, Math.floor(nFeatures / nThreads), slot, start, end, kernel)
      waitDone()
    },
    async close() {
      if (closed) return
      closed = true
      post(TASK.exit)
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
