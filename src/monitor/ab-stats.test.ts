import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import {
  chiSquareSurvival,
  msprtLikelihoodRatio,
  normalQuantile,
  RunningStats,
  rocAuc,
  sampleRatioTest,
} from './ab-stats.js'

test('chi-square survival matches reference values (scipy.stats.chi2.sf)', () => {
  assert.ok(Math.abs(chiSquareSurvival(3.841458820694124, 1) - 0.05) < 1e-9)
  assert.ok(Math.abs(chiSquareSurvival(5.991464547107979, 2) - 0.05) < 1e-9)
  assert.ok(Math.abs(chiSquareSurvival(10, 3) - 0.018566135463043) < 1e-9)
  assert.ok(Math.abs(chiSquareSurvival(0.5, 4) - 0.9735009788392561) < 1e-9)
  assert.equal(chiSquareSurvival(0, 1), 1)
})

test('normal quantile matches reference values', () => {
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8)
  assert.ok(Math.abs(normalQuantile(0.5)) < 1e-12)
  assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306167813) < 1e-8)
})

test('sample ratio test flags a broken split only', () => {
  assert.ok(sampleRatioTest([5000, 5020], [1, 1]).pValue > 0.5)
  assert.ok(sampleRatioTest([5000, 5600], [1, 1]).pValue < 0.001)
  assert.ok(sampleRatioTest([900, 100], [9, 1]).pValue > 0.5)
})

test('AUC: perfect, inverted, ties and one class', () => {
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1)
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0)
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]), 0.5)
  assert.equal(rocAuc([0.1, 0.2], [1, 1]), undefined)
  // sklearn.metrics.roc_auc_score([0,0,1,1,0,1],[.1,.4,.35,.8,.5,.5]) = 0.7222222
  assert.ok(Math.abs(rocAuc([0.1, 0.4, 0.35, 0.8, 0.5, 0.5], [0, 0, 1, 1, 0, 1])! - 0.7222222222) < 1e-9)
})

test('mSPRT: always-valid p stays above alpha under the null across many looks', () => {
  const rng = new Rng(11)
  let falsePositives = 0
  const runs = 200
  for (let r = 0; r < runs; r++) {
    const a = new RunningStats()
    const b = new RunningStats()
    let p = 1
    for (let i = 0; i < 400; i++) {
      a.push(rng.next() < 0.3 ? 1 : 0)
      b.push(rng.next() < 0.3 ? 1 : 0)
      if (a.n < 2) continue
      p = Math.min(p, 1 / msprtLikelihoodRatio(b.mean - a.mean, a.variance / a.n + b.variance / b.n, 0.0025))
    }
    if (p < 0.05) falsePositives++
  }
  // Peeking 400 times with a fixed-horizon z-test would reject far more often than 5%.
  assert.ok(falsePositives / runs <= 0.08, `false positive rate ${falsePositives / runs}`)
})

test('mSPRT detects a real difference', () => {
  const rng = new Rng(3)
  const a = new RunningStats()
  const b = new RunningStats()
  let p = 1
  for (let i = 0; i < 1000; i++) {
    a.push(rng.next() < 0.2 ? 1 : 0)
    b.push(rng.next() < 0.3 ? 1 : 0)
    if (a.n > 1)
      p = Math.min(p, 1 / msprtLikelihoodRatio(b.mean - a.mean, a.variance / a.n + b.variance / b.n, 0.0025))
  }
  assert.ok(p < 0.05, `p = ${p}`)
})
