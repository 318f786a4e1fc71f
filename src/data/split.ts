import { Rng } from '../core/index.js'
import type { Column, Dataset } from './dataset.js'
import { getColumn } from './dataset.js'
import { DataError } from './errors.js'
import { classTarget, firstSeenCodes } from './target.js'
import type { SplitConfig } from './task-file.js'

/** Row indices (ascending) of each part of a split. `valid` is empty when no validation part was asked for. */
export interface TrainTestSplit {
  readonly train: Int32Array
  readonly valid: Int32Array
  readonly test: Int32Array
}

/** One cross-validation fold: fit on `train`, score on `valid` (ascending indices). */
export interface Fold {
  readonly train: Int32Array
  readonly valid: Int32Array
}

/** Sizes and seed of a train/valid/test split. Sizes below 1 are shares of the rows; 1 and above are counts. */
export interface SplitOptions {
  readonly testSize: number
  readonly validSize?: number
  readonly seed?: number
}

function checkSizes(n: number, options: SplitOptions): { nTest: number; nValid: number } {
  const count = (size: number | undefined, what: string): number => {
    if (size === undefined || size === 0) return 0
    if (!(size > 0) || (size >= 1 && !Number.isInteger(size)))
      throw new DataError(
        'DATA_SPLIT',
        `${what} must be a share in (0, 1) or a whole number of rows; got ${size}.`,
      )
    return size < 1 ? Math.round(size * n) : size
  }
  const nTest = count(options.testSize, 'testSize')
  const nValid = count(options.validSize, 'validSize')
  if (nTest + nValid >= n)
    throw new DataError(
      'DATA_SPLIT',
      `The split leaves no training rows: ${n} rows, ${nTest} test and ${nValid} validation.`,
    )
  return { nTest, nValid }
}

function sorted(values: readonly number[] | Int32Array): Int32Array {
  return Int32Array.from(values).sort()
}

function fromAssignment(part: Uint8Array): TrainTestSplit {
  const buckets: number[][] = [[], [], []]
  for (let i = 0; i < part.length; i++) buckets[part[i]!]!.push(i)
  return {
    train: Int32Array.from(buckets[0]!),
    valid: Int32Array.from(buckets[1]!),
    test: Int32Array.from(buckets[2]!),
  }
}

const TRAIN = 0
const VALID = 1
const TEST = 2

/**
 * Shuffled split into train / (valid) / test.
 * @example
 * const { train, test } = randomSplit(ds.nRows, { testSize: 0.2, seed: 42 })
 */
export function randomSplit(nRows: number, options: SplitOptions): TrainTestSplit {
  const { nTest, nValid } = checkSizes(nRows, options)
  const perm = new Rng(options.seed ?? 0).permutation(nRows)
  const part = new Uint8Array(nRows)
  for (let i = 0; i < nTest; i++) part[perm[i]!] = TEST
  for (let i = nTest; i < nTest + nValid; i++) part[perm[i]!] = VALID
  return fromAssignment(part)
}

/** Class codes (-1 missing) from numbers or a column. */
function classCodes(y: ArrayLike<number> | Column): Int32Array {
  if ('kind' in y) return classTarget(y).codes
  return firstSeenCodes(y, y.length, (v): v is number => !Number.isNaN(v)).codes
}

function byClass(codes: Int32Array): number[][] {
  const groups = new Map<number, number[]>()
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!
    const g = groups.get(c)
    if (g === undefined) groups.set(c, [i])
    else g.push(i)
  }
  return [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k)!)
}

/**
 * Split that keeps each class's share in every part (rows with a missing class are treated as a
 * class of their own). `y` holds class values (any numbers) or is the target column.
 * @example
 * const { train, test } = stratifiedSplit(y, { testSize: 0.2, seed: 42 })
 */
