import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api'
import { trackTempFiles } from '../core/index.js'
import { copyDoubleVector, forEachChunk } from '../data/index.js'
import { quoteLiteral, type SourceColumn, type SqlEngine, type SqlValue } from './engine.js'

/** Options of `openDuckEngine`. */
export interface DuckEngineOptions {
  /** DuckDB's memory limit in bytes (past it, operators and tables spill to `tempDir`); default 80% of RAM. */
  readonly memoryLimitBytes?: number
  /** Worker threads (default: all cores). */
  readonly threads?: number
  /** Where the database file and spill files live (a fresh folder inside it; default: the OS temp dir). */
  readonly tempDir?: string
}

/** Growable Float64Array. */
class Column {
  data = new Float64Array(4096)
  length = 0
  /** Makes room for `n` more values. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return
    const next = new Float64Array(Math.max(this.data.length * 2, this.length + n))
    next.set(this.data.subarray(0, this.length))
    this.data = next
  }
  finish(): Float64Array {
    return this.length === this.data.length ? this.data : this.data.slice(0, this.length)
  }
}

/**
 * DuckDB in this process, on a database file in a private temporary folder: tables live on disk
 * and pass through DuckDB's buffer manager, so with `memory_limit` set, a table larger than memory
 * is read in pieces and big intermediate results spill to the same folder. The folder goes on close.
 */
export async function openDuckEngine(options: DuckEngineOptions = {}): Promise<SqlEngine> {
  const dir = mkdtempSync(join(options.tempDir ?? tmpdir(), 'keel-ooc-'))
  const untrack = trackTempFiles(dir)
  let instance: DuckDBInstance | undefined
  let con: DuckDBConnection
  try {
    instance = await DuckDBInstance.create(join(dir, 'train.duckdb'), {
      threads: String(Math.max(1, options.threads ?? availableParallelism())),
    })
    con = await instance.connect()
    if (options.memoryLimitBytes !== undefined) {
      // Whole MiB: DuckDB parses the unit itself.
      await con.run(`SET memory_limit = '${Math.max(16, Math.floor(options.memoryLimitBytes / 2 ** 20))}MiB'`)
    }
    await con.run(`SET temp_directory = ${quoteLiteral(join(dir, 'spill'))}`)
    // Row numbers follow file order (the binning sample and held-out parts depend on it).
    await con.run('SET preserve_insertion_order = true')
  } catch (error) {
    instance?.closeSync()
    rmSync(dir, { recursive: true, force: true })
    untrack()
    throw error
  }
  const db = instance
  const query = async (sql: string): Promise<SqlValue[][]> => {
    const reader = await con.runAndReadAll(sql)
    return reader.getRowsJS().map((row) => row.map(plain))
  }
  return {
    dialect: 'duckdb',
    createTable: 'CREATE TABLE',
    async exec(sql) {
      await con.run(sql)
    },
    query,
    async readNumbers(sql, nColumns) {
      // DOUBLE columns only (callers cast): chunk memory is copied as is, NULL becomes NaN.
      const cols = Array.from({ length: nColumns }, () => new Column())
      await forEachChunk(con, sql, (n, vector) => {
        for (let c = 0; c < nColumns; c++) {
          const col = cols[c]!
          col.reserve(n)
          copyDoubleVector(vector(c), n, col.data, col.length)
          col.length += n
        }
        return undefined
      })
      return cols.map((c) => c.finish())
    },
    async columns(relation) {
      const rows = await query(`DESCRIBE SELECT * FROM ${relation}`)
      return rows.map((r): SourceColumn => ({ name: String(r[0]), type: String(r[1]).toUpperCase() }))
    },
    async afterRewrite() {
      // DuckDB rewrites columns in place; nothing to reclaim.
    },
    async close() {
      try {
        con.closeSync()
        db.closeSync()
      } finally {
        rmSync(dir, { recursive: true, force: true })
        untrack()
      }
    },
  }
}

/** A DuckDB JS value as a plain SQL value (BIGINT arrives as bigint). */
function plain(v: unknown): SqlValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'bigint') return Number(v)
  return String(v)
}
