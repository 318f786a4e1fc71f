/**
 * A WebAssembly SIMD (128-bit, f32x4) micro-kernel for the MLP's matrix products, assembled here
 * from opcodes so the package ships no binary blob and needs no toolchain.
 *
 * The kernel computes C[0:m4, 0:n8] += A[0:m4, 0:k] * B[0:k, 0:n8] with B packed into panels of 8
 * columns (k x 8 floats, contiguous). A 4 x 8 block of C lives in eight v128 accumulators while
 * it walks k: per step 2 vector loads of B, 4 scalar loads (splat) of A and 8 multiply-adds of 4
 * lanes (64 flops). Wasm SIMD has no fused multiply-add in its baseline, so every result is the
 * same on every machine. bench/mlp-gemm.ts measured it at several times the scalar JS kernel.
 */

import { emitter, I32, moduleBytes, op, simd, V128 } from '../wasm/asm.js'
import { runRows } from './gemm-pool.js'
import { Arena } from './wasm-arena.js'
import { nnOps } from './wasm-ops.js'

// Parameters: aPtr, lda (bytes from row i to i+1), bPtr, cPtr, ldc (bytes), m4, n8, k, aStep
// (bytes from A[i, p] to A[i, p+1]: 4 for A itself, 4 * rows for A stored transposed).
const A_PTR = 0
const LDA = 1
const B_PTR = 2
const C_PTR = 3
const LDC = 4
const M4 = 5
const N8 = 6
const K = 7
const A_STEP = 8
// i32 locals.
const I = 9
const JB = 10
const P = 11
const T0 = 12 // T0..T3: pointers into the four A rows, advancing with p
const Q = 16
const CP = 17
// v128 locals.
const ACC = 18 // ACC..ACC+7: row r, half h at ACC + 2r + h
const B0 = 26
const B1 = 27
const X = 28

function kernelBody(): number[] {
  const { code: c, emit } = emitter()
  emit(op.i32(0), op.set(I))
  emit(op.block, op.loop)
  emit(op.get(I), op.get(M4), op.geU, op.brIf(1))
  emit(op.i32(0), op.set(JB))
  emit(op.block, op.loop)
  emit(op.get(JB), op.get(N8), op.geU, op.brIf(1))
  for (let r = 0; r < 8; r++) emit(simd.zero, op.set(ACC + r))
  // T0 = aPtr + i * lda; T(r) = T(r-1) + lda.
  emit(op.get(A_PTR), op.get(I), op.get(LDA), op.mul, op.add, op.set(T0))
  for (let r = 1; r < 4; r++) emit(op.get(T0 + r - 1), op.get(LDA), op.add, op.set(T0 + r))
  // Q = bPtr + jb * k * 4 (panel jb/8 holds 8 * k floats).
  emit(op.get(B_PTR), op.get(JB), op.get(K), op.mul, op.i32(4), op.mul, op.add, op.set(Q))
  emit(op.get(K), op.set(P))
  emit(op.block, op.loop)
  emit(op.get(P), op.eqz, op.brIf(1))
  emit(op.get(Q), simd.load(0), op.set(B0))
  emit(op.get(Q), simd.load(16), op.set(B1))
  for (let r = 0; r < 4; r++) {
    emit(op.get(T0 + r), simd.load32Splat(0), op.set(X))
    emit(op.get(ACC + 2 * r), op.get(X), op.get(B0), simd.f32x4Mul, simd.f32x4Add, op.set(ACC + 2 * r))
    emit(
      op.get(ACC + 2 * r + 1),
      op.get(X),
      op.get(B1),
      simd.f32x4Mul,
      simd.f32x4Add,
      op.set(ACC + 2 * r + 1),
    )
  }
  emit(op.get(Q), op.i32(32), op.add, op.set(Q))
  for (let r = 0; r < 4; r++) emit(op.get(T0 + r), op.get(A_STEP), op.add, op.set(T0 + r))
  emit(op.get(P), op.i32(1), op.sub, op.set(P))
  emit(op.br(0), op.end, op.end)
  // C block += accumulators: CP = cPtr + i * ldc + jb * 4, then one row per ldc.
  emit(
    op.get(C_PTR),
    op.get(I),
    op.get(LDC),
    op.mul,
    op.add,
    op.get(JB),
    op.i32(4),
    op.mul,
    op.add,
    op.set(CP),
  )
  for (let r = 0; r < 4; r++) {
    for (let h = 0; h < 2; h++) {
      emit(
        op.get(CP),
        op.get(CP),
        simd.load(16 * h),
        op.get(ACC + 2 * r + h),
        simd.f32x4Add,
        simd.store(16 * h),
      )
    }
    if (r < 3) emit(op.get(CP), op.get(LDC), op.add, op.set(CP))
  }
  emit(op.get(JB), op.i32(8), op.add, op.set(JB))
  emit(op.br(0), op.end, op.end)
  emit(op.get(I), op.i32(4), op.add, op.set(I))
  emit(op.br(0), op.end, op.end)
  return c
}

