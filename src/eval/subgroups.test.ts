import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fromRows, matrix, Rng } from '../core/index.js'
import {
  getMetric,
  largestErrors,
  permutationImportance,
  subgroupMetrics,
  topConfidentErrors,
} from './index.js'

describe('subgroupMetrics', () => {
  it('flags a large group whose scores are noise, not small or healthy groups', () => {
    const rng = new Rng(4)
    const n = 900
    const y = new Float64Array(n)
    const score = new Float64Array(n)
    const good: number[] = []
    const bad: number[] = []
    const tiny: number[] = []
    for (let i = 0; i < n; i++) {
      y[i] = rng.next() < 0.5 ? 1 : 0
      const group = i < 10 ? tiny : i % 3 === 0 ? bad : good
      group.push(i)
      // the 'bad' region gets scores unrelated to the label
      score[i] = group === bad ? rng.next() : 1 / (1 + Math.exp(-(3 * (y[i]! - 0.5) + rng.normal())))
    }
    const report = subgroupMetrics({
      yTrue: y,
      prediction: score,
      groups: { region: { good, bad, tiny } },
      metrics: [getMetric('roc_auc'), getMetric('log_loss')],
      nBoot: 100,
      seed: 1,
    })
    const byLevel = Object.fromEntries(report.rows.map((r) => [r.level, r]))
    assert.deepEqual(byLevel.bad!.flagged, ['roc_auc', 'log_loss'])
    assert.deepEqual(byLevel.good!.flagged, [])
    assert.equal(byLevel.tiny!.isTooSmall, true)
    assert.deepEqual(byLevel.tiny!.flagged, [])
    const auc = byLevel.bad!.metrics.roc_auc!
    assert.ok(auc.lower <= auc.value && auc.value <= auc.upper)
    assert.ok(report.overall.roc_auc! > auc.upper)
  })

  it('reports NaN, not an error, for a metric undefined in a group', () => {
    const report = subgroupMetrics({
      yTrue: [1, 1, 0, 1],
      prediction: [0.9, 0.8, 0.1, 0.3],
      groups: { g: { onlyPositives: [0, 1] } },
      metrics: [getMetric('roc_auc')],
      minGroupSize: 1,
      nBoot: 20,
    })
    assert.ok(Number.isNaN(report.rows[0]!.metrics.roc_auc!.value))
  })
})

describe('failure analysis', () => {
  it('lists the most confident wrong predictions first, with features', () => {
    const proba = matrix(
      4,
      3,
      Float64Array.from([0.8, 0.1, 0.1, 0.1, 0.2, 0.7, 0.3, 0.6, 0.1, 0.2, 0.2, 0.6]),
    )
    const errors = topConfidentErrors([1, 2, 0, 0], proba, 5, {
      x: fromRows([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]),
      featureNames: ['age', 'spend'],
    })
    assert.deepEqual(
      errors.map((e) => [e.row, e.predictedClass, e.confidence]),
      [
        [0, 0, 0.8],
        [3, 2, 0.6],
        [2, 1, 0.6],
      ].sort((a, b) => b[2]! - a[2]! || a[0]! - b[0]!),
    )
    assert.deepEqual(errors[0]!.features, { age: 1, spend: 2 })
    const binary = topConfidentErrors([0, 1, 1], [0.95, 0.2, 0.9], 1)
    assert.deepEqual([binary[0]!.row, binary[0]!.confidence], [0, 0.95])
    assert.deepEqual(
      largestErrors([1, 2, 3], [1, 5, 2], 2).map((e) => e.row),
      [1, 2],
    )
  })
})

describe('permutationImportance', () => {
  it('finds the only informative feature and is seeded', async () => {
    const rng = new Rng(9)
    const n = 300
    const x = matrix(n, 3)
    const y = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < 3; c++) x.data[i * 3 + c] = rng.normal()
      y[i] = x.data[i * 3]! + 0.3 * rng.normal() > 0 ? 1 : 0
    }
    const predict = (m: typeof x) =>
      Float64Array.from({ length: m.rows }, (_, i) => 1 / (1 + Math.exp(-3 * m.data[i * 3]!)))
    const a = await permutationImportance(predict, x, y, getMetric('roc_auc'), { nRepeats: 4, seed: 2 })
    const b = await permutationImportance(predict, x, y, getMetric('log_loss'), { nRepeats: 4, seed: 2 })
    assert.ok(a.importancesMean[0]! > 0.2, `auc drop ${a.importancesMean[0]}`)
    assert.equal(a.importancesMean[1], 0)
    assert.equal(a.importancesMean[2], 0)
    // lower-is-better metric: sign flipped so importance is still positive
    assert.ok(b.importancesMean[0]! > 0)
    const again = await permutationImportance(predict, x, y, getMetric('roc_auc'), { nRepeats: 4, seed: 2 })
    assert.deepEqual(Array.from(again.importances), Array.from(a.importances))
  })
})
