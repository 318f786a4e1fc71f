/**
 * Realdata bench: Keel's gbdt, rf and linear with DEFAULT params, fitted the way
 * `keel train --model X --seed 42` fits one family (the same loader, target encoding, feature
 * encoder and `makeEstimator` as src/train/workflow.ts), on the fixed 20 % test split of every set
 * that bench/realdata/make-datasets.sh built, against bench/realdata_anchor.py's numbers.
 * Protocol: bench/realdata/README.md.
 *
 * Usage: node --import tsx bench/realdata.ts [--families gbdt,rf,linear] [--gbdt JSON] [--rf JSON]
 *          [--linear JSON] [--threads N] [--repeats N] [--json OUT] [names...]
 * `--threads` (default 2) only sets worker threads, which do not change any model. `--json OUT`
 * records the scores; `--from JSON` prints the table from recorded scores without fitting.
 * `--repeats N` scores the same protocol on the splits 0..N-1 that
 * `bench/realdata_anchor.py --repeats N` wrote (data/splits/NAME.rS.json, anchors in
 * data/anchors-repeats.json) and prints, per set and family, the mean score of each side and the
 * mean paired difference (Keel - anchor; relative for RMSE) with its standard error.
 * `--impute-median` (a diagnostic, not Keel's CLI path): numeric columns of the encoded matrix get
 * the training median for missing values, as the anchors' recipe does, so a gap can be split into
 * what the missing-value handling and what the rest accounts for.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Matrix, takeValues } from '../src/core/index.js'
import { getColumn, loadDataset, selectRows } from '../src/data/index.js'
import { fitFeatureEncoder } from '../src/pipeline/encoder.js'
import { encodeTarget } from '../src/pipeline/labels.js'
import { encodingFor, type ModelFamily, makeEstimator } from '../src/train/families.js'
import { ANCHORS, benchAuc, benchRmse } from './lib/anchor-data.js'

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'realdata', 'data')

interface SetMeta {
  name: string
  file: string
  target: string
  task: 'binary' | 'regression'
  positive_class: string | null
  positive_share: number | null
}
interface Anchor {
  metric: 'roc_auc' | 'rmse'
  linear: number
  rf: number
  hgb: number
  xgb: number
}

const args = process.argv.slice(2)
let families: ModelFamily[] = ['gbdt', 'rf', 'linear']
const params: Partial<Record<ModelFamily, Record<string, unknown>>> = {}
let threads = 2
let jsonOut: string | undefined
let from: string | undefined
let repeats = 0
let imputeMedian = false
const names: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  if (a === '--families') families = args[++i]!.split(',') as ModelFamily[]
  else if (a === '--gbdt' || a === '--rf' || a === '--linear')
    params[a.slice(2) as ModelFamily] = JSON.parse(args[++i]!) as Record<string, unknown>
  else if (a === '--threads') threads = Number(args[++i])
  else if (a === '--json') jsonOut = args[++i]
  else if (a === '--from') from = args[++i]
  else if (a === '--repeats') repeats = Number(args[++i])
  else if (a === '--impute-median') imputeMedian = true
  else names.push(a)
}

const sets = (JSON.parse(readFileSync(join(DATA, 'datasets.json'), 'utf8')) as { datasets: SetMeta[] })
  .datasets
const anchorsPath = join(DATA, 'anchors.json')
// The shared sets' anchors are ANCHORS.md's (same protocol and split); the others come from
// bench/realdata_anchor.py.
const anchors: Record<string, Anchor> = {
  ...ANCHORS,
  ...(existsSync(anchorsPath)
    ? (JSON.parse(readFileSync(anchorsPath, 'utf8')) as Record<string, Anchor>)
    : {}),
}

const recordedScores =
  from === undefined
    ? {}
    : (JSON.parse(readFileSync(from, 'utf8')) as Record<string, Record<string, number | undefined>>)

const SEED = 42
/** Split file of a set: the fixed split, or split `repeat` of the repeated-split mode. */
function splitPath(meta: SetMeta, repeat?: number): string {
  const path = join(
    DATA,
    'splits',
    repeat === undefined ? `${meta.name}.json` : `${meta.name}.r${repeat}.json`,
  )
  if (!existsSync(path)) throw new Error(`${path} is missing: run bench/realdata_anchor.py --repeats N first`)
  return path
}

