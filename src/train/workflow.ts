import { performance } from 'node:perf_hooks'
import { AppError, type Matrix, takeValues } from '../core/index.js'
import {
  type Column,
  type Dataset,
  getColumn,
  groupKFold,
  groupSplit,
  kFold,
  loadDataset,
  missingCount,
  randomSplit,
  selectRows,
  stratifiedKFold,
  stratifiedSplit,
  timeSeriesFolds,
  timeSplit,
} from '../data/index.js'
import { precisionAtRecall, randomSearch, recallAtPrecision } from '../eval/index.js'
import { type FitOptions, type FittedModel, isClassifier, type TaskKind } from '../models/index.js'
import { type BundleFeature, ModelBundle } from './bundle.js'
import { fitFeatureEncoder } from './encoder.js'
import { AUTO_FAMILIES, encodingFor, type ModelFamily, makeEstimator } from './families.js'
import { assertLearnableTarget, type EncodedTarget, encodeTarget } from './labels.js'
import { computeMetrics, defaultMetrics, higherIsBetter, type MetricValues } from './scoring.js'
import { SEARCH_SPACES } from './search-spaces.js'

/** Progress events of a training run, for the live display. */
export type TrainProgress =
  | { readonly kind: 'stage'; readonly message: string }
  | {
      readonly kind: 'fold'
      readonly family: string
      readonly fold: number
      readonly folds: number
      readonly score: number
    }
  | { readonly kind: 'candidate'; readonly family: string; readonly score: number; readonly best: string }
  | { readonly kind: 'iteration'; readonly family: string; readonly iteration: number; readonly loss: number }
  | {
      readonly kind: 'trial'
      readonly family: string
      readonly trial: number
      readonly trials: number
      readonly score: number
      readonly best: number
    }

/** What to train. Resolved from the task file and flags by the CLI. */
export interface TrainSpec {
  readonly dataPath?: string
  readonly dataset?: Dataset
  readonly target: string
  readonly task?: TaskKind
  readonly positiveClass?: string
  /** Feature columns to use (default: all but target, id, entity and excluded columns). */
  readonly include?: readonly string[]
  readonly exclude?: readonly string[]
  readonly idColumn?: string
  readonly model: ModelFamily | 'auto'
  readonly params?: Readonly<Record<string, unknown>>
  readonly validPath?: string
  readonly seed: number
  /** Metrics to report; the first is the primary (selection) metric. */
  readonly metrics?: readonly string[]
  /**
   * Share of rows held out as the test part (default `DEFAULT_TEST_SIZE`, stratified for
   * classification). 0 trains on all rows: the honest figure is then the cross-validated score.
   */
  readonly testSize?: number
  /** Cross-validation folds used by `auto` to choose a family. */
  readonly folds: number
  /** Weight classes inversely to their frequency (`--balance`); classification only. */
  readonly balance?: boolean
  /**
   * Operating point for the decision threshold of a binary model, e.g. `precision_at_recall@0.9`:
   * the threshold is chosen on held-out training rows to meet it. Default: the first such metric
   * in `metrics`, else 0.5.
   */
  readonly thresholdFor?: string
  /** Random-search trials for the chosen family (cross-validated like the family choice). */
  readonly trials?: number
  /** Wall-clock budget for tuning, in minutes. */
  readonly tuneMinutes?: number
  /** Explicit train/test row indices (overrides `testSize`), e.g. to reproduce a published split. */
  readonly split?: { readonly train: Int32Array; readonly test: Int32Array }
  /** Split and fold kind (default: stratified for classification, random for regression). */
  readonly splitKind?: SplitKind
  /** Group column for group splits (no entity in two parts). */
  readonly groupColumn?: string
  /** Time column for time splits (train on the past, test on the future). */
  readonly timeColumn?: string
  readonly onProgress?: (event: TrainProgress) => void
}

/** Share of rows held out as the test part when the caller does not say (as the task file does). */
export const DEFAULT_TEST_SIZE = 0.2

/** The chosen model's cross-validated primary metric, measured on the training part only. */
export interface CrossValidatedScore {
  readonly metric: string
  readonly mean: number
  /** Per-fold scores, when known (tuning keeps only the mean of its best trial). */
  readonly scores: readonly number[]
  readonly folds: number
}

