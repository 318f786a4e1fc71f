import { type Artifact, encodeArray, InvalidArgumentError, makeArtifact, Rng } from '../../core/index.js'
import { type Column, compareLevels, type Dataset, getColumn } from '../dataset.js'
import {
  type FittedTransformer,
  keyAt,
  pickColumns,
  registerTransformerReader,
  stateF64,
  stateField,
  stateStrings,
  type Transformer,
} from './transformer.js'

/** Name of the one-hot column that collects rare and unknown levels. */
export const OTHER_LEVEL = '__other__'

/** Params of `OneHotEncoder`. */
export interface OneHotEncoderParams {
  /** Keep at most this many most frequent levels per column; the rest go to `__other__`. */
  readonly maxCategories: number
  /** Levels seen fewer times than this (a count, or a share when < 1) go to `__other__`. */
  readonly minFrequency: number
  /** Unknown levels at transform: all zeros ('ignore') or the `__other__` column ('other'). */
  readonly handleUnknown: 'ignore' | 'other'
  /** Columns to encode (default: every categorical column). */
  readonly columns?: readonly string[]
}

interface OneHotState {
  readonly columns: readonly string[]
  readonly levels: readonly (readonly string[])[]
  readonly hasOther: readonly boolean[]
}

function levelCounts(col: Column): Map<string, number> {
  const counts = new Map<string, number>()
  for (let r = 0; r < (col.kind === 'categorical' ? col.codes.length : col.values.length); r++) {
    const k = keyAt(col, r)
    if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1)
  }
  return counts
}

/** A fitted one-hot encoder. Missing values encode as all zeros; it never throws on new levels. */
export class FittedOneHotEncoder implements FittedTransformer {
  readonly kind = 'one-hot-encoder'
  readonly inputColumns: readonly string[]
  readonly outputNames: readonly string[]

  constructor(
    readonly params: OneHotEncoderParams,
    readonly state: OneHotState,
  ) {
    this.inputColumns = state.columns
    this.outputNames = state.columns.flatMap((c, i) => [
      ...state.levels[i]!.map((l) => `${c}=${l}`),
      ...(state.hasOther[i] ? [`${c}=${OTHER_LEVEL}`] : []),
    ])
  }

  transform(ds: Dataset): Dataset {
    const out: Column[] = []
    this.state.columns.forEach((name, i) => {
      const col = getColumn(ds, name)
      const levels = this.state.levels[i]!
      const hasOther = this.state.hasOther[i]!
      const index = new Map(levels.map((l, j) => [l, j]))
      const blocks = levels.map(() => new Float64Array(ds.nRows))
      const other = new Float64Array(ds.nRows)
      // Translate the input's level codes once instead of looking strings up per row.
      const codeMap =
        col.kind === 'categorical' ? Int32Array.from(col.levels, (l) => index.get(l) ?? -1) : undefined
      for (let r = 0; r < ds.nRows; r++) {
        let j: number
        if (codeMap !== undefined && col.kind === 'categorical') {
          const c = col.codes[r]!
          if (c < 0) continue
          j = codeMap[c]!
        } else {
          const k = keyAt(col, r)
          if (k === null) continue
          j = index.get(k) ?? -1
        }
        if (j >= 0) blocks[j]![r] = 1
        else if (hasOther) other[r] = 1
      }
      levels.forEach((l, j) => {
        out.push({ kind: 'numeric', name: `${name}=${l}`, values: blocks[j]! })
      })
      if (hasOther) out.push({ kind: 'numeric', name: `${name}=${OTHER_LEVEL}`, values: other })
    })
    return { nRows: ds.nRows, columns: out }
  }

  toJSON(): Artifact {
    return makeArtifact({
      format: 'transformer',
      formatVersion: 1,
      kind: this.kind,
      params: this.params,
      state: this.state,
      featureNames: this.outputNames,
    })
  }

  /** Reads an artifact written by `toJSON`. */
  static fromJSON(artifact: Artifact<unknown, unknown>): FittedOneHotEncoder {
    const s = artifact.state
    const levels = stateField(s, 'levels')
    const hasOther = stateField(s, 'hasOther')
    if (
      !Array.isArray(levels) ||
      !levels.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))
    )
      throw new InvalidArgumentError('One-hot artifact levels must be arrays of strings.')
    if (!Array.isArray(hasOther) || !hasOther.every((h) => typeof h === 'boolean'))
      throw new InvalidArgumentError('One-hot artifact hasOther must be booleans.')
    return new FittedOneHotEncoder(artifact.params as OneHotEncoderParams, {
      columns: stateStrings(s, 'columns'),
      levels: levels as string[][],
      hasOther: hasOther as boolean[],
    })
  }
}
registerTransformerReader('one-hot-encoder', (a) => FittedOneHotEncoder.fromJSON(a))

