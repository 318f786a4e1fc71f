import assert from 'node:assert/strict'
import { test } from 'node:test'
import { predictionId } from './prediction-id.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('prediction ids are RFC 9562 version-7 UUIDs carrying the creation time', () => {
  const before = Date.now()
  const id = predictionId()
  const after = Date.now()
  assert.match(id, V7)
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
  assert.ok(ms >= before && ms <= after, `timestamp ${ms} outside [${before}, ${after}]`)
})

test('prediction ids are unique across pool refills and sort by creation time', async () => {
  const ids = new Set<string>()
  // 100 000 ids use the random pool about 250 times over.
  for (let i = 0; i < 100_000; i++) {
    const id = predictionId()
    assert.match(id, V7)
    ids.add(id)
  }
  assert.equal(ids.size, 100_000)
  const early = predictionId()
  await new Promise((r) => setTimeout(r, 5))
  const late = predictionId()
  assert.ok(early < late, `${early} should sort before ${late}`)
})

test('the random part is not constant (bits come from the CSPRNG, not a counter)', () => {
  const tails = new Set<string>()
  for (let i = 0; i < 1000; i++) tails.add(predictionId().slice(14))
  assert.equal(tails.size, 1000)
  // Every hex digit shows up in the last group across 1000 ids.
  const digits = new Set([...tails].flatMap((t) => [...t.slice(-12)]))
  assert.equal(digits.size, 16)
})
