import type { Matrix } from '../../core/index.js'
import { InvalidArgumentError, Rng } from '../../core/index.js'

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
    for (let i = 0; i + 1 < distinct.length; i++) bounds.push(midpoint(distinct[i]!, distinct[i + 1]!))
  } else {
    // Quantile cut points with the 'midpoint' rule (numpy percentile method='midpoint').
    for (let q = 1; q < maxBins; q++) {
      const pos = (q / maxBins) * (m - 1)
      const lo = sorted[Math.floor(pos)]!
      const hi = sorted[Math.ceil(pos)]!
      const cut = midpoint(lo, hi)
      if (bounds.length === 0 || cut > bounds[bounds.length - 1]!) bounds.push(cut)
    }
    // The top cut must stay below the maximum, or the last bin would be empty.
    while (bounds.length > 0 && bounds[bounds.length - 1]! >= sorted[m - 1]!) bounds.pop()
  }
  return Float64Array.from(bounds)
}

function midpoint(a: number, b: number): number {
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
  for (const c of categorical) {
    let maxCode = -1
    for (let i = 0; i < rows; i++) {
      const r = rowIndex === null ? i : rowIndex[i]!
      const v = data[r * cols + c]!
      if (Number.isNaN(v)) continue
      if (!Number.isInteger(v) || v < 0 || v >= MAX_CATEGORIES) {
        throw new InvalidArgumentError(
          `Categorical feature '${featureNames[c] ?? c}' holds ${v} at row ${r}; expected integer codes 0..${MAX_CATEGORIES - 1} (NaN for missing). Encode categories as codes, or group rare levels when there are more than ${MAX_CATEGORIES}.`,
          { feature: featureNames[c] ?? c, row: r, value: v },
        )
      }
      if (v > maxCode) maxCode = v
    }
    maxCodes[c] = maxCode
  }
  let j = 0
  for (let c = 0; c < cols; c++) {
    if (categorical.has(c)) {
      isCategorical[c] = 1
      nBins[c] = Math.max(1, maxCodes[c]! + 1)
      thresholds.push(new Float64Array(0))
      continue
    }
    const sorted = values[j]!.subarray(0, counts[j]!).sort()
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
