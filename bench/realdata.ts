/**
 * Realdata bench: Keel's gbdt, rf and linear with DEFAULT params, fitted the way
 * `keel train --model X --seed 42` fits one family (the same loader, target encoding, feature
 * encoder and `makeEstimator` as src/train/workflow.ts), on the fixed 20 % test split of every set
 * that bench/realdata/make-datasets.sh built, against bench/realdata_anchor.py's numbers.
 * Protocol: bench/realdata/README.md.
 *
 * Usage: node --import tsx bench/realdata.ts [--families gbdt,rf,linear] [--gbdt JSON] [--rf JSON]
 *          [--linear JSON] [--threads N] [--json OUT] [names...]
 * `--threads` (default 2) only sets worker threads, which do not change any model. `--json OUT`
 * records the scores; `--from JSON` prints the table from recorded scores without fitting.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { takeValues } from '../src/core/index.js'
import { getColumn, loadDataset, selectRows } from '../src/data/index.js'
import { fitFeatureEncoder } from '../src/train/encoder.js'
import { encodingFor, type ModelFamily, makeEstimator } from '../src/train/families.js'
import { encodeTarget } from '../src/train/labels.js'
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
const names: string[] = []
for (let i = 0; i < args.length; i++) {
  const a = args[i]!
  if (a === '--families') families = args[++i]!.split(',') as ModelFamily[]
  else if (a === '--gbdt' || a === '--rf' || a === '--linear')
    params[a.slice(2) as ModelFamily] = JSON.parse(args[++i]!) as Record<string, unknown>
  else if (a === '--threads') threads = Number(args[++i])
  else if (a === '--json') jsonOut = args[++i]
  else if (a === '--from') from = args[++i]
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
async function fitScore(family: ModelFamily, meta: SetMeta): Promise<{ score: number; seconds: number }> {
  const ds = await loadDataset(meta.file)
  const target = encodeTarget(getColumn(ds, meta.target), meta.task, meta.positive_class ?? undefined)
  const split = JSON.parse(readFileSync(join(DATA, 'splits', `${meta.name}.json`), 'utf8')) as {
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
  const y = takeValues(target.y, train)
  const yTest = takeValues(target.y, test)
  const threadParam = family === 'linear' ? {} : { threads }
  const estimator = makeEstimator(family, meta.task, { ...threadParam, ...(params[family] ?? {}) }, SEED)
  const t0 = performance.now()
  const model = await estimator.fit(x, y, {
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
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
