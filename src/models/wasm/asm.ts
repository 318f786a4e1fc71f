/**
 * A tiny WebAssembly assembler: LEB128 encoders, the opcodes our kernels use, and module framing.
 * Kernels are assembled from opcodes at run time so the package ships no binary blob and needs no
 * toolchain. @internal
 */

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n & 0x7f
    n >>>= 7
    if (n !== 0) byte |= 0x80
    out.push(byte)
  } while (n !== 0)
  return out
}

/** Signed LEB128 for small constants. */
export function sleb(n: number): number[] {
  const out: number[] = []
  for (;;) {
    const byte = n & 0x7f
    n >>= 7
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte)
      return out
    }
    out.push(byte | 0x80)
  }
}

/** Value types. */
export const I32 = 0x7f
export const F64 = 0x7c
export const F32 = 0x7d
export const V128 = 0x7b

/** One module section: id, byte length, payload. */
export function section(id: number, payload: number[]): number[] {
  return [id, ...uleb(payload.length), ...payload]
}

/** A length-prefixed UTF-8 name. */
export function str(s: string): number[] {
  const bytes = [...Buffer.from(s, 'utf8')]
  return [...uleb(bytes.length), ...bytes]
}

/** Appends opcodes and operand arrays to a function body. */
export function emitter(): { code: number[]; emit: (...parts: (number | number[])[]) => void } {
  const code: number[] = []
  return {
    code,
    emit(...parts) {
      for (const part of parts) {
        if (Array.isArray(part)) code.push(...part)
        else code.push(part)
      }
    },
  }
}

/** One exported function of a module. */
export interface FunctionDef {
  readonly name: string
  readonly params: readonly number[]
  /** Local declarations after the params: [count, type] groups. */
  readonly locals: readonly (readonly [number, number])[]
  readonly body: readonly number[]
  /** Result types (none by default). */
  readonly results?: readonly number[]
}

/**
 * Module bytes that import memory env.mem and export `functions`. A shared memory
 * import (for worker threads) declares limits 1..65536 pages.
 */
export function moduleBytes(
  functions: readonly FunctionDef[],
  sharedMemory: boolean,
): Uint8Array<ArrayBuffer> {
  const types = functions.flatMap((f) => {
    const results = f.results ?? []
    return [0x60, ...uleb(f.params.length), ...f.params, ...uleb(results.length), ...results]
  })
  const type = section(1, [...uleb(functions.length), ...types])
  const limits = sharedMemory ? [0x03, ...uleb(1), ...uleb(65536)] : [0x00, 1]
  const imports = section(2, [1, ...str('env'), ...str('mem'), 0x02, ...limits])
  const funcs = section(3, [...uleb(functions.length), ...functions.flatMap((_, i) => uleb(i))])
  const exports = section(7, [
    ...uleb(functions.length),
    ...functions.flatMap((f, i) => [...str(f.name), 0x00, ...uleb(i)]),
  ])
  const bodies = functions.flatMap((f) => {
    const body = [...uleb(f.locals.length), ...f.locals.flatMap(([n, t]) => [...uleb(n), t]), ...f.body, 0x0b]
    return [...uleb(body.length), ...body]
  })
  const code = section(10, [...uleb(functions.length), ...bodies])
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...type,
    ...imports,
    ...funcs,
    ...exports,
    ...code,
  ])
}

