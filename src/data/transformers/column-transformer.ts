import {
  type Artifact,
  checkArtifact,
  InvalidArgumentError,
  type Matrix,
  makeArtifact,
} from '../../core/index.js'
import { type Column, type Dataset, getColumn, selectColumns } from '../dataset.js'
import {
  OneHotEncoder,
  type OneHotEncoderParams,
  OrdinalEncoder,
  type OrdinalEncoderParams,
  TargetEncoder,
  type TargetEncoderParams,
} from './encoders.js'
import {
  RobustScaler,
  type RobustScalerParams,
  StandardScaler,
  type StandardScalerParams,
} from './scalers.js'
import { SimpleImputer, type SimpleImputerParams } from './simple-imputer.js'
import {
  type FittedTransformer,
  loadTransformer,
  registerTransformerReader,
  stateField,
  stateStrings,
  type Transformer,
} from './transformer.js'

/** A transformer named by kind with its params: plain JSON, so it can live in params and task files. */
export type TransformerSpec =
  | { readonly kind: 'simple-imputer'; readonly params?: Partial<SimpleImputerParams> }
  | { readonly kind: 'standard-scaler'; readonly params?: Partial<StandardScalerParams> }
  | { readonly kind: 'robust-scaler'; readonly params?: Partial<RobustScalerParams> }
  | { readonly kind: 'one-hot-encoder'; readonly params?: Partial<OneHotEncoderParams> }
  | { readonly kind: 'ordinal-encoder'; readonly params?: Partial<OrdinalEncoderParams> }
  | { readonly kind: 'target-encoder'; readonly params?: Partial<TargetEncoderParams> }

/** Builds the unfitted transformer a spec names. */
export function makeTransformer(spec: TransformerSpec): Transformer {
  switch (spec.kind) {
    case 'simple-imputer':
      return new SimpleImputer(spec.params)
    case 'standard-scaler':
      return new StandardScaler(spec.params)
    case 'robust-scaler':
      return new RobustScaler(spec.params)
    case 'one-hot-encoder':
      return new OneHotEncoder(spec.params)
    case 'ordinal-encoder':
      return new OrdinalEncoder(spec.params)
    case 'target-encoder':
      return new TargetEncoder(spec.params)
  }
}

/** One branch: these columns go through these transformers in order. */
export interface ColumnTransformerStep {
  readonly name: string
  readonly columns: readonly string[]
  readonly transformers: readonly TransformerSpec[]
}

/** Params of `ColumnTransformer`. */
export interface ColumnTransformerParams {
  readonly steps: readonly ColumnTransformerStep[]
  /** Columns no step names: dropped, or passed through when numeric/boolean/datetime. */
  readonly remainder: 'drop' | 'passthrough'
}

function toMatrix(blocks: readonly Dataset[], nRows: number): { x: Matrix; names: string[] } {
  const cols: Column[] = blocks.flatMap((b) => [...b.columns])
  const names = cols.map((c) => c.name)
  const nCols = cols.length
  const data = new Float64Array(nRows * nCols)
  cols.forEach((col, c) => {
    if (col.kind === 'categorical') {
      throw new InvalidArgumentError(
        `Column '${col.name}' is still categorical at the end of its step; add an encoder (one-hot, ordinal or target) to that step.`,
      )
    }
    const v = col.values
    for (let r = 0; r < nRows; r++) data[r * nCols + c] = v[r]!
  })
  return { x: { rows: nRows, cols: nCols, data }, names }
}

/** A fitted column transformer: dataset in, row-major feature matrix out. */
export class FittedColumnTransformer {
  readonly kind = 'column-transformer'
  readonly featureNames: readonly string[]
  readonly inputColumns: readonly string[]

  constructor(
    readonly params: ColumnTransformerParams,
    readonly steps: readonly {
      readonly name: string
      readonly columns: readonly string[]
      readonly fitted: readonly FittedTransformer[]
    }[],
    readonly passthrough: readonly string[],
    featureNames: readonly string[],
  ) {
    this.featureNames = featureNames
    this.inputColumns = [...new Set([...steps.flatMap((s) => s.columns), ...passthrough])]
  }

  /** Transforms a dataset (validation, test, serving rows) into the feature matrix. */
  transform(ds: Dataset): Matrix {
    const blocks = this.steps.map((step) => {
      let out = selectColumns(ds, step.columns)
      for (const f of step.fitted) out = f.transform(out)
      return out
    })
    blocks.push(selectColumns(ds, this.passthrough))
    return toMatrix(blocks, ds.nRows).x
  }

  toJSON(): Artifact {
    return makeArtifact({
      format: 'transformer',
      formatVersion: 1,
      kind: this.kind,
      params: this.params,
      state: {
        steps: this.steps.map((s) => ({
          name: s.name,
          columns: s.columns,
          fitted: s.fitted.map((f) => f.toJSON()),
        })),
        passthrough: this.passthrough,
      },
      featureNames: this.featureNames,
    })
  }

