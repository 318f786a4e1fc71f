import { randomUUID } from 'node:crypto'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Vector } from '@duckdb/node-bindings'
import { InvalidArgumentError, trackTempFiles } from '../core/index.js'
import type { Column, ColumnKind, Dataset } from './dataset.js'
import {
  copyDoubleVector,
  forEachChunk,
  openDuck,
  queryRows,
  quoteLiteral,
  readVarcharVector,
} from './duckdb.js'
import { DataError } from './errors.js'
import type { FileFormat } from './file-check.js'
import {
  type CsvSettings,
  type DescribedColumn,
  duckKind,
  isSniffMiss,
  type LoadOptions,
  mapDuckError,
  noRowsError,
  preCheck,
  resolveFiles,
  sourceSql,
  valueExpr,
} from './load.js'
import { firstSeenCodes } from './target.js'

/** A column of a streamed file: its name and the kind its values are read as. */
export interface StreamColumn {
  readonly name: string
  readonly kind: ColumnKind
}

/**
 * Receives a streamed file chunk by chunk. `begin` is called before the first chunk of each pass
 * over the file; a second call means the earlier pass is void (a type guessed from the start of
 * the file did not hold further on) and the sink must discard what it wrote and start over.
 */
export interface DatasetSink {
  begin(columns: readonly StreamColumn[], totalRows: number): Promise<void>
  /** One chunk of consecutive rows, in file order. Its arrays are the sink's to keep. */
  write(chunk: Dataset): Promise<void>
}

/** Options for `streamDataset`: the reading options of `loadDataset` plus the chunk size. */
export interface StreamOptions extends Pick<LoadOptions, 'format' | 'delimiter' | 'encoding' | 'nullValues'> {
  /** Rows per chunk handed to the sink (default `DEFAULT_CHUNK_ROWS`); memory grows with it, not the file. */
  readonly chunkRows?: number
  /** Where text inputs are staged as a temporary Parquet file and DuckDB spills (default: the OS temp directory). */
  readonly stagingDir?: string
}

/** What a completed stream read. */
export interface StreamSummary {
  readonly nRows: number
  /** The columns with their final kinds (as `loadDataset` would have given them). */
  readonly columns: readonly StreamColumn[]
  readonly files: readonly string[]
  readonly format: FileFormat
}

/** DuckDB's memory cap while streaming (it spills beyond): bounds the process whatever the input size. */
const STREAM_MEMORY_LIMIT = '256MB'

/** Rows per chunk when `chunkRows` is not given: large enough to amortise per-chunk work. */
export const DEFAULT_CHUNK_ROWS = 65_536

/**
 * How a text column is being read. A text column whose values are all true/false (any case) is a
 * boolean column in `loadDataset`, which sees the whole file first; a stream cannot, so it assumes
 * boolean until a value says otherwise. Rows already handed out as booleans then force a new pass
 * with the column read as text; if all of them were missing, nothing changes and no pass is needed.
 */
type TextState = 'undecided' | 'boolean' | 'categorical'

interface PlannedColumn {
  readonly name: string
  /** Numeric, boolean and datetime columns arrive as DOUBLE; text columns as VARCHAR. */
  readonly isText: boolean
  readonly kind: ColumnKind
  state: TextState
}

type PassOutcome =
  | { readonly kind: 'done'; readonly nRows: number; readonly columns: readonly StreamColumn[] }
  | { readonly kind: 'text'; readonly column: string }

function isTrueFalse(value: string): boolean {
  const lower = value.toLowerCase()
  return lower === 'true' || lower === 'false'
}

/** A categorical column from strings; levels are in first-appearance order within the chunk. */
function textColumn(name: string, values: readonly (string | null)[], n: number): Column {
  const { codes, levels } = firstSeenCodes(values, n, (value): value is string => value !== null)
  return { kind: 'categorical', name, codes, levels }
}

function booleanColumn(name: string, values: readonly (string | null)[], n: number): Column {
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const value = values[i]!
    out[i] = value === null ? Number.NaN : value.toLowerCase() === 'true' ? 1 : 0
  }
  return { kind: 'boolean', name, values: out }
}

