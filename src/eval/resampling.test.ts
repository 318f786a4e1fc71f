import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { matrix, Rng } from '../core/index.js'
import {
  averagePrecision,
  bootstrapCI,
  crossValidate,
  EvalInputError,
  getMetric,
  logLoss,
  mae,
  mape,
  r2,
  rmse,
  rocAuc,
} from './index.js'
import { fastResampleMetric } from './resampling.js'

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

describe('bootstrapCI fast resample path', () => {
  // Data with many ties (scores rounded to a few levels, integer-ish targets) and a second
  // kind without ties, so group handling and plain sums are both exercised.
  function data(
    n: number,
    seed: number,
    levels: number,
  ): { y: Float64Array; score: Float64Array; pred: Float64Array; target: Float64Array } {
    const rng = new Rng(seed)
    const y = new Float64Array(n)
    const score = new Float64Array(n)
    const pred = new Float64Array(n)
    const target = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      y[i] = rng.next() < 0.3 ? 1 : 0
      const raw = 1 / (1 + Math.exp(-(y[i]! - 0.5 + rng.normal())))
      score[i] = levels > 0 ? Math.round(raw * levels) / levels : raw
      target[i] = levels > 0 ? Math.round(rng.normal() * levels) : rng.normal() * 3
      pred[i] = target[i]! * 0.8 + (levels > 0 ? Math.round(rng.normal()) : rng.normal())
    }
    return { y, score, pred, target }
  }

  const curveMetrics = [
    ['roc_auc', rocAuc],
    ['pr_auc', averagePrecision],
  ] as const
  const regressionMetrics = [
    ['rmse', rmse],
    ['mae', mae],
    ['mape', mape],
    ['r2', r2],
  ] as const

  it('gives each resample the exact value of the metric on the gathered rows', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const n = 5 + (seed % 7) * 9
      const { y, score, pred, target } = data(n, seed, seed % 3 === 0 ? 0 : 2 + (seed % 5))
      const rng = new Rng(seed * 31)
      const idx = new Int32Array(n)
      for (let b = 0; b < 20; b++) {
        for (let i = 0; i < n; i++) idx[i] = rng.int(n)
        const yb = Float64Array.from(idx, (i) => y[i]!)
        for (const [name, fn] of curveMetrics) {
          const fast = fastResampleMetric(fn, y, score)
          assert.ok(fast !== undefined, name)
          let expected = Number.NaN
          try {
            expected = fn(
              yb,
              Float64Array.from(idx, (i) => score[i]!),
            )
          } catch (error) {
            assert.ok(error instanceof EvalInputError)
          }
          assert.ok(
            Object.is(fast(idx), expected),
            `${name} seed ${seed} b ${b}: ${fast(idx)} vs ${expected}`,
          )
        }
        const tb = Float64Array.from(idx, (i) => target[i]!)
        const pb = Float64Array.from(idx, (i) => pred[i]!)
        for (const [name, fn] of regressionMetrics) {
          const fast = fastResampleMetric(fn, target, pred)
          assert.ok(fast !== undefined, name)
          const expected = fn(tb, pb)
          assert.ok(
            Object.is(fast(idx), expected),
            `${name} seed ${seed} b ${b}: ${fast(idx)} vs ${expected}`,
          )
        }
      }
    }
  })

  it('gives the same interval as gathering every resample, for functions and registry metrics', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const n = 30 + seed * 13
      const { y, score, pred, target } = data(n, seed, seed % 2 === 0 ? 0 : 4)
      const proba = matrix(n, 2, Float64Array.from(Array.from(score).flatMap((p) => [1 - p, p])))
      const opts = { nBoot: 60, seed }
      for (const [name, fn] of curveMetrics) {
        // a wrapping function is not recognised, so it takes the gather-and-recompute path
        const slow = bootstrapCI((a: Float64Array, b: Float64Array) => fn(a, b), y, score, opts)
        assert.deepEqual(bootstrapCI(fn, y, score, opts), slow, name)
        assert.deepEqual(bootstrapCI(getMetric(name), y, score, opts), slow, name)
        assert.deepEqual(bootstrapCI(getMetric(name), y, proba, opts), slow, `${name} matrix`)
      }
      for (const [name, fn] of regressionMetrics) {
        const slow = bootstrapCI((a: Float64Array, b: Float64Array) => fn(a, b), target, pred, opts)
        assert.deepEqual(bootstrapCI(fn, target, pred, opts), slow, name)
        assert.deepEqual(bootstrapCI(getMetric(name), target, pred, opts), slow, name)
      }
    }
  })

  it('counts single-class resamples as failed, as the slow path does', () => {
    const y = Float64Array.from([1, 0, 0, 0, 0, 0])
    const s = Float64Array.from([0.9, 0.1, 0.2, 0.2, 0.4, 0.5])
    const slow = bootstrapCI((a: Float64Array, b: Float64Array) => rocAuc(a, b), y, s, {
      nBoot: 200,
      seed: 3,
    })
    assert.ok(slow.nFailed > 0)
    assert.deepEqual(bootstrapCI(rocAuc, y, s, { nBoot: 200, seed: 3 }), slow)
    const slowAp = bootstrapCI((a: Float64Array, b: Float64Array) => averagePrecision(a, b), y, s, {
      nBoot: 200,
      seed: 3,
    })
    assert.deepEqual(bootstrapCI(averagePrecision, y, s, { nBoot: 200, seed: 3 }), slowAp)
  })

  it('leaves multiclass matrices, custom metrics, bad labels and non-finite scores to the slow path', () => {
    const y = Float64Array.from([1, 0, 1, 0])
    assert.equal(
      fastResampleMetric(rocAuc, Float64Array.from([1, 0, 2, 0]), Float64Array.from([0.1, 0.2, 0.3, 0.4])),
      undefined,
    )
    assert.equal(fastResampleMetric(rocAuc, y, Float64Array.from([0.1, Number.NaN, 0.3, 0.4])), undefined)
    assert.equal(
      fastResampleMetric(rocAuc, y, Float64Array.from([0.1, Number.POSITIVE_INFINITY, 0.3, 0.4])),
      undefined,
    )
    assert.equal(
      fastResampleMetric(getMetric('roc_auc'), y, matrix(4, 3, new Float64Array(12).fill(1 / 3))),
      undefined,
    )
    assert.equal(
      fastResampleMetric(getMetric('log_loss'), y, Float64Array.from([0.1, 0.2, 0.3, 0.4])),
      undefined,
    )
    const custom = { ...getMetric('roc_auc'), compute: () => 0.5 }
    assert.equal(fastResampleMetric(custom, y, Float64Array.from([0.1, 0.2, 0.3, 0.4])), undefined)
    assert.equal(bootstrapCI(custom, y, Float64Array.from([0.1, 0.2, 0.3, 0.4]), { nBoot: 5 }).lower, 0.5)
  })
})
