/**
 * Evaluation bench: exact TreeSHAP throughput, ROC-AUC on a large vector, and report rendering.
 *
 *   node --import tsx bench/eval.ts [--rows 1000] [--trees 100] [--depth 6] [--features 20]
 *
 * Prints one JSON line with the data shape, machine, commit and timings (median of 3 runs).
 */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { matrix, Rng } from '../src/core/index.js'
import { renderReport, rocAuc, treeShap } from '../src/eval/index.js'
import type { TreeEnsembleView, TreeView } from '../src/models/estimator.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}

/** A full binary tree of the given depth with random splits and consistent covers. */
function randomTree(rng: Rng, depth: number, nFeatures: number): TreeView {
  const nNodes = 2 ** (depth + 1) - 1
  const feature = new Int32Array(nNodes)
  const threshold = new Float64Array(nNodes)
  const left = new Int32Array(nNodes).fill(-1)
  const right = new Int32Array(nNodes).fill(-1)
  const value = new Float64Array(nNodes)
  const cover = new Float64Array(nNodes)
  for (let i = 0; i < nNodes; i++) {
    if (2 * i + 2 < nNodes) {
      feature[i] = rng.int(nFeatures)
      threshold[i] = rng.normal()
      left[i] = 2 * i + 1
      right[i] = 2 * i + 2
    } else {
      feature[i] = -1
      value[i] = rng.normal() * 0.1
      cover[i] = 1 + rng.int(100)
    }
  }
  for (let i = nNodes - 1; i >= 0; i--) if (left[i]! !== -1) cover[i] = cover[left[i]!]! + cover[right[i]!]!
  return { feature, threshold, left, right, defaultLeft: new Uint8Array(nNodes).fill(1), value, cover }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const rows = arg('rows', 1000)
const nTrees = arg('trees', 100)
const depth = arg('depth', 6)
const nFeatures = arg('features', 20)
const rng = new Rng(1)
const ensemble: TreeEnsembleView = {
  nOutputs: 1,
  baseScore: Float64Array.of(0),
  trees: Array.from({ length: nTrees }, () => ({ tree: randomTree(rng, depth, nFeatures), output: 0 })),
  treeWeight: 1,
}
const x = matrix(
  rows,
  nFeatures,
  Float64Array.from({ length: rows * nFeatures }, () => rng.normal()),
)
const shapMs: number[] = []
for (let r = 0; r < 3; r++) {
  const t0 = performance.now()
  treeShap(ensemble, x)
  shapMs.push(performance.now() - t0)
}

const n = 1_000_000
const y = new Float64Array(n)
const score = new Float64Array(n)
for (let i = 0; i < n; i++) {
  y[i] = rng.next() < 0.3 ? 1 : 0
  score[i] = y[i]! * 0.5 + rng.next()
}
const aucMs: number[] = []
for (let r = 0; r < 3; r++) {
  const t0 = performance.now()
  rocAuc(y, score)
  aucMs.push(performance.now() - t0)
}

const roc = {
  fpr: Float64Array.from({ length: 1000 }, (_, i) => i / 999),
  tpr: Float64Array.from({ length: 1000 }, (_, i) => Math.sqrt(i / 999)),
}
const reportMs: number[] = []
for (let r = 0; r < 3; r++) {
  const t0 = performance.now()
  renderReport({
    run: { id: 'bench', task: 'binary', modelKind: 'gbdt', createdAt: '2026-11-26T00:00:00Z' },
    metrics: [{ name: 'roc_auc', value: 0.8 }],
    curves: {
      roc,
      pr: { precision: roc.tpr, recall: roc.fpr },
      calibration: { probTrue: roc.fpr.slice(0, 10), probPred: roc.fpr.slice(0, 10) },
    },
    confusionMatrix: {
      labels: ['0', '1'],
      matrix: [
        [50, 10],
        [8, 32],
      ],
    },
    importances: [
      {
        kind: 'gain',
        features: Array.from({ length: 20 }, (_, i) => `f${i}`),
        values: Float64Array.from({ length: 20 }, (_, i) => 20 - i),
      },
    ],
    learningCurves: [
      {
        model: 'gbdt',
        points: Array.from({ length: 200 }, (_, i) => ({
          iteration: i,
          trainLoss: 1 / (i + 1),
          validLoss: 1.1 / (i + 1),
        })),
      },
    ],
  })
  reportMs.push(performance.now() - t0)
}

let commit = 'unknown'
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {
  // not a git checkout: leave 'unknown'
}
console.log(
  JSON.stringify({
    commit,
    cpu: cpus()[0]?.model,
    cores: cpus().length,
    loadavg1: loadavg()[0],
    node: process.version,
    treeshap: {
      rows,
      trees: nTrees,
      depth,
      features: nFeatures,
      ms: median(shapMs),
      rowsPerS: Math.round(rows / (median(shapMs) / 1000)),
    },
    rocAuc: { rows: n, ms: median(aucMs) },
    renderReport: { charts: 6, ms: median(reportMs) },
  }),
)