export function stratifiedSplit(y: ArrayLike<number> | Column, options: SplitOptions): TrainTestSplit {
  const codes = classCodes(y)
  const n = codes.length
  const { nTest, nValid } = checkSizes(n, options)
  const rng = new Rng(options.seed ?? 0)
  const part = new Uint8Array(n)
  // Per class, the share of test/valid rows is rounded; the largest remainders get the leftover
  // rows so that the totals match the requested sizes exactly.
  const classes = byClass(codes)
  const allocate = (total: number, available: number[]): number[] => {
    const exact = classes.map((c) => (total * c.length) / n)
    const base = exact.map((e, i) => Math.min(Math.floor(e), available[i]!))
    let left = total - base.reduce((a, b) => a + b, 0)
    const order = exact
      .map((_e, i) => i)
      .sort((a, b) => exact[b]! - Math.floor(exact[b]!) - (exact[a]! - Math.floor(exact[a]!)) || a - b)
    for (const i of order) {
      if (left <= 0) break
      if (base[i]! < available[i]!) {
        base[i]!++
        left--
      }
    }
    return base
  }
  const shuffled = classes.map((c) => rng.shuffle([...c]))
  const testCounts = allocate(
    nTest,
    classes.map((c) => c.length - 1),
  )
  const validCounts = allocate(
    nValid,
    classes.map((c, i) => c.length - 1 - testCounts[i]!),
  )
  shuffled.forEach((rows, i) => {
    for (let j = 0; j < testCounts[i]!; j++) part[rows[j]!] = TEST
    for (let j = testCounts[i]!; j < testCounts[i]! + validCounts[i]!; j++) part[rows[j]!] = VALID
  })
  return fromAssignment(part)
}

/** Group keys from numbers, strings or a column; missing keys become singleton groups. */
function groupIds(groups: ArrayLike<number | string> | Column): Int32Array {
  const n =
    'kind' in groups
      ? groups.kind === 'categorical'
        ? groups.codes.length
        : groups.values.length
      : groups.length
  const ids = new Int32Array(n)
  const map = new Map<number | string, number>()
  let next = 0
  for (let i = 0; i < n; i++) {
    let key: number | string | null
    if ('kind' in groups) {
      if (groups.kind === 'categorical') key = groups.codes[i]! < 0 ? null : groups.codes[i]!
      else key = Number.isNaN(groups.values[i]!) ? null : groups.values[i]!
    } else {
      const v = groups[i]!
      key = typeof v === 'number' && Number.isNaN(v) ? null : v
    }
    if (key === null) {
      ids[i] = next++
      continue
    }
    let id = map.get(key)
    if (id === undefined) {
      id = next++
      map.set(key, id)
    }
    ids[i] = id
  }
  return ids
}

function groupMembers(ids: Int32Array): number[][] {
  let max = -1
  for (const id of ids) max = Math.max(max, id)
  const members: number[][] = Array.from({ length: max + 1 }, () => [])
  for (let i = 0; i < ids.length; i++) members[ids[i]!]!.push(i)
  return members
}

/**
 * Split where every group (e.g. customer) lands in exactly one part, so no entity is seen in both
 * training and test. Sizes are met approximately (whole groups move).
 * @example
 * const { train, test } = groupSplit(getColumn(ds, 'customer_id'), { testSize: 0.2, seed: 1 })
 */
export function groupSplit(
  groups: ArrayLike<number | string> | Column,
  options: SplitOptions,
): TrainTestSplit {
  const ids = groupIds(groups)
  const n = ids.length
  const { nTest, nValid } = checkSizes(n, options)
  const members = groupMembers(ids)
  const order = new Rng(options.seed ?? 0).permutation(members.length)
  const part = new Uint8Array(n)
  let inTest = 0
  let inValid = 0
  for (const g of order) {
    const rows = members[g]!
    let target = TRAIN
    // Fill test, then valid, with whole groups while that brings the part closer to its size.
    if (inTest < nTest && Math.abs(inTest + rows.length - nTest) <= Math.abs(inTest - nTest)) target = TEST
    else if (inValid < nValid && Math.abs(inValid + rows.length - nValid) <= Math.abs(inValid - nValid))
      target = VALID
    if (target === TEST) inTest += rows.length
    if (target === VALID) inValid += rows.length
    for (const r of rows) part[r] = target
  }
  if (inTest === 0 && nTest > 0)
    throw new DataError(
      'DATA_SPLIT',
      `Could not form a test part from whole groups (${members.length} groups for ${n} rows).`,
    )
  return fromAssignment(part)
}

