import { parentPort } from 'node:worker_threads'
import type { GrowData, GrownTree, GrowSettings } from './grow-types.js'
import { ForestGrower } from './grower.js'

/** One fit's work for a pool worker: shared data, settings, per-tree seeds and a shared counter. @internal */
export interface ForestJob {
  readonly jobId: number
  readonly data: GrowData
  readonly settings: GrowSettings
  readonly seeds: Uint32Array
  /** Int32Array over a SharedArrayBuffer: the next tree index to build. */
  readonly next: Int32Array
}

/** Messages a worker sends back. @internal */
export type ForestWorkerMessage =
  | { readonly kind: 'tree'; readonly jobId: number; readonly index: number; readonly tree: GrownTree }
  | { readonly kind: 'done'; readonly jobId: number }
  | { readonly kind: 'failed'; readonly jobId: number; readonly message: string }

function transferList(tree: GrownTree): ArrayBuffer[] {
  const arrays = [
    tree.feature,
    tree.bin,
    tree.binHi,
    tree.left,
    tree.right,
    tree.defaultLeft,
    tree.category,
    tree.cover,
    tree.value,
    tree.importance,
  ]
  if (tree.inBag !== null) arrays.push(tree.inBag)
  return arrays.map((a) => a.buffer as ArrayBuffer)
}

// Trees are taken from a shared counter, so fast workers take more; each tree depends only on its
// own seed, so the model is the same whichever worker builds it.
const port = parentPort
port?.on('message', (job: ForestJob) => {
  try {
    const builder = new ForestGrower(job.data)
    for (;;) {
      const t = Atomics.add(job.next, 0, 1)
      if (t >= job.seeds.length) break
      const tree = builder.grow(job.seeds[t]!, job.settings)
      const msg: ForestWorkerMessage = { kind: 'tree', jobId: job.jobId, index: t, tree }
      port.postMessage(msg, transferList(tree))
    }
    port.postMessage({ kind: 'done', jobId: job.jobId } satisfies ForestWorkerMessage)
  } catch (e) {
    const message = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)
    port.postMessage({ kind: 'failed', jobId: job.jobId, message } satisfies ForestWorkerMessage)
  }
})
