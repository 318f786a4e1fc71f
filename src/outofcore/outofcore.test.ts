/**
 * Out-of-core GBDT against the in-memory one on the same rows and params: same bins, same trees
 * (features, thresholds, categorical sets, default directions; leaf values to float-sum order),
 * same AUC, and test-part margins scored in SQL equal to the fitted model's own predictions. Runs
 * on DuckDB always and on PostgreSQL when KEEL_TEST_DATABASE_URL is set.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { postgresGate } from '../../test/helpers/test-backends.js'
import { AppError, type Matrix, matrix, Rng } from '../core/index.js'
import { rocAuc } from '../eval/index.js'
import {
  type FittedGradientBoostingClassifier,
  GradientBoostingClassifier,
  GradientBoostingRegressor,
} from '../models/index.js'
import { fitBinMapper, type Tree } from '../models/tree/index.js'
import { openDuckEngine, openPostgresEngine, type SqlEngine, sqlDouble, trainOutOfCore } from './index.js'

const pg = postgresGate()
const N = 3000
const NAMES = ['a', 'b', 'c', 'level', 'city', 'flag']
const CATEGORICAL = new Set([4, 5])

/** Seeded rows: numeric with missing values, a few-valued column (ties), two categoricals. */
function makeData(seed: number, n: number): { x: Matrix; yClass: Float64Array; yValue: Float64Array } {
  const rng = new Rng(seed)
  const d = NAMES.length
  const data = new Float64Array(n * d)
  const yClass = new Float64Array(n)
  const yValue = new Float64Array(n)
  const cityEffect = [0.8, -0.5, 0.1, 1.2, -1.0, 0.3, -0.2, 0.6, -0.7]
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 4 - 2
    const b = rng.next() < 0.1 ? Number.NaN : rng.next() * 10
    const c = Math.round(rng.next() * 1e4) / 1e2 - 50
    const level = Math.floor(rng.next() * 5)
    const city = rng.next() < 0.05 ? Number.NaN : Math.floor(rng.next() * 9)
    const flag = rng.next() < 0.4 ? 1 : 0
    data.set([a, b, c, level, city, flag], i * d)
    const z =
      1.5 * a +
      (Number.isNaN(b) ? 0.7 : 0.25 * (b - 5)) +
      0.02 * c +
      0.3 * level +
      (Number.isNaN(city) ? 0 : cityEffect[city]!) -
      0.8 * flag
    yClass[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0
    yValue[i] = z + rng.next() - 0.5
  }
  return { x: matrix(n, d, data), yClass, yValue }
}

/** Loads the rows into `table` (rid in insertion order, NULL for NaN). */
async function loadTable(engine: SqlEngine, table: string, x: Matrix, y1: Float64Array, y2: Float64Array) {
  await engine.exec(`DROP TABLE IF EXISTS ${table}`)
  await engine.exec(
    `CREATE TABLE ${table} (${NAMES.map((n) => `${n} DOUBLE PRECISION`).join(', ')}, yc DOUBLE PRECISION, yv DOUBLE PRECISION)`,
  )
  const lit = (v: number) => (Number.isNaN(v) ? 'NULL' : sqlDouble(v))
  for (let start = 0; start < x.rows; start += 500) {
    const rows: string[] = []
    for (let i = start; i < Math.min(x.rows, start + 500); i++) {
      const cells = Array.from(x.data.subarray(i * x.cols, (i + 1) * x.cols), lit)
      rows.push(`(${[...cells, lit(y1[i]!), lit(y2[i]!)].join(', ')})`)
    }
    await engine.exec(`INSERT INTO ${table} VALUES ${rows.join(', ')}`)
  }
}

const FEATURES = NAMES.map((name, j) => ({ name, sql: name, categorical: CATEGORICAL.has(j) }))
const PARAMS = {
  nEstimators: 12,
  maxLeaves: 15,
  minSamplesLeaf: 20,
  earlyStopping: false,
  seed: 3,
  threads: 1,
} as const

