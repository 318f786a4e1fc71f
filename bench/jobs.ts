/**
 * Distributed jobs benchmark (`keel worker` on a pg-boss queue), on this machine:
 *   (a) scoring: `keel predict` single-process vs `keel predict --distributed` with 1 and 2 workers;
 *   (b) tuning: a 40-trial `keel train --trials 40` in-process vs `--distributed` with 1 and 2 workers;
 *   (c) coordination cost per job: trials that do nothing but the bookkeeping (baseline fits on a
 *       tiny file) through the queue with 1 worker, against the same trials in-process.
 * Each distributed result is checked against the single-process one (same output bytes; same
 * tuning result), and the load average is printed with every timing.
 *
 *   node --import tsx bench/jobs.ts [--parts score,tune,coord] [--score-rows 10000000]
 *        [--part-rows 500000] [--tune-rows 5000] [--trials 40] [--folds 3] [--coord-jobs 200]
 *        [--dir /tmp/keel-bench-jobs] [--queue postgres://postgres@127.0.0.1:5432/test]
 *
 * Inputs are made by /work/shared/bench/make-synthetic.mjs (kept in --dir and reused). The queue
 * lives in its own schema, dropped at the end.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { distributedTrialRunner } from '../src/jobs/index.js'
import { inProcessTrialRunner, prepare, type TrainSpec, type TrialSpec } from '../src/train/index.js'

const ROOT = join(import.meta.dirname, '..')
const GENERATOR = '/work/shared/bench/make-synthetic.mjs'

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: 'score,tune,coord' },
    'score-rows': { type: 'string', default: '10000000' },
    'part-rows': { type: 'string', default: '500000' },
    'train-rows': { type: 'string', default: '50000' },
    'tune-rows': { type: 'string', default: '5000' },
    trials: { type: 'string', default: '40' },
    folds: { type: 'string', default: '3' },
    'coord-jobs': { type: 'string', default: '200' },
    dir: { type: 'string', default: '/tmp/keel-bench-jobs' },
    queue: {
      type: 'string',
      default: process.env.KEEL_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
})
const parts = new Set(args.parts.split(','))
const dir = args.dir
mkdirSync(dir, { recursive: true })
const schema = 'keel_bench_jobs'
const queueUrl = `${args.queue}${args.queue.includes('?') ? '&' : '?'}schema=${schema}`
const env = {
  ...process.env,
  KEEL_HOME: join(dir, '.keel'),
  KEEL_DATABASE_URL: '',
  OMP_WAIT_POLICY: 'PASSIVE',
}

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const log = (line: string): void => {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`)
}
const out: string[] = []
const print = (line: string): void => {
  out.push(line)
  process.stdout.write(`${line}\n`)
}

/** `keel ARGS` from source in one node process. */
function keelArgs(cliArgs: readonly string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'scripts', 'keel-dev.ts'), ...cliArgs]
}

/** Runs `keel ARGS`; returns stdout and the wall seconds. Exits the bench on failure. */
function keel(cliArgs: readonly string[]): { stdout: string; seconds: number } {
  const started = performance.now()
  const run = spawnSync(process.execPath, keelArgs(cliArgs), {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  })
  const seconds = (performance.now() - started) / 1000
  log(`keel ${cliArgs[0]}: ${seconds.toFixed(1)} s`)
  if (run.status !== 0) {
    process.stderr.write(`keel ${cliArgs.slice(0, 2).join(' ')} failed:\n${run.stderr}\n`)
    process.exit(1)
  }
  return { stdout: run.stdout, seconds }
}

/** The synthetic file for `rows` rows and `seed`, made once and reused. */
function synthetic(rows: number, seed: number): string {
  const path = join(dir, `syn-${rows}-s${seed}.csv`)
  if (!existsSync(path)) {
    log(`making ${path}`)
    execFileSync(
      process.execPath,
      [GENERATOR, '--rows', String(rows), '--seed', String(seed), '--out', path],
      {
        stdio: 'ignore',
      },
    )
  }
  return path
}

