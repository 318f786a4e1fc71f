/**
 * Leakage heuristics: a feature that alone predicts the target almost perfectly, a copy of the
 * target, ID-like columns, and (for time tasks) datetimes after the prediction time.
 */
import { Rng } from '../core/index.js'
import type { Column } from './dataset.js'
import type { ClassTarget } from './target.js'

/** AUC of a score for a 0/1 label (ties get half credit); NaN when a class is absent. */
export function rocAuc(score: Float64Array, label: Uint8Array): number {
  const n = score.length
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => score[a]! - score[b]!)
  let nPos = 0
  for (let i = 0; i < n; i++) nPos += label[i]!
  const nNeg = n - nPos
  if (nPos === 0 || nNeg === 0) return Number.NaN
  // Sum of positive ranks with average ranks for ties (Mann-Whitney U).
  let rankSum = 0
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++
    const avgRank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (label[order[k]!] === 1) rankSum += avgRank
    i = j + 1
  }
  return (rankSum - (nPos * (nPos + 1)) / 2) / (nPos * nNeg)
}

function ranks(values: Float64Array): Float64Array {
  const n = values.length
  const order = new Int32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  order.sort((a, b) => values[a]! - values[b]!)
  const out = new Float64Array(n)
  let i = 0
  while (i < n) {
    let j = i
    while (j + 1 < n && values[order[j + 1]!] === values[order[i]!]) j++
    for (let k = i; k <= j; k++) out[order[k]!] = (i + j) / 2
    i = j + 1
  }
  return out
}

/** Squared Pearson correlation (R² of a one-feature linear fit). */
export function rSquared(x: Float64Array, y: Float64Array): number {
  const n = x.length
  let mx = 0
  let my = 0
  for (let i = 0; i < n; i++) {
    mx += x[i]!
    my += y[i]!
  }
  mx /= n
  my /= n
  let sxy = 0
  let sxx = 0
  let syy = 0
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx
    const dy = y[i]! - my
    sxy += dx * dy
    sxx += dx * dx
    syy += dy * dy
  }
  if (sxx === 0 || syy === 0) return 0
  return (sxy * sxy) / (sxx * syy)
}

/** Turns a feature into bins: levels for categoricals, up to 32 quantile bins otherwise; missing = its own bin. */
function binFeature(col: Column, rows: Int32Array): { bins: Int32Array; nBins: number } {
  const bins = new Int32Array(rows.length)
  if (col.kind === 'categorical') {
    const missing = col.levels.length
    for (let i = 0; i < rows.length; i++) {
      const c = col.codes[rows[i]!]!
      bins[i] = c < 0 ? missing : c
    }
    return { bins, nBins: col.levels.length + 1 }
  }
  const present: number[] = []
  for (let i = 0; i < rows.length; i++) {
    const v = col.values[rows[i]!]!
    if (!Number.isNaN(v)) present.push(v)
  }
  present.sort((a, b) => a - b)
  const cuts: number[] = []
  for (let q = 1; q < 32; q++) {
    const v = present[Math.floor((q / 32) * present.length)]
    if (v !== undefined && (cuts.length === 0 || v > cuts[cuts.length - 1]!)) cuts.push(v)
  }
  for (let i = 0; i < rows.length; i++) {
    const v = col.values[rows[i]!]!
    if (Number.isNaN(v)) {
      bins[i] = cuts.length + 1
      continue
    }
    let lo = 0
    let hi = cuts.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (v < cuts[mid]!) hi = mid
      else lo = mid + 1
    }
    bins[i] = lo
  }
  return { bins, nBins: cuts.length + 2 }
}

/**
 * Out-of-fold per-bin predictions (2 folds): each row is scored by statistics of the other half,
 * so a high-cardinality column cannot look predictive by memorising rows.
 */
function outOfFoldBinMeans(bins: Int32Array, nBins: number, y: Float64Array, fold: Uint8Array): Float64Array {
  const sum = [new Float64Array(nBins), new Float64Array(nBins)]
  const count = [new Float64Array(nBins), new Float64Array(nBins)]
  let total = 0
  for (let i = 0; i < bins.length; i++) {
    sum[fold[i]!]![bins[i]!]! += y[i]!
    count[fold[i]!]![bins[i]!]!++
    total += y[i]!
  }
  const prior = total / Math.max(1, bins.length)
  const out = new Float64Array(bins.length)
  for (let i = 0; i < bins.length; i++) {
    const other = 1 - fold[i]!
    const c = count[other]![bins[i]!]!
    out[i] = c > 0 ? sum[other]![bins[i]!]! / c : prior
  }
  return out
}

