/**
 * Worker threads for the MLP's WebAssembly matrix products. The kernel's memory is shared, so a
 * worker instantiates the same kernels on it and computes bands of a product; tasks pass through
 * a shared control block with Atomics (a postMessage per product would cost more than a small
 * product).
 *
 * A task (a job) is up to MAX_PHASES phases, each one kernel over bands of one dimension: for a
 * product, the packing of a large operand in bands of columns, then the product itself in bands
 * of C's rows (or of its columns when C is short and wide). The calling thread and the workers
 * claim bands one at a time from a shared counter, so the caller starts at once and nobody waits
 * for a worker that wakes late: at the end the caller waits only for bands already in flight. The
 * product's phase waits until the packing is complete (a barrier). Every element is computed by
 * exactly one thread with the same operations, so results do not depend on the thread count or
 * on who took which band.
 *
 * Between jobs, workers also copy the next training batch's rows (a row gather, startGather), so
 * that copy leaves the calling thread.
 */
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { WorkerPoolError, wasmBytes, workerModuleCode, workerOnline } from '../../runtime/index.js'
import { opsWasm } from './wasm/ops.wasm.js'
import { gemmModuleBytes, type KernelFn } from './wasm-kernel.js'

/**
 * Kernels a job can run, by index in this list: the matrix kernel (wasm/gemm.wat), then
 * element-wise kernels of wasm/ops.wat. @internal
 */
export const BAND_FNS = ['gemm', 'pack_b', 'pack_bt', 'pack_at'] as const
/** A kernel of BAND_FNS. @internal */
export type BandFnName = (typeof BAND_FNS)[number]
type WasmFn = (...args: number[]) => void

/** Arguments of the longest kernel (gemm). */
const MAX_ARGS = 11
/** Per phase: kernel, end of its units (cumulative), extent, units per band, barrier, then args. */
const PHASE_HEAD = 5
const PHASE_INTS = PHASE_HEAD + 3 * MAX_ARGS
const MAX_PHASES = 4

/**
 * Control block slots. `claim` holds (unit count << 16) | next unit: one compare-and-swap both
 * checks that units remain and takes one. A job is up to MAX_PHASES phases, each a kernel run
 * over bands of one dimension; a phase may wait for the phases before it (a barrier). The row
 * gather (gatherClaim, gatherDone, gatherArgs) is a separate job that workers take up between
 * products.
 */
export const GEMM_CTRL = {
  generation: 0,
  claim: 1,
  completed: 2,
  failed: 3,
  exit: 4,
  gatherClaim: 8,
  gatherDone: 9,
  gatherArgs: 10,
  phases: 16,
} as const
const CTRL_LENGTH = GEMM_CTRL.phases + MAX_PHASES * PHASE_INTS
/** Rows per piece of a row gather: a few tens of microseconds, so a worker drops it quickly for a product. */
const GATHER_PIECE_ROWS = 64
/** Products smaller than this many multiply-adds stay on the calling thread. */
const MIN_PARALLEL_MACS = 1 << 20
/** How long the caller spins for chunks in flight before it sleeps (milliseconds). */
const SPIN_MS = 0.5
// Products of an MLP batch stop scaling long before this; each worker costs a V8 isolate.
const MAX_WORKERS = 15
/** Bands per thread of a shared product: the last one in flight is all the caller may wait for. */
const CHUNKS_PER_THREAD = 8

/**
 * One argument of a kernel in a job: a number, or [base, perStart, perLength]: base + band start
 * x perStart + band length x perLength (a pointer moved to the band, or the band's size).
 * @internal
 */
export type BandArg = number | readonly [number, number, number]

/** One phase of a job: `fn` over [0, extent) of one dimension in bands of `chunk`. @internal */
export interface Phase {
  readonly fn: BandFnName
  readonly extent: number
  readonly chunk: number
  /** Wait until every earlier phase is complete before starting this one. */
  readonly barrier: boolean
  readonly args: readonly BandArg[]
}

