import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { detectGitCommit, parseMetricFilter, parseTagFilter, parseTimeBound } from './index.js'

test('parseMetricFilter reads every operator, optional prefix and spacing', () => {
  assert.deepEqual(parseMetricFilter('roc_auc>0.8'), { metric: 'roc_auc', op: '>', value: 0.8 })
  assert.deepEqual(parseMetricFilter(' rmse <= 3.5 '), { metric: 'rmse', op: '<=', value: 3.5 })
  assert.deepEqual(parseMetricFilter('metrics.f1!=0'), { metric: 'f1', op: '!=', value: 0 })
  assert.deepEqual(parseMetricFilter('loss==1e-3'), { metric: 'loss', op: '=', value: 0.001 })
  assert.deepEqual(parseMetricFilter('valid/auc>=-.5'), { metric: 'valid/auc', op: '>=', value: -0.5 })
  for (const bad of ['roc_auc', '>0.8', 'auc>high', 'auc>>1', '']) {
    assert.throws(() => parseMetricFilter(bad), { code: 'INVALID_ARGUMENT' }, bad)
  }
})

test('parseTagFilter splits on the first =', () => {
  assert.deepEqual(parseTagFilter('model=gbdt'), ['model', 'gbdt'])
  assert.deepEqual(parseTagFilter('expr=a=b'), ['expr', 'a=b'])
  assert.throws(() => parseTagFilter('=x'), { code: 'INVALID_ARGUMENT' })
  assert.throws(() => parseTagFilter('novalue'), { code: 'INVALID_ARGUMENT' })
})

test('parseTimeBound reads ISO dates and durations back from now', () => {
  const now = new Date('2026-11-26T12:00:00Z')
  assert.equal(parseTimeBound('2026-11-01', now).toISOString(), '2026-11-01T00:00:00.000Z')
  assert.equal(parseTimeBound('2026-11-01T08:30:00Z', now).toISOString(), '2026-11-01T08:30:00.000Z')
  assert.equal(parseTimeBound('7d', now).toISOString(), '2026-11-19T12:00:00.000Z')
  assert.equal(parseTimeBound('12h', now).toISOString(), '2026-11-26T00:00:00.000Z')
  assert.equal(parseTimeBound('30m', now).toISOString(), '2026-11-26T11:30:00.000Z')
  for (const bad of ['yesterday', '1', '2026-13-45', '7y']) {
    assert.throws(() => parseTimeBound(bad, now), { code: 'INVALID_ARGUMENT' }, bad)
  }
})

test('detectGitCommit returns null outside a repository', () => {
  assert.equal(detectGitCommit(mkdtempSync(join(tmpdir(), 'keel-nogit-'))), null)
})
