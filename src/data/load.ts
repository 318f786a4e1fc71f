import { statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { didYouMean } from '../core/index.js'
import { type Column, type ColumnKind, type Dataset, makeDataset } from './dataset.js'
import { openDuck, queryRows, quoteIdent, quoteLiteral, type ReadSpec, readColumns } from './duckdb.js'
import { DataError } from './errors.js'
import {
  checkText,
  detectFormat,
  type FileFormat,
  type FileHead,
  headText,
  readHead,
  sniffCsv,
  type TextEncoding,
} from './file-check.js'

/** Options for `loadDataset`. */
export interface LoadOptions {
  /** Force the format instead of detecting it from magic bytes and the extension. */
  readonly format?: FileFormat
  /** CSV delimiter; sniffed from `,` tab `;` `|` when absent. */
  readonly delimiter?: string
  /** CSV text encoding (default utf-8). */
  readonly encoding?: TextEncoding
  /** Strings read as missing in CSV files (default: '', NA, N/A, NULL, null, NaN, nan, None). */
  readonly nullValues?: readonly string[]
  /** Force column kinds by name (e.g. an integer code column as categorical). */
  readonly kinds?: Readonly<Record<string, ColumnKind>>
  /** Load only these columns, in this order. */
  readonly columns?: readonly string[]
  /** Load at most this many rows (in file order). */
  readonly limit?: number
}

/** Default strings treated as missing in CSV files (as pandas does). */
export const DEFAULT_NULL_VALUES: readonly string[] = ['', 'NA', 'N/A', 'NULL', 'null', 'NaN', 'nan', 'None']

function hasGlob(path: string): boolean {
  return /[*?[]/.test(path)
}

/** The files a path or glob names, in order; checks that they exist. @internal */
export async function resolveFiles(path: string): Promise<string[]> {
  if (!hasGlob(path)) {
    let isFile: boolean
    try {
      isFile = statSync(path).isFile()
    } catch {
      throw new DataError(
        'DATA_FILE_NOT_FOUND',
        `Data file '${path}' does not exist (looked in ${resolve(path)}). Check the path or the 'data' key of keel.yaml.`,
        { details: { path } },
      )
    }
    if (!isFile)
      throw new DataError(
        'DATA_FILE_NOT_FOUND',
        `'${path}' is a directory, not a data file. Point to a file, or a glob such as '${path}/*.csv'.`,
        { details: { path } },
      )
    return [path]
  }
  const duck = await openDuck()
  try {
    const rows = await queryRows(duck.con, `SELECT file FROM glob(${quoteLiteral(path)}) ORDER BY file`)
    const files = rows.map((r) => String(r.file))
    if (files.length === 0) {
      throw new DataError('DATA_FILE_NOT_FOUND', `No files match '${path}'. Check the glob pattern.`, {
        details: { path },
      })
    }
    return files
  } finally {
    duck.close()
  }
}

/** The column kind Keel gives a DuckDB SQL type. @internal */
export function duckKind(type: string): ColumnKind {
  const t = type.toUpperCase()
  if (t === 'BOOLEAN') return 'boolean'
  if (
    /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL)/.test(
      t,
    )
  )
    return 'numeric'
  if (t === 'DATE' || t.startsWith('TIMESTAMP')) return 'datetime'
  return 'categorical'
}

/** First line of a DuckDB error message, without its "Invalid Input Error:" prefix. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]!.replace(/^[A-Za-z ]+Error: /, '')
}

/** The error for a source that reads as zero rows (a CSV with only its header, or an empty file). @internal */
export function noRowsError(files: readonly string[], format: FileFormat): DataError {
  return new DataError(
    format === 'csv' ? 'DATA_HEADER_ONLY' : 'DATA_EMPTY',
    format === 'csv'
      ? `'${basename(files[0]!)}' has a header line but no data rows. Point to a file with at least one row.`
      : `'${basename(files[0]!)}' holds no rows.`,
  )
}

/** Turns a DuckDB read error into a DataError that names the file and says what to fix. @internal */
export function mapDuckError(error: unknown, files: readonly string[], format: FileFormat): DataError {
  const message = error instanceof Error ? error.message : String(error)
  const name = files.length === 1 ? basename(files[0]!) : `${files.length} files`
  const lineMatch = /CSV Error on Line: (\d+)/.exec(message)
  const line = lineMatch === null ? undefined : Number(lineMatch[1])
  const where = line === undefined ? '' : ` on line ${line}`
  if (/Invalid unicode|not utf-8 encoded/i.test(message)) {
    return new DataError(
      'DATA_ENCODING',
      `'${name}' is not valid UTF-8${where}; it is probably Latin-1/Windows-1252. Re-save it as UTF-8, or pass encoding 'latin-1'.`,
      { cause: error, details: { line } },
    )
  }
  if (/Expected Number of Columns|too many columns|not enough columns/i.test(message)) {
    return new DataError(
      'DATA_RAGGED_ROWS',
      `'${name}' has ragged rows${where}: ${/Expected Number of Columns: \d+ Found: \d+/.exec(message)?.[0] ?? 'the field count differs from the header'}. Fix that line or quote fields that contain the delimiter.`,
      { cause: error, details: { line } },
    )
  }
  if (format === 'parquet' && /magic bytes|parquet/i.test(message)) {
    return new DataError(
      'DATA_PARSE',
      `'${name}' is not a valid Parquet file (${firstLine(error)}). Check that it was written as Parquet, or load it with the right extension.`,
      { cause: error },
    )
  }
  if (/unterminated quote|quote/i.test(message) && format === 'csv') {
    return new DataError(
      'DATA_PARSE',
      `'${name}' has a badly quoted field${where}. Close the quote or escape quotes inside fields by doubling them ("").`,
      { cause: error, details: { line } },
    )
  }
  return new DataError(
    'DATA_PARSE',
    `Could not read '${name}' as ${format.toUpperCase()}${where}: ${firstLine(error)}`,
    {
      cause: error,
      details: { line },
    },
  )
}

/** The DuckDB table function reading `files` (CSV sniffing settings applied). @internal */
export function sourceSql(
  files: readonly string[],
  format: FileFormat,
  csv: CsvSettings | undefined,
  fullSample: boolean,
): string {
  const list = `[${files.map(quoteLiteral).join(', ')}]`
  switch (format) {
    case 'parquet':
      return `read_parquet(${list}, union_by_name = true)`
    case 'json':
      return `read_json_auto(${list}, format = 'auto', union_by_name = true${fullSample ? ', sample_size = -1' : ''})`
    case 'csv': {
      const s = csv!
      const encoding = s.encoding === 'latin-1' ? 'latin-1' : s.encoding === 'utf-16' ? 'utf-16' : 'utf-8'
      return `read_csv(${list}, delim = ${quoteLiteral(s.delimiter)}, header = true, skip = 0, encoding = ${quoteLiteral(encoding)}, nullstr = [${s.nullValues.map(quoteLiteral).join(', ')}], union_by_name = ${files.length > 1}${fullSample ? ', sample_size = -1' : ''}, auto_type_candidates = ${CSV_TYPE_CANDIDATES})`
    }
  }
}

// BOOLEAN is left out on purpose: DuckDB's sniffer also reads yes/no and y/n as booleans, which would
// turn a user's 'yes' label into 'true'. Text columns holding only true/false become booleans later.
const CSV_TYPE_CANDIDATES = "['NULL', 'BIGINT', 'DOUBLE', 'DATE', 'TIMESTAMP', 'VARCHAR']"

/** CSV reading settings after sniffing. @internal */
export interface CsvSettings {
  readonly delimiter: string
  readonly encoding: TextEncoding
  readonly nullValues: readonly string[]
}

/** Cheap checks on each file's head (empty, binary, encoding, delimiter) before DuckDB reads it. @internal */
export function preCheck(
  files: readonly string[],
  options: LoadOptions,
): { format: FileFormat; csv?: CsvSettings } {
  const encoding = options.encoding ?? 'utf-8'
  let format: FileFormat | undefined = options.format
  let delimiter = options.delimiter
  for (const [i, file] of files.entries()) {
    const head: FileHead = readHead(file, statSync(file).size)
    if (head.size === 0)
      throw new DataError(
        'DATA_EMPTY',
        `'${basename(file)}' is empty (0 bytes). Point to a file with data.`,
        {
          details: { path: file },
        },
      )
    const detected = detectFormat(head)
    const fileFormat = options.format ?? detected
    if (i === 0) format = fileFormat
    if (fileFormat === 'parquet') {
      if (head.bytes.subarray(0, 4).toString('latin1') !== 'PAR1') {
        throw new DataError(
          'DATA_PARSE',
          `'${basename(file)}' is not a Parquet file (it lacks the PAR1 magic bytes). Check the file, or rename it to its real format (e.g. .csv).`,
          { details: { path: file } },
        )
      }
      continue
    }
    checkText(head, encoding)
    if (fileFormat === 'csv' && !/\.(gz|zst)$/i.test(file) && i < 8) {
      const sniff = sniffCsv(head, headText(head, encoding), delimiter)
      delimiter = sniff.delimiter
    }
  }
  const resolved = format ?? 'csv'
  if (resolved !== 'csv') return { format: resolved }
  return {
    format: resolved,
    csv: { delimiter: delimiter ?? ',', encoding, nullValues: options.nullValues ?? DEFAULT_NULL_VALUES },
  }
}

/** A column name and its DuckDB SQL type. @internal */
export interface DescribedColumn {
  readonly name: string
  readonly type: string
}

async function describe(con: DuckDBConnection, table: string): Promise<DescribedColumn[]> {
  const rows = await queryRows(con, `DESCRIBE ${table}`)
  return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }))
}

