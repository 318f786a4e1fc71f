import { existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type KeelDb, openDb } from '../../src/store/index.js'

/**
 * A test asked for a service without registering itself with `{ skip: gate.skip }`. A test-suite
 * error, not one of the library's (so it has no place in src/core/error-codes.ts).
 */
export class TestServiceMissingError extends Error {
  readonly code = 'TEST_SERVICE_MISSING'
}

/**
 * Whether a test that needs an outside service (PostgreSQL, Redis, Chromium) can run here. Tests
 * are always registered and pass `skip` to node:test, so a missing service shows up in the runner's
 * own "skipped" total and summary instead of the tests silently not existing.
 * @example
 * const redis = redisGate()
 * test('Redis cache: hit, miss, TTL', { skip: redis.skip }, async () => {
 *   const url = redis.require()
 * })
 * @internal test helper
 */
export interface ServiceGate {
  /** The reason to skip (for node:test's `skip` option), or false when the service is configured. */
  readonly skip: string | false
  /**
   * The service's URL (or executable path).
   * @throws TestServiceMissingError (code `TEST_SERVICE_MISSING`) when `skip` is set: the test forgot `{ skip: gate.skip }`.
   */
  require(): string
}

/** The reasons gated tests are skipped with; scripts/run-tests.mjs groups its summary by them. */
export const SKIP_REASONS = {
  postgres: 'KEEL_TEST_DATABASE_URL not set',
  redis: 'KEEL_TEST_REDIS_URL not set',
  chromium: 'Chromium not found at /usr/bin/chromium (apt-get install chromium)',
} as const

/** Debian's Chromium, which the browser tests drive through playwright-core. */
export const CHROMIUM_PATH = '/usr/bin/chromium'

function gate(value: string | undefined, reason: string): ServiceGate {
  const present = value !== undefined && value !== ''
  return {
    skip: present ? false : reason,
    require() {
      if (!present)
        throw new TestServiceMissingError(
          `${reason}: register the test with { skip: gate.skip } so it is skipped, not failed.`,
        )
      return value
    },
  }
}

/**
 * PostgreSQL for tests: `KEEL_TEST_DATABASE_URL`.
 * @internal test helper
 */
export function postgresGate(): ServiceGate {
  return gate(process.env.KEEL_TEST_DATABASE_URL, SKIP_REASONS.postgres)
}

/**
 * Redis for tests: `KEEL_TEST_REDIS_URL`.
 * @internal test helper
 */
export function redisGate(): ServiceGate {
  return gate(process.env.KEEL_TEST_REDIS_URL, SKIP_REASONS.redis)
}

/**
 * Chromium for the browser tests: the executable at {@link CHROMIUM_PATH}.
 * @internal test helper
 */
export function chromiumGate(): ServiceGate {
  return gate(existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined, SKIP_REASONS.chromium)
}

/** A database a child process can open by URL, and how to remove it afterwards. */
export interface TestDatabase {
  /** `sqlite:PATH` of a fresh file, or the PostgreSQL URL pinned (search_path) to a fresh schema. */
  readonly url: string
  /** Drops the PostgreSQL schema; a SQLite file is left in its temporary directory. */
  drop(): Promise<void>
}

/** A store backend a shared test suite runs against. */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres'
  /** Pass as `test(title, { skip: backend.skip }, fn)`: the reason to skip, or false. */
  readonly skip: string | false
  /** Opens a fresh, empty store (PostgreSQL: a new schema dropped on close). */
  open(): Promise<KeelDb>
  /** Creates a fresh, empty database for a child process (a server) that opens it by URL. */
  database(): Promise<TestDatabase>
}

function freshSchema(): string {
  return `keel_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`
}

async function dropSchema(url: string, schema: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  try {
    await admin.query(`drop schema if exists ${schema} cascade`)
  } finally {
    await admin.end()
  }
}

/**
 * The store backends a shared test suite runs against: a fresh SQLite file, and PostgreSQL (in a
 * fresh schema), which is skipped with {@link SKIP_REASONS.postgres} unless KEEL_TEST_DATABASE_URL
 * is set. Both are always returned so the PostgreSQL cases are counted as skipped, not lost:
 * @example
 * for (const backend of testBackends()) {
 *   test(`${backend.name}: data round-trips`, { skip: backend.skip }, async () => {
 *     const db = await backend.open()
 *   })
 * }
 * @internal test helper
 */
export function testBackends(): TestBackend[] {
  const postgres = postgresGate()
  return [
    {
      name: 'sqlite',
      skip: false,
      open: () => openDb(`sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-test-')), 'keel.db')}`),
      database: async () => ({
        url: `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-test-')), 'keel.db')}`,
        drop: async () => {},
      }),
    },
    {
      name: 'postgres',
      skip: postgres.skip,
      async open() {
        const pgUrl = postgres.require()
        const schema = freshSchema()
        const db = await openDb(pgUrl, { schema })
        // Drop the test's schema when it closes, so test runs leave nothing behind.
        return {
          dialect: db.dialect,
          url: db.url,
          typed: <T>() => db.typed<T>(),
          migrate: (namespace, migrations) => db.migrate(namespace, migrations),
          async close() {
            await db.close()
            await dropSchema(pgUrl, schema)
          },
        }
      },
      async database() {
        const pgUrl = postgres.require()
        const schema = freshSchema()
        const admin = new pg.Client({ connectionString: pgUrl })
        await admin.connect()
        try {
          await admin.query(`create schema ${schema}`)
        } finally {
          await admin.end()
        }
        // node-postgres passes the `options` query parameter to the server as startup options, so
        // every connection the child opens from this URL works in the fresh schema.
        const url = new URL(pgUrl)
        url.searchParams.set('options', `-c search_path=${schema}`)
        return { url: url.toString(), drop: () => dropSchema(pgUrl, schema) }
      },
    },
  ]
}
