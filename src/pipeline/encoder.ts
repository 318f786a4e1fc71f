import { AppError, type Matrix } from '../core/index.js'
import type { Column, ColumnKind, Dataset } from '../data/index.js'

/**
 * How one input feature is turned into model columns. Fitted on training rows only and stored in
 * the model bundle, so serving encodes a JSON row exactly as training encoded a file row.
 */
export interface EncodedFeature {
  readonly name: string
  readonly kind: ColumnKind
  /** Categorical: training levels (sorted). Codes mode maps a level to its index; unknown -> missing. */
  readonly levels?: readonly string[]
  /**
   * Codes mode, many-level columns: the code shared by levels outside `levels` (rare in training,
   * or unseen), so tree models get at most MAX_CODES + 1 distinct codes.
   */
  readonly otherCode?: number
  /** One-hot mode: the levels that get their own column (most frequent first, capped); others -> '__other__'. */
  readonly oneHotLevels?: readonly string[]
  /** One-hot mode: value used for a missing numeric (training median). */
  readonly fill?: number
  /** One-hot mode: whether a missing-indicator column follows the value column. */
  readonly hasMissingIndicator?: boolean
}

/** Serialisable state of a fitted `FeatureEncoder`. */
export interface FeatureEncoderState {
  /** 'codes': numerics raw (NaN missing), categoricals as integer codes (for trees and GBDT).
   *  'onehot': median-imputed numerics with missing indicators, one-hot categoricals (for linear/MLP). */
  readonly mode: 'codes' | 'onehot'
  readonly features: readonly EncodedFeature[]
}

/** A row as it arrives in a request or a JSON-lines file. */
export type FeatureRecord = Readonly<Record<string, unknown>>

/**
 * One-hot mode keeps at most this many levels per column (most frequent first; the rest share
 * the `__other__` column). scikit-learn's recipe keeps every level, and with the L2 penalty a
 * linear model handles a few hundred indicator columns well; the cap only bounds the matrix.
 */
const MAX_ONE_HOT = 250
/**
 * One-hot mode, many rows: the encoded training matrix (rows x columns, 8 bytes a cell) stays
 * under this many cells by lowering the per-column cap, never below {@link MIN_ONE_HOT}.
 */
const ONE_HOT_CELL_BUDGET = 2 ** 27
/** The per-column one-hot cap never drops below this (the fixed cap encoders had before). */
const MIN_ONE_HOT = 50
/** Codes mode keeps at most this many levels per column (plus one pooled code): GBDT bins hold 255 values. */
const MAX_CODES = 250
const DAY_MS = 86_400_000

function median(values: Float64Array): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort()
  if (v.length === 0) return 0
  const m = v.length >> 1
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2
}

function numericValues(column: Column): Float64Array {
  return column.kind === 'categorical'
    ? Float64Array.from(column.codes, (c) => (c < 0 ? Number.NaN : c))
    : column.values
}

/** Converts a JSON value to the number Keel uses for a numeric/boolean/datetime feature (NaN = missing). */
export function toFeatureNumber(kind: ColumnKind, value: unknown): number {
  if (value === null || value === undefined || value === '') return Number.NaN
  switch (kind) {
    case 'numeric':
      return typeof value === 'number'
        ? value
        : typeof value === 'string'
          ? Number(value)
          : typeof value === 'boolean'
            ? Number(value)
            : Number.NaN
    case 'boolean':
      if (typeof value === 'boolean') return value ? 1 : 0
      if (value === 1 || value === 0) return value
      if (typeof value === 'string') {
        const v = value.toLowerCase()
        if (v === 'true' || v === '1' || v === 'yes') return 1
        if (v === 'false' || v === '0' || v === 'no') return 0
      }
      return Number.NaN
    case 'datetime': {
      if (typeof value === 'number') return value
      if (typeof value === 'string') {
        const t = Date.parse(
          value.includes('T') || value.endsWith('Z') ? value : `${value.replace(' ', 'T')}Z`,
        )
        return Number.isNaN(t) ? Number.NaN : t
      }
      return Number.NaN
    }
    case 'categorical':
      return Number.NaN
    default: {
      const never: never = kind
      return never
    }
  }
}

/**
 * Turns datasets or JSON rows into model matrices. Fit with `fitFeatureEncoder`; the fitted
 * state is plain data (`state`) that `FeatureEncoder.fromState` restores.
 */
