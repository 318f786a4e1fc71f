import { Worker } from 'node:worker_threads'
import { AppError } from '../../core/index.js'
import type { GrowData, GrownTree, GrowSettings } from './grow-types.js'
import { ForestGrower } from './grower.js'
import type { ForestJob, ForestWorkerMessage } from './worker.js'

/** A worker thread failed while building trees. */
export class ForestWorkerError extends AppError {
  constructor(message: string, cause?: unknown) {
    super('FOREST_WORKER_FAILED', message, cause === undefined ? {} : { cause })
  }
}

/**
 * Starts the worker module beside this one. Built code runs `worker.js` directly. From source
 * (tsx), Node 20 does not pass the parent's module hooks on to workers, so a small bootstrap
 * registers tsx inside the worker before importing `worker.ts`.
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url))
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./worker.ts', import.meta.url).href
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { eval: true })
}

interface PendingJob {
  readonly trees: (GrownTree | undefined)[]
  remaining: number
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

/**
 * Worker threads kept between fits (starting one costs far more than growing a small tree), unref'd
 * while idle so they never keep the process alive.
 */
const pool: Worker[] = []
const jobs = new Map<number, PendingJob>()
let nextJobId = 1
let busy = 0

function failAll(error: Error): void {
  for (const job of jobs.values()) job.reject(error)
  jobs.clear()
}

function workerFor(i: number): Worker {
  const existing = pool[i]
  if (existing !== undefined) return existing
  const worker = startWorker()
  worker.unref()
  worker.on('message', (msg: ForestWorkerMessage) => {
    const job = jobs.get(msg.jobId)
    if (job === undefined) return
    switch (msg.kind) {
      case 'tree':
        job.trees[msg.index] = msg.tree
        break
      case 'done':
        job.remaining--
        if (job.remaining === 0) {
          jobs.delete(msg.jobId)
          job.resolve()
        }
        break
      case 'failed':
        jobs.delete(msg.jobId)
        job.reject(new ForestWorkerError(`A tree-building worker failed: ${msg.message}`))
        break
    }
  })
  const drop = (error: Error) => {
    const at = pool.indexOf(worker)
    if (at >= 0) pool.splice(at, 1)
    failAll(error)
  }
  worker.on('error', (err) =>
    drop(new ForestWorkerError(`A tree-building worker crashed: ${String(err)}`, err)),
  )
  worker.on('exit', (code) => drop(new ForestWorkerError(`A tree-building worker exited with code ${code}.`)))
  pool[i] = worker
  return worker
}

/**
 * Grows `seeds.length` trees, tree t from `seeds[t]`, on `threads` pooled worker threads (in this
 * thread when 1). `data` should hold its arrays in SharedArrayBuffers when threads > 1, so workers
 * share them instead of copying. The returned trees are in index order and do not depend on
 * `threads` or on which worker built which tree.
 * @internal
 */
export async function growTrees(
  data: GrowData,
  settings: GrowSettings,
  seeds: Uint32Array,
  threads: number,
): Promise<GrownTree[]> {
  if (threads <= 1 || seeds.length <= 1) {
    const builder = new ForestGrower(data)
    return Array.from(seeds, (seed) => builder.grow(seed, settings))
  }
  const jobId = nextJobId++
  const job: ForestJob = { jobId, data, settings, seeds, next: new Int32Array(new SharedArrayBuffer(4)) }
  const trees: (GrownTree | undefined)[] = new Array(seeds.length)
  const workers = Array.from({ length: threads }, (_, i) => workerFor(i))
  busy++
  for (const w of workers) w.ref()
  try {
    await new Promise<void>((resolve, reject) => {
      jobs.set(jobId, { trees, remaining: workers.length, resolve, reject })
      for (const w of workers) w.postMessage(job)
    })
  } finally {
    busy--
    if (busy === 0) for (const w of pool) w.unref()
  }
  return trees.map((tree, t) => {
    if (tree === undefined) throw new ForestWorkerError(`Tree ${t} was never built.`)
    return tree
  })
}