function checkTimes(times: ArrayLike<number>): void {
  for (let i = 0; i < times.length; i++) {
    if (Number.isNaN(times[i]!))
      throw new DataError(
        'DATA_SPLIT',
        `A time split needs a timestamp on every row; row ${i + 1} has none. Drop or fill those rows.`,
      )
  }
}

/** Indices ordered by time (stable), and the cut positions that keep equal times together. */
function timeOrder(times: ArrayLike<number>): Int32Array {
  const order = Int32Array.from({ length: times.length }, (_, i) => i)
  return order.sort((a, b) => times[a]! - times[b]! || a - b)
}

function alignCut(order: Int32Array, times: ArrayLike<number>, cut: number): number {
  // Move the cut forward past rows with the same time as the row before it, so that every row of
  // the later part is strictly later than every row of the earlier one.
  let c = cut
  while (c > 0 && c < order.length && times[order[c]!] === times[order[c - 1]!]) c++
  return c
}

/**
 * Train on the past, test on the future: the latest rows (by time) form the test part, the ones
 * before them the validation part, and everything earlier is training. Rows sharing a timestamp
 * stay in one part, so max(train time) < min(valid time) < min(test time).
 * @example
 * const { train, test } = timeSplit(getColumn(ds, 'ts').values, { testSize: 0.2 })
 */
export function timeSplit(times: ArrayLike<number> | Column, options: SplitOptions): TrainTestSplit {
  const t = 'kind' in times ? (times.kind === 'categorical' ? undefined : times.values) : times
  if (t === undefined)
    throw new DataError(
      'DATA_SPLIT',
      `Time split column '${(times as Column).name}' is categorical; it needs dates or numbers.`,
    )
  checkTimes(t)
  const n = t.length
  const { nTest, nValid } = checkSizes(n, options)
  const order = timeOrder(t)
  const testStart = alignCut(order, t, n - nTest)
  const validStart = alignCut(order, t, Math.min(testStart, n - nTest - nValid))
  if (testStart >= n && nTest > 0)
    throw new DataError(
      'DATA_SPLIT',
      'Every row of the test part shares the last training timestamp; no future rows remain.',
    )
  const part = new Uint8Array(n)
  for (let i = validStart; i < testStart; i++) part[order[i]!] = VALID
  for (let i = testStart; i < n; i++) part[order[i]!] = TEST
  return fromAssignment(part)
}

function foldsFromAssignment(fold: Int32Array, k: number): Fold[] {
  const folds: Fold[] = []
  for (let f = 0; f < k; f++) {
    const train: number[] = []
    const valid: number[] = []
    for (let i = 0; i < fold.length; i++) (fold[i] === f ? valid : train).push(i)
    folds.push({ train: Int32Array.from(train), valid: Int32Array.from(valid) })
  }
  return folds
}

function checkK(k: number, n: number, what: string): void {
  if (!Number.isInteger(k) || k < 2)
    throw new DataError('DATA_SPLIT', `${what} needs k >= 2 folds; got ${k}.`)
  if (k > n) throw new DataError('DATA_SPLIT', `${what}: ${k} folds for only ${n} rows/groups.`)
}

/**
 * K shuffled folds of (almost) equal size; each row is validated exactly once.
 * @example
 * for (const { train, valid } of kFold(ds.nRows, 5, 42)) { ... }
 */
export function kFold(nRows: number, k: number, seed = 0): Fold[] {
  checkK(k, nRows, 'kFold')
  const perm = new Rng(seed).permutation(nRows)
  const fold = new Int32Array(nRows)
  for (let i = 0; i < nRows; i++) fold[perm[i]!] = i % k
  return foldsFromAssignment(fold, k)
}

/** K folds that each keep the class shares (rows of each class dealt round-robin after a shuffle). */
export function stratifiedKFold(y: ArrayLike<number> | Column, k: number, seed = 0): Fold[] {
  const codes = classCodes(y)
  checkK(k, codes.length, 'stratifiedKFold')
  const rng = new Rng(seed)
  const fold = new Int32Array(codes.length)
  let offset = 0
  for (const rows of byClass(codes)) {
    rng.shuffle(rows)
    // Continue the round-robin across classes so fold sizes stay balanced overall.
    for (let j = 0; j < rows.length; j++) fold[rows[j]!] = (offset + j) % k
    offset = (offset + rows.length) % k
  }
  return foldsFromAssignment(fold, k)
}

