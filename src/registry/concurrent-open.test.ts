import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { postgresGate } from '../../test/helpers/test-backends.js'
import { type KeelDb, openDb } from '../store/index.js'
import { openTrackingStore } from '../track/index.js'
import { openRegistry } from './index.js'

/** Several replicas (here: connection pools) opening one fresh PostgreSQL schema at the same time. */
async function openAllAtOnce(dbs: readonly KeelDb[]): Promise<void> {
  const opened = await Promise.all(
    dbs.flatMap((db) => [openRegistry(db), openTrackingStore(db)] as Promise<{ close(): Promise<void> }>[]),
  )
  const registry = await openRegistry(dbs[0])
  assert.equal((await registry.registerVersion({ name: 'm', artifact: '{}' })).version, 1)
  await Promise.all([...opened, registry].map((o) => o.close()))
}

const execFileAsync = promisify(execFile)
const INDEX_URL = new URL('./index.ts', import.meta.url).href
const TRACK_URL = new URL('../track/index.ts', import.meta.url).href

// Separate processes, as server workers are: in one process better-sqlite3 connections would
// block each other synchronously for the whole busy timeout instead of racing.
test('sqlite: processes opening one fresh database at once all succeed', async () => {
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-conc-')), 'keel.db')}`
  const script = `
    const { openRegistry } = await import(${JSON.stringify(INDEX_URL)})
    const { openTrackingStore } = await import(${JSON.stringify(TRACK_URL)})
    const opened = await Promise.all([openRegistry(process.argv[1]), openTrackingStore(process.argv[1])])
    await Promise.all(opened.map((o) => o.close()))
  `
  const results = await Promise.allSettled(
    [1, 2].map(() =>
      execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, url]),
    ),
  )
  for (const result of results) {
    assert.equal(result.status, 'fulfilled', result.status === 'rejected' ? String(result.reason) : '')
  }
  const registry = await openRegistry(url)
  try {
    assert.equal((await registry.registerVersion({ name: 'm', artifact: '{}' })).version, 1)
  } finally {
    await registry.close()
  }
})

const postgres = postgresGate()
test('postgres: concurrent first opens of one schema all succeed', { skip: postgres.skip }, async () => {
  const pgUrl = postgres.require()
  const schema = `keel_t_conc_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const dbs: KeelDb[] = []
  // Opened one by one: openDb creates the schema, which is not what this test is about.
  for (let i = 0; i < 3; i++) dbs.push(await openDb(pgUrl, { schema }))
  try {
    await openAllAtOnce(dbs)
  } finally {
    await sql.raw(`drop schema ${schema} cascade`).execute(dbs[0]!.typed<unknown>())
    await Promise.all(dbs.map((db) => db.close()))
  }
})