/** One family's cross-validated score. */
export interface CandidateResult {
  readonly family: ModelFamily
  readonly cvScore: number
  readonly cvScores: readonly number[]
  readonly seconds: number
}

/** The decision threshold chosen to meet an operating point, and what it achieved where chosen. */
export interface ThresholdChoice {
  readonly metric: string
  readonly threshold: number
  readonly value: number
  readonly isAchieved: boolean
  readonly rows: number
}

/** What tuning tried and whether its best params beat the defaults in cross-validation. */
export interface TuningResult {
  readonly family: ModelFamily
  readonly trials: number
  readonly defaultScore: number
  readonly bestScore: number
  readonly bestParams: Readonly<Record<string, unknown>>
  readonly isKept: boolean
}

/** Outcome of `trainModelBundle`. */
export interface TrainOutcome {
  readonly bundle: ModelBundle
  readonly baseline: ModelBundle
  readonly task: TaskKind
  readonly taskReason: string
  readonly family: ModelFamily
  readonly primaryMetric: string
  readonly fitSeconds: number
  readonly candidates: readonly CandidateResult[]
  readonly tuning?: TuningResult
  readonly threshold?: ThresholdChoice
  /**
   * Cross-validated primary metric of the chosen family (and params): from model selection or
   * tuning when they ran, and always computed when nothing is held out, so such a run still has an
   * honest figure.
   */
  readonly cv?: CrossValidatedScore
  readonly metrics: {
    readonly train: MetricValues
    readonly test?: MetricValues
    readonly baselineTest?: MetricValues
    readonly baselineTrain: MetricValues
  }
  readonly trainRows: number
  readonly testRows: number
  readonly dataset: Dataset
  readonly trainIndex: Int32Array
  readonly testIndex: Int32Array
  readonly target: EncodedTarget
  readonly iterations: readonly {
    readonly iteration: number
    readonly trainLoss: number
    readonly validLoss?: number
  }[]
}

function featureColumns(ds: Dataset, spec: TrainSpec): string[] {
  const skip = new Set([
    spec.target,
    ...(spec.exclude ?? []),
    ...(spec.idColumn === undefined ? [] : [spec.idColumn]),
  ])
  const names =
    spec.include !== undefined && spec.include.length > 0 ? [...spec.include] : ds.columns.map((c) => c.name)
  for (const name of names) getColumn(ds, name)
  return names.filter((n) => !skip.has(n))
}

/**
 * Fits the family on 80 % of the training rows and picks, on the other 20 %, the threshold on the
 * positive-class probability that meets the operating point (e.g. the highest precision at 90 %
 * recall). The test part is not used.
 */
async function chooseThreshold(
  metric: string,
  family: ModelFamily,
  trainDs: Dataset,
  yTrain: Float64Array,
  target: EncodedTarget,
  features: readonly string[],
  spec: TrainSpec,
  params: Readonly<Record<string, unknown>> | undefined,
): Promise<ThresholdChoice> {
  const m = /^(precision_at_recall|recall_at_precision)@(.+)$/.exec(metric)
  if (m === null)
    throw new AppError(
      'INVALID_ARGUMENT',
      `Cannot choose a threshold for '${metric}'; use precision_at_recall@R or recall_at_precision@P.`,
    )
  const goal = Number(m[2])
  const { train, test: held } = holdoutSplit(yTrain, 'binary', 0.2, spec.seed + 1)
  const fitted = await fitFamily(
    family,
    trainDs,
    train,
    { ...target, y: yTrain },
    features,
    spec,
    undefined,
    params,
  )
  const heldDs = selectRows(trainDs, held)
  const scores = fitted.bundle.predictDataset(heldDs).positive!
  const yHeld = takeValues(yTrain, held)
  const point =
    m[1] === 'precision_at_recall'
      ? precisionAtRecall(yHeld, scores, goal)
      : recallAtPrecision(yHeld, scores, goal)
  return {
    metric,
    threshold: Number.isFinite(point.threshold) ? point.threshold : 0.5,
    value: point.value,
    isAchieved: point.isAchieved,
    rows: held.length,
  }
}

