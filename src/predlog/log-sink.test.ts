import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { sql } from 'kysely'
import { testBackends } from '../../test/helpers/test-backends.js'
import { openDb } from '../store/index.js'
import { toRow } from './entry.js'
import { type PredictionLogSink, predictionLogSink } from './log-sink.js'
import { PredictionLog, type PredictionLogEntry } from './prediction-log.js'
import { migrateServeTables } from './tables.js'

function entry(i: number, id = `p-${i}`): PredictionLogEntry {
  return {
    id,
    ts: 1000 + i,
    model: 'churn',
    version: 2,
    variant: i % 2 === 0 ? 'a' : 'b',
    experimentId: i % 2 === 0 ? 'exp' : null,
    requestKey: `u${i}`,
    features: { age: i, plan: 'basic', active: i % 3 === 0, note: null },
    output: { prediction: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
    score: i === 3 ? Number.NaN : 0.75,
    latencyMs: 0.5 + i,
    servedBy: 'primary',
    shadowOf: i === 4 ? 'p-0' : null,
  }
}

for (const backend of testBackends()) {
  test(`${backend.name}: the store's sink commits every row of every batch, encoded as the table expects`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      // Batches of 7 over 100 rows: several multi-row statements plus single-row remainders.
      const log = new PredictionLog(predictionLogSink(db, k), { flushIntervalMs: 60_000, batchSize: 7 })
      for (let i = 0; i < 100; i++) assert.equal(log.append(entry(i)), true)
      await log.close()
      assert.equal(log.writtenCount, 100)
      const rows = await k.selectFrom('serve_predictions').selectAll().orderBy('ts').execute()
      assert.equal(rows.length, 100)
      const r4 = rows[4]!
      assert.deepEqual(
        { ...r4, features: JSON.parse(r4.features), outputs: JSON.parse(r4.outputs) },
        {
          id: 'p-4',
          ts: 1004,
          model: 'churn',
          version: 2,
          variant: 'a',
          experiment_id: 'exp',
          request_key: 'u4',
          features: { age: 4, plan: 'basic', active: false, note: null },
          outputs: { prediction: 'yes', probabilities: { no: 0.25, yes: 0.75 } },
          score: 0.75,
          latency_ms: 4.5,
          served_by: 'primary',
          shadow_of: 'p-0',
        },
      )
      // A non-finite score is stored as NULL, never as a NaN the database would reject or mangle.
      assert.equal(rows[3]!.score, null)
    } finally {
      await db.close()
    }
  })

  test(`${backend.name}: a batch the database rejects is all-or-nothing and reported to the log`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      const sink = predictionLogSink(db, k)
      await sink.writeBatch([entry(0), entry(1)].map(toRow))
      // The second row repeats a primary key: the whole batch must fail and leave nothing behind.
      await assert.rejects(sink.writeBatch([entry(2), entry(3, 'p-0'), entry(5)].map(toRow)))
      await sink.writeBatch([toRow(entry(6))])
      await sink.close()
      const ids = (await k.selectFrom('serve_predictions').select('id').orderBy('id').execute()).map(
        (r) => r.id,
      )
      assert.deepEqual(ids, ['p-0', 'p-1', 'p-6'])

      // Through the log: the failing batch is retried, then dropped and counted; later rows still land.
      const errors: unknown[] = []
      let dropped = 0
      const log = new PredictionLog(
        predictionLogSink(db, k),
        { flushIntervalMs: 60_000, batchSize: 10 },
        { onError: (e) => errors.push(e), onDropped: (n) => (dropped += n) },
      )
      log.append(entry(7, 'p-1'))
      for (let attempt = 0; attempt < 3; attempt++) await log.flush()
      log.append(entry(8))
      await log.close()
      assert.equal(errors.length, 3)
      assert.equal(dropped, 1)
      const after = await k.selectFrom('serve_predictions').select('id').where('id', '=', 'p-8').execute()
      assert.equal(after.length, 1)
    } finally {
      await db.close()
    }
  })
}

test('sqlite file: the writer thread serves several logs on one file and close waits for every batch', async () => {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-sink-')), 'keel.db')}`
  const db = await openDb(url)
  try {
    const k = await migrateServeTables(db)
    // Two logs stand for two server processes writing the same file (each with its own thread).
    const logs = [0, 1].map(
      () => new PredictionLog(predictionLogSink(db, k), { flushIntervalMs: 5, batchSize: 50 }),
    )
    for (let i = 0; i < 2000; i++) logs[i % 2]!.append(entry(i))
    await Promise.all(logs.map((l) => l.close()))
    const n = await k
      .selectFrom('serve_predictions')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst()
    assert.equal(Number(n?.n), 2000)
  } finally {
    await db.close()
  }
})