async function onePass(
  con: DuckDBConnection,
  source: string,
  described: readonly DescribedColumn[],
  totalRows: number,
  textColumns: ReadonlySet<string>,
  chunkRows: number,
  sink: DatasetSink,
): Promise<PassOutcome> {
  const planned: PlannedColumn[] = described.map((col) => {
    const kind = duckKind(col.type)
    const isText = kind === 'categorical'
    return { name: col.name, isText, kind, state: textColumns.has(col.name) ? 'categorical' : 'undecided' }
  })
  const exprs = described.map((col, i) => valueExpr(col, planned[i]!.kind))
  const finalColumns = (): StreamColumn[] =>
    planned.map((p) => ({
      name: p.name,
      kind: p.isText ? (p.state === 'boolean' ? 'boolean' : 'categorical') : p.kind,
    }))
  await sink.begin(finalColumns(), totalRows)

  let doubles = planned.map((p) => (p.isText ? undefined : new Float64Array(chunkRows)))
  let texts = planned.map((p) => (p.isText ? new Array<string | null>(chunkRows).fill(null) : undefined))
  let filled = 0
  let nRows = 0
  let redo: string | undefined

  const flush = async (): Promise<void> => {
    if (filled === 0) return
    const n = filled
    const columns = planned.map((p, c): Column => {
      if (!p.isText) {
        const values = doubles[c]!
        const kind = p.kind as Exclude<ColumnKind, 'categorical'>
        return { kind, name: p.name, values: n === chunkRows ? values : values.slice(0, n) }
      }
      const values = texts[c]!
      if (p.state !== 'categorical') {
        let hasValue = false
        let allTrueFalse = true
        for (let i = 0; i < n; i++) {
          const v = values[i]!
          if (v === null) continue
          hasValue = true
          if (!isTrueFalse(v)) {
            allTrueFalse = false
            break
          }
        }
        if (!allTrueFalse) {
          if (p.state === 'boolean') redo = p.name
          p.state = 'categorical'
        } else if (hasValue) p.state = 'boolean'
      }
      // An undecided column has had no values yet: all-missing reads the same as either kind.
      return p.state === 'boolean' ? booleanColumn(p.name, values, n) : textColumn(p.name, values, n)
    })
    if (redo !== undefined) return
    await sink.write({ nRows: n, columns })
    nRows += n
    filled = 0
    // Fresh buffers: the sink owns the arrays of the chunk it was given.
    doubles = planned.map((p) => (p.isText ? undefined : new Float64Array(chunkRows)))
    texts = planned.map((p) => (p.isText ? new Array<string | null>(chunkRows).fill(null) : undefined))
  }

  /** Copies one DuckDB chunk into the batch buffers; false once the pass must stop early. */
  const takeChunk = async (rowCount: number, vector: (column: number) => Vector): Promise<boolean> => {
    if (chunkRows - filled >= rowCount) {
      for (let c = 0; c < planned.length; c++) {
        const target = doubles[c]
        if (target !== undefined) copyDoubleVector(vector(c), rowCount, target, filled)
        else readVarcharVector(vector(c), rowCount, texts[c]!, filled)
      }
      filled += rowCount
      if (filled === chunkRows) await flush()
      return redo === undefined
    }
    // The chunk straddles a batch boundary: copy it out once, then hand it over in slices.
    const scratch = planned.map((p, c) => {
      if (p.isText) {
        const strings = new Array<string | null>(rowCount)
        readVarcharVector(vector(c), rowCount, strings, 0)
        return strings
      }
      const values = new Float64Array(rowCount)
      copyDoubleVector(vector(c), rowCount, values, 0)
      return values
    })
    let done = 0
    while (done < rowCount) {
      const take = Math.min(rowCount - done, chunkRows - filled)
      for (let c = 0; c < planned.length; c++) {
        const from = scratch[c]!
        const target = doubles[c]
        if (target !== undefined) target.set((from as Float64Array).subarray(done, done + take), filled)
        else {
          const strings = texts[c]!
          for (let i = 0; i < take; i++) strings[filled + i] = (from as (string | null)[])[done + i]!
        }
      }
      filled += take
      done += take
      if (filled === chunkRows) {
        await flush()
        if (redo !== undefined) return false
      }
    }
    return true
  }

  const sql = `SELECT ${exprs.join(', ')} FROM ${source}`
  // Errors of our own (the sink's, say) pass through as they are; only DuckDB's get mapped.
  let ownError: unknown
  try {
    await forEachChunk(con, sql, async (rowCount, vector) => {
      try {
        return await takeChunk(rowCount, vector)
      } catch (error) {
        ownError = error
        throw error
      }
    })
  } catch (error) {
    if (error === ownError) throw error
    throw new DataError('DATA_PARSE', `Reading the input failed: ${firstLine(error)}`, { cause: error })
  }
  await flush()
  if (redo !== undefined) return { kind: 'text', column: redo }
  // DuckDB's streaming fetch reports an error the same way as the end of the result (no chunk),
  // so a read that stops short is only visible by its row count.
  if (nRows !== totalRows)
    throw new DataError(
      'DATA_PARSE',
      `Reading the input stopped after ${nRows} of ${totalRows} rows; the file is probably truncated or corrupt. Check it with 'keel inspect FILE' or rewrite it.`,
      { details: { rows: nRows, expected: totalRows } },
    )
  return { kind: 'done', nRows, columns: finalColumns() }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!
}

