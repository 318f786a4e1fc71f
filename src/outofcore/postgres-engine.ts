import type pg from 'pg'
import { AppError, importOptional } from '../core/index.js'
import { type SourceColumn, type SqlEngine, type SqlValue, toNumber } from './engine.js'

/** Rows fetched per round trip when streaming a large result. */
const FETCH_ROWS = 50_000

/**
 * PostgreSQL through the optional `pg` peer, on one connection: the trainer's tables are
 * session-private temporary tables (gone when the connection closes, even after a crash), and the
 * data never leaves the server except as histograms and the held-out part's scores.
 */
export async function openPostgresEngine(url: string): Promise<SqlEngine> {
  const { default: driver } = await importOptional(
    'pg',
    'Out-of-core training on PostgreSQL (--from postgres://...)',
    () => import('pg'),
  )
  const client: pg.Client = new driver.Client({ connectionString: url })
  try {
    await client.connect()
  } catch (error) {
    throw new AppError(
      'OUTOFCORE_SOURCE',
      `Cannot connect to ${redactUrl(url)}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  // Histograms aggregate by hashing: rows are summed in scan order, as the in-memory fit sums
  // them, where a sort-based plan would sum each bin's rows in a shuffled order (qsort is not
  // stable) and move float sums by an ulp. Sorting still happens where nothing else can.
  await client.query('SET enable_sort = off')
  const query = async (sql: string): Promise<SqlValue[][]> => {
    const res = await client.query({ text: sql, rowMode: 'array' })
    return (res.rows as unknown[][]).map((row) => row.map(plain))
  }
  return {
    dialect: 'postgres',
    createTable: 'CREATE TEMP TABLE',
    async exec(sql) {
      await client.query(sql)
    },
    query,
    async readNumbers(sql, nColumns) {
      // A server-side cursor keeps the client's memory to one batch whatever the result's size.
      const parts: Float64Array[][] = Array.from({ length: nColumns }, () => [])
      await client.query('BEGIN')
      try {
        await client.query(`DECLARE keel_ooc_cursor NO SCROLL CURSOR FOR ${sql}`)
        for (;;) {
          const rows = await query(`FETCH ${FETCH_ROWS} FROM keel_ooc_cursor`)
          if (rows.length === 0) break
          for (let c = 0; c < nColumns; c++)
            parts[c]!.push(Float64Array.from(rows, (r) => toNumber(r[c] ?? null)))
        }
        await client.query('CLOSE keel_ooc_cursor')
      } finally {
        await client.query('COMMIT')
      }
      return parts.map((chunks) => {
        const out = new Float64Array(chunks.reduce((s, c) => s + c.length, 0))
        let o = 0
        for (const c of chunks) {
          out.set(c, o)
          o += c.length
        }
        return out
      })
    },
    async columns(relation) {
      const res = await client.query({ text: `SELECT * FROM ${relation} LIMIT 0`, rowMode: 'array' })
      return res.fields.map((f): SourceColumn => ({ name: f.name, type: pgTypeName(f.dataTypeID) }))
    },
    async afterRewrite(table) {
      // Every UPDATE leaves a dead version of each row; reclaim them so the table stays its size.
      await client.query(`VACUUM ${table}`)
    },
    async close() {
      await client.end()
    },
  }
}

/** Type names of PostgreSQL's built-in type OIDs (the ones a feature or target can have). */
const PG_TYPES: Readonly<Record<number, string>> = {
  16: 'BOOLEAN',
  20: 'BIGINT',
  21: 'SMALLINT',
  23: 'INTEGER',
  25: 'TEXT',
  700: 'REAL',
  701: 'DOUBLE',
  1042: 'CHAR',
  1043: 'VARCHAR',
  1700: 'NUMERIC',
  1082: 'DATE',
  1114: 'TIMESTAMP',
  1184: 'TIMESTAMPTZ',
}

function pgTypeName(oid: number): string {
  return PG_TYPES[oid] ?? `OID ${oid}`
}

function plain(v: unknown): SqlValue {
  if (v === null || v === undefined) return null
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v
  if (typeof v === 'bigint') return Number(v)
  return String(v)
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}
