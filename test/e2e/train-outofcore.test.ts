/**
 * `keel train --out-of-core` and `--from postgres://...?table=` end to end: trains inside DuckDB
 * (a Parquet glob, memory capped) or PostgreSQL, prints `keel train`-shaped JSON, registers a
 * version that `keel predict` serves, and refuses bad input with one line and exit status 2.
 */
import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { DuckDBInstance } from '@duckdb/node-api'
import { Rng } from '../../src/core/index.js'
import { rocAuc } from '../../src/eval/index.js'
import { runCli } from '../helpers/cli.js'
import { postgresGate } from '../helpers/test-backends.js'

const pg = postgresGate()
const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-ooc-'))
const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
const CSV = join(dir, 'rows.csv')
const PARTS = join(dir, 'parts')
const N = 2400
const QUICK = ['--params', '{"nEstimators":15,"earlyStopping":false}']
const TIMEOUT = 180_000

interface TrainJson {
  model: string
  task: string
  family: string
  primaryMetric: string
  trainRows: number
  testRows: number
  metrics: { train: Record<string, number>; test?: Record<string, number> }
  baseline: { test?: Record<string, number> }
  improvementOverBaseline: number
  outOfCore: { engine: string; histogramQueries: number; nRounds: number }
}

/** Seeded rows: two numerics (one with gaps), a text category, a boolean and a yes/no target. */
function writeCsv(): void {
  const rng = new Rng(21)
  const lines = ['amount,tenure,plan,promo,churned']
  for (let i = 0; i < N; i++) {
    const amount = rng.next() * 100
    const tenure = rng.next() < 0.1 ? '' : String(Math.floor(rng.next() * 60))
    const plan = ['basic', 'plus', 'pro', 'team', 'edu'][Math.floor(rng.next() * 5)]!
    const promo = rng.next() < 0.3
    const z =
      (amount - 50) / 20 -
      (tenure === '' ? 0 : Number(tenure) / 20) +
      (plan === 'basic' ? 0.8 : plan === 'pro' ? -0.6 : 0) +
      (promo ? -0.7 : 0.2)
    const churned = rng.next() < 1 / (1 + Math.exp(-z)) ? 'yes' : 'no'
    lines.push(`${amount.toFixed(3)},${tenure},${plan},${promo},${churned}`)
  }
  writeFileSync(CSV, `${lines.join('\n')}\n`)
}

function oneLineError(r: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr, pattern)
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace')
  // Progress lines may come first; the error itself is one line, the last.
  const lines = r.stderr.trim().split('\n')
  assert.equal(lines.filter((l) => /^error/.test(l)).length, 1, r.stderr)
  assert.match(lines.at(-1)!, pattern)
}

