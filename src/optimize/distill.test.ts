import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { ModelBundle } from '../pipeline/index.js'
import { distillBundle, measureTradeoff } from './index.js'
import { fitBundle, rowRange, syntheticData } from './test-data.js'
import { gbdtParts } from './trees.js'

const ds = syntheticData(5000, 2)
const train = rowRange(ds, 0, 3000)
const test = rowRange(ds, 4000, 5000)

describe('distillBundle', () => {
  it('distils a 200-tree GBDT into a 20-tree GBDT within 0.005 AUC', async () => {
    const teacher = await fitBundle('gbdt', train, {
      nEstimators: 200,
      learningRate: 0.05,
      earlyStopping: false,
    })
    const { bundle, method } = await distillBundle(teacher, train, { student: 'gbdt', trees: 20, seed: 1 })
    assert.equal(method, 'distill:gbdt')
    assert.equal(bundle.model.kind, 'gbdt-classifier')
    const teacherTrees = gbdtParts(teacher.model).trees.length
    const studentTrees = gbdtParts(bundle.model).trees.length
    assert.ok(studentTrees * 10 <= teacherTrees, `${studentTrees} vs ${teacherTrees} trees`)
    const t = measureTradeoff(teacher, bundle, test, { repeats: 20, rounds: 1 })
    assert.ok(
      Math.abs(t.metricDelta) <= 0.005,
      `AUC ${t.parent.metrics.roc_auc} -> ${t.child.metrics.roc_auc}`,
    )
    assert.ok(t.sizeReduction > 5)
    // Round trip: the stored artifact predicts identically.
    const again = ModelBundle.load(bundle.toBytes())
    assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
  })

  it('trains linear and MLP students on soft labels, from an ensemble teacher too', async () => {
    const small = rowRange(ds, 0, 1200)
    const a = await fitBundle('gbdt', small, { nEstimators: 40, earlyStopping: false })
    const b = await fitBundle('rf', small, { nEstimators: 20, threads: 1 })
    for (const student of ['linear', 'mlp'] as const) {
      const { bundle } = await distillBundle([a, b], small, {
        student,
        seed: 3,
        neighbours: 1,
        ...(student === 'mlp' ? { params: { maxEpochs: 15 } } : {}),
      })
      assert.equal(bundle.family, student)
      assert.deepEqual(bundle.classes, a.classes)
      const t = measureTradeoff(a, bundle, test, { repeats: 10, rounds: 1 })
      // A useful model of the teacher: far above chance.
      assert.ok(t.child.metrics.roc_auc! > 0.75, `${student}: AUC ${t.child.metrics.roc_auc}`)
      const again = ModelBundle.load(bundle.toBytes())
      assert.deepEqual(again.predictDataset(test).positive, bundle.predictDataset(test).positive)
    }
  })

  it('distils a regressor and rejects teachers that disagree', async () => {
    const reg = syntheticData(1200, 4, { task: 'regression' })
    const teacher = await fitBundle('gbdt', reg, { nEstimators: 60, earlyStopping: false }, 'regression')
    const { bundle } = await distillBundle(teacher, reg, { student: 'gbdt', trees: 6, neighbours: 1 })
    assert.equal(bundle.model.kind, 'gbdt-regressor')
    assert.equal(gbdtParts(bundle.model).trees.length, 6)
    const binary = await fitBundle('linear', rowRange(ds, 0, 500))
    await assert.rejects(distillBundle([teacher, binary], reg, { student: 'linear' }), /share the task/)
  })
})
