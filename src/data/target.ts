import type { Column } from './dataset.js'
import { compareLevels } from './dataset.js'

/** A target column as class codes (-1 missing) over sorted class labels. */
export interface ClassTarget {
  readonly codes: Int32Array
  readonly labels: readonly string[]
}

function numericLabel(v: number): string {
  return String(v)
}

/**
 * Codes of the first `n` values by first appearance: the first distinct value is 0, the next new
 * one 1, and so on; values `isPresent` rejects (missing) are -1. `levels` lists the values in code
 * order. @internal
 */
export function firstSeenCodes<T, K extends T>(
  values: ArrayLike<T>,
  n: number,
  isPresent: (value: T) => value is K,
): { codes: Int32Array; levels: K[] } {
  const index = new Map<K, number>()
  const levels: K[] = []
  const codes = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const value = values[i]!
    if (!isPresent(value)) {
      codes[i] = -1
      continue
    }
    let code = index.get(value)
    if (code === undefined) {
      code = levels.length
      index.set(value, code)
      levels.push(value)
    }
    codes[i] = code
  }
  return { codes, levels }
}

/**
 * Encodes any column as classes: levels for categoricals, 'false'/'true' for booleans, and the
 * distinct numbers (sorted numerically) for numeric and datetime columns.
 */
export function classTarget(col: Column): ClassTarget {
  if (col.kind === 'categorical') {
    // Drop unused levels so that a subset reports only the classes it has.
    const used = new Int32Array(col.levels.length).fill(-1)
    for (const c of col.codes) if (c >= 0) used[c] = 1
    const labels: string[] = []
    for (let l = 0; l < used.length; l++) if (used[l] === 1) used[l] = labels.push(col.levels[l]!) - 1
    const codes = new Int32Array(col.codes.length)
    for (let i = 0; i < codes.length; i++) codes[i] = col.codes[i]! < 0 ? -1 : used[col.codes[i]!]!
    return { codes, labels }
  }
  if (col.kind === 'boolean') {
    const hasFalse = col.values.some((v) => v === 0)
    const hasTrue = col.values.some((v) => v === 1)
    const labels = [...(hasFalse ? ['false'] : []), ...(hasTrue ? ['true'] : [])]
    const codes = new Int32Array(col.values.length)
    for (let i = 0; i < codes.length; i++) {
      const v = col.values[i]!
      codes[i] = Number.isNaN(v) ? -1 : v === 1 ? (hasFalse ? 1 : 0) : 0
    }
    return { codes, labels }
  }
  const distinct = [...new Set(col.values)].filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
  const index = new Map(distinct.map((v, i) => [v, i]))
  const codes = new Int32Array(col.values.length)
  for (let i = 0; i < codes.length; i++) {
    const v = col.values[i]!
    codes[i] = Number.isNaN(v) ? -1 : index.get(v)!
  }
  return { codes, labels: distinct.map(numericLabel) }
}

/** Sorts labels the way class targets do (exported for callers building their own). @internal */
export function sortLabels(labels: readonly string[]): string[] {
  return [...labels].sort(compareLevels)
}

/**
 * The task `keel train` infers for a target column when none is given: two distinct values make a
 * binary task; a numeric column with 3 to 10 distinct integers, or any text column, a multiclass task;
 * other numbers a regression. Kept in step with `encodeTarget` of src/pipeline/labels.ts so that
 * `keel validate --target COL` checks the task that training would run.
 */
export function inferTaskKind(col: Column): 'binary' | 'multiclass' | 'regression' {
  if (col.kind === 'categorical') {
    const used = new Set<number>()
    for (const c of col.codes) if (c >= 0) used.add(c)
    return used.size === 2 ? 'binary' : 'multiclass'
  }
  const distinct = new Set<number>()
  for (const v of col.values) if (!Number.isNaN(v)) distinct.add(v)
  if (distinct.size === 2) return 'binary'
  if (col.kind !== 'numeric') return 'multiclass'
  const integers = [...distinct].every((v) => Number.isInteger(v))
  return integers && distinct.size > 2 && distinct.size <= 10 ? 'multiclass' : 'regression'
}
