import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import * as ort from 'onnxruntime-node'
import { Rng } from '../core/index.js'
import { type Dataset, datasetFromRecords } from '../data/index.js'
import type { TaskKind } from '../models/index.js'
import { fitFeatureEncoder, ModelBundle } from '../pipeline/index.js'
import { encodingFor, type ModelFamily, makeEstimator } from '../train/families.js'
import { describeFeatures } from '../train/stages/fit.js'
import { exportOnnx, OnnxExportError } from './onnx-export.js'

/** Set KEEL_EXPORT_DIR to keep every exported file (scripts/fixtures/check_onnx_exports.py reads them). */
const EXPORT_DIR = process.env.KEEL_EXPORT_DIR
const FIXTURES = join(import.meta.dirname, '../../test/fixtures/interop/onnx-export')
const FEATURES = ['income', 'ratio', 'visits', 'balance', 'member'] as const

/** Rows with realistic decimals, ~10% missing cells, a boolean column, and labels for each task. */
function makeRows(n: number, seed: number): { records: Record<string, unknown>[]; score: Float64Array } {
  const rng = new Rng(seed)
  const records: Record<string, unknown>[] = []
  const score = new Float64Array(n)
  const maybe = (v: number): number | null => (rng.next() < 0.1 ? null : v)
  for (let i = 0; i < n; i++) {
    const income = Math.round((50 + 15 * rng.normal()) * 100) / 100
    const ratio = Math.round(rng.next() * 1000) / 1000
    const visits = rng.int(20)
    const balance = Math.round(10_000 * rng.next() * 10) / 10
    const member = rng.next() < 0.4
    score[i] =
      0.06 * (income - 50) + 2 * (ratio - 0.5) + 0.1 * (visits - 10) + (member ? 0.8 : 0) + 0.5 * rng.normal()
    records.push({
      income: maybe(income),
      ratio: maybe(ratio),
      visits: maybe(visits),
      balance: maybe(balance),
      member: rng.next() < 0.05 ? null : member,
    })
  }
  return { records, score }
}

function targetOf(task: TaskKind, score: Float64Array): { y: Float64Array; classes: string[] } {
  if (task === 'regression') return { y: Float64Array.from(score, (s) => 100 + 20 * s), classes: [] }
  if (task === 'binary')
    return { y: Float64Array.from(score, (s) => (s > 0.2 ? 1 : 0)), classes: ['no', 'yes'] }
  return {
    y: Float64Array.from(score, (s) => (s < -0.5 ? 0 : s < 0.7 ? 1 : 2)),
    classes: ['low', 'mid', 'high'],
  }
}

const KINDS = {
  income: 'numeric',
  ratio: 'numeric',
  visits: 'numeric',
  balance: 'numeric',
  member: 'boolean',
} as const

/** Fits a bundle as `keel train` does (encoder for the family, estimator, bundle). */
async function fitBundle(
  family: ModelFamily,
  task: TaskKind,
  ds: Dataset,
  y: Float64Array,
  classes: string[],
  params: Record<string, unknown>,
  features: readonly string[] = FEATURES,
): Promise<ModelBundle> {
  const encoder = fitFeatureEncoder(ds, features, encodingFor(family))
  const x = encoder.encodeDataset(ds)
  const model = await makeEstimator(family, task, params, 7).fit(x, y, {
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    indicatorFeatures: encoder.indicatorOutputs,
  })
  return new ModelBundle({
    task,
    target: 'target',
    classes,
    features: describeFeatures(ds, features),
    encoder,
    model,
    threshold: 0.5,
    family,
  })
}

/** The rows as the ONNX input tensor: features in order, missing as NaN, booleans 0/1. */
function inputTensor(
  records: readonly Record<string, unknown>[],
  precision: 'float32' | 'float64',
): ort.Tensor {
  const p = FEATURES.length
  const data = new Float64Array(records.length * p)
  records.forEach((r, i) => {
    FEATURES.forEach((f, j) => {
      const v = r[f]
      data[i * p + j] = v === null || v === undefined ? Number.NaN : Number(v)
    })
  })
  return precision === 'float64'
    ? new ort.Tensor('float64', data, [records.length, p])
    : new ort.Tensor('float32', Float32Array.from(data), [records.length, p])
}

