/**
 * Scoring speed of native categorical splits against the same data as plain integer codes:
 * 100k rows x 12 columns (8 numeric, 4 categorical with 30 levels each, planted signal in both),
 * 200 trees of depth 6 / 64 leaves, fitted and scored in one process on one thread (no pool), so
 * the figure is the kernels' own. Scores are checked equal run to run (the checksum column).
 *
 *   node --import tsx bench/gbdt-cat-score.ts [--repeat 9]
 */
import { type Matrix, Rng } from '../src/core/index.js'
import { GradientBoostingClassifier } from '../src/models/gbdt/index.js'

const args = process.argv.slice(2)
const repeat = Number(args[args.indexOf('--repeat') + 1] ?? 9) || 9
const n = 100_000
const cols = 12
const rng = new Rng(7)
const data = new Float64Array(n * cols)
const y = new Float64Array(n)
for (let i = 0; i < n; i++) {
  let s = 0
  for (let c = 0; c < cols; c++) {
    const v = c < 8 ? rng.normal() : Math.floor(rng.next() * 30)
    data[i * cols + c] = v
    s += c < 8 ? v * (c % 3 === 0 ? 1 : 0.3) : ((v * 7919) % 13) / 6 - 1
  }
  y[i] = s + rng.normal() > 0 ? 1 : 0
}
const x: Matrix = { rows: n, cols, data }
const names = Array.from({ length: cols }, (_, i) => `f${i}`)
const out = new Float64Array(1)
console.log('| categoricals | batch rows/s (median) | best | single row µs | checksum |')
console.log('|---|---:|---:|---:|---|')
for (const native of [false, true]) {
  const model = await new GradientBoostingClassifier({
    nEstimators: 200,
    maxDepth: 6,
    maxLeaves: 64,
    learningRate: 0.1,
    earlyStopping: false,
    threads: 1,
  }).fit(x, y, { categoricalFeatures: native ? [8, 9, 10, 11] : [], featureNames: names })
  model.predictProba(x)
  const times: number[] = []
  let checksum = 0
  for (let k = 0; k < repeat; k++) {
    const t = performance.now()
    const p = model.predictProba(x)
    times.push(performance.now() - t)
    checksum += p.data[1]!
  }
  times.sort((a, b) => a - b)
  const rows = 50_000
  const t1 = performance.now()
  for (let r = 0; r < rows; r++) model.predictRowRaw(data, out, r * cols)
  const single = ((performance.now() - t1) * 1000) / rows
  const median = times[times.length >> 1]!
  console.log(
    `| ${native ? 'native' : 'integer codes'} | ${((n / median) * 1000).toFixed(0)} | ${((n / times[0]!) * 1000).toFixed(0)} | ${single.toFixed(2)} | ${(checksum / repeat).toFixed(12)} |`,
  )
}
