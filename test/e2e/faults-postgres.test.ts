// Faults injected for real on the prediction log's PostgreSQL: the server is a child process
// (faults-child.ts) logging to a schema of this test's own; PostgreSQL itself is stopped and started
// again, and the server is killed with SIGKILL. Other tests share this PostgreSQL, so the outage is
// kept to a few seconds and PostgreSQL is always started again (after hook), then waited for.
import assert from 'node:assert/strict'
import { execFileSync, execSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { after, describe, test } from 'node:test'
import pg from 'pg'
import { postgresGate } from '../helpers/test-backends.js'
import {
  type Acked,
  killChild,
  load,
  metricSum,
  ROW,
  type ServerChild,
  sleep,
  startFaultsChild,
  waitFor,
} from './faults-helpers.js'

const postgres = postgresGate()
const CLUSTER = (() => {
  try {
    return readdirSync('/etc/postgresql')[0]
  } catch {
    return undefined
  }
})()
const skip =
  postgres.skip || (CLUSTER === undefined ? 'no local PostgreSQL cluster in /etc/postgresql' : false)

function pgctl(action: 'start' | 'stop'): void {
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', CLUSTER!, 'main', action], { stdio: 'ignore' })
}

function pgIsReady(): boolean {
  try {
    execSync('pg_isready -h 127.0.0.1 -q', { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Starts PostgreSQL if it is down and waits until it accepts connections (other tests need it). */
async function ensurePostgresUp(): Promise<void> {
  if (pgIsReady()) return
  try {
    pgctl('start')
  } catch {
    // Already starting (or started by someone else): wait for it below.
  }
  await waitFor('PostgreSQL to accept connections', () => pgIsReady(), 60_000)
}

/** Runs `fn` with a client on the test's schema. */
async function withSchema<T>(schema: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgres.require(), options: `-c search_path=${schema}` })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.require() })
  await client.connect()
  try {
    await client.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await client.end()
  }
}

const newSchema = (): string => `keel_faults_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

async function loggedIds(schema: string): Promise<Set<string>> {
  return withSchema(schema, async (c) => {
    const rows = await c.query<{ id: string }>('select id from serve_predictions')
    return new Set(rows.rows.map((r) => r.id))
  })
}

/** Log lines (JSON, pino) at warn level or above in a child's output. */
function warnings(output: string): { level: number; msg: string; line: string }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((line) => {
      const parsed = JSON.parse(line) as { level: number; msg: string }
      return { level: parsed.level, msg: parsed.msg, line }
    })
    .filter((l) => l.level >= 40)
}

describe('faults: PostgreSQL under a serving load', { skip }, () => {
  const servers: ServerChild[] = []
  const schemas: string[] = []
  after(async () => {
    await ensurePostgresUp()
    for (const s of servers) await killChild(s)
    for (const schema of schemas) await dropSchema(schema).catch(() => undefined)
  })

  test('PostgreSQL stopped and started under load: nothing acknowledged is lost, /ready shows the outage, the server stays up', async () => {
    const schema = newSchema()
    schemas.push(schema)
    const server = await startFaultsChild({
      FAULTS_DB_URL: postgres.require(),
      FAULTS_PG_SCHEMA: schema,
      FAULTS_FLUSH_MS: '100',
      FAULTS_BATCH: '200',
    })
    servers.push(server)
    const { base } = server
    await waitFor('/ready 200', async () => (await fetch(`${base}/ready`)).status === 200, 60_000)

    // Feedback for acknowledged predictions, all through the outage: a 200 must be stored, a 503
    // must name the database; nothing else is acceptable.
    const traffic = load(base, 4)
    const feedbackOk: string[] = []
    const feedbackRefused: string[] = []
    const feedbackOther: string[] = []
    const readySeen: { status: number; body: string }[] = []
    let stopped = false
    const feedbackLoop = (async () => {
      let next = 0
      while (!stopped) {
        const target: Acked | undefined = traffic.acked[next]
        if (target === undefined) {
          await sleep(10)
          continue
        }
        next += 7
        try {
          const res = await fetch(`${base}/v1/feedback`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ predictionId: target.id, outcome: true }),
          })
          const text = await res.text()
          if (res.status === 200) feedbackOk.push(target.id)
          else if (res.status === 503 && text.includes('SERVE_DATABASE_UNAVAILABLE'))
            feedbackRefused.push(text)
          else feedbackOther.push(`${res.status} ${text}`)
        } catch (error) {
          feedbackOther.push(String(error))
        }
      }
    })()
    const readyLoop = (async () => {
      while (!stopped) {
        try {
          // A poll that hangs must not stall the loop: the outage check reads the latest polls.
          const res = await fetch(`${base}/ready`, { signal: AbortSignal.timeout(3000) })
          readySeen.push({ status: res.status, body: await res.text() })
        } catch (error) {
          readySeen.push({ status: 0, body: String(error) })
        }
        await sleep(100)
      }
    })()

    try {
      await waitFor('300 acknowledged predictions', () => traffic.acked.length >= 300)
      const outageStart = Date.now()
      pgctl('stop')
      const pollsBefore = readySeen.length
      try {
        // Long enough for several flush intervals and /ready polls to meet the outage, short
        // enough for the other tests sharing this PostgreSQL. On a timeout the error says what
        // /ready answered and whether PostgreSQL was down (a CI run once saw no 503 in 10 s).
        await waitFor(
          '/ready to report the outage',
          () => readySeen.some((r) => r.status === 503 && r.body.includes('database unreachable')),
          20_000,
        ).catch((error: Error) => {
          const polls = readySeen.slice(pollsBefore)
          const last = polls.slice(-3).map((r) => `${r.status} ${r.body.slice(0, 120)}`)
          throw new Error(
            `${error.message}: ${polls.length} polls since the stop, the last: ${last.join(' | ')}; PostgreSQL ${pgIsReady() ? 'accepting connections' : 'down'}`,
          )
        })
        await sleep(Math.max(0, 2500 - (Date.now() - outageStart)))
      } finally {
        await ensurePostgresUp()
      }
      const ackedDuringOutage = traffic.acked.filter((a) => a.at >= outageStart).length
      // /ready is unauthenticated: the outage reason must not name the database's host or port.
      for (const r of readySeen.filter((x) => x.status === 503))
        assert.ok(
          !/127\.0\.0\.1|5432|postgres:\/\//.test(r.body),
          `/ready leaked the database address: ${r.body}`,
        )
      await waitFor(
        '/ready to recover',
        () => readySeen.at(-1)?.status === 200 && readySeen.at(-1)?.body.includes('"ready"') === true,
        30_000,
      )
      const before = traffic.acked.length
      await waitFor('more predictions after recovery', () => traffic.acked.length >= before + 200)
      stopped = true
      await Promise.all([traffic.stop(), feedbackLoop, readyLoop])

      assert.equal(server.child.exitCode, null, `the server exited:\n${server.output()}`)
      assert.deepEqual(traffic.failures.slice(0, 5), [], 'predictions need no database: none may fail')
      assert.ok(ackedDuringOutage > 0, 'predictions were answered during the outage')
      assert.deepEqual(feedbackOther.slice(0, 5), [], 'feedback answers are 200 or a clear 503')

      // Every acknowledged prediction reaches the log once the batches that failed are retried.
      const ackedIds = traffic.acked.map((a) => a.id)
      let logged = new Set<string>()
      await waitFor(
        'every acknowledged prediction to be logged',
        async () => {
          logged = await loggedIds(schema)
          return ackedIds.every((id) => logged.has(id))
        },
        30_000,
      ).catch(() => undefined)
      const missing = ackedIds.filter((id) => !logged.has(id))
      assert.equal(
        missing.length,
        0,
        `${missing.length} of ${ackedIds.length} acknowledged predictions missing`,
      )
      assert.equal(await metricSum(base, 'keel_prediction_log_dropped_total'), 0)
      assert.ok((await metricSum(base, 'keel_prediction_log_write_failures_total')) > 0)

      // Every acknowledged feedback is stored.
      const stored = await withSchema(schema, async (c) => {
        const rows = await c.query<{ prediction_id: string }>('select prediction_id from serve_feedback')
        return new Set(rows.rows.map((r) => r.prediction_id))
      })
      const lostFeedback = feedbackOk.filter((id) => !stored.has(id))
      assert.equal(lostFeedback.length, 0, `${lostFeedback.length} acknowledged feedback rows missing`)

      // One warning when log writes start failing and one when they recover: no line per retry.
      const lines = warnings(server.output())
      const failing = lines.filter((l) => l.msg.startsWith('prediction log writes failing'))
      const recovered = lines.filter((l) => l.msg === 'prediction log writes recovered')
      assert.equal(failing.length, 1, server.output())
      assert.equal(recovered.length, 1, server.output())
      assert.ok(!server.output().includes('"stack"'), `no stack traces expected:\n${server.output()}`)
      process.stdout.write(
        `# pg outage: ${traffic.acked.length} predictions acked (${ackedDuringOutage} during the outage), ` +
          `feedback ${feedbackOk.length} stored / ${feedbackRefused.length} refused with 503, ` +
          `ready statuses seen: ${[...new Set(readySeen.map((r) => r.status))].join(',')}\n`,
      )
    } finally {
      stopped = true
      await traffic.stop()
      await ensurePostgresUp()
    }
  })

  test('kill -9 of the server logging to PostgreSQL: at most about one flush interval missing, the table consistent, no errors before the kill', async () => {
    const schema = newSchema()
    schemas.push(schema)
    const flushMs = 100
    const server = await startFaultsChild({
      FAULTS_DB_URL: postgres.require(),
      FAULTS_PG_SCHEMA: schema,
      FAULTS_FLUSH_MS: String(flushMs),
      FAULTS_BATCH: '200',
    })
    servers.push(server)
    await waitFor('/ready 200', async () => (await fetch(`${server.base}/ready`)).status === 200, 60_000)
    const traffic = load(server.base, 8)
    await waitFor('600 acknowledged predictions', () => traffic.acked.length >= 600)
    const outputBeforeKill = server.output()
    const killedAt = Date.now()
    await killChild(server)
    await traffic.stop()

    assert.deepEqual(warnings(outputBeforeKill), [], 'no warnings or errors before the kill')
    const ids = await loggedIds(schema)
    // Slack for a batch committing at the moment of the kill and for a busy machine's timers.
    const mustHave = traffic.acked.filter((a) => a.at < killedAt - flushMs - 1000)
    const missingOld = mustHave.filter((a) => !ids.has(a.id))
    assert.equal(
      missingOld.length,
      0,
      `${missingOld.length} predictions older than the flush window are missing`,
    )
    const missingAll = traffic.acked.filter((a) => !ids.has(a.id)).length
    // Consistent: every stored row whole (its JSON parses, its columns set), no duplicates, and only
    // rows the server produced.
    await withSchema(schema, async (c) => {
      const rows = await c.query<{
        id: string
        features: string
        outputs: string
        model: string
        ts: string
      }>('select id, features, outputs, model, ts from serve_predictions')
      assert.equal(new Set(rows.rows.map((r) => r.id)).size, rows.rows.length)
      for (const r of rows.rows) {
        assert.equal(r.model, 'churn')
        assert.deepEqual(JSON.parse(r.features), { ...ROW, signup: null })
        assert.ok(typeof (JSON.parse(r.outputs) as { prediction?: unknown }).prediction === 'string')
      }
      const acked = new Set(traffic.acked.map((a) => a.id))
      // Rows whose answer was lost with the process may be logged; nothing else.
      assert.ok(rows.rows.length <= acked.size + 8 * 2)
    })
    process.stdout.write(
      `# pg kill -9: ${traffic.acked.length} acked, ${ids.size} logged, ${missingAll} missing (all within the last flush window)\n`,
    )
  })
})
