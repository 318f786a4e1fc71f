/**
 * GBDT speed bench: Keel against XGBoost (hist) on the synthetic set, same split, same settings
 * (200 trees, depth 6 / 64 leaves, lr 0.1, 255 bins, 2 threads, no early stopping).
 *
 *   node /work/shared/bench/make-synthetic.mjs --rows 1000000 --seed 1 --out /tmp/syn-1m.csv
 *   node --import tsx bench/gbdt.ts /tmp/syn-1m.csv [--trees 200] [--repeat 1]
 *
 * Each side runs in its own process so peak RSS (VmHWM) is its own. XGBoost runs first and writes
 * the stratified test mask (sklearn train_test_split, random_state=42) that Keel then uses.
 */
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'
import type { Matrix } from '../src/core/index.js'
import { GradientBoostingClassifier } from '../src/models/gbdt/index.js'
import { benchAuc } from './lib/anchor-data.js'

interface SideResult {
  side: string
  fit_s: number
  fit_cpu_s: number
  predict_rows_per_s: number
  auc: number
  vmhwm_mib: number
  single_row_us?: number
  single_row_cpu_us?: number
  predict_cold_rows_per_s?: number
  load_s?: number
}

function vmhwmMib(): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))
  return m === null ? -1 : Number(m[1]) / 1024
}

/**
 * Parses the synthetic CSV straight into train/test matrices (no intermediate full copy).
 * Categorical labels become integer codes in sorted label order, as pandas' category codes.
 */
function loadSynthetic(path: string, mask: Uint8Array) {
  const buf = readFileSync(path)
  let pos = buf.indexOf(10)
  const header = buf.subarray(0, pos).toString('latin1').split(',')
  pos++
  const labelCol = header.indexOf('label')
  const featureNames = header.filter((_, i) => i !== labelCol)
  const nCols = featureNames.length
  const isCat = header.map((h) => h.startsWith('cat_'))
  const nTest = mask.reduce((a, b) => a + b, 0)
  const nTrain = mask.length - nTest
  const xTrain = new Float64Array(nTrain * nCols)
  const xTest = new Float64Array(nTest * nCols)
  const yTrain = new Float64Array(nTrain)
  const yTest = new Float64Array(nTest)
  const labelMaps = header.map(() => new Map<string, number>())
  let row = 0
  let iTrain = 0
  let iTest = 0
  while (pos < buf.length && row < mask.length) {
    const isTest = mask[row] === 1
    const out = isTest ? xTest : xTrain
    const base = (isTest ? iTest : iTrain) * nCols
    let c = 0
    let j = 0
    for (;;) {
      let end = pos
      while (end < buf.length && buf[end] !== 44 && buf[end] !== 10) end++
      let v: number
      if (end === pos) v = Number.NaN
      else if (isCat[c]) {
        const key = buf.toString('latin1', pos, end)
        const map = labelMaps[c]!
        let code = map.get(key)
        if (code === undefined) {
          code = map.size
          map.set(key, code)
        }
        v = code
      } else {
        // Plain decimal: sign, digits, optional fraction.
        let k = pos
        let neg = false
        if (buf[k] === 45) {
          neg = true
          k++
        }
        let int = 0
        while (k < end && buf[k] !== 46) int = int * 10 + (buf[k++]! - 48)
        let frac = 0
        let scale = 1
        if (k < end) {
          k++
          while (k < end) {
            frac = frac * 10 + (buf[k++]! - 48)
            scale *= 10
          }
        }
        v = int + frac / scale
        if (neg) v = -v
      }
      if (c === labelCol) (isTest ? yTest : yTrain)[isTest ? iTest : iTrain] = v
      else out[base + j++] = v
      c++
      const sep = buf[end]
      pos = end + 1
      if (sep !== 44) break
    }
    if (isTest) iTest++
    else iTrain++
    row++
  }
  // Remap first-seen codes to sorted-label codes.
  header.forEach((_, c) => {
    if (!isCat[c]) return
    const sorted = [...labelMaps[c]!.keys()].sort()
    const remap = new Float64Array(sorted.length)
    sorted.forEach((label, i) => {
      remap[labelMaps[c]!.get(label)!] = i
    })
    const j = featureNames.indexOf(header[c]!)
    for (const x of [xTrain, xTest]) for (let k = j; k < x.length; k += nCols) x[k] = remap[x[k]!]!
  })
  const categorical = featureNames.map((n, i) => (n.startsWith('cat_') ? i : -1)).filter((i) => i >= 0)
  const m = (data: Float64Array, rows: number): Matrix => ({ rows, cols: nCols, data })
  return { xTrain: m(xTrain, nTrain), yTrain, xTest: m(xTest, nTest), yTest, featureNames, categorical }
}

