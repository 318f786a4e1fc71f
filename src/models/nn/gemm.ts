/**
 * Single-precision matrix products for the MLP, on row-major Float32Arrays.
 *
 * The kernel follows the usual register-blocking design (Goto & van de Geijn, "Anatomy of
 * high-performance matrix multiplication", 2008) scaled down to what V8 can keep in registers:
 * B is packed into panels of 4 columns (k x 4, contiguous), and a 4 x 4 block of C is accumulated
 * in 16 local variables while walking k, so each step does 16 multiply-adds for 8 loads. The k
 * dimension is split into blocks of KC so a packed panel (KC x 4 floats = 4 KiB) and the four A
 * rows being read stay in L1. Measured against the plain i-k-j loop in bench/mlp-gemm.ts.
 *
 * The scalar kernel accumulates in doubles (V8 computes Float32Array reads in double precision) and is
 * rounded to float once per KC block, so results are deterministic and slightly more accurate
 * than pure float arithmetic.
 *
 * Non-null assertions on typed-array reads are safe throughout: every index is bounded by the
 * loop limits derived from m, n and k.
 */

import { wasmGemm, wasmKernel } from './wasm-gemm.js'

const KC = 256

/** Scratch space for packed B panels, grown on demand and reused across calls. */
let packed = new Float32Array(KC * 64)

/**
 * C (m x n) = A (m x k) * B (k x n), or C += A * B when `accumulate`. Arrays are row-major and
 * may be longer than needed (only the leading m*k, k*n, m*n entries are used). Runs the
 * WebAssembly SIMD kernel (wasm-gemm.ts) when available, else the scalar blocked kernel. @internal
 */
export function gemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate = false,
): void {
  const wasm = wasmKernel()
  // Below a handful of columns the padding to 8 wastes more than SIMD gains (the output layer).
  if (wasm === null || n < 4) {
    gemmScalar(m, n, k, a, b, c, accumulate)
    return
  }
  if (k === 0) {
    if (!accumulate) c.fill(0, 0, m * n)
    return
  }
  wasmGemm(wasm, m, n, k, a, b, c, accumulate, false, false)
}

/**
 * C (m x n) = A (m x k) * B (k x n) + bias (a row vector of n floats) on every row: the dense
 * layer's forward pass. The SIMD kernel adds the bias as it stores each block of C (no pass that
 * fills C with bias rows first); the results are the same as filling and accumulating. @internal
 */
export function gemmBias(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array,
  c: Float32Array,
): void {
  const wasm = wasmKernel()
  if (wasm === null || n < 4 || k === 0) {
    for (let i = 0; i < m; i++) c.set(bias.subarray(0, n), i * n)
    gemmScalar(m, n, k, a, b, c, true)
    return
  }
  wasmGemm(wasm, m, n, k, a, b, c, false, false, false, bias)
}

let scratch = new Float32Array(0)

function transposed(rows: number, cols: number, a: Float32Array): Float32Array {
  if (scratch.length < rows * cols) scratch = new Float32Array(rows * cols)
  transpose(rows, cols, a, scratch)
  return scratch
}

/**
 * C (m x n) = A^T B where `a` is stored (k x m): the weight gradient x^T dY. The SIMD kernel reads
 * A^T in place; the scalar fallback transposes first. @internal
 */
export function gemmTN(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  const wasm = wasmKernel()
  if (wasm === null || n < 4 || k === 0) gemmScalar(m, n, k, transposed(k, m, a), b, c)
  else wasmGemm(wasm, m, n, k, a, b, c, false, true, false)
}

/**
 * C (m x n) = A B^T where `b` is stored (n x k): the input gradient dY W^T. @internal
 */
export function gemmNT(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  const wasm = wasmKernel()
  if (wasm === null || n < 4 || k === 0) gemmScalar(m, n, k, a, transposed(n, k, b), c)
  else wasmGemm(wasm, m, n, k, a, b, c, false, false, true)
}

