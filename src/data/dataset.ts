import { didYouMean, InvalidArgumentError } from '../core/index.js'
import { DataError } from './errors.js'

/** The four kinds of column Keel distinguishes. */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'datetime'

/** One column of a dataset, stored as a typed array. */
export type Column =
  | { readonly kind: 'numeric'; readonly name: string; readonly values: Float64Array }
  | {
      readonly kind: 'categorical'
      readonly name: string
      readonly codes: Int32Array
      readonly levels: readonly string[]
    }
  | { readonly kind: 'boolean'; readonly name: string; readonly values: Float64Array }
  | { readonly kind: 'datetime'; readonly name: string; readonly values: Float64Array }

/** A columnar in-memory table. Every column has `nRows` entries. */
export interface Dataset {
  readonly nRows: number
  readonly columns: readonly Column[]
}

/** The column kinds this module knows, for checking user input. */
export const COLUMN_KINDS: readonly ColumnKind[] = ['numeric', 'categorical', 'boolean', 'datetime']

/**
 * Orders strings by Unicode code point, which equals UTF-8 byte order: the order DuckDB sorts
 * VARCHAR in. Levels sorted this way are the same whichever path (file or records) built them.
 */
export function compareLevels(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i)
    const cb = b.charCodeAt(i)
    if (ca === cb) continue
    // Surrogates (0xD800-0xDFFF) encode code points above 0xFFFF, so they sort after 0xE000-0xFFFF.
    const sa = ca >= 0xd800 && ca <= 0xdfff
    const sb = cb >= 0xd800 && cb <= 0xdfff
    if (sa !== sb) return sa ? 1 : -1
    return ca - cb
  }
  return a.length - b.length
}

/** Number of missing entries in a column. */
export function missingCount(col: Column): number {
  let missing = 0
  if (col.kind === 'categorical') {
    for (const c of col.codes) if (c < 0) missing++
  } else {
    for (const v of col.values) if (Number.isNaN(v)) missing++
  }
  return missing
}

/**
 * Column by name.
 * @example
 * const age = getColumn(ds, 'age')
 * if (age.kind === 'numeric') console.log(age.values[0])
 * @throws DataError DATA_COLUMN_NOT_FOUND listing the available columns
 */
export function getColumn(ds: Dataset, name: string): Column {
  const col = ds.columns.find((c) => c.name === name)
  if (col === undefined) {
    const available = ds.columns.map((c) => c.name)
    throw new DataError(
      'DATA_COLUMN_NOT_FOUND',
      `Column '${name}' not found${didYouMean(name, available)}. Available columns: ${available.join(', ') || '(none)'}.`,
      { details: { column: name, available } },
    )
  }
  return col
}

/** True when the dataset has a column with this name. */
export function hasColumn(ds: Dataset, name: string): boolean {
  return ds.columns.some((c) => c.name === name)
}

function takeF64(values: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length)
  for (let i = 0; i < indices.length; i++) out[i] = values[indices[i]!]!
  return out
}

function checkIndices(nRows: number, indices: ArrayLike<number>): void {
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!
    if (!Number.isInteger(r) || r < 0 || r >= nRows) {
      throw new InvalidArgumentError(`Row index ${r} is outside 0..${nRows - 1}.`)
    }
  }
}

/**
 * A new dataset holding the given rows, in the given order (levels are kept as they are).
 * @example
 * const { train, test } = stratifiedSplit(getColumn(ds, 'y'), { testSize: 0.2, seed: 1 })
 * const trainDs = selectRows(ds, train)
 */
export function selectRows(ds: Dataset, indices: ArrayLike<number>): Dataset {
  checkIndices(ds.nRows, indices)
  const columns = ds.columns.map((col): Column => {
    if (col.kind === 'categorical') {
      const codes = new Int32Array(indices.length)
      for (let i = 0; i < indices.length; i++) codes[i] = col.codes[indices[i]!]!
      return { kind: 'categorical', name: col.name, codes, levels: col.levels }
    }
    return { kind: col.kind, name: col.name, values: takeF64(col.values, indices) }
  })
  return { nRows: indices.length, columns }
}

/** A new dataset with only the named columns, in the given order. */
export function selectColumns(ds: Dataset, names: readonly string[]): Dataset {
  return { nRows: ds.nRows, columns: names.map((n) => getColumn(ds, n)) }
}

/** A new dataset without the named columns (names not present are ignored). */
export function dropColumns(ds: Dataset, names: readonly string[]): Dataset {
  const drop = new Set(names)
  return { nRows: ds.nRows, columns: ds.columns.filter((c) => !drop.has(c.name)) }
}

/** A dataset from columns, checking that all have the same length and distinct names. */
export function makeDataset(columns: readonly Column[]): Dataset {
  const nRows = columns.length === 0 ? 0 : columnLength(columns[0]!)
  const seen = new Set<string>()
  for (const col of columns) {
    if (seen.has(col.name))
      throw new DataError('DATA_SCHEMA_MISMATCH', `Column name '${col.name}' appears twice.`)
    seen.add(col.name)
    if (columnLength(col) !== nRows) {
      throw new DataError(
        'DATA_SCHEMA_MISMATCH',
        `Column '${col.name}' has ${columnLength(col)} rows; expected ${nRows}.`,
      )
    }
  }
  return { nRows, columns }
}

/** Number of entries in a column. */
export function columnLength(col: Column): number {
  return col.kind === 'categorical' ? col.codes.length : col.values.length
}

