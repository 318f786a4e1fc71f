/**
 * Worker-thread side of parallel batch scoring (see predict-pool.ts): scores the rows it is sent
 * with a PackedForest built on the model's shared arrays, then bumps the done counter.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { PackedForest, type PackedForestParts } from './tree.js'

interface ScoreTask {
  readonly input: SharedArrayBuffer
  readonly output: SharedArrayBuffer
  readonly cols: number
  readonly from: number
  readonly to: number
}

const data = workerData as { readonly forest: PackedForestParts; readonly control: SharedArrayBuffer }
const forest = new PackedForest(data.forest)
const ctrl = new Int32Array(data.control)

parentPort?.on('message', (task: ScoreTask) => {
  try {
    forest.addRows(new Float64Array(task.input), task.cols, task.from, task.to, new Float64Array(task.output))
  } catch {
    Atomics.store(ctrl, 1, 1)
  }
  Atomics.add(ctrl, 0, 1)
  Atomics.notify(ctrl, 0)
})