/** The scalar kernel (also the fallback without WebAssembly SIMD). @internal */
export function gemmScalar(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate = false,
): void {
  if (!accumulate) c.fill(0, 0, m * n)
  if (m === 0 || n === 0 || k === 0) return
  const n4 = n & ~3
  const m4 = m & ~3
  if (packed.length < KC * n4) packed = new Float32Array(KC * n4)
  const pb = packed
  for (let p0 = 0; p0 < k; p0 += KC) {
    const kc = Math.min(KC, k - p0)
    // Pack B[p0:p0+kc, 0:n4] into panels: pb[(jb * kc + p) * 4 + jj].
    for (let jb = 0; jb < n4; jb += 4) {
      let d = jb * kc
      for (let p = 0; p < kc; p++, d += 4) {
        const s = (p0 + p) * n + jb
        pb[d] = b[s]!
        pb[d + 1] = b[s + 1]!
        pb[d + 2] = b[s + 2]!
        pb[d + 3] = b[s + 3]!
      }
    }
    for (let i = 0; i < m4; i += 4) {
      const a0 = i * k + p0
      const a1 = a0 + k
      const a2 = a1 + k
      const a3 = a2 + k
      for (let jb = 0; jb < n4; jb += 4) {
        let c00 = 0
        let c01 = 0
        let c02 = 0
        let c03 = 0
        let c10 = 0
        let c11 = 0
        let c12 = 0
        let c13 = 0
        let c20 = 0
        let c21 = 0
        let c22 = 0
        let c23 = 0
        let c30 = 0
        let c31 = 0
        let c32 = 0
        let c33 = 0
        let q = jb * kc
        for (let p = 0; p < kc; p++, q += 4) {
          const b0 = pb[q]!
          const b1 = pb[q + 1]!
          const b2 = pb[q + 2]!
          const b3 = pb[q + 3]!
          const x0 = a[a0 + p]!
          const x1 = a[a1 + p]!
          const x2 = a[a2 + p]!
          const x3 = a[a3 + p]!
          c00 += x0 * b0
          c01 += x0 * b1
          c02 += x0 * b2
          c03 += x0 * b3
          c10 += x1 * b0
          c11 += x1 * b1
          c12 += x1 * b2
          c13 += x1 * b3
          c20 += x2 * b0
          c21 += x2 * b1
          c22 += x2 * b2
          c23 += x2 * b3
          c30 += x3 * b0
          c31 += x3 * b1
          c32 += x3 * b2
          c33 += x3 * b3
        }
        let o = i * n + jb
        c[o] = c[o]! + c00
        c[o + 1] = c[o + 1]! + c01
        c[o + 2] = c[o + 2]! + c02
        c[o + 3] = c[o + 3]! + c03
        o += n
        c[o] = c[o]! + c10
        c[o + 1] = c[o + 1]! + c11
        c[o + 2] = c[o + 2]! + c12
        c[o + 3] = c[o + 3]! + c13
        o += n
        c[o] = c[o]! + c20
        c[o + 1] = c[o + 1]! + c21
        c[o + 2] = c[o + 2]! + c22
        c[o + 3] = c[o + 3]! + c23
        o += n
        c[o] = c[o]! + c30
        c[o + 1] = c[o + 1]! + c31
        c[o + 2] = c[o + 2]! + c32
        c[o + 3] = c[o + 3]! + c33
      }
    }
    // Edges: leftover rows (all columns) and leftover columns (block rows), plain dot products.
    for (let i = 0; i < m; i++) {
      const j0 = i < m4 ? n4 : 0
      for (let j = j0; j < n; j++) {
        let s = 0
        const ai = i * k + p0
        for (let p = 0; p < kc; p++) s += a[ai + p]! * b[(p0 + p) * n + j]!
        const o = i * n + j
        c[o] = c[o]! + s
      }
    }
  }
}

/** out (cols x rows) = transpose of a (rows x cols). @internal */
export function transpose(rows: number, cols: number, a: Float32Array, out: Float32Array): void {
  // Tiles of 16 x 16 keep both the reads and the writes within a few cache lines.
  const T = 16
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(rows, i0 + T)
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(cols, j0 + T)
      for (let i = i0; i < i1; i++) {
        const ai = i * cols
        for (let j = j0; j < j1; j++) out[j * rows + i] = a[ai + j]!
      }
    }
  }
}

/** Reference product by the textbook triple loop (tests and benchmarks only). @internal */
export function gemmNaive(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
): void {
  c.fill(0, 0, m * n)
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = a[i * k + p]!
      const bp = p * n
      const ci = i * n
      for (let j = 0; j < n; j++) c[ci + j] = c[ci + j]! + av * b[bp + j]!
    }
  }
}
