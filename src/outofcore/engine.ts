/**
 * The database an out-of-core GBDT trains in. Every statement the trainer sends is the same on
 * every engine; an engine only says how its own tables are made (DuckDB keeps them in an on-disk
 * file that spills, PostgreSQL in session-private temporary tables) and how rows come back.
 */

/** A value of a result row (integers and doubles as numbers, text as strings). */
export type SqlValue = number | string | boolean | null

/** Which SQL engine an `SqlEngine` talks to. */
export type SqlDialect = 'duckdb' | 'postgres'

/** One column of a source relation, as the engine types it. */
export interface SourceColumn {
  readonly name: string
  /** The engine's type name, upper case (DOUBLE, BIGINT, VARCHAR, TEXT, BOOLEAN, ...). */
  readonly type: string
}

/** The small SQL surface the out-of-core trainer needs. */
export interface SqlEngine {
  readonly dialect: SqlDialect
  /** `CREATE TABLE` for DuckDB (a file-backed table that spills), `CREATE TEMP TABLE` for PostgreSQL. */
  readonly createTable: string
  /** Runs statements that return nothing. */
  exec(sql: string): Promise<void>
  /** Runs a query and returns its rows (small results: histograms, counts, a bin sample). */
  query(sql: string): Promise<SqlValue[][]>
  /** Streams a query's DOUBLE PRECISION columns into typed arrays (NULL as NaN); for results of any size. */
  readNumbers(sql: string, nColumns: number): Promise<Float64Array[]>
  /** Columns of a relation (a table name or a table function such as `read_parquet(...)`). */
  columns(relation: string): Promise<SourceColumn[]>
  /** After a statement rewrote every row: lets the engine reclaim the old row versions. */
  afterRewrite(table: string): Promise<void>
  close(): Promise<void>
}

/** Quotes an SQL identifier (same rule on both engines). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Quotes an SQL string literal (standard-conforming strings on both engines). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/**
 * A double as an exact SQL constant. A bare `0.1` is DECIMAL in DuckDB and NUMERIC in PostgreSQL;
 * casting the shortest round-trip text parses to the very same double on both (correctly rounded).
 */
export function sqlDouble(x: number): string {
  if (Number.isNaN(x)) return `CAST('NaN' AS DOUBLE PRECISION)`
  if (x === Number.POSITIVE_INFINITY) return `CAST('Infinity' AS DOUBLE PRECISION)`
  if (x === Number.NEGATIVE_INFINITY) return `CAST('-Infinity' AS DOUBLE PRECISION)`
  return `CAST('${String(x)}' AS DOUBLE PRECISION)`
}

/** Converts a result value to a number (BIGINT may arrive as bigint or text). */
export function toNumber(v: SqlValue | bigint | undefined): number {
  if (v === null || v === undefined) return Number.NaN
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return Number(v)
}