/**
 * One 0/1 column per level. Keeps the `maxCategories` most frequent levels with at least
 * `minFrequency` rows; rarer ones (and, with handleUnknown 'other', unseen ones) share `__other__`.
 * @example
 * const enc = new OneHotEncoder({ maxCategories: 10 }).fit(train)
 * enc.outputNames // ['city=Berlin', 'city=Paris', 'city=__other__']
 */
export class OneHotEncoder implements Transformer<OneHotEncoderParams, FittedOneHotEncoder> {
  readonly kind = 'one-hot-encoder'
  private readonly params: OneHotEncoderParams

  constructor(params: Partial<OneHotEncoderParams> = {}) {
    this.params = { maxCategories: 50, minFrequency: 1, handleUnknown: 'ignore', ...params }
    if (!(this.params.maxCategories >= 1)) throw new InvalidArgumentError('maxCategories must be >= 1.')
  }

  getParams(): OneHotEncoderParams {
    return { ...this.params }
  }

  fit(ds: Dataset): FittedOneHotEncoder {
    const columns = pickColumns(ds, this.params.columns, (c) => c.kind === 'categorical')
    const levels: string[][] = []
    const hasOther: boolean[] = []
    const minCount =
      this.params.minFrequency < 1 ? this.params.minFrequency * ds.nRows : this.params.minFrequency
    for (const name of columns) {
      const counts = levelCounts(getColumn(ds, name))
      const frequent = [...counts.entries()]
        .filter(([, n]) => n >= minCount)
        .sort((a, b) => b[1] - a[1] || compareLevels(a[0], b[0]))
        .slice(0, this.params.maxCategories)
        .map(([l]) => l)
        .sort(compareLevels)
      levels.push(frequent)
      hasOther.push(frequent.length < counts.size || this.params.handleUnknown === 'other')
    }
    return new FittedOneHotEncoder(this.params, { columns, levels, hasOther })
  }

  fitTransform(ds: Dataset): { fitted: FittedOneHotEncoder; output: Dataset } {
    const fitted = this.fit(ds)
    return { fitted, output: fitted.transform(ds) }
  }
}

/** Params of `OrdinalEncoder`. */
export interface OrdinalEncoderParams {
  /** Output for levels not seen at fit time (default NaN, i.e. missing). */
  readonly unknownValue: number | null
  readonly columns?: readonly string[]
}

/** A fitted ordinal encoder: the index of the level in the fitted (sorted) levels; missing → NaN. */
export class FittedOrdinalEncoder implements FittedTransformer {
  readonly kind = 'ordinal-encoder'
  readonly inputColumns: readonly string[]
  readonly outputNames: readonly string[]

  constructor(
    readonly params: OrdinalEncoderParams,
    readonly columns: readonly string[],
    readonly levels: readonly (readonly string[])[],
  ) {
    this.inputColumns = columns
    this.outputNames = columns
  }

  transform(ds: Dataset): Dataset {
    const unknown = this.params.unknownValue ?? Number.NaN
    const out: Column[] = this.columns.map((name, i) => {
      const col = getColumn(ds, name)
      const index = new Map(this.levels[i]!.map((l, j) => [l, j]))
      const values = new Float64Array(ds.nRows)
      for (let r = 0; r < ds.nRows; r++) {
        const k = keyAt(col, r)
        values[r] = k === null ? Number.NaN : (index.get(k) ?? unknown)
      }
      return { kind: 'numeric', name, values }
    })
    return { nRows: ds.nRows, columns: out }
  }

  toJSON(): Artifact {
    return makeArtifact({
      format: 'transformer',
      formatVersion: 1,
      kind: this.kind,
      params: this.params,
      state: { columns: this.columns, levels: this.levels },
      featureNames: this.outputNames,
    })
  }

  /** Reads an artifact written by `toJSON`. */
  static fromJSON(artifact: Artifact<unknown, unknown>): FittedOrdinalEncoder {
    const levels = stateField(artifact.state, 'levels')
    if (
      !Array.isArray(levels) ||
      !levels.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))
    )
      throw new InvalidArgumentError('Ordinal artifact levels must be arrays of strings.')
    return new FittedOrdinalEncoder(
      artifact.params as OrdinalEncoderParams,
      stateStrings(artifact.state, 'columns'),
      levels as string[][],
    )
  }
}
registerTransformerReader('ordinal-encoder', (a) => FittedOrdinalEncoder.fromJSON(a))