/** How well a single feature predicts the target on its own. */
export interface SingleFeatureScore {
  readonly metric: 'auc' | 'r2' | 'accuracy'
  readonly value: number
}

/**
 * Single-feature predictive power on the given rows (a sample): binary → AUC (max of both
 * directions) for numbers, out-of-fold AUC for categoricals; regression → R² (Pearson or rank,
 * whichever is larger); multiclass → out-of-fold accuracy of the per-bin majority class.
 */
export function singleFeatureScore(
  col: Column,
  task: 'binary' | 'multiclass' | 'regression',
  target: { readonly y: Float64Array; readonly classes?: ClassTarget },
  rows: Int32Array,
  seed = 0,
): SingleFeatureScore | undefined {
  const rng = new Rng(seed)
  const fold = new Uint8Array(rows.length)
  for (let i = 0; i < rows.length; i++) fold[i] = rng.next() < 0.5 ? 0 : 1
  const y = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) y[i] = target.y[rows[i]!]!
  if (task === 'binary') {
    const label = Uint8Array.from(y, (v) => (v === 1 ? 1 : 0))
    let score: Float64Array
    if (col.kind === 'categorical') {
      const { bins, nBins } = binFeature(col, rows)
      score = outOfFoldBinMeans(bins, nBins, y, fold)
    } else {
      // Missing values get a score of their own below every present value.
      score = new Float64Array(rows.length)
      for (let i = 0; i < rows.length; i++) {
        const v = col.values[rows[i]!]!
        score[i] = Number.isNaN(v) ? Number.NEGATIVE_INFINITY : v
      }
    }
    const auc = rocAuc(score, label)
    if (Number.isNaN(auc)) return undefined
    return { metric: 'auc', value: Math.max(auc, 1 - auc) }
  }
  if (task === 'regression') {
    if (col.kind === 'categorical') {
      const { bins, nBins } = binFeature(col, rows)
      const pred = outOfFoldBinMeans(bins, nBins, y, fold)
      return { metric: 'r2', value: rSquared(pred, y) }
    }
    const present: number[] = []
    for (let i = 0; i < rows.length; i++) if (!Number.isNaN(col.values[rows[i]!]!)) present.push(i)
    if (present.length < 10) return undefined
    const x = Float64Array.from(present, (i) => col.values[rows[i]!]!)
    const yy = Float64Array.from(present, (i) => y[i]!)
    return { metric: 'r2', value: Math.max(rSquared(x, yy), rSquared(ranks(x), ranks(yy))) }
  }
  // Multiclass: per-bin majority class, fitted on the other fold.
  const nClasses = target.classes?.labels.length ?? 0
  if (nClasses < 2) return undefined
  const { bins, nBins } = binFeature(col, rows)
  const counts = [new Float64Array(nBins * nClasses), new Float64Array(nBins * nClasses)]
  for (let i = 0; i < rows.length; i++) counts[fold[i]!]![bins[i]! * nClasses + y[i]!]!++
  let correct = 0
  for (let i = 0; i < rows.length; i++) {
    const other = counts[1 - fold[i]!]!
    let best = -1
    let bestCount = 0
    for (let k = 0; k < nClasses; k++) {
      const c = other[bins[i]! * nClasses + k]!
      if (c > bestCount) {
        bestCount = c
        best = k
      }
    }
    if (best === y[i]) correct++
  }
  return { metric: 'accuracy', value: correct / rows.length }
}

/**
 * True when a feature is a relabelled copy of the target: every feature value maps to exactly one
 * target value and back. With `exact` (regression targets) the values must be equal.
 */
export function isTargetCopy(
  col: Column,
  targetCodes: Float64Array,
  rows: Int32Array,
  exact = false,
): boolean {
  const forward = new Map<number, number>()
  const backward = new Map<number, number>()
  let compared = 0
  for (const r of rows) {
    const t = targetCodes[r]!
    const f = col.kind === 'categorical' ? col.codes[r]! : col.values[r]!
    const fMissing = col.kind === 'categorical' ? f < 0 : Number.isNaN(f)
    if (Number.isNaN(t) || fMissing) continue
    compared++
    // A continuous target is in bijection with any all-distinct feature, so there only equality counts.
    if (exact && f !== t) return false
    const seenT = forward.get(f)
    if (seenT === undefined) forward.set(f, t)
    else if (seenT !== t) return false
    const seenF = backward.get(t)
    if (seenF === undefined) backward.set(t, f)
    else if (seenF !== f) return false
  }
  return compared >= 10 && forward.size >= 2
}