/** The kernels of BAND_FNS instantiated on `memory` (each thread has its own instances). @internal */
export function bandFunctions(memory: WebAssembly.Memory): WasmFn[] {
  const env = { env: { mem: memory } }
  const gemm = new WebAssembly.Instance(new WebAssembly.Module(gemmModuleBytes()), env).exports
  const ops = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(opsWasm)), env).exports as Record<
    string,
    WasmFn
  >
  return BAND_FNS.map((name) => {
    if (name === 'gemm') return gemm.gemm as WasmFn
    return ops[name]!
  })
}

interface Pool {
  readonly memory: WebAssembly.Memory
  readonly workers: Worker[]
  readonly ctrl: Int32Array
  /** The calling thread's views of the memory, for its share of a row gather. */
  readonly heap: HeapViews
  /** The calling thread's instances of BAND_FNS. */
  readonly fns: WasmFn[]
}

let pool: Pool | null = null
let threads = 1

/** What a gemm worker receives at start. @internal */
export interface GemmWorkerData {
  readonly memory: WebAssembly.Memory
  readonly control: SharedArrayBuffer
  /** The control block's generation when the worker was made (tasks after it are new). */
  readonly generation: number
}

/**
 * Uses `n` threads (0: every core) for the large products that follow, starting workers on
 * `memory` (the kernel's shared memory) as needed. Workers persist for the process, unref'd.
 */
export async function useGemmThreads(n: number, memory: WebAssembly.Memory): Promise<void> {
  const want = Math.min(MAX_WORKERS + 1, n === 0 ? availableParallelism() : n)
  threads = want
  if (want <= 1) return
  if (pool === null || pool.memory !== memory) {
    pool = {
      memory,
      workers: [],
      ctrl: new Int32Array(new SharedArrayBuffer(CTRL_LENGTH * 4)),
      heap: new HeapViews(memory),
      fns: bandFunctions(memory),
    }
  }
  const p = pool
  const code = workerModuleCode('gemm-worker', import.meta.url)
  const started: Promise<void>[] = []
  while (p.workers.length < want - 1) {
    const data: GemmWorkerData = {
      memory,
      control: p.ctrl.buffer as SharedArrayBuffer,
      generation: Atomics.load(p.ctrl, GEMM_CTRL.generation),
    }
    const worker = new Worker(code, { eval: true, workerData: data })
    p.workers.push(worker)
    // A worker that died fails the next product at once (a product already blocked in
    // Atomics.wait cannot run this listener; its timeout covers that case).
    worker.on('error', () => {
      Atomics.store(p.ctrl, GEMM_CTRL.failed, 1)
      Atomics.notify(p.ctrl, GEMM_CTRL.completed)
    })
    started.push(workerOnline(worker))
  }
  try {
    await Promise.all(started)
  } catch (error) {
    await Promise.all(p.workers.map((w) => w.terminate()))
    pool = null
    threads = 1
    throw new WorkerPoolError(
      `Could not start matrix-product worker threads: ${String(error)}. Use threads: 1.`,
    )
  }
  // Idle workers must never keep the process alive.
  for (const w of p.workers) w.unref()
}

/** Slot of phase `p`'s header in the control block. */
function phaseSlot(p: number): number {
  return GEMM_CTRL.phases + p * PHASE_INTS
}

/** Waits until at least `units` units of the current job are complete (or one failed). */
function awaitCompleted(ctrl: Int32Array, units: number): void {
  awaitCount(ctrl, GEMM_CTRL.completed, units, true)
}

/**
 * Spins for SPIN_MS, then sleeps, until ctrl[slot] reaches `target` (or, with `orFailed`, a worker
 * reports a failure). A bounded sleep notices a worker that died without counting.
 */