/** K folds where each group is validated in exactly one fold (largest groups placed first, into the smallest fold). */
export function groupKFold(groups: ArrayLike<number | string> | Column, k: number, seed = 0): Fold[] {
  const ids = groupIds(groups)
  const members = groupMembers(ids)
  checkK(k, members.length, 'groupKFold')
  const order = [...new Rng(seed).permutation(members.length)].sort(
    (a, b) => members[b]!.length - members[a]!.length,
  )
  const sizes = new Float64Array(k)
  const fold = new Int32Array(ids.length)
  for (const g of order) {
    let best = 0
    for (let f = 1; f < k; f++) if (sizes[f]! < sizes[best]!) best = f
    sizes[best]! += members[g]!.length
    for (const r of members[g]!) fold[r] = best
  }
  return foldsFromAssignment(fold, k)
}

/**
 * Expanding-window folds for time series: rows sorted by time are cut into k+1 blocks; fold i trains
 * on blocks 0..i and validates on block i+1. `gap` rows after each training window are skipped.
 * Equal timestamps never straddle a cut.
 */
export function timeSeriesFolds(
  times: ArrayLike<number> | Column,
  k: number,
  options: { gap?: number } = {},
): Fold[] {
  const t = 'kind' in times ? (times.kind === 'categorical' ? undefined : times.values) : times
  if (t === undefined)
    throw new DataError('DATA_SPLIT', 'timeSeriesFolds needs dates or numbers, not a categorical column.')
  checkTimes(t)
  const n = t.length
  checkK(k + 1, n, 'timeSeriesFolds')
  const order = timeOrder(t)
  const gap = options.gap ?? 0
  const folds: Fold[] = []
  for (let i = 1; i <= k; i++) {
    const trainEnd = alignCut(order, t, Math.floor((i * n) / (k + 1)))
    const validStart = alignCut(order, t, Math.min(n, trainEnd + gap))
    const validEnd = alignCut(order, t, Math.floor(((i + 1) * n) / (k + 1)))
    if (trainEnd === 0 || validStart >= validEnd) continue
    folds.push({
      train: sorted(order.subarray(0, trainEnd)),
      valid: sorted(order.subarray(validStart, validEnd)),
    })
  }
  if (folds.length === 0)
    throw new DataError('DATA_SPLIT', 'timeSeriesFolds could not form any fold; too many equal timestamps.')
  return folds
}

/**
 * Splits a dataset as a task file's `split:` says: random, stratified (on `target`), group (on
 * `split.group` or `entity`) or time (on `timestamp`).
 * @throws DataError DATA_COLUMN_NOT_FOUND / DATA_SPLIT when a needed column is missing or unusable
 */
export function splitDataset(
  ds: Dataset,
  split: SplitConfig,
  columns: { readonly target?: string; readonly timestamp?: string; readonly entity?: string } = {},
): TrainTestSplit {
  const options: SplitOptions = { testSize: split.testSize, validSize: split.validSize, seed: split.seed }
  switch (split.kind) {
    case 'random':
      return randomSplit(ds.nRows, options)
    case 'stratified': {
      if (columns.target === undefined)
        throw new DataError('DATA_SPLIT', 'A stratified split needs the target column.')
      return stratifiedSplit(getColumn(ds, columns.target), options)
    }
    case 'group': {
      const group = split.group ?? columns.entity
      if (group === undefined)
        throw new DataError('DATA_SPLIT', "A group split needs 'split.group' or 'entity'.")
      return groupSplit(getColumn(ds, group), options)
    }
    case 'time': {
      if (columns.timestamp === undefined)
        throw new DataError('DATA_SPLIT', "A time split needs the 'timestamp' column.")
      return timeSplit(getColumn(ds, columns.timestamp), options)
    }
  }
}