  /** Reads an artifact written by `toJSON` (each inner transformer through `loadTransformer`). */
  static fromJSON(value: unknown): FittedColumnTransformer {
    const artifact = checkArtifact(value, {
      format: 'transformer',
      kind: 'column-transformer',
      maxVersion: 1,
    })
    const steps = stateField(artifact.state, 'steps')
    if (!Array.isArray(steps))
      throw new InvalidArgumentError('Column-transformer artifact steps must be an array.')
    return new FittedColumnTransformer(
      artifact.params as ColumnTransformerParams,
      steps.map((s: unknown) => {
        const fitted = stateField(s, 'fitted')
        if (!Array.isArray(fitted))
          throw new InvalidArgumentError('Column-transformer step lacks fitted transformers.')
        return {
          name: String(stateField(s, 'name')),
          columns: stateStrings(s, 'columns'),
          fitted: fitted.map(loadTransformer),
        }
      }),
      stateStrings(artifact.state, 'passthrough'),
      artifact.featureNames,
    )
  }
}
registerTransformerReader(
  'column-transformer',
  (a) => FittedColumnTransformer.fromJSON(a) as unknown as FittedTransformer,
)

/**
 * Applies different transformer chains to different columns and concatenates the results into one
 * matrix with named features (like scikit-learn's ColumnTransformer). Fit it on training rows only.
 * @example
 * const ct = new ColumnTransformer({
 *   steps: [
 *     { name: 'num', columns: ['age', 'income'], transformers: [{ kind: 'simple-imputer', params: { addIndicator: true } }, { kind: 'standard-scaler' }] },
 *     { name: 'cat', columns: ['city'], transformers: [{ kind: 'one-hot-encoder', params: { maxCategories: 20 } }] },
 *   ],
 * })
 * const { fitted, x } = ct.fitTransform(train, yTrain)
 * const xTest = fitted.transform(test) // same columns as fitted.featureNames
 */
export class ColumnTransformer {
  readonly kind = 'column-transformer'
  private readonly params: ColumnTransformerParams

  constructor(params: Partial<ColumnTransformerParams> & Pick<ColumnTransformerParams, 'steps'>) {
    this.params = { remainder: 'drop', ...params }
    const names = new Set<string>()
    for (const s of this.params.steps) {
      if (names.has(s.name)) throw new InvalidArgumentError(`Step name '${s.name}' is used twice.`)
      names.add(s.name)
      for (const t of s.transformers) makeTransformer(t)
    }
  }

  getParams(): ColumnTransformerParams {
    return { ...this.params }
  }

  /** Fits on the training rows and returns their matrix (target encoders use out-of-fold values here). */
  fitTransform(ds: Dataset, y?: Float64Array): { fitted: FittedColumnTransformer; x: Matrix } {
    const claimed = new Set(this.params.steps.flatMap((s) => s.columns))
    const passthrough: string[] = []
    if (this.params.remainder === 'passthrough') {
      const leftoverCategorical: string[] = []
      for (const col of ds.columns) {
        if (claimed.has(col.name)) continue
        if (col.kind === 'categorical') leftoverCategorical.push(col.name)
        else passthrough.push(col.name)
      }
      if (leftoverCategorical.length > 0) {
        throw new InvalidArgumentError(
          `Categorical column(s) ${leftoverCategorical.join(', ')} are in no step; add them to an encoder step or use remainder 'drop'.`,
        )
      }
    }
    const steps: { name: string; columns: readonly string[]; fitted: FittedTransformer[] }[] = []
    const blocks: Dataset[] = []
    for (const step of this.params.steps) {
      for (const c of step.columns) getColumn(ds, c)
      let out = selectColumns(ds, step.columns)
      const fitted: FittedTransformer[] = []
      for (const spec of step.transformers) {
        const r = makeTransformer(spec).fitTransform(out, y)
        fitted.push(r.fitted)
        out = r.output
      }
      steps.push({ name: step.name, columns: step.columns, fitted })
      blocks.push(out)
    }
    blocks.push(selectColumns(ds, passthrough))
    const { x, names } = toMatrix(blocks, ds.nRows)
    const dup = names.find((n, i) => names.indexOf(n) !== i)
    if (dup !== undefined)
      throw new InvalidArgumentError(
        `Output feature '${dup}' is produced twice; list each column in one step only.`,
      )
    return { fitted: new FittedColumnTransformer(this.params, steps, passthrough, names), x }
  }

  fit(ds: Dataset, y?: Float64Array): FittedColumnTransformer {
    return this.fitTransform(ds, y).fitted
  }
}
