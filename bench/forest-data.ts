/**
 * Synthetic benchmark data for bench/forest.ts: reads the CSV written by
 * ../shared/bench/make-synthetic.mjs, turns categorical labels into integer codes (sorted label
 * order) and splits rows deterministically 80/20 (every fifth row is a test row; the generator's
 * rows are i.i.d., so this is a random split). Writes the split as raw float64 files so the Python
 * anchor trains on exactly the same numbers.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import type { Matrix } from '../src/core/index.js'

export interface SyntheticSplit {
  readonly xTrain: Matrix
  readonly yTrain: Float64Array
  readonly xTest: Matrix
  readonly yTest: Float64Array
  readonly featureNames: readonly string[]
  readonly categorical: readonly number[]
}

/** `'every-fifth'`: rows 0, 5, 10, ... are the test part; `'all'`: every row is a training row. */
export function loadSynthetic(path: string, split: 'every-fifth' | 'all' = 'every-fifth'): SyntheticSplit {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
  const header = lines[0]!.split(',')
  const target = header.indexOf('label')
  const features = header.map((_, i) => i).filter((i) => i !== target && header[i] !== 'p_true')
  const rows = lines.slice(1).map((l) => l.split(','))
  const isCat = features.map((c) => header[c]!.startsWith('cat_'))
  const maps = features.map((c, j) =>
    isCat[j] ? new Map([...new Set(rows.map((r) => r[c]!))].sort().map((l, i) => [l, i])) : null,
  )
  const n = rows.length
  const d = features.length
  const nTest = split === 'all' ? 0 : Math.floor((n + 4) / 5)
  const xTr = new Float64Array((n - nTest) * d)
  const xTe = new Float64Array(nTest * d)
  const yTr = new Float64Array(n - nTest)
  const yTe = new Float64Array(nTest)
  let a = 0
  let b = 0
  for (let r = 0; r < n; r++) {
    const row = rows[r]!
    const test = split !== 'all' && r % 5 === 0
    const out = test ? xTe : xTr
    const at = test ? b : a
    for (let j = 0; j < d; j++) {
      const s = row[features[j]!]!
      const m = maps[j]
      out[at * d + j] = s === '' ? Number.NaN : m ? m.get(s)! : Number(s)
    }
    if (test) yTe[b++] = Number(row[target])
    else yTr[a++] = Number(row[target])
  }
  return {
    xTrain: { rows: n - nTest, cols: d, data: xTr },
    yTrain: yTr,
    xTest: { rows: nTest, cols: d, data: xTe },
    yTest: yTe,
    featureNames: features.map((c) => header[c]!),
    categorical: features.map((_, j) => j).filter((j) => isCat[j]),
  }
}

/** Writes x (row-major float64) and y for the Python side: PREFIX.{xtr,ytr,xte,yte}.f64 + .json shape. */
export function writeForPython(split: SyntheticSplit, prefix: string): void {
  const w = (name: string, a: Float64Array) =>
    writeFileSync(`${prefix}.${name}.f64`, Buffer.from(a.buffer, a.byteOffset, a.byteLength))
  w('xtr', split.xTrain.data)
  w('ytr', split.yTrain)
  w('xte', split.xTest.data)
  w('yte', split.yTest)
  writeFileSync(
    `${prefix}.json`,
    JSON.stringify({ d: split.xTrain.cols, nTrain: split.xTrain.rows, nTest: split.xTest.rows }),
  )
}
