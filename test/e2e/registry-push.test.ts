// Replicas that act as one: two servers over one PostgreSQL registry schema switch to a promoted (or
// rolled back) version as soon as the registry announces it (LISTEN/NOTIFY), not at their next
// poll. The poll interval is set to 10 s so only the push can explain a fast switch; a second case
// measures the same servers without push (poll only) for comparison. The model source here resolves
// through the real registry and loads a fake model per version (training is not what is tested).
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import pg from 'pg'
import { openRegistry, subscribeRegistryChanges } from '../../src/registry/index.js'
import type { ModelChangeFeed, ModelSource } from '../../src/serve/index.js'
import { createServer, type KeelServer } from '../../src/serve/index.js'
import { fakeModel, fakeRow } from '../helpers/serve-fixtures.js'
import { postgresGate, testBackends } from '../helpers/test-backends.js'

const postgres = postgresGate()
const backend = testBackends().find((b) => b.name === 'postgres')!
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

/** Promotions measured per case (the median is reported). */
const PROMOTIONS = 7
/** With push the poll is this slow, so a switch faster than it can only come from the push. */
const SLOW_POLL_MS = 10_000
/** Generous for a loaded 2-core CI box; measured medians are a few tens of ms. */
const PUSH_DEADLINE_MS = 1000
/** The poll-only comparison. */
const FAST_POLL_MS = 500
/** The replicas' connections' application_name (LISTEN connections included). */
const APP_NAME = `keel_push_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

/** A registry-backed source (resolve through aliases) loading a fake model per version. */
async function registrySource(url: string, push: boolean): Promise<ModelSource & { close(): Promise<void> }> {
  const registry = await openRegistry(url)
  const source: ModelSource & Partial<ModelChangeFeed> & { close(): Promise<void> } = {
    async resolve(ref) {
      const r = await registry.resolve(ref)
      return { name: r.name, version: r.version }
    },
    async load(name, version) {
      return fakeModel({ name, version })
    },
    close: () => registry.close(),
  }
  if (push)
    source.subscribeChanges = (onChange, onError) =>
      subscribeRegistryChanges(url, onChange, onError === undefined ? {} : { onError })
  return source
}

async function startReplica(url: string, push: boolean, pollIntervalMs: number): Promise<string> {
  // Named, so the case below can find (and terminate) the replicas' listening connections.
  const named = new URL(url)
  named.searchParams.set('application_name', APP_NAME)
  const source = await registrySource(named.toString(), push)
  let server: KeelServer
  try {
    server = await createServer({
      source,
      config: { models: ['churn@production'], pollIntervalMs },
      db: false,
      logger: false,
    })
  } catch (error) {
    await source.close()
    throw error
  }
  cleanups.push(async () => {
    await server.close()
    await source.close()
  })
  await server.waitUntilReady(30_000)
  return server.listen(0)
}

async function servedVersion(base: string): Promise<number> {
  const res = await fetch(`${base}/v1/models/churn/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ features: fakeRow() }),
  })
  const body = (await res.json()) as { version?: number }
  assert.equal(res.status, 200, JSON.stringify(body))
  return Number(body.version)
}