/** SQL expression turning a stored column into what the raw reader expects for `kind`. @internal */
export function valueExpr(col: DescribedColumn, kind: ColumnKind): string {
  const c = quoteIdent(col.name)
  const from = duckKind(col.type)
  switch (kind) {
    case 'numeric':
      if (from === 'numeric' || from === 'boolean') return `CAST(${c} AS DOUBLE)`
      if (from === 'datetime') return `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`
      return `TRY_CAST(${c} AS DOUBLE)`
    case 'boolean':
      if (from === 'boolean') return `CAST(${c} AS DOUBLE)`
      if (from === 'numeric') return `CAST(${c} <> 0 AS DOUBLE)`
      return `CAST(TRY_CAST(${c} AS BOOLEAN) AS DOUBLE)`
    case 'datetime':
      if (col.type.toUpperCase().startsWith('TIMESTAMP')) return `CAST(epoch_ms(${c}) AS DOUBLE)`
      if (from === 'datetime') return `CAST(epoch_ms(CAST(${c} AS TIMESTAMP)) AS DOUBLE)`
      if (from === 'numeric') return `CAST(${c} AS DOUBLE)`
      return `CAST(epoch_ms(TRY_CAST(${c} AS TIMESTAMPTZ)) AS DOUBLE)`
    case 'categorical':
      return `CAST(${c} AS VARCHAR)`
  }
}

