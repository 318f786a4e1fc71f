/**
 * Serving: the Fastify prediction server (validation, hot swap, fallbacks, A/B tests, shadow,
 * canary, prediction log, metrics) and A/B reports.
 *
 * The server depends only on the `ModelSource` / `ServableModel` contracts in `pipeline/servable.ts`; the
 * registry-backed source is supplied by the caller.
 */

export type { FieldProblem } from '../http/errors.js'
/**
 * Serving errors and the single code → HTTP status table.
 * @example
 * statusForCode('SERVE_INVALID_FEATURES') // 422
 */
export {
  BadRequestError,
  InvalidFeaturesError,
  ModelNotFoundError,
  ModelUnavailableError,
  ServeError,
  STATUS_BY_CODE,
  statusForCode,
} from '../http/errors.js'
export type { AbReport, AbReportOptions, ComparisonReport, VariantReport } from '../monitor/ab-report.js'
/**
 * Analyses an A/B experiment from the prediction log and feedback: per-variant sizes, outcome rate,
 * AUC, difference with CI, an always-valid sequential test (mSPRT), a sample-ratio-mismatch check and a
 * plain verdict.
 * @throws ServeError `SERVE_NOT_FOUND` for an unknown experiment.
 * @example
 * const db = await openDb()
 * const report = await abReport(db, 'churn-v2-test', { goal: 'decrease' })
 * console.log(formatAbReport(report))
 */
export { abReport, formatAbReport } from '../monitor/ab-report.js'
export type {
  Contribution,
  FeatureRow,
  FeatureSpec,
  FeatureValue,
  ModelOutput,
  ModelSource,
  ModelVersionRef,
  ServableModel,
} from '../pipeline/servable.js'
/**
 * The contracts the server needs: implement `ModelSource` over the registry and adapt fitted models
 * to `ServableModel`.
 * @example
 * const { name, selector } = parseModelRef('churn@production')
 */
export { parseModelRef } from '../pipeline/servable.js'
export type { PredictionLogSink } from '../predlog/log-sink.js'
/**
 * Where the prediction log writes for an open store: a writer thread for a SQLite file (commits never
 * block requests), the query builder otherwise (PostgreSQL, in-memory SQLite).
 * @example
 * const log = new PredictionLog(predictionLogSink(db, await migrateServeTables(db)))
 */
export { predictionLogSink } from '../predlog/log-sink.js'
export type { PredictionLogEntry, PredictionLogOptions } from '../predlog/prediction-log.js'
/**
 * The batched, bounded prediction-log writer (see its durability promise).
 * @example
 * const log = new PredictionLog(await migrateServeTables(db), { flushIntervalMs: 200 })
 */
export { PredictionLog } from '../predlog/prediction-log.js'
export type { ExperimentRow, FeedbackRow, PredictionRow, ServeTables } from '../predlog/tables.js'
/**
 * Creates or upgrades the serving tables (namespace 'serve') and returns a typed view.
 * @example
 * const k = await migrateServeTables(db)
 */
export { migrateServeTables, SERVE_NAMESPACE } from '../predlog/tables.js'
export type { CreateServerOptions, KeelServer } from './app.js'
/**
 * Builds the prediction server without listening; test it with `server.app.inject` or `server.listen(0)`.
 * @throws AppError `SERVE_CONFIG_INVALID` for a bad config.
 * @example
 * const server = await createServer({ source, config: { models: ['churn@production'] }, db: false })
 * await server.waitUntilReady()
 * const url = await server.listen(0)
 * await server.close()
 */
export { createServer } from './app.js'
export type { RunningServer, StartServerOptions } from './cluster.js'
/**
 * Starts the server in this process or as a node:cluster of workers, with graceful shutdown on SIGTERM.
 * @example
 * await startServer({ source, config: { models: ['churn@production'] }, port: 8080, workers: 2 })
 */
export { startServer } from './cluster.js'
export type { ServeConfig, ServeConfigInput, ServedModelConfig } from './config.js'
/**
 * Server config: schema, file loader (YAML or JSON) and validator.
 * @example
 * const config = loadServeConfig('serve.yaml')
 */
export { loadServeConfig, parseServeConfig, serveConfigSchema } from './config.js'
export type { CanaryConfig, Experiment, ExperimentInput } from './experiments.js'
/**
 * A/B experiment schema and sticky assignment (hash of experiment id + request key into 10 000 buckets).
 * @example
 * assignVariant(experiment, 'user-42').name // always the same for user-42
 */
export {
  assignVariant,
  bucketOf,
  type CanaryTotals,
  canaryRollbackReason,
  experimentSchema,
  hash32,
} from './experiments.js'
export type { MemoryModelSource } from './memory-source.js'
/**
 * An in-memory model source with movable aliases, for tests, demos and embedding.
 * @example
 * const source = createMemoryModelSource([model])
 * source.setAlias('churn', 'production', 1)
 */
export { createMemoryModelSource } from './memory-source.js'
export type { ServeMetrics } from './metrics.js'
/**
 * The server's Prometheus metrics in their own registry.
 * @example
 * const metrics = createServeMetrics()
 */
export { createServeMetrics } from './metrics.js'
export type { ModelChangeFeed, ModelChangeSubscription } from './model-manager.js'
export type { PredictionResult, ServedBy } from './prediction-result.js'
export type { ExtraFieldPolicy } from './validate.js'
/**
 * Compiles a row validator for a feature list (what the server runs before any model call).
 * @example
 * const validate = compileRowValidator(model.features, 'reject')
 */
export { compileRowValidator } from './validate.js'
