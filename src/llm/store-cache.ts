import type { KeelDb } from '../store/index.js'
import { type LlmCache, type LlmCachedResponse, parseCachedResponse } from './cache.js'
import { LLM_MIGRATIONS, type LlmTables } from './schema.js'

/**
 * Response cache in the Keel store (SQLite by default, PostgreSQL when the store is). Expired rows
 * are ignored on read and purged on write.
 */
export class StoreLlmCache implements LlmCache {
  private ready: Promise<void> | undefined
  private writes = 0

  constructor(private readonly db: KeelDb) {}

  private init(): Promise<void> {
    this.ready ??= this.db.migrate('llm', LLM_MIGRATIONS)
    return this.ready
  }

  async get(key: string): Promise<LlmCachedResponse | undefined> {
    await this.init()
    const row = await this.db
      .typed<LlmTables>()
      .selectFrom('llm_cache')
      .select(['value', 'expires_at'])
      .where('key', '=', key)
      .executeTakeFirst()
    if (row === undefined || Number(row.expires_at) <= Date.now()) return undefined
    return parseCachedResponse(row.value)
  }

  async set(key: string, value: LlmCachedResponse, ttlMs: number): Promise<void> {
    await this.init()
    const db = this.db.typed<LlmTables>()
    const now = Date.now()
    const row = { key, value: JSON.stringify(value), created_at: now, expires_at: now + ttlMs }
    await db
      .insertInto('llm_cache')
      .values(row)
      .onConflict((oc) =>
        oc.column('key').doUpdateSet({ value: row.value, created_at: now, expires_at: row.expires_at }),
      )
      .execute()
    // Occasional sweep keeps the table from growing without bound.
    if (++this.writes % 100 === 0) await db.deleteFrom('llm_cache').where('expires_at', '<=', now).execute()
  }

  /** The store belongs to the caller; nothing to close here. */
  async close(): Promise<void> {}
}
