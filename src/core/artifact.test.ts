import assert from 'node:assert/strict'
import { test } from 'node:test'
import { checkArtifact, decodeArray, encodeArray, makeArtifact } from './artifact.js'

test('typed arrays round-trip exactly through JSON', () => {
  const a = new Float64Array([0.1, Number.NaN, -0, 1e-300, Number.POSITIVE_INFINITY])
  const json = JSON.parse(JSON.stringify(encodeArray(a)))
  const b = decodeArray(json, 'f64')
  assert.equal(b.length, a.length)
  assert.deepEqual(new Uint8Array(b.buffer), new Uint8Array(a.buffer))
})

test('newer artifact versions are refused with both versions named', () => {
  const art = {
    ...makeArtifact({
      format: 'model',
      formatVersion: 9,
      kind: 'x',
      params: {},
      state: {},
      featureNames: [],
    }),
  }
  assert.throws(
    () => checkArtifact(art, { format: 'model', maxVersion: 1 }),
    /formatVersion 9.*supports \(1\)/,
  )
  assert.throws(() => decodeArray({ dtype: 'f32', length: 1, base64: '' }, 'f64'), /Expected an encoded f64/)
})