export class FeatureEncoder {
  readonly state: FeatureEncoderState
  /** Names of the output matrix columns. */
  readonly outputNames: readonly string[]
  /** Output columns holding categorical codes (codes mode only). */
  readonly categoricalOutputs: readonly number[]
  /**
   * Output columns that are 0/1 indicators made here (one-hot mode: each level column,
   * `__other__`, `__missing__`, and numeric missing flags), as opposed to input values. Linear
   * models standardise every other column (`FitOptions.indicatorFeatures`).
   */
  readonly indicatorOutputs: readonly number[]
  private readonly levelIndex: readonly (Map<string, number> | undefined)[]

  private constructor(state: FeatureEncoderState) {
    this.state = state
    const names: string[] = []
    const categorical: number[] = []
    const indicators: number[] = []
    for (const f of state.features) {
      if (state.mode === 'codes') {
        if (f.kind === 'categorical') categorical.push(names.length)
        names.push(f.name)
      } else if (f.kind === 'categorical') {
        const first = names.length
        for (const level of f.oneHotLevels ?? []) names.push(`${f.name}=${level}`)
        names.push(`${f.name}=__other__`, `${f.name}=__missing__`)
        for (let c = first; c < names.length; c++) indicators.push(c)
      } else {
        names.push(f.name)
        if (f.hasMissingIndicator === true) {
          indicators.push(names.length)
          names.push(`${f.name}__missing`)
        }
      }
    }
    this.outputNames = names
    this.categoricalOutputs = categorical
    this.indicatorOutputs = indicators
    this.levelIndex = state.features.map((f) => {
      const levels = state.mode === 'codes' ? f.levels : f.oneHotLevels
      return levels === undefined ? undefined : new Map(levels.map((l, i) => [l, i]))
    })
  }

  /** Restores an encoder from its serialised state. */
  static fromState(state: FeatureEncoderState): FeatureEncoder {
    return new FeatureEncoder(state)
  }

  /** Encodes whole columns of a dataset (matched by name; extra columns are ignored). */
  encodeDataset(ds: Dataset): Matrix {
    const byName = new Map(ds.columns.map((c) => [c.name, c]))
    const nOut = this.outputNames.length
    const data = new Float64Array(ds.nRows * nOut)
    let offset = 0
    this.state.features.forEach((f, fi) => {
      const column = byName.get(f.name)
      if (column === undefined) {
        throw new AppError(
          'DATA_MISSING_COLUMN',
          `Column '${f.name}' used at training time is missing from the input.`,
          {
            details: { column: f.name },
          },
        )
      }
      const width = this.writeColumn(f, fi, ds.nRows, (r) => cellOf(column, r), data, offset, nOut)
      offset += width
    })
    return { rows: ds.nRows, cols: nOut, data }
  }

  /** Encodes JSON rows (as received by the server or read from JSON lines). Missing keys are missing values. */
  encodeRecords(records: readonly FeatureRecord[]): Matrix {
    return this.encodeValues(records.length, (name) => (r) => records[r]![name])
  }

  /**
   * Encodes rows given column by column as JSON values, with exactly the conversions of
   * `encodeRecords` (numbers from strings, booleans from 'yes'/'true', levels from `String(v)`),
   * without building a record per row: `valuesOf(name)` returns the accessor of a feature's
   * values, or undefined when the input lacks it (all missing). Batch scoring uses this on
   * streamed chunks so a file row is encoded as the same row sent as JSON would be.
   */
  encodeValues(nRows: number, valuesOf: (name: string) => ((row: number) => unknown) | undefined): Matrix {
    const nOut = this.outputNames.length
    const data = new Float64Array(nRows * nOut)
    let offset = 0
    this.state.features.forEach((f, fi) => {
      const valueAt = valuesOf(f.name) ?? (() => undefined)
      const width = this.writeColumn(
        f,
        fi,
        nRows,
        (r) => {
          const v = valueAt(r)
          if (f.kind === 'categorical') return v === null || v === undefined || v === '' ? null : String(v)
          return toFeatureNumber(f.kind, v)
        },
        data,
        offset,
        nOut,
      )
      offset += width
    })
    return { rows: nRows, cols: nOut, data }
  }

