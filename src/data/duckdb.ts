/**
 * The one adapter around DuckDB. Reading results goes through the raw-vector path of
 * @duckdb/node-bindings (copying chunk memory straight into typed arrays), which is several times
 * faster than materialising JS values. @internal
 */
import { availableParallelism } from 'node:os'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import duckdb from '@duckdb/node-bindings'
import type { Column, ColumnKind } from './dataset.js'

/** An open in-memory DuckDB connection; `close` frees it. @internal */
export interface Duck {
  readonly con: DuckDBConnection
  close(): void
}

/** Opens a private in-memory DuckDB (one per load keeps loads independent). @internal */
export async function openDuck(): Promise<Duck> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(Math.max(1, availableParallelism())),
  })
  const con = await instance.connect()
  return {
    con,
    close(): void {
      con.closeSync()
      instance.closeSync()
    },
  }
}

/** Quotes an SQL identifier. @internal */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** Quotes an SQL string literal. @internal */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** Runs a query and returns its rows as objects (small results only). @internal */
export async function queryRows(con: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await con.runAndReadAll(sql)
  return reader.getRowObjectsJS() as Record<string, unknown>[]
}

/** How one output column of a read query is to be copied. @internal */
export interface ReadSpec {
  readonly name: string
  readonly kind: ColumnKind
  /** For categorical columns: the levels, in enum order. */
  readonly levels?: readonly string[]
}

function applyValidityF64(out: Float64Array, offset: number, validity: Uint8Array | null, n: number): void {
  if (validity === null) return
  for (let byte = 0; byte * 8 < n; byte++) {
    const bits = validity[byte]!
    if (bits === 0xff) continue
    const end = Math.min(8, n - byte * 8)
    for (let b = 0; b < end; b++) if (((bits >> b) & 1) === 0) out[offset + byte * 8 + b] = Number.NaN
  }
}

function applyValidityI32(out: Int32Array, offset: number, validity: Uint8Array | null, n: number): void {
  if (validity === null) return
  for (let byte = 0; byte * 8 < n; byte++) {
    const bits = validity[byte]!
    if (bits === 0xff) continue
    const end = Math.min(8, n - byte * 8)
    for (let b = 0; b < end; b++) if (((bits >> b) & 1) === 0) out[offset + byte * 8 + b] = -1
  }
}

/**
 * Bytes of fetched chunks after which `forEachChunk` asks V8 for a full collection. A fetched chunk's
 * memory is native and freed only when its small JS wrapper is garbage-collected; V8 does not see
 * that memory, so on a long stream the wrappers pile up in old space between the rare full
 * collections and the process grows (a bare 5M-row stream: 1.5 GB RSS). Collecting every 64 MB
 * keeps it flat, for a few milliseconds per collection on the small heap of a stream.
 */
const CHUNK_BYTES_PER_COLLECTION = 64 * 2 ** 20

let fullCollection: (() => void) | undefined

/** V8's full garbage collection, exposed at first use (as `node --expose-gc` would). */
function collectGarbage(): void {
  if (fullCollection === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc
    if (exposed !== undefined) fullCollection = exposed
    else {
      setFlagsFromString('--expose-gc')
      fullCollection = runInNewContext('gc') as () => void
    }
  }
  fullCollection()
}

/**
 * Streams the result of `sql` chunk by chunk (DuckDB's vector size, 2048 rows). `onChunk` gets the
 * row count and the chunk's column vectors, which are valid only until it returns (or its promise
 * settles): copy what you need. Returning false stops the stream. Memory stays bounded by one chunk whatever the result's size.
 * @internal
 */
export async function forEachChunk(
  con: DuckDBConnection,
  sql: string,
  onChunk: (
    rowCount: number,
    vector: (column: number) => duckdb.Vector,
  ) => boolean | undefined | Promise<boolean | undefined>,
): Promise<void> {
  const result = await con.stream(sql)
  // A lower bound of each chunk's native size: 8 bytes per value (strings have 16-byte headers).
  const bytesPerRow = 8 * Math.max(1, result.columnCount)
  let bytesSinceCollection = 0
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const raw = chunk.chunk
    if ((await onChunk(chunk.rowCount, (column) => duckdb.data_chunk_get_vector(raw, column))) === false)
      return
    bytesSinceCollection += chunk.rowCount * bytesPerRow
    if (bytesSinceCollection >= CHUNK_BYTES_PER_COLLECTION) {
      bytesSinceCollection = 0
      collectGarbage()
    }
  }
}

