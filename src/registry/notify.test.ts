import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import pg from 'pg'
import { postgresGate, testBackends } from '../../test/helpers/test-backends.js'
import { subscribeRegistryChanges } from './notify.js'
import { openRegistry } from './open.js'

const postgres = postgresGate()
const backend = testBackends().find((b) => b.name === 'postgres')!
const cleanups: (() => Promise<void>)[] = []
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined)
})

/** Channels are database-wide and other suites may run at once: each test uses its own model name. */
const uniqueName = (): string => `notify_${process.pid}_${Math.random().toString(36).slice(2, 8)}`

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** A fresh schema's URL, its registry, and an admin connection to it. */
async function fixture(): Promise<{ url: string; admin: pg.Client }> {
  const database = await backend.database()
  const admin = new pg.Client({ connectionString: database.url })
  await admin.connect()
  cleanups.push(async () => {
    await admin.end()
    await database.drop()
  })
  return { url: database.url, admin }
}

test('SQLite: no notifications, the subscription is a no-op and writes are unaffected', async () => {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-notify-')), 'keel.db')}`
  const seen: (string | undefined)[] = []
  const sub = await subscribeRegistryChanges(url, (name) => seen.push(name))
  const registry = await openRegistry(url)
  try {
    const v = await registry.registerVersion({ name: 'churn', runId: null, artifact: 'a' })
    await registry.promote('churn', v.version)
  } finally {
    await registry.close()
    await sub.close()
  }
  assert.deepEqual(seen, [])
})

test('PostgreSQL: a promote on one handle reaches a subscriber on another connection, only at commit', {
  skip: postgres.skip,
}, async () => {
  const { url, admin } = await fixture()
  const name = uniqueName()
  const registry = await openRegistry(url)
  cleanups.push(() => registry.close())
  const v1 = await registry.registerVersion({ name, runId: null, artifact: 'one' })
  const v2 = await registry.registerVersion({ name, runId: null, artifact: 'two' })
  await registry.promote(name, v1.version)

  const seen: { name: string | undefined; production: number | undefined }[] = []
  // On its own handle (own connection pool): what a second replica would see when told.
  const reader = await openRegistry(url)
  cleanups.push(() => reader.close())
  const sub = await subscribeRegistryChanges(url, (changed) => {
    if (changed !== name) return
    void reader.aliasState(name).then((s) => seen.push({ name: changed, production: s.aliases.production }))
  })
  cleanups.push(() => sub.close())

  // Hold the promote's commit: a deferred trigger runs at COMMIT (after pg_notify was queued) and
  // waits for an advisory lock the admin connection holds.
  await admin.query(`
    create function hold_commit() returns trigger language plpgsql as $$
    begin perform pg_advisory_xact_lock(731); return null; end $$`)
  await admin.query(`
    create constraint trigger hold_commit after insert on registry_events
    deferrable initially deferred for each row execute function hold_commit()`)
  await admin.query('begin')
  await admin.query('select pg_advisory_xact_lock(731)')
  let promoted = false
  const promoting = registry.promote(name, v2.version).then((change) => {
    promoted = true
    return change
  })
  await sleep(400)
  assert.equal(promoted, false, 'the promote should be held at its commit')
  assert.equal(seen.length, 0, 'a notification arrived before the commit')
  await admin.query('commit')
  const change = await promoting
  assert.equal(change.toVersion, v2.version)
  await until('the notification', () => seen.length > 0)
  // Delivered after the commit: the new alias is already readable from another connection.
  assert.deepEqual(seen[0], { name, production: v2.version })

  // Rollback and alias removal notify too.
  await registry.rollback(name)
  await until('the rollback notification', () => seen.length >= 2)
  await until('the rolled back state', () => seen.some((s) => s.production === v1.version))
})

test('PostgreSQL: a subscriber survives a terminated connection and delivers the next change', {
  skip: postgres.skip,
}, async () => {
  const { url, admin } = await fixture()
  const name = uniqueName()
  const registry = await openRegistry(url)
  cleanups.push(() => registry.close())
  const v1 = await registry.registerVersion({ name, runId: null, artifact: 'one' })

  const appName = `keel_notify_${Math.random().toString(36).slice(2, 10)}`
  const subUrl = new URL(url)
  subUrl.searchParams.set('application_name', appName)
  const seen: (string | undefined)[] = []
  const errors: unknown[] = []
  const sub = await subscribeRegistryChanges(
    subUrl.toString(),
    (changed) => {
      if (changed === undefined || changed === name) seen.push(changed)
    },
    { minBackoffMs: 20, onError: (e) => errors.push(e) },
  )
  cleanups.push(() => sub.close())
  const pidOf = async (): Promise<number | undefined> => {
    const r = await admin.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [appName],
    )
    return r.rows[0]?.pid
  }

  await registry.promote(name, v1.version)
  await until('the first notification', () => seen.includes(name))
  const pid = await pidOf()
  assert.ok(pid !== undefined, 'the listening connection should be visible')
  await admin.query('select pg_terminate_backend($1)', [pid])
  // The catch-up call after the reconnect: changes may have been missed meanwhile.
  await until('the reconnect', () => seen.includes(undefined))
  assert.equal(errors.length, 1, 'one outage is reported once')
  const newPid = await pidOf()
  assert.ok(newPid !== undefined && newPid !== pid, 'a new connection should listen')

  seen.length = 0
  await registry.setAlias(name, v1.version, 'staging')
  await until('the notification after the reconnect', () => seen.includes(name))

  // Closed: no further calls, and the connection is gone.
  await sub.close()
  seen.length = 0
  await registry.removeAlias(name, 'staging')
  await sleep(200)
  assert.deepEqual(seen, [])
  assert.equal(await pidOf(), undefined)
})
