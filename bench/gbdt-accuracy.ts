/**
 * GBDT accuracy with default params on the shared datasets (ANCHORS.md split), against the
 * anchors' numbers. Usage: node --import tsx bench/gbdt-accuracy.ts [--params JSON] [names...]
 */
import { GradientBoostingClassifier, GradientBoostingRegressor } from '../src/models/gbdt/index.js'
import {
  ANCHOR_DATASETS,
  ANCHORS,
  type AnchorName,
  benchAuc,
  benchRmse,
  loadAnchorDataset,
} from './lib/anchor-data.js'

const args = process.argv.slice(2)
let params: Record<string, unknown> = {}
const names: AnchorName[] = []
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--params') params = JSON.parse(args[++i]!) as Record<string, unknown>
  else names.push(args[i] as AnchorName)
}
const rows: string[] = [
  '| dataset | metric | keel | hgb | xgb | target | ok | fit s |',
  '|---|---|---:|---:|---:|---:|---|---:|',
]
for (const name of names.length > 0 ? names : ANCHOR_DATASETS) {
  const d = loadAnchorDataset(name)
  const a = ANCHORS[name]
  const opts = { categoricalFeatures: d.codes.categorical, featureNames: d.codes.featureNames }
  const t0 = performance.now()
  if (d.task === 'regression') {
    const m = await new GradientBoostingRegressor(params).fit(d.codes.xTrain, d.yTrain, opts)
    const fitS = (performance.now() - t0) / 1000
    const rmse = benchRmse(d.yTest, m.predict(d.codes.xTest))
    const target = Math.min(a.hgb, a.xgb) * 1.02
    rows.push(
      `| ${name} | RMSE | ${rmse.toFixed(0)} | ${a.hgb} | ${a.xgb} | <= ${target.toFixed(0)} | ${rmse <= target ? 'yes' : 'NO'} | ${fitS.toFixed(2)} |`,
    )
  } else {
    const m = await new GradientBoostingClassifier(params).fit(d.codes.xTrain, d.yTrain, opts)
    const fitS = (performance.now() - t0) / 1000
    const p = m.predictProba(d.codes.xTest)
    const score = Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]!)
    const auc = benchAuc(d.yTest, score)
    const target = Math.max(a.hgb, a.xgb) - 0.003
    rows.push(
      `| ${name} | ROC-AUC | ${auc.toFixed(4)} | ${a.hgb} | ${a.xgb} | >= ${target.toFixed(4)} | ${auc >= target ? 'yes' : 'NO'} | ${fitS.toFixed(2)} |`,
    )
  }
}
console.log(rows.join('\n'))
