/**
 * WebAssembly SIMD kernels for the MLP's element-wise work (bias rows, batch norm, ReLU and their
 * gradients, column sums, packing of product operands), on activations that live in the matrix
 * kernel's shared memory (wasm-arena.ts). In JavaScript these loops cost as much as the matrix
 * products themselves (V8 does not vectorise them); here they run four lanes at a time.
 *
 * Row-wise kernels need a width that is a multiple of 4 floats; callers fall back to the
 * JavaScript loops otherwise. Column statistics are accumulated in float64 (two f64x2 lanes per
 * four floats), as the JavaScript path does, so long batches lose no precision.
 */

import { F32, type FunctionDef, I32, moduleBytes, op, simd, V128 } from '../wasm/asm.js'
import type { Arena } from './wasm-arena.js'
import { wasmKernel } from './wasm-gemm.js'

type Part = number | number[]

const get = op.get
const set = op.set

function flat(parts: readonly (Part | readonly Part[])[]): number[] {
  const out: number[] = []
  for (const p of parts) {
    if (typeof p === 'number') out.push(p)
    else for (const q of p) typeof q === 'number' ? out.push(q) : out.push(...q)
  }
  return out
}

/** while (counter != 0) { body; counter-- } */
function countdown(counter: number, body: readonly Part[]): number[] {
  return flat([
    op.block,
    op.loop,
    get(counter),
    op.eqz,
    op.brIf(1),
    ...body,
    get(counter),
    op.i32(1),
    op.sub,
    set(counter),
    op.br(0),
    op.end,
    op.end,
  ])
}

/** for (j = 0; j < limit; j += step) body */
function forStep(j: number, limit: number, step: number, body: readonly Part[]): number[] {
  return flat([
    op.i32(0),
    set(j),
    op.block,
    op.loop,
    get(j),
    get(limit),
    op.geU,
    op.brIf(1),
    ...body,
    get(j),
    op.i32(step),
    op.add,
    set(j),
    op.br(0),
    op.end,
    op.end,
  ])
}

/** local += other */
const addTo = (local: number, other: number): number[] => flat([get(local), get(other), op.add, set(local)])
/** The address base + j. */
const at = (base: number, j: number): number[] => flat([get(base), get(j), op.add])
/** v128 at base + j. */
const vec = (base: number, j: number): number[] => flat([at(base, j), simd.load()])
/** Low / high two lanes of a f32x4 local as f64x2. */
const lo = (v: number): number[] => flat([get(v), simd.f64x2PromoteLow])
const hi = (v: number): number[] => flat([get(v), get(v), simd.highHalf, simd.f64x2PromoteLow])
/** f64 accumulator pair at addr + offset += value. */
const acc = (addr: number, offset: number, value: readonly Part[]): number[] =>
  flat([get(addr), get(addr), simd.load(offset), ...value, simd.f64x2Add, simd.store(offset)])
/** addr = base + 2 j (the float64 accumulators of four floats at j). */
const f64At = (addr: number, base: number, j: number): number[] =>
  flat([get(base), get(j), op.i32(1), op.shl, op.add, set(addr)])

/** A function of `params` i32 parameters (then `f32s` f32 parameters) and the given locals. */
function def(
  name: string,
  params: number,
  i32s: number,
  v128s: number,
  body: number[],
  f32s = 0,
): FunctionDef {
  const locals: [number, number][] = []
  if (i32s > 0) locals.push([i32s, I32])
  if (v128s > 0) locals.push([v128s, V128])
  return {
    name,
    params: [...new Array<number>(params).fill(I32), ...new Array<number>(f32s).fill(F32)],
    locals,
    body,
  }
}

/**
 * Two float64 column sums at j: first[j..j+3] += (lo1, hi1) and second[j..j+3] += (lo2a * lo2b,
 * hi2a * hi2b), each operand pushing one f64x2 (the low and high halves of four floats).
 */
function sumPairs(
  a: number,
  first: number,
  b: number,
  second: number,
  j: number,
  lo1: Part[],
  hi1: Part[],
  lo2: Part[],
  hi2: Part[],
): number[] {
  return flat([
    f64At(a, first, j),
    f64At(b, second, j),
    acc(a, 0, lo1),
    acc(a, 16, hi1),
    acc(b, 0, [...lo2, simd.f64x2Mul]),
    acc(b, 16, [...hi2, simd.f64x2Mul]),
  ])
}

