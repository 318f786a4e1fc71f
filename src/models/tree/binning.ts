import type { Matrix } from '../../core/index.js'
import { InvalidArgumentError, Rng, sortFloat64 } from '../../core/index.js'

// The binner of both tree learners: raw feature values to small integer bin codes, column-major
// (`codes[f * n + row]`), missing values (NaN) in one extra bin after the real ones, bounds at
// midpoints between neighbouring distinct values, exact bins when a column has at most `maxBins`
// distinct values. The two learners place their cuts by different rules, kept here side by side
// because each one's fitted models (and the scikit-learn models each is checked against) depend
// on them bit for bit:
// - Random forests and decision trees (`binFeatures`): cuts at equally spaced ranks of all rows
//   (or an evenly spaced 65,536-row sample), CART midpoints (a/2 + b/2), 16-bit codes so up to
//   65,535 bins, and categorical columns with any values binned one bin per level.
// - Gradient boosting (`fitBinMapper` + `binMatrix`): numpy 'midpoint' quantiles of a seeded
//   200,000-row sample (as HistGradientBoosting), 8-bit codes (at most 255 bins), and
//   categorical columns that must already hold codes 0..254, each code its own bin.

// ---------------------------------------------------------------------------------------------
// Forests and decision trees
// ---------------------------------------------------------------------------------------------

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
  /**
   * Per feature, the smallest and largest training value in each real bin (NaN for an empty
   * bin): a split between two bins that a node's rows occupy, with the bins between them empty
   * in that node, puts its threshold at the bound nearest the node's midpoint (as CART cuts
   * midway) rather than at the bound just above the lower bin.
   */
  readonly binMin: readonly Float64Array[]
  readonly binMax: readonly Float64Array[]
}

/** Midpoint of neighbouring values a < b that still separates them (as scikit-learn's CART does). */
function cartMidpoint(a: number, b: number): number {
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
    for (let j = 0; j < nd - 1; j++) out[j] = cartMidpoint(distinct[j]!, distinct[j + 1]!)
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
      cuts[nCuts++] = cartMidpoint(distinct[j]!, distinct[j + 1]!)
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
    const ub = binUpperBounds(sortFloat64(col.subarray(0, k)), maxBins)
    upper.push(ub)
    nBins[f] = ub.length + 1
    offsets[f + 1] = offsets[f]! + ub.length
  }
  const flat = new Float64Array(offsets[d]!)
  for (let f = 0; f < d; f++) flat.set(upper[f]!, offsets[f]!)
  const binMin = Array.from({ length: d }, (_, f) => new Float64Array(nBins[f]!).fill(Number.NaN))
  const binMax = Array.from({ length: d }, (_, f) => new Float64Array(nBins[f]!).fill(Number.NaN))
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
      const b = lo - first
      codes[f * n + r] = b
      // NaN compares false both ways, so an empty bin's first value sets both extremes
      const lowest = binMin[f]!
      const highest = binMax[f]!
      if (!(v >= lowest[b]!)) lowest[b] = v
      if (!(v <= highest[b]!)) highest[b] = v
    }
  }
  return { n, d, codes, nBins, hasMissing, upper, levels, binMin, binMax }
}

// ---------------------------------------------------------------------------------------------
// Gradient boosting
// ---------------------------------------------------------------------------------------------

/** Rows sampled to find the bin bounds (as scikit-learn does: quantiles of 200k rows are plenty). */
const BINNING_SAMPLE_ROWS = 200_000
/** Categorical codes must fit a byte with one value left for the missing bin. */
export const MAX_CATEGORIES = 255

/**
 * How raw feature values map to bins. Numeric feature f has `nBins[f]` value bins: bin b holds
 * values v with thresholds[b-1] < v <= thresholds[b]. Categorical feature f maps code c to bin c.
 * Missing values (NaN) of every feature go to the extra bin `nBins[f]`.
 */
export interface BinMapper {
  readonly nFeatures: number
  readonly isCategorical: Uint8Array
  /** Value bins per feature (the missing bin comes after them). */
  readonly nBins: Int32Array
  /** Upper bounds of the value bins of numeric features (length nBins-1); empty for categoricals. */
  readonly thresholds: readonly Float64Array[]
  /** Start of each feature's bins in a histogram; feature f owns nBins[f]+1 slots. */
  readonly featureOffset: Int32Array
  /** Histogram slots of all features together. */
  readonly totalBins: number
}

