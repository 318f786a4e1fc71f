/**
 * Out-of-core GBDT bench: `keel train --out-of-core --max-memory CAP` on a synthetic set several
 * times larger than CAP, against in-memory `keel train --model gbdt` and XGBoost (hist) on the same
 * rows, each in its own process under `/usr/bin/time -v` (peak RSS = "Maximum resident set size").
 *
 *   node --import tsx bench/outofcore.ts [--cap 256MB] [--factor 3] [--trees 10] [--leaves 31]
 *        [--work /tmp/keel-ooc-bench] [--skip-memory]
 *
 * The data: /work/shared/bench/make-synthetic.mjs rows (32 features, 4 categorical) until the CSV is
 * `factor` x `cap` bytes, then copied to Parquet, which the Keel runs read as `--data 'DIR/*.parquet'`
 * (XGBoost reads the CSV: Debian's Python has no pyarrow). Same trees, leaves, learning rate and bins
 * on every side, no early stopping, 20 % test part (each side its own seeded draw).
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { parseMemorySize } from '../src/outofcore/index.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const MAKE = '/work/shared/bench/make-synthetic.mjs'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const capText = arg('cap', '256MB')
const cap = parseMemorySize(capText)!
const factor = Number(arg('factor', '3'))
const trees = Number(arg('trees', '10'))
const leaves = Number(arg('leaves', '31'))
const work = arg('work', '/tmp/keel-ooc-bench')
const skipMemory = process.argv.includes('--skip-memory')
mkdirSync(work, { recursive: true })

/** Runs a command under /usr/bin/time -v: wall seconds, peak RSS (MiB), stdout. */
function timed(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync('/usr/bin/time', ['-v', cmd, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  })
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)/.exec(r.stderr)
  if (r.status !== 0 || rss === null || wall === null)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr.slice(-3000)}`)
  const parts = wall[1]!.split(':').map(Number)
  const seconds = parts.reduce((s, p) => s * 60 + p, 0)
  return { wallSeconds: seconds, peakRssMiB: Number(rss[1]) / 1024, stdout: r.stdout }
}

// 1. Data: enough rows for factor x cap bytes of CSV.
const probe = join(work, 'probe.csv')
execFileSync('node', [MAKE, '--rows', '20000', '--seed', '1', '--out', probe])
const bytesPerRow = statSync(probe).size / 20000
const rows = Math.ceil((factor * cap) / bytesPerRow)
const csv = join(work, `syn-${rows}.csv`)
if (!existsSync(csv)) execFileSync('node', [MAKE, '--rows', String(rows), '--seed', '1', '--out', csv])
const parquetDir = join(work, `syn-${rows}-parquet`)
if (!existsSync(parquetDir)) {
  mkdirSync(parquetDir)
  const db = await DuckDBInstance.create(':memory:')
  const con = await db.connect()
  await con.run(`SET memory_limit = '1GB'`)
  await con.run(`SET preserve_insertion_order = true`)
  // Four files, so the Keel runs read a glob.
  const quarter = Math.ceil(rows / 4)
  for (let k = 0; k < 4; k++) {
    await con.run(
      `COPY (SELECT * FROM read_csv_auto('${csv}') LIMIT ${quarter} OFFSET ${k * quarter}) TO '${join(parquetDir, `part-${k}.parquet`)}' (FORMAT parquet)`,
    )
  }
  con.closeSync()
  db.closeSync()
}
const csvBytes = statSync(csv).size
const glob = join(parquetDir, '*.parquet')
const params = JSON.stringify({
  nEstimators: trees,
  maxLeaves: leaves,
  earlyStopping: false,
  learningRate: 0.1,
})
const home = mkdtempSync(join(tmpdir(), 'keel-ooc-bench-home-'))
const keelEnv = { KEEL_HOME: join(home, '.keel'), KEEL_DATABASE_URL: '' }
const keel = [
  '--import',
  'tsx',
  join(ROOT, 'scripts', 'keel-dev.ts'),
  'train',
  '--data',
  glob,
  '--target',
  'label',
]

console.error(
  `data: ${rows} rows, CSV ${(csvBytes / 2 ** 20).toFixed(0)} MiB (${(csvBytes / cap).toFixed(2)}x the ${capText} cap), ` +
    `as Float64 features ${((rows * 32 * 8) / 2 ** 20).toFixed(0)} MiB; load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
)
const results: Record<string, unknown>[] = []
const ooc = timed(
  'node',
  [
    ...keel,
    '--out-of-core',
    '--max-memory',
    capText,
    '--params',
    params,
    '--json',
    '--quiet',
    '--name',
    'ooc',
  ],
  keelEnv,
)
const oocJson = JSON.parse(ooc.stdout) as {
  fitSeconds: number
  metrics: { test?: { roc_auc?: number } }
  outOfCore: { histogramQueries: number }
}
results.push({
  side: `keel out-of-core (DuckDB, --max-memory ${capText})`,
  rows,
  wall_s: ooc.wallSeconds,
  fit_s: oocJson.fitSeconds,
  test_auc: oocJson.metrics.test?.roc_auc,
  peak_rss_mib: ooc.peakRssMiB,
  histogram_queries: oocJson.outOfCore.histogramQueries,
})
console.error(JSON.stringify(results.at(-1)))
if (!skipMemory) {
  const mem = timed(
    'node',
    [...keel, '--model', 'gbdt', '--params', params, '--json', '--quiet', '--name', 'mem'],
    keelEnv,
  )
  const memJson = JSON.parse(mem.stdout) as { fitSeconds: number; metrics: { test?: { roc_auc?: number } } }
  results.push({
    side: 'keel in memory',
    rows,
    wall_s: mem.wallSeconds,
    fit_s: memJson.fitSeconds,
    test_auc: memJson.metrics.test?.roc_auc,
    peak_rss_mib: mem.peakRssMiB,
  })
  console.error(JSON.stringify(results.at(-1)))
  const xgbRun = timed(
    '/usr/bin/python3',
    [join(ROOT, 'bench', 'outofcore_anchor.py'), csv, String(trees), String(leaves)],
    {
      OMP_WAIT_POLICY: 'PASSIVE',
      OMP_NUM_THREADS: '2',
    },
  )
  const xj = JSON.parse(xgbRun.stdout.trim().split('\n').at(-1)!) as {
    fit_s: number
    auc: number
    load_s: number
  }
  results.push({
    side: 'xgboost hist (in memory)',
    rows,
    wall_s: xgbRun.wallSeconds,
    fit_s: xj.fit_s,
    test_auc: xj.auc,
    peak_rss_mib: xgbRun.peakRssMiB,
  })
  console.error(JSON.stringify(results.at(-1)))
}
console.log(
  JSON.stringify(
    { cap: capText, capBytes: cap, factor, rows, csvBytes, trees, leaves, loadavg: loadavg(), results },
    null,
    2,
  ),
)
