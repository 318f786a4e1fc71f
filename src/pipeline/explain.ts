import { performance } from 'node:perf_hooks'
import { AppError, type Matrix, Rng, takeRows } from '../core/index.js'
import { type TreeShapOptions, treeShap } from '../eval/index.js'
import type { FittedModel, HasTrees, TreeEnsembleView } from '../models/index.js'
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

/**
 * The tree view of each fitted model, built once: a fitted model never changes, and reusing the
 * same view lets treeShap reuse its prepared trees, so the report's and the monitoring profile's
 * SHAP summaries (and every served explanation) do not rebuild a deep forest's trees each time.
 */
const ensembles = new WeakMap<FittedModel, TreeEnsembleView>()

function treeEnsembleOf(model: FittedModel & HasTrees): TreeEnsembleView {
  let ensemble = ensembles.get(model)
  if (ensemble === undefined) {
    ensemble = model.treeEnsemble()
    ensembles.set(model, ensemble)
  }
  return ensemble
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
  options: TreeShapOptions = {},
): { values: Float64Array; expected: number; rows: number; projectedRowSeconds?: number } {
  const model = bundle.model
  if (hasTrees(model)) {
    const ensemble = treeEnsembleOf(model)
    const o = output ?? (ensemble.nOutputs === 2 ? 1 : 0)
    const shap = treeShap(ensemble, x, options)
    // with a deadline, only the first shap.rows rows were explained
    const values = new Float64Array(shap.rows * x.cols)
    for (let r = 0; r < shap.rows; r++) {
      const start = (r * shap.nOutputs + o) * shap.nFeatures
      values.set(shap.values.subarray(start, start + shap.nFeatures), r * x.cols)
    }
    return {
      values,
      expected: shap.expectedValue[o]!,
      rows: shap.rows,
      ...(shap.projectedRowSeconds === undefined ? {} : { projectedRowSeconds: shap.projectedRowSeconds }),
    }
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
    return { values, expected: 0, rows: x.rows }
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
  return meanAbsByFeature(bundle, x.cols, encodedContributions(bundle, x))
}

function meanAbsByFeature(
  bundle: ModelBundle,
  cols: number,
  contributions: { values: Float64Array; rows: number },
): FeatureContribution[] {
  const { values, rows } = contributions
  const owners = encodedOwners(bundle)
  const sums = new Float64Array(bundle.features.length)
  for (let r = 0; r < rows; r++) {
    // Sum one-hot columns per feature first, then take |.|: a feature's effect is their total.
    const rowSums = new Float64Array(bundle.features.length)
    for (let j = 0; j < cols; j++) rowSums[owners[j]!]! += values[r * cols + j]!
    for (let i = 0; i < rowSums.length; i++) sums[i]! += Math.abs(rowSums[i]!)
  }
  return bundle.features
    .map((f, i) => ({ feature: f.name, contribution: rows === 0 ? 0 : sums[i]! / rows }))
    .sort((a, b) => b.contribution - a.contribution)
}

/** Options of {@link sampledGlobalContributions}. */
export interface SampledContributionOptions {
  /** Explain at most this many rows, drawn at random (seeded) from `x`. */
  readonly maxRows: number
  /** Wall-clock budget in ms: rows explained when it runs out are kept (at least one row). */
  readonly budgetMs?: number
  /**
   * With a budget: explain no row when the rows done project far fewer than this many within it
   * (tree models; see TreeShapOptions.minRows).
   */
  readonly minRows?: number
  readonly seed: number
}

/** Global importance from a random sample of rows, and how much of the sample the budget allowed. */
export interface SampledContributions {
  readonly contributions: FeatureContribution[]
  /** Rows actually explained (a uniform random sample of `x`). */
  readonly rowsExplained: number
  /** Rows of `x` the sample was drawn from. */
  readonly rowsAvailable: number
  /** True when the time budget stopped the work before `maxRows` rows. */
  readonly budgetCut: boolean
  readonly seconds: number
  /** Set when no row was explained because far fewer than `minRows` were projected to fit the budget. */
  readonly skipped?: {
    readonly projectedRowSeconds: number
    readonly minRows: number
    readonly budgetSeconds: number
  }
}

/**
 * Mean |contribution| per input feature over a random sample of at most `maxRows` rows of `x`,
 * stopped early when `budgetMs` runs out. Rows are taken in shuffled order, so whatever prefix the
 * budget allows is still a uniform random sample (a sorted sample would favour early rows).
 */
export function sampledGlobalContributions(
  bundle: ModelBundle,
  x: Matrix,
  options: SampledContributionOptions,
): SampledContributions {
  const started = performance.now()
  const n = Math.min(x.rows, Math.max(1, options.maxRows))
  const sample =
    x.rows === 0 ? x : takeRows(x, Int32Array.from(new Rng(options.seed).permutation(x.rows).subarray(0, n)))
  const contributions = encodedContributions(
    bundle,
    sample,
    undefined,
    options.budgetMs === undefined
      ? {}
      : {
          deadlineMs: started + options.budgetMs,
          ...(options.minRows === undefined ? {} : { minRows: options.minRows }),
        },
  )
  return {
    contributions: meanAbsByFeature(bundle, sample.cols, contributions),
    rowsExplained: contributions.rows,
    rowsAvailable: x.rows,
    budgetCut: contributions.rows < sample.rows,
    seconds: (performance.now() - started) / 1000,
    ...(contributions.projectedRowSeconds === undefined || options.budgetMs === undefined
      ? {}
      : {
          skipped: {
            projectedRowSeconds: contributions.projectedRowSeconds,
            minRows: Math.min(options.minRows ?? 0, sample.rows),
            budgetSeconds: options.budgetMs / 1000,
          },
        }),
  }
}

/**
 * One line for the report or the progress display saying which rows a SHAP summary used, e.g.
 * "SHAP summary: mean |SHAP| over 120 of 10,000 test rows drawn at random (cut by its 2.0 s time budget)".
 */
export function shapSampleNote(
  shap: SampledContributions,
  part: string,
  totalRows = shap.rowsAvailable,
): string {
  if (shap.skipped !== undefined) {
    const { projectedRowSeconds, minRows, budgetSeconds } = shap.skipped
    return `SHAP summary skipped: about ${projectedRowSeconds.toFixed(1)} s a row, so far fewer than ${minRows} of ${totalRows.toLocaleString('en-US')} ${part} would fit its ${budgetSeconds.toFixed(1)} s time budget.`
  }
  const of = shap.rowsExplained < totalRows ? ` of ${totalRows.toLocaleString('en-US')}` : ''
  const how = shap.rowsExplained < totalRows ? ' drawn at random' : ''
  const cut = shap.budgetCut ? `; cut by its time budget after ${shap.seconds.toFixed(1)} s` : ''
  return `SHAP summary: mean |SHAP| over ${shap.rowsExplained.toLocaleString('en-US')}${of} ${part}${how}${cut}.`
}
