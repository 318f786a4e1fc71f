import type { Migration } from '../store/index.js'

/** Tables of the 'llm' store namespace. @internal */
export interface LlmTables {
  llm_cache: { key: string; value: string; created_at: number; expires_at: number }
  llm_calls: {
    id: string
    at: string
    provider: string
    model: string
    input_tokens: number
    output_tokens: number
    latency_ms: number
    retries: number
    cost_usd: number | null
    cached: number
    status: string
    error_code: string | null
    streamed: number
  }
}

/** @internal */
export const LLM_MIGRATIONS: readonly Migration[] = [
  {
    name: '001_cache_and_calls',
    async up(db) {
      await db.schema
        .createTable('llm_cache')
        .ifNotExists()
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('llm_calls')
        .ifNotExists()
        .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
        .addColumn('at', 'varchar(40)', (c) => c.notNull())
        .addColumn('provider', 'varchar(40)', (c) => c.notNull())
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('input_tokens', 'integer', (c) => c.notNull())
        .addColumn('output_tokens', 'integer', (c) => c.notNull())
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .addColumn('retries', 'integer', (c) => c.notNull())
        .addColumn('cost_usd', 'double precision')
        .addColumn('cached', 'integer', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('error_code', 'varchar(60)')
        .addColumn('streamed', 'integer', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('llm_calls_at').ifNotExists().on('llm_calls').column('at').execute()
    },
  },
]
