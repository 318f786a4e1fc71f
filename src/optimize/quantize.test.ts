import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { isAppError } from '../core/index.js'
import { ModelBundle } from '../pipeline/index.js'
import { measureTradeoff, quantizeBundle } from './index.js'
import { fitBundle, rowRange, syntheticData } from './test-data.js'

const ds = syntheticData(4000, 1)
const train = rowRange(ds, 0, 3000)
const test = rowRange(ds, 3000, 4000)

describe('quantizeBundle', () => {
  it('int8 MLP: at least 3.5x smaller, AUC within 0.002, no slower, exact round trip', async () => {
    const parent = await fitBundle('mlp', train, { hiddenLayers: [256, 128], maxEpochs: 12 })
    const { bundle, method } = quantizeBundle(parent, 'int8')
    assert.equal(method, 'quantize:int8')
    assert.equal(bundle.model.kind, 'mlp-classifier-int8')
    const t = measureTradeoff(parent, bundle, test, { repeats: 100, rounds: 3 })
    assert.ok(t.sizeReduction >= 3.5, `size ${t.parent.sizeBytes} -> ${t.child.sizeBytes}`)
    assert.ok(
      Math.abs(t.metricDelta) <= 0.002,
      `AUC ${t.parent.metrics.roc_auc} -> ${t.child.metrics.roc_auc}`,
    )
    // Batch norm folded away: one layer fewer per row. Loose bound: the box running tests is shared.
    assert.ok(t.latencyRatio <= 1.5, `latency ${t.parent.latencyMs} -> ${t.child.latencyMs} ms`)
    const again = ModelBundle.load(bundle.toBytes())
    assert.equal(again.model.kind, 'mlp-classifier-int8')
    assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
  })

  it('float16 MLP regressor: about 2x smaller, near-identical predictions, exact round trip', async () => {
    const reg = syntheticData(1500, 5, { task: 'regression' })
    const parent = await fitBundle('mlp', reg, { hiddenLayers: [64, 32], maxEpochs: 10 }, 'regression')
    const { bundle } = quantizeBundle(parent, 'float16')
    assert.equal(bundle.model.kind, 'mlp-regressor-f16')
    assert.ok(parent.toBytes().length / bundle.toBytes().length > 1.6)
    const a = parent.predictDataset(reg).labels as number[]
    const b = bundle.predictDataset(reg).labels as number[]
    let maxErr = 0
    for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i]! - b[i]!))
    assert.ok(maxErr < 0.02, `max |diff| ${maxErr}`)
    const again = ModelBundle.load(bundle.toBytes())
    assert.deepEqual(again.predictDataset(reg).labels, bundle.predictDataset(reg).labels)
  })

  it('trees: float32 thresholds and values, same kind, smaller, predictions within 1e-5', async () => {
    for (const family of ['gbdt', 'rf'] as const) {
      const parent = await fitBundle(family, train, { nEstimators: 30, threads: 1 })
      const { bundle } = quantizeBundle(parent, 'float16')
      assert.equal(bundle.model.kind, parent.model.kind)
      assert.ok(bundle.toBytes().length < parent.toBytes().length, family)
      const p = parent.predictDataset(test).positive!
      const q = bundle.predictDataset(test).positive!
      for (let i = 0; i < p.length; i++) assert.ok(Math.abs(p[i]! - q[i]!) < 1e-5, `${family} row ${i}`)
      const again = ModelBundle.load(bundle.toBytes())
      assert.deepEqual(again.predictDataset(test).positive, q)
    }
  })

  it('names the supported kinds when a model cannot be quantized', async () => {
    const linear = await fitBundle('linear', rowRange(ds, 0, 500))
    assert.throws(
      () => quantizeBundle(linear, 'int8'),
      (e: unknown) =>
        isAppError(e) &&
        e.code === 'OPTIMIZE_UNSUPPORTED' &&
        /linear-classifier/.test(e.message) &&
        /gbdt-classifier/.test(e.message),
    )
  })
})
