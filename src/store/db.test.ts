import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Kysely } from 'kysely'
import { testBackends } from './test-backends.js'

interface T {
  things: { id: number; name: string }
}

for (const backend of testBackends()) {
  test(`${backend.name}: migrations apply once and data round-trips`, async () => {
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