/** How the rows are split into train/test and into cross-validation folds (the task file's `split.kind`). */
export type SplitKind = 'random' | 'stratified' | 'group' | 'time'

/**
 * Train/test row indices per the split kind: stratified by class (default for classification),
 * random, by group (no entity on both sides) or by time (test = the latest rows).
 */
export function holdoutSplit(
  y: Float64Array,
  task: TaskKind,
  testSize: number,
  seed: number,
  options: { kind?: SplitKind; groups?: Column; times?: Column } = {},
): { train: Int32Array; test: Int32Array } {
  const n = y.length
  if (testSize <= 0) return { train: Int32Array.from({ length: n }, (_, i) => i), test: new Int32Array(0) }
  const kind = options.kind ?? (task === 'regression' ? 'random' : 'stratified')
  let split: { train: Int32Array; test: Int32Array }
  if (kind === 'group') split = groupSplit(requireColumn(options.groups, 'group'), { testSize, seed })
  else if (kind === 'time') split = timeSplit(requireColumn(options.times, 'time'), { testSize, seed })
  else if (kind === 'stratified' && task !== 'regression') split = stratifiedSplit(y, { testSize, seed })
  else split = randomSplit(n, { testSize, seed })
  return { train: split.train, test: split.test }
}

/** Cross-validation folds over positions 0..n-1 of the training part, per the split kind. */
export function makeFolds(
  y: Float64Array,
  task: TaskKind,
  k: number,
  seed: number,
  options: { kind?: SplitKind; groups?: Column; times?: Column } = {},
): { train: Int32Array; valid: Int32Array }[] {
  const kind = options.kind ?? (task === 'regression' ? 'random' : 'stratified')
  if (kind === 'group') return groupKFold(requireColumn(options.groups, 'group'), k, seed)
  if (kind === 'time') return timeSeriesFolds(requireColumn(options.times, 'time'), k)
  if (kind === 'stratified' && task !== 'regression') return stratifiedKFold(y, k, seed)
  return kFold(y.length, k, seed)
}

function requireColumn(column: Column | undefined, kind: string): Column {
  if (column === undefined) {
    throw new AppError(
      'DATA_SPLIT',
      `A ${kind} split needs its column: set 'entity' (or split.group) for group splits and 'timestamp' for time splits in keel.yaml.`,
    )
  }
  return column
}

interface FitResult {
  readonly bundle: ModelBundle
  readonly seconds: number
  readonly iterations: { iteration: number; trainLoss: number; validLoss?: number }[]
}

async function fitFamily(
  family: ModelFamily,
  ds: Dataset,
  rows: Int32Array,
  target: EncodedTarget,
  features: readonly string[],
  spec: TrainSpec,
  validation?: { ds: Dataset; y: Float64Array },
  paramsOverride?: Readonly<Record<string, unknown>>,
): Promise<FitResult> {
  const trainDs = selectRows(ds, rows)
  const y = takeValues(target.y, rows)
  const encoder = fitFeatureEncoder(trainDs, features, encodingFor(family))
  const x = encoder.encodeDataset(trainDs)
  const iterations: { iteration: number; trainLoss: number; validLoss?: number }[] = []
  const sampleWeight = spec.balance === true && target.task !== 'regression' ? balancedWeights(y) : undefined
  const options: FitOptions = {
    ...(sampleWeight === undefined ? {} : { sampleWeight }),
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    onIteration: (info) => {
      iterations.push({ ...info })
      if (info.iteration % 10 === 0)
        spec.onProgress?.({ kind: 'iteration', family, iteration: info.iteration, loss: info.trainLoss })
    },
    ...(validation === undefined
      ? {}
      : { validation: { x: encoder.encodeDataset(validation.ds), y: validation.y } }),
  }
  const params = paramsOverride ?? (family === spec.model ? (spec.params ?? {}) : {})
  const estimator = makeEstimator(family, target.task, params as Record<string, unknown>, spec.seed)
  const start = performance.now()
  const model: FittedModel = await estimator.fit(x, y, options)
  const seconds = (performance.now() - start) / 1000
  const bundle = new ModelBundle({
    task: target.task,
    target: spec.target,
    classes: target.classes,
    features: bundleFeatures(trainDs, features),
    encoder,
    model,
    threshold: 0.5,
    family,
  })
  return { bundle, seconds, iterations }
}