/** Opcodes shared by the kernels (memory operands: natural alignment, byte offset). */
export const op = {
  block: [0x02, 0x40],
  ifVoid: [0x04, 0x40],
  else: [0x05],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  select: [0x1b],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  tee: (local: number) => [0x22, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  f64One: [0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f],
  i32Load: (offset = 0) => [0x28, 0x02, ...uleb(offset)],
  f32Load: (offset = 0) => [0x2a, 0x02, ...uleb(offset)],
  f64Load: (offset = 0) => [0x2b, 0x03, ...uleb(offset)],
  load8u: (offset = 0) => [0x2d, 0x00, ...uleb(offset)],
  i32Store: (offset = 0) => [0x36, 0x02, ...uleb(offset)],
  f32Store: (offset = 0) => [0x38, 0x02, ...uleb(offset)],
  f64Store: (offset = 0) => [0x39, 0x03, ...uleb(offset)],
  eqz: [0x45],
  ne: [0x47],
  ltU: [0x49],
  gtU: [0x4b],
  geU: [0x4f],
  f64Ne: [0x62],
  f64Gt: [0x64],
  add: [0x6a],
  sub: [0x6b],
  mul: [0x6c],
  and: [0x71],
  xor: [0x73],
  /** f64 to i32, saturating (NaN to 0). */
  i32TruncSatF64S: [0xfc, 0x02],
  f64ConvertI32S: [0xb7],
  or: [0x72],
  shl: [0x74],
  shrU: [0x76],
  f32Add: [0x92],
  f64Add: [0xa0],
}

/** v128.const holding four copies of one 32-bit lane (the 4 bytes of `lane`). */
function splat32Const(lane: ArrayBuffer): number[] {
  const bytes = [...new Uint8Array(lane)]
  return [0xfd, ...uleb(12), ...bytes, ...bytes, ...bytes, ...bytes]
}

/** 128-bit SIMD opcodes (prefix 0xfd); memory operands take a byte offset, 16-byte alignment hint. */
export const simd = {
  load: (offset = 0) => [0xfd, ...uleb(0), 0x04, ...uleb(offset)],
  /** Load one f32 and broadcast it: on x86 a single load-port instruction (vbroadcastss). */
  load32Splat: (offset = 0) => [0xfd, ...uleb(9), 0x02, ...uleb(offset)],
  store: (offset = 0) => [0xfd, ...uleb(11), 0x04, ...uleb(offset)],
  zero: splat32Const(new ArrayBuffer(4)),
  /** Lanes 2 and 3 of a f32x4 moved to lanes 0 and 1 (for the promotion of the high half). */
  highHalf: [0xfd, ...uleb(13), 8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15],
  /** i8x16.shuffle of two vectors by f32 lanes (0-3: first operand, 4-7: second). */
  shuffle32: (lanes: readonly [number, number, number, number]) => [
    0xfd,
    ...uleb(13),
    ...lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]),
  ],
  and: [0xfd, ...uleb(78)],
  bitselect: [0xfd, ...uleb(82)],
  /** Four copies of one f32 constant. */
  f32x4Const: (value: number) => splat32Const(Float32Array.of(value).buffer),
  /** Four copies of one i32 constant. */
  i32x4Const: (value: number) => splat32Const(Int32Array.of(value).buffer),
  i32x4Splat: [0xfd, ...uleb(17)],
  i32x4GeU: [0xfd, ...uleb(64)],
  i32x4Shl: [0xfd, ...uleb(171)],
  i32x4Add: [0xfd, ...uleb(174)],
  i32x4TruncSatF32x4S: [0xfd, ...uleb(248)],
  f32x4Nearest: [0xfd, ...uleb(106)],
  f32x4Abs: [0xfd, ...uleb(224)],
  f32x4Splat: [0xfd, ...uleb(19)],
  f32x4ExtractLane: (lane: number) => [0xfd, ...uleb(31), lane],
  f32x4Gt: [0xfd, ...uleb(68)],
  f64x2PromoteLow: [0xfd, ...uleb(95)],
  f32x4Add: [0xfd, ...uleb(228)],
  f32x4Sub: [0xfd, ...uleb(229)],
  f32x4Mul: [0xfd, ...uleb(230)],
  f32x4Div: [0xfd, ...uleb(231)],
  f32x4Sqrt: [0xfd, ...uleb(227)],
  /** Pseudo-maximum b > a ? b : a: one maxps, unlike f32x4.max's NaN and signed-zero rules. */
  f32x4Pmax: [0xfd, ...uleb(235)],
  f64x2Add: [0xfd, ...uleb(240)],
  f64x2Mul: [0xfd, ...uleb(242)],
}
