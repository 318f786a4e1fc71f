import { parentPort, workerData } from 'node:worker_threads'
import type { GrowData, GrowSettings } from './grower.js'
import { TreeBuilder } from './grower.js'

/** What the pool hands each worker: shared data, settings, per-tree seeds and a shared counter. @internal */
export interface ForestWorkerInput {
  readonly data: GrowData
  readonly settings: GrowSettings
  readonly seeds: Uint32Array
  /** Int32Array over a SharedArrayBuffer: the next tree index to build. */
  readonly next: Int32Array
}

// Trees are taken from a shared counter, so fast workers take more; each tree depends only on its
// own seed, so the model is the same whichever worker builds it.
const input = workerData as ForestWorkerInput
const port = parentPort
if (port !== null) {
  const builder = new TreeBuilder(input.data)
  for (;;) {
    const t = Atomics.add(input.next, 0, 1)
    if (t >= input.seeds.length) break
    const tree = builder.grow(input.seeds[t]!, input.settings)
    const transfer: ArrayBuffer[] = [
      tree.feature.buffer,
      tree.bin.buffer,
      tree.left.buffer,
      tree.right.buffer,
      tree.defaultLeft.buffer,
      tree.cover.buffer,
      tree.value.buffer,
      tree.importance.buffer,
    ] as ArrayBuffer[]
    if (tree.inBag !== null) transfer.push(tree.inBag.buffer as ArrayBuffer)
    port.postMessage({ index: t, tree }, transfer)
  }
}
