/**
 * Worker-thread side of the histogram pool (see thread-pool.ts). The worker blocks on a shared
 * control block with Atomics.wait; each task builds the histograms of its share of the features
 * into shared memory, then bumps the done counter. No messages per task: Atomics round trips
 * cost microseconds where postMessage costs tens of them, and a tree has dozens of nodes.
 */
import { workerData } from 'node:worker_threads'
import { buildHistogramFeatures, type HistogramInputs } from './histogram.js'
import { CTRL, type HistWorkerData, TASK } from './thread-pool.js'

const data = workerData as HistWorkerData
const ctrl = new Int32Array(data.control)
const inputs: HistogramInputs = {
  bins: new Uint8Array(data.bins),
  nRows: data.nRows,
  rows: new Int32Array(data.rows),
  orderedGrad: new Float64Array(data.orderedGrad),
  orderedHess: new Float64Array(data.orderedHess),
  featureOffset: Int32Array.from(data.featureOffset),
  nBins: Int32Array.from(data.nBins),
  histPool: new Float64Array(data.histPool),
  histSize: data.histSize,
}
const features = new Int32Array(data.features)
const threadIndex = data.threadIndex

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
      buildHistogramFeatures(inputs, features, from, to, ctrl[CTRL.slot]!, ctrl[CTRL.start]!, ctrl[CTRL.end]!)
    }
  } catch {
    Atomics.store(ctrl, CTRL.failed, 1)
  }
  Atomics.add(ctrl, CTRL.done, 1)
  Atomics.notify(ctrl, CTRL.done)
}
