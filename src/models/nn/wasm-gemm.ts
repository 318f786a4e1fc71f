/**
 * A WebAssembly SIMD (128-bit, f32x4) micro-kernel for the MLP's matrix products. Source:
 * wasm/gemm.wat, compiled by scripts/build-wasm.mjs into wasm/gemm.wasm.ts.
 *
 * The kernel computes C[0:m4, 0:n8] += A[0:m4, 0:k] * B[0:k, 0:n8] with B packed into panels of 8
 * columns (k x 8 floats, contiguous). A 4 x 8 block of C lives in eight v128 accumulators while
 * it walks k: per step 2 vector loads of B, 4 scalar loads (splat) of A and 8 multiply-adds of 4
 * lanes (64 flops). Wasm SIMD has no fused multiply-add in its baseline, so every result is the
 * same on every machine. bench/mlp-gemm.ts measured it at several times the scalar JS kernel.
 */

import { gemmPhase, type Phase, runJob } from './gemm-pool.js'
import type { WasmKernel } from './wasm-kernel.js'
import { type NnOps, nnOps } from './wasm-ops.js'

// The kernel itself lives in wasm-kernel.ts, a leaf that the worker pool and the element-wise ops
// import without importing this file back; re-exported for the existing callers.
export { type KernelFn, wasmKernel } from './wasm-kernel.js'

/** Columns (or rows of a transposed A) per band of a packing phase shared with the workers. */
const PACK_BAND = 32

/** Operands that are not resident are staged here; grow-only, reused by every product. */
let scratch: Float32Array | undefined

/**
 * C (m x n) += op(A) (m x k) * op(B) (k x n) in wasm memory, where op(A) = A, or the transpose
 * of `a` stored (k x m) when `transA`; op(B) = B, or the transpose of `b` stored (n x k) when
 * `transB`. Reading the transposes in place saves the explicit transposes of the backward pass.
 * Rows are padded to a multiple of 4 and columns to a multiple of 8; padded rows of C may hold
 * garbage and are never read. When `accumulate` is false C is overwritten, with `bias` (a row
 * vector of n floats) added to every row when given.
 *
 * A and C are used in place when they are arena buffers with room for the padding (C also needs
 * n to be a multiple of 8); other operands are copied into scratch space. B is always packed into
 * panels, by a SIMD kernel when it is resident and n is a multiple of 8; a transposed A is packed
 * into panels of 4 rows (the weight gradients' products ran about a fifth faster so, packing
 * included, in bench/mlp-gemm.ts). @internal
 */
