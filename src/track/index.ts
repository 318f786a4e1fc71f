/**
 * Experiment tracking: experiments group runs; a run records params, final metrics, metric series,
 * tags, notes, artifacts and provenance (seed, dataset fingerprint and schema, git commit, package
 * versions, host, timings). Stored in SQLite (default `.keel/keel.db`) or PostgreSQL.
 *
 * @example
 * ```ts
 * import { openTrackingStore, withRun } from './track/index.js'
 *
 * const store = await openTrackingStore()
 * const auc = await withRun(store, { experiment: 'churn', params: { nEstimators: 200 }, seed: 7 }, async (run) => {
 *   await run.logMetricSeries('valid_logloss', [0.61, 0.52, 0.49])
 *   await run.logMetrics({ roc_auc: 0.91 })
 *   return 0.91
 * })
 * const good = await store.listRuns({ experiment: 'churn', metrics: ['roc_auc>0.8'], limit: 10 })
 * await store.close()
 * ```
 */

/**
 * Provenance helpers: `currentUser()` (`$USER`, else the OS account, else 'unknown'; also the
 * registry's default audit actor) and `detectGitCommit(cwd?)` (`git rev-parse HEAD`, or null
 * outside a repository). `createRun` calls both when not given a user or commit.
 */
export { currentUser, detectGitCommit } from './environment.js'
/**
 * Typed errors: `RunNotFoundError` and `ExperimentNotFoundError` (code `NOT_FOUND`),
 * `AmbiguousRunIdError` (code `INVALID_ARGUMENT`), `ConflictError` (code `CONFLICT`) and
 * `ArtifactTamperedError` (code `ARTIFACT_TAMPERED`: stored bytes no longer match their hash).
 */
export {
  AmbiguousRunIdError,
  ArtifactTamperedError,
  ConflictError,
  ExperimentNotFoundError,
  RunNotFoundError,
} from './errors.js'
/**
 * Parsers for the text filters used by `keel runs list`: `parseMetricFilter('roc_auc>0.8')`,
 * `parseTagFilter('model=gbdt')` and `parseTimeBound('2026-11-01' | '7d')`; each throws
 * `InvalidArgumentError` with the expected syntax.
 *
 * @example
 * ```ts
 * import { parseMetricFilter } from './track/index.js'
 * const filter = parseMetricFilter('roc_auc >= 0.8') // { metric: 'roc_auc', op: '>=', value: 0.8 }
 * ```
 */
export { parseMetricFilter, parseTagFilter, parseTimeBound } from './filter.js'
/**
 * Applies a namespace's migrations, retrying once when a concurrent first start (several workers
 * or replicas opening a fresh database) applied them in between.
 * @internal shared with the registry
 */
export { migrateConcurrently } from './migrate.js'
/**
 * Opens the tracking store on a database URL (default `$KEEL_DATABASE_URL`, else
 * `.keel/keel.db`) or on an open `KeelDb` shared with the registry.
 *
 * @throws AppError `STORE_UNAVAILABLE` when the database cannot be opened.
 * @example
 * ```ts
 * import { openTrackingStore } from './track/index.js'
 * const store = await openTrackingStore('sqlite:/tmp/keel-example.db')
 * await store.close()
 * ```
 */
export { openTrackingStore } from './open.js'
/**
 * `startRun(store, input)` returns an `ActiveRun` handle bound to the new run; `withRun(store,
 * input, body)` also finishes it (`finished`, or `failed` with the error message when `body`
 * throws).
 */
export { type ActiveRun, startRun, withRun } from './run-handle.js'
/** The SQL (SQLite/PostgreSQL) implementation of `TrackingStore`; prefer `openTrackingStore`. */
export { SqlTrackingStore } from './sql-store.js'
/** The tracking store interface: experiments, runs, logging, listing, comparing. */
export type { TrackingStore } from './store.js'
/** Records and inputs of the tracking API. */
export type {
  ArtifactInput,
  ArtifactRecord,
  ComparisonRow,
  CreateRunInput,
  ExperimentRecord,
  FilterOperator,
  FinalRunStatus,
  FinishRunInput,
  JsonValue,
  ListRunsQuery,
  MetricFilter,
  MetricPoint,
  RunComparison,
  RunDetail,
  RunNote,
  RunRecord,
  RunStatus,
} from './types.js'