async function fitScore(
  family: ModelFamily,
  meta: SetMeta,
  repeat?: number,
): Promise<{ score: number; seconds: number }> {
  const ds = await loadDataset(meta.file)
  const target = encodeTarget(getColumn(ds, meta.target), meta.task, meta.positive_class ?? undefined)
  const split = JSON.parse(readFileSync(splitPath(meta, repeat), 'utf8')) as {
    train: number[]
    test: number[]
  }
  const train = Int32Array.from(split.train)
  const test = Int32Array.from(split.test)
  const features = ds.columns.map((c) => c.name).filter((n) => n !== meta.target)
  const trainDs = selectRows(ds, train)
  const encoder = fitFeatureEncoder(trainDs, features, encodingFor(family))
  const x = encoder.encodeDataset(trainDs)
  const xTest = encoder.encodeDataset(selectRows(ds, test))
  if (imputeMedian) imputeNumericMedians(x, xTest, new Set(encoder.categoricalOutputs))
  const y = takeValues(target.y, train)
  const yTest = takeValues(target.y, test)
  const threadParam = family === 'linear' ? {} : { threads }
  const estimator = makeEstimator(family, meta.task, { ...threadParam, ...(params[family] ?? {}) }, SEED)
  const t0 = performance.now()
  const model = await estimator.fit(x, y, {
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    indicatorFeatures: encoder.indicatorOutputs,
  })
  const seconds = (performance.now() - t0) / 1000
  if (meta.task === 'regression') {
    const m = model as unknown as { predict(x: typeof xTest): Float64Array }
    return { score: benchRmse(yTest, m.predict(xTest)), seconds }
  }
  const m = model as unknown as { predictProba(x: typeof xTest): { rows: number; data: Float64Array } }
  const p = m.predictProba(xTest)
  const pos = Float64Array.from({ length: p.rows }, (_, r) => p.data[r * 2 + 1]!)
  return { score: benchAuc(yTest, pos), seconds }
}

/** Replaces NaN in every non-categorical column of both matrices by the column's median in `train`. */
function imputeNumericMedians(train: Matrix, test: Matrix, categorical: ReadonlySet<number>): void {
  for (let c = 0; c < train.cols; c++) {
    if (categorical.has(c)) continue
    const v: number[] = []
    for (let r = 0; r < train.rows; r++) {
      const a = train.data[r * train.cols + c]!
      if (!Number.isNaN(a)) v.push(a)
    }
    v.sort((a, b) => a - b)
    const h = v.length >> 1
    const med = v.length === 0 ? 0 : v.length % 2 === 1 ? v[h]! : (v[h - 1]! + v[h]!) / 2
    for (const m of [train, test])
      for (let r = 0; r < m.rows; r++) if (Number.isNaN(m.data[r * m.cols + c]!)) m.data[r * m.cols + c] = med
  }
}

/**
 * Hanley-McNeil standard error of a test-set AUC: how far the score moves with the luck of the
 * split, to read the 0.003 target against (small sets with few positives are noisy).
 */
function aucStandardError(auc: number, nPos: number, nNeg: number): number {
  const q1 = auc / (2 - auc)
  const q2 = (2 * auc * auc) / (1 + auc)
  const v = auc * (1 - auc) + (nPos - 1) * (q1 - auc * auc) + (nNeg - 1) * (q2 - auc * auc)
  return Math.sqrt(v / (nPos * nNeg))
}

const fmt = (v: number, metric: string): string => (metric === 'rmse' ? v.toPrecision(5) : v.toFixed(4))

