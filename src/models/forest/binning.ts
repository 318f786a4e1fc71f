import type { Matrix } from '../../core/index.js'

/**
 * Training features as small integer bin codes, column-major (`codes[f * n + row]`), so a node's
 * histogram for one feature reads one contiguous column. Bin `b` of feature `f` holds the values
 * `v <= upper[f][b]` above the previous bound; the last real bin is unbounded above. Missing
 * values (NaN) get the code `nBins[f]`, one past the real bins.
 * @internal
 */
export interface BinnedFeatures {
  readonly n: number
  readonly d: number
  readonly codes: Uint16Array
  readonly nBins: Int32Array
  readonly hasMissing: Uint8Array
  /** Per feature, `nBins[f] - 1` upper bounds (split thresholds) in increasing order. */
  readonly upper: readonly Float64Array[]
  /** For categorical features binned one bin per level: the level (code) of each bin; else null. */
  readonly levels: readonly (Float64Array | null)[]
}

/** Midpoint of neighbouring values a < b that still separates them (as scikit-learn does). */
function midpoint(a: number, b: number): number {
  const t = a / 2 + b / 2
  return t >= b || !Number.isFinite(t) ? a : t
}

/**
 * Upper bounds of the bins for one feature's sorted non-missing values. With at most `maxBins`
 * distinct values every value gets its own bin (exact CART thresholds); otherwise cuts fall at
 * equally spaced ranks, so each bin holds about the same number of rows (a value that repeats
 * more than that fills a bin alone, and the feature ends up with fewer bins).
 */
export function binUpperBounds(sorted: Float64Array, maxBins: number): Float64Array {
  const m = sorted.length
  if (m === 0) return new Float64Array(0)
  // distinct values and, for each, how many sorted values are <= it
  const distinct = new Float64Array(m)
  const cumCount = new Int32Array(m)
  let nd = 0
  for (let i = 0; i < m; i++) {
    const v = sorted[i]!
    if (nd === 0 || v !== distinct[nd - 1]) distinct[nd++] = v
    cumCount[nd - 1] = i + 1
  }
  if (nd <= maxBins) {
    const out = new Float64Array(nd - 1)
    for (let j = 0; j < nd - 1; j++) out[j] = midpoint(distinct[j]!, distinct[j + 1]!)
    return out
  }
  const cuts = new Float64Array(maxBins - 1)
  let nCuts = 0
  let j = 0
  let last = -1
  for (let k = 1; k < maxBins; k++) {
    const rank = Math.floor((k * m) / maxBins)
    while (j < nd - 1 && cumCount[j]! < rank) j++
    if (j >= nd - 1) break
    if (j > last) {
      cuts[nCuts++] = midpoint(distinct[j]!, distinct[j + 1]!)
      last = j
    }
  }
  return cuts.slice(0, nCuts)
}

/** Bin code of one value given a feature's upper bounds (`upper.length` = real bins - 1). */
export function binOf(upper: Float64Array, v: number): number {
  if (Number.isNaN(v)) return upper.length + 1
  let lo = 0
  let hi = upper.length
  // first b with v <= upper[b]; upper.length (the last real bin) when none
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (v <= upper[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Above this many rows, bin bounds come from an evenly spaced sample of this many rows. */
export const BIN_SAMPLE_ROWS = 65536

/**
 * Bins every column of `x`. Bounds come from all rows, or from an evenly spaced sample of
 * `BIN_SAMPLE_ROWS` rows when there are more (sorting every column of a large matrix would cost
 * more than growing several trees); every row is then coded in one row-major pass. With `shared`,
 * the codes live in a SharedArrayBuffer so worker threads read them without copies.
 */
export function binFeatures(
  x: Matrix,
  maxBins: number,
  shared: boolean,
  categorical: Uint8Array | null = null,
): BinnedFeatures {
  const n = x.rows
  const d = x.cols
  const bytes = Math.max(2, 2 * n * d)
  const codes = new Uint16Array(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes), 0, n * d)
  const nBins = new Int32Array(d)
  const hasMissing = new Uint8Array(d)
  const upper: Float64Array[] = []
  const levels: (Float64Array | null)[] = []
  const data = x.data
  const sampled = n > BIN_SAMPLE_ROWS
  const m = sampled ? BIN_SAMPLE_ROWS : n
  const sample = sampled ? new Float64Array(m * d) : data
  if (sampled) {
    for (let i = 0; i < m; i++) {
      const r = Math.floor((i * n) / m)
      sample.set(data.subarray(r * d, (r + 1) * d), i * d)
    }
  }
  const col = new Float64Array(m)
  const offsets = new Int32Array(d + 1)
  for (let f = 0; f < d; f++) {
    if (categorical?.[f] === 1) {
      // levels from every row (a sample could miss a rare level); one bin per level when they fit
      const seen = new Set<number>()
      for (let r = 0; r < n && seen.size <= maxBins; r++) {
        const v = data[r * d + f]!
        if (!Number.isNaN(v)) seen.add(v)
      }
      if (seen.size <= maxBins) {
        const lv = Float64Array.from(seen).sort()
        const ub = binUpperBounds(lv, maxBins)
        upper.push(ub)
        levels.push(lv)
        nBins[f] = ub.length + 1
        offsets[f + 1] = offsets[f]! + ub.length
        continue
      }
    }
    levels.push(null)
    let k = 0
    for (let i = 0; i < m; i++) {
      const v = sample[i * d + f]!
      if (!Number.isNaN(v)) col[k++] = v
    }
    const ub = binUpperBounds(col.subarray(0, k).sort(), maxBins)
    upper.push(ub)
    nBins[f] = ub.length + 1
    offsets[f + 1] = offsets[f]! + ub.length
  }
  const flat = new Float64Array(offsets[d]!)
  for (let f = 0; f < d; f++) flat.set(upper[f]!, offsets[f]!)
  for (let r = 0; r < n; r++) {
    const rowBase = r * d
    for (let f = 0; f < d; f++) {
      const v = data[rowBase + f]!
      if (Number.isNaN(v)) {
        codes[f * n + r] = nBins[f]!
        hasMissing[f] = 1
        continue
      }
      // first bound >= v within this feature's slice of `flat`
      const first = offsets[f]!
      let lo = first
      let hi = offsets[f + 1]!
      while (lo < hi) {
        const mid = (lo + hi) >>> 1
        if (v <= flat[mid]!) hi = mid
        else lo = mid + 1
      }
      codes[f * n + r] = lo - first
    }
  }
  return { n, d, codes, nBins, hasMissing, upper, levels }
}
