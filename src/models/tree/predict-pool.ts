import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Matrix } from '../../core/index.js'
import { WorkerPoolError, workerModuleCode } from '../../runtime/index.js'
import type { PackedForest } from './tree.js'

/** Batches smaller than this are scored on the calling thread (a round trip costs ~0.1 ms). */
export const MIN_PARALLEL_PREDICT_ROWS = 20_000

/** Scoring threads for a `threads` param: the number itself, or every available core for 0. */
export function predictThreads(threads: number): number {
  return threads > 0 ? threads : Math.max(1, availableParallelism())
}

/**
 * Scores large batches on worker threads that share the model's packed arrays. `run` stays
 * synchronous: it posts each worker its row range, scores the first range itself, then waits on
 * a shared counter (Atomics.wait). Every row is scored by the same code in the same tree order,
 * so results equal single-threaded scoring bit for bit.
 */
export class PredictPool {
  private readonly workers: Worker[] = []
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(8))
  /**
   * Grow-only shared input and output buffers, reused across calls: a new SharedArrayBuffer per
   * call stayed alive in the idle workers (their heaps rarely collect), ~16 MB per 65k-row call.
   */
  private input = new Float64Array(new SharedArrayBuffer(8))
  private output = new Float64Array(new SharedArrayBuffer(8))

  constructor(forest: PackedForest, nThreads: number) {
    const code = workerModuleCode('predict-worker', import.meta.url)
    for (let t = 1; t < nThreads; t++) {
      const worker = new Worker(code, {
        eval: true,
        workerData: { forest: forest.parts(), control: this.ctrl.buffer },
      })
      // Idle scoring workers must never keep the process alive.
      worker.unref()
      this.workers.push(worker)
    }
  }

  /** Adds the forest's margins of every row of x onto out (row-major, nOutputs per row). */
  run(forest: PackedForest, x: Matrix, out: Float64Array): void {
    const n = x.rows
    const nThreads = this.workers.length + 1
    if (this.input.length < x.data.length)
      this.input = new Float64Array(new SharedArrayBuffer(x.data.length * 8))
    if (this.output.length < out.length) this.output = new Float64Array(new SharedArrayBuffer(out.length * 8))
    const input = this.input
    const shared = this.output
    // Only the workers' rows need the shared copy; this thread scores its own rows in place.
    const mine = Math.floor(n / nThreads)
    input.set(x.data.subarray(mine * x.cols), mine * x.cols)
    shared.set(out)
    Atomics.store(this.ctrl, 0, 0)
    Atomics.store(this.ctrl, 1, 0)
    this.workers.forEach((w, i) => {
      w.postMessage({
        input: input.buffer,
        output: shared.buffer,
        cols: x.cols,
        from: Math.floor(((i + 1) * n) / nThreads),
        to: Math.floor(((i + 2) * n) / nThreads),
      })
    })
    forest.addRows(x.data, x.cols, 0, mine, shared)
    const nWorkers = this.workers.length
    for (;;) {
      const done = Atomics.load(this.ctrl, 0)
      if (done >= nWorkers) break
      // Generous: the first call also waits for the workers to start.
      if (Atomics.wait(this.ctrl, 0, done, 120_000) === 'timed-out' && Atomics.load(this.ctrl, 0) === done) {
        throw new WorkerPoolError(
          'A scoring worker thread stopped responding. Set threads: 1 to score in-process.',
        )
      }
    }
    if (Atomics.load(this.ctrl, 1) !== 0) throw new WorkerPoolError('A scoring worker thread failed.')
    out.set(shared.subarray(0, out.length))
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()))
  }
}
