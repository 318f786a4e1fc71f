/**
 * The prediction log: its tables (`serve_predictions`, `serve_feedback`, `serve_experiments`), the
 * batched writer the server appends to, and the read interface monitoring and A/B reports use
 * (windows of inputs, traffic, predictions joined with feedback, stored experiments). Below serve and
 * monitor, so the server writes the log and monitoring reads it without either importing the other.
 */

export type { Experiment, ExperimentInput } from './experiments.js'
/**
 * Schema of one A/B experiment, as stored in `serve_experiments.config` and accepted by the admin API.
 * @example
 * const experiment = experimentSchema.parse(JSON.parse(row.config))
 */
export { experimentSchema } from './experiments.js'
export type { LogWriteEpisodes, PredictionLogSink } from './log-sink.js'
/**
 * Where the prediction log writes for an open store: a writer thread for a SQLite file (commits never
 * block requests), the query builder otherwise (PostgreSQL, in-memory SQLite). `logWriteEpisodes`
 * turns per-batch failures into one warning per outage.
 * @example
 * const log = new PredictionLog(predictionLogSink(db, await migrateServeTables(db)))
 */
export { logWriteEpisodes, predictionLogSink } from './log-sink.js'
export type { PredictionLogEntry, PredictionLogHooks, PredictionLogOptions } from './prediction-log.js'
/**
 * The batched, bounded prediction-log writer (see its durability promise).
 * @example
 * const log = new PredictionLog(await migrateServeTables(db), { flushIntervalMs: 200 })
 */
export { PredictionLog } from './prediction-log.js'
export type {
  FeedbackFilter,
  LoggedInputs,
  LoggedTraffic,
  PredictionFilter,
  PredictionWithFeedback,
} from './read.js'
/**
 * Reads the prediction log: input windows, traffic, predictions joined with feedback, experiments.
 * @example
 * const reader = await PredictionLogReader.open(db)
 * const labelled = await reader.withFeedback({ model: 'churn', since: Date.now() - 86_400_000, labelledOnly: true })
 */
export { PredictionLogReader } from './read.js'
export type { ExperimentRow, FeedbackRow, PredictionRow, ServeTables } from './tables.js'
/**
 * Creates or upgrades the prediction log's tables (store namespace 'serve') and returns a typed view.
 * @example
 * const k = await migrateServeTables(db)
 */
export { migrateServeTables, SERVE_NAMESPACE } from './tables.js'
