import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { measureTradeoff, quantizeBundle, renderTradeoff } from './index.js'
import { fitBundle, rowRange, syntheticData } from './test-data.js'

describe('measureTradeoff', () => {
  it('measures both bundles on the held-out rows and renders a table', async () => {
    const ds = syntheticData(1200, 9)
    const parent = await fitBundle('gbdt', rowRange(ds, 0, 800), { nEstimators: 20, earlyStopping: false })
    const { bundle: child } = quantizeBundle(parent, 'float16')
    const t = measureTradeoff(parent, child, rowRange(ds, 800, 1200), {
      parentLabel: 'churn@1',
      childLabel: 'churn@2',
      repeats: 20,
      rounds: 1,
    })
    assert.equal(t.primaryMetric, 'roc_auc')
    assert.equal(t.testRows, 400)
    assert.equal(t.parent.sizeBytes, parent.toBytes().byteLength)
    assert.equal(t.child.sizeBytes, child.toBytes().byteLength)
    assert.ok(t.parent.latencyMs > 0 && t.child.rowsPerSecond > 0)
    assert.ok(t.parent.metrics.roc_auc! > 0.7 && 'log_loss' in t.child.metrics)
    assert.equal(t.sizeReduction, t.parent.sizeBytes / t.child.sizeBytes)
    const text = renderTradeoff(t)
    assert.match(text, /churn@1\s+gbdt-classifier/)
    assert.match(text, /churn@2/)
    assert.match(text, /x smaller/)
    assert.match(text, /400 held-out rows; primary metric roc_auc/)
  })

  it('uses RMSE for regression and skips rows without a target', async () => {
    const ds = syntheticData(700, 10, { task: 'regression' })
    const y = ds.columns.find((c) => c.name === 'y')!
    if (y.kind === 'numeric') y.values[600] = Number.NaN
    const parent = await fitBundle(
      'gbdt',
      rowRange(ds, 0, 500),
      { nEstimators: 10, earlyStopping: false },
      'regression',
    )
    const t = measureTradeoff(parent, parent, rowRange(ds, 500, 700), { repeats: 5, rounds: 1 })
    assert.equal(t.primaryMetric, 'rmse')
    assert.equal(t.testRows, 199)
    assert.equal(t.metricDelta, 0)
  })
})
