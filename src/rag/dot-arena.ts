import { compileWasm, wasmDisabled } from '../runtime/index.js'
import { dotsWasm } from './wasm/dots.wasm.js'

/** Layout of a kernel memory: query, id list and results scratch, then the matrix. */
const Q_PTR = 0
const IDS_PTR = 16_384
const OUT_PTR = 20_480
const BASE = 65_536
/** Rows scored by one kernel call (the id and result scratch hold 4 KiB each). */
export const DOT_BATCH = 1024
const PAGE = 65_536

type DotsFn = (base: number, rowBytes: number, q: number, ids: number, n: number, out: number) => void

let dotsModule: WebAssembly.Module | null | undefined

/**
 * A row-major float32 matrix that scores rows against a query in batches: `ids[0..n)` in,
 * `out[0..n)` = <row ids[i], query> back. Backed by the WebAssembly SIMD kernel (wasm/dots.wat)
 * with the matrix in its memory, or by JavaScript loops (same results up to float rounding) where
 * WebAssembly is unavailable, KEEL_NO_WASM=1, the width is not a multiple of 4 floats, or the
 * matrix outgrows WebAssembly's 4 GiB. The views returned by `rows`, `query`, `ids` and `out` are
 * invalidated by `reserve`.
 */
export class DotArena {
  private memory: WebAssembly.Memory | undefined
  private dots: DotsFn | undefined
  private matrix: Float32Array
  private q: Float32Array
  private idBuf: Int32Array
  private outBuf: Float32Array
  private rowCapacity: number

  constructor(
    readonly dims: number,
    rows: number,
  ) {
    this.rowCapacity = Math.max(16, rows)
    if (dims % 4 === 0 && dims * 4 <= IDS_PTR && !wasmDisabled()) {
      dotsModule ??= compileWasm(dotsWasm)
      if (dotsModule !== null) {
        try {
          const pages = Math.ceil((BASE + this.rowCapacity * dims * 4) / PAGE)
          const memory = new WebAssembly.Memory({ initial: pages, maximum: 65_536 })
          const instance = new WebAssembly.Instance(dotsModule, { env: { mem: memory } })
          this.memory = memory
          this.dots = instance.exports.dots as DotsFn
        } catch {
          // Recoverable by design (memory limits, a runtime without SIMD): the JavaScript loops answer.
          this.memory = undefined
        }
      }
    }
    if (this.memory !== undefined) {
      const buffer = this.memory.buffer
      this.matrix = new Float32Array(buffer, BASE, this.rowCapacity * dims)
      this.q = new Float32Array(buffer, Q_PTR, dims)
      this.idBuf = new Int32Array(buffer, IDS_PTR, DOT_BATCH)
      this.outBuf = new Float32Array(buffer, OUT_PTR, DOT_BATCH)
    } else {
      this.matrix = new Float32Array(this.rowCapacity * dims)
      this.q = new Float32Array(dims)
      this.idBuf = new Int32Array(DOT_BATCH)
      this.outBuf = new Float32Array(DOT_BATCH)
    }
  }

  /** Whether the SIMD kernel does the work. */
  get simd(): boolean {
    return this.dots !== undefined
  }

  get capacity(): number {
    return this.rowCapacity
  }

  /** The matrix (capacity × dims). */
  get rows(): Float32Array {
    return this.matrix
  }

  /** The query scratch (dims). */
  get query(): Float32Array {
    return this.q
  }

  /** The row-id scratch (DOT_BATCH). */
  get ids(): Int32Array {
    return this.idBuf
  }

  /** The result scratch (DOT_BATCH). */
  get out(): Float32Array {
    return this.outBuf
  }

  /** Grows the matrix to hold at least `rows` rows, keeping its contents. */
  reserve(rows: number): void {
    if (rows <= this.rowCapacity) return
    let capacity = this.rowCapacity
    while (capacity < rows) capacity *= 2
    const d = this.dims
    if (this.memory !== undefined) {
      try {
        const needed = Math.ceil((BASE + capacity * d * 4) / PAGE) - this.memory.buffer.byteLength / PAGE
        if (needed > 0) this.memory.grow(needed)
        const buffer = this.memory.buffer
        this.matrix = new Float32Array(buffer, BASE, capacity * d)
        this.q = new Float32Array(buffer, Q_PTR, d)
        this.idBuf = new Int32Array(buffer, IDS_PTR, DOT_BATCH)
        this.outBuf = new Float32Array(buffer, OUT_PTR, DOT_BATCH)
        this.rowCapacity = capacity
        return
      } catch {
        // Past WebAssembly's 4 GiB: continue in ordinary arrays with the JavaScript loops.
        const old = new Float32Array(this.memory.buffer, BASE, this.rowCapacity * d)
        this.matrix = new Float32Array(capacity * d)
        this.matrix.set(old)
        this.memory = undefined
        this.dots = undefined
        this.q = new Float32Array(d)
        this.idBuf = new Int32Array(DOT_BATCH)
        this.outBuf = new Float32Array(DOT_BATCH)
        this.rowCapacity = capacity
        return
      }
    }
    const matrix = new Float32Array(capacity * d)
    matrix.set(this.matrix)
    this.matrix = matrix
    this.rowCapacity = capacity
  }

  /** Writes `query / |query|` into the query scratch. */
  setQuery(query: Float32Array): void {
    let norm = 0
    for (let i = 0; i < query.length; i++) norm += (query[i] as number) ** 2
    norm = Math.sqrt(norm) || 1
    for (let i = 0; i < query.length; i++) this.q[i] = (query[i] as number) / norm
  }

  /** out[i] = <row ids[i], x> for i < count; x is the query scratch, or stored row `row` when ≥ 0. */
  score(count: number, row = -1): void {
    if (count === 0) return
    const d = this.dims
    if (this.dots !== undefined) {
      this.dots(BASE, d * 4, row < 0 ? Q_PTR : BASE + row * d * 4, IDS_PTR, count, OUT_PTR)
      return
    }
    const v = this.matrix
    const x = row < 0 ? this.q : v
    const xo = row < 0 ? 0 : row * d
    const ids = this.idBuf
    const out = this.outBuf
    for (let b = 0; b < count; b++) {
      let o = (ids[b] as number) * d
      let p = xo
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let i = 0
      // Four accumulators: V8 does not vectorise, but independent chains pipeline.
      for (; i + 3 < d; i += 4, o += 4, p += 4) {
        s0 += (v[o] as number) * (x[p] as number)
        s1 += (v[o + 1] as number) * (x[p + 1] as number)
        s2 += (v[o + 2] as number) * (x[p + 2] as number)
        s3 += (v[o + 3] as number) * (x[p + 3] as number)
      }
      for (; i < d; i++, o++, p++) s0 += (v[o] as number) * (x[p] as number)
      out[b] = s0 + s1 + s2 + s3
    }
  }
}
