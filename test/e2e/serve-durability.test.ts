import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { migrateServeTables, PredictionLog } from '../../src/serve/index.js'
import { openDb } from '../../src/store/index.js'
import { parsePrometheus } from '../helpers/prometheus.js'
import { testBackends } from '../helpers/test-backends.js'

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url))

interface Child {
  child: ChildProcess
  base: string
  exit: Promise<number | null>
  /** Everything the server wrote to stderr so far. */
  stderr(): string
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const base = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`child did not start in 60 s\n${stderr}`)), 60_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const match = /LISTENING (\S+)/.exec(buffer)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`child exited early (${code})\n${stderr}`)))
  })
  return { child, base, exit, stderr: () => stderr }
}

/**
 * What a server wrote to stderr. The children log at `warn` (CHILD_LOG_LEVEL) and a healthy server
 * writes nothing there, so every line is a problem: a failed log write, a worker that died, an
 * uncaught error.
 */
function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '')
}

const ROW = { age: 42, tenure: 3, plan: 'basic', region: 'eu', active: true }

/**
 * Sends requests from `concurrency` loops until `stop()`; records each acknowledged id and the time
 * its response arrived, and each failed request with its time (failures after a kill are expected).
 */
function load(base: string, concurrency: number) {
  const acked: { id: string; at: number }[] = []
  const errors: { at: number; what: string }[] = []
  let stopped = false
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${base}/v1/models/churn/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ features: ROW }),
        })
        const body = (await res.json()) as { predictionId?: string }
        if (res.status === 200 && body.predictionId !== undefined)
          acked.push({ id: body.predictionId, at: Date.now() })
        else errors.push({ at: Date.now(), what: `${res.status} ${JSON.stringify(body)}` })
      } catch (error) {
        errors.push({ at: Date.now(), what: String(error) })
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  })
  return {
    acked,
    errors,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}

/** Waits (polling, bounded) until at least `count` predictions were acknowledged over at least `ms`. */
async function until(traffic: ReturnType<typeof load>, count: number, ms: number): Promise<void> {
  const started = Date.now()
  const deadline = started + 120_000
  while (traffic.acked.length < count || Date.now() - started < ms) {
    assert.ok(
      Date.now() < deadline,
      `only ${traffic.acked.length} acknowledged in 120 s: ${JSON.stringify(traffic.errors.slice(0, 3))}`,
    )
    await new Promise((r) => setTimeout(r, 10))
  }
}

async function loggedIds(url: string): Promise<Set<string>> {
  const db = await openDb(url)
  try {
    const rows = await (await migrateServeTables(db)).selectFrom('serve_predictions').select('id').execute()
    return new Set(rows.map((r) => r.id))
  } finally {
    await db.close()
  }
}

