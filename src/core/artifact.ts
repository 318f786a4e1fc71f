import { createHash } from 'node:crypto'
import { ArtifactError } from './errors.js'
import { LIBRARY_VERSION } from './version.js'

/**
 * The code-free, versioned envelope every saved model and transformer uses. Large numeric arrays
 * are stored as base64 strings (see `encodeArray`), so an artifact is plain JSON.
 */
export interface Artifact<State = unknown, Params = unknown> {
  readonly format: 'model' | 'transformer' | 'pipeline'
  readonly formatVersion: number
  readonly kind: string
  readonly params: Params
  readonly state: State
  readonly featureNames: readonly string[]
  readonly library: string
}

/** Typed arrays that can be stored in an artifact. */
export type StorableArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array

/** A typed array serialised for JSON: dtype plus little-endian bytes in base64. */
export interface EncodedArray {
  readonly dtype: 'f64' | 'f32' | 'i32' | 'u32' | 'u8' | 'i8' | 'u16' | 'i16'
  readonly length: number
  readonly base64: string
  /** Compact integer encodings (`encodeCompact`) store `value - base`; absent means 0. */
  readonly base?: number
}

/** Collects array bytes while `artifactToBytes` serialises, instead of writing base64. */
let binaryBlob: { parts: Uint8Array[]; size: number } | null = null

/**
 * An encoded array that still holds its raw bytes: as JSON it prints base64 (the text format);
 * inside `artifactToBytes` it prints an offset into the binary section, so no base64 is made.
 */
class EncodedArrayValue implements EncodedArray {
  readonly dtype: EncodedArray['dtype']
  readonly length: number
  readonly base?: number
  readonly #bytes: Uint8Array
  constructor(dtype: EncodedArray['dtype'], length: number, bytes: Uint8Array, base?: number) {
    this.dtype = dtype
    this.length = length
    this.#bytes = bytes
    if (base !== undefined && base !== 0) this.base = base
  }
  get bytes(): Uint8Array {
    return this.#bytes
  }
  get base64(): string {
    return Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength).toString('base64')
  }
  toJSON(): Record<string, unknown> {
    const head = {
      dtype: this.dtype,
      length: this.length,
      ...(this.base === undefined ? {} : { base: this.base }),
    }
    if (binaryBlob === null) return { ...head, base64: this.base64 }
    // 8-byte alignment lets a reader view f64 data without copying
    const pad = (8 - (binaryBlob.size % 8)) % 8
    if (pad > 0) binaryBlob.parts.push(new Uint8Array(pad))
    const offset = binaryBlob.size + pad
    binaryBlob.parts.push(this.#bytes)
    binaryBlob.size = offset + this.#bytes.byteLength
    return { ...head, $bin: offset }
  }
}

function dtypeOf(a: StorableArray): EncodedArray['dtype'] {
  if (a instanceof Float64Array) return 'f64'
  if (a instanceof Float32Array) return 'f32'
  if (a instanceof Int32Array) return 'i32'
  if (a instanceof Uint32Array) return 'u32'
  if (a instanceof Uint8Array) return 'u8'
  if (a instanceof Int8Array) return 'i8'
  if (a instanceof Int16Array) return 'i16'
  return 'u16'
}

/** Encodes a typed array for an artifact (exact: bytes are copied, not printed as decimals). */
export function encodeArray(a: StorableArray): EncodedArray {
  return new EncodedArrayValue(dtypeOf(a), a.length, new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
}

const CTORS = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
  i16: Int16Array,
} as const

type ArrayFor<D extends EncodedArray['dtype']> = InstanceType<(typeof CTORS)[D]>

/** Decodes an array written by `encodeArray`, checking dtype and length. */
export function decodeArray<D extends EncodedArray['dtype']>(encoded: unknown, dtype: D): ArrayFor<D> {
  if (typeof encoded !== 'object' || encoded === null)
    throw new ArtifactError('ARTIFACT_INVALID', 'Expected an encoded array object in the artifact.')
  const e = encoded as Partial<EncodedArray>
  if (e.base !== undefined && e.base !== 0)
    throw new ArtifactError('ARTIFACT_INVALID', `Expected a plain ${dtype} array, got a compact one.`)
  return decodeRaw(encoded, dtype)
}

