// Child-process entry of the fault-injection tests (not a test itself): starts `startServer` with the
// fake churn model and prints "LISTENING <url>" on stdout. Settings come from the environment:
// FAULTS_DB_URL (a SQLite or PostgreSQL URL), FAULTS_PG_SCHEMA (a PostgreSQL schema of the test's own),
// FAULTS_FLUSH_MS, FAULTS_BATCH, FAULTS_MAX_QUEUE, FAULTS_WORKERS, FAULTS_PORT, FAULTS_DELAY_MS, FAULTS_LOG_LEVEL
// (server log lines as JSON on stderr; default warn).
import { createMemoryModelSource, startServer } from '../../src/serve/index.js'
import { type KeelDb, openDb } from '../../src/store/index.js'
import { fakeModel } from '../helpers/serve-fixtures.js'

const env = process.env
const num = (name: string, fallback: number): number =>
  env[name] === undefined || env[name] === '' ? fallback : Number(env[name])
const delayMs = env.FAULTS_DELAY_MS === undefined ? undefined : Number(env.FAULTS_DELAY_MS)
const source = createMemoryModelSource([fakeModel(delayMs === undefined ? {} : { delayMs })])
const url = env.FAULTS_DB_URL
let db: KeelDb | string | false = url ?? false
// Each worker (the script re-runs in every cluster worker) opens its own connections to the schema.
if (url !== undefined && env.FAULTS_PG_SCHEMA !== undefined)
  db = await openDb(url, { schema: env.FAULTS_PG_SCHEMA })
await startServer({
  source,
  config: {
    models: ['churn'],
    predictionLog: {
      flushIntervalMs: num('FAULTS_FLUSH_MS', 100),
      batchSize: num('FAULTS_BATCH', 200),
      maxQueue: num('FAULTS_MAX_QUEUE', 100_000),
    },
    pollIntervalMs: 0,
  },
  db,
  // A fixed port for clusters whose workers all get replaced: workers listening on port 0 share the
  // primary's random port only while one of them keeps it open.
  port: num('FAULTS_PORT', 0),
  workers: num('FAULTS_WORKERS', 1),
  logger: { level: env.FAULTS_LOG_LEVEL ?? 'warn' },
  onListening: (listening) => process.stdout.write(`LISTENING ${listening}\n`),
})