/**
 * Reads a data file (or glob) in chunks of consecutive rows, in file order, and hands each chunk to
 * `sink`, so files much larger than memory can be scored or converted. Column kinds and values are
 * those `loadDataset` gives: the same sniffing, the same retry with the whole file sampled when a
 * later value does not fit the sniffed type, true/false text read as booleans. Categorical columns
 * of a chunk hold that chunk's levels only, in first-appearance order. Text inputs (CSV, JSON lines)
 * are first copied to a temporary Parquet file in `stagingDir`, which surfaces every read error
 * before the sink sees a row and gives the exact row count; DuckDB's memory is capped meanwhile.
 *
 * @example
 * let rows = 0
 * await streamDataset('big.csv', {
 *   begin: async () => { rows = 0 },
 *   write: async (chunk) => { rows += chunk.nRows },
 * })
 * @throws DataError with the codes of `loadDataset` (DATA_FILE_NOT_FOUND, DATA_EMPTY, DATA_PARSE, ...).
 */
export async function streamDataset(
  path: string,
  sink: DatasetSink,
  options: StreamOptions = {},
): Promise<StreamSummary> {
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new InvalidArgumentError(`chunkRows must be a positive integer, got ${chunkRows}.`)
  const files = await resolveFiles(path)
  const { format, csv } = preCheck(files, options)
  const duck = await openDuck()
  const stagingDir = options.stagingDir ?? tmpdir()
  const staged =
    format === 'parquet' ? undefined : join(stagingDir, `.keel-stage-${process.pid}-${randomUUID()}.parquet`)
  const spill = spillDir(stagingDir)
  const untrack = trackTempFiles(spill, ...(staged === undefined ? [] : [staged]))
  try {
    const con = duck.con
    await con.run(`SET TimeZone = 'UTC'`)
    // DuckDB would otherwise allow itself 80% of RAM for staging; past this it spills to disk, so
    // memory stays flat whatever the file size. Its spill files go to a folder of this run's in the
    // staging directory, not to a '.tmp' folder in the user's working directory.
    await con.run(`SET memory_limit = '${STREAM_MEMORY_LIMIT}'`)
    await con.run(`SET temp_directory = ${quoteLiteral(spill)}`)
    // Parquet is read as it is. Text formats are first copied to a temporary Parquet file: that
    // COPY reports every parse or type error (a streaming read would just stop early, see onePass),
    // retries with the whole file sampled as loadDataset does, and gives an exact row count.
    let source = sourceSql(files, format, csv as CsvSettings | undefined, false)
    if (staged !== undefined) {
      // Row order is the contract of batch scoring; this is DuckDB's default, stated so it stays so.
      await con.run(`SET preserve_insertion_order = true`)
      await stage(con, source, staged, files, format, () =>
        sourceSql(files, format, csv as CsvSettings | undefined, true),
      )
      source = `read_parquet(${quoteLiteral(staged)})`
    }
    let described: DescribedColumn[]
    let totalRows: number
    try {
      described = (await queryRows(con, `DESCRIBE SELECT * FROM ${source}`)).map((r) => ({
        name: String(r.column_name),
        type: String(r.column_type),
      }))
      totalRows = Number((await queryRows(con, `SELECT count(*) AS n FROM ${source}`))[0]?.n ?? 0)
    } catch (error) {
      throw mapDuckError(error, files, format)
    }
    if (totalRows === 0) throw noRowsError(files, format)
    const textColumns = new Set<string>()
    // Each further pass settles one true/false column for good, so the loop ends.
    for (;;) {
      const outcome = await onePass(con, source, described, totalRows, textColumns, chunkRows, sink)
      switch (outcome.kind) {
        case 'text':
          textColumns.add(outcome.column)
          break
        case 'done':
          return { nRows: outcome.nRows, columns: outcome.columns, files, format }
        default: {
          const never: never = outcome
          return never
        }
      }
    }
  } finally {
    duck.close()
    if (staged !== undefined) await rm(staged, { force: true })
    await rm(spill, { recursive: true, force: true })
    untrack()
  }
}

