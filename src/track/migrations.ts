import type { Generated, Kysely } from 'kysely'
import type { DialectName, Migration } from '../store/index.js'

/** Kysely view of the tracking tables (all prefixed `track_`). Times are epoch milliseconds. @internal */
export interface TrackTables {
  track_experiments: { name: string; description: string | null; created_at_ms: number }
  track_runs: {
    id: string
    experiment: string
    name: string | null
    status: string
    started_at_ms: number
    finished_at_ms: number | null
    user_name: string
    host: string
    seed: number | null
    dataset_fingerprint: string | null
    git_commit: string | null
    /** JSON text. */
    package_versions: string
    /** JSON text. */
    timings: string
    error: string | null
    /** JSON text or null. */
    schema_json: string | null
  }
  /** `value` is JSON text, so params keep their type (number, string, array, ...). */
  track_params: { run_id: string; key: string; value: string }
  /** `value` is null for NaN: SQLite has no NaN. */
  track_metrics: { run_id: string; key: string; value: number | null }
  track_series: { run_id: string; key: string; step: number; value: number | null; timestamp_ms: number }
  track_tags: { run_id: string; key: string; value: string }
  track_notes: { id: Generated<number>; run_id: string; text: string; author: string; created_at_ms: number }
  track_artifacts: {
    run_id: string
    name: string
    path: string | null
    content: Uint8Array | null
    sha256: string
    size_bytes: number
    content_type: string | null
    created_at_ms: number
  }
}

type Db = Kysely<TrackTables>

/** The tracking schema, in order. Never edit a shipped migration: add a new one. @internal */
export const TRACK_MIGRATIONS: readonly Migration[] = [
  {
    name: '001-experiments-runs',
    async up(raw: Kysely<unknown>, dialect: DialectName) {
      const db = raw as unknown as Db
      const blob = dialect === 'postgres' ? 'bytea' : 'blob'
      await db.schema
        .createTable('track_experiments')
        .addColumn('name', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('description', 'text')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema
        .createTable('track_runs')
        .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
        .addColumn('experiment', 'varchar(200)', (c) =>
          c.notNull().references('track_experiments.name').onDelete('cascade'),
        )
        .addColumn('name', 'text')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('started_at_ms', 'bigint', (c) => c.notNull())
        .addColumn('finished_at_ms', 'bigint')
        .addColumn('user_name', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('seed', 'bigint')
        .addColumn('dataset_fingerprint', 'text')
        .addColumn('git_commit', 'varchar(64)')
        .addColumn('package_versions', 'text', (c) => c.notNull())
        .addColumn('timings', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('schema_json', 'text')
        .execute()
      // Listing filters by experiment and time and sorts newest first.
      await db.schema
        .createIndex('track_runs_experiment_started')
        .on('track_runs')
        .columns(['experiment', 'started_at_ms'])
        .execute()
      await db.schema.createIndex('track_runs_started').on('track_runs').column('started_at_ms').execute()

      const perRun = (
        table: 'track_params' | 'track_metrics' | 'track_tags',
        valueType: 'text' | 'double precision',
      ) =>
        db.schema
          .createTable(table)
          .addColumn('run_id', 'varchar(32)', (c) =>
            c.notNull().references('track_runs.id').onDelete('cascade'),
          )
          .addColumn('key', 'varchar(250)', (c) => c.notNull())
          .addColumn('value', valueType, (c) => (valueType === 'text' ? c.notNull() : c))
          .addPrimaryKeyConstraint(`${table}_pk`, ['run_id', 'key'])
          .execute()
      await perRun('track_params', 'text')
      await perRun('track_metrics', 'double precision')
      await perRun('track_tags', 'text')
      // Metric filters ('roc_auc>0.8') and metric ordering scan one key's values in order.
      await db.schema
        .createIndex('track_metrics_key_value')
        .on('track_metrics')
        .columns(['key', 'value', 'run_id'])
        .execute()
      await db.schema.createIndex('track_tags_key_value').on('track_tags').columns(['key', 'value']).execute()

      await db.schema
        .createTable('track_series')
        .addColumn('run_id', 'varchar(32)', (c) =>
          c.notNull().references('track_runs.id').onDelete('cascade'),
        )
        .addColumn('key', 'varchar(250)', (c) => c.notNull())
        .addColumn('step', 'bigint', (c) => c.notNull())
        .addColumn('value', 'double precision')
        .addColumn('timestamp_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('track_series_pk', ['run_id', 'key', 'step'])
        .execute()

      await (dialect === 'postgres'
        ? db.schema.createTable('track_notes').addColumn('id', 'serial', (c) => c.primaryKey())
        : db.schema
            .createTable('track_notes')
            .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
      )
        .addColumn('run_id', 'varchar(32)', (c) =>
          c.notNull().references('track_runs.id').onDelete('cascade'),
        )
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('author', 'text', (c) => c.notNull())
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('track_notes_run').on('track_notes').column('run_id').execute()

      await db.schema
        .createTable('track_artifacts')
        .addColumn('run_id', 'varchar(32)', (c) =>
          c.notNull().references('track_runs.id').onDelete('cascade'),
        )
        .addColumn('name', 'varchar(250)', (c) => c.notNull())
        .addColumn('path', 'text')
        .addColumn('content', blob)
        .addColumn('sha256', 'varchar(64)', (c) => c.notNull())
        .addColumn('size_bytes', 'bigint', (c) => c.notNull())
        .addColumn('content_type', 'text')
        .addColumn('created_at_ms', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('track_artifacts_pk', ['run_id', 'name'])
        .execute()
    },
  },
]
