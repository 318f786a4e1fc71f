/**
 * Worker-thread side of the histogram pool (see hist-pool.ts). The worker blocks on a shared
 * control block with Atomics.wait; each task builds the histograms of its share of the features
 * into shared memory, then bumps the done counter. No messages per task: Atomics round trips
 * cost microseconds where postMessage costs tens of them, and a tree has dozens of nodes.
 */
import { workerData } from 'node:worker_threads'
import { arenaScratch, CTRL, chunkStart, type HistWorkerData, TASK } from './hist-pool.js'
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
// Partition tasks come only when there is an arena (the pool checks): its scratch, and no JS mask.
const scratch = data.arena === null ? null : arenaScratch(data.arena, data.nRows)
const NO_MASK = new Uint8Array(0)

let generation = 0
for (;;) {
  Atomics.wait(ctrl, CTRL.generation, generation)
  generation = Atomics.load(ctrl, CTRL.generation)
  const task = ctrl[CTRL.task]!
  if (task === TASK.exit) break
  try {
    if (task === TASK.histogram) {
      const nThreads = ctrl[CTRL.nThreads]!
      const nFeatures = ctrl[CTRL.nFeatures]!
      const from = Math.floor((threadIndex * nFeatures) / nThreads)
      const to = Math.floor(((threadIndex + 1) * nFeatures) / nThreads)
      buildHistogramFeatures(
        inputs,
        features,
        from,
        to,
        ctrl[CTRL.slot]!,
        ctrl[CTRL.start]!,
        ctrl[CTRL.end]!,
        kernel,
      )
    } else if (task === TASK.partition && scratch !== null) {
      const nThreads = ctrl[CTRL.nThreads]!
      const start = ctrl[CTRL.start]!
      const end = ctrl[CTRL.end]!
      const from = chunkStart(start, end, threadIndex, nThreads)
      const to = chunkStart(start, end, threadIndex + 1, nThreads)
      ctrl[CTRL.lefts + threadIndex] = partitionChunk(
        inputs,
        scratch,
        from,
        to,
        ctrl[CTRL.feature]!,
        NO_MASK,
        from - start,
        kernel,
      )
    }
  } catch {
    Atomics.store(ctrl, CTRL.failed, 1)
  }
  Atomics.add(ctrl, CTRL.done, 1)
  Atomics.notify(ctrl, CTRL.done)
}
