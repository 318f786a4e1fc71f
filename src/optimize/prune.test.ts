import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ModelBundle } from '../pipeline/index.js'
import { measureTradeoff, pruneBundle } from './index.js'
import { fitBundle, rowRange, syntheticData } from './test-data.js'
import { forestArrays, gbdtParts } from './trees.js'

const ds = syntheticData(4000, 3)
const train = rowRange(ds, 0, 2500)
const validation = rowRange(ds, 2500, 3200)
const test = rowRange(ds, 3200, 4000)

describe('pruneBundle', () => {
  it('GBDT auto: fewer rounds, merged leaves, comparable AUC, exact round trip', async () => {
    const parent = await fitBundle('gbdt', train, {
      nEstimators: 150,
      learningRate: 0.1,
      earlyStopping: false,
    })
    const { bundle, changes } = await pruneBundle(parent, 'auto', { train, validation }, { tolerance: 0.005 })
    const before = gbdtParts(parent.model).trees
    const after = gbdtParts(bundle.model).trees
    assert.ok(after.length < before.length, changes.join('; '))
    const nodes = (ts: typeof before) => ts.reduce((s, t) => s + t.feature.length, 0)
    assert.ok(nodes(after) < nodes(before))
    const t = measureTradeoff(parent, bundle, test, { repeats: 20, rounds: 1 })
    assert.ok(t.metricDelta > -0.01, `AUC ${t.parent.metrics.roc_auc} -> ${t.child.metrics.roc_auc}`)
    assert.ok(t.sizeReduction > 1)
    const again = ModelBundle.load(bundle.toBytes())
    assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
  })

  it('GBDT with an amount keeps that share of rounds; minGain 0 merges nothing', async () => {
    const parent = await fitBundle('gbdt', train, { nEstimators: 40, earlyStopping: false })
    const { bundle } = await pruneBundle(parent, 0.5, { train, validation }, { minGain: 0 })
    assert.equal(gbdtParts(bundle.model).trees.length, 20)
    // The kept trees are the parent's first 20, unchanged.
    assert.deepEqual(gbdtParts(bundle.model).trees[19]!.value, gbdtParts(parent.model).trees[19]!.value)
  })

  it('random forest auto keeps a prefix of the trees', async () => {
    const parent = await fitBundle('rf', train, { nEstimators: 60, threads: 1 })
    const { bundle } = await pruneBundle(parent, 'auto', { train, validation }, { tolerance: 0.01 })
    const n = forestArrays(bundle.model).nTrees
    assert.ok(n >= 1 && n < 60, `${n} trees`)
    const t = measureTradeoff(parent, bundle, test, { repeats: 10, rounds: 1 })
    assert.ok(t.metricDelta > -0.02)
    const again = ModelBundle.load(bundle.toBytes())
    assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
  })

  it('MLP: magnitude pruning keeps the mask through fine-tuning; structured pruning narrows layers', async () => {
    const parent = await fitBundle('mlp', train, { hiddenLayers: [64, 32], maxEpochs: 10 })
    const magnitude = await pruneBundle(parent, 0.5, { train, validation }, { epochs: 2 })
    assert.match(magnitude.changes[0]!, /sparsity 0\.5/)
    const structured = await pruneBundle(parent, 0.5, { train, validation }, { structured: true, epochs: 2 })
    assert.deepEqual(
      (structured.bundle.model as unknown as { params: { hiddenLayers: number[] } }).params.hiddenLayers,
      [32, 16],
    )
    for (const { bundle } of [magnitude, structured]) {
      const t = measureTradeoff(parent, bundle, test, { repeats: 10, rounds: 1 })
      assert.ok(t.metricDelta > -0.02, `AUC ${t.parent.metrics.roc_auc} -> ${t.child.metrics.roc_auc}`)
      const again = ModelBundle.load(bundle.toBytes())
      assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
    }
    assert.ok(structured.bundle.toBytes().length < parent.toBytes().length * 0.6)
  })
})