/** The sum of a f32x4 local's lanes, as (l0 + l1) + (l2 + l3). */
const hsum = (v: number): number[] =>
  flat([
    get(v),
    simd.f32x4ExtractLane(0),
    get(v),
    simd.f32x4ExtractLane(1),
    op.f32Add,
    get(v),
    simd.f32x4ExtractLane(2),
    get(v),
    simd.f32x4ExtractLane(3),
    op.f32Add,
    op.f32Add,
  ])

/**
 * exp(x) of the f32x4 local `x` into local `out` for x <= 0 (clamped at -87, where the result is
 * below float precision anyway): Cephes' expf, i.e. x = n ln2 + r with |r| <= ln2 / 2, a
 * degree-6 polynomial for e^r, and 2^n built in the exponent bits. Relative error ~1e-7.
 * Uses locals n and r as scratch.
 */
function expNonPositive(x: number, out: number, n: number, r: number): number[] {
  const c = simd.f32x4Const
  return flat([
    c(-87),
    get(x),
    simd.f32x4Pmax,
    set(r),
    get(r),
    c(Math.LOG2E),
    simd.f32x4Mul,
    simd.f32x4Nearest,
    set(n),
    // r = x - n ln2 (in two parts, so r keeps its low bits).
    get(r),
    get(n),
    c(0.693359375),
    simd.f32x4Mul,
    simd.f32x4Sub,
    get(n),
    c(-2.1219444e-4),
    simd.f32x4Mul,
    simd.f32x4Sub,
    set(r),
    c(1.98756915e-4),
    get(r),
    simd.f32x4Mul,
    c(1.3981999507e-3),
    simd.f32x4Add,
    get(r),
    simd.f32x4Mul,
    c(8.3334519073e-3),
    simd.f32x4Add,
    get(r),
    simd.f32x4Mul,
    c(4.1665795894e-2),
    simd.f32x4Add,
    get(r),
    simd.f32x4Mul,
    c(1.6666665459e-1),
    simd.f32x4Add,
    get(r),
    simd.f32x4Mul,
    c(5.0000001201e-1),
    simd.f32x4Add,
    get(r),
    simd.f32x4Mul,
    get(r),
    simd.f32x4Mul,
    get(r),
    simd.f32x4Add,
    c(1),
    simd.f32x4Add,
    // times 2^n: (n + 127) << 23 as float bits.
    get(n),
    simd.i32x4TruncSatF32x4S,
    simd.i32x4Const(127),
    simd.i32x4Add,
    op.i32(23),
    simd.i32x4Shl,
    simd.f32x4Mul,
    set(out),
  ])
}

/**
 * erf of the f32x4 local `z` into local `out` (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7, the
 * formula of the JavaScript path). Uses locals a, t, n, r as scratch.
 */
function erf(z: number, out: number, a: number, t: number, n: number, r: number): number[] {
  const c = simd.f32x4Const
  return flat([
    get(z),
    simd.f32x4Abs,
    set(a),
    c(1),
    c(1),
    c(0.3275911),
    get(a),
    simd.f32x4Mul,
    simd.f32x4Add,
    simd.f32x4Div,
    set(t),
    get(a),
    get(a),
    simd.f32x4Mul,
    c(-1),
    simd.f32x4Mul,
    set(a),
    expNonPositive(a, a, n, r),
    // 1 - poly(t) t e^(-a^2), with the sign of z.
    get(z),
    c(1),
    c(1.061405429),
    get(t),
    simd.f32x4Mul,
    c(-1.453152027),
    simd.f32x4Add,
    get(t),
    simd.f32x4Mul,
    c(1.421413741),
    simd.f32x4Add,
    get(t),
    simd.f32x4Mul,
    c(-0.284496736),
    simd.f32x4Add,
    get(t),
    simd.f32x4Mul,
    c(0.254829592),
    simd.f32x4Add,
    get(t),
    simd.f32x4Mul,
    get(a),
    simd.f32x4Mul,
    simd.f32x4Sub,
    // (z & sign bit) | (y & the rest): y >= 0, so this is y with z's sign.
    simd.i32x4Const(0x80000000 | 0),
    simd.bitselect,
    set(out),
  ])
}

