/**
 * MLP vs PyTorch CPU (2 threads) on the 100k-row synthetic set: same network (hidden 256-128,
 * batch norm, ReLU, one logit + BCE), Adam lr 1e-3, batch 512, no dropout or weight decay, same
 * stratified 80/20 split and the same standardised inputs (28 numerics, median-imputed, plus the
 * one-hot of cat_a and cat_b: 43 columns).
 *
 *   node /work/shared/bench/make-synthetic.mjs --rows 100000 --seed 1 --out /tmp/syn-100k.csv
 *   node --import tsx bench/mlp.ts [--data /tmp/syn-100k.csv] [--epochs 4] [--batch 512]
 *     [--hidden 256,128] [--dropout 0] [--activation relu|gelu]
 *
 *     [--runs 3] [--base /path/to/other/keel/checkout]
 *
 * Prints per-epoch seconds for both, the ratio of the mean epoch time (first epoch excluded on
 * both sides: it includes JIT / allocator warm-up), and test AUC after the same number of epochs.
 * With --runs N the sides alternate N times (PyTorch first on odd runs, Keel first on even ones),
 * so both see the same machine load, and the summary takes medians over the runs. --base adds a
 * third side: the MLP of another checkout (e.g. a copy at the previous commit), for before/after.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Rng } from '../src/core/index.js'
import { benchAuc } from './lib/anchor-data.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const file = arg('--data', '/tmp/syn-100k.csv')
const epochs = Number(arg('--epochs', '4'))
const hidden = arg('--hidden', '256,128').split(',').map(Number)
const batchSize = Number(arg('--batch', '512'))
const dropout = Number(arg('--dropout', '0'))
const activation = arg('--activation', 'relu') === 'gelu' ? 'gelu' : 'relu'
const runs = Number(arg('--runs', '1'))
const baseDir = arg('--base', '')
const learningRate = 1e-3

// Load: numerics (empty = missing) and one-hot of cat_a / cat_b.
const lines = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0)
const header = lines[0]!.split(',')
const numIdx = header.map((h, i) => (h.startsWith('num_') ? i : -1)).filter((i) => i >= 0)
const catIdx = ['cat_a', 'cat_b'].map((c) => header.indexOf(c))
const labelIdx = header.indexOf('label')
const n = lines.length - 1
const cells = lines.slice(1).map((l) => l.split(','))
const levels = catIdx.map((c) => [...new Set(cells.map((r) => r[c]!))].sort())
const cols = numIdx.length + levels.reduce((s, l) => s + l.length, 0)
const raw = new Float64Array(n * cols)
const y = new Float64Array(n)
cells.forEach((r, i) => {
  numIdx.forEach((c, j) => {
    raw[i * cols + j] = r[c] === '' ? Number.NaN : Number(r[c])
  })
  let off = numIdx.length
  catIdx.forEach((c, k) => {
    raw[i * cols + off + levels[k]!.indexOf(r[c]!)] = 1
    off += levels[k]!.length
  })
  y[i] = Number(r[labelIdx])
})

// Stratified 80/20 split (seeded), then train-median imputation and standardisation of numerics.
const rng = new Rng(42)
const isTest = new Uint8Array(n)
for (const cls of [0, 1]) {
  const rows = rng.shuffle(Array.from({ length: n }, (_, i) => i).filter((i) => y[i] === cls))
  for (let t = 0; t < Math.round(rows.length * 0.2); t++) isTest[rows[t]!] = 1
}
const trainRows = Array.from({ length: n }, (_, i) => i).filter((i) => isTest[i] === 0)
const testRows = Array.from({ length: n }, (_, i) => i).filter((i) => isTest[i] === 1)
for (let j = 0; j < numIdx.length; j++) {
  const v = trainRows.map((i) => raw[i * cols + j]!).filter((x) => !Number.isNaN(x))
  v.sort((a, b) => a - b)
  const med = v[v.length >> 1]!
  let mean = 0
  for (const x of v) mean += x
  mean /= v.length
  let ss = 0
  for (const x of v) ss += (x - mean) ** 2
  const sd = Math.sqrt(ss / v.length) || 1
  for (let i = 0; i < n; i++) {
    const x = raw[i * cols + j]!
    raw[i * cols + j] = ((Number.isNaN(x) ? med : x) - mean) / sd
  }
}
const take = (rows: number[]) => {
  const data = new Float64Array(rows.length * cols)
  rows.forEach((r, i) => {
    data.set(raw.subarray(r * cols, (r + 1) * cols), i * cols)
  })
  return { rows: rows.length, cols, data }
}
const xTrain = take(trainRows)
const xTest = take(testRows)
const yTrain = Float64Array.from(trainRows, (i) => y[i]!)
const yTest = Float64Array.from(testRows, (i) => y[i]!)

const dir = join(tmpdir(), 'keel-mlp-bench')
mkdirSync(dir, { recursive: true })
const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)
writeFileSync(join(dir, 'syn.xtr.f64'), bytes(xTrain.data))
writeFileSync(join(dir, 'syn.xte.f64'), bytes(xTest.data))
writeFileSync(join(dir, 'syn.ytr.f64'), bytes(yTrain))
writeFileSync(join(dir, 'syn.yte.f64'), bytes(yTest))
writeFileSync(
  join(dir, 'syn.json'),
  JSON.stringify({ cols, hidden, batchSize, learningRate, dropout, activation }),
)

type NnModule = typeof import('../src/models/nn/index.js')

interface Side {
  epochSeconds: number[]
  epochCpuSeconds: number[]
  trainLoss: number[]
  auc: number
  predictSeconds: number
}

function runTorch(): Side & { torch: string } {
  const out = execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'mlp_anchor.py'), dir, String(epochs)],
    {
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
      encoding: 'utf8',
    },
  )
  return JSON.parse(out.trim()) as Side & { torch: string }
}

async function runKeel(nn: NnModule, label: string): Promise<Side> {
  const epochSeconds: number[] = []
  const epochCpuSeconds: number[] = []
  const trainLoss: number[] = []
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  const model = await new nn.MLPClassifier({
    hiddenLayers: hidden,
    batchNorm: true,
    activation,
    dropout,
    optimizer: 'adam',
    weightDecay: 0,
    learningRate,
    batchSize,
    maxEpochs: epochs,
    earlyStopping: false,
    // PyTorch's nn.Linear initialisation, so both sides train the same network from the same kind of start.
    init: process.env.KEEL_MLP_INIT === 'he' ? 'he' : 'fan-in-uniform',
    threads: 2,
    seed: 0,
  }).fit(xTrain, yTrain, {
    onIteration: (info) => {
      const now = performance.now()
      epochSeconds.push((now - last) / 1000)
      last = now
      const cpu = process.cpuUsage(lastCpu)
      epochCpuSeconds.push((cpu.user + cpu.system) / 1e6)
      lastCpu = process.cpuUsage()
      trainLoss.push(info.trainLoss)
      console.error(
        `${label} epoch ${info.iteration}: ${epochSeconds.at(-1)!.toFixed(3)} s, train loss ${info.trainLoss.toFixed(4)}`,
      )
    },
  })
  const t = performance.now()
  const proba = model.predictProba(xTest)
  const predictSeconds = (performance.now() - t) / 1000
  const auc = benchAuc(
    yTest,
    Float64Array.from({ length: xTest.rows }, (_, i) => proba.data[2 * i + 1]!),
  )
  return { epochSeconds, epochCpuSeconds, trainLoss, auc, predictSeconds }
}

const steady = (a: number[]) => {
  const s = a.length > 1 ? a.slice(1) : a
  return s.reduce((x, v) => x + v, 0) / s.length
}
const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}

const keelNn: NnModule = await import('../src/models/nn/index.js')
const baseNn: NnModule | undefined =
  baseDir === '' ? undefined : await import(pathToFileURL(join(baseDir, 'src/models/nn/index.ts')).href)
const loads: number[] = [loadavg()[0]!]
const torchRuns: (Side & { torch: string })[] = []
const keelRuns: Side[] = []
const baseRuns: Side[] = []
for (let r = 0; r < runs; r++) {
  const steps: (() => Promise<void>)[] = [
    async () => {
      torchRuns.push(runTorch())
      console.error(`torch run ${r + 1}: ${steady(torchRuns.at(-1)!.epochSeconds).toFixed(3)} s`)
    },
    async () => {
      keelRuns.push(await runKeel(keelNn, `keel run ${r + 1}`))
    },
  ]
  if (baseNn !== undefined)
    steps.push(async () => {
      baseRuns.push(await runKeel(baseNn, `base run ${r + 1}`))
    })
  if (r % 2 === 1) steps.reverse()
  for (const step of steps) await step()
  loads.push(loadavg()[0]!)
}

const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
console.log(
  `\nMLP ${cols}-${hidden.join('-')}-1, batch norm, ${activation === 'gelu' ? 'GELU' : 'ReLU'}${dropout > 0 ? `, dropout ${dropout}` : ''}, Adam 1e-3, batch ${batchSize}; ${xTrain.rows} train / ${xTest.rows} test rows; ${epochs} epochs; ${runs} alternating run(s)`,
)
console.log(
  `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; load average ${loads.map((l) => l.toFixed(1)).join(' -> ')}; torch ${torchRuns[0]!.torch} (2 threads); commit ${commit}${gitDirty()}`,
)
console.log(
  '| side | run | wall s per epoch | mean wall s (excl. 1st) | mean CPU s (excl. 1st) | train loss per epoch | test AUC | predict 20k rows s |',
)
console.log('|---|---:|---|---:|---:|---|---:|---:|')
const list = (a: number[], d: number) => a.map((s) => s.toFixed(d)).join(', ')
const sides: [string, Side[]][] = [
  ['PyTorch CPU', torchRuns],
  ['Keel', keelRuns],
  ...(baseNn === undefined ? [] : ([['Keel (base)', baseRuns]] as [string, Side[]][])),
]
for (const [name, rs] of sides)
  rs.forEach((x, i) => {
    console.log(
      `| ${name} | ${i + 1} | ${list(x.epochSeconds, 3)} | ${steady(x.epochSeconds).toFixed(3)} | ${steady(x.epochCpuSeconds).toFixed(2)} | ${list(x.trainLoss, 4)} | ${x.auc.toFixed(4)} | ${x.predictSeconds.toFixed(3)} |`,
    )
  })
const torchMed = median(torchRuns.map((x) => steady(x.epochSeconds)))
const torchAuc = median(torchRuns.map((x) => x.auc))
console.log(
  '\n| side | median epoch s | median CPU s | vs PyTorch (per-run ratios, median) | AUC | AUC - PyTorch |',
)
console.log('|---|---:|---:|---:|---:|---:|')
for (const [name, rs] of sides) {
  const ratios = rs.map((x, i) => steady(x.epochSeconds) / steady(torchRuns[i]!.epochSeconds))
  const auc = median(rs.map((x) => x.auc))
  console.log(
    `| ${name} | ${median(rs.map((x) => steady(x.epochSeconds))).toFixed(3)} | ${median(rs.map((x) => steady(x.epochCpuSeconds))).toFixed(2)} | ${median(ratios).toFixed(2)}x (${ratios.map((v) => v.toFixed(2)).join(', ')}) | ${auc.toFixed(4)} | ${(auc - torchAuc).toFixed(4)} |`,
  )
}
console.log(`PyTorch median epoch ${torchMed.toFixed(3)} s`)

function gitDirty(): string {
  const st = execFileSync('git', ['status', '--porcelain', '--', 'src/models/nn'], { encoding: 'utf8' })
  return st.trim() === '' ? '' : ' (+ uncommitted src/models/nn changes)'
}
