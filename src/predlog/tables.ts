import { type Kysely, sql } from 'kysely'
import type { KeelDb, Migration } from '../store/index.js'

/** The store namespace that owns the serving tables. */
export const SERVE_NAMESPACE = 'serve'

/** One logged prediction (`serve_predictions`). JSON columns are text for SQLite/PostgreSQL parity. */
export interface PredictionRow {
  id: string
  /** Epoch milliseconds. */
  ts: number
  model: string
  version: number
  variant: string
  experiment_id: string | null
  request_key: string | null
  features: string
  /** JSON of `{ prediction, probabilities? }`. */
  outputs: string
  /** Positive-class probability for binary, the value for regression, max probability otherwise. */
  score: number | null
  latency_ms: number
  served_by: string
  /** For shadow predictions: the id of the primary prediction it copies. */
  shadow_of: string | null
}

/** A true outcome reported for a prediction (`serve_feedback`). */
export interface FeedbackRow {
  prediction_id: string
  ts: number
  /** JSON of the outcome as sent. */
  outcome: string
  /** Numeric form of the outcome (booleans as 0/1) when it has one. */
  outcome_value: number | null
}

/** An A/B experiment (`serve_experiments`), its config as JSON. */
export interface ExperimentRow {
  id: string
  model: string
  config: string
  status: string
  created_at: number
  updated_at: number
}

/** One replica's canary calls in one time bucket (`serve_canary_counts`, see serve/canary-ledger.ts). */
export interface CanaryCountRow {
  model: string
  canary_ref: string
  replica_id: string
  /** Epoch milliseconds the bucket starts at. */
  bucket: number
  calls: number
  errors: number
  latency_sum: number
}

/** The cluster's rollback decision on a canary (`serve_canary_state`), written once. */
export interface CanaryStateRow {
  model: string
  canary_ref: string
  /** 1 once rolled back (0/1 for SQLite/PostgreSQL parity). */
  rolled_back: number
  reason: string
  decided_at: number
  decided_by: string
}

/** The serving tables, for `db.typed<ServeTables>()`. */
export interface ServeTables {
  serve_predictions: PredictionRow
  serve_feedback: FeedbackRow
  serve_experiments: ExperimentRow
  serve_canary_counts: CanaryCountRow
  serve_canary_state: CanaryStateRow
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: '001-predictions-feedback-experiments',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('serve_predictions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('variant', 'varchar(100)', (c) => c.notNull())
        .addColumn('experiment_id', 'varchar(100)')
        .addColumn('request_key', 'varchar(200)')
        .addColumn('features', 'text', (c) => c.notNull())
        .addColumn('outputs', 'text', (c) => c.notNull())
        .addColumn('score', 'double precision')
        .addColumn('latency_ms', 'double precision', (c) => c.notNull())
        .addColumn('served_by', 'varchar(200)', (c) => c.notNull())
        .addColumn('shadow_of', 'varchar(64)')
        .execute()
      await db.schema
        .createIndex('serve_predictions_model_ts')
        .on('serve_predictions')
        .columns(['model', 'ts'])
        .execute()
      await db.schema
        .createIndex('serve_predictions_experiment')
        .on('serve_predictions')
        .columns(['experiment_id', 'variant'])
        .execute()
      await db.schema
        .createTable('serve_feedback')
        .addColumn('prediction_id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('outcome_value', 'double precision')
        .execute()
      await db.schema
        .createTable('serve_experiments')
        .addColumn('id', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('config', 'text', (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute()
    },
  },
  {
    // Most predictions belong to no experiment: a partial index skips them (about 12% less SQLite
    // work per logged row, measured), and A/B reports filter on experiment_id = ?, which it serves.
    name: '002-partial-experiment-index',
    async up(db: Kysely<unknown>) {
      await db.schema.dropIndex('serve_predictions_experiment').execute()
      await db.schema
        .createIndex('serve_predictions_experiment')
        .on('serve_predictions')
        .columns(['experiment_id', 'variant'])
        .where(sql.ref('experiment_id'), 'is not', null)
        .execute()
    },
  },
  {
    // The canary ledger: every replica's canary counts and the one rollback decision they all follow.
    name: '003-canary-ledger',
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('serve_canary_counts')
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('canary_ref', 'varchar(300)', (c) => c.notNull())
        .addColumn('replica_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('bucket', 'bigint', (c) => c.notNull())
        .addColumn('calls', 'integer', (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('latency_sum', 'double precision', (c) => c.notNull())
        .addPrimaryKeyConstraint('serve_canary_counts_pk', ['model', 'canary_ref', 'bucket', 'replica_id'])
        .execute()
      await db.schema
        .createTable('serve_canary_state')
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('canary_ref', 'varchar(300)', (c) => c.notNull())
        .addColumn('rolled_back', 'integer', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('decided_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_by', 'varchar(100)', (c) => c.notNull())
        .addPrimaryKeyConstraint('serve_canary_state_pk', ['model', 'canary_ref'])
        .execute()
    },
  },
]

/** Creates or upgrades the serving tables (idempotent). */
export async function migrateServeTables(db: KeelDb): Promise<Kysely<ServeTables>> {
  await db.migrate(SERVE_NAMESPACE, MIGRATIONS)
  return db.typed<ServeTables>()
}
