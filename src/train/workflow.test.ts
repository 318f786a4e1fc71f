import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Column } from '../data/index.js'
import { balancedWeights, holdoutSplit, makeFolds } from './workflow.js'

const n = 200
const y = Float64Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0))
const groups: Column = {
  kind: 'categorical',
  name: 'customer',
  codes: Int32Array.from({ length: n }, (_, i) => i % 37),
  levels: Array.from({ length: 37 }, (_, i) => `c${i}`),
}
const times: Column = {
  kind: 'datetime',
  name: 'ts',
  values: Float64Array.from({ length: n }, (_, i) => ((i * 7919) % n) * 86_400_000),
}

test('group holdout and folds never put one entity on both sides', () => {
  const { train, test: held } = holdoutSplit(y, 'binary', 0.25, 3, { kind: 'group', groups })
  const trainGroups = new Set(Array.from(train, (r) => groups.codes[r]))
  for (const r of held)
    assert.ok(!trainGroups.has(groups.codes[r]!), `entity ${groups.codes[r]} in both parts`)
  for (const fold of makeFolds(y, 'binary', 4, 3, { kind: 'group', groups })) {
    const seen = new Set(Array.from(fold.train, (r) => groups.codes[r]))
    for (const r of fold.valid) assert.ok(!seen.has(groups.codes[r]!))
  }
})

test('time holdout trains on the past and tests on the future', () => {
  const { train, test: held } = holdoutSplit(y, 'binary', 0.2, 3, { kind: 'time', times })
  const lastTrain = Math.max(...Array.from(train, (r) => times.values[r]!))
  const firstTest = Math.min(...Array.from(held, (r) => times.values[r]!))
  assert.ok(lastTrain <= firstTest)
  assert.equal(held.length, 40)
})

test('stratified holdout keeps the class share; a group split without its column is a clear error', () => {
  const { test: held } = holdoutSplit(y, 'binary', 0.2, 1)
  const share = Array.from(held, (r) => y[r]!).reduce((a, b) => a + b, 0) / held.length
  assert.ok(Math.abs(share - 0.25) < 0.03)
  assert.throws(() => holdoutSplit(y, 'binary', 0.2, 1, { kind: 'group' }), /entity/)
})

test('balanced weights give every class the same total weight', () => {
  const w = balancedWeights(y)
  let pos = 0
  let neg = 0
  for (let i = 0; i < n; i++) {
    if (y[i] === 1) pos += w[i]!
    else neg += w[i]!
  }
  assert.ok(Math.abs(pos - neg) < 1e-9)
})
