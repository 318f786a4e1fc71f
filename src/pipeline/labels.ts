import { AppError } from '../core/index.js'
import type { Column } from '../data/index.js'
import type { TaskKind } from '../models/index.js'

/** The target column turned into model targets, with the mapping back to labels. */
export interface EncodedTarget {
  readonly task: TaskKind
  /** Class codes (classification) or values (regression); NaN where the target is missing. */
  readonly y: Float64Array
  /** Label names in code order (binary: index 1 is the positive class); empty for regression. */
  readonly classes: readonly string[]
  /** How the task was decided, for the output ("inferred: 2 distinct values"). */
  readonly reason: string
}

const MAX_CLASSES = 50

function targetLabels(column: Column): (string | null)[] {
  if (column.kind === 'categorical')
    return Array.from(column.codes, (c) => (c < 0 ? null : column.levels[c]!))
  if (column.kind === 'boolean')
    return Array.from(column.values, (v) => (Number.isNaN(v) ? null : v === 1 ? 'true' : 'false'))
  return Array.from(column.values, (v) => (Number.isNaN(v) ? null : String(v)))
}

/**
 * Infers the task from the target when not given (two distinct values: binary; a few integer or
 * text labels: multiclass; numbers: regression) and encodes the target.
 * @throws AppError TARGET_UNUSABLE when the target cannot serve the task (one class, text for regression).
 */
export function encodeTarget(
  column: Column,
  requested: TaskKind | undefined,
  positiveClass?: string,
): EncodedTarget {
  const labels = targetLabels(column)
  const distinct = [...new Set(labels.filter((l): l is string => l !== null))]
  let task: TaskKind
  let reason: string
  if (requested !== undefined) {
    task = requested
    reason = 'given'
  } else if (distinct.length === 2) {
    task = 'binary'
    reason = `inferred: target '${column.name}' has 2 distinct values`
  } else if (column.kind === 'numeric') {
    const isIntegerFew =
      distinct.length <= 10 && column.values.every((v) => Number.isNaN(v) || Number.isInteger(v))
    task = isIntegerFew && distinct.length > 2 ? 'multiclass' : 'regression'
    reason = `inferred: target '${column.name}' is numeric with ${distinct.length} distinct values`
  } else {
    task = 'multiclass'
    reason = `inferred: target '${column.name}' has ${distinct.length} text labels`
  }

  if (task === 'regression') {
    if (column.kind !== 'numeric') {
      throw new AppError(
        'TARGET_UNUSABLE',
        `Regression needs a numeric target; '${column.name}' is ${column.kind}. Use --task binary|multiclass or pick a numeric target.`,
      )
    }
    return { task, y: Float64Array.from(column.values), classes: [], reason }
  }
  if (distinct.length < 2) {
    throw new AppError(
      'TARGET_UNUSABLE',
      `Target '${column.name}' has ${distinct.length} distinct value(s); classification needs at least 2.`,
    )
  }
  if (task === 'binary' && distinct.length !== 2) {
    throw new AppError(
      'TARGET_UNUSABLE',
      `Binary classification needs exactly 2 target values; '${column.name}' has ${distinct.length} (${distinct.slice(0, 5).join(', ')}${distinct.length > 5 ? ', …' : ''}). Use --task multiclass.`,
    )
  }
  if (distinct.length > MAX_CLASSES) {
    throw new AppError(
      'TARGET_UNUSABLE',
      `Target '${column.name}' has ${distinct.length} classes (more than ${MAX_CLASSES}); is it really a class label? Use --task regression for numbers.`,
    )
  }
  let classes: string[]
  if (task === 'binary') {
    const counts = new Map<string, number>()
    for (const l of labels) if (l !== null) counts.set(l, (counts.get(l) ?? 0) + 1)
    const sorted = [...distinct].sort()
    let positive: string
    if (positiveClass !== undefined) {
      // A boolean target read from yes/no or 1/0 text still accepts those names for its classes.
      if (column.kind === 'boolean' && !distinct.includes(positiveClass)) {
        const truthy = ['yes', 'y', 'true', 't', '1'].includes(positiveClass.toLowerCase())
        const falsy = ['no', 'n', 'false', 'f', '0'].includes(positiveClass.toLowerCase())
        if (truthy || falsy) positiveClass = truthy ? 'true' : 'false'
      }
      if (!distinct.includes(positiveClass)) {
        throw new AppError(
          'TARGET_UNUSABLE',
          `Positive class '${positiveClass}' is not a value of '${column.name}' (values: ${sorted.join(', ')}).`,
        )
      }
      positive = positiveClass
    } else {
      // The minority class is the one users ask about (churned, fraud, malignant).
      const [a, b] = sorted as [string, string]
      positive = (counts.get(a) ?? 0) < (counts.get(b) ?? 0) ? a : b
    }
    classes = [sorted.find((l) => l !== positive)!, positive]
  } else {
    classes = [...distinct].sort()
  }
  const index = new Map(classes.map((c, i) => [c, i]))
  const y = Float64Array.from(labels, (l) => (l === null ? Number.NaN : index.get(l)!))
  return { task, y, classes, reason }
}

/**
 * Rejects a labelled target that cannot be learned and scored: a regression target with one value
 * (every model scores a perfect, meaningless r2) and a class with a single row (a stratified test
 * part or fold cannot hold it, and its one-vs-rest AUC is undefined).
 * @throws AppError TARGET_UNUSABLE naming the target and what to do.
 */
export function assertLearnableTarget(target: EncodedTarget, name: string): void {
  if (target.task === 'regression') {
    const distinct = new Set<number>()
    for (const v of target.y) if (!Number.isNaN(v)) distinct.add(v)
    if (distinct.size < 2)
      throw new AppError(
        'TARGET_UNUSABLE',
        `Target '${name}' holds a single value (${[...distinct].join('') || 'none'}); there is nothing to learn. Pick another target or add rows with other values.`,
      )
    return
  }
  const counts = new Int32Array(target.classes.length)
  for (const v of target.y) if (!Number.isNaN(v)) counts[v]!++
  const rare = target.classes.filter((_, i) => counts[i]! < 2)
  if (rare.length > 0)
    throw new AppError(
      'TARGET_UNUSABLE',
      `Class(es) ${rare.map((c) => `'${c}'`).join(', ')} of target '${name}' occur in only one row; a model cannot be trained and tested on them. Drop those rows or merge them into another class.`,
    )
}