async function checkForcedConversion(
  con: DuckDBConnection,
  table: string,
  col: DescribedColumn,
  kind: ColumnKind,
  expr: string,
): Promise<void> {
  if (kind === 'categorical' || duckKind(col.type) === kind) return
  const c = quoteIdent(col.name)
  const rows = await queryRows(
    con,
    `SELECT count(*) AS n, min(CAST(${c} AS VARCHAR)) AS example FROM ${table} WHERE ${c} IS NOT NULL AND (${expr}) IS NULL`,
  )
  const n = Number(rows[0]?.n ?? 0)
  if (n > 0) {
    throw new DataError(
      'DATA_TYPE',
      `Column '${col.name}' was declared ${kind} but ${n} value(s) cannot be read as ${kind}, e.g. ${JSON.stringify(rows[0]?.example)}. Fix the values or declare it categorical.`,
      { details: { column: col.name, kind, count: n } },
    )
  }
}

/**
 * True when a read failed because the type sniffer, which samples only the start of the file,
 * guessed a type that a later value does not fit: worth one more try with the whole file sampled.
 * @internal
 */
export function isSniffMiss(error: unknown): boolean {
  const text = String(error)
  return (
    /Could not convert|Conversion Error|CSV Error on Line/i.test(text) &&
    !/Invalid unicode|Expected Number of Columns/i.test(text)
  )
}

/**
 * Creates table `table` in `con` from a data file or glob, after the cheap pre-checks. Used by
 * `loadDataset` and by feature engineering, which runs SQL on the same table. @internal
 */