/** Ms from `since` until every server answers with `version` (asking each in a tight loop). */
async function untilAllServe(bases: readonly string[], version: number, since: number, timeoutMs: number) {
  const times = await Promise.all(
    bases.map(async (base) => {
      while (Date.now() - since < timeoutMs) {
        if ((await servedVersion(base)) === version) return Date.now() - since
      }
      throw new Error(`${base} still not serving v${version} ${timeoutMs} ms after the promotion`)
    }),
  )
  return Math.max(...times)
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

interface Cluster {
  readonly url: string
  readonly bases: readonly string[]
  readonly registry: Awaited<ReturnType<typeof openRegistry>>
}

/** Two replicas on a fresh schema; promotes (and rolls back) PROMOTIONS times, returns the delays. */
async function measure(
  push: boolean,
  pollIntervalMs: number,
  deadlineMs: number,
): Promise<{ delays: number[]; cluster: Cluster }> {
  const database = await backend.database()
  cleanups.push(() => database.drop())
  const registry = await openRegistry(database.url)
  cleanups.push(() => registry.close())
  for (let i = 0; i < 3; i++)
    await registry.registerVersion({ name: 'churn', runId: null, artifact: `v${i}` })
  await registry.promote('churn', 1)
  const bases = [
    await startReplica(database.url, push, pollIntervalMs),
    await startReplica(database.url, push, pollIntervalMs),
  ]
  for (const base of bases) assert.equal(await servedVersion(base), 1)

  const delays: number[] = []
  let current = 1
  for (let i = 0; i < PROMOTIONS; i++) {
    // Alternate promotions and rollbacks: both are alias moves every replica must follow.
    const change =
      i % 3 === 2 ? await registry.rollback('churn') : await registry.promote('churn', (current % 3) + 1)
    const returned = Date.now()
    assert.ok(change.toVersion !== null)
    current = change.toVersion
    delays.push(await untilAllServe(bases, current, returned, deadlineMs))
  }
  return { delays, cluster: { url: database.url, bases, registry } }
}

/** Pids of the replicas' listening connections. */
async function listenerPids(url: string): Promise<number[]> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    const r = await admin.query<{ pid: number }>(
      "select pid from pg_stat_activity where application_name = $1 and query ilike 'listen%'",
      [APP_NAME],
    )
    return r.rows.map((row) => row.pid)
  } finally {
    await admin.end()
  }
}

test('PostgreSQL push: a promotion or rollback reaches both replicas well within the poll interval', {
  skip: postgres.skip,
}, async (t) => {
  const { delays, cluster } = await measure(true, SLOW_POLL_MS, PUSH_DEADLINE_MS + 2000)
  t.diagnostic(`push: promote-to-both-serving median ${median(delays)} ms, all ${delays.join(', ')} ms`)
  for (const d of delays)
    assert.ok(d < PUSH_DEADLINE_MS, `a replica took ${d} ms (poll is ${SLOW_POLL_MS} ms)`)

  // A dropped listening connection (a database restart, an admin's kill) is re-established, and the
  // next promotion is still pushed to both replicas.
  const pids = await listenerPids(cluster.url)
  assert.equal(pids.length, 2, 'each replica should hold one listening connection')
  const admin = new pg.Client({ connectionString: cluster.url })
  await admin.connect()
  try {
    for (const pid of pids) await admin.query('select pg_terminate_backend($1)', [pid])
  } finally {
    await admin.end()
  }
  const deadline = Date.now() + 10_000
  for (;;) {
    const now = await listenerPids(cluster.url)
    if (now.length === 2 && now.every((p) => !pids.includes(p))) break
    assert.ok(Date.now() < deadline, `the replicas did not listen again: ${JSON.stringify(now)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const state = await cluster.registry.aliasState('churn')
  const target = ((state.aliases.production ?? 1) % 3) + 1
  await cluster.registry.promote('churn', target)
  const afterReconnect = await untilAllServe(cluster.bases, target, Date.now(), PUSH_DEADLINE_MS + 2000)
  t.diagnostic(`push after the listening connections were terminated: ${afterReconnect} ms`)
  assert.ok(afterReconnect < PUSH_DEADLINE_MS, `took ${afterReconnect} ms after a reconnect`)
})

test('PostgreSQL poll only (no push): the same switch waits for the poll', {
  skip: postgres.skip,
}, async (t) => {
  const { delays } = await measure(false, FAST_POLL_MS, FAST_POLL_MS + 5000)
  t.diagnostic(
    `poll ${FAST_POLL_MS} ms: promote-to-both-serving median ${median(delays)} ms, all ${delays.join(', ')} ms`,
  )
  // Two independent polls: the later of the two is usually well past the push's delay.
  for (const d of delays) assert.ok(d < FAST_POLL_MS + 5000)
})