function awaitCount(ctrl: Int32Array, slot: number, target: number, orFailed: boolean): void {
  const spinUntil = performance.now() + SPIN_MS
  for (let spins = 0; ; spins++) {
    const done = Atomics.load(ctrl, slot)
    if (done >= target || (orFailed && Atomics.load(ctrl, GEMM_CTRL.failed) !== 0)) return
    if ((spins & 63) !== 63 || performance.now() < spinUntil) continue
    if (Atomics.wait(ctrl, slot, done, 60_000) === 'timed-out' && Atomics.load(ctrl, slot) === done)
      throw new WorkerPoolError('A matrix-product worker thread stopped responding. Retry with threads: 1.')
  }
}

/**
 * Claims units of the job described in `ctrl` until none remain, running the phase's kernel on
 * each band; shared by the calling thread and the workers. @internal
 */
export function claimUnits(ctrl: Int32Array, fns: readonly WasmFn[]): void {
  for (;;) {
    const v = Atomics.load(ctrl, GEMM_CTRL.claim)
    const next = v & 0xffff
    const total = v >>> 16
    if (next >= total) return
    if (Atomics.compareExchange(ctrl, GEMM_CTRL.claim, v, v + 1) !== v) continue
    // The claim succeeded, so this job stays current until the unit is reported complete: its
    // arguments cannot change under us.
    let h = phaseSlot(0)
    let first = 0
    while (next >= ctrl[h + 1]!) {
      first = ctrl[h + 1]!
      h += PHASE_INTS
    }
    if (ctrl[h + 4] === 1 && first > 0) awaitCompleted(ctrl, first)
    const chunk = ctrl[h + 3]!
    const c0 = (next - first) * chunk
    const len = Math.min(chunk, ctrl[h + 2]! - c0)
    for (let i = 0, g = h + PHASE_HEAD; i < MAX_ARGS; i++, g += 3)
      argv[i] = ctrl[g]! + c0 * ctrl[g + 1]! + len * ctrl[g + 2]!
    try {
      callBand(fns, ctrl[h]!)
    } catch {
      Atomics.store(ctrl, GEMM_CTRL.failed, 1)
    }
    const done = Atomics.add(ctrl, GEMM_CTRL.completed, 1) + 1
    // Threads wait for the whole job, or at a barrier for the phases before theirs (units of
    // phases without a barrier between them complete in any order: any phase end counts).
    for (let e = phaseSlot(0) + 1; ; e += PHASE_INTS) {
      if (done === ctrl[e]) {
        Atomics.notify(ctrl, GEMM_CTRL.completed)
        break
      }
      if (ctrl[e]! >= total) break
    }
  }
}

/** The arguments of the band being run (one thread runs one band at a time). */
const argv = new Int32Array(MAX_ARGS)

/**
 * Calls kernel `fn` with its own number of arguments from argv: one call site per kernel, so each
 * stays monomorphic with a matching arity (the engine's fast call into WebAssembly).
 */
function callBand(fns: readonly WasmFn[], fn: number): void {
  const a = argv
  switch (fn) {
    case 0:
      fns[0]!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!)
      return
    case 1:
      fns[1]!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)
      return
    case 2:
      fns[2]!(a[0]!, a[1]!, a[2]!, a[3]!)
      return
    default:
      fns[3]!(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!)
  }
}

/** Threads that share a job now (1: the calling thread alone). @internal */
export function jobThreads(): number {
  const p = pool
  return p === null ? 1 : Math.min(p.workers.length, threads - 1) + 1
}

/**
 * Runs the phases in order, every band of each, shared between the calling thread and the
 * workers; only while jobThreads() > 1 (callers run the kernels themselves otherwise). @internal
 */
