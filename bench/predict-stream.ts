/**
 * Batch-scoring benchmark: `keel predict` streaming N-row synthetic files, to show throughput and
 * that peak memory stays flat as the input grows.
 *
 *   node --import tsx bench/predict-stream.ts [--sizes 1000000,10000000] [--dir /tmp/keel-bench-predict]
 *        [--train-rows 50000] [--trees 100] [--output csv|parquet] [--chunk-rows N]
 *
 * Makes the inputs with /work/shared/bench/make-synthetic.mjs (--seed 1; kept in --dir and reused),
 * trains one GBDT on --train-rows rows (seed 2) through `keel train`, then runs `keel predict` once
 * per size in its own process under /usr/bin/time, and prints rows/s and peak RSS (max resident set
 * of the child) per size, with the machine, load average and commit.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = join(import.meta.dirname, '..')
const GENERATOR = '/work/shared/bench/make-synthetic.mjs'

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000000' },
    dir: { type: 'string', default: '/tmp/keel-bench-predict' },
    'train-rows': { type: 'string', default: '50000' },
    trees: { type: 'string', default: '100' },
    output: { type: 'string', default: 'csv' },
    'chunk-rows': { type: 'string' },
  },
})
const sizes = args.sizes.split(',').map(Number)
const dir = args.dir
const outputExt = args.output === 'parquet' ? 'parquet' : 'csv'
mkdirSync(dir, { recursive: true })

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

/** The synthetic file for `rows` rows and `seed`, made once and reused. */
function synthetic(rows: number, seed: number): string {
  const path = join(dir, `syn-${rows}-s${seed}.csv`)
  if (!existsSync(path)) {
    process.stderr.write(`making ${path}\n`)
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

const env = { ...process.env, KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
/** `keel ARGS` from source in one node process (no tsx wrapper process), so /usr/bin/time sees it alone. */
function keelArgs(cliArgs: readonly string[]): string[] {
  return ['--import', 'tsx', join(ROOT, 'scripts', 'keel-dev.ts'), ...cliArgs]
}

const trainPath = synthetic(Number(args['train-rows']), 2)
const train = spawnSync(
  process.execPath,
  keelArgs([
    'train',
    '--data',
    trainPath,
    '--target',
    'label',
    '--model',
    'gbdt',
    '--params',
    JSON.stringify({ nEstimators: Number(args.trees) }),
    '--name',
    'bench-predict',
    '--json',
  ]),
  { cwd: ROOT, env, encoding: 'utf8', maxBuffer: 1 << 26 },
)
if (train.status !== 0) {
  process.stderr.write(`keel train failed:\n${train.stderr}\n`)
  process.exit(1)
}
const model = (JSON.parse(train.stdout) as { model: string }).model

interface Row {
  rows: number
  seconds: number
  rowsPerSecond: number
  peakRssMb: number
  inputMb: number
  load: string
}
const results: Row[] = []
for (const rows of sizes) {
  const input = synthetic(rows, 1)
  const output = join(dir, `scores-${rows}.${outputExt}`)
  const timeFile = join(dir, 'time.txt')
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  const started = performance.now()
  const run = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%M %e',
      '-o',
      timeFile,
      process.execPath,
      ...keelArgs(['predict', '--model', model, '--input', input, '--output', output]),
    ],
    {
      cwd: ROOT,
      env: args['chunk-rows'] === undefined ? env : { ...env, KEEL_PREDICT_CHUNK_ROWS: args['chunk-rows'] },
      encoding: 'utf8',
    },
  )
  const seconds = (performance.now() - started) / 1000
  if (run.status !== 0) {
    process.stderr.write(`keel predict failed on ${rows} rows:\n${run.stderr}\n`)
    process.exit(1)
  }
  const [maxRssKb] = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number)
  results.push({
    rows,
    seconds,
    rowsPerSecond: rows / seconds,
    peakRssMb: maxRssKb! / 1024,
    inputMb: statSync(input).size / 2 ** 20,
    load,
  })
  rmSync(output, { force: true })
}

const cpu = cpus()[0]?.model ?? 'unknown cpu'
process.stdout.write(
  `keel predict (streaming) | model ${model}: GBDT ${args.trees} trees on ${args['train-rows']} rows | output ${outputExt}` +
    ` | commit ${commit()} | ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB | node ${process.version}\n`,
)
process.stdout.write(
  '| rows | input MB | seconds | rows/s | peak RSS MB | load avg at start (1/5/15 min) |\n',
)
process.stdout.write('|---:|---:|---:|---:|---:|---|\n')
for (const r of results) {
  process.stdout.write(
    `| ${r.rows.toLocaleString('en-US')} | ${r.inputMb.toFixed(0)} | ${r.seconds.toFixed(1)} | ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} | ${r.peakRssMb.toFixed(0)} | ${r.load} |\n`,
  )
}
process.stdout.write(
  'Seconds are wall time of the whole command (node start, model load, staging, scoring, writing).\n',
)
