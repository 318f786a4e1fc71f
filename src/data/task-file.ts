import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { didYouMean, parseConfig } from '../core/index.js'
import type { ColumnKind } from './dataset.js'
import { DataError } from './errors.js'

/** Supervised task kinds. */
export type TaskKindName = 'binary' | 'multiclass' | 'regression'

/** Metric names the task file accepts, by task. Parametrised ones take a number. */
export const METRICS_BY_TASK: Readonly<Record<TaskKindName, readonly string[]>> = {
  binary: [
    'roc_auc',
    'pr_auc',
    'log_loss',
    'brier',
    'accuracy',
    'balanced_accuracy',
    'f1',
    'precision',
    'recall',
    'mcc',
    'precision_at_recall',
    'recall_at_precision',
  ],
  multiclass: [
    'accuracy',
    'balanced_accuracy',
    'log_loss',
    'macro_f1',
    'weighted_f1',
    'roc_auc_ovr',
    'top_k_accuracy',
  ],
  regression: ['rmse', 'mse', 'mae', 'r2', 'mape', 'median_ae'],
}

const PARAMETRISED_METRICS = new Set(['precision_at_recall', 'recall_at_precision', 'top_k_accuracy'])

/** A metric from the task file: `roc_auc` → `{ name: 'roc_auc' }`, `{precision_at_recall: 0.9}` → with `param`. */
export interface TaskMetric {
  readonly name: string
  readonly param?: number
}

/** A stable string for a metric (`roc_auc`, `precision_at_recall@0.9`). */
export function metricKey(spec: TaskMetric): string {
  return spec.param === undefined ? spec.name : `${spec.name}@${spec.param}`
}

/** Per-column null policy: forbid any missing value, allow them, or cap their share. */
export type NullPolicy = 'forbid' | 'allow' | { readonly maxFraction: number }

/** Validation rules from the task file (`validation:`). */
export interface ValidationRules {
  readonly requiredColumns: readonly string[]
  readonly allowedLevels: Readonly<Record<string, readonly string[]>>
  readonly ranges: Readonly<Record<string, { readonly min?: number; readonly max?: number }>>
  readonly nulls: Readonly<Record<string, NullPolicy>>
  readonly minRows?: number
  /** Report leakage findings as warnings (default) or errors. */
  readonly leakage: 'warn' | 'error'
}

/** Datetime parts that feature engineering can extract. */
export type DatetimePart = 'hour' | 'dow' | 'day' | 'month' | 'year' | 'dayofyear' | 'minute' | 'weekend'

/** Aggregates over an entity's earlier rows. */
export type HistoryAggregate = 'count' | 'sum' | 'mean' | 'std' | 'min' | 'max' | 'days_since_last'

/** Declarative feature engineering (`features.engineer:` in the task file). */
export interface FeatureEngineeringSpec {
  readonly datetimeParts: readonly { readonly column: string; readonly parts: readonly DatetimePart[] }[]
  readonly history: readonly {
    /** Column to aggregate (not needed for count / days_since_last). */
    readonly column?: string
    readonly aggregates: readonly HistoryAggregate[]
    /** Only rows within this many days before the current row (default: all earlier rows). */
    readonly windowDays?: number
    /** Prefix of the output names (default `<column or entity>_hist`). */
    readonly prefix?: string
  }[]
  readonly ratios: readonly {
    readonly name: string
    readonly numerator: string
    readonly denominator: string
  }[]
}

/** Split settings (`split:`). */
export interface SplitConfig {
  readonly kind: 'random' | 'stratified' | 'group' | 'time'
  readonly testSize: number
  readonly validSize: number
  readonly seed: number
  readonly folds: number
  /** Group column for group splits (defaults to the task's `entity`). */
  readonly group?: string
}

