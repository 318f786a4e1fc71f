import { type Artifact, encodeArray, InvalidArgumentError, makeArtifact } from '../../core/index.js'
import { type Column, compareLevels, type Dataset, getColumn } from '../dataset.js'
import {
  type FittedTransformer,
  registerTransformerReader,
  stateF64,
  stateStrings,
  type Transformer,
} from './transformer.js'

/** Params of `SimpleImputer`. */
export interface SimpleImputerParams {
  /** median/mean apply to numeric columns; categorical columns then use most_frequent. */
  readonly strategy: 'median' | 'mean' | 'constant' | 'most_frequent'
  /** Fill value for `constant` (number for numeric columns, string for categorical). */
  readonly fillValue?: number | string
  /** Adds `<name>__missing` 0/1 columns for columns that had missing values at fit time. */
  readonly addIndicator: boolean
  /** Columns to impute (default: all). */
  readonly columns?: readonly string[]
}

const DEFAULTS: SimpleImputerParams = { strategy: 'median', addIndicator: false }

interface ImputerState {
  readonly columns: readonly string[]
  /** Fill per column for non-categorical columns (NaN for categorical). */
  readonly numericFill: Float64Array
  /** Fill level per column for categorical columns ('' for others). */
  readonly levelFill: readonly string[]
  /** Columns that get an indicator. */
  readonly indicators: readonly string[]
}

function median(values: number[]): number {
  values.sort((a, b) => a - b)
  const n = values.length
  if (n === 0) return 0
  return n % 2 === 1 ? values[(n - 1) / 2]! : (values[n / 2 - 1]! + values[n / 2]!) / 2
}

function mostFrequent(col: Column): { numeric: number; level: string } {
  if (col.kind === 'categorical') {
    const counts = new Int32Array(col.levels.length)
    for (const c of col.codes) if (c >= 0) counts[c]!++
    let best = -1
    for (let l = 0; l < counts.length; l++) if (best < 0 || counts[l]! > counts[best]!) best = l
    return { numeric: Number.NaN, level: best < 0 || counts[best] === 0 ? 'missing' : col.levels[best]! }
  }
  const counts = new Map<number, number>()
  for (const v of col.values) if (!Number.isNaN(v)) counts.set(v, (counts.get(v) ?? 0) + 1)
  let best = 0
  let bestCount = 0
  for (const [v, c] of counts) if (c > bestCount || (c === bestCount && v < best)) [best, bestCount] = [v, c]
  return { numeric: best, level: '' }
}

/** A fitted imputer. */
export class FittedSimpleImputer implements FittedTransformer {
  readonly kind = 'simple-imputer'
  readonly inputColumns: readonly string[]
  readonly outputNames: readonly string[]

  constructor(
    readonly params: SimpleImputerParams,
    readonly state: ImputerState,
  ) {
    this.inputColumns = state.columns
    this.outputNames = [...state.columns, ...state.indicators.map((c) => `${c}__missing`)]
  }

  transform(ds: Dataset): Dataset {
    const out: Column[] = []
    const indicatorCols: Column[] = []
    const wantIndicator = new Set(this.state.indicators)
    this.state.columns.forEach((name, i) => {
      const col = getColumn(ds, name)
      const indicator = new Float64Array(ds.nRows)
      if (col.kind === 'categorical') {
        const fill = this.state.levelFill[i] ?? 'missing'
        const levels = col.levels.includes(fill) ? [...col.levels] : [...col.levels, fill].sort(compareLevels)
        const remap = Int32Array.from(col.levels, (l) => levels.indexOf(l))
        const fillCode = levels.indexOf(fill)
        const codes = new Int32Array(ds.nRows)
        for (let r = 0; r < ds.nRows; r++) {
          const c = col.codes[r]!
          if (c < 0) indicator[r] = 1
          codes[r] = c < 0 ? fillCode : remap[c]!
        }
        out.push({ kind: 'categorical', name, codes, levels })
      } else {
        const fill = this.state.numericFill[i]!
        const values = new Float64Array(ds.nRows)
        for (let r = 0; r < ds.nRows; r++) {
          const v = col.values[r]!
          if (Number.isNaN(v)) indicator[r] = 1
          values[r] = Number.isNaN(v) ? fill : v
        }
        out.push({ kind: col.kind, name, values })
      }
      if (wantIndicator.has(name))
        indicatorCols.push({ kind: 'numeric', name: `${name}__missing`, values: indicator })
    })
    return { nRows: ds.nRows, columns: [...out, ...indicatorCols] }
  }

