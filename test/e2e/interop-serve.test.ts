// Models trained elsewhere and slimmed-down versions, as a user meets them: `keel import` (XGBoost
// JSON, LightGBM text, an ONNX graph from PyTorch), `keel optimize`, `keel export`, then `keel serve`
// answering each (predictions equal to the producer's, explanations where the kind allows) and
// `keel monitor drift` judging their traffic against the reference profile the import recorded.
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Rng } from '../../src/core/index.js'
import { runCli } from '../helpers/cli.js'
import { type ServeProcess, startServe, stopServe } from './faults-registry-helpers.js'

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'interop')
const XGB = join(FIXTURES, 'xgboost', 'binary_missing')
const ONNX = join(FIXTURES, 'onnx', 'mlp_binary')
const LGB = join(FIXTURES, 'lightgbm')

type Json = Record<string, unknown>

/** A CSV as header + rows of raw cells. */
function readCsv(path: string): { header: string[]; rows: string[][] } {
  const lines = readFileSync(path, 'utf8').trim().split('\n')
  return { header: lines[0]!.split(','), rows: lines.slice(1).map((l) => l.split(',')) }
}

function writeCsv(
  path: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  writeFileSync(path, `${[header.join(','), ...rows.map((r) => r.join(','))].join('\n')}\n`)
}

/** A row of a fixture CSV as a request body's features (empty cells are missing: null). */
function features(header: readonly string[], row: readonly string[]): Json {
  return Object.fromEntries(
    header.map((h, i) => [h, row[i] === '' || row[i] === 'nan' ? null : Number(row[i])]),
  )
}

async function keel(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCli(args, { cwd, timeoutMs: 240_000 })
}

