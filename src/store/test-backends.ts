import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type KeelDb, openDb } from './db.js'

/**
 * The store backends a shared test suite runs against: always a fresh SQLite file, plus
 * PostgreSQL (in a fresh schema) when KEEL_TEST_DATABASE_URL is set. Prints a visible notice
 * when PostgreSQL is skipped.
 * @internal test helper
 */
export function testBackends(): { name: 'sqlite' | 'postgres'; open(): Promise<KeelDb> }[] {
  const backends: { name: 'sqlite' | 'postgres'; open(): Promise<KeelDb> }[] = [
    {
      name: 'sqlite',
      open: () => openDb(`sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-test-')), 'keel.db')}`),
    },
  ]
  const pgUrl = process.env.KEEL_TEST_DATABASE_URL
  if (pgUrl !== undefined && pgUrl !== '') {
    backends.push({
      name: 'postgres',
      async open() {
        const schema = `keel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
        const db = await openDb(pgUrl, { schema })
        // Drop the test's schema when it closes, so test runs leave nothing behind.
        return {
          dialect: db.dialect,
          url: db.url,
          typed: <T>() => db.typed<T>(),
          migrate: (namespace, migrations) => db.migrate(namespace, migrations),
          async close() {
            await db.close()
            const admin = new pg.Client({ connectionString: pgUrl })
            await admin.connect()
            try {
              await admin.query(`drop schema if exists ${schema} cascade`)
            } finally {
              await admin.end()
            }
          },
        }
      },
    })
  } else {
    process.stderr.write('NOTICE: KEEL_TEST_DATABASE_URL is not set; PostgreSQL store tests are skipped.\n')
  }
  return backends
}
