/**
 * Loads a dataset from ../shared/datasets with the exact ANCHORS.md split (row indices written by
 * scikit-learn's train_test_split, so both sides train and test on the same rows), encoded two ways:
 * - `codes`: numerics as is (NaN missing), categoricals as integer codes (NaN missing): for trees/GBDT.
 * - `oneHot`: numerics median-imputed (train medians), categoricals with missing as its own level,
 *   one-hot over train levels (unknown -> all zeros): the protocol's linear-model preprocessing,
 *   before standardisation (linear models standardise internally).
 * Bench-only helper; a tiny CSV reader is enough because these files never quote fields.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Matrix } from '../../src/core/index.js'

const HERE = dirname(fileURLToPath(import.meta.url))
export const SHARED_DATASETS = join(HERE, '..', '..', '..', 'shared', 'datasets')
const SPLIT_DIR = join(HERE, '..', 'out', 'splits')

export const ANCHOR_DATASETS = ['ames', 'attrition', 'breast_cancer', 'credit_data', 'mlc_churn'] as const
export type AnchorName = (typeof ANCHOR_DATASETS)[number]

/** Anchor results from ANCHORS.md (AUC for binary, RMSE for regression). */
export const ANCHORS: Record<
  AnchorName,
  { metric: 'roc_auc' | 'rmse'; linear: number; rf: number; hgb: number; xgb: number }
> = {
  ames: { metric: 'rmse', linear: 30642, rf: 29114, hgb: 27538, xgb: 29482 },
  attrition: { metric: 'roc_auc', linear: 0.8152, rf: 0.7945, hgb: 0.7832, xgb: 0.7476 },
  breast_cancer: { metric: 'roc_auc', linear: 0.996, rf: 0.9945, hgb: 0.994, xgb: 0.9934 },
  credit_data: { metric: 'roc_auc', linear: 0.8386, rf: 0.8389, hgb: 0.8388, xgb: 0.838 },
  mlc_churn: { metric: 'roc_auc', linear: 0.8175, rf: 0.9213, hgb: 0.932, xgb: 0.9226 },
}

export interface EncodedSplit {
  readonly xTrain: Matrix
  readonly xTest: Matrix
  readonly featureNames: readonly string[]
}

export interface AnchorDataset {
  readonly name: AnchorName
  readonly task: 'binary' | 'regression'
  readonly yTrain: Float64Array
  readonly yTest: Float64Array
  /** Numerics raw + categoricals as integer codes; `categorical` lists the code columns. */
  readonly codes: EncodedSplit & { readonly categorical: readonly number[] }
  /** Median-imputed numerics + one-hot categoricals (protocol preprocessing for linear models). */
  readonly oneHot: EncodedSplit
  readonly trainIndex: Int32Array
  readonly testIndex: Int32Array
}

interface Meta {
  datasets: {
    name: string
    file: string
    target: string
    task: 'binary' | 'regression'
    positive_class?: string
  }[]
}

function splitIndices(name: string): { train: number[]; test: number[] } {
  const path = join(SPLIT_DIR, `${name}.json`)
  if (!existsSync(path)) {
    execFileSync('/usr/bin/python3', [join(HERE, '..', 'anchors', 'split_indices.py'), SPLIT_DIR], {
      stdio: 'inherit',
    })
  }
  return JSON.parse(readFileSync(path, 'utf8')) as { train: number[]; test: number[] }
}

function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
  if (v.length === 0) return 0
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2
}

