/**
 * Worker-thread side of the histogram pool (see hist-pool.ts). The worker blocks on a shared
 * control block with Atomics.wait; each task builds the histograms of its share of the features
 * into shared memory, then records the task's generation in its done slot. No messages per task: Atomics round trips
 * cost microseconds where postMessage costs tens of them, and a tree has dozens of nodes.
 */
import { workerData } from 'node:worker_threads'
import { arenaScratch, CTRL, chunkStart, doneSlot, type HistWorkerData, TASK } from './hist-pool.js'
import { buildHistogramFeatures, type HistogramInputs } from './histogram.js'
import { partitionChunk } from './partition.js'
import { histKernel } from './wasm-hist.js'

const data = workerData as HistWorkerData
const ctrl = new Int32Array(data.control)
// Typed arrays on shared memory arrive as views of the same memory (offsets kept).
const inputs: HistogramInputs = {
  bins: data.bins,
  nRows: data.nRows,
  rows: data.rows,
  orderedGrad: data.orderedGrad,
  orderedHess: data.orderedHess,
  featureOffset: Int32Array.from(data.featureOffset),
  nBins: Int32Array.from(data.nBins),
  histPool: data.histPool,
  histSize: data.histSize,
  ...(data.arena === null ? {} : { arena: data.arena }),
}
const kernel = data.arena === null ? null : histKernel(data.arena.memory)
const features = data.features
const threadIndex = data.threadIndex
const nThreads = data.nThreads
// Partition tasks come only when there is an arena (the pool checks): its scratch, and no JS mask.
const scratch = data.arena === null ? null : arenaScratch(data.arena, data.nRows)
const NO_MASK = new Uint8Array(0)

/** The generation of the last task this thread ran: a wake-up without a newer one runs nothing. */
let last = 0
for (;;) {
  Atomics.wait(ctrl, CTRL.generation, last)
  const generation = Atomics.load(ctrl, CTRL.generation)
  if (generation === last) continue
  last = generation
  const task = Atomics.load(ctrl, CTRL.task)
  if (task === TASK.exit) break
  try {
    if (task === TASK.histogram) {
      const nFeatures = Atomics.load(ctrl, CTRL.nFeatures)
      const from = Math.floor((threadIndex * nFeatures) / nThreads)
      const to = Math.floor(((threadIndex + 1) * nFeatures) / nThreads)
      buildHistogramFeatures(
        inputs,
        features,
        from,
        to,
        Atomics.load(ctrl, CTRL.slot),
        Atomics.load(ctrl, CTRL.start),
        Atomics.load(ctrl, CTRL.end),
        kernel,
      )
    } else if (task === TASK.partition && scratch !== null) {
      const start = Atomics.load(ctrl, CTRL.start)
      const end = Atomics.load(ctrl, CTRL.end)
      const from = chunkStart(start, end, threadIndex, nThreads)
      const to = chunkStart(start, end, threadIndex + 1, nThreads)
      const feature = Atomics.load(ctrl, CTRL.feature)
      const left = partitionChunk(inputs, scratch, from, to, feature, NO_MASK, from - start, kernel)
      Atomics.store(ctrl, CTRL.lefts + threadIndex, left)
    }
  } catch {
    Atomics.store(ctrl, CTRL.failed, 1)
  }
  // Results first, then the report: the caller reads them once it sees this generation here.
  const slot = doneSlot(nThreads, threadIndex)
  Atomics.store(ctrl, slot, generation)
  Atomics.notify(ctrl, slot)
}
