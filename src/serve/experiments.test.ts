import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assignVariant, experimentSchema, hash32 } from './experiments.js'

test('assignment is sticky, salted by experiment, and follows the weights', () => {
  const e = experimentSchema.parse({
    id: 'exp-1',
    model: 'churn',
    variants: [
      { name: 'A', ref: 'churn@1', weight: 3 },
      { name: 'B', ref: 'churn@2', weight: 1 },
    ],
  })
  const counts = { A: 0, B: 0 }
  for (let i = 0; i < 20_000; i++) {
    const v = assignVariant(e, `user-${i}`).name as 'A' | 'B'
    counts[v]++
    if (i < 100) assert.equal(assignVariant(e, `user-${i}`).name, v)
  }
  assert.ok(Math.abs(counts.B / 20_000 - 0.25) < 0.015, JSON.stringify(counts))
  assert.equal(assignVariant(e, undefined).name, 'A')
  assert.notEqual(hash32('exp-1\u0000u'), hash32('exp-2\u0000u'))
})