/**
 * Encodes each level as its index among the sorted fitted levels (for tree models).
 * @example
 * const enc = new OrdinalEncoder().fit(train) // 'Berlin' -> 0, 'Paris' -> 1, unseen -> NaN
 */
export class OrdinalEncoder implements Transformer<OrdinalEncoderParams, FittedOrdinalEncoder> {
  readonly kind = 'ordinal-encoder'
  private readonly params: OrdinalEncoderParams

  constructor(params: Partial<OrdinalEncoderParams> = {}) {
    this.params = { unknownValue: null, ...params }
  }

  getParams(): OrdinalEncoderParams {
    return { ...this.params }
  }

  fit(ds: Dataset): FittedOrdinalEncoder {
    const columns = pickColumns(ds, this.params.columns, (c) => c.kind === 'categorical')
    const levels = columns.map((name) => [...levelCounts(getColumn(ds, name)).keys()].sort(compareLevels))
    return new FittedOrdinalEncoder(this.params, columns, levels)
  }

  fitTransform(ds: Dataset): { fitted: FittedOrdinalEncoder; output: Dataset } {
    const fitted = this.fit(ds)
    return { fitted, output: fitted.transform(ds) }
  }
}

/** Params of `TargetEncoder`. */
export interface TargetEncoderParams {
  /** Pseudo-count pulling rare levels towards the overall mean (m-estimate smoothing). */
  readonly smoothing: number
  /** Folds for the out-of-fold encoding of training rows in `fitTransform`. */
  readonly folds: number
  readonly seed: number
  readonly columns?: readonly string[]
}

/** A fitted target encoder: per-level smoothed target mean from all training rows; unseen/missing → prior. */
export class FittedTargetEncoder implements FittedTransformer {
  readonly kind = 'target-encoder'
  readonly inputColumns: readonly string[]
  readonly outputNames: readonly string[]

  constructor(
    readonly params: TargetEncoderParams,
    readonly columns: readonly string[],
    readonly levels: readonly (readonly string[])[],
    /** Encoded value per level, concatenated over columns in `levels` order. */
    readonly encodings: Float64Array,
    readonly prior: number,
  ) {
    this.inputColumns = columns
    this.outputNames = columns.map((c) => `${c}__te`)
  }

  transform(ds: Dataset): Dataset {
    let offset = 0
    const out: Column[] = this.columns.map((name, i) => {
      const col = getColumn(ds, name)
      const levels = this.levels[i]!
      const index = new Map(levels.map((l, j) => [l, j]))
      const values = new Float64Array(ds.nRows)
      for (let r = 0; r < ds.nRows; r++) {
        const k = keyAt(col, r)
        const j = k === null ? undefined : index.get(k)
        values[r] = j === undefined ? this.prior : this.encodings[offset + j]!
      }
      offset += levels.length
      return { kind: 'numeric', name: `${name}__te`, values }
    })
    return { nRows: ds.nRows, columns: out }
  }

  toJSON(): Artifact {
    return makeArtifact({
      format: 'transformer',
      formatVersion: 1,
      kind: this.kind,
      params: this.params,
      state: {
        columns: this.columns,
        levels: this.levels,
        encodings: encodeArray(this.encodings),
        prior: this.prior,
      },
      featureNames: this.outputNames,
    })
  }

  /** Reads an artifact written by `toJSON`. */
  static fromJSON(artifact: Artifact<unknown, unknown>): FittedTargetEncoder {
    const s = artifact.state
    const levels = stateField(s, 'levels')
    const prior = stateField(s, 'prior')
    if (
      !Array.isArray(levels) ||
      !levels.every((l) => Array.isArray(l) && l.every((x) => typeof x === 'string'))
    )
      throw new InvalidArgumentError('Target-encoder artifact levels must be arrays of strings.')
    if (typeof prior !== 'number')
      throw new InvalidArgumentError('Target-encoder artifact prior must be a number.')
    return new FittedTargetEncoder(
      artifact.params as TargetEncoderParams,
      stateStrings(s, 'columns'),
      levels as string[][],
      stateF64(s, 'encodings'),
      prior,
    )
  }
}
registerTransformerReader('target-encoder', (a) => FittedTargetEncoder.fromJSON(a))

