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

/** A typed array serialised for JSON: dtype plus little-endian bytes in base64. */
export interface EncodedArray {
  readonly dtype: 'f64' | 'f32' | 'i32' | 'u32' | 'u8' | 'i8' | 'u16'
  readonly length: number
  readonly base64: string
}

function dtypeOf(a: StorableArray): EncodedArray['dtype'] {
  if (a instanceof Float64Array) return 'f64'
  if (a instanceof Float32Array) return 'f32'
  if (a instanceof Int32Array) return 'i32'
  if (a instanceof Uint32Array) return 'u32'
  if (a instanceof Uint8Array) return 'u8'
  if (a instanceof Int8Array) return 'i8'
  return 'u16'
}

/** Encodes a typed array for an artifact (exact: bytes are copied, not printed as decimals). */
export function encodeArray(a: StorableArray): EncodedArray {
  const bytes = Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  return { dtype: dtypeOf(a), length: a.length, base64: bytes.toString('base64') }
}

const CTORS = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  u8: Uint8Array,
  i8: Int8Array,
  u16: Uint16Array,
} as const

type ArrayFor<D extends EncodedArray['dtype']> = InstanceType<(typeof CTORS)[D]>

/** Decodes an array written by `encodeArray`, checking dtype and length. */
export function decodeArray<D extends EncodedArray['dtype']>(encoded: unknown, dtype: D): ArrayFor<D> {
  if (typeof encoded !== 'object' || encoded === null)
    throw new ArtifactError('ARTIFACT_INVALID', 'Expected an encoded array object in the artifact.')
  const e = encoded as Partial<EncodedArray>
  if (e.dtype !== dtype || typeof e.base64 !== 'string' || typeof e.length !== 'number') {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Expected an encoded ${dtype} array, got dtype ${String(e.dtype)}.`,
    )
  }
  const bytes = Buffer.from(e.base64, 'base64')
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
