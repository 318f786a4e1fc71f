import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  artifactFromBytes,
  artifactToBytes,
  decodeArray,
  decodeCompact,
  encodeArray,
  encodeCompact,
  isBinaryArtifact,
} from './artifact.js'
import { AppError } from './errors.js'

function code(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    return error.code
  }
  assert.fail('expected a throw')
}

describe('encodeCompact', () => {
  it('picks the narrowest exact dtype and decodes bit for bit', () => {
    const cases: [Float64Array | Int32Array | Uint8Array, string, 'f64' | 'i32' | 'u8'][] = [
      [Int32Array.of(0, 3, 12, 255), 'u8', 'i32'],
      [Int32Array.of(-1, 0, 40_000, 65_534), 'u16', 'i32'], // child indices: -1 shifted by base
      [Int32Array.of(-1, 5, 100), 'u8', 'i32'], // feature ids with -1 for leaves
      [Int32Array.of(-5, 70_000), 'u32', 'i32'],
      [Int32Array.of(-100, 5, 27), 'u8', 'i32'],
      [Float64Array.of(1, 2, 60_000), 'u16', 'f64'], // integer covers
      [Float64Array.of(0.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY), 'f32', 'f64'],
      [Float64Array.of(0.1, 1, 2), 'f64', 'f64'], // 0.1 is not an f32
      [Float64Array.of(-0, 1), 'f32', 'f64'], // -0 is not an integer code
      [Float64Array.of(2 ** 40, 1), 'f32', 'f64'],
      [Float64Array.of(2 ** 40 + 1, 1), 'f64', 'f64'],
      [Uint8Array.of(0, 1, 1), 'u8', 'u8'],
    ]
    for (const [values, dtype, as] of cases) {
      const encoded = encodeCompact(values)
      assert.equal(encoded.dtype, dtype, `${Array.from(values)}`)
      const back = JSON.parse(JSON.stringify(encoded)) as unknown
      const decoded =
        as === 'f64'
          ? decodeCompact(back, 'f64')
          : as === 'i32'
            ? decodeCompact(back, 'i32')
            : decodeCompact(back, 'u8')
      assert.equal(decoded.length, values.length)
      for (let i = 0; i < values.length; i++)
        assert.ok(Object.is(decoded[i], values[i]), `${dtype} ${i}: ${decoded[i]} vs ${values[i]}`)
    }
  })

  it('refuses compact arrays where a fixed dtype is expected, and values that do not fit', () => {
    assert.equal(
      code(() => decodeArray(JSON.parse(JSON.stringify(encodeCompact(Int32Array.of(-1, 40_000)))), 'i32')),
      'ARTIFACT_INVALID',
    )
    const tooBig = { ...JSON.parse(JSON.stringify(encodeArray(Float64Array.of(1e12)))) }
    assert.equal(
      code(() => decodeCompact(tooBig, 'i32')),
      'ARTIFACT_INVALID',
    )
    assert.equal(
      code(() => decodeCompact({ dtype: 'x64', length: 0, base64: '' }, 'f64')),
      'ARTIFACT_INVALID',
    )
  })
})

describe('binary artifacts', () => {
  const artifact = {
    format: 'model',
    formatVersion: 2,
    kind: 'demo',
    params: { note: 'has a $bin-free object', nested: [1, 2] },
    featureNames: ['a'],
    state: {
      w: encodeArray(Float64Array.of(1.5, -0, Number.NaN)),
      idx: encodeCompact(Int32Array.of(-1, 300)),
      u: encodeArray(Uint8Array.of(7)),
    },
  }

  it('round-trips the document and every array exactly, with no base64 in the bytes', () => {
    const bytes = artifactToBytes(artifact)
    assert.ok(isBinaryArtifact(bytes))
    assert.ok(!Buffer.from(bytes).toString('latin1').includes('base64'))
    const back = artifactFromBytes(bytes) as typeof artifact
    assert.deepEqual(back.params, artifact.params)
    assert.deepEqual(Array.from(decodeArray(back.state.w, 'f64')), [1.5, -0, Number.NaN])
    assert.ok(Object.is(decodeArray(back.state.w, 'f64')[1], -0))
    assert.deepEqual(Array.from(decodeCompact(back.state.idx, 'i32')), [-1, 300])
    assert.deepEqual(Array.from(decodeArray(back.state.u, 'u8')), [7])
    // the text form of what was read back is the text form of the original
    assert.equal(JSON.stringify(back), JSON.stringify(artifact))
  })

  it('is smaller than the base64 JSON form for large arrays', () => {
    const big = { ...artifact, state: { w: encodeArray(new Float64Array(10_000).map((_, i) => i / 7)) } }
    assert.ok(artifactToBytes(big).byteLength < 0.8 * JSON.stringify(big).length)
  })

  it('rejects altered, truncated and foreign bytes with typed errors', () => {
    const bytes = artifactToBytes(artifact)
    const altered = Uint8Array.from(bytes)
    altered[altered.length - 3]! ^= 0xff
    assert.equal(
      code(() => artifactFromBytes(altered)),
      'ARTIFACT_TAMPERED',
    )
    assert.equal(
      code(() => artifactFromBytes(bytes.subarray(0, bytes.length - 8))),
      'ARTIFACT_INVALID',
    )
    assert.equal(
      code(() => artifactFromBytes(Buffer.from('{"format":"model"}'))),
      'ARTIFACT_INVALID',
    )
  })
})
