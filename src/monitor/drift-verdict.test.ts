import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import type { Column, Dataset } from '../data/index.js'
import { buildReferenceProfile } from '../pipeline/index.js'
import { type DriftRule, detectDrift } from './drift.js'

// A model that leans on `top`, uses `cat` and `flag` a little and ignores `noise`: its scores are a
// logistic function of `top` (plus a little of `cat`), as a trained model's would be.
const IMPORTANCE = { top: 0.7, cat: 0.2, flag: 0.1, noise: 0 }
const RULES: readonly DriftRule[] = ['any', 'weighted', 'share', 'prediction']

interface Shift {
  readonly top?: number
  readonly noise?: number
  /** Added to the scores only (the model changed, or its inputs moved in ways not profiled). */
  readonly score?: number
}

function sample(n: number, seed: number, shift: Shift = {}): { ds: Dataset; scores: Float64Array } {
  const rng = new Rng(seed)
  const top = new Float64Array(n)
  const noise = new Float64Array(n)
  const codes = new Int32Array(n)
  const flag = new Float64Array(n)
  const scores = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    top[i] = rng.normal() + (shift.top ?? 0)
    noise[i] = rng.normal() * 3 + 50 + (shift.noise ?? 0)
    const u = rng.next()
    codes[i] = u < 0.5 ? 0 : u < 0.8 ? 1 : 2
    flag[i] = rng.next() < 0.3 ? 1 : 0
    scores[i] = Math.min(
      1,
      Math.max(0, 1 / (1 + Math.exp(-1.5 * top[i]! - 0.2 * codes[i]!)) + (shift.score ?? 0)),
    )
  }
  const columns: Column[] = [
    { kind: 'numeric', name: 'top', values: top },
    { kind: 'numeric', name: 'noise', values: noise },
    { kind: 'categorical', name: 'cat', codes, levels: ['a', 'b', 'c'] },
    { kind: 'boolean', name: 'flag', values: flag },
  ]
  return { ds: { nRows: n, columns }, scores }
}

const train = sample(5000, 1)
const reference = buildReferenceProfile(train.ds, ['top', 'noise', 'cat', 'flag'], train.scores)

function verdicts(shift: Shift, n = 800, seed = 42): Record<DriftRule, string> & { flagged: string[] } {
  const current = sample(n, seed, shift)
  const out: Record<string, string> = {}
  let flagged: string[] = []
  for (const rule of RULES) {
    const report = detectDrift(
      reference,
      { kind: 'dataset', dataset: current.ds, scores: current.scores },
      { rule, weights: IMPORTANCE },
    )
    out[rule] = report.verdict
    flagged = report.features.filter((f) => f.drifted).map((f) => f.feature)
    assert.equal(report.datasetDrift, report.verdict === 'drift', 'datasetDrift mirrors the verdict')
  }
  return { ...(out as Record<DriftRule, string>), flagged }
}

test('a shift in the top feature raises the alarm, though only 1 of 4 features drifted', () => {
  const v = verdicts({ top: 1.2 })
  assert.deepEqual(v.flagged, ['top'])
  assert.equal(v.any, 'drift')
  assert.equal(v.weighted, 'drift')
  assert.equal(v.prediction, 'drift')
  // The old rule (plain share 25 % < 50 %) missed it.
  assert.equal(v.share, 'no_drift')
})

test('a feature the model ignores can drift without an alarm (still flagged on its own)', () => {
  const v = verdicts({ noise: 15 })
  assert.deepEqual(v.flagged, ['noise'])
  assert.equal(v.any, 'no_drift')
  assert.equal(v.weighted, 'no_drift')
  assert.equal(v.prediction, 'no_drift')
  const report = detectDrift(
    reference,
    { kind: 'dataset', dataset: sample(800, 42, { noise: 15 }).ds },
    { weights: IMPORTANCE },
  )
  assert.equal(report.weightedShare, 0)
  assert.equal(report.driftedShare, 0.25, 'the plain share is still reported beside it')
})

test('drift in the predictions alone raises the alarm under any and prediction only', () => {
  const v = verdicts({ score: 0.15 })
  assert.deepEqual(v.flagged, [])
  assert.equal(v.any, 'drift')
  assert.equal(v.prediction, 'drift')
  assert.equal(v.weighted, 'no_drift')
  assert.equal(v.share, 'no_drift')
})

test('an unshifted window is no drift under every rule', () => {
  const v = verdicts({})
  for (const rule of RULES) assert.equal(v[rule], 'no_drift', rule)
})

test('too few rows give insufficient_data with the counts, not drift, whatever the shift', () => {
  for (const n of [2, 99]) {
    const current = sample(n, 7, { top: 5, noise: 30, score: 0.5 })
    const report = detectDrift(
      reference,
      { kind: 'dataset', dataset: current.ds, scores: current.scores },
      { weights: IMPORTANCE },
    )
    assert.equal(report.verdict, 'insufficient_data')
    assert.equal(report.datasetDrift, false)
    assert.equal(report.currentRows, n)
    assert.equal(report.minRows, 100)
    assert.deepEqual(report.features, [], 'no per-feature verdicts on a handful of rows')
    assert.match(report.reason, new RegExp(`${n} rows? in the window, at least 100 needed`))
  }
  // The same shift on enough rows is drift; minRows is configurable.
  const few = sample(60, 7, { top: 5 })
  const lowered = detectDrift(
    reference,
    { kind: 'dataset', dataset: few.ds, scores: few.scores },
    { weights: IMPORTANCE, minRows: 50 },
  )
  assert.equal(lowered.verdict, 'drift')
})

test('without importance the weighted share falls back to equal weights and says so', () => {
  const current = sample(800, 3, { top: 1.2 })
  const report = detectDrift(reference, { kind: 'dataset', dataset: current.ds, scores: current.scores })
  assert.equal(report.weighting, 'equal')
  assert.equal(report.weightedShare, report.driftedShare)
  assert.equal(report.rule, 'any')
  assert.match(report.reason, /equal weights/)
})
