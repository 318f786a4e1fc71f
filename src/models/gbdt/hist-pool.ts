/**
 * The histogram pool of GBDT training: node histograms built in-process or spread over worker
 * threads that share the training buffers (the worker side is hist-worker.ts). The generic pool
 * pieces (worker start-up, errors, shared arrays) are in src/runtime.
 */
import { Worker } from 'node:worker_threads'
import { spinWhile, WorkerPoolError, workerModuleCode, workerOnline } from '../../runtime/index.js'
import { PartitionCountError } from './errors.js'
import type { HistogramInputs, RowBuffer } from './histogram.js'
import {
  better,
  MASK_BYTES,
  type NodeSplits,
  type NodeTask,
  RESULT_STRIDE,
  readResult,
  runNodeShare,
  type SearchContext,
  writeResult,
} from './node-search.js'
import { countLeft, countLeftRows, partitionNode, partitionRows, writeMask } from './partition.js'
import { fillLeafOfRow, type ScoreInputs, scoreRows, updateRows } from './round.js'
import { type SplitConstraints, type SplitMapper, SplitScratch } from './split-finder.js'
import { type ArenaLayout, type HistKernel, histKernel } from './wasm-hist.js'

/** Slots of the shared control block. */
export const CTRL = {
  generation: 0,
  task: 2,
  slot: 3,
  start: 4,
  end: 5,
  nFeatures: 6,
  /** Node task: the next feature group to claim (see runNodeGroups). */
  next: 7,
  failed: 8,
  /** Partition: the split feature. */
  feature: 9,
  /** The row buffer (0 or 1) the node's rows are in. */
  buffer: 10,
  /** Partition: where the node's right rows start. */
  mid: 11,
  /** Score pass: 1 when the last tree's leaf values are added first. */
  addTree: 12,
  /** Node task: the parent's slot (node B's histogram), or -1. */
  parentSlot: 13,
  /** Node task: bit 0 set when A is searched, bit 1 when B is. */
  searchFlags: 14,
  /** Leaf task: how many leaves the grown tree has. */
  nLeaves: 15,
  /** Partition: where thread t's left cursor ended is at CTRL.lefts + t (count: its left rows). */
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

/**
 * How long a thread of the pool polls for its next hand-off before it sleeps (milliseconds): the
 * tasks of a tree come tens of microseconds apart, about what a futex wake-up costs.
 */
export const SPIN_MS = 0.05

/** Task codes written to CTRL.task. */
export const TASK = { node: 1, exit: 2, partition: 3, score: 4, leaves: 5, count: 6 } as const

/** Chunk t of `nThreads` of rows[start..end): where it starts (the end is chunk t + 1's start). */
export function chunkStart(start: number, end: number, t: number, nThreads: number): number {
  return start + Math.floor(((end - start) * t) / nThreads)
}

/**
 * Where the feature groups of a shared node task start (the last entry is nFeatures). Threads claim
 * groups from a shared counter until none is left, so a thread slowed by anything (the machine's
 * other work included) takes fewer: a static half each left one thread waiting for the other
 * (measured on the 1M bench: about 3 s of each thread's time). Groups shrink towards the end (8
 * features while more than 16 are left, then 4 while more than 6, then 2, and a last 1), so the
 * thread that finishes first waits at most about two features' work; the wide groups at the start keep the
 * eight-feature kernel's shared loads. Each feature is built by one thread in row order whatever
 * the grouping, and groups' best splits are merged in feature order, so the result does not depend
 * on the grouping or on which thread took which group.
 */
export function nodeGroupStarts(nFeatures: number): Int32Array {
  let starts = groupStartsCache.get(nFeatures)
  if (starts !== undefined) return starts
  const list = [0]
  for (let at = 0; at < nFeatures; ) {
    const left = nFeatures - at
    at += left > 16 ? 8 : left > 6 ? 4 : left >= 2 ? 2 : 1
    list.push(at)
  }
  starts = Int32Array.from(list)
  groupStartsCache.set(nFeatures, starts)
  return starts
}
const groupStartsCache = new Map<number, Int32Array>()

/** The shared blocks a node task's groups write their best splits to. */
export interface GroupResults {
  readonly ctrl: Int32Array
  readonly results: Float64Array
  readonly masks: Uint8Array
}

/** Claims and runs groups of a node task until none is left; group g's bests go to results 2g, 2g + 1. */
export function runNodeGroups(
  inputs: HistogramInputs,
  features: Int32Array,
  task: NodeTask,
  ctx: SearchContext,
  kernel: HistKernel | null,
  out: GroupResults,
): void {
  const starts = nodeGroupStarts(task.nFeatures)
  for (;;) {
    const g = Atomics.add(out.ctrl, CTRL.next, 1)
    if (g >= starts.length - 1) return
    const [a, b] = runNodeShare(inputs, features, starts[g]!, starts[g + 1]!, task, ctx, kernel)
    writeResult(a, out.results, out.masks, 2 * g)
    writeResult(b, out.results, out.masks, 2 * g + 1)
  }
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
  /** The score pass's inputs (round.ts), or null where the pool does not run it. */
  readonly score: ScoreInputs | null
  /** The split search's mapper arrays and constraints. */
  readonly mapper: SplitMapper
  readonly constraints: SplitConstraints
  /** Node tasks: A's and B's sums (grad, hess, count each). */
  readonly taskSums: Float64Array
  /** Node tasks: each feature group's best splits of A and B (node-search.ts), at 2 g and 2 g + 1. */
  readonly results: Float64Array
  readonly masks: Uint8Array
}

/** What the split search needs besides the histograms. */
export interface SearchSetup {
  readonly mapper: SplitMapper
  readonly constraints: SplitConstraints
}

/** Builds node histograms: in-process, or spread over worker threads. */
export interface HistogramBuilder {
  /**
   * A node task (node-search.ts): node A's histogram from its rows, B's as the parent's minus A's,
   * and their best splits over features[0..nFeatures).
   */
  node(task: NodeTask): NodeSplits
  /**
   * Partitions a node's rows rows[start..end) of row buffer `src` for a split on feature `f` that
   * sends `nLeft` of them left (see partition.ts): into the other buffer, left rows first, stably.
   * Returns where the right rows start.
   */
  partition(src: 0 | 1, start: number, end: number, f: number, mask: Uint8Array, nLeft: number): number
  /**
   * How many of a node's rows rows[start..end) of row buffer `src` a split on feature `f` sends
   * left, counted on the calling thread (histograms without counts only estimate it).
   */
  countLeft(src: 0 | 1, start: number, end: number, f: number, mask: Uint8Array): number
  /**
   * The score pass over every row (round.ts): the next round's gradients into row buffer 0, after
   * adding the grown tree's leaf values when `nLeaves` > 0 (its leaves in score.leaves, their values
   * in score.leafValues). Only for a builder made with score inputs.
   */
  score(nLeaves: number): void
  close(): Promise<void>
}

/**
 * Below this many (rows x features) a node is built on the calling thread: handing it over costs
 * more. With the 50 µs poll a hand-off costs a few microseconds, so nodes from ~1,000 rows of 32
 * features are shared (measured on the 1M-row bench: 0.63 s of histograms and 0.39 s of partitions
 * ran on the calling thread alone at the earlier 131,072 / 32,768, 0.15 s and 0.12 s at these).
 */
const MIN_PARALLEL_WORK = 32_768
/** Below this many rows a node is partitioned on the calling thread. */
const MIN_PARALLEL_PARTITION = 8_192
/** Below this many rows the score pass runs on the calling thread. */
const MIN_PARALLEL_SCORE = 32_768

function shared<T extends { buffer: ArrayBufferLike }>(a: T): T {
  if (!(a.buffer instanceof SharedArrayBuffer))
    throw new TypeError('expected an array backed by a SharedArrayBuffer')
  return a
}

/** The builder's score inputs; score() is called only by a trainer that passed them. */
function required(score: ScoreInputs | null): ScoreInputs {
  if (score === null) throw new TypeError('This histogram pool was built without score inputs.')
  return score
}

function sharedBuffer(b: RowBuffer): RowBuffer {
  return { rows: shared(b.rows), grad: shared(b.grad), hess: shared(b.hess) }
}

/** The calling thread builds everything. */
export function localHistogramBuilder(
  inputs: HistogramInputs,
  features: Int32Array,
  search: SearchSetup,
  score: ScoreInputs | null = null,
): HistogramBuilder {
  const kernel = inputs.arena === undefined ? null : histKernel(inputs.arena.memory)
  const ctx: SearchContext = { ...search, scratch: new SplitScratch() }
  return {
    score(nLeaves) {
      scoreRows(required(score), inputs, nLeaves, 0, inputs.nRows, kernel)
    },
    node(task) {
      return runNodeShare(inputs, features, 0, task.nFeatures, task, ctx, kernel)
    },
    partition(src, start, end, f, mask, nLeft) {
      return partitionNode(inputs, src, start, end, f, mask, nLeft, kernel)
    },
    countLeft(src, start, end, f, mask) {
      return countLeft(inputs, src, [start, end], f, mask, kernel)
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
  search: SearchSetup,
  score: ScoreInputs | null = null,
): Promise<HistogramBuilder> {
  const control = new SharedArrayBuffer((CTRL_FIXED + 2 * nThreads) * 4)
  const ctrl = new Int32Array(control)
  const taskSums = new Float64Array(new SharedArrayBuffer(6 * 8))
  // A node has at most one group per feature (colsample may give a node fewer features).
  const maxGroups = Math.max(1, features.length)
  const results = new Float64Array(new SharedArrayBuffer(2 * maxGroups * RESULT_STRIDE * 8))
  const masks = new Uint8Array(new SharedArrayBuffer(2 * maxGroups * MASK_BYTES))
  const ctx: SearchContext = { ...search, scratch: new SplitScratch() }
  const code = workerModuleCode('hist-worker', import.meta.url)
  const workers: Worker[] = []
  const ready: Promise<void>[] = []
  for (let t = 1; t < nThreads; t++) {
    const data: HistWorkerData = {
      control,
      bins: shared(inputs.bins),
      nRows: inputs.nRows,
      buf: [sharedBuffer(inputs.buf[0]), sharedBuffer(inputs.buf[1])],
      featureOffset: inputs.featureOffset,
      nBins: inputs.nBins,
      histPool: shared(inputs.histPool),
      histSize: inputs.histSize,
      histStride: inputs.histStride,
      features: shared(features),
      arena: inputs.arena ?? null,
      threadIndex: t,
      nThreads,
      score:
        score === null
          ? null
          : {
              kind: score.kind,
              raw: shared(score.raw),
              y: shared(score.y),
              w: score.w === null ? null : shared(score.w),
              leafOfRow: shared(score.leafOfRow),
              leafValues: shared(score.leafValues),
              arena: score.arena,
              leaves: shared(score.leaves),
            },
      mapper: {
        nBins: inputs.nBins,
        featureOffset: inputs.featureOffset,
        isCategorical: search.mapper.isCategorical,
      },
      constraints: { ...search.constraints },
      taskSums,
      results,
      masks,
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
        if (spinWhile(ctrl, slot, done, SPIN_MS)) continue
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

  // A node is partitioned from both ends by the calling thread and worker 1 only where both see
  // the arena (WebAssembly); other workers report the task done without work.
  const parallelPartition = inputs.arena !== undefined && kernel !== null

  return {
    score(nLeaves) {
      const s = required(score)
      const n = inputs.nRows
      if (n < MIN_PARALLEL_SCORE) {
        scoreRows(s, inputs, nLeaves, 0, n, kernel)
        return
      }
      const mine = chunkStart(0, n, 1, nThreads)
      const addTree = nLeaves > 0
      if (addTree) {
        // Every row's leaf first (reading both row buffers), and only then the pass that rewrites
        // buffer 0: the wait between the two tasks keeps one thread's writes from another's reads.
        post(TASK.leaves, [CTRL.nLeaves, nLeaves])
        fillLeafOfRow(s, inputs, nLeaves, 0, mine)
        waitDone()
      }
      post(TASK.score, [CTRL.addTree, addTree ? 1 : 0])
      updateRows(s, inputs, addTree, 0, mine, kernel)
      waitDone()
    },
    partition(src, start, end, f, mask, nLeft) {
      if (!parallelPartition || end - start < MIN_PARALLEL_PARTITION)
        return partitionNode(inputs, src, start, end, f, mask, nLeft, kernel)
      writeMask(inputs, mask)
      const mid = start + nLeft
      post(
        TASK.partition,
        [CTRL.buffer, src],
        [CTRL.start, start],
        [CTRL.end, end],
        [CTRL.feature, f],
        [CTRL.mid, mid],
      )
      const l = partitionRows(
        inputs,
        src,
        start,
        chunkStart(start, end, 1, 2),
        f,
        mask,
        start,
        mid,
        kernel,
        1,
      )
      waitDone()
      // The two threads' left parts meet exactly when the histogram's count was right.
      const upper = Atomics.load(ctrl, CTRL.lefts + 1)
      if (l !== upper + 1) throw new PartitionCountError(nLeft, l - start + (mid - 1 - upper))
      return mid
    },
    countLeft(src, start, end, f, mask) {
      if (!parallelPartition || end - start < MIN_PARALLEL_PARTITION)
        return countLeft(inputs, src, [start, end], f, mask, kernel)
      // Worker 1 counts the upper half (as it partitions it next), the calling thread the lower.
      writeMask(inputs, mask)
      post(TASK.count, [CTRL.buffer, src], [CTRL.start, start], [CTRL.end, end], [CTRL.feature, f])
      const lower = countLeftRows(inputs, src, [start, chunkStart(start, end, 1, 2)], f, mask, kernel)
      waitDone()
      return lower + Atomics.load(ctrl, CTRL.lefts + 1)
    },
    node(task) {
      const { start, end, nFeatures } = task
      if ((end - start) * nFeatures < MIN_PARALLEL_WORK || nFeatures < nThreads)
        return runNodeShare(inputs, features, 0, nFeatures, task, ctx, kernel)
      const sums = [task.sums, task.siblingSums] as const
      for (let k = 0; k < 2; k++) {
        const s = sums[k] ?? null
        if (s === null) continue
        taskSums[3 * k] = s.grad
        taskSums[3 * k + 1] = s.hess
        taskSums[3 * k + 2] = s.count
      }
      // The sums are plain writes: post's atomic generation bump publishes them with the fields.
      Atomics.store(ctrl, CTRL.next, 0)
      post(
        TASK.node,
        [CTRL.buffer, task.buffer],
        [CTRL.slot, task.slot],
        [CTRL.start, start],
        [CTRL.end, end],
        [CTRL.nFeatures, nFeatures],
        [CTRL.parentSlot, task.parentSlot],
        [CTRL.searchFlags, (task.sums === null ? 0 : 1) | (task.siblingSums === null ? 0 : 2)],
      )
      runNodeGroups(inputs, features, task, ctx, kernel, { ctrl, results, masks })
      waitDone()
      // Every group's best, in feature order: the split one thread finds (findBestSplit's tie rule).
      const out: NodeSplits = [null, null]
      const nGroups = nodeGroupStarts(nFeatures).length - 1
      for (let k = 0; k < 2; k++) {
        const s = sums[k] ?? null
        if (s === null) continue
        for (let g = 0; g < nGroups; g++)
          out[k] = better(out[k]!, readResult(results, masks, 2 * g + k, s, search.mapper))
      }
      return out
    },
    async close() {
      if (closed) return
      closed = true
      post(TASK.exit)
      await Promise.all(workers.map((w) => w.terminate()))
    },
  }
}
