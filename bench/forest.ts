/**
 * Random forest training speed: Keel vs scikit-learn (bench/forest_anchor.py) vs ml-random-forest,
 * on the same rows in one run: 100 trees, maxDepth 10, the synthetic set's categoricals as integer
 * codes (ordinal on every side), sqrt(features) per split.
 *
 *   node ../shared/bench/make-synthetic.mjs --rows 200000 --seed 1 --out /tmp/syn-200k.csv
 *   node ../shared/bench/make-synthetic.mjs --rows 50000 --seed 2 --out /tmp/syn-test-50k.csv
 *   node --import tsx bench/forest.ts --train /tmp/syn-200k.csv --test /tmp/syn-test-50k.csv \
 *     [--trees 100] [--depth 10] [--threads 2] [--ml-rows 4000,8000] [--ml-trees 4] [--skip-sklearn]
 *
 * Trains on every row of --train and measures test AUC on --test (same generator, another seed).
 * Fit seconds are the fit call alone, data already in memory, as wall time and as CPU time of all
 * threads (the machine is shared, so CPU time is the steadier comparison). Keel's worker pool is started by a
 * tiny warm-up fit first (a pool lives across fits; under tsx each worker also compiles TypeScript,
 * which built code does not): the cold first fit is printed too. scikit-learn 1.2 rejects NaN, so
 * its copy has missing cells median-imputed before its timer starts (Keel gets the NaN).
 * ml-random-forest is far too slow for 200k rows: it is timed on --ml-rows subsamples with
 * --ml-trees trees, and its 200k/100-tree time is extrapolated from the two sizes with a power law
 * in rows and linearly in trees (printed as an estimate).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { RandomForestClassifier as MlRandomForest } from 'ml-random-forest'
import type { Matrix } from '../src/core/index.js'
import { RandomForestClassifier } from '../src/models/forest/index.js'
import { loadSynthetic, writeForPython } from './forest-data.js'
import { benchAuc } from './lib/anchor-data.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const trainPath = arg('train', '/tmp/syn-200k.csv')
const testPath = arg('test', '/tmp/syn-test-50k.csv')
const nTrees = Number(arg('trees', '100'))
const depth = Number(arg('depth', '10'))
const threads = Number(arg('threads', '2'))
const mlRows = arg('ml-rows', '4000,8000').split(',').map(Number)
const mlTrees = Number(arg('ml-trees', '4'))
const skipSklearn = process.argv.includes('--skip-sklearn')

const commit = (() => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
})()
const load = () => execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()

const train = loadSynthetic(trainPath, 'all')
const test = loadSynthetic(testPath, 'all')
const x = train.xTrain
const y = train.yTrain
console.log(
  `data: train ${x.rows}x${x.cols} (${trainPath}), test ${test.xTrain.rows} rows (${testPath}); ${nTrees} trees, maxDepth ${depth}`,
)
console.log(
  `machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, node ${process.version}, commit ${commit}, loadavg ${load()}`,
)

function positiveScores(p: Matrix): Float64Array {
  return Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]!)
}

// --- Keel ---
const params = { nEstimators: nTrees, maxDepth: depth, threads, seed: 1 }
const tCold = performance.now()
await new RandomForestClassifier({ ...params, nEstimators: threads }).fit(
  { rows: 1000, cols: x.cols, data: x.data.subarray(0, 1000 * x.cols) },
  y.subarray(0, 1000),
)
const warmupSeconds = (performance.now() - tCold) / 1000
const t0 = performance.now()
const cpu0 = process.cpuUsage()
const model = await new RandomForestClassifier(params).fit(x, y)
const keelFit = (performance.now() - t0) / 1000
const cpu = process.cpuUsage(cpu0)
// user + system time of every thread of this process (workers included)
const keelCpu = (cpu.user + cpu.system) / 1e6
const t1 = performance.now()
const keelAuc = benchAuc(test.yTrain, positiveScores(model.predictProba(test.xTrain)))
const keelPredict = (performance.now() - t1) / 1000
console.log(
  `keel: fit ${keelFit.toFixed(2)} s wall, ${keelCpu.toFixed(2)} s CPU (threads ${threads}; pool warm-up fit ${warmupSeconds.toFixed(2)} s), predict ${keelPredict.toFixed(2)} s, test AUC ${keelAuc.toFixed(4)}`,
)

// --- scikit-learn ---
let sklearnFit = Number.NaN
let sklearnCpu = Number.NaN
let sklearnAuc = Number.NaN
if (!skipSklearn) {
  const dir = mkdtempSync(join(tmpdir(), 'keel-forest-bench-'))
  const prefix = join(dir, 'syn')
  writeForPython({ ...train, xTest: test.xTrain, yTest: test.yTrain }, prefix)
  const out = execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'forest_anchor.py'), prefix, String(nTrees), String(depth), '2'],
    { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' } },
  )
  const res = JSON.parse(out.trim().split('\n').pop()!) as {
    fitSeconds: number
    fitCpuSeconds: number
    auc: number
    predictSeconds: number
  }
  sklearnFit = res.fitSeconds
  sklearnCpu = res.fitCpuSeconds
  sklearnAuc = res.auc
  console.log(
    `sklearn RandomForestClassifier(n_jobs=2): fit ${res.fitSeconds.toFixed(2)} s wall, ${res.fitCpuSeconds.toFixed(2)} s CPU, predict ${res.predictSeconds.toFixed(2)} s, test AUC ${res.auc.toFixed(4)}`,
  )
}

// --- ml-random-forest on subsamples ---
const medians = (() => {
  const out = new Float64Array(x.cols)
  for (let c = 0; c < x.cols; c++) {
    const v: number[] = []
    for (let r = 0; r < x.rows; r += 10)
      if (!Number.isNaN(x.data[r * x.cols + c]!)) v.push(x.data[r * x.cols + c]!)
    v.sort((a, b) => a - b)
    out[c] = v[v.length >> 1] ?? 0
  }
  return out
})()
const rowsOf = (m: Matrix, n: number): number[][] =>
  Array.from({ length: n }, (_, r) =>
    Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols), (v, c) => (Number.isNaN(v) ? medians[c]! : v)),
  )
const mlTimes: { rows: number; seconds: number; auc: number }[] = []
for (const n of mlRows) {
  const forest = new MlRandomForest({
    nEstimators: mlTrees,
    maxFeatures: Math.floor(Math.sqrt(x.cols)),
    replacement: false,
    useSampleBagging: true,
    noOOB: true,
    seed: 1,
    treeOptions: { maxDepth: depth },
  })
  const xs = rowsOf(x, n)
  const ys = Array.from(y.subarray(0, n))
  const c = process.cpuUsage()
  forest.train(xs, ys)
  const used = process.cpuUsage(c)
  // ml-random-forest is single-threaded: its CPU time is its fit time on an idle core
  const seconds = (used.user + used.system) / 1e6
  const testRows = rowsOf(test.xTrain, Math.min(5000, test.xTrain.rows))
  const proba = forest.predictProbability(testRows, 1)
  const auc = benchAuc(test.yTrain.subarray(0, testRows.length), proba)
  mlTimes.push({ rows: n, seconds, auc })
  console.log(
    `ml-random-forest: ${n} rows, ${mlTrees} trees: fit ${seconds.toFixed(2)} s CPU (test AUC on 5000 rows ${auc.toFixed(4)})`,
  )
}
const [a, b] = [mlTimes[0]!, mlTimes[mlTimes.length - 1]!]
const exponent = a.rows === b.rows ? 1 : Math.log(b.seconds / a.seconds) / Math.log(b.rows / a.rows)
const mlEstimate = b.seconds * (x.rows / b.rows) ** Math.max(1, exponent) * (nTrees / mlTrees)
console.log(
  `ml-random-forest estimate for ${x.rows} rows, ${nTrees} trees: ${mlEstimate.toFixed(0)} s (rows exponent ${exponent.toFixed(2)}, floored at 1; extrapolated, not run)`,
)

console.log('\n| side | fit s (wall) | fit s (CPU) | test AUC | keel / side (wall) | keel / side (CPU) |')
console.log('|---|---:|---:|---:|---:|---:|')
console.log(
  `| keel (${threads} threads) | ${keelFit.toFixed(2)} | ${keelCpu.toFixed(2)} | ${keelAuc.toFixed(4)} | 1.00 | 1.00 |`,
)
if (!skipSklearn)
  console.log(
    `| sklearn n_jobs=2 | ${sklearnFit.toFixed(2)} | ${sklearnCpu.toFixed(2)} | ${sklearnAuc.toFixed(4)} | ${(keelFit / sklearnFit).toFixed(2)} | ${(keelCpu / sklearnCpu).toFixed(2)} |`,
  )
const mlLast = mlTimes[mlTimes.length - 1]!
console.log(
  `| ml-random-forest (1 thread; estimated from ${mlLast.rows} rows, ${mlTrees} trees) | | ${mlEstimate.toFixed(0)} | ${mlLast.auc.toFixed(4)} (at ${mlLast.rows} rows) | | ${(keelCpu / mlEstimate).toFixed(4)} |`,
)
console.log(`loadavg after: ${load()}`)
