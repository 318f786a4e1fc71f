/**
 * Load benchmark: `loadDataset` against pandas `read_csv` on the same synthetic CSV.
 *
 *   node /work/shared/bench/make-synthetic.mjs --rows 1000000 --seed 1 --out /tmp/syn-1m.csv
 *   node --import tsx bench/load.ts [/tmp/syn-1m.csv] [runs=3]
 *
 * Prints the data shape, machine, commit, each side's median of `runs` and the ratio.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { loadDataset } from '../src/data/index.js'

const file = process.argv[2] ?? '/tmp/syn-1m.csv'
const runs = Number(process.argv[3] ?? '3')
if (!existsSync(file)) {
  process.stderr.write(
    `No ${file}. Make it with: node /work/shared/bench/make-synthetic.mjs --rows 1000000 --seed 1 --out ${file}\n`,
  )
  process.exit(2)
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const keelTimes: number[] = []
let shape = ''
for (let i = 0; i < runs; i++) {
  const start = performance.now()
  const ds = await loadDataset(file)
  keelTimes.push((performance.now() - start) / 1000)
  shape = `${ds.nRows} rows x ${ds.columns.length} columns`
}

const py = spawnSync('/usr/bin/python3', [join(import.meta.dirname, 'load_pandas.py'), file, String(runs)], {
  encoding: 'utf8',
  env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
})
if (py.status !== 0) {
  process.stderr.write(`pandas run failed: ${py.stderr}\n`)
  process.exit(1)
}
const pandas = JSON.parse(py.stdout.trim().split('\n').pop()!) as {
  pandas: string
  runs_s: number[]
  median_s: number
}

const keel = median(keelTimes)
const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(2)).join(', ')
process.stdout.write(
  `${[
    `file      ${file} (${(statSync(file).size / 1e6).toFixed(0)} MB, ${shape})`,
    `machine   ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load avg ${loadavg()[0]!.toFixed(1)}; node ${process.version}; commit ${commit()}`,
    `keel      loadDataset        median ${keel.toFixed(2)} s (runs: ${fmt(keelTimes)})`,
    `pandas    read_csv (${pandas.pandas})  median ${pandas.median_s.toFixed(2)} s (runs: ${fmt(pandas.runs_s)})`,
    `ratio     pandas / keel = ${(pandas.median_s / keel).toFixed(2)} (above 1: keel is faster)`,
  ].join('\n')}\n`,
)