async function keelSide(
  csv: string,
  maskPath: string,
  trees: number,
  threads: number,
  nativeCat: boolean,
): Promise<SideResult> {
  const t0 = performance.now()
  const d = loadSynthetic(csv, new Uint8Array(readFileSync(maskPath)))
  const loadS = (performance.now() - t0) / 1000
  const est = new GradientBoostingClassifier({
    nEstimators: trees,
    maxDepth: 6,
    maxLeaves: 64,
    learningRate: 0.1,
    maxBins: 255,
    threads,
    earlyStopping: false,
  })
  const c0 = process.cpuUsage()
  const t1 = performance.now()
  // Default: the category codes as plain numbers, exactly the input XGBoost gets. --native-cat
  // declares them categorical (native many-vs-many splits) instead.
  const model = await est.fit(d.xTrain, d.yTrain, {
    categoricalFeatures: nativeCat ? d.categorical : [],
    featureNames: d.featureNames,
  })
  const fitS = (performance.now() - t1) / 1000
  const cpu = process.cpuUsage(c0)
  // First call is cold (it also starts the scoring worker threads); the headline is the
  // second, warm call, as a serving process would see.
  const t2 = performance.now()
  model.predictProba(d.xTest)
  const coldS = (performance.now() - t2) / 1000
  const t2w = performance.now()
  const proba = model.predictProba(d.xTest)
  const predS = (performance.now() - t2w) / 1000
  const score = Float64Array.from({ length: proba.rows }, (_, r) => proba.data[r * 2 + 1]!)
  // Single-row latency: one row at a time through predictRowRaw (no allocation per call).
  const out = new Float64Array(1)
  const nSingle = Math.min(20000, d.xTest.rows)
  for (let r = 0; r < 2000; r++) model.predictRowRaw(d.xTest.data, out, (r % nSingle) * d.xTest.cols)
  const t3 = performance.now()
  const c3 = process.cpuUsage()
  for (let r = 0; r < nSingle; r++) model.predictRowRaw(d.xTest.data, out, r * d.xTest.cols)
  const singleCpu = process.cpuUsage(c3)
  const singleUs = ((performance.now() - t3) * 1000) / nSingle
  // CPU time per row too: on a shared, oversubscribed machine wall time mostly measures waiting.
  const singleCpuUs = (singleCpu.user + singleCpu.system) / nSingle
  return {
    side: 'keel',
    load_s: loadS,
    fit_s: fitS,
    fit_cpu_s: (cpu.user + cpu.system) / 1e6,
    predict_rows_per_s: d.xTest.rows / predS,
    predict_cold_rows_per_s: d.xTest.rows / coldS,
    auc: benchAuc(d.yTest, score),
    vmhwm_mib: vmhwmMib(),
    single_row_us: singleUs,
    single_row_cpu_us: singleCpuUs,
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const args = process.argv.slice(2)
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(name)
  return i >= 0 ? args[i + 1]! : dflt
}
if (args[0] === '--side-keel') {
  const r = await keelSide(args[1]!, args[2]!, Number(args[3]), Number(args[4]), args[5] === 'native')
  console.log(JSON.stringify(r))
} else {
  const csv = args[0] ?? '/tmp/syn-1m.csv'
  const trees = Number(opt('--trees', '200'))
  const repeat = Number(opt('--repeat', '1'))
  const threads = Number(opt('--threads', '2'))
  const skipXgb = args.includes('--keel-only')
  const nativeCat = args.includes('--native-cat')
  const maskPath = `${csv}.testmask`
  const here = new URL(import.meta.url).pathname
  const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' }
  const xs: SideResult[] = []
  const ks: SideResult[] = []
  for (let i = 0; i < repeat; i++) {
    if (!skipXgb || i === 0) {
      const py = execFileSync(
        '/usr/bin/python3',
        [new URL('./gbdt_anchor.py', import.meta.url).pathname, csv, maskPath, String(trees)],
        {
          env,
          encoding: 'utf8',
        },
      )
      if (!skipXgb) xs.push(JSON.parse(py.trim().split('\n').pop()!) as SideResult)
    }
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        here,
        '--side-keel',
        csv,
        maskPath,
        String(trees),
        String(threads),
        nativeCat ? 'native' : 'codes',
      ],
      {
        encoding: 'utf8',
        maxBuffer: 1 << 24,
      },
    )
    ks.push(JSON.parse(out.trim().split('\n').pop()!) as SideResult)
    console.error(JSON.stringify({ run: i, keel: ks[i], xgboost: xs[i] }))
  }
  const med = (rs: SideResult[], k: keyof SideResult) => median(rs.map((r) => Number(r[k])))
  const kFit = med(ks, 'fit_s')
  console.log(
    `# GBDT bench: ${csv}, ${trees} trees, depth 6 / 64 leaves, lr 0.1, 255 bins, ${threads} threads, categoricals ${nativeCat ? 'native in Keel, codes in XGBoost' : 'as integer codes on both sides'}`,
  )
  console.log(
    `# machine: ${cpus()[0]?.model ?? '?'} x${availableParallelism()}, node ${process.version}, runs: ${repeat} (medians)`,
  )
  console.log('| metric | keel | xgboost | ratio (keel/xgb) | goal |')
  console.log('|---|---:|---:|---:|---|')
  if (xs.length > 0) {
    const xFit = med(xs, 'fit_s')
    console.log(
      `| fit s (wall) | ${kFit.toFixed(2)} | ${xFit.toFixed(2)} | ${(kFit / xFit).toFixed(2)} | <= 2 |`,
    )
    console.log(
      `| fit s (cpu) | ${med(ks, 'fit_cpu_s').toFixed(2)} | ${med(xs, 'fit_cpu_s').toFixed(2)} | ${(med(ks, 'fit_cpu_s') / med(xs, 'fit_cpu_s')).toFixed(2)} | info |`,
    )
    console.log(
      `| test AUC | ${med(ks, 'auc').toFixed(4)} | ${med(xs, 'auc').toFixed(4)} | ${(med(ks, 'auc') - med(xs, 'auc')).toFixed(4)} (diff) | >= -0.002 |`,
    )
    console.log(
      `| predict rows/s | ${med(ks, 'predict_rows_per_s').toFixed(0)} | ${med(xs, 'predict_rows_per_s').toFixed(0)} | ${(med(ks, 'predict_rows_per_s') / med(xs, 'predict_rows_per_s')).toFixed(2)} | >= 1 |`,
    )
    console.log(
      `| peak RSS MiB | ${med(ks, 'vmhwm_mib').toFixed(0)} | ${med(xs, 'vmhwm_mib').toFixed(0)} | ${(med(ks, 'vmhwm_mib') / med(xs, 'vmhwm_mib')).toFixed(2)} | <= 1 |`,
    )
  } else {
    console.log(`| fit s (wall) | ${kFit.toFixed(2)} | - | - | |`)
    console.log(`| fit s (cpu) | ${med(ks, 'fit_cpu_s').toFixed(2)} | - | - | |`)
    console.log(`| test AUC | ${med(ks, 'auc').toFixed(4)} | - | - | |`)
    console.log(`| predict rows/s | ${med(ks, 'predict_rows_per_s').toFixed(0)} | - | - | |`)
    console.log(`| peak RSS MiB | ${med(ks, 'vmhwm_mib').toFixed(0)} | - | - | |`)
  }
  console.log(
    `| single row, ${trees} trees, µs (wall / cpu) | ${med(ks, 'single_row_us').toFixed(2)} / ${med(ks, 'single_row_cpu_us').toFixed(2)} | | | < 20 |`,
  )
}
