import type { Kysely } from 'kysely'
import type { KeelDb, Migration } from '../store/index.js'

/** One recorded drift check (`monitor_checks`). */
export interface CheckRow {
  id: string
  ts: number
  model: string
  version: number
  source: string
  current_rows: number
  drifted_share: number
  dataset_drift: number
  /** JSON of the full DriftReport. */
  report: string
}

/** One alert episode (`monitor_alerts`): opened when drift starts, closed when it ends. */
export interface AlertRow {
  id: string
  model: string
  kind: string
  opened_at: number
  closed_at: number | null
  message: string
  /** JSON: delivery attempts and outcome. */
  delivery: string
}

/** The monitor tables. */
export interface MonitorTables {
  monitor_checks: CheckRow
  monitor_alerts: AlertRow
}

const MIGRATIONS: readonly Migration[] = [
  {
    name: '001-checks-and-alerts',
    async up(db) {
      await db.schema
        .createTable('monitor_checks')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('source', 'varchar(200)', (c) => c.notNull())
        .addColumn('current_rows', 'integer', (c) => c.notNull())
        .addColumn('drifted_share', 'double precision', (c) => c.notNull())
        .addColumn('dataset_drift', 'integer', (c) => c.notNull())
        .addColumn('report', 'text', (c) => c.notNull())
        .execute()
      await db.schema
        .createIndex('monitor_checks_model_ts')
        .on('monitor_checks')
        .columns(['model', 'ts'])
        .execute()
      await db.schema
        .createTable('monitor_alerts')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('model', 'varchar(200)', (c) => c.notNull())
        .addColumn('kind', 'varchar(50)', (c) => c.notNull())
        .addColumn('opened_at', 'bigint', (c) => c.notNull())
        .addColumn('closed_at', 'bigint')
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('delivery', 'text', (c) => c.notNull())
        .execute()
    },
  },
]

/** Creates the monitor tables if needed and returns a typed view. */
export async function migrateMonitorTables(db: KeelDb): Promise<Kysely<MonitorTables>> {
  await db.migrate('monitor', MIGRATIONS)
  return db.typed<MonitorTables>()
}
