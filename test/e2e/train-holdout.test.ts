import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { runCli } from '../helpers/cli.js'

// Everything this test writes goes to a temp store (set before any Keel module reads it).
const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-train-holdout-'))
process.env.KEEL_HOME = join(dir, '.keel')
process.env.KEEL_DATABASE_URL = ''
const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }

const { openRegistry } = await import('../../src/registry/index.js')
const { openTrackingStore } = await import('../../src/track/index.js')
const { buildChurnFeatures, makeChurnData, REPORT_DATA_ARTIFACT } = await import('../../src/train/index.js')

type Profile = { metricsSplit?: string; metrics?: Record<string, number> }

/** The monitoring reference profile recorded with a run (read as stored, without loading the model). */
async function profileOf(runId: string): Promise<Profile> {
  const store = await openTrackingStore()
  try {
    return JSON.parse(
      Buffer.from(await store.getArtifact(runId, 'reference-profile.json')).toString('utf8'),
    ) as Profile
  } finally {
    await store.close()
  }
}

interface TrainJson {
  runId: string
  model: string
  trainRows: number
  testRows: number
  metrics: { train: Record<string, number>; test?: Record<string, number> }
  cv?: { metric: string; mean: number; folds: number }
  improvementSplit: string
}

const DATA = join(dir, 'churn.csv')
const TRAIN = ['train', '--data', DATA, '--target', 'churned', '--model', 'gbdt']
const QUICK = ['--params', '{"nEstimators":30}', '--folds', '2']
const RUN_TIMEOUT_MS = 300_000

describe('keel train evaluates on a held-out part by default, without a task file', () => {
  let rows = 0
  before(async () => {
    await buildChurnFeatures(makeChurnData(join(dir, 'raw'), { customers: 1000, seed: 4 }), DATA)
    rows = readFileSync(DATA, 'utf8').trim().split('\n').length - 1
  })

  test('default: 20 % stratified test part, plain metric names hold test scores only', async () => {
    const r = await runCli([...TRAIN, ...QUICK, '--name', 'held', '--json'], {
      cwd: dir,
      env,
      timeoutMs: RUN_TIMEOUT_MS,
    })
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as TrainJson
    assert.equal(out.testRows, Math.round(rows * 0.2))
    assert.equal(out.trainRows + out.testRows, rows)
    assert.ok(out.metrics.test?.roc_auc !== undefined, 'metrics.test is reported')
    assert.equal(out.improvementSplit, 'test')

    const store = await openTrackingStore()
    try {
      const run = await store.getRun(out.runId)
      assert.equal(run.metrics.roc_auc, out.metrics.test!.roc_auc, 'plain name = test score')
      assert.equal(run.metrics.test_roc_auc, out.metrics.test!.roc_auc)
      assert.equal(run.metrics.train_roc_auc, out.metrics.train.roc_auc)
      assert.equal(run.params.testSize, 0.2)
      assert.equal(run.tags.primary_metric, 'roc_auc')
      // The run's duration covers training (fit included), not only the bookkeeping after it.
      assert.ok(run.durationMs! >= 0.95 * run.timingsMs.total!, `${run.durationMs} vs ${run.timingsMs.total}`)
      // Stratified: the test part keeps the class share of the data.
      const report = JSON.parse(
        Buffer.from(await store.getArtifact(out.runId, REPORT_DATA_ARTIFACT)).toString('utf8'),
      ) as { data: { splits: Record<string, number>; classBalance: Record<string, number> } }
      assert.deepEqual(report.data.splits, { train: out.trainRows, test: out.testRows })
    } finally {
      await store.close()
    }
    const profile = await profileOf(out.runId)
    assert.equal(profile.metricsSplit, 'test')
    assert.equal(profile.metrics?.roc_auc, out.metrics.test!.roc_auc)
  })

  test('--test-size 0: training scores only as train_*, the cross-validated score as the honest one', async () => {
    const r = await runCli(
      [...TRAIN, ...QUICK, '--name', 'all', '--test-size', '0', '--report', join(dir, 'all.html')],
      { cwd: dir, env, timeoutMs: RUN_TIMEOUT_MS },
    )
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /Metrics on the training part \(optimistic: nothing held out\): train_roc_auc=/)
    assert.doesNotMatch(r.stdout, /(^|\s)roc_auc=/m, 'no training score under the plain name')
    assert.match(r.stdout, /Cross-validated roc_auc of gbdt \(2 folds of the training part\): 0\.\d{4}/)
    assert.doesNotMatch(r.stdout, /Beats the baseline/)

    const runId = /Run ([0-9a-f]{32})/.exec(r.stdout)![1]!
    const store = await openTrackingStore()
    try {
      const run = await store.getRun(runId)
      assert.equal(run.metrics.roc_auc, undefined)
      assert.equal(run.metrics.test_roc_auc, undefined)
      assert.ok(run.metrics.train_roc_auc !== undefined)
      assert.ok(run.metrics.cv_roc_auc !== undefined && run.metrics.cv_roc_auc < run.metrics.train_roc_auc!)
    } finally {
      await store.close()
    }
    const html = readFileSync(join(dir, 'all.html'), 'utf8')
    assert.doesNotMatch(html, /evaluated: /, 'the splits list disjoint parts only')
    assert.match(html, /most confident wrong predictions on the training part/)
    assert.match(html, /train_roc_auc/)
    assert.doesNotMatch(html, /95% CI/, 'no bootstrap interval over training rows')

    const registry = await openRegistry()
    try {
      const version = await registry.getVersion('all@1')
      const profile = await profileOf(runId)
      assert.equal(profile.metricsSplit, 'cv')
      assert.equal(version.metrics.roc_auc, profile.metrics?.roc_auc, 'the registry holds the cv score')
      assert.match(version.modelCard?.metricsSplit ?? '', /^cross-validated, 2 folds/)
    } finally {
      await registry.close()
    }
  })

  test('keel runs list leads with the primary metric on the test part', async () => {
    const r = await runCli(['runs', 'list'], { cwd: dir, env, timeoutMs: RUN_TIMEOUT_MS })
    assert.equal(r.code, 0, r.stderr)
    const header = r.stdout.split('\n')[0]!
    const columns = header.trim().split(/\s{2,}/)
    assert.equal(columns[columns.indexOf('DURATION') + 1], 'test_roc_auc', header)
    assert.equal(columns[columns.indexOf('DURATION') + 2], 'cv_roc_auc', header)
  })
})
