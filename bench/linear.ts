/**
 * Linear models vs scikit-learn LogisticRegression / Ridge and npm ml-logistic-regression on the
 * shared datasets (ANCHORS.md split and preprocessing, same matrices for every library).
 *
 *   node --import tsx bench/linear.ts            # all five datasets
 *   node --import tsx bench/linear.ts ames       # a subset
 *
 * Keel: default params (l2 = 1, i.e. C = 1 / Ridge alpha = 1; standardisation inside the model).
 * ml-logistic-regression: full-batch gradient ascent without an intercept or scaling of its own, so
 * it gets our standardised matrix plus a column of ones, 1000 steps at rate 1/n (a mean-gradient
 * step of 1); its default of 50,000 steps at 5e-4 would take hours on these files.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { LinearRegression, LogisticRegression } from '../src/models/linear/index.js'
import type { AnchorName } from './lib/anchor-data.js'
import { ANCHOR_DATASETS, ANCHORS, benchAuc, benchRmse, loadAnchorDataset } from './lib/anchor-data.js'

interface MlMatrixModule {
  Matrix: new (rows: number[][]) => unknown
}
interface MlLogReg {
  train(x: unknown, y: unknown): void
  classifiers: { testScores(x: unknown): number[] }[]
}
const require = createRequire(import.meta.url)
const { Matrix: MlMatrix } = require('ml-matrix') as MlMatrixModule
const MlLogisticRegression = require('ml-logistic-regression') as new (o: {
  numSteps: number
  learningRate: number
}) => MlLogReg
const columnVector = (require('ml-matrix') as { Matrix: { columnVector(v: number[]): unknown } }).Matrix
  .columnVector

const names = (
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...ANCHOR_DATASETS]
) as AnchorName[]
const dir = join(tmpdir(), 'keel-linear-bench')
mkdirSync(dir, { recursive: true })

interface Row {
  name: string
  metric: string
  anchor: number
  keel: number
  sklearn: number
  ml: number | undefined
  keelFit: number
  keelCold: number
  sklearnFit: number
  mlFit: number | undefined
  iterations: number
}
const rows: Row[] = []
for (const name of names) {
  const ds = loadAnchorDataset(name)
  const { xTrain, xTest, featureNames } = ds.oneHot
  const numeric = featureNames.map((f) => !f.includes('='))
  const f64 = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
  writeFileSync(join(dir, `${name}.xtr.f64`), f64(xTrain.data))
  writeFileSync(join(dir, `${name}.xte.f64`), f64(xTest.data))
  writeFileSync(join(dir, `${name}.ytr.f64`), f64(ds.yTrain))
  writeFileSync(join(dir, `${name}.yte.f64`), f64(ds.yTest))
  writeFileSync(join(dir, `${name}.json`), JSON.stringify({ cols: xTrain.cols, task: ds.task, numeric }))
  const out = execFileSync('/usr/bin/python3', [join(import.meta.dirname, 'linear_anchor.py'), dir, name], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
    encoding: 'utf8',
  })
  const sk = JSON.parse(out.trim()) as { score: number; fitSeconds: number }

  let keel: number
  let keelFit: number
  let iterations = 1
  let ml: number | undefined
  let mlFit: number | undefined
  let keelCold: number
  if (ds.task === 'regression') {
    let t = performance.now()
    await new LinearRegression().fit(xTrain, ds.yTrain)
    keelCold = (performance.now() - t) / 1000
    t = performance.now()
    const model = await new LinearRegression().fit(xTrain, ds.yTrain)
    keelFit = (performance.now() - t) / 1000
    keel = benchRmse(ds.yTest, model.predict(xTest))
  } else {
    // First fit in this process for this shape includes JIT compilation; the second is steady state.
    let t = performance.now()
    await new LogisticRegression().fit(xTrain, ds.yTrain)
    keelCold = (performance.now() - t) / 1000
    t = performance.now()
    const model = await new LogisticRegression().fit(xTrain, ds.yTrain)
    keelFit = (performance.now() - t) / 1000
    iterations = model.iterations
    const proba = model.predictProba(xTest)
    keel = benchAuc(
      ds.yTest,
      Float64Array.from({ length: xTest.rows }, (_, i) => proba.data[2 * i + 1]!),
    )
    // ml-logistic-regression on the same standardised matrix plus an intercept column.
    const { mean, scale } = model.coefficients()
    const toRows = (x: typeof xTrain) =>
      Array.from({ length: x.rows }, (_, i) => {
        const r = Array.from({ length: x.cols }, (_, j) => (x.data[i * x.cols + j]! - mean[j]!) / scale[j]!)
        r.push(1)
        return r
      })
    const mlModel = new MlLogisticRegression({ numSteps: 1000, learningRate: 1 / xTrain.rows })
    const mlX = new MlMatrix(toRows(xTrain))
    const t2 = performance.now()
    mlModel.train(mlX, columnVector(Array.from(ds.yTrain)))
    mlFit = (performance.now() - t2) / 1000
    // One-vs-all: classifier c is trained with class c as 0 and the rest as 1, so classifier 0
    // scores P(class 1).
    const scores = mlModel.classifiers[0]!.testScores(new MlMatrix(toRows(xTest)))
    ml = benchAuc(ds.yTest, scores)
  }
  rows.push({
    name,
    metric: ANCHORS[name].metric,
    anchor: ANCHORS[name].linear,
    keel,
    sklearn: sk.score,
    ml,
    keelFit,
    keelCold,
    sklearnFit: sk.fitSeconds,
    mlFit,
    iterations,
  })
}

const fmt = (v: number, metric: string) => (metric === 'rmse' ? v.toFixed(0) : v.toFixed(4))
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
console.log(
  `\nLinear models, ANCHORS split; ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; commit ${commit}`,
)
console.log(
  '| dataset | rows x cols | metric | ANCHORS | sklearn | Keel | Keel - sklearn | ml-logreg | Keel fit s (1st / 2nd) | sklearn fit s | fit ratio (2nd) | ml fit s | iters | target met |',
)
console.log('|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|')
for (const r of rows) {
  const ds = loadAnchorDataset(r.name as AnchorName)
  const diff = r.keel - r.sklearn
  const ok = r.metric === 'rmse' ? r.keel <= r.sklearn * 1.03 : r.keel >= r.sklearn - 0.005
  console.log(
    `| ${r.name} | ${ds.oneHot.xTrain.rows} x ${ds.oneHot.xTrain.cols} | ${r.metric} | ${fmt(r.anchor, r.metric)} | ${fmt(r.sklearn, r.metric)} | ${fmt(r.keel, r.metric)} | ${r.metric === 'rmse' ? `${((100 * diff) / r.sklearn).toFixed(2)}%` : diff.toFixed(4)} | ${r.ml === undefined ? '-' : r.ml.toFixed(4)} | ${r.keelCold.toFixed(3)} / ${r.keelFit.toFixed(3)} | ${r.sklearnFit.toFixed(3)} | ${(r.keelFit / r.sklearnFit).toFixed(2)} | ${r.mlFit === undefined ? '-' : r.mlFit.toFixed(2)} | ${r.iterations} | ${ok ? 'yes' : 'NO'} |`,
  )
}