/** Bin bounds of one numeric column from its sorted non-missing values (midpoints, as scikit-learn). */
export function numericBounds(sorted: Float64Array, maxBins: number): Float64Array {
  const m = sorted.length
  if (m === 0) return new Float64Array(0)
  const distinct: number[] = [sorted[0]!]
  for (let i = 1; i < m; i++) if (sorted[i] !== sorted[i - 1]) distinct.push(sorted[i]!)
  const bounds: number[] = []
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++)
      bounds.push(quantileMidpoint(distinct[i]!, distinct[i + 1]!))
  } else {
    // Quantile cut points with the 'midpoint' rule (numpy percentile method='midpoint').
    for (let q = 1; q < maxBins; q++) {
      const pos = (q / maxBins) * (m - 1)
      const lo = sorted[Math.floor(pos)]!
      const hi = sorted[Math.ceil(pos)]!
      const cut = quantileMidpoint(lo, hi)
      if (bounds.length === 0 || cut > bounds[bounds.length - 1]!) bounds.push(cut)
    }
    // The top cut must stay below the maximum, or the last bin would be empty.
    while (bounds.length > 0 && bounds[bounds.length - 1]! >= sorted[m - 1]!) bounds.pop()
  }
  return Float64Array.from(bounds)
}

/** Midpoint of a <= b as numpy's percentile(method='midpoint') computes it (HistGradientBoosting). */
function quantileMidpoint(a: number, b: number): number {
  const mid = a + (b - a) / 2
  // Guard against infinities: keep a finite bound strictly inside [a, b).
  if (!Number.isFinite(mid)) return Number.isFinite(a) ? a : b === Number.POSITIVE_INFINITY ? a : b
  return mid
}

/**
 * Finds bin bounds for every column of `x`. Numeric columns get up to `maxBins` quantile bins
 * (from at most 200k sampled rows); categorical columns must hold integer codes 0..254 or NaN.
 * @throws InvalidArgumentError when a categorical column holds something other than codes.
 */
export function fitBinMapper(
  x: Matrix,
  maxBins: number,
  categorical: ReadonlySet<number>,
  featureNames: readonly string[],
  seed: number,
  rowIndex: Int32Array | null = null,
): BinMapper {
  const { cols, data } = x
  const rows = rowIndex === null ? x.rows : rowIndex.length
  let sample: Int32Array | null = rowIndex
  if (rows > BINNING_SAMPLE_ROWS) {
    const perm = new Rng(seed ^ 0x5eed).permutation(rows)
    sample = perm.subarray(0, BINNING_SAMPLE_ROWS).sort()
    if (rowIndex !== null) sample = sample.map((i) => rowIndex[i]!)
  }
  const nSample = sample === null ? rows : sample.length
  const isCategorical = new Uint8Array(cols)
  const nBins = new Int32Array(cols)
  const thresholds: Float64Array[] = []
  // One row-major pass gathers the sampled values of every numeric column (reading the matrix
  // column by column would touch every cache line once per column).
  const numeric: number[] = []
  for (let c = 0; c < cols; c++) if (!categorical.has(c)) numeric.push(c)
  const values = numeric.map(() => new Float64Array(nSample))
  const counts = new Int32Array(numeric.length)
  for (let i = 0; i < nSample; i++) {
    const r = sample === null ? i : sample[i]!
    const o = r * cols
    for (let j = 0; j < numeric.length; j++) {
      const v = data[o + numeric[j]!]!
      if (!Number.isNaN(v)) values[j]![counts[j]!++] = v
    }
  }
  const maxCodes = new Int32Array(cols).fill(-1)
  // One row-major pass over every categorical column at once (a pass per column read each row's
  // cache line once per column). The error names the first column, in `categorical`'s order, that
  // holds a non-code, at its first such row: what a column-by-column scan would report.
  const catCols = Int32Array.from(categorical)
  const badRow = new Int32Array(catCols.length).fill(-1)
  for (let i = 0; i < rows; i++) {
    const o = (rowIndex === null ? i : rowIndex[i]!) * cols
    for (let j = 0; j < catCols.length; j++) {
      const c = catCols[j]!
      const v = data[o + c]!
      if (Number.isNaN(v)) continue
      if (!Number.isInteger(v) || v < 0 || v >= MAX_CATEGORIES) {
        if (badRow[j]! < 0) badRow[j] = i
        continue
      }
      if (v > maxCodes[c]!) maxCodes[c] = v
    }
  }
  for (let j = 0; j < catCols.length; j++) {
    if (badRow[j]! < 0) continue
    const c = catCols[j]!
    const r = rowIndex === null ? badRow[j]! : rowIndex[badRow[j]!]!
    const v = data[r * cols + c]!
    throw new InvalidArgumentError(
      `Categorical feature '${featureNames[c] ?? c}' holds ${v} at row ${r}; expected integer codes 0..${MAX_CATEGORIES - 1} (NaN for missing). Encode categories as codes, or group rare levels when there are more than ${MAX_CATEGORIES}.`,
      { feature: featureNames[c] ?? c, row: r, value: v },
    )
  }
  let j = 0
  for (let c = 0; c < cols; c++) {
    if (categorical.has(c)) {
      isCategorical[c] = 1
      nBins[c] = Math.max(1, maxCodes[c]! + 1)
      thresholds.push(new Float64Array(0))
      continue
    }
    const sorted = sortFloat64(values[j]!.subarray(0, counts[j]!))
    j++
    const bounds = numericBounds(sorted, maxBins)
    thresholds.push(bounds)
    nBins[c] = bounds.length + 1
  }
  const featureOffset = new Int32Array(cols)
  let total = 0
  for (let c = 0; c < cols; c++) {
    featureOffset[c] = total
    total += nBins[c]! + 1
  }
  return { nFeatures: cols, isCategorical, nBins, thresholds, featureOffset, totalBins: total }
}