async function keelJson(args: readonly string[], cwd: string): Promise<Json> {
  const r = await keel([...args, '--json'], cwd)
  assert.equal(r.code, 0, `keel ${args.join(' ')}: ${r.stderr}`)
  return JSON.parse(r.stdout) as Json
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

describe('imported and optimized models through the CLI and keel serve', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-interop-'))
  const xgbTest = readCsv(join(XGB, 'test.csv'))
  const xgbExpected = readCsv(join(XGB, 'expected.csv')).rows.map((r) => Number(r[0]))
  const onnxTest = readCsv(join(ONNX, 'test.csv'))
  const onnxExpected = readCsv(join(ONNX, 'expected.csv')).rows.map((r) => Number(r[0]))
  let server: ServeProcess | undefined

  before(async () => {
    // Samples with a label column, as a user would pass their validation data.
    writeCsv(
      join(dir, 'bc-sample.csv'),
      [...xgbTest.header, 'label'],
      xgbTest.rows.map((r, i) => [...r, xgbExpected[i]! >= 0.5 ? 1 : 0]),
    )
    writeCsv(
      join(dir, 'onnx-sample.csv'),
      [...onnxTest.header, 'label'],
      onnxTest.rows.map((r, i) => [...r, onnxExpected[i]! >= 0.5 ? 1 : 0]),
    )
    // Numeric data with a planted signal, for a Keel model to optimize and export.
    const rng = new Rng(11)
    const syn: number[][] = []
    for (let i = 0; i < 900; i++) {
      const x = Array.from({ length: 6 }, () => rng.normal())
      const z = 1.5 * x[0]! - x[1]! + 0.8 * x[2]! * x[3]! + 0.5 * rng.normal()
      syn.push([...x.map((v) => Number(v.toFixed(5))), z > 0 ? 1 : 0])
    }
    writeCsv(join(dir, 'syn.csv'), ['x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'y'], syn)
  })

  after(async () => {
    if (server !== undefined) await stopServe(server)
  })

  test('keel import: XGBoost JSON, an ONNX graph and a LightGBM text model become versions', async () => {
    const xgb = await keelJson(
      ['import', join(XGB, 'model.json'), '--name', 'bcx', '--schema', 'bc-sample.csv', '--target', 'label'],
      dir,
    )
    assert.equal(xgb.model, 'bcx@1')
    assert.equal(xgb.format, 'xgboost')
    assert.match(String(xgb.producer), /^xgboost 1\.7/)
    assert.equal((xgb.features as unknown[]).length, 30)
    assert.deepEqual(xgb.classes, ['0', '1'])
    // The labels are the producer's own decisions, so a faithful import ranks them perfectly.
    assert.equal((xgb.metrics as Json).roc_auc, 1)

    const onnx = await keelJson(
      [
        'import',
        join(ONNX, 'model.onnx'),
        '--name',
        'bco',
        '--schema',
        'onnx-sample.csv',
        '--target',
        'label',
        '--task',
        'binary',
        '--logits',
      ],
      dir,
    )
    assert.equal(onnx.format, 'onnx')
    assert.match(String(onnx.producer), /pytorch/)
    assert.equal((onnx.metrics as Json).roc_auc, 1)

    const lgb = await keelJson(
      [
        'import',
        join(LGB, 'credit_data.model.txt'),
        '--name',
        'credit',
        '--schema',
        join(LGB, 'credit_data.csv'),
        '--target',
        'label',
      ],
      dir,
    )
    assert.equal(lgb.format, 'lightgbm')
    assert.ok(((lgb.metrics as Json).roc_auc as number) > 0.8, JSON.stringify(lgb.metrics))

    // The card says where the version came from: format, producer and the file's hash.
    const card = await keel(['models', 'card', 'bcx@1'], dir)
    assert.equal(card.code, 0, card.stderr)
    assert.match(card.stdout, /## Origin/)
    assert.match(card.stdout, new RegExp(String(xgb.sha256)))

    // Mistakes a user makes get a named error, not a stack trace.
    const wrongTarget = await keel(
      ['import', join(XGB, 'model.json'), '--name', 'bad', '--schema', 'bc-sample.csv', '--target', 'nope'],
      dir,
    )
    assert.equal(wrongTarget.code, 2)
    assert.match(wrongTarget.stderr, /IMPORT_SCHEMA_MISMATCH.*'nope'/)
    const labelAsFeature = await keel(
      ['import', join(XGB, 'model.json'), '--name', 'bad', '--schema', 'bc-sample.csv'],
      dir,
    )
    assert.equal(labelAsFeature.code, 2)
    assert.match(labelAsFeature.stderr, /IMPORT_SCHEMA_MISMATCH.*30 input columns.*31 feature columns/)
    const noTask = await keel(
      [
        'import',
        join(ONNX, 'model.onnx'),
        '--name',
        'bad',
        '--schema',
        'onnx-sample.csv',
        '--target',
        'label',
      ],
      dir,
    )
    assert.equal(noTask.code, 2)
    assert.match(noTask.stderr, /--task|task/)
    const notAModel = await keel(['import', join(dir, 'syn.csv'), '--name', 'bad'], dir)
    assert.equal(notAModel.code, 2, notAModel.stderr)
  })

  test('keel optimize and keel export on a Keel model', async () => {
    const trained = await keelJson(
      ['train', '--data', 'syn.csv', '--target', 'y', '--model', 'gbdt', '--seed', '7', '--name', 'syn'],
      dir,
    )
    assert.equal(trained.model, 'syn@1')
    const child = await keelJson(['optimize', 'syn@1', '--distill', '--student', 'gbdt', '--trees', '8'], dir)
    assert.equal(child.model, 'syn@2')
    assert.equal(child.parent, 'syn@1')
    const t = child.tradeoff as { parent: Json; child: Json; primaryMetric: string }
    assert.equal(t.primaryMetric, 'roc_auc')
    assert.ok((t.child.sizeBytes as number) < (t.parent.sizeBytes as number))
    const show = await keel(['models', 'show', 'syn@2'], dir)
    assert.match(show.stdout, /parent\s+syn@1 \(distill:gbdt\)/)
    assert.match(show.stdout, /TRADE-OFF/)
    assert.match(show.stdout, /artifact bytes/)

    const exported = await keelJson(['export', 'syn@1', '--format', 'onnx', '--output', 'syn.onnx'], dir)
    assert.equal(exported.outputName, 'probability')
    assert.deepEqual(exported.features, ['x1', 'x2', 'x3', 'x4', 'x5', 'x6'])
    // The exported graph answers what keel predict writes.
    const predicted = await keel(
      ['predict', '--model', 'syn@1', '--input', 'syn.csv', '--output', 'pred.csv'],
      dir,
    )
    assert.equal(predicted.code, 0, predicted.stderr)
    const pred = readCsv(join(dir, 'pred.csv'))
    const pCol = pred.header.indexOf('probability')
    const ort = await import('onnxruntime-node')
    const session = await ort.InferenceSession.create(readFileSync(join(dir, 'syn.onnx')))
    const syn = readCsv(join(dir, 'syn.csv'))
    const x = Float32Array.from(syn.rows.flatMap((r) => r.slice(0, 6).map(Number)))
    const out = await session.run({ input: new ort.Tensor('float32', x, [syn.rows.length, 6]) })
    const p = out.probability!.data as Float32Array
    let worst = 0
    for (let i = 0; i < syn.rows.length; i++)
      worst = Math.max(worst, Math.abs(p[i]! - Number(pred.rows[i]![pCol])))
    assert.ok(worst <= 1e-5, `ONNX export differs from keel predict by ${worst}`)
    await session.release()

    const quantizedTree = await keel(['optimize', 'syn@1', '--quantize', 'int8', '--prune', '0.5'], dir)
    assert.equal(quantizedTree.code, 2)
    assert.match(quantizedTree.stderr, /CLI_USAGE.*exactly one/)
  })

  test('keel serve answers imported and optimized versions; explanations where the kind allows', async () => {
    server = await startServe(['--models', 'bcx,bco,credit,syn@2'], { cwd: dir, env: {} })
    const base = server.base
    for (let i = 0; i < 5; i++) {
      const res = await post(`${base}/v1/models/bcx/predict`, {
        features: features(xgbTest.header, xgbTest.rows[i]!),
      })
      assert.equal(res.status, 200, JSON.stringify(res.body))
      const p = (res.body.probabilities as Record<string, number>)['1']!
      assert.ok(Math.abs(p - xgbExpected[i]!) <= 1e-6, `row ${i}: ${p} vs XGBoost ${xgbExpected[i]}`)
    }
    const explained = await post(`${base}/v1/models/bcx/predict?explain=true&top=3`, {
      features: features(xgbTest.header, xgbTest.rows[0]!),
    })
    assert.equal(explained.status, 200, JSON.stringify(explained.body))
    assert.equal((explained.body.explanation as unknown[]).length, 3)

    const onnxRes = await post(`${base}/v1/models/bco/predict`, {
      rows: onnxTest.rows.slice(0, 20).map((r) => features(onnxTest.header, r)),
    })
    assert.equal(onnxRes.status, 200, JSON.stringify(onnxRes.body))
    const onnxPreds = onnxRes.body.predictions as { probabilities: Record<string, number> }[]
    onnxPreds.forEach((pr, i) => {
      assert.ok(Math.abs(pr.probabilities['1']! - onnxExpected[i]!) <= 1e-5, `onnx row ${i}`)
    })
    const noExplain = await post(`${base}/v1/models/bco/predict?explain=true`, {
      features: features(onnxTest.header, onnxTest.rows[0]!),
    })
    assert.equal(noExplain.status, 422)
    assert.equal((noExplain.body.error as Json).code, 'SERVE_EXPLAIN_UNSUPPORTED')
    // Requests are validated against the imported schema like any model's.
    const bad = await post(`${base}/v1/models/bcx/predict`, { features: { f0: 'abc' } })
    assert.equal(bad.status, 422)

    const synRes = await post(`${base}/v1/models/syn/predict?explain=true`, {
      features: { x1: 1, x2: -1, x3: 0.5, x4: 0.5, x5: 0, x6: 0 },
    })
    assert.equal(synRes.status, 200, JSON.stringify(synRes.body))
    assert.equal(synRes.body.version, 2)

    // Drifted traffic for the imported model: its strongest inputs scaled up.
    const shifted = xgbTest.rows.slice(0, 150).map((r) => {
      const f = features(xgbTest.header, r)
      for (const k of Object.keys(f)) if (typeof f[k] === 'number') f[k] = (f[k] as number) * 3
      return f
    })
    for (let i = 0; i < shifted.length; i += 50) {
      const res = await post(`${base}/v1/models/bcx/predict`, { rows: shifted.slice(i, i + 50) })
      assert.equal(res.status, 200)
    }
    assert.equal(await stopServe(server), 0)
    server = undefined
  })

  test('keel monitor drift judges an imported model against the profile its import recorded', async () => {
    const same = await keel(
      ['monitor', 'drift', '--model', 'bcx', '--current', 'bc-sample.csv', '--json'],
      dir,
    )
    assert.equal(same.code, 0, same.stderr)
    assert.equal((JSON.parse(same.stdout) as Json).verdict, 'no_drift')
    const served = await keel(['monitor', 'drift', '--model', 'bcx', '--last', '150', '--json'], dir)
    assert.equal(served.code, 1, served.stderr)
    assert.equal((JSON.parse(served.stdout) as Json).verdict, 'drift')
  })
})
