// Quick timing of repeated fits (JIT warm) on one dataset: node --import tsx bench/linear-profile.ts NAME
import { LinearRegression, LogisticRegression } from '../src/models/linear/index.js'
import type { AnchorName } from './lib/anchor-data.js'
import { loadAnchorDataset } from './lib/anchor-data.js'

const ds = loadAnchorDataset((process.argv[2] ?? 'attrition') as AnchorName)
for (let r = 0; r < 4; r++) {
  const t = performance.now()
  const m =
    ds.task === 'regression'
      ? await new LinearRegression().fit(ds.oneHot.xTrain, ds.yTrain)
      : await new LogisticRegression().fit(ds.oneHot.xTrain, ds.yTrain)
  console.log(
    ds.name,
    r,
    ((performance.now() - t) / 1000).toFixed(3),
    's',
    'iterations' in m ? m.iterations : '',
  )
}
