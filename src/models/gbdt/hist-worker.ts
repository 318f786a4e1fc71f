/**
 * Worker-thread side of the histogram pool (see hist-pool.ts). The worker blocks on a shared
 * control block with Atomics.wait; each task builds the histograms of its share of the features
 * into shared memory, then records the task's generation in its done slot. No messages per task: Atomics round trips
 * cost microseconds where postMessage costs tens of them, and a tree has dozens of nodes.
 */
import { workerData } from 'node:worker_threads'
import { spinWhile } from '../../runtime/index.js'
import { CTRL, chunkStart, doneSlot, type HistWorkerData, runNodeGroups, SPIN_MS, TASK } from './hist-pool.js'
import type { HistogramInputs } from './histogram.js'
import type { NodeTask, SearchContext } from './node-search.js'
import { countLeftRows, partitionRows } from './partition.js'
import { fillLeafOfRow, updateRows } from './round.js'
import { type NodeSums, SplitScratch } from './split-finder.js'
import { histKernel } from './wasm-hist.js'

const data = workerData as HistWorkerData
const ctrl = new Int32Array(data.control)
// Typed arrays on shared memory arrive as views of the same memory (offsets kept).
const inputs: HistogramInputs = {
  bins: data.bins,
  nRows: data.nRows,
  buf: data.buf,
  featureOffset: Int32Array.from(data.featureOffset),
  nBins: Int32Array.from(data.nBins),
  histPool: data.histPool,
  histSize: data.histSize,
  histStride: data.histStride,
  ...(data.arena === null ? {} : { arena: data.arena }),
}
const kernel = data.arena === null ? null : histKernel(data.arena.memory)
const features = data.features
const threadIndex = data.threadIndex
const nThreads = data.nThreads
// Partition tasks come only when there is an arena (the pool checks): the kernel reads the mask there.
const NO_MASK = new Uint8Array(0)
const search: SearchContext = {
  mapper: data.mapper,
  constraints: data.constraints,
  scratch: new SplitScratch(),
}
const score = data.score

/** The generation of the last task this thread ran: a wake-up without a newer one runs nothing. */
let last = 0
for (;;) {
  if (!spinWhile(ctrl, CTRL.generation, last, SPIN_MS)) Atomics.wait(ctrl, CTRL.generation, last)
  const generation = Atomics.load(ctrl, CTRL.generation)
  if (generation === last) continue
  last = generation
  const task = Atomics.load(ctrl, CTRL.task)
  if (task === TASK.exit) break
  try {
    if (task === TASK.node) {
      const nFeatures = Atomics.load(ctrl, CTRL.nFeatures)
      const flags = Atomics.load(ctrl, CTRL.searchFlags)
      const sums = (k: number): NodeSums => ({
        grad: data.taskSums[3 * k]!,
        hess: data.taskSums[3 * k + 1]!,
        count: data.taskSums[3 * k + 2]!,
      })
      const node: NodeTask = {
        buffer: Atomics.load(ctrl, CTRL.buffer) === 1 ? 1 : 0,
        slot: Atomics.load(ctrl, CTRL.slot),
        start: Atomics.load(ctrl, CTRL.start),
        end: Atomics.load(ctrl, CTRL.end),
        nFeatures,
        sums: (flags & 1) === 0 ? null : sums(0),
        parentSlot: Atomics.load(ctrl, CTRL.parentSlot),
        siblingSums: (flags & 2) === 0 ? null : sums(1),
      }
      runNodeGroups(inputs, features, node, search, kernel, {
        ctrl,
        results: data.results,
        masks: data.masks,
      })
    } else if (task === TASK.partition && threadIndex === 1 && kernel !== null) {
      // The node's upper half, from the top down (see partition.ts); the caller takes the lower half.
      const start = Atomics.load(ctrl, CTRL.start)
      const end = Atomics.load(ctrl, CTRL.end)
      const mid = Atomics.load(ctrl, CTRL.mid)
      const src = Atomics.load(ctrl, CTRL.buffer) === 1 ? 1 : 0
      const from = chunkStart(start, end, 1, 2)
      const feature = Atomics.load(ctrl, CTRL.feature)
      const l = partitionRows(inputs, src, from, end, feature, NO_MASK, mid - 1, end - 1, kernel, -1)
      Atomics.store(ctrl, CTRL.lefts + threadIndex, l)
    } else if (task === TASK.count && threadIndex === 1 && kernel !== null) {
      // The left rows of the node's upper half (the caller counts the lower half).
      const start = Atomics.load(ctrl, CTRL.start)
      const end = Atomics.load(ctrl, CTRL.end)
      const src = Atomics.load(ctrl, CTRL.buffer) === 1 ? 1 : 0
      const feature = Atomics.load(ctrl, CTRL.feature)
      const n = countLeftRows(inputs, src, [chunkStart(start, end, 1, 2), end], feature, NO_MASK, kernel)
      Atomics.store(ctrl, CTRL.lefts + threadIndex, n)
    } else if (task === TASK.score || task === TASK.leaves) {
      if (score === null) throw new Error('score task without score inputs')
      const n = inputs.nRows
      const from = chunkStart(0, n, threadIndex, nThreads)
      const to = chunkStart(0, n, threadIndex + 1, nThreads)
      if (task === TASK.leaves) fillLeafOfRow(score, inputs, Atomics.load(ctrl, CTRL.nLeaves), from, to)
      else updateRows(score, inputs, Atomics.load(ctrl, CTRL.addTree) === 1, from, to, kernel)
    }
  } catch {
    Atomics.store(ctrl, CTRL.failed, 1)
  }
  // Results first, then the report: the caller reads them once it sees this generation here.
  const slot = doneSlot(nThreads, threadIndex)
  Atomics.store(ctrl, slot, generation)
  Atomics.notify(ctrl, slot)
}
