import { performance } from 'node:perf_hooks'
import type { Matrix } from '../../core/index.js'
import { type Dataset, getColumn, missingCount } from '../../data/index.js'
import type { FitOptions, FittedModel } from '../../models/index.js'
import {
  type BundleFeature,
  type EncodedTarget,
  fitFeatureEncoder,
  ModelBundle,
} from '../../pipeline/index.js'
import { encodingFor, type ModelFamily, makeEstimator } from '../families.js'
import type { PreparedData, TrainOutcome, TrainSpec, ValidationSet } from './types.js'

/** What one fit of a family needs: the rows to fit on, already selected, and their target. */
export interface FitInput {
  readonly family: ModelFamily
  /** The rows to fit on (the encoder is fitted on them too). */
  readonly ds: Dataset
  readonly y: Float64Array
  /** The target's coding (task and classes); its `y` is not read. */
  readonly target: EncodedTarget
  readonly features: readonly string[]
  readonly spec: TrainSpec
  readonly validation?: ValidationSet
  /** Params instead of the spec's (tuning); default: the spec's params for the asked family. */
  readonly params?: Readonly<Record<string, unknown>>
  /**
   * The features as the bundle describes them (levels seen, missing values). Computed from `ds`
   * when absent; folds that are only scored can pass any description, the final fit passes the
   * training part's.
   */
  readonly described?: readonly BundleFeature[]
}

/** One fitted family: its bundle, the fit's own seconds and losses, and the matrix it was fitted on. */
export interface FitResult {
  readonly bundle: ModelBundle
  readonly seconds: number
  readonly iterations: TrainOutcome['iterations']
  /** `ds` as the bundle's encoder encodes it, kept so scoring the same rows does not encode them again. */
  readonly x: Matrix
}

/** Fits the encoder and the family's estimator on the given rows and wraps them in a bundle. */
export async function fitFamily(input: FitInput): Promise<FitResult> {
  const { family, ds, y, target, features, spec } = input
  const encoder = fitFeatureEncoder(ds, features, encodingFor(family))
  const x = encoder.encodeDataset(ds)
  const iterations: { iteration: number; trainLoss: number; validLoss?: number }[] = []
  const sampleWeight = spec.balance === true && target.task !== 'regression' ? balancedWeights(y) : undefined
  const options: FitOptions = {
    ...(sampleWeight === undefined ? {} : { sampleWeight }),
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    indicatorFeatures: encoder.indicatorOutputs,
    onIteration: (info) => {
      iterations.push({ ...info })
      if (info.iteration % 10 === 0)
        spec.onProgress?.({ kind: 'iteration', family, iteration: info.iteration, loss: info.trainLoss })
    },
    ...(input.validation === undefined
      ? {}
      : { validation: { x: encoder.encodeDataset(input.validation.ds), y: input.validation.y } }),
  }
  const params = input.params ?? (family === spec.model ? (spec.params ?? {}) : {})
  const estimator = makeEstimator(family, target.task, params as Record<string, unknown>, spec.seed)
  const start = performance.now()
  const model: FittedModel = await estimator.fit(x, y, options)
  const seconds = (performance.now() - start) / 1000
  const bundle = new ModelBundle({
    task: target.task,
    target: spec.target,
    classes: target.classes,
    features: [...(input.described ?? describeFeatures(ds, features))],
    encoder,
    model,
    threshold: 0.5,
    family,
  })
  return { bundle, seconds, iterations, x }
}

/**
 * Fits the baseline (class frequencies or the mean target; it ignores the features) on the
 * training part. It reads no feature, so it is fitted on a matrix with no columns and its encoder
 * encodes none: encoding the training part one-hot for a model that never looks at it cost as
 * much as a small fit (3.6 s of a 200k-row run). Its scores are those of the full-width baseline.
 */
export async function fitBaseline(prep: PreparedData, spec: TrainSpec): Promise<ModelBundle> {
  const { trainDs, yTrain, target, described } = prep
  const encoder = fitFeatureEncoder(trainDs, [], encodingFor('baseline'))
  const sampleWeight =
    spec.balance === true && target.task !== 'regression' ? balancedWeights(yTrain) : undefined
  const x: Matrix = { rows: yTrain.length, cols: 0, data: new Float64Array(0) }
  // `--model baseline` passes its params to this fit too, as to any fit of the asked family.
  const params = spec.model === 'baseline' ? { ...(spec.params ?? {}) } : {}
  const model = await makeEstimator('baseline', target.task, params, spec.seed).fit(x, yTrain, {
    ...(sampleWeight === undefined ? {} : { sampleWeight }),
    featureNames: [],
  })
  return new ModelBundle({
    task: target.task,
    target: spec.target,
    classes: target.classes,
    features: [...described],
    encoder,
    model,
    threshold: 0.5,
    family: 'baseline',
  })
}

/** The features as a bundle describes them: kind, whether values were missing, levels seen. */
export function describeFeatures(ds: Dataset, names: readonly string[]): BundleFeature[] {
  return names.map((name) => {
    const column = getColumn(ds, name)
    const hadMissing = missingCount(column) > 0
    if (column.kind !== 'categorical') return { name, kind: column.kind, hadMissing }
    // Every level seen in training is valid input, including those the encoder pools as rare.
    const seen = new Uint8Array(column.levels.length)
    for (const c of column.codes) if (c >= 0) seen[c] = 1
    const levels = column.levels.filter((_, i) => seen[i] === 1).sort()
    return { name, kind: column.kind, levels, hadMissing }
  })
}

/** Sample weights n / (k · count(class)), so every class carries the same total weight. */
export function balancedWeights(y: Float64Array): Float64Array {
  const counts = new Map<number, number>()
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1)
  const k = counts.size
  return Float64Array.from(y, (v) => y.length / (k * counts.get(v)!))
}