function decodeRaw<D extends EncodedArray['dtype']>(encoded: unknown, dtype: D): ArrayFor<D> {
  const e = encoded as Partial<EncodedArray>
  const raw = encoded instanceof EncodedArrayValue ? encoded.bytes : undefined
  if (
    e.dtype !== dtype ||
    (raw === undefined && typeof e.base64 !== 'string') ||
    typeof e.length !== 'number'
  ) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Expected an encoded ${dtype} array, got dtype ${String(e.dtype)}.`,
    )
  }
  const bytes = raw ?? Buffer.from(e.base64!, 'base64')
  const Ctor = CTORS[dtype]
  if (bytes.length !== e.length * Ctor.BYTES_PER_ELEMENT) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Encoded ${dtype} array holds ${bytes.length} bytes; expected ${e.length * Ctor.BYTES_PER_ELEMENT}.`,
    )
  }
  // Copy into a fresh, aligned buffer: Buffer slices may share a pool and be misaligned.
  const copy = new Uint8Array(bytes.length)
  copy.set(bytes)
  return new Ctor(copy.buffer) as ArrayFor<D>
}

/** Wraps fitted state into an envelope stamped with this library's version. */
export function makeArtifact<S, P>(fields: Omit<Artifact<S, P>, 'library'>): Artifact<S, P> {
  return { ...fields, library: LIBRARY_VERSION }
}

/**
 * Checks an unknown value is an artifact of the expected format and kind, with a version this
 * reader understands. Returns it typed with `unknown` state for the reader to validate.
 */
export function checkArtifact(
  value: unknown,
  expected: { format: Artifact['format']; kind?: string; maxVersion: number },
): Artifact<unknown, unknown> {
  if (typeof value !== 'object' || value === null)
    throw new ArtifactError('ARTIFACT_INVALID', 'Artifact is not a JSON object.')
  const a = value as Partial<Artifact<unknown, unknown>>
  if (a.format !== expected.format) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact format is ${String(a.format)}; expected ${expected.format}.`,
    )
  }
  if (expected.kind !== undefined && a.kind !== expected.kind) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact kind is ${String(a.kind)}; expected ${expected.kind}.`,
    )
  }
  if (typeof a.formatVersion !== 'number' || a.formatVersion < 1) {
    throw new ArtifactError('ARTIFACT_INVALID', 'Artifact has no valid formatVersion.')
  }
  if (a.formatVersion > expected.maxVersion) {
    throw new ArtifactError(
      'ARTIFACT_VERSION_UNSUPPORTED',
      `Artifact formatVersion ${a.formatVersion} is newer than this reader supports (${expected.maxVersion}); it was written by keel-ml ${String(a.library)}. Upgrade keel-ml to load it.`,
    )
  }
  if (!Array.isArray(a.featureNames))
    throw new ArtifactError('ARTIFACT_INVALID', 'Artifact has no featureNames array.')
  return a as Artifact<unknown, unknown>
}

const INT_DTYPES = [
  ['u8', 0, 0xff],
  ['i8', -0x80, 0x7f],
  ['u16', 0, 0xffff],
  ['i16', -0x8000, 0x7fff],
  ['u32', 0, 0xffffffff],
  ['i32', -0x80000000, 0x7fffffff],
] as const

/**
 * Encodes numbers in the narrowest dtype that holds every value exactly: integers as u8…i32
 * relative to their minimum (`base`, so child indices with -1 for "none" fit u16), other floats
 * as f32 when every value survives the round trip, else f64. `decodeCompact` restores the array
 * bit for bit (-0 and NaN included).
 */