/**
 * The module's bytes: imports env.mem (shared, so worker threads can run the kernel on the same
 * memory), exports `gemm`. @internal
 */
export function gemmModuleBytes(): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    [
      {
        name: 'gemm',
        params: new Array<number>(9).fill(I32),
        locals: [
          [9, I32],
          [11, V128],
        ],
        body: kernelBody(),
      },
    ],
    true,
  )
}

/** The kernel's signature (byte addresses and strides). @internal */
export type KernelFn = (
  aPtr: number,
  lda: number,
  bPtr: number,
  cPtr: number,
  ldc: number,
  m4: number,
  n8: number,
  k: number,
  aStep: number,
) => void

interface WasmKernel {
  readonly memory: WebAssembly.Memory
  readonly run: KernelFn
  /** Allocator for buffers that live in `memory` (activations, weights, scratch). */
  readonly arena: Arena
}

/** Pages (64 KiB) the shared memory may grow to: 1 GiB, far above any batch's operands. */
const MAX_PAGES = 16_384

let kernel: WasmKernel | null | undefined

/** The compiled kernel, or null where WebAssembly SIMD is unavailable (or KEEL_NO_WASM is set). @internal */
export function wasmKernel(): WasmKernel | null {
  if (kernel !== undefined) return kernel
  kernel = null
  if (process.env.KEEL_NO_WASM === '1' || typeof WebAssembly === 'undefined') return kernel
  try {
    const bytes = gemmModuleBytes()
    if (!WebAssembly.validate(bytes)) return kernel
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true })
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: memory } })
    const run = instance.exports.gemm as KernelFn
    kernel = { memory, run, arena: new Arena(memory, 0) }
  } catch {
    // Recoverable by design: without SIMD the scalar kernel computes the same products.
    kernel = null
  }
  return kernel
}

/** Operands that are not resident are staged here; grow-only, reused by every product. */
let scratch: Float32Array | undefined

/**
 * C (m x n) += op(A) (m x k) * op(B) (k x n) in wasm memory, where op(A) = A, or the transpose
 * of `a` stored (k x m) when `transA`; op(B) = B, or the transpose of `b` stored (n x k) when
 * `transB`. Reading the transposes in place saves the explicit transposes of the backward pass.
 * Rows are padded to a multiple of 4 and columns to a multiple of 8; padded rows of C may hold
 * garbage and are never read. When `accumulate` is false C is overwritten.
 *
 * A and C are used in place when they are arena buffers with room for the padding (C also needs
 * n to be a multiple of 8); other operands are copied into scratch space. B is always packed into
 * panels, by a SIMD kernel when it is resident and n is a multiple of 8. @internal
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
): void {
  if (m === 0 || n === 0) return
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
  const need = aLen + bLen + cLen
  if (scratch === undefined || scratch.length < need) {
    scratch = undefined
    scratch = arena.alloc(Math.max(need, 1 << 16))
  }
  const s = scratch
  const sp = s.byteOffset
  const aOff = 0
  const bOff = aLen
  const cOff = aLen + bLen
  if (!aInPlace) {
    s.set(a.subarray(0, m * kk), aOff)
    if (!transA && mp > m) s.fill(0, aOff + m * kk, aOff + aLen)
  }
  const ops = nnOps()
  if (ops !== null && np === n && arena.owns(b) && (!transB || kk % 4 === 0)) {
    if (transB) ops.packBt(b.byteOffset, kk * 4, sp + bOff * 4, n)
    else ops.packB(b.byteOffset, n * 4, sp + bOff * 4, kk, n * 4)
  } else packB(s, bOff, b, n, np, kk, transB)
  let cPtr: number
  let ldc: number
  if (cInPlace) {
    cPtr = c.byteOffset
    ldc = n * 4
    if (!accumulate) new Float32Array(c.buffer, c.byteOffset, mp * n).fill(0)
  } else {
    cPtr = sp + cOff * 4
    ldc = np * 4
    if (!accumulate) s.fill(0, cOff, cOff + cLen)
    else if (np === n) s.set(c.subarray(0, m * n), cOff)
    else for (let i = 0; i < m; i++) s.set(c.subarray(i * n, (i + 1) * n), cOff + i * np)
  }
  const aPtr = aInPlace ? a.byteOffset : sp + aOff * 4
  const lda = transA ? 4 : kk * 4
  const aStep = transA ? m * 4 : 4
  runRows(k.run, aPtr, lda, bOff * 4 + sp, cPtr, ldc, mp, np, kk, aStep)
  if (cInPlace) return
  if (np === n) c.set(s.subarray(cOff, cOff + m * n), 0)
  else for (let i = 0; i < m; i++) c.set(s.subarray(cOff + i * np, cOff + i * np + n), i * n)
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
