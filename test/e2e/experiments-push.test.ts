// Replicas that act as one, for experiments: two servers on one PostgreSQL schema. An experiment
// created, stopped or restarted through one replica's admin API is in force on the other within
// a push (LISTEN/NOTIFY on keel_experiments), not at its next poll: the poll interval is 10 s, so
// only the push explains a change seen within the deadline. Sticky assignment is then the same on
// both replicas for every key.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import pg from 'pg'
import { createMemoryModelSource, createServer, type KeelServer } from '../../src/serve/index.js'
import { fakeModel, fakeRow } from '../helpers/serve-fixtures.js'
import { testBackends } from '../helpers/test-backends.js'

const backend = testBackends().find((b) => b.name === 'postgres')!
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

/** The poll is this slow, so a change seen sooner than it can only come from the push. */
const SLOW_POLL_MS = 10_000
/** Generous for a loaded 2-core CI box; the push itself takes a few ms. */
const PUSH_DEADLINE_MS = 2000
const ADMIN = { authorization: 'Bearer admin-token', 'content-type': 'application/json' }
/** The replicas' connections' application_name (LISTEN connections included). */
const APP_NAME = `keel_exp_push_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

type Json = Record<string, unknown>

async function startReplica(url: string): Promise<string> {
  const source = createMemoryModelSource([fakeModel({ version: 1 }), fakeModel({ version: 2, bias: 0.5 })])
  source.setAlias('churn', 'production', 1)
  source.setAlias('churn', 'challenger', 2)
  const server: KeelServer = await createServer({
    source,
    config: { models: ['churn@production'], pollIntervalMs: SLOW_POLL_MS },
    db: url,
    adminToken: 'admin-token',
    logger: false,
  })
  cleanups.push(() => server.close())
  await server.waitUntilReady(30_000)
  return server.listen(0)
}

async function variantOf(base: string, key: string): Promise<string | undefined> {
  const res = await fetch(`${base}/v1/models/churn/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features: fakeRow(), requestKey: key }),
  })
  assert.equal(res.status, 200)
  return ((await res.json()) as Json).variant as string | undefined
}

/** Milliseconds until `check` holds, polling every 5 ms; fails after the deadline. */
async function msUntil(what: string, check: () => Promise<boolean>): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > PUSH_DEADLINE_MS)
      throw new Error(`${what}: not seen within ${PUSH_DEADLINE_MS} ms (the poll is ${SLOW_POLL_MS} ms)`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return Date.now() - started
}

test('postgres: experiment changes reach every replica by push; assignment is identical on both', {
  skip: backend.skip,
  timeout: 120_000,
}, async () => {
  const db = await backend.database()
  cleanups.push(() => db.drop())
  const named = new URL(db.url)
  named.searchParams.set('application_name', APP_NAME)
  const a = await startReplica(named.toString())
  const b = await startReplica(named.toString())
  const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`)
  // No experiment yet: the default variant on either replica.
  assert.equal(await variantOf(b, 'user-0'), 'default')

  const experiment = {
    id: 'exp-push',
    model: 'churn',
    variants: [
      { name: 'A', ref: 'churn@production', weight: 1 },
      { name: 'B', ref: 'churn@challenger', weight: 1 },
    ],
  }
  const created = await fetch(`${a}/v1/admin/experiments`, {
    method: 'POST',
    headers: ADMIN,
    body: JSON.stringify(experiment),
  })
  assert.equal(created.status, 201, await created.text())
  const startMs = await msUntil(
    'the new experiment on replica B',
    async () => (await variantOf(b, 'user-0')) !== 'default',
  )

  // Sticky assignment: the same variant for every key on both replicas, and both arms in use.
  const onA = await Promise.all(keys.map((k) => variantOf(a, k)))
  const onB = await Promise.all(keys.map((k) => variantOf(b, k)))
  assert.deepEqual(onB, onA)
  assert.deepEqual(new Set(onA), new Set(['A', 'B']))

  // Stopped through B: A stops assigning variants within the push.
  const stopped = await fetch(`${b}/v1/admin/experiments/exp-push`, {
    method: 'PUT',
    headers: ADMIN,
    body: JSON.stringify({ ...experiment, status: 'stopped' }),
  })
  assert.equal(stopped.status, 200, await stopped.text())
  const stopMs = await msUntil(
    'the stop on replica A',
    async () => (await variantOf(a, 'user-1')) === 'default',
  )

  // A dropped notification connection (a database restart, a failover) is re-established, and the
  // catch-up re-read after it brings a change made meanwhile.
  const admin = new pg.Client({ connectionString: db.url })
  await admin.connect()
  try {
    const killed = await admin.query(
      `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and query ilike 'LISTEN keel_experiments%'`,
      [APP_NAME],
    )
    assert.equal(killed.rowCount, 2, 'one experiment LISTEN connection per replica')
  } finally {
    await admin.end()
  }
  const restarted = await fetch(`${a}/v1/admin/experiments/exp-push`, {
    method: 'PUT',
    headers: ADMIN,
    body: JSON.stringify({ ...experiment, status: 'running' }),
  })
  assert.equal(restarted.status, 200, await restarted.text())
  const againMs = await msUntil(
    'the restart on replica B after its notification connection was dropped',
    async () => (await variantOf(b, 'user-0')) !== 'default',
  )
  console.log(`# experiment push: start ${startMs} ms, stop ${stopMs} ms, after reconnect ${againMs} ms`)
})
