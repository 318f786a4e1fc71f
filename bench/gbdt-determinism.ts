/**
 * Determinism under contention: trains the same GBDT in several processes at once (more threads
 * than cores, so the pool's hand-offs are delayed and reordered) and checks every model against a
 * single-threaded reference, bit for bit. The pool's earlier race (a stale done count, session 10)
 * showed only like this.
 *
 *   node /work/shared/bench/make-synthetic.mjs --rows 100000 --seed 1 --out /tmp/syn-100k.csv
 *   node --import tsx bench/gbdt-determinism.ts /tmp/syn-100k.csv [--procs 4] [--rounds 3] [--trees 40]
 */
import { execFileSync, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Matrix } from '../src/core/index.js'
import { GradientBoostingClassifier } from '../src/models/gbdt/index.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

/** The synthetic CSV as a matrix: categorical labels become codes in order of appearance. */
function load(path: string): { x: Matrix; y: Float64Array } {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n')
  const header = lines[0]!.split(',')
  const label = header.indexOf('label')
  const cols = header.length - 1
  const rows = lines.length - 1
  const data = new Float64Array(rows * cols)
  const y = new Float64Array(rows)
  const codes = header.map(() => new Map<string, number>())
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1]!.split(',')
    let c = 0
    for (let j = 0; j < cells.length; j++) {
      if (j === label) {
        y[r] = Number(cells[j])
        continue
      }
      const v = cells[j]!
      const n = v === '' ? Number.NaN : Number(v)
      if (Number.isNaN(n) && v !== '') {
        const m = codes[j]!
        if (!m.has(v)) m.set(v, m.size)
        data[r * cols + c] = m.get(v)!
      } else data[r * cols + c] = n
      c++
    }
  }
  return { x: { rows, cols, data }, y }
}

async function fitHash(csv: string, threads: number, trees: number, subsample: number): Promise<string> {
  const { x, y } = load(csv)
  const model = await new GradientBoostingClassifier({
    nEstimators: trees,
    maxLeaves: 63,
    threads,
    subsample,
    earlyStopping: false,
  }).fit(x, y)
  return createHash('sha256')
    .update(JSON.stringify((model.toArtifact() as { state: unknown }).state))
    .digest('hex')
    .slice(0, 16)
}

const csv = process.argv[2] ?? '/tmp/syn-100k.csv'
if (process.argv.includes('--child')) {
  console.log(
    await fitHash(
      csv,
      Number(arg('threads', '2')),
      Number(arg('trees', '40')),
      Number(arg('subsample', '1')),
    ),
  )
} else {
  const procs = Number(arg('procs', '4'))
  const rounds = Number(arg('rounds', '3'))
  const trees = arg('trees', '40')
  const here = new URL(import.meta.url).pathname
  let bad = 0
  for (const subsample of ['1', '0.8']) {
    const reference = execFileSync(
      process.execPath,
      ['--import', 'tsx', here, csv, '--child', '--threads', '1', '--trees', trees, '--subsample', subsample],
      { encoding: 'utf8' },
    ).trim()
    for (let round = 0; round < rounds; round++) {
      const runs = Array.from({ length: procs }, (_, i) => {
        const threads = String(2 + (i % 2))
        return new Promise<string>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              '--import',
              'tsx',
              here,
              csv,
              '--child',
              '--threads',
              threads,
              '--trees',
              trees,
              '--subsample',
              subsample,
            ],
            { stdio: ['ignore', 'pipe', 'inherit'] },
          )
          let out = ''
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString()
          })
          child.on('exit', (code) =>
            code === 0 ? resolve(out.trim()) : reject(new Error(`child exited ${code}`)),
          )
        })
      })
      const hashes = await Promise.all(runs)
      const wrong = hashes.filter((h) => h !== reference).length
      bad += wrong
      console.log(
        `subsample ${subsample}, round ${round + 1}: ${procs} concurrent fits (2-3 threads each), ${wrong} differ from the 1-thread reference ${reference}`,
      )
    }
  }
  console.log(bad === 0 ? 'all identical' : `${bad} fits differ`)
  process.exitCode = bad === 0 ? 0 : 1
}