/** A validated `keel.yaml`, keys in camelCase, `data` resolved against the file's folder. */
export interface TaskConfig {
  /** The task file this came from (absolute), or undefined when built in code. */
  readonly path?: string
  readonly task: TaskKindName
  /** Path or glob of the data, absolute. */
  readonly data?: string
  readonly target: string
  readonly id?: string
  readonly entity?: string
  readonly timestamp?: string
  readonly positiveClass?: string
  readonly features: {
    readonly include?: readonly string[]
    readonly exclude: readonly string[]
    readonly types: Readonly<Record<string, ColumnKind>>
    readonly engineer: FeatureEngineeringSpec
  }
  /** Primary metric first. */
  readonly metrics: readonly TaskMetric[]
  readonly constraints: {
    readonly latencyMs?: number
    readonly modelSizeMb?: number
    readonly interpretability: 'required' | 'preferred' | 'none'
  }
  readonly split: SplitConfig
  readonly validation: ValidationRules
}

const name = z.string().min(1, 'must be a non-empty column name')
const names = z.array(name)
const positive = z.number().positive('must be a positive number')
const fraction = z.number().gt(0, 'must be > 0').lt(1, 'must be < 1')

const metricSchema = z.union([
  z.string().min(1),
  z
    .record(z.string(), z.number())
    .refine(
      (r) => Object.keys(r).length === 1,
      'a parametrised metric has exactly one key, e.g. {precision_at_recall: 0.9}',
    ),
])

const nullPolicySchema = z.union([
  z.enum(['forbid', 'allow']),
  z.strictObject({ max_fraction: z.number().min(0).max(1) }),
])

const fileSchema = z.strictObject({
  task: z.enum(['binary', 'multiclass', 'regression']),
  data: z.string().min(1).optional(),
  target: name,
  id: name.optional(),
  entity: name.optional(),
  timestamp: name.optional(),
  positive_class: z.union([z.string(), z.number(), z.boolean()]).optional(),
  features: z
    .strictObject({
      include: names.optional(),
      exclude: names.optional(),
      types: z.record(z.string(), z.enum(['numeric', 'categorical', 'boolean', 'datetime'])).optional(),
      engineer: z
        .strictObject({
          datetime_parts: z
            .array(
              z.strictObject({
                column: name,
                parts: z
                  .array(z.enum(['hour', 'dow', 'day', 'month', 'year', 'dayofyear', 'minute', 'weekend']))
                  .min(1),
              }),
            )
            .optional(),
          history: z
            .array(
              z.strictObject({
                column: name.optional(),
                aggregates: z
                  .array(z.enum(['count', 'sum', 'mean', 'std', 'min', 'max', 'days_since_last']))
                  .min(1),
                window_days: positive.optional(),
                prefix: z.string().min(1).optional(),
              }),
            )
            .optional(),
          ratios: z.array(z.strictObject({ name, numerator: name, denominator: name })).optional(),
        })
        .optional(),
    })
    .optional(),
  metrics: z.array(metricSchema).min(1, 'list at least one metric (the primary one first)').optional(),
  constraints: z
    .strictObject({
      latency_ms: positive.optional(),
      model_size_mb: positive.optional(),
      interpretability: z.enum(['required', 'preferred', 'none']).optional(),
    })
    .optional(),
  split: z
    .strictObject({
      kind: z.enum(['random', 'stratified', 'group', 'time']).optional(),
      test_size: fraction.optional(),
      valid_size: z.number().min(0).lt(1).optional(),
      seed: z.number().int('must be an integer').optional(),
      folds: z.number().int('must be an integer').min(2, 'must be at least 2').optional(),
      group: name.optional(),
    })
    .optional(),
  validation: z
    .strictObject({
      required_columns: names.optional(),
      allowed_levels: z
        .record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])))
        .optional(),
      ranges: z
        .record(z.string(), z.strictObject({ min: z.number().optional(), max: z.number().optional() }))
        .optional(),
      nulls: z.record(z.string(), nullPolicySchema).optional(),
      min_rows: z.number().int().min(1).optional(),
      leakage: z.enum(['warn', 'error']).optional(),
    })
    .optional(),
})

type FileShape = z.infer<typeof fileSchema>

function fail(file: string, problems: readonly string[]): never {
  throw new DataError('DATA_TASK_FILE', `${file}: ${problems.join('; ')}`, {
    details: { path: file, problems },
  })
}

function normaliseMetric(m: string | Record<string, number>): TaskMetric {
  if (typeof m === 'string') return { name: m }
  const [key, value] = Object.entries(m)[0]!
  return { name: key, param: value }
}

