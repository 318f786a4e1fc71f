import { didYouMean, Rng } from '../core/index.js'
import type { Column, Dataset } from './dataset.js'
import { cellValue, getColumn, hasColumn } from './dataset.js'
import { isTargetCopy, singleFeatureScore } from './leakage.js'
import { classTarget, inferTaskKind } from './target.js'
import type { TaskConfig, TaskKindName } from './task-file.js'

/** One problem found in a dataset. */
export interface ValidationProblem {
  /** Stable code, e.g. TARGET_MISSING, OUT_OF_RANGE, LEAKAGE_SINGLE_FEATURE. */
  readonly code: string
  readonly severity: 'error' | 'warning'
  /** The column concerned (absent for dataset-wide problems). */
  readonly column?: string
  /** How many rows show the problem (0 for column-level problems). */
  readonly rows: number
  /** A few examples: 1-based data row numbers (row 1 = first data row) and their values. */
  readonly examples: readonly { readonly row: number; readonly value: string | number | boolean | null }[]
  readonly message: string
}

/** Everything `validateDataset` found. `ok` is false when there is at least one error. */
export interface ValidationReport {
  readonly ok: boolean
  readonly nRows: number
  readonly nColumns: number
  readonly errors: readonly ValidationProblem[]
  readonly warnings: readonly ValidationProblem[]
}

/** What to check the dataset against. Fields left out fall back to `config`, then to nothing. */
export interface ValidateOptions {
  readonly target?: string
  readonly task?: TaskKindName
  /** A loaded task file: rules, id, timestamp, types, positive class, split kind. */
  readonly config?: TaskConfig
  /** Rows sampled for leakage scores (default 100000). */
  readonly leakageSampleRows?: number
  /** Single-feature AUC/accuracy at or above which a feature is flagged (default 0.99). */
  readonly leakageAuc?: number
  /** Single-feature R² at or above which a feature is flagged (default 0.98). */
  readonly leakageR2?: number
  /** Maximum examples per problem (default 5). */
  readonly maxExamples?: number
}

/** Fewer labelled rows than this and `keel train` refuses the data (DATA_TOO_FEW_ROWS). */
const MIN_TRAIN_ROWS = 10

class Collector {
  readonly errors: ValidationProblem[] = []
  readonly warnings: ValidationProblem[] = []
  constructor(readonly maxExamples: number) {}

  add(p: ValidationProblem): void {
    ;(p.severity === 'error' ? this.errors : this.warnings).push(p)
  }

  /** Adds a row-level problem when `bad` selects any rows. */
  rows(
    severity: 'error' | 'warning',
    code: string,
    col: Column,
    bad: (row: number) => boolean,
    message: (count: number) => string,
    nRows: number,
  ): void {
    let count = 0
    const examples: { row: number; value: string | number | boolean | null }[] = []
    for (let r = 0; r < nRows; r++) {
      if (!bad(r)) continue
      count++
      if (examples.length < this.maxExamples) examples.push({ row: r + 1, value: cellValue(col, r) })
    }
    if (count > 0)
      this.add({ code, severity, column: col.name, rows: count, examples, message: message(count) })
  }
}

function isMissingAt(col: Column, r: number): boolean {
  return col.kind === 'categorical' ? col.codes[r]! < 0 : Number.isNaN(col.values[r]!)
}

function fmtExamples(p: ValidationProblem): string {
  return p.examples.map((e) => `row ${e.row}: ${JSON.stringify(e.value)}`).join(', ')
}

/** One line per problem, for terminals. */
export function formatProblem(p: ValidationProblem): string {
  const head = `${p.severity === 'error' ? 'error' : 'warning'} [${p.code}]${p.column === undefined ? '' : ` ${p.column}`}: ${p.message}`
  return p.examples.length > 0 ? `${head} (e.g. ${fmtExamples(p)})` : head
}