/** The anchor a family is held to: the best boosted anchor for gbdt, its counterpart otherwise. */
function anchorFor(family: ModelFamily, a: Anchor | undefined, reg: boolean): number {
  if (a === undefined) return Number.NaN
  if (family !== 'gbdt') return a[family as 'rf' | 'linear']
  return reg ? Math.min(a.hgb, a.xgb) : Math.max(a.hgb, a.xgb)
}

/**
 * Repeated-split mode: every family on splits 0..repeats-1 of every set, against the anchors
 * scored on the same rows. The paired difference per split is Keel - anchor (AUC) or
 * Keel / anchor - 1 (RMSE, in %); its mean and standard error say whether a gap is more than the
 * luck of one split. A family passes on a set when the mean difference meets the target.
 */
async function runRepeats(): Promise<void> {
  const repPath = join(DATA, 'anchors-repeats.json')
  const repAnchors = existsSync(repPath)
    ? (JSON.parse(readFileSync(repPath, 'utf8')) as Record<string, Record<string, Anchor>>)
    : {}
  const recorded =
    from === undefined
      ? undefined
      : (JSON.parse(readFileSync(from, 'utf8')) as Record<string, Record<string, Record<string, number>>>)
  const out = [
    `Repeated splits: ${repeats} (seeds 0..${repeats - 1}); diff = Keel - anchor (AUC) or Keel / anchor - 1 (RMSE), mean ± s.e. over splits`,
    '',
    '| dataset | metric | keel gbdt | max(xgb,hgb) | diff ± s.e. | ok | keel rf | sklearn rf | diff ± s.e. | ok | keel linear | sklearn linear | diff ± s.e. | ok |',
    '|---|---|---:|---:|---:|---|---:|---:|---:|---|---:|---:|---:|---|',
  ]
  const rec: Record<string, Record<string, Record<string, number>>> = {}
  let repMisses = 0
  for (const meta of sets) {
    if (names.length > 0 && !names.includes(meta.name)) continue
    const reg = meta.task === 'regression'
    const metric = reg ? 'rmse' : 'roc_auc'
    // Without anchors (still being computed) the Keel side is fitted and recorded anyway, so a
    // later `--from` run can pair it.
    const per = repAnchors[meta.name] ?? {}
    if (Object.keys(per).length < repeats)
      process.stderr.write(
        `no repeated anchors for ${meta.name}: run bench/realdata_anchor.py --repeats ${repeats}\n`,
      )
    const cells = [meta.name, reg ? 'RMSE' : 'ROC-AUC']
    const got: Record<string, Record<string, number>> = recorded?.[meta.name] ?? {}
    for (const family of ['gbdt', 'rf', 'linear'] as const) {
      if (!families.includes(family) && recorded === undefined) {
        cells.push('', '', '', '')
        continue
      }
      const keel: number[] = []
      const anc: number[] = []
      const diffs: number[] = []
      for (let r = 0; r < repeats; r++) {
        got[r] ??= {}
        const score =
          recorded === undefined ? (await fitScore(family, meta, r)).score : (got[r]![family] ?? Number.NaN)
        got[r]![family] = score
        const anchor = anchorFor(family, per[String(r)], reg)
        keel.push(score)
        anc.push(anchor)
        diffs.push(reg ? (score / anchor - 1) * 100 : score - anchor)
      }
      const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length
      const md = mean(diffs)
      const se = Math.sqrt(diffs.reduce((s, d) => s + (d - md) ** 2, 0) / (diffs.length - 1) / diffs.length)
      const tol = reg ? 2 : family === 'gbdt' ? 0.003 : 0.005
      const ok = reg ? md <= tol : md >= -tol
      if (Number.isNaN(md)) {
        cells.push(fmt(mean(keel), metric), '', '', '')
        continue
      }
      if (!ok) repMisses++
      const d = reg
        ? `${md >= 0 ? '+' : ''}${md.toFixed(1)} % ± ${se.toFixed(1)}`
        : `${md >= 0 ? '+' : ''}${md.toFixed(4)} ± ${se.toFixed(4)}`
      cells.push(fmt(mean(keel), metric), fmt(mean(anc), metric), d, ok ? 'yes' : 'NO')
    }
    rec[meta.name] = got
    out.push(`| ${cells.join(' | ')} |`)
    process.stderr.write(`${meta.name} ${JSON.stringify(got)}\n`)
  }
  console.log(out.join('\n'))
  console.log(`\nmisses (mean over splits): ${repMisses}`)
  if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify(rec, null, 1))
}