/** Rows binned per block: a block of row-major input stays in cache while each column is read. */
const BIN_BLOCK_ROWS = 2048

/**
 * Bins every value of `x` (or of its rows `rowIndex`) into a column-major byte matrix:
 * bins[f * nRows + i]. `out` may live in a SharedArrayBuffer so that worker threads read it
 * without copying.
 */
export function binMatrix(
  x: Matrix,
  mapper: BinMapper,
  rowIndex: Int32Array | null = null,
  out: Uint8Array = new Uint8Array((rowIndex === null ? x.rows : rowIndex.length) * x.cols),
): Uint8Array {
  const { cols, data } = x
  const rows = rowIndex === null ? x.rows : rowIndex.length
  // Bounds padded to 255 entries with +Infinity: the bin is the count of bounds below v, found
  // by a fixed 8-step search with no unpredictable branches.
  const padded: Float64Array[] = []
  for (let c = 0; c < cols; c++) {
    const t = new Float64Array(256).fill(Number.POSITIVE_INFINITY)
    t.set(mapper.thresholds[c]!)
    padded.push(t)
  }
  for (let b0 = 0; b0 < rows; b0 += BIN_BLOCK_ROWS) {
    const b1 = Math.min(rows, b0 + BIN_BLOCK_ROWS)
    for (let c = 0; c < cols; c++) {
      const base = c * rows
      const nb = mapper.nBins[c]!
      if (mapper.isCategorical[c] === 1) {
        for (let i = b0; i < b1; i++) {
          const v = data[(rowIndex === null ? i : rowIndex[i]!) * cols + c]!
          out[base + i] = v >= 0 && v < nb && Number.isInteger(v) ? v : nb
        }
        continue
      }
      const t = padded[c]!
      for (let i = b0; i < b1; i++) {
        const v = data[(rowIndex === null ? i : rowIndex[i]!) * cols + c]!
        if (Number.isNaN(v)) {
          out[base + i] = nb
          continue
        }
        // Unary plus makes each comparison a 0/1 value without a branch in V8.
        let lo = +(t[127]! < v) << 7
        lo += +(t[lo + 63]! < v) << 6
        lo += +(t[lo + 31]! < v) << 5
        lo += +(t[lo + 15]! < v) << 4
        lo += +(t[lo + 7]! < v) << 3
        lo += +(t[lo + 3]! < v) << 2
        lo += +(t[lo + 1]! < v) << 1
        lo += +(t[lo]! < v)
        out[base + i] = lo
      }
    }
  }
  return out
}