function bundleFeatures(ds: Dataset, names: readonly string[]): BundleFeature[] {
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

/** Scores a bundle on the given rows of a dataset. */
export function scoreBundle(
  bundle: ModelBundle,
  ds: Dataset,
  y: Float64Array,
  metrics: readonly string[],
): MetricValues {
  const x = bundle.encoder.encodeDataset(ds)
  return scoreMatrix(bundle.model, bundle.task, x, y, metrics)
}

function scoreMatrix(
  model: FittedModel,
  task: TaskKind,
  x: Matrix,
  y: Float64Array,
  metrics: readonly string[],
): MetricValues {
  if (isClassifier(model)) return computeMetrics(task, metrics, y, { proba: model.predictProba(x) })
  return computeMetrics(task, metrics, y, { values: model.predict(x) })
}

/**
 * Trains a model bundle: encodes the target, holds out the test part, fits the baseline, picks a
 * family (cross-validated when `model` is `auto`), refits it on the training part and scores the
 * test part once.
 */
export async function trainModelBundle(spec: TrainSpec): Promise<TrainOutcome> {
  const progress = spec.onProgress ?? (() => undefined)
  progress({ kind: 'stage', message: 'loading data' })
  let ds = spec.dataset ?? (spec.dataPath === undefined ? undefined : await loadDataset(spec.dataPath))
  if (ds === undefined) throw new AppError('CLI_USAGE', 'No data: pass --data FILE or set data in keel.yaml.')
  const targetColumn = getColumn(ds, spec.target)
  let target = encodeTarget(targetColumn, spec.task, spec.positiveClass)
  // Rows without a target cannot be learned from; drop them (and say so in the run).
  const labelled = Int32Array.from({ length: ds.nRows }, (_, i) => i).filter(
    (i) => !Number.isNaN(target.y[i]!),
  )
  if (labelled.length < ds.nRows) {
    ds = selectRows(ds, labelled)
    target = { ...target, y: takeValues(target.y, labelled) }
  }
  if (ds.nRows < 10)
    throw new AppError(
      'DATA_TOO_FEW_ROWS',
      `Only ${ds.nRows} labelled rows; at least 10 are needed to train.`,
    )
  assertLearnableTarget(target, spec.target)
  const features = featureColumns(ds, spec)
  if (features.length === 0)
    throw new AppError(
      'DATA_NO_FEATURES',
      'No feature columns left after removing the target, id and excluded columns.',
    )
  const metrics =
    spec.metrics !== undefined && spec.metrics.length > 0 ? [...spec.metrics] : defaultMetrics(target.task)
  const primary = metrics[0]!

  if (spec.split !== undefined && labelled.length !== targetColumnLength(targetColumn)) {
    throw new AppError('INVALID_ARGUMENT', 'An explicit split needs a target without missing values.')
  }
  const splitColumns = {
    ...(spec.splitKind === undefined ? {} : { kind: spec.splitKind }),
    ...(spec.groupColumn === undefined ? {} : { groups: getColumn(ds, spec.groupColumn) }),
    ...(spec.timeColumn === undefined ? {} : { times: getColumn(ds, spec.timeColumn) }),
  }
  const { train, test } =
    spec.split ??
    holdoutSplit(target.y, target.task, spec.testSize ?? DEFAULT_TEST_SIZE, spec.seed, splitColumns)
  const yTrain = takeValues(target.y, train)
  const trainDs = selectRows(ds, train)

  let validation: { ds: Dataset; y: Float64Array } | undefined
  if (spec.validPath !== undefined) {
    const validDs = await loadDataset(spec.validPath)
    const validTarget = encodeTarget(getColumn(validDs, spec.target), target.task, target.classes[1])
    validation = { ds: validDs, y: remapClasses(validTarget, target) }
  }

  progress({ kind: 'stage', message: 'fitting baseline' })
  const baseline = await fitFamily('baseline', ds, train, target, features, spec)

  const candidates: CandidateResult[] = []
  const trainPart = selectRows(ds, train)
  const folds = makeFolds(yTrain, target.task, spec.folds, spec.seed, {
    ...(spec.splitKind === undefined ? {} : { kind: spec.splitKind }),
    ...(spec.groupColumn === undefined ? {} : { groups: getColumn(trainPart, spec.groupColumn) }),
    ...(spec.timeColumn === undefined ? {} : { times: getColumn(trainPart, spec.timeColumn) }),
  })
  const better = (a: number, b: number): boolean => (higherIsBetter(primary) ? a > b : a < b)
  // Mean validation score of a family (and params) over the folds of the training part only: the
  // test part is never seen before the final evaluation.
  const crossValidate = async (
    candidate: ModelFamily,
    params?: Readonly<Record<string, unknown>>,
    report = true,
  ): Promise<number[]> => {
    const scores: number[] = []
    for (const [f, fold] of folds.entries()) {
      const fitted = await fitFamily(
        candidate,
        trainDs,
        fold.train,
        { ...target, y: yTrain },
        features,
        spec,
        undefined,
        params,
      )
      const validDs = selectRows(trainDs, fold.valid)
      const score = scoreBundle(fitted.bundle, validDs, takeValues(yTrain, fold.valid), [primary])[primary]!
      scores.push(score)
      if (report) progress({ kind: 'fold', family: candidate, fold: f + 1, folds: folds.length, score })
    }
    return scores
  }
  const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length

  let family: ModelFamily
  if (spec.model === 'auto') {
    let best: CandidateResult | undefined
    for (const candidate of AUTO_FAMILIES) {
      progress({ kind: 'stage', message: `cross-validating ${candidate} (${folds.length} folds)` })
      const start = performance.now()
      const scores = await crossValidate(candidate)
      const result: CandidateResult = {
        family: candidate,
        cvScore: mean(scores),
        cvScores: scores,
        seconds: (performance.now() - start) / 1000,
      }
      candidates.push(result)
      if (best === undefined || better(result.cvScore, best.cvScore)) best = result
      progress({ kind: 'candidate', family: candidate, score: result.cvScore, best: best.family })
    }
    family = best!.family
  } else {
    family = spec.model
  }

  let tuned: TuningResult | undefined
  const space = SEARCH_SPACES[family]
  const wantsTuning = (spec.trials ?? 0) > 0 || (spec.tuneMinutes ?? 0) > 0
  if (wantsTuning && space !== undefined) {
    const defaultScore =
      candidates.find((c) => c.family === family)?.cvScore ??
      mean(await crossValidate(family, spec.params ?? {}, false))
    const maxTrials = spec.trials ?? 20
    progress({
      kind: 'stage',
      message: `tuning ${family}: up to ${maxTrials} trials${spec.tuneMinutes === undefined ? '' : ` or ${spec.tuneMinutes} min`}`,
    })
    const search = await randomSearch({
      space,
      direction: higherIsBetter(primary) ? 'higher' : 'lower',
      maxTrials,
      ...(spec.tuneMinutes === undefined ? {} : { timeBudgetMs: spec.tuneMinutes * 60_000 }),
      seed: spec.seed,
      objective: async (params) =>
        mean(await crossValidate(family, { ...(spec.params ?? {}), ...params }, false)),
      onTrial: (trial, best) =>
        progress({
          kind: 'trial',
          family,
          trial: trial.index + 1,
          trials: maxTrials,
          score: trial.score,
          best: best?.score ?? Number.NaN,
        }),
    })
    const bestTrial = search.best
    const isKept = bestTrial !== null && better(bestTrial.score, defaultScore)
    tuned = {
      family,
      trials: search.trials.length,
      defaultScore,
      bestScore: bestTrial?.score ?? Number.NaN,
      bestParams: bestTrial?.params ?? {},
      isKept,
    }
  }

  progress({ kind: 'stage', message: `fitting ${family} on ${train.length} rows` })
  const finalParams = tuned?.isKept === true ? { ...(spec.params ?? {}), ...tuned.bestParams } : undefined
  // The cross-validated score of what is finally fitted, shown beside the test score. Without a test
  // part it is the only honest figure, so it is computed then even when selection did not run.
  let cv: CrossValidatedScore | undefined
  const selected = candidates.find((c) => c.family === family)
  if (tuned !== undefined)
    cv = {
      metric: primary,
      mean: tuned.isKept ? tuned.bestScore : tuned.defaultScore,
      scores: tuned.isKept ? [] : (selected?.cvScores ?? []),
      folds: folds.length,
    }
  else if (selected !== undefined)
    cv = { metric: primary, mean: selected.cvScore, scores: selected.cvScores, folds: folds.length }
  else if (test.length === 0 && folds.length > 1) {
    progress({
      kind: 'stage',
      message: `cross-validating ${family} (${folds.length} folds): nothing held out`,
    })
    const scores = await crossValidate(family, finalParams ?? spec.params ?? {}, false)
    cv = { metric: primary, mean: mean(scores), scores, folds: folds.length }
  }
  const final = await fitFamily(family, ds, train, target, features, spec, validation, finalParams)
  const operatingPoint =
    spec.thresholdFor ?? metrics.find((m) => /^(precision_at_recall|recall_at_precision)@/.test(m))
  let threshold: ThresholdChoice | undefined
  if (operatingPoint !== undefined && target.task === 'binary') {
    progress({
      kind: 'stage',
      message: `choosing the decision threshold for ${operatingPoint} on held-out training rows`,
    })
    threshold = await chooseThreshold(
      operatingPoint,
      family,
      trainDs,
      yTrain,
      target,
      features,
      spec,
      finalParams,
    )
    final.bundle.threshold = threshold.threshold
  }
  const metricsTrain = scoreBundle(final.bundle, trainDs, yTrain, metrics)
  const baselineTrain = scoreBundle(baseline.bundle, trainDs, yTrain, metrics)
  let metricsTest: MetricValues | undefined
  let baselineTest: MetricValues | undefined
  if (test.length > 0) {
    const testDs = selectRows(ds, test)
    const yTest = takeValues(target.y, test)
    metricsTest = scoreBundle(final.bundle, testDs, yTest, metrics)
    baselineTest = scoreBundle(baseline.bundle, testDs, yTest, metrics)
  }
  return {
    bundle: final.bundle,
    baseline: baseline.bundle,
    task: target.task,
    taskReason: target.reason,
    family,
    primaryMetric: primary,
    fitSeconds: final.seconds,
    candidates,
    ...(tuned === undefined ? {} : { tuning: tuned }),
    ...(threshold === undefined ? {} : { threshold }),
    ...(cv === undefined ? {} : { cv }),
    metrics: {
      train: metricsTrain,
      baselineTrain,
      ...(metricsTest === undefined ? {} : { test: metricsTest }),
      ...(baselineTest === undefined ? {} : { baselineTest }),
    },
    trainRows: train.length,
    testRows: test.length,
    dataset: ds,
    trainIndex: train,
    testIndex: test,
    target,
    iterations: final.iterations,
  }
}

/** Sample weights n / (k · count(class)), so every class carries the same total weight. */
export function balancedWeights(y: Float64Array): Float64Array {
  const counts = new Map<number, number>()
  for (const v of y) counts.set(v, (counts.get(v) ?? 0) + 1)
  const k = counts.size
  return Float64Array.from(y, (v) => y.length / (k * counts.get(v)!))
}

function targetColumnLength(column: { kind: string; codes?: Int32Array; values?: Float64Array }): number {
  return column.codes?.length ?? column.values?.length ?? 0
}

function remapClasses(other: EncodedTarget, reference: EncodedTarget): Float64Array {
  if (reference.task === 'regression') return other.y
  const index = new Map(reference.classes.map((c, i) => [c, i]))
  return Float64Array.from(other.y, (code) => {
    const label = other.classes[code]
    const mapped = label === undefined ? undefined : index.get(label)
    if (mapped === undefined)
      throw new AppError(
        'DATA_UNKNOWN_LABEL',
        `Validation target has label '${String(label)}' not seen in training.`,
      )
    return mapped
  })
}