  toJSON(): Artifact {
    return makeArtifact({
      format: 'transformer',
      formatVersion: 1,
      kind: this.kind,
      params: this.params,
      state: {
        columns: this.state.columns,
        numericFill: encodeArray(this.state.numericFill),
        levelFill: this.state.levelFill,
        indicators: this.state.indicators,
      },
      featureNames: this.outputNames,
    })
  }

  /** Reads an artifact written by `toJSON`. */
  static fromJSON(artifact: Artifact<unknown, unknown>): FittedSimpleImputer {
    const s = artifact.state
    return new FittedSimpleImputer(artifact.params as SimpleImputerParams, {
      columns: stateStrings(s, 'columns'),
      numericFill: stateF64(s, 'numericFill'),
      levelFill: stateStrings(s, 'levelFill'),
      indicators: stateStrings(s, 'indicators'),
    })
  }
}
registerTransformerReader('simple-imputer', (a) => FittedSimpleImputer.fromJSON(a))

/**
 * Fills missing values: median/mean (numeric), most frequent, or a constant, optionally adding a
 * 0/1 missing-indicator column per column that had gaps at fit time.
 * @example
 * const imputer = new SimpleImputer({ strategy: 'median', addIndicator: true }).fit(train)
 * const filled = imputer.transform(test)
 */
export class SimpleImputer implements Transformer<SimpleImputerParams, FittedSimpleImputer> {
  readonly kind = 'simple-imputer'
  private readonly params: SimpleImputerParams

  constructor(params: Partial<SimpleImputerParams> = {}) {
    this.params = { ...DEFAULTS, ...params }
    if (this.params.strategy === 'constant' && this.params.fillValue === undefined)
      throw new InvalidArgumentError("SimpleImputer strategy 'constant' needs fillValue.")
  }

  getParams(): SimpleImputerParams {
    return { ...this.params }
  }

  fit(ds: Dataset): FittedSimpleImputer {
    const columns = this.params.columns ?? ds.columns.map((c) => c.name)
    const numericFill = new Float64Array(columns.length)
    const levelFill: string[] = []
    const indicators: string[] = []
    for (const [i, name] of columns.entries()) {
      const col = getColumn(ds, name)
      let hasMissing = false
      if (col.kind === 'categorical') {
        for (const c of col.codes) if (c < 0) hasMissing = true
        numericFill[i] = Number.NaN
        const fv = this.params.fillValue
        levelFill.push(
          this.params.strategy === 'constant'
            ? typeof fv === 'string'
              ? fv
              : String(fv)
            : mostFrequent(col).level,
        )
      } else {
        const present: number[] = []
        for (const v of col.values) {
          if (Number.isNaN(v)) hasMissing = true
          else present.push(v)
        }
        let fill: number
        switch (this.params.strategy) {
          case 'median':
            fill = median(present)
            break
          case 'mean':
            fill = present.length === 0 ? 0 : present.reduce((s, v) => s + v, 0) / present.length
            break
          case 'most_frequent':
            fill = mostFrequent(col).numeric
            break
          case 'constant': {
            const fv = Number(this.params.fillValue)
            if (Number.isNaN(fv))
              throw new InvalidArgumentError(
                `fillValue ${JSON.stringify(this.params.fillValue)} is not a number; column '${name}' is ${col.kind}.`,
              )
            fill = fv
            break
          }
        }
        numericFill[i] = fill
        levelFill.push('')
      }
      if (this.params.addIndicator && hasMissing) indicators.push(name)
    }
    return new FittedSimpleImputer(this.params, { columns, numericFill, levelFill, indicators })
  }

  fitTransform(ds: Dataset): { fitted: FittedSimpleImputer; output: Dataset } {
    const fitted = this.fit(ds)
    return { fitted, output: fitted.transform(ds) }
  }
}
