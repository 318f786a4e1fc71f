import { Worker } from 'node:worker_threads'
import { AppError } from '../../core/index.js'
import type { GrowData, GrownTree, GrowSettings } from './grower.js'
import { TreeBuilder } from './grower.js'
import type { ForestWorkerInput } from './worker.js'

/** A worker thread failed while building trees. */
export class ForestWorkerError extends AppError {
  constructor(message: string, cause: unknown) {
    super('FOREST_WORKER_FAILED', message, { cause })
  }
}

/**
 * Starts the worker module beside this one. Built code runs `worker.js` directly. From source
 * (tsx), Node 20 does not pass the parent's module hooks on to workers, so a small bootstrap
 * registers tsx inside the worker before importing `worker.ts`.
 */
function startWorker(input: ForestWorkerInput): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: input })
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./worker.ts', import.meta.url).href
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { eval: true, workerData: input })
}

/**
 * Grows `seeds.length` trees, tree t from `seeds[t]`, on `threads` worker threads (in this thread
 * when 1). `data` should hold its arrays in SharedArrayBuffers when threads > 1, so workers share
 * them instead of copying. The returned trees are in index order and do not depend on `threads`.
 * @internal
 */
export async function growTrees(
  data: GrowData,
  settings: GrowSettings,
  seeds: Uint32Array,
  threads: number,
): Promise<GrownTree[]> {
  if (threads <= 1 || seeds.length <= 1) {
    const builder = new TreeBuilder(data)
    return Array.from(seeds, (seed) => builder.grow(seed, settings))
  }
  const next = new Int32Array(new SharedArrayBuffer(4))
  const input: ForestWorkerInput = { data, settings, seeds, next }
  const results: (GrownTree | undefined)[] = new Array(seeds.length)
  const workers: Worker[] = []
  try {
    await new Promise<void>((resolve, reject) => {
      let running = threads
      let failed = false
      for (let i = 0; i < threads; i++) {
        const worker = startWorker(input)
        workers.push(worker)
        worker.on('message', (msg: { index: number; tree: GrownTree }) => {
          results[msg.index] = msg.tree
        })
        worker.on('error', (err) => {
          if (failed) return
          failed = true
          reject(new ForestWorkerError(`A tree-building worker failed: ${String(err)}`, err))
        })
        worker.on('exit', (code) => {
          running--
          if (code !== 0 && !failed) {
            failed = true
            reject(new ForestWorkerError(`A tree-building worker exited with code ${code}.`, undefined))
          } else if (running === 0 && !failed) resolve()
        })
      }
    })
  } finally {
    for (const w of workers) void w.terminate()
  }
  const trees: GrownTree[] = []
  for (let t = 0; t < seeds.length; t++) {
    const tree = results[t]
    if (tree === undefined) throw new ForestWorkerError(`Tree ${t} was never built.`, undefined)
    trees.push(tree)
  }
  return trees
}
