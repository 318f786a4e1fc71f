import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Kysely } from 'kysely'
import { testBackends } from '../../test/helpers/test-backends.js'

interface T {
  things: { id: number; name: string }
}

for (const backend of testBackends()) {
  test(`${backend.name}: migrations apply once and data round-trips`, { skip: backend.skip }, async () => {
    const db = await backend.open()
    try {
      let runs = 0
      const migrations = [
        {
          name: '001-things',
          async up(k: Kysely<unknown>) {
            runs++
            await k.schema
              .createTable('things')
              .addColumn('id', 'integer', (c) => c.primaryKey())
              .addColumn('name', 'text', (c) => c.notNull())
              .execute()
          },
        },
      ]
      await db.migrate('test', migrations)
      await db.migrate('test', migrations)
      assert.equal(runs, 1)
      const k = db.typed<T>()
      await k.insertInto('things').values({ id: 1, name: 'a' }).execute()
      const rows = await k.selectFrom('things').selectAll().execute()
      assert.deepEqual(rows, [{ id: 1, name: 'a' }])
    } finally {
      await db.close()
    }
  })
}

test('sqlite: several processes migrating one fresh file at once apply each migration once', async () => {
  const { mkdtempSync } = await import('node:fs')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { spawn } = await import('node:child_process')
  const { openDb } = await import('./db.js')
  const url = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-mig-')), 'keel.db')}`
  const script = `
    import { openDb } from ${JSON.stringify(new URL('./db.ts', import.meta.url).pathname)}
    const db = await openDb(${JSON.stringify(url)})
    await db.migrate('race', [{ name: '001-things', async up(k) {
      await k.schema.createTable('things').addColumn('id', 'integer', (c) => c.primaryKey()).execute()
    } }])
    await db.close()
  `
  const codes = await Promise.all(
    Array.from(
      { length: 3 },
      () =>
        new Promise<number>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
            stdio: 'inherit',
          })
          child.on('close', (code) => resolve(code ?? -1))
        }),
    ),
  )
  assert.deepEqual(codes, [0, 0, 0])
  const db = await openDb(url)
  try {
    const rows = await db
      .typed<{ keel_migrations: { namespace: string; name: string } }>()
      .selectFrom('keel_migrations')
      .selectAll()
      .where('namespace', '=', 'race')
      .execute()
    assert.equal(rows.length, 1)
  } finally {
    await db.close()
  }
})
