/**
 * Random forest accuracy against the ANCHORS.md scikit-learn numbers (rf column), on the exact
 * ANCHORS split, 200 trees, defaults otherwise. Categoricals go in as integer codes (no one-hot).
 *
 *   node --import tsx bench/forest-accuracy.ts [--seeds 3] [--threads 2]
 *
 * Prints one row per dataset: Keel's metric (mean over seeds, and the range), the anchor and the
 * gap; the target is |AUC gap| <= 0.005 and RMSE within 3%.
 */
import { availableParallelism, cpus } from 'node:os'
import { RandomForestClassifier, RandomForestRegressor } from '../src/models/forest/index.js'
import { ANCHOR_DATASETS, ANCHORS, benchAuc, benchRmse, loadAnchorDataset } from './lib/anchor-data.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

const nSeeds = arg('seeds', 3)
const threads = arg('threads', 2)
const maxBins = arg('max-bins', 255)
console.log(
  `machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}; node ${process.version}; 200 trees; seeds 0..${nSeeds - 1}; threads ${threads}; maxBins ${maxBins}`,
)
console.log(
  '| dataset | metric | keel (mean) | keel (min..max) | sklearn rf | gap | within target | fit s (mean) |',
)
console.log('|---|---|---:|---:|---:|---:|---|---:|')
const only =
  process.argv.indexOf('--only') >= 0 ? process.argv[process.argv.indexOf('--only') + 1]!.split(',') : null
for (const name of ANCHOR_DATASETS) {
  if (only !== null && !only.includes(name)) continue
  const ds = loadAnchorDataset(name)
  const { xTrain, xTest, featureNames, categorical } = ds.codes
  const scores: number[] = []
  let fitSeconds = 0
  for (let seed = 0; seed < nSeeds; seed++) {
    const t0 = performance.now()
    if (ds.task === 'regression') {
      const model = await new RandomForestRegressor({ nEstimators: 200, seed, threads, maxBins }).fit(
        xTrain,
        ds.yTrain,
        {
          featureNames,
          categoricalFeatures: categorical,
        },
      )
      fitSeconds += (performance.now() - t0) / 1000
      scores.push(benchRmse(ds.yTest, model.predict(xTest)))
    } else {
      const model = await new RandomForestClassifier({ nEstimators: 200, seed, threads, maxBins }).fit(
        xTrain,
        ds.yTrain,
        {
          featureNames,
          categoricalFeatures: categorical,
        },
      )
      fitSeconds += (performance.now() - t0) / 1000
      const p = model.predictProba(xTest)
      scores.push(
        benchAuc(
          ds.yTest,
          Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]!),
        ),
      )
    }
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length
  const anchor = ANCHORS[name].rf
  const rmse = ds.task === 'regression'
  const gap = rmse ? (mean - anchor) / anchor : mean - anchor
  const ok = rmse ? gap <= 0.03 : Math.abs(gap) <= 0.005 || gap > 0
  const fmt = (v: number) => (rmse ? v.toFixed(0) : v.toFixed(4))
  console.log(
    `| ${name} | ${rmse ? 'RMSE' : 'ROC-AUC'} | ${fmt(mean)} | ${fmt(Math.min(...scores))}..${fmt(Math.max(...scores))} | ${fmt(anchor)} | ${rmse ? `${(gap * 100).toFixed(1)}%` : gap.toFixed(4)} | ${ok ? 'yes' : 'NO'} | ${(fitSeconds / nSeeds).toFixed(2)} |`,
  )
}