interface Case {
  readonly name: string
  readonly family: ModelFamily
  readonly task: TaskKind
  readonly params: Record<string, unknown>
}

const CASES: readonly Case[] = [
  { name: 'gbdt-binary', family: 'gbdt', task: 'binary', params: { nEstimators: 40, threads: 1 } },
  { name: 'gbdt-multiclass', family: 'gbdt', task: 'multiclass', params: { nEstimators: 20, threads: 1 } },
  { name: 'gbdt-regression', family: 'gbdt', task: 'regression', params: { nEstimators: 40, threads: 1 } },
  { name: 'rf-binary', family: 'rf', task: 'binary', params: { nEstimators: 15, threads: 1 } },
  { name: 'rf-multiclass', family: 'rf', task: 'multiclass', params: { nEstimators: 10, threads: 1 } },
  { name: 'rf-regression', family: 'rf', task: 'regression', params: { nEstimators: 15, threads: 1 } },
  { name: 'linear-binary', family: 'linear', task: 'binary', params: {} },
  { name: 'linear-multiclass', family: 'linear', task: 'multiclass', params: {} },
  { name: 'linear-regression', family: 'linear', task: 'regression', params: {} },
  {
    name: 'mlp-binary',
    family: 'mlp',
    task: 'binary',
    params: { hiddenLayers: [16, 8], maxEpochs: 15, threads: 1 },
  },
  {
    name: 'mlp-multiclass',
    family: 'mlp',
    task: 'multiclass',
    params: { hiddenLayers: [12], activation: 'gelu', batchNorm: false, maxEpochs: 15, threads: 1 },
  },
  {
    name: 'mlp-regression',
    family: 'mlp',
    task: 'regression',
    params: { hiddenLayers: [16], activation: 'gelu', maxEpochs: 15, threads: 1 },
  },
]

const train = makeRows(400, 1)
const trainDs = datasetFromRecords(train.records, KINDS)
const test = makeRows(300, 2)
// Infinities reach the graph too: the one-hot encoder reads them as missing, trees as huge values.
test.records[3]!.income = Number.POSITIVE_INFINITY
test.records[4]!.balance = Number.NEGATIVE_INFINITY

/** Scores the test rows with Keel and with onnxruntime; returns the worst error of the main output. */
async function checkParity(
  t: TestContext,
  c: Case,
  bundle: ModelBundle,
  precision: 'float32' | 'float64',
): Promise<number> {
  const exported = exportOnnx(bundle, { precision })
  assert.deepEqual(exported.featureNames, FEATURES)
  if (EXPORT_DIR !== undefined) {
    mkdirSync(EXPORT_DIR, { recursive: true })
    writeFileSync(join(EXPORT_DIR, `${c.name}-${precision}.onnx`), exported.bytes)
  }
  const session = await ort.InferenceSession.create(exported.bytes)
  assert.deepEqual(session.inputNames, [exported.inputName])
  const out = await session.run({ [exported.inputName]: inputTensor(test.records, precision) })
  const keel = bundle.predictRecords(test.records)
  const main = out[exported.outputName]!
  const got = main.data as Float32Array
  const n = test.records.length
  let worst = 0
  let worstAbsolute = 0
  if (c.task === 'regression') {
    assert.equal(exported.outputName, 'value')
    assert.deepEqual(main.dims, [n, 1])
    keel.labels.forEach((v, i) => {
      // float32 output: the error scales with the value (about 1e-7 relative)
      const err = Math.abs(got[i]! - Number(v))
      worstAbsolute = Math.max(worstAbsolute, err)
      worst = Math.max(worst, err / Math.max(1, Math.abs(Number(v))))
    })
  } else if (c.task === 'binary') {
    assert.equal(exported.outputName, 'probability')
    assert.deepEqual(main.dims, [n, 1])
    keel.positive!.forEach((p, i) => {
      worst = Math.max(worst, Math.abs(got[i]! - p))
    })
  } else {
    assert.equal(exported.outputName, 'probabilities')
    assert.deepEqual(main.dims, [n, 3])
    keel.proba!.data.forEach((p, i) => {
      worst = Math.max(worst, Math.abs(got[i]! - p))
    })
  }
  if (c.task !== 'regression') {
    const labels = out.label!.data as string[]
    assert.equal(labels.length, n)
    const mismatched = labels.filter((l, i) => l !== keel.labels[i]).length
    // A label can differ only where the probability sits within rounding of the threshold/tie.
    assert.ok(mismatched <= 0, `${mismatched} labels differ`)
  }
  t.diagnostic(
    `${c.name} ${precision}: worst ${c.task === 'regression' ? `relative error ${worst.toExponential(2)} (absolute ${worstAbsolute.toExponential(2)})` : `absolute error ${worst.toExponential(2)}`}`,
  )
  return worst
}