describe('keel train --out-of-core', () => {
  before(async () => {
    writeCsv()
    mkdirSync(PARTS)
    const db = await DuckDBInstance.create(':memory:')
    const con = await db.connect()
    for (let k = 0; k < 2; k++)
      await con.run(
        `COPY (SELECT * FROM read_csv_auto('${CSV}') LIMIT ${N / 2} OFFSET ${(k * N) / 2}) TO '${join(PARTS, `p${k}.parquet`)}' (FORMAT parquet)`,
      )
    con.closeSync()
    db.closeSync()
  })

  test('a Parquet glob trains in DuckDB under --max-memory, is tested in SQL, registered and served', async () => {
    const r = await runCli(
      [
        'train',
        '--data',
        join(PARTS, '*.parquet'),
        '--target',
        'churned',
        '--out-of-core',
        '--max-memory',
        '256MB',
        ...QUICK,
        '--name',
        'ooc',
        '--json',
      ],
      { cwd: dir, env, timeoutMs: TIMEOUT },
    )
    assert.equal(r.code, 0, r.stderr)
    const out = JSON.parse(r.stdout) as TrainJson
    assert.equal(out.model, 'ooc@1')
    assert.equal(out.task, 'binary')
    assert.equal(out.family, 'gbdt')
    assert.equal(out.outOfCore.engine, 'duckdb')
    assert.equal(out.outOfCore.nRounds, 15)
    assert.equal(out.trainRows + out.testRows, N)
    assert.ok(out.testRows > 0.15 * N && out.testRows < 0.25 * N, `test rows ${out.testRows}`)
    const auc = out.metrics.test?.roc_auc ?? Number.NaN
    assert.ok(auc > 0.75, `test AUC ${auc}`)
    assert.ok(out.improvementOverBaseline > 0.2)

    // The registered bundle serves the raw rows (text levels, booleans, blanks) through its encoder.
    const pred = join(dir, 'pred.csv')
    const p = await runCli(['predict', '--model', 'ooc@1', '--input', CSV, '--output', pred], {
      cwd: dir,
      env,
      timeoutMs: TIMEOUT,
    })
    assert.equal(p.code, 0, p.stderr)
    const rows = readFileSync(pred, 'utf8').trim().split('\n')
    const header = rows[0]!.split(',')
    const probCol = header.findIndex((h) => /proba.*yes|yes.*prob|p_yes|probability/.test(h))
    assert.ok(probCol >= 0, `no probability column in ${header.join(',')}`)
    const truth = readFileSync(CSV, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => (l.endsWith('yes') ? 1 : 0))
    const score = Float64Array.from(rows.slice(1), (l) => Number(l.split(',')[probCol]))
    assert.ok(rocAuc(Float64Array.from(truth), score) > 0.75)
  })

  test('bad input: one line, exit 2', async () => {
    const glob = join(PARTS, '*.parquet')
    oneLineError(
      await runCli(['train', '--data', glob, '--target', 'nope', '--out-of-core'], {
        cwd: dir,
        env,
        timeoutMs: TIMEOUT,
      }),
      /Target column 'nope' is not in/,
    )
    oneLineError(
      await runCli(['train', '--data', glob, '--target', 'churned', '--out-of-core', '--model', 'rf'], {
        cwd: dir,
        env,
      }),
      /--model gbdt/,
    )
    oneLineError(
      await runCli(
        ['train', '--data', glob, '--target', 'churned', '--out-of-core', '--max-memory', 'lots'],
        { cwd: dir, env },
      ),
      /--max-memory takes a size/,
    )
    oneLineError(
      await runCli(['train', '--data', glob, '--target', 'churned', '--max-memory', '1GB'], {
        cwd: dir,
        env,
      }),
      /--max-memory applies with --out-of-core/,
    )
    oneLineError(
      await runCli(
        ['train', '--data', join(dir, 'missing', '*.parquet'), '--target', 'churned', '--out-of-core'],
        { cwd: dir, env, timeoutMs: TIMEOUT },
      ),
      /Cannot read/,
    )
    oneLineError(
      await runCli(
        ['train', '--data', glob, '--target', 'churned', '--out-of-core', '--params', '{"subsample":0.5}'],
        { cwd: dir, env, timeoutMs: TIMEOUT },
      ),
      /does not support subsample/,
    )
  })

  test('--from postgres://...?table= trains inside PostgreSQL', { skip: pg.skip }, async () => {
    const url = pg.require()
    const { default: driver } = await import('pg')
    const client = new driver.Client({ connectionString: url })
    await client.connect()
    const table = `ooc_e2e_${process.pid}`
    try {
      await client.query(`DROP TABLE IF EXISTS ${table}`)
      await client.query(
        `CREATE TABLE ${table} (amount DOUBLE PRECISION, tenure INTEGER, plan TEXT, promo BOOLEAN, churned TEXT)`,
      )
      const lines = readFileSync(CSV, 'utf8').trim().split('\n').slice(1)
      for (let i = 0; i < lines.length; i += 400) {
        const values: string[] = []
        for (const l of lines.slice(i, i + 400)) {
          const [a, t, p, pr, c] = l.split(',')
          values.push(`(${a}, ${t === '' ? 'NULL' : t}, '${p}', ${pr}, '${c}')`)
        }
        await client.query(`INSERT INTO ${table} VALUES ${values.join(', ')}`)
      }
      const sep = url.includes('?') ? '&' : '?'
      const r = await runCli(
        [
          'train',
          '--from',
          `${url}${sep}table=${table}`,
          '--target',
          'churned',
          ...QUICK,
          '--name',
          'oocpg',
          '--json',
        ],
        {
          cwd: dir,
          env,
          timeoutMs: TIMEOUT,
        },
      )
      assert.equal(r.code, 0, r.stderr)
      const out = JSON.parse(r.stdout) as TrainJson
      assert.equal(out.outOfCore.engine, 'postgres')
      assert.equal(out.trainRows + out.testRows, N)
      assert.ok((out.metrics.test?.roc_auc ?? 0) > 0.75)
      oneLineError(
        await runCli(
          ['train', '--from', `${url}${sep}table=no_such_table_${process.pid}`, '--target', 'churned'],
          { cwd: dir, env, timeoutMs: TIMEOUT },
        ),
        /Cannot read .*no_such_table/,
      )
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
      await client.end()
    }
  })
})