describe('prediction log durability', () => {
  test('graceful shutdown under load (SIGTERM): exit 0 and every acknowledged prediction is logged', async () => {
    const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-dur-')), 'keel.db')}`
    const { child, base, exit, stderr } = await startChild({
      CHILD_DB_URL: url,
      CHILD_LOG_LEVEL: 'warn',
      CHILD_DELAY_MS: '20',
      CHILD_FLUSH_MS: '1000',
    })
    const traffic = load(base, 8)
    await until(traffic, 100, 0)
    const signalledAt = Date.now()
    const stderrBefore = stderr()
    child.kill('SIGTERM')
    const code = await exit
    await traffic.stop()
    assert.equal(code, 0, stderr())
    assert.deepEqual(errorLines(stderrBefore), [], 'no errors on the server before SIGTERM')
    assert.deepEqual(
      traffic.errors.filter((e) => e.at < signalledAt),
      [],
      'no failed request before SIGTERM',
    )
    const ids = await loggedIds(url)
    const missing = traffic.acked.filter((a) => !ids.has(a.id))
    assert.equal(
      missing.length,
      0,
      `${missing.length} of ${traffic.acked.length} acknowledged predictions missing`,
    )
  })

  for (const backend of testBackends()) {
    test(`${backend.name}: kill -9 under load: the store is intact and at most the last flush interval is missing`, {
      skip: backend.skip,
    }, async () => {
      const database = await backend.database()
      const flushMs = 200
      // A row is acknowledged after it is queued. The flush timer takes it at the next tick (at most
      // flushMs later); if a batch is then still being committed, this flush waits for it before
      // committing its own. So a row can be lost only if acknowledged within one flush interval plus
      // the commit of the batch in flight (and its own) before the kill. A 200-row commit takes a few
      // milliseconds on SQLite and tens on PostgreSQL; IN_FLIGHT_MS allows one more flush interval for
      // both commits and a busy machine's late timers, a quarter of the old 11-interval slack.
      const IN_FLIGHT_MS = flushMs
      const lossWindowMs = flushMs + IN_FLIGHT_MS
      let running: Child | undefined
      try {
        running = await startChild({
          CHILD_DB_URL: database.url,
          // 8 clients and 25 ms per prediction: at most 320 rows/s, so a 200-row batch takes longer
          // than a flush interval to fill and the timer (the bound under test) drives the writes.
          CHILD_DELAY_MS: '25',
          CHILD_FLUSH_MS: String(flushMs),
          CHILD_LOG_LEVEL: 'warn',
        })
        const { child, base, exit, stderr } = running
        const traffic = load(base, 8)
        await until(traffic, 400, 5 * lossWindowMs)
        const stderrBefore = stderr()
        const killedAt = Date.now()
        child.kill('SIGKILL')
        await exit
        await traffic.stop()
        assert.deepEqual(errorLines(stderrBefore), [], 'no errors on the server before the kill')
        assert.deepEqual(
          traffic.errors.filter((e) => e.at < killedAt),
          [],
          'no failed request before the kill',
        )
        if (backend.name === 'sqlite') {
          const db = new Database(database.url.slice('sqlite:'.length), { readonly: true })
          try {
            const check = db.pragma('integrity_check') as { integrity_check: string }[]
            assert.equal(check[0]?.integrity_check, 'ok')
          } finally {
            db.close()
          }
        }
        const ids = await loggedIds(database.url)
        const mustHave = traffic.acked.filter((a) => a.at < killedAt - lossWindowMs)
        // The window must hold real traffic for the bound to mean anything.
        assert.ok(mustHave.length >= 100, `only ${mustHave.length} predictions older than the window`)
        const missingOld = mustHave.filter((a) => !ids.has(a.id))
        assert.equal(
          missingOld.length,
          0,
          `${missingOld.length} of ${mustHave.length} predictions acknowledged over ${lossWindowMs} ms before the kill are missing (newest missing ${killedAt - Math.max(...missingOld.map((a) => a.at))} ms before it)`,
        )
      } finally {
        if (running !== undefined && running.child.exitCode === null && running.child.signalCode === null) {
          running.child.kill('SIGKILL')
          await running.exit
        }
        await database.drop()
      }
    })
  }

  test('cluster of 2 workers: both serve, /metrics sums every worker; SIGTERM flushes all workers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-cluster-')), 'keel.db')
    // Each worker serves its model as version = its worker id, so a response names its worker.
    const { child, base, exit, stderr } = await startChild({
      CHILD_DB_URL: `sqlite:${path}`,
      CHILD_LOG_LEVEL: 'warn',
      CHILD_WORKERS: '2',
      CHILD_FLUSH_MS: '5000',
      CHILD_VERSION_IS_WORKER: '1',
    })
    const ids: string[] = []
    const byWorker = new Map<string, number>()
    // The primary announces the first worker listening; keep sending (a new connection each time, so
    // the primary's round robin moves on) until both workers have answered, then a few more each.
    for (let i = 0; i < 1000 && (byWorker.size < 2 || ids.length < 40); i++) {
      const res = await fetch(`${base}/v1/models/churn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ features: ROW }),
      })
      assert.equal(res.status, 200)
      const body = (await res.json()) as { predictionId: string; version: number }
      ids.push(body.predictionId)
      byWorker.set(String(body.version), (byWorker.get(String(body.version)) ?? 0) + 1)
    }
    assert.equal(byWorker.size, 2, `both workers answered: ${JSON.stringify([...byWorker])}`)
    const metrics = parsePrometheus(
      await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text(),
    )
    const series = metrics.find((m) => m.name === 'keel_requests_total')?.metrics ?? []
    const total = series.reduce((s, m) => s + Number(m.value), 0)
    assert.equal(total, ids.length, 'the aggregate counts every request')
    // Per worker: the aggregate holds each worker's own count, not one worker's twice.
    const perWorker = new Map<string, number>()
    for (const m of series) {
      const version = m.labels?.version ?? '?'
      perWorker.set(version, (perWorker.get(version) ?? 0) + Number(m.value))
    }
    assert.deepEqual(
      [...perWorker].sort(),
      [...byWorker].sort(),
      'each worker’s requests appear in the aggregate under its own series',
    )
    child.kill('SIGTERM')
    assert.equal(await exit, 0, stderr())
    assert.deepEqual(errorLines(stderr()), [], 'no errors on the server')
    const logged = await loggedIds(`sqlite:${path}`)
    assert.deepEqual(
      ids.filter((id) => !logged.has(id)),
      [],
      'every prediction of both workers is logged',
    )
  })
})

for (const backend of testBackends()) {
  test(`${backend.name}: the prediction log writes in batches, flushes on close and drops (counted) when full`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      let dropped = 0
      const log = new PredictionLog(
        k,
        { flushIntervalMs: 10_000, batchSize: 50, maxQueue: 120 },
        { onDropped: (n) => (dropped += n) },
      )
      const entry = (i: number) => ({
        id: `p-${i}`,
        ts: 1000 + i,
        model: 'churn',
        version: 1,
        variant: 'default',
        experimentId: null,
        requestKey: `u${i}`,
        features: { age: i },
        output: { prediction: 'yes', probabilities: { no: 0.4, yes: 0.6 } },
        score: 0.6,
        latencyMs: 1.5,
        servedBy: 'primary',
        shadowOf: null,
      })
      let accepted = 0
      for (let i = 0; i < 150; i++) if (log.append(entry(i))) accepted++
      await log.close()
      assert.equal(log.append(entry(999)), false)
      const rows = await k.selectFrom('serve_predictions').select(['id', 'features', 'score']).execute()
      assert.equal(rows.length, accepted)
      assert.equal(dropped, 150 - accepted + 1)
      assert.ok(accepted >= 120)
      assert.deepEqual(JSON.parse(rows.find((r) => r.id === 'p-7')!.features), { age: 7 })
      const count = await sql<{ n: number }>`select count(*) as n from serve_predictions`.execute(
        db.typed<unknown>(),
      )
      assert.equal(Number(count.rows[0]!.n), accepted)
    } finally {
      await db.close()
    }
  })

  test(`${backend.name}: serve tables migrate idempotently: a restart re-runs nothing and keeps the logged rows`, {
    skip: backend.skip,
  }, async () => {
    const database = await backend.database()
    try {
      const applied = async (): Promise<string[]> => {
        const db = await openDb(database.url)
        try {
          await migrateServeTables(db)
          // Twice on one handle as well: the second call must be a no-op.
          const k = await migrateServeTables(db)
          if ((await k.selectFrom('serve_predictions').select('id').execute()).length === 0) {
            const log = new PredictionLog(k, { flushIntervalMs: 60_000 })
            log.append({
              id: 'p-1',
              ts: 1,
              model: 'churn',
              version: 1,
              variant: 'default',
              experimentId: null,
              requestKey: null,
              features: { age: 1 },
              output: { prediction: 'no' },
              score: null,
              latencyMs: 1,
              servedBy: 'primary',
              shadowOf: null,
            })
            await log.close()
          }
          const rows = await sql<{
            name: string
          }>`select name from keel_migrations where namespace = 'serve' order by name`.execute(
            db.typed<unknown>(),
          )
          return rows.rows.map((r) => r.name)
        } finally {
          await db.close()
        }
      }
      const first = await applied()
      assert.ok(first.length > 0, 'the serve migrations are recorded')
      assert.equal(new Set(first).size, first.length, 'each migration recorded once')
      // A second process start (a fresh handle) finds every migration done and the data in place.
      assert.deepEqual(await applied(), first)
      assert.deepEqual([...(await loggedIds(database.url))], ['p-1'])
    } finally {
      await database.drop()
    }
  })
}
