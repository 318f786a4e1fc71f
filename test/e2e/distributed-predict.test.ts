import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type DistributedEvent, predictDistributed } from '../../src/jobs/index.js'
import { runCli } from '../helpers/cli.js'
import { postgresGate } from '../helpers/test-backends.js'
import { writeSeededCsv } from './faults-registry-helpers.js'
import { dropSchema, spawnWorker, type WorkerProcess } from './jobs-helpers.js'

const pg = postgresGate()

test('keel predict --distributed: 2 workers give the single-process output; a worker killed mid-part has it retried', {
  skip: pg.skip,
  timeout: 180_000,
}, async () => {
  const pgUrl = pg.require()
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-distributed-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  // The coordinator runs in this process (predictDistributed is what `keel predict --distributed`
  // calls) and must open the same registry as the CLI children.
  Object.assign(process.env, env)
  mkdirSync(join(dir, 'train'))
  writeSeededCsv(join(dir, 'train'), 400, 3)
  const input = writeSeededCsv(dir, 30_000, 11)
  const train = await runCli(
    [
      'train',
      '--data',
      'train/customers.csv',
      '--target',
      'y',
      '--model',
      'gbdt',
      '--params',
      '{"nEstimators":20}',
      '--json',
    ],
    { cwd: dir, env },
  )
  assert.equal(train.code, 0, train.stderr)
  const model = (JSON.parse(train.stdout) as { model: string }).model
  const single = await runCli(
    ['predict', '--model', model, '--input', input, '--output', join(dir, 'single.csv')],
    {
      cwd: dir,
      env,
    },
  )
  assert.equal(single.code, 0, single.stderr)
  const expected = readFileSync(join(dir, 'single.csv'), 'utf8')

  const schema = `pgboss_test_${randomBytes(6).toString('hex')}`
  const queueUrl = `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`
  const workers: WorkerProcess[] = []
  try {
    // Two workers, small parts: the rows come back once each, in input order, byte for byte.
    workers.push(spawnWorker(dir, env, queueUrl), spawnWorker(dir, env, queueUrl))
    await Promise.all(workers.map((w) => w.waitFor(/waiting for parts/)))
    const events: DistributedEvent[] = []
    const first = await predictDistributed({
      queueUrl,
      model,
      input,
      output: join(dir, 'distributed.csv'),
      partRows: 2000,
      pollIntervalMs: 200,
      onEvent: (e) => events.push(e),
    })
    assert.equal(first.nRows, 30_000)
    assert.equal(first.parts, 15)
    assert.equal(first.retries, 0)
    assert.match(first.model, /@\d+$/)
    assert.equal(readFileSync(join(dir, 'distributed.csv'), 'utf8'), expected, 'same bytes as keel predict')
    const progress = events.filter((e) => e.kind === 'progress')
    assert.deepEqual(progress.at(-1), {
      kind: 'progress',
      partsDone: 15,
      parts: 15,
      rowsDone: 30_000,
      rows: 30_000,
      active: 0,
    })
    const partsBy = workers.map((w) => (w.log().match(/: done, /g) ?? []).length)
    assert.equal(partsBy[0]! + partsBy[1]!, 15, workers.map((w) => w.log()).join('\n'))

    // The same through the CLI, as a user runs it: progress on stderr, the same bytes.
    const cli = await runCli(
      [
        'predict',
        '--model',
        model,
        '--input',
        input,
        '--output',
        join(dir, 'cli.csv'),
        '--distributed',
        '--queue',
        queueUrl,
        '--part-rows',
        '5000',
      ],
      { cwd: dir, env },
    )
    assert.equal(cli.code, 0, cli.stderr)
    assert.match(cli.stderr, /Scored 30000 rows with .* in 6 parts \(0 retried\)/)
    assert.equal(readFileSync(join(dir, 'cli.csv'), 'utf8'), expected, 'keel predict --distributed')
    const misuse = await runCli(
      ['predict', '--model', model, '--input', input, '--output', 'x.csv', '--queue', queueUrl],
      {
        cwd: dir,
        env,
      },
    )
    assert.equal(misuse.code, 2)
    assert.match(misuse.stderr, /CLI_USAGE.*--queue applies with --distributed/)

    // SIGTERM: each stops cleanly.
    for (const w of workers) w.child.kill('SIGTERM')
    assert.deepEqual(await Promise.all(workers.map((w) => w.exit)), [0, 0])
    workers.length = 0

    // Slow parts, a short job timeout: kill one worker while it holds a part.
    const slow = { ...env, KEEL_WORKER_TEST_DELAY_MS: '700' }
    workers.push(spawnWorker(dir, slow, queueUrl), spawnWorker(dir, slow, queueUrl))
    await Promise.all(workers.map((w) => w.waitFor(/waiting for parts/)))
    const retryEvents: DistributedEvent[] = []
    const run = predictDistributed({
      queueUrl,
      model,
      input,
      output: join(dir, 'retried.csv'),
      partRows: 5000,
      jobTimeoutSeconds: 4,
      pollIntervalMs: 200,
      onEvent: (e) => {
        if (e.kind === 'retry') retryEvents.push(e)
      },
    })
    const [, killedPart] = await workers[0]!.waitFor(/part (\d+): started/)
    workers[0]!.child.kill('SIGKILL')
    const second = await run
    assert.equal(readFileSync(join(dir, 'retried.csv'), 'utf8'), expected, 'same bytes after the retry')
    assert.ok(second.retries >= 1)
    const retried = retryEvents.find((e) => e.kind === 'retry' && e.part === Number(killedPart))
    assert.ok(retried, `the killed worker's part ${killedPart} was retried: ${JSON.stringify(retryEvents)}`)
    assert.match(JSON.stringify(retried), /timeout/)
    assert.match(workers[1]!.log(), new RegExp(`part ${killedPart}: done`), 'the surviving worker scored it')
    // A part that fails on every try fails the run with the part's own error, and cleans up.
    writeFileSync(join(dir, 'no-x2.csv'), 'x1,plan\n0.5,pro\n0.25,basic\n')
    await assert.rejects(
      predictDistributed({
        queueUrl,
        model,
        input: join(dir, 'no-x2.csv'),
        output: join(dir, 'never.csv'),
        retryLimit: 1,
        pollIntervalMs: 200,
      }),
      (error: Error & { code?: string }) => {
        assert.equal(error.code, 'DATA_MISSING_COLUMN')
        assert.match(error.message, /Part 0 \(rows 0-1\) failed after 2 tries: .*x2/)
        return true
      },
    )
    assert.ok(!existsSync(join(dir, 'never.csv')))
    // Nothing is left beside the outputs.
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('.keel-distributed')),
      [],
    )
  } finally {
    for (const w of workers) w.child.kill('SIGKILL')
    await Promise.all(workers.map((w) => w.exit))
    await dropSchema(pgUrl, schema)
  }
})