if (repeats > 0) {
  await runRepeats()
  process.exit(0)
}
const rows = [
  '| dataset | task | metric | keel gbdt | max(xgb,hgb) | target | ok | keel rf | sklearn rf | ok | keel linear | sklearn linear | ok | AUC s.e. |',
  '|---|---|---|---:|---:|---:|---|---:|---:|---|---:|---:|---|---:|',
]
const record: Record<string, Record<string, number>> = {}
let misses = 0
for (const meta of sets) {
  if (names.length > 0 && !names.includes(meta.name)) continue
  const a = anchors[meta.name]
  if (a === undefined) process.stderr.write(`no anchors for ${meta.name}: run bench/realdata_anchor.py\n`)
  const reg = meta.task === 'regression'
  const metric = reg ? 'rmse' : 'roc_auc'
  const cells: string[] = [meta.name, meta.task, reg ? 'RMSE' : 'ROC-AUC']
  const got: Record<string, number> = {}
  const recorded = from === undefined ? undefined : recordedScores[meta.name]
  for (const family of ['gbdt', 'rf', 'linear'] as const) {
    const anchor =
      a === undefined
        ? Number.NaN
        : family === 'gbdt'
          ? reg
            ? Math.min(a.hgb, a.xgb)
            : Math.max(a.hgb, a.xgb)
          : a[family]
    // gbdt: AUC within 0.003 of the best boosted anchor, RMSE within 2 %; rf and linear: 0.005 / 2 %.
    const target = reg ? anchor * 1.02 : anchor - (family === 'gbdt' ? 0.003 : 0.005)
    const fitted =
      recorded !== undefined
        ? recorded[family] === undefined
          ? undefined
          : { score: recorded[family], seconds: recorded[`${family}_s`] ?? Number.NaN }
        : families.includes(family)
          ? await fitScore(family, meta)
          : undefined
    if (fitted === undefined) {
      cells.push('', fmt(anchor, metric), ...(family === 'gbdt' ? [''] : []), '')
      continue
    }
    const { score, seconds } = fitted
    got[family] = score
    got[`${family}_s`] = seconds
    const ok = Number.isNaN(target) || (reg ? score <= target : score >= target)
    if (!ok) misses++
    cells.push(fmt(score, metric), fmt(anchor, metric))
    if (family === 'gbdt') cells.push(`${reg ? '<=' : '>='} ${fmt(target, metric)}`)
    cells.push(
      ok
        ? 'yes'
        : `NO (${reg ? `+${((score / anchor - 1) * 100).toFixed(1)} %` : (score - anchor).toFixed(4)})`,
    )
  }
  if (reg) cells.push('')
  else {
    const test = (
      JSON.parse(readFileSync(join(DATA, 'splits', `${meta.name}.json`), 'utf8')) as { test: number[] }
    ).test.length
    const share = meta.positive_share ?? Number.NaN
    const nPos = Math.round(test * share)
    const best = a === undefined ? Number.NaN : Math.max(a.hgb, a.xgb)
    cells.push(aucStandardError(best, nPos, test - nPos).toFixed(3))
  }
  record[meta.name] = got
  rows.push(`| ${cells.join(' | ')} |`)
  process.stderr.write(`${meta.name} ${JSON.stringify(got)}\n`)
}
console.log(rows.join('\n'))
console.log(`\nmisses: ${misses}`)
if (jsonOut !== undefined) writeFileSync(jsonOut, JSON.stringify(record, null, 1))
