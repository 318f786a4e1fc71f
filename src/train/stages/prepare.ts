import { AppError, InvalidArgumentError, takeValues } from '../../core/index.js'
import {
  type Column,
  type Dataset,
  getColumn,
  groupKFold,
  groupSplit,
  kFold,
  loadDataset,
  randomSplit,
  selectRows,
  stratifiedKFold,
  stratifiedSplit,
  timeSeriesFolds,
  timeSplit,
} from '../../data/index.js'
import type { TaskKind } from '../../models/index.js'
import { assertLearnableTarget, type EncodedTarget, encodeTarget } from '../../pipeline/index.js'
import { defaultMetrics } from '../scoring.js'
import { describeFeatures } from './fit.js'
import {
  DEFAULT_TEST_SIZE,
  type Fold,
  type PreparedData,
  type SplitKind,
  type TrainSpec,
  type ValidationSet,
} from './types.js'

/**
 * Stage 1, prepare: loads the data (once), encodes the target, drops unlabelled rows, picks the
 * feature columns and metrics, holds out the test part, materialises the training part and makes
 * the cross-validation folds. Every later stage reads the training part from here instead of
 * selecting it again.
 */
export async function prepare(spec: TrainSpec): Promise<PreparedData> {
  spec.onProgress?.({ kind: 'stage', message: 'loading data' })
  let ds = spec.dataset ?? (spec.dataPath === undefined ? undefined : await loadDataset(spec.dataPath))
  if (ds === undefined) throw new InvalidArgumentError('No data: pass --data FILE or set data in keel.yaml.')
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

  let validation: ValidationSet | undefined
  if (spec.validPath !== undefined) {
    const validDs = await loadDataset(spec.validPath)
    const validTarget = encodeTarget(getColumn(validDs, spec.target), target.task, target.classes[1])
    validation = { ds: validDs, y: remapClasses(validTarget, target) }
  }

  const folds = makeFolds(yTrain, target.task, spec.folds, spec.seed, {
    ...(spec.splitKind === undefined ? {} : { kind: spec.splitKind }),
    ...(spec.groupColumn === undefined ? {} : { groups: getColumn(trainDs, spec.groupColumn) }),
    ...(spec.timeColumn === undefined ? {} : { times: getColumn(trainDs, spec.timeColumn) }),
  })
  return {
    dataset: ds,
    target,
    features,
    described: describeFeatures(trainDs, features),
    metrics,
    primary: metrics[0]!,
    trainIndex: train,
    testIndex: test,
    trainDs,
    yTrain,
    folds,
    ...(validation === undefined ? {} : { validation }),
  }
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
): Fold[] {
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