/**
 * Replaces each level by the smoothed mean of the target over training rows with that level
 * ((sum + m·prior) / (count + m)). `fitTransform` encodes each training row with statistics from the
 * other folds only, so a model trained on the output cannot see its own row's target; `transform`
 * (validation, test, serving) uses statistics from all training rows.
 * @example
 * const { fitted, output } = new TargetEncoder({ smoothing: 20 }).fitTransform(train, yTrain)
 * const testEncoded = fitted.transform(test)
 */
export class TargetEncoder implements Transformer<TargetEncoderParams, FittedTargetEncoder> {
  readonly kind = 'target-encoder'
  private readonly params: TargetEncoderParams

  constructor(params: Partial<TargetEncoderParams> = {}) {
    this.params = { smoothing: 10, folds: 5, seed: 0, ...params }
    if (!(this.params.smoothing >= 0)) throw new InvalidArgumentError('smoothing must be >= 0.')
    if (!Number.isInteger(this.params.folds) || this.params.folds < 2)
      throw new InvalidArgumentError('folds must be an integer >= 2.')
  }

  getParams(): TargetEncoderParams {
    return { ...this.params }
  }

  private checkTarget(ds: Dataset, y: Float64Array | undefined): Float64Array {
    if (y === undefined)
      throw new InvalidArgumentError(
        'TargetEncoder needs the target y (numeric: 0/1 for binary, values for regression).',
      )
    if (y.length !== ds.nRows)
      throw new InvalidArgumentError(`y has ${y.length} values; the dataset has ${ds.nRows} rows.`)
    return y
  }

  /** Fits on the rows where `use[r]` is 1 (all rows when absent). */
  private fitRows(ds: Dataset, y: Float64Array, use?: Uint8Array): FittedTargetEncoder {
    const columns = pickColumns(ds, this.params.columns, (c) => c.kind === 'categorical')
    let total = 0
    let n = 0
    for (let r = 0; r < ds.nRows; r++) {
      if ((use !== undefined && use[r] === 0) || Number.isNaN(y[r]!)) continue
      total += y[r]!
      n++
    }
    const prior = n === 0 ? 0 : total / n
    const m = this.params.smoothing
    const levels: string[][] = []
    const encodings: number[] = []
    for (const name of columns) {
      const col = getColumn(ds, name)
      const sums = new Map<string, { sum: number; count: number }>()
      for (let r = 0; r < ds.nRows; r++) {
        if ((use !== undefined && use[r] === 0) || Number.isNaN(y[r]!)) continue
        const k = keyAt(col, r)
        if (k === null) continue
        const s = sums.get(k) ?? { sum: 0, count: 0 }
        s.sum += y[r]!
        s.count++
        sums.set(k, s)
      }
      const sorted = [...sums.keys()].sort(compareLevels)
      levels.push(sorted)
      for (const l of sorted) {
        const s = sums.get(l)!
        encodings.push((s.sum + m * prior) / (s.count + m))
      }
    }
    return new FittedTargetEncoder(this.params, columns, levels, Float64Array.from(encodings), prior)
  }

  fit(ds: Dataset, y?: Float64Array): FittedTargetEncoder {
    return this.fitRows(ds, this.checkTarget(ds, y))
  }

  fitTransform(ds: Dataset, y?: Float64Array): { fitted: FittedTargetEncoder; output: Dataset } {
    const target = this.checkTarget(ds, y)
    const fitted = this.fitRows(ds, target)
    const k = Math.min(this.params.folds, Math.max(2, ds.nRows))
    const fold = new Int32Array(ds.nRows)
    const perm = new Rng(this.params.seed).permutation(ds.nRows)
    for (let i = 0; i < perm.length; i++) fold[perm[i]!] = i % k
    const columns = fitted.outputNames.map((name) => ({
      kind: 'numeric' as const,
      name,
      values: new Float64Array(ds.nRows),
    }))
    for (let f = 0; f < k; f++) {
      const use = Uint8Array.from(fold, (v) => (v === f ? 0 : 1))
      const partial = this.fitRows(ds, target, use).transform(ds)
      for (let c = 0; c < columns.length; c++) {
        const src = partial.columns[c]!
        if (src.kind === 'categorical') continue
        for (let r = 0; r < ds.nRows; r++) if (fold[r] === f) columns[c]!.values[r] = src.values[r]!
      }
    }
    return { fitted, output: { nRows: ds.nRows, columns } }
  }
}
