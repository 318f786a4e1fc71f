/**
 * Out-of-core gradient boosting: training on data that does not fit in memory, inside a database.
 * Histograms are SQL aggregations (`GROUP BY GROUPING SETS` over binned columns: gradient and
 * hessian sums and counts per bin), the same statements on DuckDB in this process (spilling to
 * disk past its memory limit) and on PostgreSQL (data already in a warehouse trains without an
 * export), the in-database approach of JoinBoost (VLDB 2023). Bins, split search and trees are
 * Keel's own, so the model is the in-memory GBDT's, served, explained and registered like it.
 *
 * @example
 * ```ts
 * const engine = await openDuckEngine({ memoryLimitBytes: 512 * 2 ** 20 })
 * const { model } = await trainOutOfCore({
 *   engine,
 *   source: "read_parquet('big/*.parquet')",
 *   features: [{ name: 'x', sql: '"x"', categorical: false }],
 *   target: 'CAST("churned" AS INTEGER)',
 *   objective: 'logistic',
 * })
 * await engine.close()
 * ```
 */

export type { DuckEngineOptions } from './duckdb-engine.js'
/** DuckDB in this process on a spilling database file (the local engine). */
export { openDuckEngine } from './duckdb-engine.js'
export type { SourceColumn, SqlDialect, SqlEngine, SqlValue } from './engine.js'
/** SQL quoting shared by both engines. */
export { quoteIdent, quoteLiteral, sqlDouble } from './engine.js'
/** PostgreSQL through the optional `pg` peer (temporary tables on one connection). */
export { openPostgresEngine } from './postgres-engine.js'
export type { OutOfCoreRunOptions, OutOfCoreRunResult } from './run.js'
/** `keel train --out-of-core`: train in the database, test in SQL, record and register. */
export { parseMemorySize, runOutOfCoreTraining } from './run.js'
export type { SqlObjective } from './sql.js'
export type { OutOfCoreFeature, OutOfCoreResult, OutOfCoreSpec } from './trainer.js'
/** Trains a GBDT whose histograms are SQL aggregations. */
export { trainOutOfCore } from './trainer.js'
