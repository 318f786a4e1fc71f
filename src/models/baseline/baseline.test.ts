import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Matrix } from '../../core/index.js'
import type { FittedClassifier } from '../estimator.js'
import { loadModel } from '../load.js'
import { BaselineClassifier, BaselineRegressor } from './index.js'

const X: Matrix = { rows: 6, cols: 2, data: Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, Number.NaN, 1, 0, 0) }

describe('BaselineClassifier', () => {
  it('prior predicts class frequencies; majority predicts the mode with probability 1', async () => {
    const y = Float64Array.of(0, 2, 2, 1, 2, 0)
    const prior = await new BaselineClassifier().fit(X, y)
    assert.equal(prior.task, 'multiclass')
    assert.deepEqual([...prior.predictProba(X).data.subarray(0, 3)], [2 / 6, 1 / 6, 3 / 6])
    assert.deepEqual([...prior.predict(X)], [2, 2, 2, 2, 2, 2])
    const majority = await new BaselineClassifier({ strategy: 'majority' }).fit(X, y)
    assert.deepEqual([...majority.predictProba(X).data.subarray(3, 6)], [0, 0, 1])
  })

  it('uses sample weights', async () => {
    const y = Float64Array.of(0, 0, 0, 1, 1, 1)
    const model = await new BaselineClassifier().fit(X, y, {
      sampleWeight: Float64Array.of(1, 1, 1, 3, 3, 3),
    })
    assert.equal(model.task, 'binary')
    assert.deepEqual([...model.predictProba(X).data.subarray(0, 2)], [0.25, 0.75])
    assert.equal(model.predict(X)[0], 1)
  })

  it('round-trips through its artifact with identical predictions', async () => {
    const model = await new BaselineClassifier().fit(X, Float64Array.of(0, 1, 1, 0, 1, 1))
    const loaded = loadModel(JSON.parse(JSON.stringify(model.toArtifact()))) as FittedClassifier
    assert.deepEqual(loaded.predictProba(X), model.predictProba(X))
    assert.equal(JSON.stringify(loaded.toArtifact()), JSON.stringify(model.toArtifact()))
  })

  it('rejects unknown strategies and wrong shapes', async () => {
    assert.throws(() => new BaselineClassifier({ strategy: 'mode' as 'prior' }), { code: 'INVALID_ARGUMENT' })
    await assert.rejects(new BaselineClassifier().fit(X, Float64Array.of(0, 1)), {
      code: 'DATA_SHAPE_MISMATCH',
    })
    const model = await new BaselineClassifier().fit(X, Float64Array.of(0, 1, 1, 0, 1, 1))
    assert.throws(() => model.predict({ rows: 1, cols: 3, data: new Float64Array(3) }), {
      code: 'DATA_SHAPE_MISMATCH',
    })
  })
})

describe('BaselineRegressor', () => {
  const y = Float64Array.of(1, 2, 3, 4, 100, 6)
  it('mean and median', async () => {
    assert.equal((await new BaselineRegressor().fit(X, y)).predict(X)[0], 116 / 6)
    assert.equal((await new BaselineRegressor({ strategy: 'median' }).fit(X, y)).predict(X)[0], 3.5)
    const odd = Float64Array.of(5, 1, 9, 3, 7, 100)
    const w = Float64Array.of(1, 1, 1, 1, 1, 0)
    assert.equal(
      (await new BaselineRegressor({ strategy: 'median' }).fit(X, odd, { sampleWeight: w })).value,
      5,
    )
  })

  it('round-trips through its artifact bit for bit', async () => {
    const model = await new BaselineRegressor().fit(X, Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.7))
    const loaded = loadModel(JSON.parse(JSON.stringify(model.toArtifact())))
    assert.deepEqual(loaded.predict(X), model.predict(X))
  })

  it('rejects non-finite targets', async () => {
    await assert.rejects(new BaselineRegressor().fit(X, Float64Array.of(1, 2, 3, Number.NaN, 5, 6)), {
      code: 'INVALID_ARGUMENT',
    })
  })
})
