import type { Generated, Kysely } from 'kysely'
import type { DialectName, Migration } from '../store/index.js'

/** Kysely view of the registry tables (prefixed `registry_`). Times are epoch milliseconds. @internal */
export interface RegistryTables {
  registry_models: {
    name: string
    created_at_ms: number
    updated_at_ms: number
    /** Version counter: bumped under the row lock, so concurrent registrations get distinct numbers. */
    latest_version: number
  }
  registry_versions: {
    name: string
    version: number
    run_id: string | null
    created_at_ms: number
    created_by: string
    artifact: Uint8Array
    artifact_sha256: string
    artifact_size_bytes: number
    /** JSON text columns. */
    feature_schema: string | null
    metrics: string
    constraints: string
    model_card: string | null
    fallback: string | null
    description: string | null
  }
  registry_aliases: {
    name: string
    alias: string
    version: number
    updated_at_ms: number
    updated_by: string
  }
  registry_events: {
    id: Generated<number>
    name: string
    kind: string
    alias: string | null
    from_version: number | null
    to_version: number | null
    actor: string
    at_ms: number
    reason: string | null
  }
}

/** The registry schema, in order. Never edit a shipped migration: add a new one. @internal */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  {
    name: '001-models-versions-aliases-events',
    async up(raw: Kysely<unknown>, dialect: DialectName) {
      const db = raw as unknown as Kysely<RegistryTables>
      await db.schema
        .createTable('registry_models')
        .addColumn('name', 'varchar(128)', (c) => c.primaryKey())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('latest_version', 'integer', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('registry_versions')
        .addColumn('name', 'varchar(128)', (c) =>
          c.notNull().references('registry_models.name').onDelete('cascade'),
        )
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('run_id', 'varchar(64)')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        // In the database, not on disk: replicas sharing PostgreSQL need no shared file system.
        .addColumn('artifact', dialect === 'postgres' ? 'bytea' : 'blob', (c) => c.notNull())
        .addColumn('artifact_sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('artifact_size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('feature_schema', 'text')
        .addColumn('metrics', 'text', (c) => c.notNull())
        .addColumn('constraints', 'text', (c) => c.notNull())
        .addColumn('model_card', 'text')
        .addColumn('fallback', 'text')
        .addColumn('description', 'text')
        .addPrimaryKeyConstraint('registry_versions_pk', ['name', 'version'])
        .execute()
      await db.schema
        .createTable('registry_aliases')
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('alias', 'varchar(64)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('updated_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('registry_aliases_pk', ['name', 'alias'])
        .addForeignKeyConstraint(
          'registry_aliases_version_fk',
          ['name', 'version'],
          'registry_versions',
          ['name', 'version'],
          (fk) => fk.onDelete('cascade'),
        )
        .execute()
      await (dialect === 'postgres'
        ? db.schema.createTable('registry_events').addColumn('id', 'serial', (c) => c.primaryKey())
        : db.schema
            .createTable('registry_events')
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('name', 'varchar(128)', (c) => c.notNull())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('alias', 'varchar(64)')
        .addColumn('from_version', 'integer')
        .addColumn('to_version', 'integer')
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('at_ms', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text')
        .execute()
      // history(name) and aliasState(name)'s cursor read one model's events by id.
      await db.schema
        .createIndex('registry_events_name_id')
        .on('registry_events')
        .columns(['name', 'id'])
        .execute()
    },
  },
]
