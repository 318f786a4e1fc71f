import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { loadDataset } from '../../src/data/index.js'
import { openRegistry } from '../../src/registry/index.js'
import { buildChurnFeatures, ModelBundle, makeChurnData } from '../../src/train/index.js'
import { runCli } from '../helpers/cli.js'

test('task file -> keel train -> runs show -> models promote -> predict churn@production = in-process model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-train-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  const raw = makeChurnData(dir, { customers: 1200, seed: 3 })
  await buildChurnFeatures(raw, join(dir, 'churn.csv'))
  writeFileSync(
    join(dir, 'keel.yaml'),
    [
      'task: binary',
      'data: churn.csv',
      'target: churned',
      'id: customer_id',
      'positive_class: "yes"',
      'metrics: [roc_auc, log_loss]',
      'constraints: {latency_ms: 100, model_size_mb: 50, interpretability: required}',
      'split: {kind: stratified, test_size: 0.25, seed: 7, folds: 3}',
      '',
    ].join('\n'),
  )

  const train = await runCli(['train', '--model', 'gbdt', '--name', 'churn', '--json'], { cwd: dir, env })
  assert.equal(train.code, 0, train.stderr)
  const result = JSON.parse(train.stdout) as {
    model: string
    runId: string
    fitSeconds: number
    version: number
    metrics: { train: Record<string, number>; test: Record<string, number> }
    baseline: { test: Record<string, number> }
    constraints: { name: string; passed: boolean }[]
  }
  assert.equal(result.model, 'churn@1')
  assert.ok(result.fitSeconds > 0)
  assert.ok(result.metrics.test.roc_auc! > 0.7, `test AUC ${result.metrics.test.roc_auc}`)
  assert.ok(result.metrics.test.roc_auc! > result.baseline.test.roc_auc!)
  assert.deepEqual(
    result.constraints.map((c) => [c.name, c.passed]),
    [
      ['latency_ms', true],
      ['model_size_mb', true],
      ['interpretability', true],
    ],
  )

  const show = await runCli(['runs', 'show', result.runId, '--json'], { cwd: dir, env })
  assert.equal(show.code, 0, show.stderr)
  const run = JSON.parse(show.stdout) as {
    id: string
    metrics: Record<string, number>
    datasetFingerprint: string
  }
  assert.equal(run.id, result.runId)
  assert.equal(run.metrics.roc_auc, result.metrics.test.roc_auc)
  assert.ok(run.datasetFingerprint.length > 10)

  const promote = await runCli(['models', 'promote', 'churn', '1', '--to', 'production'], { cwd: dir, env })
  assert.equal(promote.code, 0, promote.stderr)

  const out = join(dir, 'pred.csv')
  const predict = await runCli(
    ['predict', '--model', 'churn@production', '--input', 'churn.csv', '--output', out],
    { cwd: dir, env },
  )
  assert.equal(predict.code, 0, predict.stderr)
  const lines = readFileSync(out, 'utf8').trim().split('\n')
  const header = lines[0]!.split(',')
  const probIndex = header.indexOf('probability')
  assert.ok(probIndex > 0 && header.includes('prediction'))
  assert.equal(lines.length - 1, 1200)

  // The same model loaded in-process gives identical probabilities, row for row.
  process.env.KEEL_HOME = env.KEEL_HOME
  const registry = await openRegistry(`sqlite:${join(env.KEEL_HOME, 'keel.db')}`)
  const loaded = await registry.loadArtifact('churn@production')
  await registry.close()
  const bundle = ModelBundle.load(loaded.bytes)
  const expected = bundle.predictDataset(await loadDataset(join(dir, 'churn.csv'))).positive!
  lines.slice(1).forEach((line, i) => {
    assert.equal(Number(line.split(',')[probIndex]), expected[i], `row ${i}`)
  })
})

test('keel train reports bad input as one clear line with exit 2', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-bad-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  writeFileSync(join(dir, 'one-class.csv'), 'a,b,y\n1,2,x\n3,4,x\n5,6,x\n')
  const missing = await runCli(['train', '--data', 'nope.csv', '--target', 'y'], { cwd: dir, env })
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /nope\.csv/)
  assert.doesNotMatch(missing.stderr, /at .*\.ts:\d+/)
  const noTarget = await runCli(['train', '--data', 'one-class.csv', '--target', 'zzz'], { cwd: dir, env })
  assert.equal(noTarget.code, 2)
  assert.match(noTarget.stderr, /zzz/)
  const oneClass = await runCli(['train', '--data', 'one-class.csv', '--target', 'y', '--task', 'binary'], {
    cwd: dir,
    env,
  })
  assert.equal(oneClass.code, 2)
  assert.match(oneClass.stderr, /TARGET_UNUSABLE/)
})
