import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { runTraining } from '../src/train/index.js'

const t0 = performance.now()
let last = t0
let lastMsg = 'start'
const { result } = await runTraining({
  dataPath: process.argv[2] ?? '/tmp/keel-deep-regression-54000.csv',
  target: process.argv[3] ?? 'y',
  model: (process.argv[4] ?? 'rf') as 'rf',
  params: { nEstimators: Number(process.argv[5] ?? 20) },
  seed: 1,
  folds: 5,
  name: 'p',
  storeUrl: `sqlite:${join(mkdtempSync(join(tmpdir(), 'kp-')), 'k.db')}`,
  onProgress: (e) => {
    if (e.kind === 'stage') {
      const now = performance.now()
      console.log(`${((now - last) / 1000).toFixed(2)}s  ${lastMsg}`)
      last = now
      lastMsg = e.message
    }
  },
})
console.log(`${((performance.now() - last) / 1000).toFixed(2)}s  ${lastMsg}`)
console.log(
  `fit ${result.fitSeconds.toFixed(2)} whole ${((performance.now() - t0) / 1000).toFixed(2)} bytes ${result.artifactBytes}`,
)
