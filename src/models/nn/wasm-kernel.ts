/**
 * The compiled WebAssembly SIMD matrix kernel (wasm/gemm.wat) and its shared memory. A leaf
 * module: wasm-gemm.ts (the products), gemm-pool.ts (the worker threads) and wasm-ops.ts (the
 * element-wise kernels on the same memory) all import it, and it imports none of them, so the
 * three do not import each other in a circle.
 */

import { Arena, compileWasm, wasmBytes, wasmDisabled } from '../../runtime/index.js'
import { gemmWasm } from './wasm/gemm.wasm.js'

/**
 * The module's bytes: imports env.mem (shared, so worker threads can run the kernel on the same
 * memory), exports `gemm`. @internal
 */
export function gemmModuleBytes(): Uint8Array<ArrayBuffer> {
  return wasmBytes(gemmWasm)
}

/**
 * The kernel's signature (byte addresses and strides). `mode`: 0 C += A B, 1 C = A B, 2 C = A B +
 * the row vector at `biasPtr`. @internal
 */
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
  mode: number,
  biasPtr: number,
) => void

/** The compiled kernel bound to its shared memory. @internal */
export interface WasmKernel {
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
  const module = wasmDisabled() ? null : compileWasm(gemmWasm)
  if (module === null) return kernel
  try {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true })
    const instance = new WebAssembly.Instance(module, { env: { mem: memory } })
    const run = instance.exports.gemm as KernelFn
    kernel = { memory, run, arena: new Arena(memory, 0) }
  } catch {
    // Recoverable by design: without SIMD the scalar kernel computes the same products.
    kernel = null
  }
  return kernel
}
