import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { matrix, Rng } from '../core/index.js'
import { bootstrapCI, crossValidate, EvalInputError, getMetric, logLoss, rocAuc } from './index.js'

function synthetic(n: number, seed: number): { y: Float64Array; score: Float64Array } {
  const rng = new Rng(seed)
  const y = new Float64Array(n)
  const score = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    y[i] = rng.next() < 0.4 ? 1 : 0
    score[i] = 1 / (1 + Math.exp(-(1.5 * (y[i]! - 0.5) + rng.normal())))
  }
  return { y, score }
}

describe('bootstrapCI', () => {
  it('brackets the estimate, is seeded, and narrows with more data', () => {
    const small = synthetic(80, 1)
    const big = synthetic(1600, 2)
    const a = bootstrapCI(rocAuc, small.y, small.score, { nBoot: 300, seed: 7 })
    const b = bootstrapCI(rocAuc, small.y, small.score, { nBoot: 300, seed: 7 })
    assert.deepEqual(a, b)
    assert.ok(a.lower <= a.estimate && a.estimate <= a.upper, JSON.stringify(a))
    assert.equal(a.estimate, rocAuc(small.y, small.score))
    const c = bootstrapCI(rocAuc, big.y, big.score, { nBoot: 300, seed: 7 })
    assert.ok(c.upper - c.lower < a.upper - a.lower, `${c.upper - c.lower} vs ${a.upper - a.lower}`)
  })

  it('accepts registry metrics and probability matrices', () => {
    const { y, score } = synthetic(100, 3)
    const proba = matrix(100, 2, Float64Array.from(Array.from(score).flatMap((p) => [1 - p, p])))
    const ci = bootstrapCI(getMetric('log_loss'), y, proba, { nBoot: 100, seed: 1 })
    assert.ok(Math.abs(ci.estimate - logLoss(y, score)) < 1e-12)
    assert.ok(ci.lower < ci.upper)
  })

  it('skips single-class resamples and reports them', () => {
    const y = Float64Array.from([1, 0, 0, 0, 0, 0])
    const s = Float64Array.from([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    const ci = bootstrapCI(rocAuc, y, s, { nBoot: 200, seed: 3 })
    assert.ok(ci.nFailed > 0)
    assert.equal(ci.nBoot + ci.nFailed, 200)
  })
})

describe('crossValidate', () => {
  it('aggregates fold scores and rejects overlapping folds', async () => {
    const folds = [
      { train: [0, 1, 2], valid: [3, 4] },
      { train: [2, 3, 4], valid: [0, 1] },
    ]
    const seen: number[] = []
    const cv = await crossValidate(folds, async ({ index, valid }) => ({ score: index + valid.length }), {
      onFold: (i) => seen.push(i),
    })
    assert.deepEqual(cv.folds, [{ score: 2 }, { score: 3 }])
    assert.equal(cv.mean.score, 2.5)
    assert.equal(cv.std.score, 0.5)
    assert.deepEqual(seen, [0, 1])
    await assert.rejects(
      crossValidate([{ train: [0, 1], valid: [1, 2] }], () => ({ s: 1 })),
      EvalInputError,
    )
    await assert.rejects(
      crossValidate([], () => ({ s: 1 })),
      EvalInputError,
    )
  })
})
