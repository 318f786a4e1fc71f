/**
 * `--model auto` against the four anchors of ../shared/datasets/ANCHORS.md, on the exact same
 * split (row indices from scikit-learn). Prints the chosen family, its cross-validated scores and
 * the test metric beside the best anchor.
 *
 *   npx tsx bench/auto.ts [dataset ...]
 */
import { join } from 'node:path'
import { loadDataset } from '../src/data/index.js'
import { trainModelBundle } from '../src/train/index.js'
import {
  ANCHOR_DATASETS,
  ANCHORS,
  type AnchorName,
  loadAnchorDataset,
  SHARED_DATASETS,
} from './lib/anchor-data.js'

const TARGETS: Record<AnchorName, { target: string; positive?: string }> = {
  ames: { target: 'Sale_Price' },
  attrition: { target: 'Attrition', positive: 'Yes' },
  breast_cancer: { target: 'diagnosis', positive: 'malignant' },
  credit_data: { target: 'Status', positive: 'bad' },
  mlc_churn: { target: 'churn', positive: 'yes' },
}

const names = (process.argv.slice(2).length > 0 ? process.argv.slice(2) : ANCHOR_DATASETS) as AnchorName[]
const rows: string[] = []
for (const name of names) {
  const anchor = loadAnchorDataset(name)
  const ds = await loadDataset(join(SHARED_DATASETS, `${name}.csv`))
  const spec = TARGETS[name]
  const start = Date.now()
  const outcome = await trainModelBundle({
    dataset: ds,
    target: spec.target,
    ...(spec.positive === undefined ? {} : { positiveClass: spec.positive }),
    task: anchor.task,
    model: 'auto',
    seed: 42,
    testSize: 0.2,
    folds: 5,
    split: { train: anchor.trainIndex, test: anchor.testIndex },
  })
  const a = ANCHORS[name]
  const metric = a.metric
  const keel = outcome.metrics.test![metric]!
  const best =
    metric === 'rmse' ? Math.min(a.linear, a.rf, a.hgb, a.xgb) : Math.max(a.linear, a.rf, a.hgb, a.xgb)
  const ok = metric === 'rmse' ? keel <= best * 1.01 : keel >= best - 0.003
  const cv = outcome.candidates.map((c) => `${c.family}=${c.cvScore.toFixed(4)}`).join(' ')
  rows.push(
    `| ${name} | ${metric} | ${outcome.family} | ${keel.toFixed(4)} | ${best.toFixed(4)} | ${metric === 'rmse' ? `${((keel / best - 1) * 100).toFixed(2)}%` : (keel - best).toFixed(4)} | ${ok ? 'yes' : 'NO'} | ${cv} | ${((Date.now() - start) / 1000).toFixed(1)} |`,
  )
  console.error(rows.at(-1))
}
console.log(
  '| dataset | metric | chosen | keel test | best anchor | diff | meets goal | cv (primary metric) | seconds |',
)
console.log('|---|---|---|---:|---:|---:|---|---|---:|')
for (const r of rows) console.log(r)