/** Loads one shared dataset with the ANCHORS split. */
export function loadAnchorDataset(name: AnchorName): AnchorDataset {
  const meta = (
    JSON.parse(readFileSync(join(SHARED_DATASETS, 'datasets.json'), 'utf8')) as Meta
  ).datasets.find((d) => d.name === name)
  if (meta === undefined) throw new Error(`unknown dataset ${name}`)
  const lines = readFileSync(join(SHARED_DATASETS, meta.file), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
  const header = lines[0]!.split(',')
  const rows = lines.slice(1).map((l) => l.split(','))
  const targetIndex = header.indexOf(meta.target)
  const featureIdx = header.map((_, i) => i).filter((i) => i !== targetIndex)
  const isNumeric = featureIdx.map((c) => rows.every((r) => r[c] === '' || !Number.isNaN(Number(r[c]))))
  const y = new Float64Array(rows.length)
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r]![targetIndex]!
    y[r] = meta.task === 'regression' ? Number(v) : v === meta.positive_class ? 1 : 0
  }
  const split = splitIndices(name)
  const trainIndex = Int32Array.from(split.train)
  const testIndex = Int32Array.from(split.test)
  const take = (idx: Int32Array) => Float64Array.from(idx, (i) => y[i]!)

  // codes encoding
  const codeNames: string[] = []
  const categorical: number[] = []
  const codeCols: Float64Array[] = []
  // one-hot encoding
  const ohNames: string[] = []
  const ohColsTrain: Float64Array[] = []
  const ohColsTest: Float64Array[] = []
  featureIdx.forEach((c, j) => {
    const name = header[c]!
    const raw = rows.map((r) => r[c]!)
    if (isNumeric[j]) {
      const v = Float64Array.from(raw, (s) => (s === '' ? Number.NaN : Number(s)))
      codeNames.push(name)
      codeCols.push(v)
      const med = median(Array.from(trainIndex, (i) => v[i]!))
      const imputed = Float64Array.from(v, (x) => (Number.isNaN(x) ? med : x))
      ohNames.push(name)
      ohColsTrain.push(Float64Array.from(trainIndex, (i) => imputed[i]!))
      ohColsTest.push(Float64Array.from(testIndex, (i) => imputed[i]!))
    } else {
      const levels = [...new Set(raw.filter((s) => s !== ''))].sort()
      const code = new Map(levels.map((l, i) => [l, i]))
      categorical.push(codeNames.length)
      codeNames.push(name)
      codeCols.push(Float64Array.from(raw, (s) => (s === '' ? Number.NaN : code.get(s)!)))
      const withMissing = raw.map((s) => (s === '' ? '__missing__' : s))
      const trainLevels = [...new Set(Array.from(trainIndex, (i) => withMissing[i]!))].sort()
      for (const level of trainLevels) {
        ohNames.push(`${name}=${level}`)
        ohColsTrain.push(Float64Array.from(trainIndex, (i) => (withMissing[i] === level ? 1 : 0)))
        ohColsTest.push(Float64Array.from(testIndex, (i) => (withMissing[i] === level ? 1 : 0)))
      }
    }
  })
  const toMatrix = (cols: Float64Array[], idx: Int32Array | null): Matrix => {
    const nRows = idx === null ? cols[0]!.length : idx.length
    const nCols = cols.length
    const data = new Float64Array(nRows * nCols)
    for (let j = 0; j < nCols; j++) {
      const col = cols[j]!
      for (let r = 0; r < nRows; r++) data[r * nCols + j] = idx === null ? col[r]! : col[idx[r]!]!
    }
    return { rows: nRows, cols: nCols, data }
  }
  return {
    name,
    task: meta.task,
    yTrain: take(trainIndex),
    yTest: take(testIndex),
    codes: {
      xTrain: toMatrix(codeCols, trainIndex),
      xTest: toMatrix(codeCols, testIndex),
      featureNames: codeNames,
      categorical,
    },
    oneHot: { xTrain: toMatrix(ohColsTrain, null), xTest: toMatrix(ohColsTest, null), featureNames: ohNames },
    trainIndex,
    testIndex,
  }
}

/** ROC-AUC with tie handling (Mann-Whitney U), for benches that must not depend on src/eval. */
export function benchAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const n = y.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!)
  let rankSumPos = 0
  let nPos = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (y[order[k]!] === 1) {
        rankSumPos += rank
        nPos++
      }
    }
    i = j + 1
  }
  const nNeg = n - nPos
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

/** Root mean squared error. */
export function benchRmse(y: ArrayLike<number>, pred: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < y.length; i++) s += (y[i]! - pred[i]!) ** 2
  return Math.sqrt(s / y.length)
}