function checkTarget(
  ds: Dataset,
  task: TaskKindName,
  target: string,
  positiveClass: string | undefined,
  out: Collector,
): void {
  if (!hasColumn(ds, target)) {
    out.add({
      code: 'TARGET_MISSING',
      severity: 'error',
      column: target,
      rows: 0,
      examples: [],
      message: `Target column '${target}' is not in the data${didYouMean(
        target,
        ds.columns.map((c) => c.name),
      )}. Available columns: ${ds.columns.map((c) => c.name).join(', ')}.`,
    })
    return
  }
  const col = getColumn(ds, target)
  out.rows(
    'error',
    'TARGET_NULLS',
    col,
    (r) => isMissingAt(col, r),
    (n) => `Target has ${n} missing value(s); drop or fill those rows before training.`,
    ds.nRows,
  )
  if (task === 'regression') {
    if (col.kind !== 'numeric') {
      out.rows(
        'error',
        'TARGET_NOT_NUMERIC',
        col,
        (r) => !isMissingAt(col, r),
        () =>
          `A regression target must be numeric, but '${target}' is ${col.kind}${col.kind === 'categorical' ? ' (text)' : ''}. Use task binary/multiclass, or fix the values.`,
        ds.nRows,
      )
    } else {
      const distinct = new Set<number>()
      for (const v of col.values) if (!Number.isNaN(v)) distinct.add(v)
      // All missing is already TARGET_NULLS; one value leaves nothing to learn (and a perfect r2).
      if (distinct.size === 1)
        out.add({
          code: 'TARGET_CONSTANT',
          severity: 'error',
          column: target,
          rows: ds.nRows,
          examples: [{ row: 1, value: cellValue(col, 0) }],
          message: `Target '${target}' holds a single value; there is nothing to learn. Pick another target or add rows with other values.`,
        })
    }
    return
  }
  const classes = classTarget(col)
  const k = classes.labels.length
  /** An issue of the target as a whole (no single row or example to point at). */
  const wholeTarget = (
    code: 'TARGET_CLASSES' | 'TARGET_POSITIVE_CLASS',
    severity: 'error' | 'warning',
    message: string,
  ): void => out.add({ code, severity, column: target, rows: 0, examples: [], message })
  const shown = classes.labels
    .slice(0, 10)
    .map((l) => JSON.stringify(l))
    .join(', ')
  if (task === 'binary' && k !== 2) {
    wholeTarget(
      'TARGET_CLASSES',
      'error',
      `A binary target needs exactly 2 classes; '${target}' has ${k}${k > 0 ? ` (${shown}${k > 10 ? ', ...' : ''})` : ''}. ${k > 2 ? 'Use task multiclass, or map the values to two classes.' : 'The data holds a single class; nothing to learn.'}`,
    )
  }
  if (task === 'multiclass' && k < 3) {
    wholeTarget(
      'TARGET_CLASSES',
      k < 2 ? 'error' : 'warning',
      `A multiclass target should have at least 3 classes; '${target}' has ${k} (${shown}).${k === 2 ? ' Use task binary.' : ''}`,
    )
  }
  if (task === 'multiclass' && col.kind === 'numeric' && k > 50) {
    wholeTarget(
      'TARGET_CLASSES',
      'error',
      `'${target}' is numeric with ${k} distinct values; that looks like a regression target, not classes.`,
    )
  }
  if (
    positiveClass !== undefined &&
    task === 'binary' &&
    k === 2 &&
    !classes.labels.includes(positiveClass)
  ) {
    wholeTarget(
      'TARGET_POSITIVE_CLASS',
      'error',
      `positive_class ${JSON.stringify(positiveClass)} is not one of the target's classes (${shown}).`,
    )
  }
  const classCountError = out.errors.some((p) => p.code === 'TARGET_CLASSES')
  if (k >= 2) {
    const counts = new Int32Array(k)
    for (const c of classes.codes) if (c >= 0) counts[c]!++
    const rare = [...counts.keys()].filter((i) => counts[i]! < 2)
    if (rare.length > 0) {
      out.add({
        code: 'TARGET_RARE_CLASS',
        // An error since `keel train` refuses such a target (TARGET_UNUSABLE); only a warning when the
        // class count is already an error (TARGET_CLASSES), which is the one to fix first.
        severity: classCountError ? 'warning' : 'error',
        column: target,
        rows: rare.reduce((s, i) => s + counts[i]!, 0),
        examples: [],
        message: `Class(es) ${rare.map((i) => JSON.stringify(classes.labels[i])).join(', ')} occur only once; stratified splits cannot place them in both parts. Drop those rows or merge them into another class.`,
      })
    }
  }
}

function sampleRows(nRows: number, max: number, seed: number): Int32Array {
  if (nRows <= max) return Int32Array.from({ length: nRows }, (_, i) => i)
  const perm = new Rng(seed).permutation(nRows).subarray(0, max)
  return perm.sort()
}

