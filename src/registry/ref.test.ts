import assert from 'node:assert/strict'
import { test } from 'node:test'
import { formatModelRef, parseModelRef } from './index.js'

test('parseModelRef reads names, versions and aliases, and formatModelRef inverts it', () => {
  assert.deepEqual(parseModelRef('churn'), { kind: 'default', name: 'churn' })
  assert.deepEqual(parseModelRef('churn@3'), { kind: 'version', name: 'churn', version: 3 })
  assert.deepEqual(parseModelRef('churn@production'), { kind: 'alias', name: 'churn', alias: 'production' })
  assert.deepEqual(parseModelRef(' churn.v2_a-b@latest '), {
    kind: 'alias',
    name: 'churn.v2_a-b',
    alias: 'latest',
  })
  assert.deepEqual(parseModelRef('churn@champion-2'), { kind: 'alias', name: 'churn', alias: 'champion-2' })
  for (const text of ['churn', 'churn@3', 'churn@staging'])
    assert.equal(formatModelRef(parseModelRef(text)), text)
})

test('parseModelRef rejects malformed references with INVALID_ARGUMENT', () => {
  for (const bad of [
    '',
    '@3',
    'churn@',
    'churn@0',
    'churn@-1',
    'churn@Prod',
    'churn@a@b',
    'ch urn',
    '-x',
    'churn@1.5',
  ]) {
    assert.throws(() => parseModelRef(bad), { code: 'INVALID_ARGUMENT' }, bad)
  }
})
