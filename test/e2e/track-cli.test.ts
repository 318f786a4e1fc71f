import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  openTrackingStore,
  type RunComparison,
  type RunDetail,
  type RunRecord,
} from '../../src/track/index.js'
import { CliDriver } from './track-cli-driver.js'

const home = mkdtempSync(join(tmpdir(), 'keel-e2e-track-'))
const env = { KEEL_HOME: home, KEEL_DATABASE_URL: '' }
const cli = new CliDriver()
const ids: string[] = []

before(async () => {
  const store = await openTrackingStore(`sqlite:${join(home, 'keel.db')}`)
  try {
    const specs = [
      { experiment: 'churn', model: 'linear', auc: 0.71, daysAgo: 20 },
      { experiment: 'churn', model: 'gbdt', auc: 0.88, daysAgo: 2 },
      { experiment: 'churn', model: 'gbdt', auc: 0.93, daysAgo: 1 },
      { experiment: 'prices', model: 'gbdt', auc: 0.99, daysAgo: 1 },
    ]
    for (const [i, s] of specs.entries()) {
      const run = await store.createRun({
        experiment: s.experiment,
        name: `${s.model}-${i}`,
        params: { model: s.model, depth: 3 + i },
        tags: { model: s.model },
        seed: 7,
        gitCommit: null,
        startedAt: new Date(Date.now() - s.daysAgo * 86_400_000),
      })
      await store.logMetrics(run.id, { roc_auc: s.auc, log_loss: 1 - s.auc })
      await store.logMetricSeries(run.id, 'valid_loss', [0.7, 0.6, 0.5])
      await store.finishRun(run.id, { status: 'finished', timingsMs: { fit: 1500 } })
      ids.push(run.id)
    }
    await store.annotate(ids[2]!, 'best so far', { author: 'alice' })
  } finally {
    await store.close()
  }
})

after(() => cli.close())

test('keel runs list filters by metric, tag, experiment and date, as a table or JSON', async () => {
  const table = await cli.run(['runs', 'list', '--filter', 'roc_auc>0.8', '--experiment', 'churn'], env)
  assert.equal(table.code, 0, table.stderr)
  const lines = table.stdout.trimEnd().split('\n')
  assert.match(
    lines[0] ?? '',
    /^RUN\s+EXPERIMENT\s+NAME\s+STATUS\s+STARTED \(UTC\)\s+DURATION\s+roc_auc\s+log_loss$/,
  )
  assert.deepEqual(
    lines.slice(1).map((l) => l.slice(0, 8)),
    [ids[2]!.slice(0, 8), ids[1]!.slice(0, 8)],
  )
  assert.match(lines[1] ?? '', /gbdt-2\s+finished\s.*0\.9300/)

  const json = await cli.run(
    ['runs', 'list', '--tag', 'model=gbdt', '--since', '3d', '--order-by', 'roc_auc', '--json'],
    env,
  )
  assert.equal(json.code, 0, json.stderr)
  const runs = JSON.parse(json.stdout) as RunRecord[]
  assert.deepEqual(
    runs.map((r) => r.id),
    [ids[3], ids[2], ids[1]],
  )
  assert.equal(json.stderr, '')

  const limited = await cli.run(['runs', 'list', '--limit', '1', '--json'], env)
  assert.equal((JSON.parse(limited.stdout) as RunRecord[]).length, 1)
  const none = await cli.run(['runs', 'list', '--filter', 'roc_auc>2'], env)
  assert.equal(none.stdout, 'No runs match.\n')
})

test('keel runs show prints a run by id prefix, and --json prints everything', async () => {
  const shown = await cli.run(['runs', 'show', ids[2]!.slice(0, 8)], env)
  assert.equal(shown.code, 0, shown.stderr)
  assert.match(shown.stdout, new RegExp(`^Run ${ids[2]}`))
  assert.match(shown.stdout, /experiment\s+churn/)
  assert.match(shown.stdout, /roc_auc\s+0\.9300/)
  assert.match(shown.stdout, /valid_loss\s+3 steps; last 0\.5000 at step 2/)
  assert.match(shown.stdout, /timings\s+fit 1\.5 s/)
  assert.match(shown.stdout, /alice: best so far/)

  const json = await cli.run(['runs', 'show', ids[2]!, '--json'], env)
  const detail = JSON.parse(json.stdout) as RunDetail
  assert.equal(detail.id, ids[2])
  assert.deepEqual(
    detail.series.valid_loss?.map((p) => p.value),
    [0.7, 0.6, 0.5],
  )
})

test('keel runs compare aligns runs and marks differing values', async () => {
  const table = await cli.run(['runs', 'compare', ids[1]!, ids[2]!], env)
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, /^\*\s+param depth\s+4\s+5$/m)
  assert.match(table.stdout, /^\s+param model\s+gbdt\s+gbdt$/m)
  assert.match(table.stdout, /^\*\s+metric roc_auc\s+0\.8800\s+0\.9300$/m)
  const json = await cli.run(['runs', 'compare', ids[1]!, ids[2]!, '--json'], env)
  const comparison = JSON.parse(json.stdout) as RunComparison
  assert.deepEqual(comparison.metrics.find((m) => m.key === 'roc_auc')?.values, [0.88, 0.93])
})

test('keel runs tag and note annotate a run', async () => {
  const tagged = await cli.run(['runs', 'tag', ids[0]!.slice(0, 8), 'stage=rejected', 'reviewer=bob'], env)
  assert.equal(tagged.code, 0, tagged.stderr)
  const noted = await cli.run(['runs', 'note', ids[0]!, 'leaks', 'the', 'target', '--author', 'bob'], env)
  assert.equal(noted.code, 0, noted.stderr)
  const detail = JSON.parse((await cli.run(['runs', 'show', ids[0]!, '--json'], env)).stdout) as RunDetail
  assert.equal(detail.tags.stage, 'rejected')
  assert.equal(detail.tags.reviewer, 'bob')
  assert.deepEqual(
    detail.notes.map((n) => [n.author, n.text]),
    [['bob', 'leaks the target']],
  )
  const filtered = await cli.run(['runs', 'list', '--tag', 'stage=rejected', '--json'], env)
  assert.deepEqual(
    (JSON.parse(filtered.stdout) as RunRecord[]).map((r) => r.id),
    [ids[0]],
  )
})

test('unknown runs and bad arguments fail with one line and exit 2', async () => {
  const missing = await cli.run(['runs', 'show', '0123456789abcdef'], env)
  assert.equal(missing.code, 2)
  assert.equal(missing.stdout, '')
  assert.match(missing.stderr, /^error \[NOT_FOUND\]: No run with id '0123456789abcdef'.*\n$/)
  assert.equal(missing.stderr.trimEnd().split('\n').length, 1)

  for (const argv of [
    ['runs', 'list', '--filter', 'roc_auc>>1'],
    ['runs', 'list', '--since', 'yesterday'],
    ['runs', 'list', '--limit=-3'],
    ['runs', 'compare', ids[0]!],
    ['runs', 'frobnicate'],
    ['runs', 'tag', ids[0]!, 'novalue'],
    ['runs', 'note', '0123456789abcdef', 'text'],
  ]) {
    const result = await cli.run(argv, env)
    assert.equal(result.code, 2, argv.join(' '))
    assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr)
  }
})