/**
 * A fresh path for DuckDB's spill files under `dir`: a folder of this run's own, so that an
 * interrupt can remove it whole (trackTempFiles) without knowing DuckDB's file names. DuckDB
 * creates it on the first spill and deletes it on close; removing it after close covers the rest.
 */
function spillDir(dir: string): string {
  return join(dir, `.keel-spill-${process.pid}-${randomUUID()}`)
}

/** Copies a text source to Parquet, once more with the whole file sampled if a late value misfits. */
async function stage(
  con: DuckDBConnection,
  source: string,
  staged: string,
  files: readonly string[],
  format: FileFormat,
  fullSampleSource: () => string,
): Promise<void> {
  const copy = (from: string): Promise<unknown> =>
    con.run(`COPY (SELECT * FROM ${from}) TO ${quoteLiteral(staged)} (FORMAT parquet, COMPRESSION snappy)`)
  try {
    await copy(source)
  } catch (error) {
    if (!isSniffMiss(error)) throw mapDuckError(error, files, format)
    try {
      await copy(fullSampleSource())
    } catch (retryError) {
      throw mapDuckError(retryError, files, format)
    }
  }
}

/** A DuckDB column type for each kind, as a CSV written from streamed chunks should be read back. */
function sqlTypeOf(kind: ColumnKind | 'text' | 'double'): string {
  switch (kind) {
    case 'numeric':
    case 'double':
      return 'DOUBLE'
    case 'boolean':
      return 'BOOLEAN'
    case 'datetime':
      return 'TIMESTAMPTZ'
    case 'categorical':
    case 'text':
      return 'VARCHAR'
  }
}

/** A column of a CSV to convert to Parquet: its name and how to type it there. */
export interface ParquetColumn {
  readonly name: string
  readonly type: ColumnKind | 'text' | 'double'
}

/**
 * Converts a CSV written by Keel (comma-separated, RFC 4180 quoting, empty field = missing,
 * datetimes as ISO strings) to a Parquet file with the given column types, streaming through
 * DuckDB so memory stays bounded whatever the size. Row order is kept.
 * @throws DataError DATA_PARSE when DuckDB cannot read the CSV or write the Parquet file.
 */
export async function csvToParquet(
  csvPath: string,
  parquetPath: string,
  columns: readonly ParquetColumn[],
): Promise<void> {
  const duck = await openDuck()
  const spill = spillDir(dirname(parquetPath))
  const untrack = trackTempFiles(spill)
  try {
    await duck.con.run(`SET TimeZone = 'UTC'`)
    // Bounded memory: the COPY streams row groups, but DuckDB would otherwise allow itself 80% of RAM.
    await duck.con.run(`SET memory_limit = '${STREAM_MEMORY_LIMIT}'`)
    await duck.con.run(`SET temp_directory = ${quoteLiteral(spill)}`)
    const types = columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(sqlTypeOf(c.type))}`).join(', ')
    const read = `read_csv(${quoteLiteral(csvPath)}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', nullstr = '', allow_quoted_nulls = false, columns = {${types}})`
    await duck.con.run(
      `COPY (SELECT * FROM ${read}) TO ${quoteLiteral(parquetPath)} (FORMAT parquet, COMPRESSION zstd)`,
    )
  } catch (error) {
    throw new DataError(
      'DATA_PARSE',
      `Could not write Parquet file '${parquetPath}': ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
      { cause: error },
    )
  } finally {
    duck.close()
    await rm(spill, { recursive: true, force: true })
    untrack()
  }
}
