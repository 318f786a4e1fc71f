/**
 * Shared pieces of Keel's worker-thread pools (GBDT histograms and scoring, MLP matrix products):
 * how a worker loads its module under tsx and from dist, start-up, the pool error, and typed
 * arrays that workers can share.
 */
import type { Worker } from 'node:worker_threads'
import { AppError } from '../core/index.js'

/**
 * Source for `new Worker(code, { eval: true })` that loads module `name` beside `base` (pass the
 * caller's `import.meta.url`, so the worker file is found next to it). Under tsx (tests, benches:
 * the caller is a .ts file) the worker registers tsx itself, since loader hooks are per thread;
 * compiled builds import the .js file directly.
 */
export function workerModuleCode(name: string, base: string): string {
  const isTs = base.endsWith('.ts')
  const url = new URL(`./${name}${isTs ? '.ts' : '.js'}`, base).href
  return isTs
    ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(url)}) })`
    : `import(${JSON.stringify(url)})`
}

/** Resolves once `worker` runs, rejects if it fails to start. */
export function workerOnline(worker: Worker): Promise<void> {
  return new Promise((resolve, reject) => {
    worker.once('online', () => resolve())
    worker.once('error', reject)
  })
}

/** A worker thread of a pool failed to start, stopped responding or failed a task. */
export class WorkerPoolError extends AppError {
  constructor(message: string) {
    super('GBDT_WORKER_FAILED', message)
  }
}

/**
 * Spins until ctrl[index] is no longer `value`, for at most `maxMs` milliseconds. Returns whether
 * it changed. A pool's threads hand each other tasks tens of microseconds apart; waking a thread
 * sleeping in Atomics.wait costs about that much again (a futex round trip), so a thread that
 * expects the next hand-off soon polls briefly first and sleeps only after.
 */
export function spinWhile(ctrl: Int32Array, index: number, value: number, maxMs: number): boolean {
  if (maxMs <= 0) return Atomics.load(ctrl, index) !== value
  const until = performance.now() + maxMs
  for (let spins = 1; ; spins++) {
    if (Atomics.load(ctrl, index) !== value) return true
    // The clock is read every 64 polls: a read costs more than a poll.
    if ((spins & 63) === 0 && performance.now() >= until) return false
  }
}

/** Typed arrays that workers can share: backed by a SharedArrayBuffer when `shared`. */
export function allocFloat64(length: number, shared: boolean): Float64Array {
  return shared ? new Float64Array(new SharedArrayBuffer(length * 8)) : new Float64Array(length)
}
export function allocInt32(length: number, shared: boolean): Int32Array {
  return shared ? new Int32Array(new SharedArrayBuffer(length * 4)) : new Int32Array(length)
}
export function allocUint8(length: number, shared: boolean): Uint8Array {
  return shared ? new Uint8Array(new SharedArrayBuffer(length)) : new Uint8Array(length)
}