/** Metrics used when the task file lists none. */
export function defaultMetricsFor(task: TaskKindName): TaskMetric[] {
  switch (task) {
    case 'binary':
      return [{ name: 'roc_auc' }, { name: 'pr_auc' }, { name: 'log_loss' }]
    case 'multiclass':
      return [{ name: 'log_loss' }, { name: 'accuracy' }, { name: 'macro_f1' }]
    case 'regression':
      return [{ name: 'rmse' }, { name: 'mae' }, { name: 'r2' }]
  }
}

/**
 * Validates a parsed task-file object (as from YAML) into a TaskConfig.
 * @param label what to call the source in messages (usually the file path)
 * @param baseDir folder that a relative `data` path is resolved against
 * @throws DataError DATA_TASK_FILE naming each bad key
 */
export function parseTaskConfig(raw: unknown, label = 'keel.yaml', baseDir = process.cwd()): TaskConfig {
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw))
    fail(label, ['expected a mapping of keys (task, data, target, ...) at the top level'])
  const parsed = parseConfig(fileSchema, raw)
  if (!parsed.success) {
    fail(
      label,
      parsed.problems.map((problem) =>
        problem.code === 'unknown_key'
          ? `unknown key '${problem.path}'${problem.suggestion === undefined ? '' : ` (did you mean '${problem.suggestion}'?)`}`
          : `'${problem.path || '(top level)'}' ${problem.message}`,
      ),
    )
  }
  const f: FileShape = parsed.data
  const problems: string[] = []
  const metrics = (f.metrics ?? []).map(normaliseMetric)
  const allowed = METRICS_BY_TASK[f.task]
  for (const m of metrics) {
    if (!allowed.includes(m.name))
      problems.push(
        `'metrics' has '${m.name}', which is not a ${f.task} metric${didYouMean(m.name, allowed)} (use one of: ${allowed.join(', ')})`,
      )
    else if (PARAMETRISED_METRICS.has(m.name) && m.param === undefined)
      problems.push(`'metrics' entry '${m.name}' needs a value, e.g. {${m.name}: 0.9}`)
    else if (!PARAMETRISED_METRICS.has(m.name) && m.param !== undefined)
      problems.push(`'metrics' entry '${m.name}' takes no value; write it as a plain string`)
    else if (
      (m.name === 'precision_at_recall' || m.name === 'recall_at_precision') &&
      !(m.param! > 0 && m.param! < 1)
    )
      problems.push(`'metrics' entry '${m.name}' must be between 0 and 1 (got ${m.param})`)
  }
  const splitKind = f.split?.kind ?? (f.task === 'regression' ? 'random' : 'stratified')
  if (splitKind === 'stratified' && f.task === 'regression')
    problems.push(`'split.kind' stratified needs a classification task; use random for regression`)
  const group = f.split?.group ?? f.entity
  if (splitKind === 'group' && group === undefined)
    problems.push(`'split.kind' group needs a group column: set 'entity' or 'split.group'`)
  if (splitKind === 'time' && f.timestamp === undefined)
    problems.push(`'split.kind' time needs the 'timestamp' column`)
  const testSize = f.split?.test_size ?? 0.2
  const validSize = f.split?.valid_size ?? 0
  if (testSize + validSize >= 1) problems.push(`'split.test_size' + 'split.valid_size' must be < 1`)
  const engineer = f.features?.engineer
  if ((engineer?.history?.length ?? 0) > 0 && (f.entity === undefined || f.timestamp === undefined))
    problems.push(`'features.engineer.history' needs both 'entity' and 'timestamp' columns`)
  for (const [i, h] of (engineer?.history ?? []).entries()) {
    const needsColumn = h.aggregates.some((a) => a !== 'count' && a !== 'days_since_last')
    if (needsColumn && h.column === undefined)
      problems.push(`'features.engineer.history[${i}].column' is required for ${h.aggregates.join(', ')}`)
  }
  const exclude = f.features?.exclude ?? []
  if (f.features?.include?.includes(f.target))
    problems.push(`'features.include' lists the target '${f.target}'`)
  if (f.id !== undefined && f.id === f.target) problems.push(`'id' and 'target' are the same column`)
  if (problems.length > 0) fail(label, problems)

  const nulls: Record<string, NullPolicy> = {}
  for (const [col, p] of Object.entries(f.validation?.nulls ?? {}))
    nulls[col] = typeof p === 'string' ? p : { maxFraction: p.max_fraction }
  const allowedLevels: Record<string, string[]> = {}
  for (const [col, levels] of Object.entries(f.validation?.allowed_levels ?? {}))
    allowedLevels[col] = levels.map(String)
  const ranges: Record<string, { min?: number; max?: number }> = {}
  for (const [col, r] of Object.entries(f.validation?.ranges ?? {}))
    ranges[col] = {
      ...(r.min === undefined ? {} : { min: r.min }),
      ...(r.max === undefined ? {} : { max: r.max }),
    }

  return {
    task: f.task,
    ...(f.data === undefined ? {} : { data: isAbsolute(f.data) ? f.data : resolve(baseDir, f.data) }),
    target: f.target,
    ...(f.id === undefined ? {} : { id: f.id }),
    ...(f.entity === undefined ? {} : { entity: f.entity }),
    ...(f.timestamp === undefined ? {} : { timestamp: f.timestamp }),
    ...(f.positive_class === undefined ? {} : { positiveClass: String(f.positive_class) }),
    features: {
      ...(f.features?.include === undefined ? {} : { include: f.features.include }),
      exclude,
      types: f.features?.types ?? {},
      engineer: {
        datetimeParts: engineer?.datetime_parts ?? [],
        history: (engineer?.history ?? []).map((h) => ({
          aggregates: h.aggregates,
          ...(h.column === undefined ? {} : { column: h.column }),
          ...(h.window_days === undefined ? {} : { windowDays: h.window_days }),
          ...(h.prefix === undefined ? {} : { prefix: h.prefix }),
        })),
        ratios: engineer?.ratios ?? [],
      },
    },
    metrics: metrics.length > 0 ? metrics : defaultMetricsFor(f.task),
    constraints: {
      ...(f.constraints?.latency_ms === undefined ? {} : { latencyMs: f.constraints.latency_ms }),
      ...(f.constraints?.model_size_mb === undefined ? {} : { modelSizeMb: f.constraints.model_size_mb }),
      interpretability: f.constraints?.interpretability ?? 'none',
    },
    split: {
      kind: splitKind,
      testSize,
      validSize,
      seed: f.split?.seed ?? 42,
      folds: f.split?.folds ?? 5,
      ...(group === undefined ? {} : { group }),
    },
    validation: {
      requiredColumns: f.validation?.required_columns ?? [],
      allowedLevels,
      ranges,
      nulls,
      ...(f.validation?.min_rows === undefined ? {} : { minRows: f.validation.min_rows }),
      leakage: f.validation?.leakage ?? 'warn',
    },
  }
}

