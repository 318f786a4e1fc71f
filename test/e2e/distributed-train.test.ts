import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { distributedTrialRunner } from '../../src/jobs/index.js'
import { trainModelBundle } from '../../src/train/index.js'
import { runCli } from '../helpers/cli.js'
import { postgresGate } from '../helpers/test-backends.js'
import { writeSeededCsv } from './faults-registry-helpers.js'
import { dropSchema, spawnWorker, type WorkerProcess } from './jobs-helpers.js'

const pg = postgresGate()

/** What `keel train --json` prints that must not depend on where the trials ran (times and ids may). */
function outcomeOf(stdout: string): Record<string, unknown> {
  const r = JSON.parse(stdout) as Record<string, unknown> & {
    candidates: { family: string; cvScore: number; cvScores: number[] }[]
  }
  return {
    task: r.task,
    family: r.family,
    primaryMetric: r.primaryMetric,
    trainRows: r.trainRows,
    testRows: r.testRows,
    metrics: r.metrics,
    baseline: r.baseline,
    cv: r.cv,
    improvementOverBaseline: r.improvementOverBaseline,
    candidates: r.candidates.map((c) => ({ family: c.family, cvScore: c.cvScore, cvScores: c.cvScores })),
    tuning: r.tuning,
    threshold: r.threshold,
  }
}

test('keel train --distributed: a missing or wrong queue is a one-line usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-distributed-train-usage-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '', KEEL_QUEUE_URL: '' }
  const data = writeSeededCsv(dir, 60, 3)
  const base = ['train', '--data', data, '--target', 'y', '--model', 'auto']
  const [noQueue, queueOnly, notPostgres] = await Promise.all([
    runCli([...base, '--distributed'], { cwd: dir, env }),
    runCli([...base, '--queue', 'postgres://keel@127.0.0.1:5432/keel'], { cwd: dir, env }),
    runCli([...base, '--distributed', '--queue', 'redis://127.0.0.1:6379'], { cwd: dir, env }),
  ])
  for (const [result, pattern] of [
    [noQueue, /CLI_USAGE.*--distributed needs a job queue: pass --queue postgres:.* or set KEEL_QUEUE_URL/],
    [queueOnly, /CLI_USAGE.*--queue applies with --distributed/],
    [notPostgres, /CLI_USAGE.*is not a PostgreSQL URL/],
  ] as const) {
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, pattern)
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`)
  }
})

test('keel train --model auto --trials --distributed: the single-process result, a worker killed mid-trial has it retried', {
  skip: pg.skip,
  timeout: 180_000,
}, async () => {
  const pgUrl = pg.require()
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-distributed-train-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  const data = writeSeededCsv(dir, 300, 5)
  const common = [
    'train',
    '--data',
    data,
    '--target',
    'y',
    '--model',
    'auto',
    '--folds',
    '3',
    '--trials',
    '3',
    '--seed',
    '7',
    '--json',
  ]
  const schema = `pgboss_test_${randomBytes(6).toString('hex')}`
  const queueUrl = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`
  const workers: WorkerProcess[] = []
  try {
    // The victim holds its first trial for 30 s (it is killed long before); the survivor runs the rest.
    const victim = spawnWorker(dir, { ...env, KEEL_WORKER_TEST_DELAY_MS: '30000' }, queueUrl)
    const survivor = spawnWorker(dir, env, queueUrl)
    workers.push(victim, survivor)
    const [single] = await Promise.all([
      runCli([...common, '--name', 'single'], { cwd: dir, env }),
      ...workers.map((w) => w.waitFor(/waiting for parts and trials/)),
    ])
    assert.equal(single.code, 0, single.stderr)

    const run = runCli(
      [...common, '--name', 'dist', '--distributed', '--queue', queueUrl, '--job-timeout', '4'],
      {
        cwd: dir,
        env,
      },
    )
    const [, label, fold] = await victim.waitFor(/trial '([^']+)' fold (\d+): started/)
    victim.child.kill('SIGKILL')
    const distributed = await run
    assert.equal(distributed.code, 0, distributed.stderr)

    // The same choice, cv scores, tuned params, final metrics: bit for bit.
    assert.deepEqual(outcomeOf(distributed.stdout), outcomeOf(single.stdout))
    const tuning = (JSON.parse(distributed.stdout) as { tuning?: { trials: number } }).tuning
    assert.equal(tuning?.trials, 3, 'the tuning ran')
    // 4 families x 3 folds, then 3 tuning trials x 3 folds; progress and the retry on stderr.
    assert.match(distributed.stderr, /queued 12 trial jobs \(one per fold of 3\)/)
    assert.match(distributed.stderr, /queued 9 trial jobs/)
    assert.match(distributed.stderr, /12\/12 trial jobs done/)
    assert.match(distributed.stderr, new RegExp(`trial '${label}' fold ${fold} try 1 failed, retrying: .*`))
    // The survivor ran every trial, the killed one included; the victim finished none.
    assert.match(survivor.log(), new RegExp(`trial '${label}' fold ${fold}: done`))
    assert.equal((survivor.log().match(/: done, score /g) ?? []).length, 21, survivor.log())
    assert.doesNotMatch(victim.log(), /: done/)

    // The stored runs hold the same metrics (but the measured times).
    const runIds = [single, distributed].map((r) => (JSON.parse(r.stdout) as { runId: string }).runId)
    const shown = await Promise.all(
      runIds.map((id) => runCli(['runs', 'show', id, '--json'], { cwd: dir, env })),
    )
    const stored = shown.map((s) => {
      assert.equal(s.code, 0, s.stderr)
      const { metrics } = JSON.parse(s.stdout) as { metrics: Record<string, unknown> }
      return Object.fromEntries(
        Object.entries(metrics).filter(([name]) => !['fit_seconds', 'latency_ms'].includes(name)),
      )
    })
    assert.ok(Object.keys(stored[0]!).includes('test_roc_auc'), JSON.stringify(stored[0]))
    assert.deepEqual(stored[1], stored[0])

    // A trial that fails on every try ends the run with an error naming it: here the file changes on
    // the workers' disk after the coordinator prepared it, so every worker refuses the other data.
    const inner = distributedTrialRunner({ queueUrl, retryLimit: 1, pollIntervalMs: 200 })
    await assert.rejects(
      trainModelBundle({
        dataPath: data,
        target: 'y',
        model: 'auto',
        folds: 3,
        seed: 7,
        trialRunner: {
          run: (prep, spec, trials, onResult) => {
            writeSeededCsv(dir, 300, 6)
            return inner.run(prep, spec, trials, onResult)
          },
        },
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'JOB_FAILED')
        assert.match(
          error.message,
          /^Trial 'candidate \w+' \(\w+, fold \d\/3\) failed after 2 tries: The data at '.*customers\.csv' differs on this worker/,
        )
        return true
      },
    )
  } finally {
    for (const w of workers) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exit))
    await dropSchema(pgUrl, schema)
  }
})
