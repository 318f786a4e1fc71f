import { AppError, type Matrix } from '../core/index.js'
import { treeShap } from '../eval/index.js'
import type { FittedModel, HasTrees } from '../models/index.js'
import type { ModelBundle } from './bundle.js'
import type { FeatureRecord } from './encoder.js'

/** One input feature's contribution to a prediction (in the model's raw margin units). */
export interface FeatureContribution {
  readonly feature: string
  readonly contribution: number
}

interface LinearLike {
  coefficients(): {
    nOutputs: number
    standardized: { coef: Float64Array }
    mean: Float64Array
    scale: Float64Array
  }
}

function hasTrees(model: FittedModel): model is FittedModel & HasTrees {
  return typeof (model as Partial<HasTrees>).treeEnsemble === 'function'
}

function isLinear(model: FittedModel): model is FittedModel & LinearLike {
  return typeof (model as Partial<LinearLike>).coefficients === 'function'
}

/** For each encoded column, the index of the input feature it came from. */
export function encodedOwners(bundle: ModelBundle): Int32Array {
  const owners: number[] = []
  const { mode, features } = bundle.encoder.state
  features.forEach((f, i) => {
    let width = 1
    if (mode === 'onehot')
      width =
        f.kind === 'categorical' ? (f.oneHotLevels?.length ?? 0) + 2 : f.hasMissingIndicator === true ? 2 : 1
    for (let k = 0; k < width; k++) owners.push(i)
  })
  return Int32Array.from(owners)
}

/** Whether the bundle's model can be explained exactly (tree ensembles, linear models). */
export function isExplainable(bundle: ModelBundle): boolean {
  return hasTrees(bundle.model) || isLinear(bundle.model)
}

/**
 * Per-row contributions of each encoded column (rows × encoded columns) for one output:
 * exact TreeSHAP for trees, coefficient × standardised value for linear models.
 * `output` picks the class for multi-output models (default: positive class / first output).
 */
export function encodedContributions(
  bundle: ModelBundle,
  x: Matrix,
  output?: number,
): { values: Float64Array; expected: number } {
  const model = bundle.model
  if (hasTrees(model)) {
    const ensemble = model.treeEnsemble()
    const o = output ?? (ensemble.nOutputs === 2 ? 1 : 0)
    const shap = treeShap(ensemble, x)
    const values = new Float64Array(x.rows * x.cols)
    for (let r = 0; r < x.rows; r++) {
      const start = (r * shap.nOutputs + o) * shap.nFeatures
      values.set(shap.values.subarray(start, start + shap.nFeatures), r * x.cols)
    }
    return { values, expected: shap.expectedValue[o]! }
  }
  if (isLinear(model)) {
    const c = model.coefficients()
    const o = Math.min(output ?? 0, c.nOutputs - 1)
    const p = x.cols
    const values = new Float64Array(x.rows * p)
    for (let r = 0; r < x.rows; r++) {
      for (let j = 0; j < p; j++) {
        const raw = x.data[r * p + j]!
        const z = Number.isFinite(raw) && c.scale[j]! > 0 ? (raw - c.mean[j]!) / c.scale[j]! : 0
        values[r * p + j] = c.standardized.coef[o * p + j]! * z
      }
    }
    return { values, expected: 0 }
  }
  throw new AppError(
    'MODEL_NOT_EXPLAINABLE',
    `Model family '${bundle.family}' has no exact explanation; use a tree or linear model.`,
  )
}

/** Top contributions of input features to one row's prediction, largest magnitude first. */
export function explainBundleRow(
  bundle: ModelBundle,
  row: FeatureRecord,
  top: number,
): FeatureContribution[] {
  const x = bundle.encoder.encodeRecords([row])
  let output: number | undefined
  if (bundle.task === 'multiclass') {
    const labels = bundle.predictMatrix(x).labels
    output = Math.max(0, bundle.classes.indexOf(String(labels[0])))
  }
  const { values } = encodedContributions(bundle, x, output)
  const owners = encodedOwners(bundle)
  const sums = new Float64Array(bundle.features.length)
  for (let j = 0; j < x.cols; j++) sums[owners[j]!]! += values[j]!
  return bundle.features
    .map((f, i) => ({ feature: f.name, contribution: sums[i]! }))
    .sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution))
    .slice(0, Math.max(0, top))
}

/** Mean |contribution| per input feature over the rows of `x` (global importance). */
export function globalContributions(bundle: ModelBundle, x: Matrix): FeatureContribution[] {
  const { values } = encodedContributions(bundle, x)
  const owners = encodedOwners(bundle)
  const sums = new Float64Array(bundle.features.length)
  for (let r = 0; r < x.rows; r++) {
    // Sum one-hot columns per feature first, then take |.|: a feature's effect is their total.
    const rowSums = new Float64Array(bundle.features.length)
    for (let j = 0; j < x.cols; j++) rowSums[owners[j]!]! += values[r * x.cols + j]!
    for (let i = 0; i < rowSums.length; i++) sums[i]! += Math.abs(rowSums[i]!)
  }
  return bundle.features
    .map((f, i) => ({ feature: f.name, contribution: x.rows === 0 ? 0 : sums[i]! / x.rows }))
    .sort((a, b) => b.contribution - a.contribution)
}