/**
 * Checks a dataset against a task: target present and usable, required columns, declared types,
 * allowed levels, ranges, null policy, duplicate ids, minimum rows, constant columns, and leakage
 * (single-feature near-perfect scores, target copies, ID-like columns, datetimes after the prediction
 * time for time-split tasks). Reports every problem; never throws for data problems.
 * @example
 * const report = validateDataset(ds, { target: 'churned', task: 'binary' })
 * if (!report.ok) for (const p of report.errors) console.log(formatProblem(p))
 */
export function validateDataset(ds: Dataset, options: ValidateOptions = {}): ValidationReport {
  const config = options.config
  const out = new Collector(options.maxExamples ?? 5)
  const target = options.target ?? config?.target
  // Without a task, infer it as `keel train` would: otherwise the target and leakage checks are
  // skipped, and a target that training rejects (one class, all missing) passes validation.
  const task =
    options.task ??
    config?.task ??
    (target !== undefined && hasColumn(ds, target) ? inferTaskKind(getColumn(ds, target)) : undefined)
  const rules = config?.validation
  const leakSeverity = rules?.leakage === 'error' ? 'error' : 'warning'

  if (rules?.minRows !== undefined && ds.nRows < rules.minRows) {
    out.add({
      code: 'TOO_FEW_ROWS',
      severity: 'error',
      rows: ds.nRows,
      examples: [],
      message: `The data has ${ds.nRows} rows; the task file asks for at least ${rules.minRows}.`,
    })
  }
  const required = new Set([...(rules?.requiredColumns ?? [])])
  for (const key of [config?.id, config?.entity, config?.timestamp]) if (key !== undefined) required.add(key)
  for (const name of required) {
    if (!hasColumn(ds, name)) {
      out.add({
        code: 'COLUMN_MISSING',
        severity: 'error',
        column: name,
        rows: 0,
        examples: [],
        message: `Required column '${name}' is not in the data. Available columns: ${ds.columns.map((c) => c.name).join(', ')}.`,
      })
    }
  }
  if (target !== undefined && hasColumn(ds, target) && rules?.minRows === undefined) {
    // `keel train` refuses fewer than 10 labelled rows; say so here rather than pass the data.
    const col = getColumn(ds, target)
    let labelled = 0
    for (let r = 0; r < ds.nRows; r++) if (!isMissingAt(col, r)) labelled++
    if (labelled > 0 && labelled < MIN_TRAIN_ROWS)
      out.add({
        code: 'TOO_FEW_ROWS',
        severity: 'error',
        rows: labelled,
        examples: [],
        message: `The data has ${labelled} labelled row(s); training needs at least ${MIN_TRAIN_ROWS}.`,
      })
  }
  if (target !== undefined && task !== undefined) checkTarget(ds, task, target, config?.positiveClass, out)
  else if (target !== undefined && !hasColumn(ds, target))
    checkTarget(ds, 'regression', target, undefined, out)

  for (const [name, kind] of Object.entries(config?.features.types ?? {})) {
    if (!hasColumn(ds, name)) continue
    const col = getColumn(ds, name)
    if (col.kind === kind || kind === 'categorical') continue
    out.rows(
      'error',
      'TYPE_MISMATCH',
      col,
      (r) => {
        if (isMissingAt(col, r)) return false
        if (col.kind !== 'categorical') return true
        const s = col.levels[col.codes[r]!]!
        if (kind === 'numeric') return Number.isNaN(Number(s)) || s.trim() === ''
        if (kind === 'datetime') return Number.isNaN(Date.parse(s))
        return !/^(true|false|0|1|yes|no|t|f)$/i.test(s.trim())
      },
      (n) => `Declared ${kind} but read as ${col.kind}; ${n} value(s) are not ${kind}.`,
      ds.nRows,
    )
  }
  for (const [name, levels] of Object.entries(rules?.allowedLevels ?? {})) {
    if (!hasColumn(ds, name)) continue
    const col = getColumn(ds, name)
    const allowed = new Set(levels)
    out.rows(
      'error',
      'LEVEL_NOT_ALLOWED',
      col,
      (r) => !isMissingAt(col, r) && !allowed.has(String(cellValue(col, r))),
      (n) => `${n} value(s) are not among the allowed levels (${levels.join(', ')}).`,
      ds.nRows,
    )
  }
  for (const [name, range] of Object.entries(rules?.ranges ?? {})) {
    if (!hasColumn(ds, name)) continue
    const col = getColumn(ds, name)
    if (col.kind === 'categorical') {
      out.add({
        code: 'TYPE_MISMATCH',
        severity: 'error',
        column: name,
        rows: 0,
        examples: [],
        message: `A range is declared but the column is categorical (text), not numeric.`,
      })
      continue
    }
    const lo = range.min ?? Number.NEGATIVE_INFINITY
    const hi = range.max ?? Number.POSITIVE_INFINITY
    out.rows(
      'error',
      'OUT_OF_RANGE',
      col,
      (r) => {
        const v = col.values[r]!
        return !Number.isNaN(v) && (v < lo || v > hi)
      },
      (n) => `${n} value(s) fall outside [${range.min ?? '-inf'}, ${range.max ?? 'inf'}].`,
      ds.nRows,
    )
  }
  for (const [name, policy] of Object.entries(rules?.nulls ?? {})) {
    if (!hasColumn(ds, name) || policy === 'allow') continue
    const col = getColumn(ds, name)
    if (policy === 'forbid') {
      out.rows(
        'error',
        'NULLS_FORBIDDEN',
        col,
        (r) => isMissingAt(col, r),
        (n) => `${n} missing value(s); the task file forbids nulls here.`,
        ds.nRows,
      )
      continue
    }
    let missing = 0
    for (let r = 0; r < ds.nRows; r++) if (isMissingAt(col, r)) missing++
    if (ds.nRows > 0 && missing / ds.nRows > policy.maxFraction) {
      out.rows(
        'error',
        'TOO_MANY_NULLS',
        col,
        (r) => isMissingAt(col, r),
        (n) =>
          `${((100 * n) / ds.nRows).toFixed(1)}% missing; the task file allows at most ${(100 * policy.maxFraction).toFixed(1)}%.`,
        ds.nRows,
      )
    }
  }
  if (config?.id !== undefined && hasColumn(ds, config.id)) {
    const col = getColumn(ds, config.id)
    const seen = new Set<number | string | boolean | null>()
    const dup = new Uint8Array(ds.nRows)
    for (let r = 0; r < ds.nRows; r++) {
      const v = cellValue(col, r)
      if (v === null) continue
      if (seen.has(v)) dup[r] = 1
      else seen.add(v)
    }
    out.rows(
      'error',
      'DUPLICATE_ID',
      col,
      (r) => dup[r] === 1,
      (n) => `${n} row(s) repeat an id seen earlier.`,
      ds.nRows,
    )
    out.rows(
      'error',
      'ID_NULLS',
      col,
      (r) => isMissingAt(col, r),
      (n) => `${n} row(s) have no id.`,
      ds.nRows,
    )
  }

  const special = new Set(
    [target, config?.id, config?.entity, config?.timestamp].filter((v) => v !== undefined),
  )
  const excluded = new Set(config?.features.exclude ?? [])
  const include = config?.features.include === undefined ? undefined : new Set(config.features.include)
  const features = ds.columns.filter(
    (c) => !special.has(c.name) && !excluded.has(c.name) && (include === undefined || include.has(c.name)),
  )
  for (const col of ds.columns) {
    if (col.name === target) continue
    let first: number | undefined
    let constant = true
    let allMissing = true
    for (let r = 0; r < ds.nRows && constant; r++) {
      if (isMissingAt(col, r)) continue
      allMissing = false
      const v = col.kind === 'categorical' ? col.codes[r]! : col.values[r]!
      if (first === undefined) first = v
      else if (v !== first) constant = false
    }
    if (ds.nRows > 1 && constant) {
      out.add({
        code: allMissing ? 'ALL_MISSING' : 'CONSTANT_COLUMN',
        severity: 'warning',
        column: col.name,
        rows: ds.nRows,
        examples: allMissing ? [] : [{ row: 1, value: cellValue(col, 0) }],
        message: allMissing
          ? 'Every value is missing; drop the column.'
          : 'The column holds a single value; it cannot help a model. Drop it.',
      })
    }
  }
  if (target !== undefined && task !== undefined && hasColumn(ds, target)) {
    checkLeakage(ds, features, target, task, leakSeverity, options, out)
  }
  for (const col of features) {
    if (ds.nRows < 20 || col.kind === 'boolean' || col.kind === 'datetime') continue
    let idLike = false
    if (col.kind === 'categorical') {
      let present = 0
      for (const c of col.codes) if (c >= 0) present++
      idLike = present === ds.nRows && col.levels.length === ds.nRows
    } else {
      // Integers, all distinct, packed like a counter: a row number or key, not a measurement.
      const set = new Set<number>()
      let min = Number.POSITIVE_INFINITY
      let max = Number.NEGATIVE_INFINITY
      let integers = true
      for (const v of col.values) {
        if (!Number.isInteger(v)) {
          integers = false
          break
        }
        set.add(v)
        min = Math.min(min, v)
        max = Math.max(max, v)
      }
      idLike = integers && set.size === ds.nRows && max - min + 1 <= 2 * ds.nRows
    }
    if (idLike) {
      out.add({
        code: 'LEAKAGE_ID_LIKE',
        severity: leakSeverity,
        column: col.name,
        rows: ds.nRows,
        examples: [],
        message: `Every value is distinct, so it looks like an ID; a model can only memorise it. Declare it as 'id' or exclude it.`,
      })
    }
  }
  if (config?.split.kind === 'time' && config.timestamp !== undefined && hasColumn(ds, config.timestamp)) {
    const ts = getColumn(ds, config.timestamp)
    if (ts.kind === 'datetime' || ts.kind === 'numeric') {
      for (const col of features) {
        if (col.kind !== 'datetime') continue
        out.rows(
          leakSeverity,
          'LEAKAGE_FUTURE_DATE',
          col,
          (r) => col.values[r]! > ts.values[r]!,
          (n) =>
            `${n} row(s) are dated after the prediction time '${config.timestamp}'; such a value cannot be known when predicting.`,
          ds.nRows,
        )
      }
    }
  }
  return {
    ok: out.errors.length === 0,
    nRows: ds.nRows,
    nColumns: ds.columns.length,
    errors: out.errors,
    warnings: out.warnings,
  }
}

