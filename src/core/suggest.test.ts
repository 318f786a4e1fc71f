import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from './rng.js'
import { didYouMean, editDistance, nearest } from './suggest.js'

test('editDistance counts edits, with a swap of neighbours as one', () => {
  assert.equal(editDistance('', ''), 0)
  assert.equal(editDistance('abc', ''), 3)
  assert.equal(editDistance('', 'abc'), 3)
  assert.equal(editDistance('kitten', 'sitting'), 3)
  assert.equal(editDistance('train', 'train'), 0)
  assert.equal(editDistance('trian', 'train'), 1)
  assert.equal(editDistance('nEstimator', 'nEstimators'), 1)
  assert.equal(editDistance('ca', 'abc'), 3)
})

test('editDistance is a symmetric, bounded distance (property)', () => {
  const rng = new Rng(7)
  const word = (): string => Array.from({ length: rng.int(8) }, () => 'abcd'[rng.int(4)]).join('')
  for (let i = 0; i < 300; i++) {
    const a = word()
    const b = word()
    const d = editDistance(a, b)
    assert.equal(d, editDistance(b, a), `${a} / ${b}`)
    assert.ok(d <= Math.max(a.length, b.length), `${a} / ${b}: ${d}`)
    assert.ok(d >= Math.abs(a.length - b.length), `${a} / ${b}: ${d}`)
    assert.equal(d === 0, a === b)
  }
})

test('nearest finds typos, ignores case, and refuses far-off words', () => {
  const keys = ['models', 'pollIntervalMs', 'predictionLog', 'maxBatchRows']
  assert.equal(nearest('pollIntervalMS', keys), 'pollIntervalMs')
  assert.equal(nearest('pollInterval', keys), 'pollIntervalMs')
  assert.equal(nearest('modles', keys), 'models')
  assert.equal(nearest('predictionlog', keys), 'predictionLog')
  assert.equal(nearest('timeout', keys), undefined)
  assert.equal(nearest('x', ['k', 'json']), undefined, 'one letter is too short to guess from')
  assert.equal(nearest('--k', ['--j']), undefined, 'dashes do not make a short name longer')
  assert.equal(nearest('JSON', ['json']), 'json')
  assert.equal(nearest('--exp', ['--experiment', '--json']), '--experiment')
  assert.equal(nearest('models', keys), undefined, 'an exact match is not a suggestion')
  assert.equal(nearest('anything', []), undefined)
})

test('didYouMean formats the hint or nothing', () => {
  assert.equal(didYouMean('trian', ['train', 'predict']), " (did you mean 'train'?)")
  assert.equal(didYouMean('zzzzzz', ['train', 'predict']), '')
})
