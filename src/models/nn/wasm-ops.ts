/**
 * WebAssembly SIMD kernels for the MLP's element-wise work (batch norm, ReLU and their
 * gradients, column sums, packing of product operands), on activations that live in the matrix
 * kernel's shared memory (src/runtime/wasm-arena.ts). In JavaScript these loops cost as much as the matrix
 * products themselves (V8 does not vectorise them); here they run four lanes at a time.
 *
 * Row-wise kernels need a width that is a multiple of 4 floats; callers fall back to the
 * JavaScript loops otherwise. Column statistics are accumulated in float64 (two f64x2 lanes per
 * four floats), as the JavaScript path does, so long batches lose no precision.
 *
 * Source: wasm/ops.wat, compiled by scripts/build-wasm.mjs into wasm/ops.wasm.ts.
 */

import { type Arena, compileWasm } from '../../runtime/index.js'
import { opsWasm } from './wasm/ops.wasm.js'
import { wasmKernel } from './wasm-kernel.js'

type Fn = (...args: number[]) => void

/** The element-wise kernels bound to the matrix kernel's memory. @internal */
export interface NnOps {
  readonly arena: Arena
  readonly relu: Fn
  readonly reluBack: Fn
  readonly affineCols: Fn
  readonly bnApplyTrain: Fn
  readonly bnBackApply: Fn
  readonly bnStats: Fn
  readonly bnBackStats: Fn
  readonly bnApplyTrainRelu: Fn
  readonly bnBackStatsRelu: Fn
  readonly bnBackApplyRelu: Fn
  readonly colSums: Fn
  readonly packB: Fn
  readonly packBt: Fn
  readonly packAt: Fn
  readonly rowDots: Fn
  readonly rowsAxpy: Fn
  readonly adam: Fn
  readonly gelu: Fn
  readonly geluBack: Fn
  readonly dropout: Fn
}

let ops: NnOps | null | undefined

/** The kernels, or null where the SIMD matrix kernel is unavailable (or KEEL_NO_WASM is set). @internal */
export function nnOps(): NnOps | null {
  if (ops !== undefined) return ops
  ops = null
  const kernel = wasmKernel()
  if (kernel === null) return ops
  const module = compileWasm(opsWasm)
  if (module === null) return ops
  try {
    const instance = new WebAssembly.Instance(module, { env: { mem: kernel.memory } })
    const e = instance.exports as Record<string, Fn>
    ops = {
      arena: kernel.arena,
      relu: e.relu!,
      reluBack: e.relu_back!,
      affineCols: e.affine_cols!,
      bnApplyTrain: e.bn_apply_train!,
      bnBackApply: e.bn_back_apply!,
      bnStats: e.bn_stats!,
      bnBackStats: e.bn_back_stats!,
      bnApplyTrainRelu: e.bn_apply_train_relu!,
      bnBackStatsRelu: e.bn_back_stats_relu!,
      bnBackApplyRelu: e.bn_back_apply_relu!,
      colSums: e.col_sums!,
      packB: e.pack_b!,
      packBt: e.pack_bt!,
      packAt: e.pack_at!,
      rowDots: e.row_dots!,
      rowsAxpy: e.rows_axpy!,
      adam: e.adam!,
      gelu: e.gelu!,
      geluBack: e.gelu_back!,
      dropout: e.dropout!,
    }
  } catch {
    // Recoverable by design: the JavaScript loops compute the same quantities.
    ops = null
  }
  return ops
}

/**
 * A float buffer for `rows` x `width` values: in the kernels' memory when they are available
 * (with room for the padded rows a product writes), else an ordinary Float32Array. @internal
 */
export function f32Buffer(rows: number, width: number): Float32Array {
  const o = nnOps()
  if (o === null) return new Float32Array(rows * width)
  return o.arena.alloc(rows * width, Math.ceil(rows / 4) * 4 * width)
}

/** True when every array is a view of the kernels' memory. @internal */
export function resident(o: NnOps, ...arrays: ArrayBufferView[]): boolean {
  for (const a of arrays) if (!o.arena.owns(a)) return false
  return true
}

/**
 * The kernels when they can run on these arrays (all resident; width a multiple of 4, as the
 * kernels step four floats at a time), else null. @internal
 */
export function simdFor(width: number, ...arrays: Float32Array[]): NnOps | null {
  const o = nnOps()
  return o !== null && width % 4 === 0 && resident(o, ...arrays) ? o : null
}