function checkLeakage(
  ds: Dataset,
  features: readonly Column[],
  target: string,
  task: TaskKindName,
  severity: 'error' | 'warning',
  options: ValidateOptions,
  out: Collector,
): void {
  const tcol = getColumn(ds, target)
  let y: Float64Array
  let classes: ReturnType<typeof classTarget> | undefined
  if (task === 'regression') {
    if (tcol.kind !== 'numeric') return
    y = tcol.values
  } else {
    classes = classTarget(tcol)
    if (task === 'binary' && classes.labels.length !== 2) return
    y = Float64Array.from(classes.codes, (c) => (c < 0 ? Number.NaN : c))
  }
  const all = sampleRows(ds.nRows, options.leakageSampleRows ?? 100_000, 17)
  const rows = all.filter((r) => !Number.isNaN(y[r]!))
  if (rows.length < 20) return
  const aucLimit = options.leakageAuc ?? 0.99
  // With a dominant class, a high accuracy says nothing; only flag when beating that baseline.
  let majorityShare = 0
  if (classes !== undefined) {
    const counts = new Float64Array(classes.labels.length)
    for (const r of rows) counts[y[r]!]!++
    majorityShare = Math.max(...counts) / rows.length
  }
  const r2Limit = options.leakageR2 ?? 0.98
  for (const col of features) {
    if (isTargetCopy(col, y, rows, task === 'regression')) {
      out.add({
        code: 'LEAKAGE_TARGET_COPY',
        severity,
        column: col.name,
        rows: rows.length,
        examples: [],
        message: `The column is a copy of the target '${target}' (values map one-to-one). Drop it.`,
      })
      continue
    }
    const score = singleFeatureScore(col, task, { y, ...(classes === undefined ? {} : { classes }) }, rows)
    if (score === undefined) continue
    const limit = score.metric === 'r2' ? r2Limit : aucLimit
    if (score.value >= limit && !(score.metric === 'accuracy' && majorityShare >= limit)) {
      out.add({
        code: 'LEAKAGE_SINGLE_FEATURE',
        severity,
        column: col.name,
        rows: rows.length,
        examples: [],
        message: `On its own this column predicts '${target}' almost perfectly (${score.metric.toUpperCase()} ${score.value.toFixed(4)}${rows.length < ds.nRows ? ` on a sample of ${rows.length} rows` : ''}); it probably leaks the answer. Check how it is produced.`,
      })
    }
  }
}