/** The value at a row as plain JS (number, boolean, ISO string, level string or null), for messages and output. */
export function cellValue(col: Column, row: number): string | number | boolean | null {
  switch (col.kind) {
    case 'categorical': {
      const c = col.codes[row]!
      return c < 0 ? null : col.levels[c]!
    }
    case 'numeric': {
      const v = col.values[row]!
      return Number.isNaN(v) ? null : v
    }
    case 'boolean': {
      const v = col.values[row]!
      return Number.isNaN(v) ? null : v === 1
    }
    case 'datetime': {
      const v = col.values[row]!
      return Number.isNaN(v) ? null : new Date(v).toISOString()
    }
  }
}

/** Rebuilds a categorical column's codes so that its levels are sorted and unused levels dropped. */
function categoricalFromStrings(name: string, raw: readonly (string | null)[]): Column {
  const distinct = new Set<string>()
  for (const s of raw) if (s !== null) distinct.add(s)
  const levels = [...distinct].sort(compareLevels)
  const index = new Map(levels.map((l, i) => [l, i]))
  const codes = new Int32Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i]!
    codes[i] = s === null ? -1 : index.get(s)!
  }
  return { kind: 'categorical', name, codes, levels }
}

function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === ''
}

function inferKind(values: readonly unknown[]): ColumnKind {
  let sawNumber = false
  let sawBoolean = false
  let sawDate = false
  let sawOther = false
  for (const v of values) {
    if (isMissing(v)) continue
    if (typeof v === 'number' || typeof v === 'bigint') sawNumber = true
    else if (typeof v === 'boolean') sawBoolean = true
    else if (v instanceof Date) sawDate = true
    else sawOther = true
  }
  if (sawOther) return 'categorical'
  const n = Number(sawNumber) + Number(sawBoolean) + Number(sawDate)
  if (n > 1) return 'categorical'
  if (sawBoolean) return 'boolean'
  if (sawDate) return 'datetime'
  return 'numeric'
}

function toNumber(name: string, row: number, v: unknown, kind: ColumnKind): number {
  if (isMissing(v)) return Number.NaN
  switch (kind) {
    case 'numeric': {
      const n = typeof v === 'boolean' ? Number(v) : Number(v)
      if (Number.isNaN(n))
        throw new DataError(
          'DATA_TYPE',
          `Column '${name}' is numeric but row ${row} holds ${JSON.stringify(v)}.`,
          { details: { column: name, row } },
        )
      return n
    }
    case 'boolean': {
      if (typeof v === 'boolean') return v ? 1 : 0
      if (v === 1 || v === 0) return v
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase()
        if (s === 'true' || s === '1' || s === 't' || s === 'yes') return 1
        if (s === 'false' || s === '0' || s === 'f' || s === 'no') return 0
      }
      throw new DataError(
        'DATA_TYPE',
        `Column '${name}' is boolean but row ${row} holds ${JSON.stringify(v)}.`,
        { details: { column: name, row } },
      )
    }
    case 'datetime': {
      const ms = v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(String(v))
      if (Number.isNaN(ms))
        throw new DataError(
          'DATA_TYPE',
          `Column '${name}' is a datetime but row ${row} holds ${JSON.stringify(v)}.`,
          { details: { column: name, row } },
        )
      return ms
    }
    case 'categorical':
      return Number.NaN
  }
}

/**
 * Builds a dataset from plain records (for tests, JSON requests and small inputs). Column order
 * is the order keys first appear. Kinds are inferred (numbers → numeric, booleans → boolean,
 * Date objects → datetime, anything else → categorical) unless given in `kinds`.
 * `null`, `undefined`, `NaN` and `''` are missing.
 * @example
 * const ds = datasetFromRecords([{ age: 31, city: 'Paris' }, { age: null, city: 'Oslo' }])
 * // ds.columns: age numeric [31, NaN]; city categorical codes [1, 0], levels ['Oslo', 'Paris']
 */
export function datasetFromRecords(
  records: readonly Record<string, unknown>[],
  kinds: Readonly<Record<string, ColumnKind>> = {},
): Dataset {
  const names: string[] = []
  const seen = new Set<string>()
  for (const rec of records) {
    for (const k of Object.keys(rec)) {
      if (!seen.has(k)) {
        seen.add(k)
        names.push(k)
      }
    }
  }
  for (const k of Object.keys(kinds)) if (!seen.has(k)) names.push(k)
  const columns = names.map((name): Column => {
    const raw = records.map((r) => r[name])
    const kind = kinds[name] ?? inferKind(raw)
    if (kind === 'categorical') {
      return categoricalFromStrings(
        name,
        raw.map((v) => (isMissing(v) ? null : v instanceof Date ? v.toISOString() : String(v))),
      )
    }
    const values = new Float64Array(raw.length)
    for (let i = 0; i < raw.length; i++) values[i] = toNumber(name, i, raw[i], kind)
    return { kind, name, values }
  })
  return { nRows: records.length, columns }
}

/** The dataset as plain records (inverse of `datasetFromRecords`, datetimes as ISO strings). */
export function datasetToRecords(ds: Dataset): Record<string, string | number | boolean | null>[] {
  const out: Record<string, string | number | boolean | null>[] = []
  for (let r = 0; r < ds.nRows; r++) {
    const rec: Record<string, string | number | boolean | null> = {}
    for (const col of ds.columns) rec[col.name] = cellValue(col, r)
    out.push(rec)
  }
  return out
}