/**
 * Reads and validates a `keel.yaml` task file.
 * @example
 * const config = loadTaskFile('keel.yaml')
 * config.metrics[0] // the primary metric, e.g. { name: 'roc_auc' }
 * @throws DataError DATA_FILE_NOT_FOUND when missing, DATA_TASK_FILE for bad YAML or keys
 */
export function loadTaskFile(path: string): TaskConfig {
  let text: string
  try {
    if (!statSync(path).isFile()) throw new Error('not a file')
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new DataError('DATA_FILE_NOT_FOUND', `Task file '${path}' does not exist or is not a file.`, {
      cause: error,
      details: { path },
    })
  }
  let raw: unknown
  try {
    raw = parseYaml(text)
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error)
    throw new DataError('DATA_TASK_FILE', `${path}: not valid YAML (${message}).`, {
      cause: error,
      details: { path },
    })
  }
  const config = parseTaskConfig(raw, path, dirname(resolve(path)))
  return { ...config, path: resolve(path) }
}

/** The task file in `dir` (`keel.yaml`, then `keel.yml`), or undefined when there is none. */
export function findTaskFile(dir: string = process.cwd()): string | undefined {
  for (const file of ['keel.yaml', 'keel.yml']) {
    const path = join(dir, file)
    if (existsSync(path)) return path
  }
  return undefined
}