/** How many leading trees match exactly in structure; leaf values must agree to 1e-9 there. */
function identicalPrefix(a: readonly Tree[], b: readonly Tree[]): number {
  let k = 0
  for (; k < Math.min(a.length, b.length); k++) {
    const s = a[k]!
    const t = b[k]!
    const same =
      s.feature.length === t.feature.length &&
      s.feature.every((f, i) => f === t.feature[i]) &&
      s.threshold.every((v, i) => Object.is(v, t.threshold[i]) || v === t.threshold[i]) &&
      s.defaultLeft.every((v, i) => v === t.defaultLeft[i]) &&
      s.catBits.every((v, i) => v === t.catBits[i])
    if (!same) break
    for (let i = 0; i < s.value.length; i++) {
      assert.ok(
        Math.abs(s.value[i]! - t.value[i]!) <= 1e-9 * Math.max(1, Math.abs(t.value[i]!)),
        `tree ${k} node ${i}: leaf value ${s.value[i]} vs ${t.value[i]}`,
      )
    }
  }
  return k
}

async function checkEngine(open: () => Promise<SqlEngine>, table: string): Promise<void> {
  const { x, yClass, yValue } = makeData(11, N)
  const engine = await open()
  try {
    await loadTable(engine, table, x, yClass, yValue)

    // Binary log-loss: every row trains.
    const memory = await new GradientBoostingClassifier(PARAMS).fit(x, yClass, {
      categoricalFeatures: [...CATEGORICAL],
      featureNames: NAMES,
    })
    const sql = await trainOutOfCore({
      engine,
      source: table,
      features: FEATURES,
      target: 'yc',
      objective: 'logistic',
      params: PARAMS,
    })
    const bins = fitBinMapper(x, 255, CATEGORICAL, NAMES, PARAMS.seed)
    assert.deepEqual(
      sql.mapper.thresholds.map((t) => [...t]),
      bins.thresholds.map((t) => [...t]),
    )
    assert.deepEqual([...sql.mapper.nBins], [...bins.nBins])
    const memTrees = memory.treesInput().trees
    const sqlTrees = sql.model.treesInput().trees
    assert.equal(sqlTrees.length, PARAMS.nEstimators)
    const same = identicalPrefix(sqlTrees, memTrees)
    // Float sums in another order can only flip a near-tie; on this data none occurs.
    assert.equal(same, PARAMS.nEstimators, `only the first ${same} trees are identical`)
    const fresh = makeData(12, 2000)
    const pMem = memory.predictProba(fresh.x)
    const pSql = (sql.model as FittedGradientBoostingClassifier).predictProba(fresh.x)
    const score = (p: Matrix) => Float64Array.from({ length: p.rows }, (_, i) => p.data[i * 2 + 1]!)
    const aucMem = rocAuc(fresh.yClass, score(pMem))
    const aucSql = rocAuc(fresh.yClass, score(pSql))
    assert.ok(aucSql > 0.75, `AUC ${aucSql}`)
    assert.ok(Math.abs(aucSql - aucMem) < 0.001, `AUC ${aucSql} vs ${aucMem}`)
    assert.ok(sql.histogramQueries < PARAMS.nEstimators * PARAMS.maxLeaves, 'siblings come by subtraction')

    // Squared error, with a test part held out in SQL: its margins, scored in the database from
    // bins, are the fitted model's own predictions from the raw values.
    const memReg = await new GradientBoostingRegressor(PARAMS).fit(x, yValue, {
      categoricalFeatures: [...CATEGORICAL],
      featureNames: NAMES,
    })
    const reg = await trainOutOfCore({
      engine,
      source: table,
      features: FEATURES,
      target: 'yv',
      objective: 'squared-error',
      params: PARAMS,
      testFraction: 0.25,
    })
    assert.ok(reg.test !== null)
    assert.ok(reg.testRows > 600 && reg.testRows < 900, `test rows ${reg.testRows}`)
    assert.equal(reg.trainRows + reg.testRows, N)
    const rows = Int32Array.from(reg.test.rows)
    const xTest = matrix(
      rows.length,
      x.cols,
      Float64Array.from(
        { length: rows.length * x.cols },
        (_, k) => x.data[rows[Math.floor(k / x.cols)]! * x.cols + (k % x.cols)]!,
      ),
    )
    const served = reg.model.predict(xTest)
    for (let i = 0; i < rows.length; i++) {
      assert.equal(reg.test.y[i], yValue[rows[i]!])
      assert.ok(
        Math.abs(served[i]! - reg.test.margin[i]!) < 1e-9,
        `row ${rows[i]}: ${served[i]} vs ${reg.test.margin[i]}`,
      )
    }
    // Trained on other rows than memReg, so compare quality, not trees.
    const err = (pred: Float64Array, y: Float64Array) => {
      let s = 0
      for (let i = 0; i < y.length; i++) s += (pred[i]! - y[i]!) ** 2
      return Math.sqrt(s / y.length)
    }
    const fit = await trainOutOfCore({
      engine,
      source: table,
      features: FEATURES,
      target: 'yv',
      objective: 'squared-error',
      params: PARAMS,
    })
    assert.equal(identicalPrefix(fit.model.treesInput().trees, memReg.treesInput().trees), PARAMS.nEstimators)
    const rmse = err(fit.model.predict(fresh.x), fresh.yValue)
    assert.ok(Math.abs(rmse - err(memReg.predict(fresh.x), fresh.yValue)) < 1e-9)
  } finally {
    await engine.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
    await engine.close()
  }
}

