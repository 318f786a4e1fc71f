import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { sql } from 'kysely'
import { migrateServeTables, PredictionLog } from '../../src/serve/index.js'
import { openDb, testBackends } from '../../src/store/index.js'

const CHILD = fileURLToPath(new URL('./serve-child.ts', import.meta.url))

interface PromMetric {
  name: string
  metrics: { labels?: Record<string, string>; value?: string }[]
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromMetric[]

async function startChild(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string; exit: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-home-')), ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const base = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error('child did not start in 60 s')), 60_000)
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const match = /LISTENING (\S+)/.exec(buffer)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => reject(new Error(`child exited early (${code})`)))
  })
  return { child, base, exit }
}

const ROW = { age: 42, tenure: 3, plan: 'basic', region: 'eu', active: true }

/** Sends requests from `concurrency` loops until `stop()`; records each acknowledged id and time. */
function load(base: string, concurrency: number) {
  const acked: { id: string; at: number }[] = []
  let stopped = false
  let errors = 0
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
        else errors++
      } catch {
        errors++
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  })
  return {
    acked,
    errors: () => errors,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}

function loggedIds(path: string): Set<string> {
  const db = new Database(path, { readonly: true })
  try {
    return new Set(
      (db.prepare('select id from serve_predictions').all() as { id: string }[]).map((r) => r.id),
    )
  } finally {
    db.close()
  }
}

describe('prediction log durability', () => {
  test('graceful shutdown under load (SIGTERM): exit 0 and every acknowledged prediction is logged', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-dur-')), 'keel.db')
    const { child, base, exit } = await startChild({
      CHILD_DB_URL: `sqlite:${path}`,
      CHILD_DELAY_MS: '20',
      CHILD_FLUSH_MS: '1000',
    })
    const traffic = load(base, 8)
    while (traffic.acked.length < 100) await new Promise((r) => setTimeout(r, 10))
    child.kill('SIGTERM')
    const code = await exit
    await traffic.stop()
    assert.equal(code, 0)
    const ids = loggedIds(path)
    const missing = traffic.acked.filter((a) => !ids.has(a.id))
    assert.equal(
      missing.length,
      0,
      `${missing.length} of ${traffic.acked.length} acknowledged predictions missing`,
    )
  })

  test('kill -9 under load: the database is intact and at most the last flush interval is missing', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-kill-')), 'keel.db')
    const flushMs = 100
    const { child, base, exit } = await startChild({
      CHILD_DB_URL: `sqlite:${path}`,
      CHILD_FLUSH_MS: String(flushMs),
    })
    const traffic = load(base, 8)
    while (traffic.acked.length < 400) await new Promise((r) => setTimeout(r, 10))
    const killedAt = Date.now()
    child.kill('SIGKILL')
    await exit
    await traffic.stop()
    const db = new Database(path)
    try {
      assert.equal((db.pragma('integrity_check') as { integrity_check: string }[])[0]?.integrity_check, 'ok')
    } finally {
      db.close()
    }
    const ids = loggedIds(path)
    // Slack for a batch being committed at the moment of the kill and for a busy machine's timers.
    const mustHave = traffic.acked.filter((a) => a.at < killedAt - flushMs - 1000)
    const missingOld = mustHave.filter((a) => !ids.has(a.id))
    assert.equal(
      missingOld.length,
      0,
      `${missingOld.length} predictions older than the flush window are missing`,
    )
    assert.ok(ids.size > 0)
  })

  test('cluster of 2 workers: /metrics aggregates every worker; SIGTERM flushes all workers', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keel-cluster-')), 'keel.db')
    const { child, base, exit } = await startChild({
      CHILD_DB_URL: `sqlite:${path}`,
      CHILD_WORKERS: '2',
      CHILD_FLUSH_MS: '5000',
    })
    const ids: string[] = []
    const pids = new Set<string>()
    for (let i = 0; i < 40; i++) {
      const res = await fetch(`${base}/v1/models/churn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ features: ROW }),
      })
      ids.push(((await res.json()) as { predictionId: string }).predictionId)
    }
    const metrics = parsePrometheus(
      await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text(),
    )
    const total = (metrics.find((m) => m.name === 'keel_requests_total')?.metrics ?? []).reduce(
      (s, m) => s + Number(m.value),
      0,
    )
    assert.equal(total, 40)
    for (const m of metrics.find((x) => x.name === 'process_cpu_user_seconds_total')?.metrics ?? [])
      pids.add(JSON.stringify(m.labels))
    child.kill('SIGTERM')
    assert.equal(await exit, 0)
    const logged = loggedIds(path)
    assert.equal(ids.filter((id) => !logged.has(id)).length, 0)
  })
})

for (const backend of testBackends()) {
  test(`${backend.name}: the prediction log writes in batches, flushes on close and drops (counted) when full`, async () => {
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
}

test('openDb is the store used by the server (sanity: serve tables migrate idempotently)', async () => {
  const db = await openDb(`sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-mig-')), 'keel.db')}`)
  try {
    await migrateServeTables(db)
    await migrateServeTables(db)
  } finally {
    await db.close()
  }
})