export function runJob(phases: readonly Phase[]): void {
  const p = pool
  if (p === null || jobThreads() <= 1) throw new WorkerPoolError('No worker threads to share the job with.')
  if (phases.length > MAX_PHASES) throw new WorkerPoolError(`A job has at most ${MAX_PHASES} phases.`)
  const ctrl = p.ctrl
  let units = 0
  phases.forEach((ph, i) => {
    const h = phaseSlot(i)
    units += Math.ceil(ph.extent / ph.chunk)
    ctrl[h] = BAND_FNS.indexOf(ph.fn)
    ctrl[h + 1] = units
    ctrl[h + 2] = ph.extent
    ctrl[h + 3] = ph.chunk
    ctrl[h + 4] = ph.barrier ? 1 : 0
    for (let j = 0; j < MAX_ARGS; j++) {
      const x = ph.args[j] ?? 0
      const g = h + PHASE_HEAD + 3 * j
      ctrl[g] = typeof x === 'number' ? x : x[0]
      ctrl[g + 1] = typeof x === 'number' ? 0 : x[1]
      ctrl[g + 2] = typeof x === 'number' ? 0 : x[2]
    }
  })
  // The claim word counts units in 16 bits (a 1 GiB memory holds far fewer bands).
  if (units > 0xffff) throw new WorkerPoolError(`A job has at most ${0xffff} bands.`)
  Atomics.store(ctrl, GEMM_CTRL.completed, 0)
  // Publishing the claim word makes the arguments above visible (sequentially consistent store).
  Atomics.store(ctrl, GEMM_CTRL.claim, units << 16)
  Atomics.add(ctrl, GEMM_CTRL.generation, 1)
  Atomics.notify(ctrl, GEMM_CTRL.generation)
  claimUnits(ctrl, p.fns)
  // What is left is at most one unit per worker, tens of microseconds: spin for it before
  // sleeping, since a futex wake-up costs about as much as the unit itself.
  awaitCompleted(ctrl, units)
  if (Atomics.load(ctrl, GEMM_CTRL.failed) !== 0) {
    throw new WorkerPoolError('A matrix-product worker thread failed. Retry with threads: 1.')
  }
}

/**
 * The phase running the matrix kernel over rows [0, m4) of C (or, for a short wide C, over its
 * columns), in about eight bands per thread: the last band in flight is all the caller may wait
 * for. `parallel`: whether the product is large enough to share. @internal
 */
export function gemmPhase(...args: Parameters<KernelFn>): { phase: Phase; parallel: boolean } {
  const [aPtr, lda, bPtr, cPtr, ldc, m4, n8, k, aStep, mode, biasPtr] = args
  const threadCount = jobThreads()
  const parallel = threadCount > 1 && Math.max(m4, n8) >= 16 && m4 * n8 * k >= MIN_PARALLEL_MACS
  // A short, wide C (the first layer's weight gradient: 44 x 256) is cut into bands of columns
  // (B's panels of 8 columns are k x 8 floats each), anything else into bands of rows.
  const byColumns = m4 < n8
  const extent = byColumns ? n8 : m4
  const step = byColumns ? 8 : 4
  return {
    parallel,
    phase: {
      fn: 'gemm',
      extent,
      chunk: Math.max(8, Math.ceil(extent / (CHUNKS_PER_THREAD * threadCount) / step) * step),
      barrier: true,
      args: byColumns
        ? [
            aPtr,
            lda,
            [bPtr, k * 4, 0],
            [cPtr, 4, 0],
            ldc,
            m4,
            [0, 0, 1],
            k,
            aStep,
            mode,
            biasPtr === 0 ? 0 : [biasPtr, 4, 0],
          ]
        : [[aPtr, lda, 0], lda, bPtr, [cPtr, ldc, 0], ldc, [0, 0, 1], n8, k, aStep, mode, biasPtr],
    },
  }
}

/** Float and integer views of a shared memory, remade when the memory has grown. @internal */
export class HeapViews {
  f32: Float32Array
  i32: Int32Array

  constructor(private readonly memory: WebAssembly.Memory) {
    this.f32 = new Float32Array(memory.buffer)
    this.i32 = new Int32Array(memory.buffer)
  }

  /** Views covering byte `end` (the memory grows, never shrinks). */
  covering(end: number): this {
    if (end > this.f32.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer)
      this.i32 = new Int32Array(this.memory.buffer)
    }
    return this
  }
}

/**
 * Copies one piece of the row gather described in `ctrl`, if one remains: rows idx[r] of z
 * (width floats each) to rows r of dst. Shared by the calling thread and the workers; returns
 * false when no piece was left. @internal
 */
