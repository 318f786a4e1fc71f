import { join } from 'node:path'
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely'
import type pg from 'pg'
import { AppError, importOptional, keelDir, lazyAsync } from '../core/index.js'
import { openSqliteFile } from './sqlite-open.js'

/** Which SQL dialect a database speaks; migrations branch on it where types differ. */
export type DialectName = 'sqlite' | 'postgres'

/**
 * An open Keel database. `kysely` is untyped here: each capability views it through its own
 * table interfaces with `typed<Tables>()`, and owns its tables and migrations.
 */
export interface KeelDb {
  readonly dialect: DialectName
  readonly url: string
  /** The same connection, typed with a capability's table interfaces. */
  typed<Tables>(): Kysely<Tables>
  /** Applies the given migrations of one namespace once each, in order, recording them. */
  migrate(namespace: string, migrations: readonly Migration[]): Promise<void>
  close(): Promise<void>
}

/** One schema change. `name`s are unique within a namespace and never renamed once shipped. */
export interface Migration {
  readonly name: string
  up(db: Kysely<unknown>, dialect: DialectName): Promise<void>
}

/** Options for `openDb`. */
export interface OpenDbOptions {
  /** PostgreSQL only: use (and create) this schema, e.g. one per test run for isolation. */
  readonly schema?: string
}

/**
 * The `pg` driver, an optional peer dependency loaded by the first PostgreSQL URL (a SQLite-only
 * program never loads it).
 */
const loadPg = lazyAsync(async (): Promise<typeof pg> => {
  const { default: driver } = await importOptional(
    'pg',
    'A PostgreSQL store (postgres:// URL)',
    () => import('pg'),
  )
  // Postgres returns int8/bigint as strings by default; Keel's counters fit in a double.
  driver.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10))
  return driver
})

/**
 * Opens the store named by `url`: `postgres://…` for PostgreSQL, `sqlite:PATH` or a file path for
 * SQLite, and by default `$KEEL_DATABASE_URL` or the embedded SQLite file `.keel/keel.db`.
 *
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) for a PostgreSQL URL when the optional peer
 *   `pg` is not installed; AppError `STORE_UNAVAILABLE` when the database cannot be opened.
 */
export async function openDb(
  url: string | undefined = process.env.KEEL_DATABASE_URL,
  options: OpenDbOptions = {},
): Promise<KeelDb> {
  const resolved = url === undefined || url === '' ? `sqlite:${join(keelDir(), 'keel.db')}` : url
  let kysely: Kysely<unknown>
  let dialect: DialectName
  if (resolved.startsWith('postgres://') || resolved.startsWith('postgresql://')) {
    dialect = 'postgres'
    const schema = options.schema
    if (schema !== undefined && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
      throw new AppError('STORE_CONFIG', `Invalid PostgreSQL schema name '${schema}'.`)
    }
    const pg = await loadPg()
    if (schema !== undefined) {
      const admin = new pg.Client({ connectionString: resolved })
      await admin.connect()
      try {
        await admin.query(`create schema if not exists ${schema}`)
      } finally {
        await admin.end()
      }
    }
    const pool = new pg.Pool({
      connectionString: resolved,
      max: 10,
      ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
    })
    // An idle pooled connection that the server drops (restart, failover, admin shutdown) is emitted
    // as 'error' on the pool, and an unhandled 'error' event kills the process. The pool has already
    // discarded that client; the next query opens a new connection (or fails, and its caller sees it).
    pool.on('error', () => undefined)
    kysely = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) })
    try {
      await sql`select 1`.execute(kysely)
    } catch (error) {
      await kysely.destroy().catch(() => undefined)
      throw new AppError(
        'STORE_UNAVAILABLE',
        `Cannot connect to PostgreSQL at ${redact(resolved)}: ${(error as Error).message}`,
        { cause: error },
      )
    }
  } else {
    dialect = 'sqlite'
    // Loaded here rather than at the top so that importing the store (or anything that imports it)
    // does not load the SQLite binding's JavaScript until a database is opened.
    const { default: Sqlite } = await import('better-sqlite3')
    const database = openSqliteFile(Sqlite, resolved)
    database.pragma('foreign_keys = ON')
    kysely = new Kysely<unknown>({ dialect: new SqliteDialect({ database }) })
  }
  return makeDb(kysely, dialect, resolved)
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@')
}

function makeDb(kysely: Kysely<unknown>, dialect: DialectName, url: string): KeelDb {
  let migrationsTableReady = false
  const migrating = new Map<string, Promise<void>>()
  return {
    dialect,
    url: redact(url),
    typed<Tables>(): Kysely<Tables> {
      return kysely as unknown as Kysely<Tables>
    },
    async migrate(namespace, migrations) {
      const key = namespace
      const running = migrating.get(key)
      if (running !== undefined) return running
      const job = (async () => {
        if (!migrationsTableReady) {
          try {
            await kysely.schema
              .createTable('keel_migrations')
              .ifNotExists()
              .addColumn('namespace', 'varchar(100)', (c) => c.notNull())
              .addColumn('name', 'varchar(200)', (c) => c.notNull())
              .addColumn('applied_at', 'varchar(40)', (c) => c.notNull())
              .addPrimaryKeyConstraint('keel_migrations_pk', ['namespace', 'name'])
              .execute()
          } catch (error) {
            // Two processes creating it at once on PostgreSQL: the loser sees a duplicate; fine if it now exists.
            await sql`select 1 from keel_migrations where 1 = 0`.execute(kysely).catch(() => {
              throw error
            })
          }
          migrationsTableReady = true
        }
        const db = kysely as unknown as Kysely<{
          keel_migrations: { namespace: string; name: string; applied_at: string }
        }>
        // Already applied (every start after the first): no lock at all. The advisory lock is one
        // key for the whole database, so a process starting (a replacement worker, a replica) must
        // not queue behind other processes' migrations of other schemas to find nothing to do.
        const applied = new Set(
          (
            await db.selectFrom('keel_migrations').select('name').where('namespace', '=', namespace).execute()
          ).map((r) => r.name),
        )
        for (const migration of migrations) {
          if (applied.has(migration.name)) continue
          await db.transaction().execute(async (trx) => {
            // Serialise migrators across processes (server workers, replicas), then re-check inside
            // the lock so each migration runs exactly once.
            if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(7305611)`.execute(trx)
            else await sql`delete from keel_migrations where 1 = 0`.execute(trx)
            const done = await trx
              .selectFrom('keel_migrations')
              .select('name')
              .where('namespace', '=', namespace)
              .where('name', '=', migration.name)
              .executeTakeFirst()
            if (done !== undefined) return
            await migration.up(trx as unknown as Kysely<unknown>, dialect)
            await trx
              .insertInto('keel_migrations')
              .values({ namespace, name: migration.name, applied_at: new Date().toISOString() })
              .execute()
          })
        }
      })()
      migrating.set(key, job)
      try {
        await job
      } catch (error) {
        migrating.delete(key)
        throw error
      }
    },
    async close() {
      await kysely.destroy()
    },
  }
}