describe('out-of-core GBDT (SQL histograms)', () => {
  test('DuckDB: same bins, trees and AUC as in memory; SQL-scored test part = served predictions', async () => {
    await checkEngine(() => openDuckEngine({ threads: 1, memoryLimitBytes: 256 * 2 ** 20 }), 'ooc_src')
  })

  test('PostgreSQL: the same statements give the same model', { skip: pg.skip }, async () => {
    const url = pg.require()
    await checkEngine(() => openPostgresEngine(url), `ooc_src_${process.pid}`)
  })

  test('early stopping on a SQL holdout keeps the best round; unsupported params are refused', async () => {
    const { x, yClass, yValue } = makeData(5, 2000)
    const engine = await openDuckEngine({ threads: 1 })
    try {
      await loadTable(engine, 'es_src', x, yClass, yValue)
      const res = await trainOutOfCore({
        engine,
        source: 'es_src',
        features: FEATURES,
        target: 'yv',
        objective: 'squared-error',
        params: {
          ...PARAMS,
          nEstimators: 300,
          learningRate: 0.5,
          earlyStopping: true,
          earlyStoppingRefit: false,
          nIterNoChange: 5,
        },
      })
      assert.ok(res.validRows > 100 && res.validRows < 300, `valid rows ${res.validRows}`)
      assert.ok(res.nRounds < 300, `stopped at ${res.nRounds}`)
      assert.equal(res.model.treesInput().trees.length, res.nRounds)
      // The kept round is the best one (up to the `tol` that counts as an improvement).
      const best = Math.min(...res.validationLoss)
      assert.ok(res.validationLoss[res.nRounds]! <= best + 1e-6 * Math.max(1, Math.abs(best)))
      assert.ok(res.validationLoss.length > res.nRounds + 1, 'rounds after the best were tried')
      await assert.rejects(
        trainOutOfCore({
          engine,
          source: 'es_src',
          features: FEATURES,
          target: 'yc',
          objective: 'logistic',
          params: { subsample: 0.5 },
        }),
        (e: unknown) =>
          e instanceof AppError && e.code === 'OUTOFCORE_UNSUPPORTED' && /subsample/.test(e.message),
      )
    } finally {
      await engine.close()
    }
  })
})