test('in-memory sqlite: no other thread can open it, so the log writes on the calling thread', async () => {
  const db = await openDb('sqlite::memory:')
  try {
    const k = await migrateServeTables(db)
    const log = new PredictionLog(predictionLogSink(db, k), { flushIntervalMs: 60_000 })
    log.append(entry(1))
    await log.close()
    assert.equal((await k.selectFrom('serve_predictions').select('id').execute()).length, 1)
  } finally {
    await db.close()
  }
})

test('an entry that cannot be encoded is dropped and counted, never thrown at the request', async () => {
  const db = await openDb('sqlite::memory:')
  try {
    const k = await migrateServeTables(db)
    const errors: unknown[] = []
    let dropped = 0
    const log = new PredictionLog(
      predictionLogSink(db, k),
      { flushIntervalMs: 60_000 },
      { onError: (e) => errors.push(e), onDropped: (n) => (dropped += n) },
    )
    assert.equal(log.append({ ...entry(1), features: { big: 10n } }), false)
    assert.equal(log.append(entry(2)), true)
    await log.close()
    assert.equal(dropped, 1)
    assert.equal(errors.length, 1)
    assert.equal((await k.selectFrom('serve_predictions').select('id').execute()).length, 1)
  } finally {
    await db.close()
  }
})

/** A sink that records batch sizes and acknowledges each write on a later turn of the event loop. */
function recordingSink(): PredictionLogSink & { sizes: number[] } {
  const sizes: number[] = []
  return {
    sizes,
    writeBatch: (rows) =>
      new Promise<void>((resolve) => {
        sizes.push(rows.length)
        setImmediate(resolve)
      }),
    close: async () => {},
  }
}

test('under steady traffic the log writes full batches, not the few rows that arrive during each write', async () => {
  const sink = recordingSink()
  const log = new PredictionLog(sink, { flushIntervalMs: 60_000, batchSize: 50 })
  // One row per turn of the event loop, as single-row requests arrive.
  for (let i = 0; i < 1010; i++) {
    log.append(entry(i))
    await new Promise((resolve) => setImmediate(resolve))
  }
  assert.deepEqual(sink.sizes, new Array(20).fill(50), 'only full batches before close')
  await log.close()
  assert.deepEqual(sink.sizes.slice(20), [10], 'close writes the rest')
  assert.equal(log.writtenCount, 1010, 'every row written')
})

test('flush writes what was queued when it was called, not what arrives meanwhile', async () => {
  const sink = recordingSink()
  const log = new PredictionLog(sink, { flushIntervalMs: 60_000, batchSize: 50 })
  for (let i = 0; i < 10; i++) log.append(entry(i))
  const flushed = log.flush()
  for (let i = 10; i < 20; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    log.append(entry(i))
  }
  await flushed
  assert.deepEqual(sink.sizes, [10], 'one batch of the ten queued rows')
  assert.equal(log.depth, 10, 'later rows wait for the next flush')
  await log.close()
  assert.equal(log.writtenCount, 20, 'close writes them')
})

for (const backend of testBackends()) {
  test(`${backend.name}: the experiment index is partial (rows of no experiment skip it) and serves A/B filters`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      const log = new PredictionLog(predictionLogSink(db, k), { flushIntervalMs: 60_000, batchSize: 50 })
      for (let i = 0; i < 40; i++) log.append(entry(i))
      await log.close()
      if (backend.name === 'sqlite') {
        const index = await sql<{
          sql: string
        }>`select sql from sqlite_master where name = 'serve_predictions_experiment'`.execute(k)
        assert.match(index.rows[0]?.sql ?? '', /where "experiment_id" is not null/i, 'partial index')
        const plan = await sql<{
          detail: string
        }>`explain query plan select count(*) from serve_predictions where experiment_id = 'exp'`.execute(k)
        assert.ok(
          plan.rows.some((r) => r.detail.includes('serve_predictions_experiment')),
          `the A/B filter uses the index: ${JSON.stringify(plan.rows)}`,
        )
      } else {
        const index = await sql<{
          indexdef: string
        }>`select indexdef from pg_indexes where indexname = 'serve_predictions_experiment' and schemaname = current_schema()`.execute(
          k,
        )
        assert.match(index.rows[0]?.indexdef ?? '', /WHERE \(?experiment_id IS NOT NULL\)?/i, 'partial index')
      }
      const counted = await k
        .selectFrom('serve_predictions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('experiment_id', '=', 'exp')
        .executeTakeFirstOrThrow()
      assert.equal(Number(counted.n), 20, 'rows of the experiment are all found')
    } finally {
      await db.close()
    }
  })
}