export function encodeCompact(a: Float64Array | Int32Array | Uint8Array): EncodedArray {
  let min = Number.POSITIVE_INFINITY
  let max = Number.NEGATIVE_INFINITY
  let integral = true
  let f32 = true
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!
    if (integral && (!Number.isInteger(v) || Object.is(v, -0))) integral = false
    if (f32 && !Object.is(Math.fround(v), v) && !Number.isNaN(v)) f32 = false
    if (v < min) min = v
    if (v > max) max = v
  }
  if (a.length === 0) return encodeArray(a instanceof Float64Array ? new Float64Array(0) : new Uint8Array(0))
  if (integral) {
    for (const [dtype, lo, hi] of INT_DTYPES) {
      // as-is when the values fit, else shifted by their minimum
      const base = min >= lo && max <= hi ? 0 : max - min <= hi - Math.max(lo, 0) && lo === 0 ? min : null
      if (base === null) continue
      const out = new CTORS[dtype](a.length)
      for (let i = 0; i < a.length; i++) out[i] = a[i]! - base
      return new EncodedArrayValue(dtype, a.length, new Uint8Array(out.buffer), base)
    }
  }
  if (f32 && NaNsAreCanonical(a)) return encodeArray(Float32Array.from(a))
  return encodeArray(a instanceof Float64Array ? a : Float64Array.from(a))
}

/** f32 storage keeps NaN, but not its payload bits: only use it when every NaN is the plain one. */
function NaNsAreCanonical(a: Float64Array | Int32Array | Uint8Array): boolean {
  if (!(a instanceof Float64Array)) return true
  const canonical = new Float64Array([Number.NaN])
  const cv = new Uint32Array(canonical.buffer)
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length * 2)
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && (bits[2 * i] !== cv[0] || bits[2 * i + 1] !== cv[1])) return false
  }
  return true
}

/** Decodes an array written by `encodeCompact` (or `encodeArray`) into the requested type. */
export function decodeCompact(encoded: unknown, as: 'f64'): Float64Array
export function decodeCompact(encoded: unknown, as: 'i32'): Int32Array
export function decodeCompact(encoded: unknown, as: 'u8'): Uint8Array
export function decodeCompact(
  encoded: unknown,
  as: 'f64' | 'i32' | 'u8',
): Float64Array | Int32Array | Uint8Array {
  if (typeof encoded !== 'object' || encoded === null)
    throw new ArtifactError('ARTIFACT_INVALID', 'Expected an encoded array object in the artifact.')
  const e = encoded as Partial<EncodedArray>
  const dtype = e.dtype
  if (dtype === undefined || !(dtype in CTORS))
    throw new ArtifactError('ARTIFACT_INVALID', `Unknown array dtype ${String(dtype)} in the artifact.`)
  const base = e.base ?? 0
  if (typeof base !== 'number' || !Number.isFinite(base))
    throw new ArtifactError('ARTIFACT_INVALID', `Array base ${String(base)} is not a finite number.`)
  const stored = decodeRaw(encoded, dtype)
  const out =
    as === 'f64'
      ? new Float64Array(stored.length)
      : as === 'i32'
        ? new Int32Array(stored.length)
        : new Uint8Array(stored.length)
  const [lo, hi] = as === 'u8' ? [0, 0xff] : [-0x80000000, 0x7fffffff]
  for (let i = 0; i < stored.length; i++) {
    const v = base === 0 ? stored[i]! : stored[i]! + base
    // a narrowing conversion would silently wrap: reject values the target type cannot hold
    if (as !== 'f64' && !(Number.isInteger(v) && v >= lo && v <= hi))
      throw new ArtifactError('ARTIFACT_INVALID', `Array value ${v} does not fit ${as}.`)
    out[i] = v
  }
  return out
}

/** First bytes of a binary artifact ("KEELBIN" and a format digit). */
const BINARY_MAGIC = Buffer.from('KEELBIN1', 'ascii')
const BINARY_HEAD = BINARY_MAGIC.length + 4 + 4 + 32

/** True when `bytes` hold a binary artifact written by {@link artifactToBytes}. */
export function isBinaryArtifact(bytes: Uint8Array): boolean {
  return (
    bytes.byteLength >= BINARY_HEAD && Buffer.from(bytes.buffer, bytes.byteOffset, 8).equals(BINARY_MAGIC)
  )
}

/**
 * Serialises an artifact as binary: "KEELBIN1", u32 JSON length, u32 data length, the SHA-256 of
 * JSON + data, the JSON (arrays replaced by offsets into the data section) and the arrays' raw
 * little-endian bytes, 8-byte aligned. Still code-free: a JSON document plus plain numbers. About
 * 25% smaller than base64 in JSON, and neither side makes or parses base64.
 */
