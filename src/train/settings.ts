import { basename } from 'node:path'
import { InvalidArgumentError } from '../core/index.js'
import { findTaskFile, loadTaskFile, metricKey, type TaskConfig } from '../data/index.js'
import type { ConstraintSpec } from './constraints.js'

/** What the training commands need, merged from the task file and flags (flags win). */
export interface TaskSettings {
  readonly configPath?: string
  readonly config?: TaskConfig
  readonly data: string
  readonly target: string
  readonly task?: string
  readonly name?: string
  readonly positiveClass?: string
  readonly include?: readonly string[]
  readonly exclude?: readonly string[]
  readonly idColumn?: string
  readonly metrics?: readonly string[]
  readonly constraints?: ConstraintSpec
  readonly seed?: number
  readonly testSize?: number
  readonly folds?: number
  readonly splitKind?: 'random' | 'stratified' | 'group' | 'time'
  readonly groupColumn?: string
  readonly timeColumn?: string
}

// Task-file metric names that the metric registry spells differently.
const METRIC_ALIASES: Readonly<Record<string, string>> = { macro_f1: 'f1_macro', weighted_f1: 'f1_weighted' }

/**
 * Loads `--config` (or ./keel.yaml when present) and overlays the flags. Without a task file,
 * `--data` and `--target` are required.
 */
export async function resolveTaskSettings(flags: {
  config?: string | undefined
  data?: string | undefined
  target?: string | undefined
  task?: string | undefined
}): Promise<TaskSettings> {
  const configPath = flags.config ?? findTaskFile()
  const config = configPath === undefined ? undefined : loadTaskFile(configPath)
  const data = flags.data ?? config?.data
  const target = flags.target ?? config?.target
  if (data === undefined || target === undefined) {
    throw new InvalidArgumentError(
      'Pass --data FILE and --target COL, or a task file (keel.yaml or --config FILE) that names them.',
    )
  }
  const task = flags.task ?? config?.task
  if (task !== undefined && !['binary', 'multiclass', 'regression'].includes(task)) {
    throw new InvalidArgumentError(`--task must be binary, multiclass or regression; got '${task}'.`)
  }
  if (config === undefined) return { data, target, ...(task === undefined ? {} : { task }) }
  const exclude = [
    ...config.features.exclude,
    ...(config.entity === undefined ? [] : [config.entity]),
    ...(config.timestamp === undefined ? [] : [config.timestamp]),
  ]
  return {
    configPath: config.path ?? configPath!,
    config,
    data,
    target,
    ...(task === undefined ? {} : { task }),
    name: basename(data).replace(/\.[^.]+$/, ''),
    ...(config.positiveClass === undefined ? {} : { positiveClass: config.positiveClass }),
    ...(config.features.include === undefined ? {} : { include: config.features.include }),
    exclude,
    ...(config.id === undefined ? {} : { idColumn: config.id }),
    metrics: config.metrics.map((m) => {
      const key = metricKey(m)
      return METRIC_ALIASES[key] ?? key
    }),
    constraints: {
      ...(config.constraints.latencyMs === undefined ? {} : { latencyMs: config.constraints.latencyMs }),
      ...(config.constraints.modelSizeMb === undefined
        ? {}
        : { modelSizeMb: config.constraints.modelSizeMb }),
      interpretability: config.constraints.interpretability,
    },
    seed: config.split.seed,
    testSize: config.split.testSize,
    folds: config.split.folds,
    splitKind: config.split.kind,
    ...((config.split.group ?? config.entity) === undefined
      ? {}
      : { groupColumn: (config.split.group ?? config.entity)! }),
    ...(config.timestamp === undefined ? {} : { timeColumn: config.timestamp }),
  }
}