describe('exportOnnx', () => {
  for (const c of CASES) {
    it(`${c.name}: onnxruntime reproduces keel predict within 1e-5`, async (t) => {
      const { y, classes } = targetOf(c.task, train.score)
      const bundle = await fitBundle(c.family, c.task, trainDs, y, classes, c.params)
      const worst32 = await checkParity(t, c, bundle, 'float32')
      assert.ok(worst32 <= 1e-5, `float32 graph: worst error ${worst32}`)
      const worst64 = await checkParity(t, c, bundle, 'float64')
      assert.ok(worst64 <= 1e-5, `float64 graph: worst error ${worst64}`)
    })
  }

  it('refuses categorical features, naming them', async () => {
    const records = train.records.map((r, i) => ({ ...r, city: ['Oslo', 'Paris', 'Rome'][i % 3] }))
    const ds = datasetFromRecords(records, { ...KINDS, city: 'categorical' })
    const { y, classes } = targetOf('binary', train.score)
    const bundle = await fitBundle('gbdt', 'binary', ds, y, classes, { nEstimators: 3, threads: 1 }, [
      ...FEATURES,
      'city',
    ])
    assert.throws(
      () => exportOnnx(bundle),
      (error: unknown) =>
        error instanceof OnnxExportError &&
        error.problem === 'EXPORT_UNSUPPORTED' &&
        /'city' \(categorical\)/.test(error.message) &&
        !/income/.test(error.message),
    )
  })

  it('refuses model kinds without an ONNX form (the baseline)', async () => {
    const { y, classes } = targetOf('binary', train.score)
    const bundle = await fitBundle('baseline', 'binary', trainDs, y, classes, {})
    assert.throws(
      () => exportOnnx(bundle),
      (error: unknown) =>
        error instanceof OnnxExportError &&
        error.problem === 'EXPORT_UNSUPPORTED' &&
        /baseline/.test(error.message),
    )
  })

  it('writes the bundle facts into the model metadata and the notes', async () => {
    const { y, classes } = targetOf('binary', train.score)
    const bundle = await fitBundle('linear', 'binary', trainDs, y, classes, {})
    const exported = exportOnnx(bundle)
    const text = Buffer.from(exported.bytes).toString('latin1')
    assert.match(text, /keel\.features/)
    assert.match(text, /\["income","ratio","visits","balance","member"\]/)
    assert.ok(exported.notes.some((n) => n.includes('P(yes)')))
    assert.ok(exported.notes.some((n) => n.includes('median')))
  })

  it('the committed sample exports run in onnxruntime with the documented outputs', async () => {
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.onnx'))
    assert.ok(files.length >= 4)
    for (const file of files) {
      const session = await ort.InferenceSession.create(readFileSync(join(FIXTURES, file)))
      const double = file.includes('float64')
      const row = [52.5, Number.NaN, 4, 1200.5, 1]
      const input = double
        ? new ort.Tensor('float64', Float64Array.from(row), [1, 5])
        : new ort.Tensor('float32', Float32Array.from(row), [1, 5])
      const out = await session.run({ input })
      const main = out.probability ?? out.probabilities ?? out.value
      assert.ok(main !== undefined, file)
      for (const v of main.data as Float32Array) assert.ok(Number.isFinite(v), file)
      if (out.probabilities !== undefined) {
        const sum = (out.probabilities.data as Float32Array).reduce((a, b) => a + b, 0)
        assert.ok(Math.abs(sum - 1) < 1e-6, file)
      }
    }
  })
})
