/**
 * MLP with default params on the shared datasets (ANCHORS split, one-hot matrices), next to the
 * ANCHORS linear and best-model results, as a sanity check of the defaults.
 *
 *   node --import tsx bench/mlp-accuracy.ts [dataset...]
 */
import { execFileSync } from 'node:child_process'
import { MLPClassifier, MLPRegressor } from '../src/models/nn/index.js'
import type { AnchorName } from './lib/anchor-data.js'
import { ANCHOR_DATASETS, ANCHORS, benchAuc, benchRmse, loadAnchorDataset } from './lib/anchor-data.js'

const names = (
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : [...ANCHOR_DATASETS]
) as AnchorName[]
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
console.log(`MLP defaults on the ANCHORS split; commit ${commit}`)
console.log(
  '| dataset | metric | ANCHORS linear | ANCHORS best | Keel MLP | best epoch / epochs run | fit s |',
)
console.log('|---|---|---:|---:|---:|---|---:|')
for (const name of names) {
  const ds = loadAnchorDataset(name)
  const a = ANCHORS[name]
  const best =
    a.metric === 'rmse' ? Math.min(a.linear, a.rf, a.hgb, a.xgb) : Math.max(a.linear, a.rf, a.hgb, a.xgb)
  const t = performance.now()
  let score: number
  let epochs: string
  if (ds.task === 'regression') {
    const m = await new MLPRegressor().fit(ds.oneHot.xTrain, ds.yTrain)
    score = benchRmse(ds.yTest, m.predict(ds.oneHot.xTest))
    epochs = `${m.bestEpoch} / ${m.epochsRun}`
  } else {
    const m = await new MLPClassifier().fit(ds.oneHot.xTrain, ds.yTrain)
    const p = m.predictProba(ds.oneHot.xTest)
    score = benchAuc(
      ds.yTest,
      Float64Array.from({ length: p.rows }, (_, i) => p.data[2 * i + 1]!),
    )
    epochs = `${m.bestEpoch} / ${m.epochsRun}`
  }
  const fit = (performance.now() - t) / 1000
  const f = (v: number) => (a.metric === 'rmse' ? v.toFixed(0) : v.toFixed(4))
  console.log(
    `| ${name} | ${a.metric} | ${f(a.linear)} | ${f(best)} | ${f(score)} | ${epochs} | ${fit.toFixed(1)} |`,
  )
}