/** v = x[j] and e = erf(v / sqrt 2), the shared start of GELU and its gradient. */
function loadWithErf(
  x: number,
  j: number,
  v: number,
  e: number,
  a: number,
  t: number,
  n: number,
  r: number,
): number[] {
  return flat([
    vec(x, j),
    set(v),
    get(v),
    simd.f32x4Const(Math.SQRT1_2),
    simd.f32x4Mul,
    set(e),
    erf(e, e, a, t, n, r),
  ])
}

/** The kernels; every pointer and width is in bytes. @internal */
export function opsModuleBytes(): Uint8Array<ArrayBuffer> {
  const fns: FunctionDef[] = []
  // fill_rows(dst, src, rows, wb): every row of dst = src.
  {
    const [dst, src, rows, wb, j] = [0, 1, 2, 3, 4]
    fns.push(
      def(
        'fill_rows',
        4,
        1,
        0,
        countdown(rows, [forStep(j, wb, 16, [at(dst, j), vec(src, j), simd.store()]), addTo(dst, wb)]),
      ),
    )
  }
  // relu(x, out, nb): out = x > 0 ? x : 0.
  {
    const [x, out, nb, j] = [0, 1, 2, 3]
    fns.push(
      def(
        'relu',
        3,
        1,
        0,
        forStep(j, nb, 16, [at(out, j), simd.zero, vec(x, j), simd.f32x4Pmax, simd.store()]),
      ),
    )
  }
  // relu_back(g, x, gi, nb): gi = x > 0 ? g : 0.
  {
    const [g, x, gi, nb, j] = [0, 1, 2, 3, 4]
    fns.push(
      def(
        'relu_back',
        4,
        1,
        0,
        forStep(j, nb, 16, [
          at(gi, j),
          vec(g, j),
          vec(x, j),
          simd.zero,
          simd.f32x4Gt,
          simd.and,
          simd.store(),
        ]),
      ),
    )
  }
  // affine_cols(x, out, rows, wb, scale, shift): out = x * scale + shift per column.
  {
    const [x, out, rows, wb, scale, shift, j] = [0, 1, 2, 3, 4, 5, 6]
    const body = [
      at(out, j),
      vec(x, j),
      vec(scale, j),
      simd.f32x4Mul,
      vec(shift, j),
      simd.f32x4Add,
      simd.store(),
    ]
    fns.push(
      def('affine_cols', 6, 1, 0, countdown(rows, [forStep(j, wb, 16, body), addTo(x, wb), addTo(out, wb)])),
    )
  }
  // bn_apply_train(x, xhat, out, rows, wb, hs, hsh, gamma, beta): xhat = x hs + hsh; out = xhat gamma + beta.
  {
    const [x, xhat, out, rows, wb, hs, hsh, gamma, beta, j, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    const body = [
      vec(x, j),
      vec(hs, j),
      simd.f32x4Mul,
      vec(hsh, j),
      simd.f32x4Add,
      set(h),
      at(xhat, j),
      get(h),
      simd.store(),
      at(out, j),
      get(h),
      vec(gamma, j),
      simd.f32x4Mul,
      vec(beta, j),
      simd.f32x4Add,
      simd.store(),
    ]
    fns.push(
      def(
        'bn_apply_train',
        9,
        1,
        1,
        countdown(rows, [forStep(j, wb, 16, body), addTo(x, wb), addTo(xhat, wb), addTo(out, wb)]),
      ),
    )
  }
  // bn_back_apply(g, xhat, gi, rows, wb, c1, c2, c3): gi = c1 g + c2 xhat + c3.
  {
    const [g, xhat, gi, rows, wb, c1, c2, c3, j] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    const body = [
      at(gi, j),
      vec(c1, j),
      vec(g, j),
      simd.f32x4Mul,
      vec(c2, j),
      vec(xhat, j),
      simd.f32x4Mul,
      simd.f32x4Add,
      vec(c3, j),
      simd.f32x4Add,
      simd.store(),
    ]
    fns.push(
      def(
        'bn_back_apply',
        8,
        1,
        0,
        countdown(rows, [forStep(j, wb, 16, body), addTo(g, wb), addTo(xhat, wb), addTo(gi, wb)]),
      ),
    )
  }
  // bn_stats(x, rows, wb, s1, s2): s1 += x - x[0], s2 += (x - x[0])^2 per column, in float64.
  {
    const [x, rows, wb, s1, s2, j, x0, a, b, dl, dh] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    const body = [
      vec(x, j),
      vec(x0, j),
      simd.f32x4Sub,
      set(dl),
      hi(dl),
      set(dh),
      lo(dl),
      set(dl),
      sumPairs(a, s1, b, s2, j, [get(dl)], [get(dh)], [get(dl), get(dl)], [get(dh), get(dh)]),
    ]
    fns.push(
      def(
        'bn_stats',
        5,
        4,
        2,
        flat([get(x), set(x0), countdown(rows, [forStep(j, wb, 16, body), addTo(x, wb)])]),
      ),
    )
  }
  // bn_back_stats(g, xhat, rows, wb, gs, gxs): gs += g, gxs += g xhat per column, in float64.
  {
    const [g, xhat, rows, wb, gs, gxs, j, a, b, gl, gh, xv] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    const body = [
      vec(g, j),
      set(gl),
      hi(gl),
      set(gh),
      lo(gl),
      set(gl),
      vec(xhat, j),
      set(xv),
      sumPairs(a, gs, b, gxs, j, [get(gl)], [get(gh)], [get(gl), lo(xv)], [get(gh), hi(xv)]),
    ]
    fns.push(
      def(
        'bn_back_stats',
        6,
        3,
        3,
        countdown(rows, [forStep(j, wb, 16, body), addTo(g, wb), addTo(xhat, wb)]),
      ),
    )
  }
  // col_sums(g, rows, wb, out): out += g per column, in float64.
  {
    const [g, rows, wb, out, j, a, gv] = [0, 1, 2, 3, 4, 5, 6]
    const body = [vec(g, j), set(gv), f64At(a, out, j), acc(a, 0, [lo(gv)]), acc(a, 16, [hi(gv)])]
    fns.push(def('col_sums', 4, 2, 1, countdown(rows, [forStep(j, wb, 16, body), addTo(g, wb)])))
  }
  // pack_b(src, ldb, dst, k, nb): panels of 8 columns (k x 8 floats) from a row-major k x n
  // matrix with row stride ldb bytes; nb = n * 4 bytes, n a multiple of 8.
  {
    const [src, ldb, dst, k, nb, jb, q, p] = [0, 1, 2, 3, 4, 5, 6, 7]
    const inner = [
      get(dst),
      get(q),
      simd.load(0),
      simd.store(0),
      get(dst),
      get(q),
      simd.load(16),
      simd.store(16),
      get(dst),
      op.i32(32),
      op.add,
      set(dst),
      addTo(q, ldb),
    ]
    fns.push(
      def('pack_b', 5, 3, 0, forStep(jb, nb, 32, [at(src, jb), set(q), get(k), set(p), countdown(p, inner)])),
    )
  }
  // pack_bt(src, kb, dst, n): panels of 8 columns of op(B) = B^T, B stored n x k (row stride kb
  // bytes, k a multiple of 4, n of 8): 4 x 4 blocks transposed in registers by lane shuffles.
  {
    const [src, kb, dst, n, jb, p, row, r] = [0, 1, 2, 3, 4, 5, 6, 7] // r..r+7: the 8 rows' vectors
    const [t0, t1, t2, t3] = [r + 8, r + 9, r + 10, r + 11]
    const quarter = (base: number, half: number): Part[] => {
      // Rows base..base+3 -> columns 4 half .. 4 half + 3 of the panel rows p..p+3.
      const [a, b, c, d] = [r + base, r + base + 1, r + base + 2, r + base + 3]
      // t0, t1 = the low and high interleaves of rows a, b; t2, t3 those of rows c, d.
      const out: Part[] = []
      const pairs: [number, number, number, number][] = [
        [a, b, t0, t1],
        [c, d, t2, t3],
      ]
      for (const [x, y, lowT, highT] of pairs) {
        out.push(get(x), get(y), simd.shuffle32([0, 4, 1, 5]), set(lowT))
        out.push(get(x), get(y), simd.shuffle32([2, 6, 3, 7]), set(highT))
      }
      const rowsOut: [number, number, readonly [number, number, number, number]][] = [
        [t0, t2, [0, 1, 4, 5]],
        [t0, t2, [2, 3, 6, 7]],
        [t1, t3, [0, 1, 4, 5]],
        [t1, t3, [2, 3, 6, 7]],
      ]
      rowsOut.forEach(([x, y, lanes], q) => {
        out.push(get(dst), get(x), get(y), simd.shuffle32(lanes), simd.store(q * 32 + half * 16))
      })
      return out
    }
    const loads: Part[] = []
    for (let t = 0; t < 8; t++) {
      // row = src + (jb + t) * kb: the 8 rows of this panel, at column p.
      loads.push(get(row), get(p), op.add, simd.load(), set(r + t))
      if (t < 7) loads.push(addTo(row, kb))
    }
    const inner = [
      get(src),
      get(jb),
      get(kb),
      op.mul,
      op.add,
      set(row),
      ...loads,
      flat(quarter(0, 0)),
      flat(quarter(4, 1)),
      get(dst),
      op.i32(128),
      op.add,
      set(dst),
    ]
    fns.push(def('pack_bt', 4, 3, 12, forStep(jb, n, 8, [forStep(p, kb, 16, inner)])))
  }
  // gelu(x, out, nb): out = x Phi(x) = x (1 + erf(x / sqrt 2)) / 2.
  {
    const [x, out, nb, j, v, e, a, t, n, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    const c = simd.f32x4Const
    const body = [
      loadWithErf(x, j, v, e, a, t, n, r),
      at(out, j),
      get(e),
      c(1),
      simd.f32x4Add,
      get(v),
      simd.f32x4Mul,
      c(0.5),
      simd.f32x4Mul,
      simd.store(),
    ]
    fns.push(def('gelu', 3, 1, 6, forStep(j, nb, 16, body)))
  }
  // gelu_back(g, x, gi, nb): gi = g (Phi(x) + x phi(x)).
  {
    const [g, x, gi, nb, j, v, cdf, pdf, a, t, n, r] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    const c = simd.f32x4Const
    const body = [
      loadWithErf(x, j, v, cdf, a, t, n, r),
      get(v),
      get(v),
      simd.f32x4Mul,
      c(-0.5),
      simd.f32x4Mul,
      set(pdf),
      expNonPositive(pdf, pdf, n, r),
      at(gi, j),
      vec(g, j),
      get(cdf),
      c(1),
      simd.f32x4Add,
      c(0.5),
      simd.f32x4Mul,
      get(v),
      get(pdf),
      simd.f32x4Mul,
      c(1 / Math.sqrt(2 * Math.PI)),
      simd.f32x4Mul,
      simd.f32x4Add,
      simd.f32x4Mul,
      simd.store(),
    ]
    fns.push(def('gelu_back', 4, 1, 7, forStep(j, nb, 16, body)))
  }
  // dropout(x, draws, out, nb, threshold; scale): out = draws >= threshold (unsigned) ? x scale : 0.
  {
    const [x, draws, out, nb, thr, scale, j, tv, sv] = [0, 1, 2, 3, 4, 5, 6, 7, 8]
    const body = [
      at(out, j),
      vec(x, j),
      get(sv),
      simd.f32x4Mul,
      vec(draws, j),
      get(tv),
      simd.i32x4GeU,
      simd.and,
      simd.store(),
    ]
    fns.push(
      def(
        'dropout',
        5,
        1,
        2,
        flat([
          get(thr),
          simd.i32x4Splat,
          set(tv),
          get(scale),
          simd.f32x4Splat,
          set(sv),
          forStep(j, nb, 16, body),
        ]),
        1,
      ),
    )
  }
  // row_dots(x, rows, kb, v, out, outStride): out[i] += x[i, :] . v, out advancing outStride bytes.
  {
    const [x, rows, kb, v, out, outStride, j, a] = [0, 1, 2, 3, 4, 5, 6, 7]
    const body = [
      simd.zero,
      set(a),
      forStep(j, kb, 16, [get(a), vec(x, j), vec(v, j), simd.f32x4Mul, simd.f32x4Add, set(a)]),
      get(out),
      get(out),
      op.f32Load(0),
      hsum(a),
      op.f32Add,
      op.f32Store(0),
      addTo(x, kb),
      addTo(out, outStride),
    ]
    fns.push(def('row_dots', 6, 1, 1, countdown(rows, body)))
  }
  // rows_axpy(x, rows, kb, g, gStride, acc): acc += sum_i g[i] x[i, :], g advancing gStride bytes.
  {
    const [x, rows, kb, g, gStride, accP, j, s] = [0, 1, 2, 3, 4, 5, 6, 7]
    const body = [
      get(g),
      simd.load32Splat(0),
      set(s),
      forStep(j, kb, 16, [
        at(accP, j),
        vec(accP, j),
        vec(x, j),
        get(s),
        simd.f32x4Mul,
        simd.f32x4Add,
        simd.store(),
      ]),
      addTo(x, kb),
      addTo(g, gStride),
    ]
    fns.push(def('rows_axpy', 6, 1, 1, countdown(rows, body)))
  }
  // adam(value, grad, m, v, nb; b1, 1 - b1, b2, 1 - b2, stepSize, 1 / sqrt(c2), eps, l2, shrink).
  {
    const [value, grad, m, v, nb] = [0, 1, 2, 3, 4]
    const F = 5 // the nine f32 parameters
    const j = 14
    const V = 15 // nine splatted constants, then w, g, mi, vi
    const [w, g, mi, vi] = [V + 9, V + 10, V + 11, V + 12]
    const [b1, omb1, b2, omb2, step, invSqrtC2, eps, l2, shrink] = [0, 1, 2, 3, 4, 5, 6, 7, 8].map(
      (i) => V + i,
    ) as [number, number, number, number, number, number, number, number, number]
    const splats: Part[] = []
    for (let i = 0; i < 9; i++) splats.push(get(F + i), simd.f32x4Splat, set(V + i))
    const body = [
      vec(value, j),
      set(w),
      vec(grad, j),
      get(l2),
      get(w),
      simd.f32x4Mul,
      simd.f32x4Add,
      set(g),
      get(b1),
      vec(m, j),
      simd.f32x4Mul,
      get(omb1),
      get(g),
      simd.f32x4Mul,
      simd.f32x4Add,
      set(mi),
      get(b2),
      vec(v, j),
      simd.f32x4Mul,
      get(omb2),
      get(g),
      simd.f32x4Mul,
      get(g),
      simd.f32x4Mul,
      simd.f32x4Add,
      set(vi),
      at(m, j),
      get(mi),
      simd.store(),
      at(v, j),
      get(vi),
      simd.store(),
      at(value, j),
      get(w),
      get(shrink),
      simd.f32x4Mul,
      get(step),
      get(mi),
      simd.f32x4Mul,
      get(vi),
      simd.f32x4Sqrt,
      get(invSqrtC2),
      simd.f32x4Mul,
      get(eps),
      simd.f32x4Add,
      simd.f32x4Div,
      simd.f32x4Sub,
      simd.store(),
    ]
    fns.push(def('adam', 5, 1, 13, flat([...splats, forStep(j, nb, 16, body)]), 9))
  }
  return moduleBytes(fns, true)
}

type Fn = (...args: number[]) => void

/** The element-wise kernels bound to the matrix kernel's memory. @internal */
export interface NnOps {
  readonly arena: Arena
  readonly fillRows: Fn
  readonly relu: Fn
  readonly reluBack: Fn
  readonly affineCols: Fn
  readonly bnApplyTrain: Fn
  readonly bnBackApply: Fn
  readonly bnStats: Fn
  readonly bnBackStats: Fn
  readonly colSums: Fn
  readonly packB: Fn
  readonly packBt: Fn
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
  try {
    const bytes = opsModuleBytes()
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { mem: kernel.memory } })
    const e = instance.exports as Record<string, Fn>
    ops = {
      arena: kernel.arena,
      fillRows: e.fill_rows!,
      relu: e.relu!,
      reluBack: e.relu_back!,
      affineCols: e.affine_cols!,
      bnApplyTrain: e.bn_apply_train!,
      bnBackApply: e.bn_back_apply!,
      bnStats: e.bn_stats!,
      bnBackStats: e.bn_back_stats!,
      colSums: e.col_sums!,
      packB: e.pack_b!,
      packBt: e.pack_bt!,
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
