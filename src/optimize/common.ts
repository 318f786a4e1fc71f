/** Helpers shared by the optimizers: targets of a dataset in a bundle's coding, typed errors. */
import { AppError, InvalidArgumentError } from '../core/index.js'
import { type Dataset, getColumn } from '../data/index.js'
import type { ModelBundle } from '../pipeline/index.js'

/**
 * The bundle's target column in `ds` as the model's targets: class codes in `bundle.classes`
 * order, or values for regression. Rows whose target is missing or a class the bundle does not
 * know are left out (`rows` lists the kept ones).
 * @throws InvalidArgumentError when `ds` has no target column or no usable row
 */
export function bundleTargets(bundle: ModelBundle, ds: Dataset): { y: Float64Array; rows: Int32Array } {
  const column = getColumn(ds, bundle.target)
  const y: number[] = []
  const rows: number[] = []
  if (bundle.task === 'regression') {
    if (column.kind === 'categorical')
      throw new InvalidArgumentError(`Target '${bundle.target}' is categorical; the model is a regressor.`)
    column.values.forEach((v, i) => {
      if (Number.isFinite(v)) {
        y.push(v)
        rows.push(i)
      }
    })
  } else {
    const index = new Map(bundle.classes.map((c, i) => [c, i]))
    for (let i = 0; i < ds.nRows; i++) {
      // The label text as the bundle's classes were named (see pipeline/labels.ts).
      let label: string | null
      if (column.kind === 'categorical')
        label = column.codes[i]! < 0 ? null : column.levels[column.codes[i]!]!
      else {
        const v = column.values[i]!
        label = Number.isNaN(v) ? null : column.kind === 'boolean' ? (v === 1 ? 'true' : 'false') : String(v)
      }
      const code = label === null ? undefined : index.get(label)
      if (code === undefined) continue
      y.push(code)
      rows.push(i)
    }
  }
  if (y.length === 0)
    throw new InvalidArgumentError(
      `No row of the data has a usable '${bundle.target}' target for this model.`,
    )
  return { y: Float64Array.from(y), rows: Int32Array.from(rows) }
}

/** The error for a model kind an optimization does not apply to, naming the kinds it takes. */
export function unsupportedKind(operation: string, kind: string, supported: readonly string[]): AppError {
  return new AppError(
    'OPTIMIZE_UNSUPPORTED',
    `Cannot ${operation} a '${kind}' model. Supported kinds: ${supported.join(', ')}.`,
    { details: { reason: 'unsupported-model-kind', operation, kind, supported: [...supported] } },
  )
}