  private writeColumn(
    f: EncodedFeature,
    fi: number,
    nRows: number,
    cell: (r: number) => number | string | null,
    out: Float64Array,
    offset: number,
    stride: number,
  ): number {
    const index = this.levelIndex[fi]
    if (this.state.mode === 'codes') {
      for (let r = 0; r < nRows; r++) {
        const v = cell(r)
        out[r * stride + offset] =
          typeof v === 'string' ? (index?.get(v) ?? f.otherCode ?? Number.NaN) : v === null ? Number.NaN : v
      }
      return 1
    }
    if (f.kind === 'categorical') {
      const nLevels = f.oneHotLevels?.length ?? 0
      for (let r = 0; r < nRows; r++) {
        const v = cell(r)
        const base = r * stride + offset
        if (typeof v !== 'string') out[base + nLevels + 1] = 1
        else {
          const k = index?.get(v)
          out[base + (k ?? nLevels)] = 1
        }
      }
      return nLevels + 2
    }
    const fill = f.fill ?? 0
    const hasIndicator = f.hasMissingIndicator === true
    for (let r = 0; r < nRows; r++) {
      const raw = cell(r)
      const v = typeof raw === 'number' ? raw : Number.NaN
      const missing = !Number.isFinite(v)
      const scaled = f.kind === 'datetime' && !missing ? v / DAY_MS : v
      out[r * stride + offset] = missing ? fill : scaled
      if (hasIndicator) out[r * stride + offset + 1] = missing ? 1 : 0
    }
    return hasIndicator ? 2 : 1
  }
}

function cellOf(column: Column, r: number): number | string | null {
  if (column.kind === 'categorical') {
    const code = column.codes[r]!
    return code < 0 ? null : column.levels[code]!
  }
  return column.values[r]!
}

/**
 * Fits an encoder on the training rows of `ds` for the named feature columns.
 * @param mode 'codes' for tree models, 'onehot' for linear models and MLPs.
 */
export function fitFeatureEncoder(
  ds: Dataset,
  featureNames: readonly string[],
  mode: 'codes' | 'onehot',
): FeatureEncoder {
  const byName = new Map(ds.columns.map((c) => [c.name, c]))
  const columns = featureNames.map((name) => {
    const column = byName.get(name)
    if (column === undefined)
      throw new AppError('DATA_MISSING_COLUMN', `Feature column '${name}' is not in the data.`)
    return column
  })
  // Levels present in training of each categorical, most frequent first (ties by name).
  const byFrequency = columns.map((column) => {
    if (column.kind !== 'categorical') return undefined
    const counts = new Float64Array(column.levels.length)
    for (const c of column.codes) if (c >= 0) counts[c]!++
    return column.levels
      .map((l, i) => ({ l, n: counts[i]! }))
      .filter((e) => e.n > 0)
      .sort((a, b) => b.n - a.n || (a.l < b.l ? -1 : 1))
      .map((e) => e.l)
  })
  const oneHotCap = mode === 'onehot' ? oneHotLevelCap(ds.nRows, columns, byFrequency) : 0
  const features: EncodedFeature[] = columns.map((column, fi) => {
    const name = column.name
    const frequent = byFrequency[fi]
    if (column.kind === 'categorical' && frequent !== undefined) {
      const levels = [...frequent].sort()
      if (mode === 'codes') {
        if (levels.length <= MAX_CODES) return { name, kind: 'categorical', levels }
        // Histogram models take at most 255 codes: keep the most frequent levels, pool the rest.
        const kept = frequent.slice(0, MAX_CODES).sort()
        return { name, kind: 'categorical', levels: kept, otherCode: kept.length }
      }
      return { name, kind: 'categorical', levels, oneHotLevels: frequent.slice(0, oneHotCap).sort() }
    }
    if (mode === 'codes') return { name, kind: column.kind }
    const values = numericValues(column)
    const scaled = column.kind === 'datetime' ? values.map((v) => v / DAY_MS) : values
    const hasMissing = values.some((v) => Number.isNaN(v))
    return { name, kind: column.kind, fill: median(scaled), hasMissingIndicator: hasMissing }
  })
  return FeatureEncoder.fromState({ mode, features })
}

/**
 * Per-column one-hot cap for `rows` training rows: {@link MAX_ONE_HOT}, lowered (not below
 * {@link MIN_ONE_HOT}) until the encoded matrix fits {@link ONE_HOT_CELL_BUDGET} cells. The
 * levels it keeps are stored in the encoder's state, so a fitted encoder never depends on it.
 */
function oneHotLevelCap(
  rows: number,
  columns: readonly Column[],
  byFrequency: readonly (readonly string[] | undefined)[],
): number {
  // Width apart from the kept levels: at most two columns per feature (a numeric and its
  // missing flag, or a categorical's `__other__` and `__missing__`).
  const fixed = 2 * columns.length
  const width = (cap: number): number => {
    let w = fixed
    for (const levels of byFrequency) if (levels !== undefined) w += Math.min(levels.length, cap)
    return w
  }
  let cap = MAX_ONE_HOT
  while (cap > MIN_ONE_HOT && rows * width(cap) > ONE_HOT_CELL_BUDGET) cap--
  return cap
}