export async function createSourceTable(
  con: DuckDBConnection,
  path: string,
  options: LoadOptions = {},
  table = 'src',
): Promise<{ files: string[]; format: FileFormat }> {
  const files = await resolveFiles(path)
  const { format, csv } = preCheck(files, options)
  await con.run(`SET TimeZone = 'UTC'`)
  const limit = options.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(options.limit))}`
  try {
    await con.run(`CREATE TABLE ${table} AS SELECT * FROM ${sourceSql(files, format, csv, false)}${limit}`)
  } catch (error) {
    // The type sniffer only samples the start of the file; a later value that does not fit gets
    // one more try with the whole file sampled before we give up.
    if (!isSniffMiss(error)) throw mapDuckError(error, files, format)
    try {
      await con.run(`CREATE TABLE ${table} AS SELECT * FROM ${sourceSql(files, format, csv, true)}${limit}`)
    } catch (retryError) {
      throw mapDuckError(retryError, files, format)
    }
  }
  const nRows = Number((await queryRows(con, `SELECT count(*) AS n FROM ${table}`))[0]?.n ?? 0)
  if (nRows === 0) throw noRowsError(files, format)
  return { files, format }
}

/**
 * Reads a DuckDB table into a Dataset through the raw-vector path, choosing each column's kind from
 * its SQL type unless `kinds` forces one. @internal
 */
export async function tableToDataset(
  con: DuckDBConnection,
  table: string,
  options: {
    readonly kinds?: Readonly<Record<string, ColumnKind>>
    readonly columns?: readonly string[]
    readonly label?: string
  } = {},
): Promise<Dataset> {
  let described = await describe(con, table)
  if (options.columns !== undefined) {
    const byName = new Map(described.map((d) => [d.name, d]))
    described = options.columns.map((name) => {
      const d = byName.get(name)
      if (d === undefined)
        throw new DataError(
          'DATA_COLUMN_NOT_FOUND',
          `Column '${name}' not found in '${options.label ?? table}'${didYouMean(name, byName.keys())}. Available columns: ${[...byName.keys()].join(', ')}.`,
          { details: { column: name } },
        )
      return d
    })
  }
  const nRows = Number((await queryRows(con, `SELECT count(*) AS n FROM ${table}`))[0]?.n ?? 0)
  const specs: ReadSpec[] = []
  const exprs: string[] = []
  for (const [i, col] of described.entries()) {
    const kind = options.kinds?.[col.name] ?? duckKind(col.type)
    const expr = valueExpr(col, kind)
    await checkForcedConversion(con, table, col, kind, expr)
    if (kind !== 'categorical') {
      specs.push({ name: col.name, kind })
      exprs.push(expr)
      continue
    }
    // An ENUM built from the sorted distinct values gives dictionary codes straight from DuckDB's
    // vectors; VARCHAR sorts by byte (= code point) order, matching compareLevels.
    const enumName = `keel_enum_${table}_${i}`
    await con.run(
      `CREATE TYPE ${enumName} AS ENUM (SELECT DISTINCT ${expr} AS v FROM ${table} WHERE v IS NOT NULL ORDER BY v)`,
    )
    const levels = (await queryRows(con, `SELECT unnest(enum_range(NULL::${enumName})) AS l`)).map((r) =>
      String(r.l),
    )
    const isTrueFalse =
      options.kinds?.[col.name] === undefined &&
      levels.length > 0 &&
      levels.every((l) => l.toLowerCase() === 'true' || l.toLowerCase() === 'false')
    if (isTrueFalse) {
      specs.push({ name: col.name, kind: 'boolean' })
      exprs.push(`CAST(TRY_CAST(${expr} AS BOOLEAN) AS DOUBLE)`)
      continue
    }
    specs.push({ name: col.name, kind, levels })
    exprs.push(`CAST(${expr} AS ${enumName})`)
  }
  if (specs.length === 0) return { nRows, columns: [] }
  const columns: Column[] = await readColumns(con, `SELECT ${exprs.join(', ')} FROM ${table}`, specs, nRows)
  return makeDataset(columns)
}

/**
 * Loads a CSV/TSV (delimiter, header, quoting and types sniffed), Parquet or JSON lines file, or a
 * glob of such files, into a columnar `Dataset` through DuckDB.
 *
 * Numeric columns become Float64Array (NaN missing), text columns are dictionary-encoded with sorted
 * levels, true/false columns become booleans, and dates/timestamps become epoch milliseconds (UTC).
 *
 * @example
 * const ds = await loadDataset('data/train.csv', { kinds: { zip: 'categorical' } })
 * console.log(ds.nRows, ds.columns.map((c) => `${c.name}:${c.kind}`))
 * @throws DataError with code DATA_FILE_NOT_FOUND, DATA_EMPTY, DATA_HEADER_ONLY, DATA_RAGGED_ROWS,
 *   DATA_BINARY, DATA_ENCODING, DATA_DELIMITER, DATA_PARSE, DATA_TYPE or DATA_COLUMN_NOT_FOUND.
 */
export async function loadDataset(path: string, options: LoadOptions = {}): Promise<Dataset> {
  const duck = await openDuck()
  try {
    await createSourceTable(duck.con, path, options)
    return await tableToDataset(duck.con, 'src', {
      ...(options.kinds === undefined ? {} : { kinds: options.kinds }),
      ...(options.columns === undefined ? {} : { columns: options.columns }),
      label: path,
    })
  } finally {
    duck.close()
  }
}
