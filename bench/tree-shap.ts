/**
 * Exact TreeSHAP on deep trees: the one-pass algorithm `treeShap` against the published Algorithm 2
 * (`treeShapReference`), same trees, same rows, medians of repeated runs. Deep random-forest trees are
 * where Algorithm 2's depth² cost per leaf made `keel train --model rf` spend minutes in the report.
 * Usage: node --import tsx bench/tree-shap.ts [rows=20000] [trees=5] [explained=50]
 */
import { Rng } from '../src/core/index.js'
import { treeShap, treeShapReference } from '../src/eval/index.js'
import { RandomForestRegressor } from '../src/models/index.js'

const [nRows = 20_000, nTrees = 5, nExplained = 50] = process.argv.slice(2).map(Number)
const cols = 12
const rng = new Rng(7)
const data = new Float64Array(nRows * cols)
const y = new Float64Array(nRows)
for (let r = 0; r < nRows; r++) {
  let t = 0
  for (let c = 0; c < cols; c++) {
    const v = rng.normal()
    data[r * cols + c] = v
    t += (c % 3 === 0 ? Math.sin(v * 3) : v * v) / (c + 1)
  }
  y[r] = t + rng.normal() * 0.5
}
const x = { rows: nRows, cols, data }
const model = await new RandomForestRegressor({ nEstimators: nTrees, seed: 1 }).fit(x, y)
const ensemble = model.treeEnsemble()
const sample = { rows: nExplained, cols, data: data.subarray(0, nExplained * cols) }

const median = (values: number[]): number => {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}
const time = (fn: () => unknown, repeats: number): number => {
  fn()
  const out: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    fn()
    out.push(performance.now() - t0)
  }
  return median(out)
}
const fast = time(() => treeShap(ensemble, sample), 5)
const slow = time(() => treeShapReference(ensemble, sample), 3)
console.log(`${nTrees} full-depth trees on ${nRows} rows, ${nExplained} rows explained`)
console.log(`treeShap (one pass)         ${fast.toFixed(1)} ms`)
console.log(`treeShapReference (Alg. 2)  ${slow.toFixed(1)} ms`)
console.log(`ratio                       ${(slow / fast).toFixed(1)}x`)