/** Starts `count` workers and waits until each is polling. */
async function startWorkers(count: number): Promise<ChildProcess[]> {
  const workers = Array.from({ length: count }, () =>
    spawn(process.execPath, keelArgs(['worker', '--queue', queueUrl]), {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  )
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          let text = ''
          w.stderr!.on('data', (d: Buffer) => {
            text += d.toString()
            if (/waiting for parts/.test(text)) resolve()
          })
          w.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${text}`)))
        }),
    ),
  )
  return workers
}

async function stopWorkers(workers: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.exitCode !== null) resolve()
          else {
            w.once('exit', () => resolve())
            w.kill('SIGTERM')
          }
        }),
    ),
  )
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function dropSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: args.queue })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await client.end()
  }
}

const cpu = cpus()[0]?.model ?? 'unknown cpu'
let commit = 'unknown'
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
} catch {}
print(
  `keel jobs bench | commit ${commit} (+ working tree) | ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB | node ${process.version} | PostgreSQL queue (pg-boss) on this machine`,
)
await dropSchema()

interface Timing {
  readonly setting: string
  readonly seconds: number
  readonly load: string
  readonly same: string
}
function table(title: string, rows: readonly Timing[]): void {
  const base = rows[0]!.seconds
  print('')
  print(title)
  print('| setting | wall s | vs single process | load avg at start (1/5/15 min) | result |')
  print('|---|---:|---:|---|---|')
  for (const r of rows)
    print(
      `| ${r.setting} | ${r.seconds.toFixed(1)} | ${(base / r.seconds).toFixed(2)}x | ${r.load} | ${r.same} |`,
    )
}

if (parts.has('score')) {
  const rows = Number(args['score-rows'])
  const trainPath = synthetic(Number(args['train-rows']), 2)
  const input = synthetic(rows, 1)
  const trained = keel([
    'train',
    '--data',
    trainPath,
    '--target',
    'label',
    '--model',
    'gbdt',
    '--params',
    JSON.stringify({ nEstimators: 100 }),
    '--name',
    'bench-jobs',
    '--json',
  ])
  const model = (JSON.parse(trained.stdout) as { model: string }).model
  const timings: Timing[] = []
  const single = join(dir, 'scores-single.csv')
  let startLoad = load()
  log(`single-process keel predict, ${rows} rows (load ${startLoad})`)
  const s = keel(['predict', '--model', model, '--input', input, '--output', single])
  const expected = await sha256(single)
  rmSync(single)
  timings.push({
    setting: 'keel predict (1 process)',
    seconds: s.seconds,
    load: startLoad,
    same: 'reference',
  })
  for (const count of [1, 2]) {
    const workers = await startWorkers(count)
    const output = join(dir, `scores-${count}w.csv`)
    startLoad = load()
    log(`keel predict --distributed, ${count} worker(s) (load ${startLoad})`)
    const d = keel([
      'predict',
      '--model',
      model,
      '--input',
      input,
      '--output',
      output,
      '--distributed',
      '--queue',
      queueUrl,
      '--part-rows',
      args['part-rows'],
    ])
    await stopWorkers(workers)
    const same = (await sha256(output)) === expected ? 'same bytes' : 'DIFFERENT BYTES'
    rmSync(output)
    timings.push({
      setting: `--distributed, ${count} worker${count > 1 ? 's' : ''}`,
      seconds: d.seconds,
      load: startLoad,
      same,
    })
  }
  table(
    `(a) scoring ${rows.toLocaleString('en-US')} rows (GBDT 100 trees, CSV in and out, parts of ${Number(args['part-rows']).toLocaleString('en-US')} rows)`,
    timings,
  )
}

if (parts.has('tune')) {
  const data = synthetic(Number(args['tune-rows']), 3)
  const trials = args.trials
  const common = [
    'train',
    '--data',
    data,
    '--target',
    'label',
    '--model',
    'gbdt',
    '--params',
    JSON.stringify({ nEstimators: 50 }),
    '--trials',
    trials,
    '--folds',
    args.folds,
    '--seed',
    '1',
    '--name',
    'bench-tune',
    '--json',
    '--quiet',
  ]
  const outcome = (stdout: string): string => {
    const r = JSON.parse(stdout) as { tuning: unknown; metrics: unknown; cv: unknown }
    return JSON.stringify([r.tuning, r.metrics, r.cv])
  }
  const timings: Timing[] = []
  let startLoad = load()
  log(`in-process keel train --trials ${trials} (load ${startLoad})`)
  const single = keel(common)
  const expected = outcome(single.stdout)
  timings.push({
    setting: 'keel train (in-process)',
    seconds: single.seconds,
    load: startLoad,
    same: 'reference',
  })
  for (const count of [1, 2]) {
    const workers = await startWorkers(count)
    startLoad = load()
    log(`keel train --distributed, ${count} worker(s) (load ${startLoad})`)
    const d = keel([...common, '--distributed', '--queue', queueUrl])
    await stopWorkers(workers)
    timings.push({
      setting: `--distributed, ${count} worker${count > 1 ? 's' : ''}`,
      seconds: d.seconds,
      load: startLoad,
      same: outcome(d.stdout) === expected ? 'same tuning, cv and metrics' : 'DIFFERENT',
    })
  }
  const fits = Number(trials) * Number(args.folds)
  table(
    `(b) tuning: GBDT (50 trees) on ${Number(args['tune-rows']).toLocaleString('en-US')} rows, ${trials} trials x ${args.folds} folds = ${fits} fits (+ the defaults' ${args.folds}, the baseline and the final refit on the coordinator)`,
    timings,
  )
}

if (parts.has('coord')) {
  // Jobs that do (almost) nothing: a baseline fit on 30 rows. The distributed wall minus the
  // in-process wall, per job, is what the queue adds to each job.
  const tiny = join(dir, 'tiny.csv')
  writeFileSync(
    tiny,
    `x,y\n${Array.from({ length: 40 }, (_, i) => `${i},${i % 3 === 0 ? 'yes' : 'no'}`).join('\n')}\n`,
  )
  const spec: TrainSpec = { dataPath: tiny, target: 'y', model: 'baseline', seed: 1, folds: 2 }
  const prep = await prepare(spec)
  const n = Number(args['coord-jobs'])
  const trials: TrialSpec[] = Array.from({ length: n }, (_, i) => ({
    label: `job ${i + 1}`,
    family: 'baseline',
    fold: i % 2,
    tolerateErrors: false,
  }))
  const t0 = performance.now()
  await inProcessTrialRunner.run(prep, spec, trials)
  const inProcessMs = performance.now() - t0
  const rows: string[] = []
  for (const count of [1, 2]) {
    const workers = await startWorkers(count)
    // One job first: the workers read the file once per run; the timed batch is then bookkeeping only.
    const runner = distributedTrialRunner({ queueUrl, pollIntervalMs: 100 })
    await runner.run(prep, spec, trials.slice(0, 2))
    const startLoad = load()
    const t1 = performance.now()
    await runner.run(prep, spec, trials)
    const ms = performance.now() - t1
    await stopWorkers(workers)
    rows.push(
      `| ${count} | ${n} | ${(ms / 1000).toFixed(2)} | ${(ms / n).toFixed(1)} | ${(inProcessMs / 1000).toFixed(3)} | ${((ms - inProcessMs) / n).toFixed(1)} | ${startLoad} |`,
    )
  }
  print('')
  print(
    `(c) coordination cost: ${n} jobs that each fit a baseline on 20 rows, one batch (send, poll every 100 ms, collect), after a warm-up batch`,
  )
  print(
    '| workers | jobs | wall s | wall ms per job | same jobs in-process s | added ms per job ((wall - in-process) / jobs) | load avg at start |',
  )
  print('|---:|---:|---:|---:|---:|---:|---|')
  for (const row of rows) print(row)
}

await dropSchema()
writeFileSync(join(dir, 'jobs-bench-output.md'), `${out.join('\n')}\n`)
log(`done; table also in ${join(dir, 'jobs-bench-output.md')}`)
