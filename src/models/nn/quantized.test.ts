import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { artifactFromBytes, artifactToBytes, type Matrix, Rng } from '../../core/index.js'
import { isClassifier } from '../estimator.js'
import { loadModel } from '../load.js'
import {
  fromFloat16Bits,
  MLPClassifier,
  MLPRegressor,
  pruneMlp,
  quantizeMlp,
  toFloat16Bits,
} from './index.js'

/** A nonlinear binary problem: n rows, p standard-normal features. */
function problem(n: number, p: number, seed: number): { x: Matrix; y: Float64Array; value: Float64Array } {
  const rng = new Rng(seed)
  const data = new Float64Array(n * p)
  const y = new Float64Array(n)
  const value = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) data[i * p + j] = rng.normal()
    const r = (j: number) => data[i * p + j]!
    const s = 1.2 * r(0) - r(1) * r(2) + Math.sin(2 * r(3)) + 0.5 * r(4) * r(4) - 0.5
    value[i] = s
    y[i] = rng.next() < 1 / (1 + Math.exp(-2 * s)) ? 1 : 0
  }
  return { x: { rows: n, cols: p, data }, y, value }
}

function rows(m: Matrix, from: number, to: number): Matrix {
  return { rows: to - from, cols: m.cols, data: m.data.subarray(from * m.cols, to * m.cols) }
}

/** Rank AUC of scores against 0/1 labels. */
function auc(y: Float64Array, s: Float64Array): number {
  const idx = Array.from(y, (_, i) => i).sort((a, b) => s[a]! - s[b]!)
  let rankSum = 0
  let pos = 0
  idx.forEach((i, r) => {
    if (y[i] === 1) {
      rankSum += r + 1
      pos++
    }
  })
  const neg = y.length - pos
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

function roundTrip(a: ReturnType<typeof quantizeMlp>) {
  return loadModel(artifactFromBytes(artifactToBytes(a.toArtifact())))
}

describe('float16 conversion', () => {
  it('rounds to nearest even and keeps specials', () => {
    for (const [v, bits] of [
      [0, 0],
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [1e6, 0x7c00],
      [2 ** -24, 0x0001],
      [1 + 2 ** -11, 0x3c00], // halfway: ties to even
      [1 + 3 * 2 ** -11, 0x3c02],
    ] as const)
      assert.equal(toFloat16Bits(v), bits, String(v))
    assert.ok(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN))))
    for (const v of [0.1, -3.75, 1234.5, 6e-5])
      assert.ok(Math.abs(fromFloat16Bits(toFloat16Bits(v)) - v) <= Math.abs(v) * 2 ** -11)
  })
})

describe('quantizeMlp', () => {
  const { x, y, value } = problem(3000, 20, 3)
  const train = rows(x, 0, 2200)
  const test = rows(x, 2200, 3000)
  const yTest = y.subarray(2200)

  it('int8: >= 3.5x smaller artifact, AUC within 0.002, identical after a byte round trip', async () => {
    const model = await new MLPClassifier({ hiddenLayers: [128, 64], maxEpochs: 10, seed: 1 }).fit(
      train,
      y.subarray(0, 2200),
    )
    const q = quantizeMlp(model, 'int8')
    assert.equal(q.kind, 'mlp-classifier-int8')
    const ratio = artifactToBytes(model.toArtifact()).length / artifactToBytes(q.toArtifact()).length
    assert.ok(ratio >= 3.5, `ratio ${ratio}`)
    const pos = (m: { predictProba(x: Matrix): Matrix }) => {
      const p = m.predictProba(test)
      return Float64Array.from({ length: test.rows }, (_, i) => p.data[2 * i + 1]!)
    }
    const a = auc(yTest, pos(model))
    const b = auc(yTest, pos(q))
    assert.ok(Math.abs(a - b) <= 0.002, `AUC ${a} -> ${b}`)
    const loaded = roundTrip(q)
    assert.ok(isClassifier(loaded))
    assert.deepEqual(loaded.predictProba(test), q.predictProba(test))
  })

  it('float16 regressor: close to the float model, identical after a round trip', async () => {
    const model = await new MLPRegressor({ hiddenLayers: [32], maxEpochs: 10, seed: 2 }).fit(
      train,
      value.subarray(0, 2200),
    )
    const q = quantizeMlp(model, 'float16')
    assert.equal(q.kind, 'mlp-regressor-f16')
    const a = model.predict(test)
    const b = q.predict(test)
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) < 0.01)
    assert.deepEqual(roundTrip(q).predict(test), b)
  })

  it('rejects models that are not float MLPs', async () => {
    const model = await new MLPClassifier({ hiddenLayers: [8], maxEpochs: 2 }).fit(
      rows(x, 0, 200),
      y.subarray(0, 200),
    )
    const q = quantizeMlp(model, 'int8')
    assert.throws(() => quantizeMlp(q, 'int8'), /mlp-classifier-int8/)
  })
})

describe('pruneMlp', () => {
  const { x, y } = problem(1500, 8, 5)
  it('magnitude: the pruned weights stay zero after fine-tuning', async () => {
    const model = await new MLPClassifier({ hiddenLayers: [32, 16], maxEpochs: 5, seed: 1 }).fit(x, y)
    const r = await pruneMlp(model, {
      amount: 0.6,
      x,
      y,
      epochs: 2,
      validation: { x: rows(x, 0, 300), y: y.subarray(0, 300) },
    })
    assert.ok(r.sparsity >= 0.59 && r.sparsity < 0.7, `sparsity ${r.sparsity}`)
    // Quantizing keeps exact zeros, so the sparsity survives int8 too.
    const state = quantizeMlp(r.model, 'int8').toArtifact().state as {
      layers: { weight: { length: number } }[]
    }
    assert.equal(state.layers.length, 3)
  })

  it('structured: removes neurons and still predicts', async () => {
    const model = await new MLPClassifier({
      hiddenLayers: [32, 16],
      maxEpochs: 5,
      seed: 1,
      batchNorm: false,
    }).fit(x, y)
    const r = await pruneMlp(model, { amount: 0.5, structured: true, x, y, epochs: 1 })
    assert.deepEqual(r.hiddenLayers, [16, 8])
    assert.ok(isClassifier(r.model) && r.model.predictProba(x).rows === x.rows)
    await assert.rejects(pruneMlp(model, { amount: 1, x, y }), /\[0, 1\)/)
  })
})