/**
 * Copies a DOUBLE vector of an open chunk into `target` at `offset`, writing NaN where the value is
 * NULL. The copy must happen before the next fetch, which frees the chunk's memory. @internal
 */
export function copyDoubleVector(
  vector: duckdb.Vector,
  n: number,
  target: Float64Array,
  offset: number,
): void {
  const bytes = duckdb.vector_get_data(vector, n * 8)
  target.set(new Float64Array(bytes.buffer, bytes.byteOffset, n), offset)
  applyValidityF64(target, offset, duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8), n)
}

/**
 * Reads a VARCHAR vector of an open chunk as strings (null where NULL) into `target` at `offset`.
 * Strings of up to 12 bytes sit inline in DuckDB's 16-byte string struct and are decoded from the
 * chunk's buffer directly; longer ones are fetched through their pointer. @internal
 */
export function readVarcharVector(
  vector: duckdb.Vector,
  n: number,
  target: (string | null)[],
  offset: number,
): void {
  const bytes = duckdb.vector_get_data(vector, n * 16)
  const validity = duckdb.vector_get_validity(vector, Math.ceil(n / 64) * 8)
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, n * 16)
  for (let i = 0; i < n; i++) {
    if (validity !== null && ((validity[i >> 3]! >> (i & 7)) & 1) === 0) {
      target[offset + i] = null
      continue
    }
    const at = i * 16
    const length = buffer.readUInt32LE(at)
    target[offset + i] =
      length <= 12
        ? buffer.toString('utf8', at + 4, at + 4 + length)
        : Buffer.from(
            duckdb.get_data_from_pointer(bytes.buffer as ArrayBuffer, bytes.byteOffset + at + 8, length),
          ).toString('utf8')
  }
}

/**
 * Streams `sql` (whose columns are DOUBLE for numeric/boolean/datetime specs and ENUM for
 * categorical ones, in `specs` order) into typed-array columns. `nRows` must be the exact count.
 * @internal
 */
export async function readColumns(
  con: DuckDBConnection,
  sql: string,
  specs: readonly ReadSpec[],
  nRows: number,
): Promise<Column[]> {
  const buffers = specs.map((s) =>
    s.kind === 'categorical' ? new Int32Array(nRows) : new Float64Array(nRows),
  )
  const result = await con.stream(sql)
  let offset = 0
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const n = chunk.rowCount
    if (offset + n > nRows) throw new Error(`DuckDB returned more than the expected ${nRows} rows.`)
    const validityBytes = Math.ceil(n / 64) * 8
    for (let c = 0; c < specs.length; c++) {
      const vector = duckdb.data_chunk_get_vector(chunk.chunk, c)
      const validity = duckdb.vector_get_validity(vector, validityBytes)
      const target = buffers[c]!
      if (target instanceof Float64Array) {
        const bytes = duckdb.vector_get_data(vector, n * 8)
        // Copy now: the view points into chunk memory that the next fetch frees.
        target.set(new Float64Array(bytes.buffer, bytes.byteOffset, n), offset)
        applyValidityF64(target, offset, validity, n)
      } else {
        const type = duckdb.vector_get_column_type(vector)
        const internal = duckdb.enum_internal_type(type)
        const width = internal === duckdb.Type.UTINYINT ? 1 : internal === duckdb.Type.USMALLINT ? 2 : 4
        const bytes = duckdb.vector_get_data(vector, n * width)
        const copy = new Uint8Array(n * width)
        copy.set(bytes)
        const codes =
          width === 1 ? copy : width === 2 ? new Uint16Array(copy.buffer) : new Uint32Array(copy.buffer)
        target.set(codes, offset)
        applyValidityI32(target, offset, validity, n)
      }
    }
    offset += n
  }
  if (offset !== nRows) throw new Error(`DuckDB returned ${offset} rows; expected ${nRows}.`)
  return specs.map((spec, c): Column => {
    const buffer = buffers[c]!
    if (spec.kind === 'categorical')
      return { kind: 'categorical', name: spec.name, codes: buffer as Int32Array, levels: spec.levels ?? [] }
    return { kind: spec.kind, name: spec.name, values: buffer as Float64Array }
  })
}
