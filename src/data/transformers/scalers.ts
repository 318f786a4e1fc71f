import { type Artifact, encodeArray, makeArtifact } from '../../core/index.js'
import type { Column, Dataset } from '../dataset.js'
import { getColumn } from '../dataset.js'
import {
  type FittedTransformer,
  numericOf,
  pickColumns,
  registerTransformerReader,
  stateF64,
  stateStrings,
  type Transformer,
} from './transformer.js'

/** Params of `StandardScaler`. */
export interface StandardScalerParams {
  readonly withMean: boolean
  readonly withStd: boolean
  /** Columns to scale (default: every non-categorical column). */
  readonly columns?: readonly string[]
}

/** Params of `RobustScaler`. */
export interface RobustScalerParams {
  /** Lower and upper percentiles whose distance is the scale (default [25, 75]). */
  readonly quantileRange: readonly [number, number]
  readonly columns?: readonly string[]
}

/** A fitted affine scaler: (x - center) / scale per column; NaN stays NaN. */
export class FittedScaler implements FittedTransformer {
  readonly inputColumns: readonly string[]
  readonly outputNames: readonly string[]

  constructor(
    readonly kind: 'standard-scaler' | 'robust-scaler',
    readonly params: StandardScalerParams | RobustScalerParams,
    readonly columns: readonly string[],
    readonly center: Float64Array,
    readonly scale: Float64Array,
  ) {
    this.inputColumns = columns
    this.outputNames = columns
  }

  transform(ds: Dataset): Dataset {
    const out: Column[] = this.columns.map((name, i) => {
      const x = numericOf(getColumn(ds, name), this.kind)
      const c = this.center[i]!
      const s = this.scale[i]!
      const values = new Float64Array(x.length)
      for (let r = 0; r < x.length; r++) values[r] = (x[r]! - c) / s
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
      state: { columns: this.columns, center: encodeArray(this.center), scale: encodeArray(this.scale) },
      featureNames: this.outputNames,
    })
  }

  /** Reads an artifact written by `toJSON` (either scaler kind). */
  static fromJSON(artifact: Artifact<unknown, unknown>): FittedScaler {
    const s = artifact.state
    return new FittedScaler(
      artifact.kind === 'robust-scaler' ? 'robust-scaler' : 'standard-scaler',
      artifact.params as StandardScalerParams,
      stateStrings(s, 'columns'),
      stateF64(s, 'center'),
      stateF64(s, 'scale'),
    )
  }
}
registerTransformerReader('standard-scaler', (a) => FittedScaler.fromJSON(a))
registerTransformerReader('robust-scaler', (a) => FittedScaler.fromJSON(a))

function present(x: Float64Array): Float64Array {
  const out: number[] = []
  for (const v of x) if (!Number.isNaN(v)) out.push(v)
  return Float64Array.from(out)
}

/** A zero scale would divide by zero; such (constant) columns are only centred. */
function safeScale(s: number): number {
  return s > 0 && Number.isFinite(s) ? s : 1
}

/**
 * Standardises columns to zero mean and unit variance (population std), ignoring missing values.
 * @example
 * const scaler = new StandardScaler().fit(train)
 * const z = scaler.transform(test)
 */
export class StandardScaler implements Transformer<StandardScalerParams, FittedScaler> {
  readonly kind = 'standard-scaler'
  private readonly params: StandardScalerParams

  constructor(params: Partial<StandardScalerParams> = {}) {
    this.params = { withMean: true, withStd: true, ...params }
  }

  getParams(): StandardScalerParams {
    return { ...this.params }
  }

  fit(ds: Dataset): FittedScaler {
    const columns = pickColumns(ds, this.params.columns, (c) => c.kind !== 'categorical')
    const center = new Float64Array(columns.length)
    const scale = new Float64Array(columns.length)
    for (const [i, name] of columns.entries()) {
      const x = present(numericOf(getColumn(ds, name), 'StandardScaler'))
      let mean = 0
      for (const v of x) mean += v
      mean = x.length === 0 ? 0 : mean / x.length
      let ss = 0
      for (const v of x) ss += (v - mean) * (v - mean)
      center[i] = this.params.withMean ? mean : 0
      scale[i] = this.params.withStd ? safeScale(Math.sqrt(x.length === 0 ? 0 : ss / x.length)) : 1
    }
    return new FittedScaler('standard-scaler', this.params, columns, center, scale)
  }

  fitTransform(ds: Dataset): { fitted: FittedScaler; output: Dataset } {
    const fitted = this.fit(ds)
    return { fitted, output: fitted.transform(ds) }
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0
  const pos = (sorted.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/**
 * Centres on the median and divides by the inter-quartile range, so outliers do not set the scale.
 * @example
 * const scaler = new RobustScaler({ quantileRange: [10, 90] }).fit(train)
 */
export class RobustScaler implements Transformer<RobustScalerParams, FittedScaler> {
  readonly kind = 'robust-scaler'
  private readonly params: RobustScalerParams

  constructor(params: Partial<RobustScalerParams> = {}) {
    this.params = { quantileRange: [25, 75], ...params }
  }

  getParams(): RobustScalerParams {
    return { ...this.params }
  }

  fit(ds: Dataset): FittedScaler {
    const columns = pickColumns(ds, this.params.columns, (c) => c.kind !== 'categorical')
    const center = new Float64Array(columns.length)
    const scale = new Float64Array(columns.length)
    const [lo, hi] = this.params.quantileRange
    for (const [i, name] of columns.entries()) {
      const x = present(numericOf(getColumn(ds, name), 'RobustScaler')).sort()
      center[i] = quantile(x, 0.5)
      scale[i] = safeScale(quantile(x, hi / 100) - quantile(x, lo / 100))
    }
    return new FittedScaler('robust-scaler', this.params, columns, center, scale)
  }

  fitTransform(ds: Dataset): { fitted: FittedScaler; output: Dataset } {
    const fitted = this.fit(ds)
    return { fitted, output: fitted.transform(ds) }
  }
}