export function artifactToBytes(artifact: unknown): Uint8Array {
  binaryBlob = { parts: [], size: 0 }
  let json: string
  let blob: { parts: Uint8Array[]; size: number }
  try {
    json = JSON.stringify(artifact)
  } finally {
    blob = binaryBlob
    binaryBlob = null
  }
  const header = Buffer.from(json, 'utf8')
  const headerPadded = header.byteLength + ((8 - ((BINARY_HEAD + header.byteLength) % 8)) % 8)
  const out = new Uint8Array(BINARY_HEAD + headerPadded + blob.size)
  out.set(BINARY_MAGIC, 0)
  const view = new DataView(out.buffer)
  view.setUint32(8, headerPadded, true)
  view.setUint32(12, blob.size, true)
  out.set(header, BINARY_HEAD)
  out.fill(0x20, BINARY_HEAD + header.byteLength, BINARY_HEAD + headerPadded) // JSON-safe padding
  let at = BINARY_HEAD + headerPadded
  for (const part of blob.parts) {
    out.set(part, at)
    at += part.byteLength
  }
  out.set(createHash('sha256').update(out.subarray(BINARY_HEAD)).digest(), 16)
  return out
}

/**
 * Reads a binary artifact: checks the magic, lengths and checksum, parses the JSON and turns each
 * array reference back into an encoded array that `decodeArray`/`decodeCompact` read directly.
 * @throws ArtifactError ARTIFACT_INVALID when the bytes are not a whole binary artifact,
 *   ARTIFACT_TAMPERED when the checksum does not match.
 */
export function artifactFromBytes(bytes: Uint8Array): unknown {
  if (!isBinaryArtifact(bytes))
    throw new ArtifactError('ARTIFACT_INVALID', 'Not a binary Keel artifact (no KEELBIN1 header).')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const headerLength = view.getUint32(8, true)
  const blobLength = view.getUint32(12, true)
  if (BINARY_HEAD + headerLength + blobLength !== bytes.byteLength) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Binary artifact is ${bytes.byteLength} bytes; its header announces ${BINARY_HEAD + headerLength + blobLength}. It is truncated or padded.`,
    )
  }
  const digest = createHash('sha256').update(bytes.subarray(BINARY_HEAD)).digest()
  if (!Buffer.from(bytes.buffer, bytes.byteOffset + 16, 32).equals(digest)) {
    throw new ArtifactError(
      'ARTIFACT_TAMPERED',
      'Binary artifact checksum does not match its content: it was altered or damaged.',
    )
  }
  const blob = bytes.subarray(BINARY_HEAD + headerLength)
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + BINARY_HEAD, headerLength).toString('utf8')
  let parsed: unknown
  try {
    parsed = JSON.parse(text, (_key, value: unknown) => {
      if (typeof value !== 'object' || value === null || !('$bin' in value)) return value
      const ref = value as { $bin: unknown; dtype: unknown; length: unknown; base?: unknown }
      const dtype = ref.dtype as EncodedArray['dtype']
      if (typeof ref.$bin !== 'number' || typeof ref.length !== 'number' || !(dtype in CTORS))
        throw new ArtifactError(
          'ARTIFACT_INVALID',
          `Bad array reference in the binary artifact: ${JSON.stringify(ref)}.`,
        )
      const size = ref.length * CTORS[dtype].BYTES_PER_ELEMENT
      if (ref.$bin < 0 || ref.$bin + size > blob.byteLength)
        throw new ArtifactError(
          'ARTIFACT_INVALID',
          `Array at offset ${ref.$bin} runs past the binary artifact's data.`,
        )
      return new EncodedArrayValue(
        dtype,
        ref.length,
        blob.subarray(ref.$bin, ref.$bin + size),
        typeof ref.base === 'number' ? ref.base : undefined,
      )
    })
  } catch (error) {
    if (error instanceof ArtifactError) throw error
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Binary artifact header is not valid JSON: ${(error as Error).message}`,
      { cause: error },
    )
  }
  return parsed
}