export function wasmGemm(
  k: WasmKernel,
  m: number,
  n: number,
  kk: number,
  a: Float32Array,
  b: Float32Array,
  c: Float32Array,
  accumulate: boolean,
  transA: boolean,
  transB: boolean,
  bias?: Float32Array,
): void {
  if (m === 0 || n === 0) return
  if (kk === 0) {
    // The kernel walks k at least once; an empty sum leaves C, or makes it zero or bias rows.
    if (accumulate) return
    if (bias === undefined) c.fill(0, 0, m * n)
    else for (let i = 0; i < m; i++) c.set(bias.subarray(0, n), i * n)
    return
  }
  const mp = (m + 3) & ~3
  const np = (n + 7) & ~7
  const arena = k.arena
  const aSpan = arena.span(a)
  const cSpan = arena.span(c)
  // Transposed A's padded rows read up to 3 floats past the end: the block's slack covers them.
  const aInPlace = aSpan !== undefined && aSpan.capacity >= (transA ? kk * m : mp * kk)
  const cInPlace = cSpan !== undefined && np === n && cSpan.capacity >= mp * n
  // A keeps its stored layout; padded rows of a staged A read on into the B region (in bounds).
  const aLen = aInPlace ? 0 : transA ? kk * m + 8 : mp * kk
  const bLen = kk * np
  const cLen = cInPlace ? 0 : mp * np
  const ops = nnOps()
  // A stored transposed is packed into panels of 4 rows (pack_at), so each block of the product
  // reads its rows sequentially instead of one cache line per step of k.
  const packA = transA && ops !== null
  const apLen = packA ? mp * kk : 0
  const need = aLen + bLen + cLen + apLen
  if (scratch === undefined || scratch.length < need) {
    scratch = undefined
    scratch = arena.alloc(Math.max(need, 1 << 16))
  }
  const s = scratch
  const sp = s.byteOffset
  const aOff = 0
  const bOff = aLen
  const cOff = aLen + bLen
  const apOff = aLen + bLen + cLen
  if (!aInPlace) {
    s.set(a.subarray(0, m * kk), aOff)
    if (!transA && mp > m) s.fill(0, aOff + m * kk, aOff + aLen)
  }
  // Kernel packing of B and of a transposed A runs as phases of the product's job (shared with the
  // workers, in bands of PACK_BAND columns or rows) when the product is shared, else here.
  const packs: Phase[] = []
  const bPtr = sp + bOff * 4
  if (ops !== null && np === n && arena.owns(b) && (!transB || kk % 4 === 0)) {
    packs.push(
      transB
        ? {
            fn: 'pack_bt',
            extent: n,
            chunk: PACK_BAND,
            barrier: false,
            args: [[b.byteOffset, kk * 4, 0], kk * 4, [bPtr, kk * 4, 0], [0, 0, 1]],
          }
        : {
            fn: 'pack_b',
            extent: n,
            chunk: PACK_BAND,
            barrier: false,
            args: [[b.byteOffset, 4, 0], n * 4, [bPtr, kk * 4, 0], kk, [0, 0, 4]],
          },
    )
  } else packB(s, bOff, b, n, np, kk, transB)
  // The kernel adds the bias vector itself when it is resident (its padded columns read into the
  // block's slack); otherwise C starts as bias rows and the kernel accumulates onto them.
  const biasInKernel = bias !== undefined && !accumulate && arena.span(bias) !== undefined
  // Mode bit 4: the four rows of a block are adjacent floats (A transposed, in place or packed).
  const mode = (accumulate || bias !== undefined ? (biasInKernel ? 2 : 0) : 1) | (transA ? 4 : 0)
  let cPtr: number
  let ldc: number
  if (cInPlace) {
    cPtr = c.byteOffset
    ldc = n * 4
    if (bias !== undefined && !biasInKernel) for (let i = 0; i < m; i++) c.set(bias.subarray(0, n), i * n)
  } else {
    cPtr = sp + cOff * 4
    ldc = np * 4
    if (accumulate) {
      if (np === n) s.set(c.subarray(0, m * n), cOff)
      else for (let i = 0; i < m; i++) s.set(c.subarray(i * n, (i + 1) * n), cOff + i * np)
    } else if (bias !== undefined && !biasInKernel)
      for (let i = 0; i < m; i++) s.set(bias.subarray(0, n), cOff + i * np)
  }
  let aPtr = aInPlace ? a.byteOffset : sp + aOff * 4
  let lda = transA ? 4 : kk * 4
  let aStep = transA ? m * 4 : 4
  if (packA) {
    packs.push({
      fn: 'pack_at',
      extent: mp,
      chunk: PACK_BAND,
      barrier: false,
      args: [[aPtr, 4, 0], m * 4, [sp + apOff * 4, kk * 4, 0], kk, [0, 0, 1]],
    })
    aPtr = sp + apOff * 4
    lda = kk * 4
    aStep = 16
  }
  const product = gemmPhase(
    aPtr,
    lda,
    bPtr,
    cPtr,
    ldc,
    mp,
    np,
    kk,
    aStep,
    mode,
    biasInKernel ? bias.byteOffset : 0,
  )
  if (product.parallel) {
    // Posted before any packing: a worker that wakes while the caller packs takes bands too.
    runJob([...packs, product.phase])
  } else {
    for (const ph of packs) packInline(ops!, ph)
    k.run(aPtr, lda, bPtr, cPtr, ldc, mp, np, kk, aStep, mode, biasInKernel ? bias.byteOffset : 0)
  }
  if (cInPlace) return
  if (np === n) c.set(s.subarray(cOff, cOff + m * n), 0)
  else for (let i = 0; i < m; i++) c.set(s.subarray(cOff + i * np, cOff + i * np + n), i * n)
}

/** Runs a packing phase here, in one call. */
function packInline(ops: NnOps, ph: Phase): void {
  const a = ph.args.map((x) => (typeof x === 'number' ? x : x[0] + ph.extent * x[2]))
  ;(ph.fn === 'pack_b' ? ops.packB : ph.fn === 'pack_bt' ? ops.packBt : ops.packAt)(...a)
}

/** Packs op(B) into panels of 8 columns: panel jb holds rows p = 0..k-1 of columns jb..jb+7. */
function packB(
  heap: Float32Array,
  bOff: number,
  b: Float32Array,
  n: number,
  np: number,
  kk: number,
  transB: boolean,
): void {
  for (let jb = 0; jb < np; jb += 8) {
    const d0 = bOff + jb * kk
    const width = Math.min(8, n - jb)
    if (transB) {
      // Column j of op(B) is row j of b: copy it down the panel.
      for (let t = 0; t < 8; t++) {
        if (t < width) {
          const src = (jb + t) * kk
          for (let p = 0; p < kk; p++) heap[d0 + p * 8 + t] = b[src + p]!
        } else for (let p = 0; p < kk; p++) heap[d0 + p * 8 + t] = 0
      }
    } else {
      let d = d0
      for (let p = 0; p < kk; p++, d += 8) {
        const s = p * n + jb
        if (width === 8) {
          for (let t = 0; t < 8; t++) heap[d + t] = b[s + t]!
        } else {
          for (let t = 0; t < 8; t++) heap[d + t] = t < width ? b[s + t]! : 0
        }
      }
    }
  }
}