export function claimGatherPiece(ctrl: Int32Array, heap: HeapViews): boolean {
  const a = GEMM_CTRL.gatherArgs
  for (;;) {
    const v = Atomics.load(ctrl, GEMM_CTRL.gatherClaim)
    const next = v & 0xffff
    if (next >= v >>> 16) return false
    if (Atomics.compareExchange(ctrl, GEMM_CTRL.gatherClaim, v, v + 1) !== v) continue
    const zPtr = ctrl[a]!
    const idxPtr = ctrl[a + 1]!
    const width = ctrl[a + 2]!
    const dstPtr = ctrl[a + 3]!
    const rows = ctrl[a + 4]!
    const zEnd = ctrl[a + 5]!
    const r0 = next * GATHER_PIECE_ROWS
    const r1 = Math.min(rows, r0 + GATHER_PIECE_ROWS)
    const { f32, i32 } = heap.covering(Math.max(zEnd, dstPtr + rows * width * 4, idxPtr + rows * 4))
    const z0 = zPtr >>> 2
    const idx0 = idxPtr >>> 2
    for (let r = r0, dst = (dstPtr >>> 2) + r0 * width; r < r1; r++, dst += width) {
      // A plain loop: copyWithin per row costs more for rows this short.
      for (let j = 0, src = z0 + i32[idx0 + r]! * width; j < width; j++) f32[dst + j] = f32[src + j]!
    }
    if (Atomics.add(ctrl, GEMM_CTRL.gatherDone, 1) + 1 === v >>> 16)
      Atomics.notify(ctrl, GEMM_CTRL.gatherDone)
    return true
  }
}

/**
 * Starts copying rows idx[start..start + rows) of z (`width` floats each) into dst, for the
 * workers to do while they have no product to compute; finishGather completes it. `idx` holds the
 * row indices as int32 bits. The three arrays must be views of the kernel's memory (`memory`).
 * False (nothing started) without workers: the caller copies the rows itself.
 */
export function startGather(
  memory: WebAssembly.Memory,
  z: Float32Array,
  idx: Float32Array,
  start: number,
  width: number,
  dst: Float32Array,
  rows: number,
): boolean {
  const p = pool
  const pieces = Math.ceil(rows / GATHER_PIECE_ROWS)
  if (p === null || p.memory !== memory || threads <= 1 || p.workers.length === 0) return false
  // The claim word counts pieces in 16 bits.
  if (pieces === 0 || pieces > 0xffff) return false
  finishGather()
  const ctrl = p.ctrl
  const a = GEMM_CTRL.gatherArgs
  ctrl[a] = z.byteOffset
  ctrl[a + 1] = idx.byteOffset + start * 4
  ctrl[a + 2] = width
  ctrl[a + 3] = dst.byteOffset
  ctrl[a + 4] = rows
  ctrl[a + 5] = z.byteOffset + z.byteLength
  Atomics.store(ctrl, GEMM_CTRL.gatherDone, 0)
  // Publishing the claim word makes the arguments above visible; the new generation wakes a worker.
  Atomics.store(ctrl, GEMM_CTRL.gatherClaim, pieces << 16)
  Atomics.add(ctrl, GEMM_CTRL.generation, 1)
  Atomics.notify(ctrl, GEMM_CTRL.generation)
  return true
}

/** Completes the gather that startGather began (the caller copies what no worker took), if any. */
export function finishGather(): void {
  const p = pool
  if (p === null) return
  const ctrl = p.ctrl
  const v = Atomics.load(ctrl, GEMM_CTRL.gatherClaim)
  const pieces = v >>> 16
  if (pieces === 0) return
  while (claimGatherPiece(ctrl, p.heap));
  // At most one piece per worker is in flight, tens of microseconds: spin, then sleep.
  awaitCount(ctrl, GEMM_CTRL.gatherDone, pieces, false)
  Atomics.store(ctrl, GEMM_CTRL.gatherClaim, 0)
}
