import { Rng, sortFloat64 } from '../core/index.js'
import type { Dataset } from '../data/index.js'

/** Reference summary of a numeric feature (or of the model's scores). */
export interface NumericProfile {
  readonly kind: 'numeric'
  readonly name: string
  readonly count: number
  readonly missingShare: number
  readonly mean: number
  readonly std: number
  /** Quantiles at 0, 5, …, 100 %. */
  readonly quantiles: readonly number[]
  /** Decile edges (inner cut points) used for PSI; values <= edge[k] fall in bin k. */
  readonly psiEdges: readonly number[]
  readonly psiCounts: readonly number[]
  /** Display histogram: equal-width bins between the 0.5 % and 99.5 % quantiles. */
  readonly histogram: { readonly edges: readonly number[]; readonly counts: readonly number[] }
  /** A seeded sample (at most SAMPLE_SIZE values) for the KS test and Wasserstein distance. */
  readonly sample: readonly number[]
}

/** Reference summary of a categorical or boolean feature. */
export interface CategoricalProfile {
  readonly kind: 'categorical' | 'boolean'
  readonly name: string
  readonly count: number
  readonly missingShare: number
  /** Count per level ("true"/"false" for booleans). */
  readonly frequencies: Readonly<Record<string, number>>
}

/** Summary of one feature. */
export type FeatureProfile = NumericProfile | CategoricalProfile

/**
 * What a model version was trained on, stored beside it (kilobytes, not the data): per-feature
 * summaries, the score distribution, the model's held-out metrics and its global importance.
 */
export interface ReferenceProfile {
  readonly formatVersion: 1
  readonly createdAt: string
  readonly rows: number
  readonly features: readonly FeatureProfile[]
  readonly prediction?: NumericProfile
  /** The model's metrics on `metricsSplit` (never training-set scores). */
  readonly metrics?: Readonly<Record<string, number>>
  /**
   * Where `metrics` were measured: `test` (held-out part) or `cv` (cross-validated, nothing held
   * out). Absent in profiles written before Keel recorded it, whose metrics may be training scores.
   */
  readonly metricsSplit?: 'test' | 'cv'
  /**
   * Global importance per feature (non-negative, summing to 1): the weights of the drift verdict's
   * importance-weighted share. Absent in older profiles (the check then uses the model's gain).
   */
  readonly importance?: Readonly<Record<string, number>>
}

/** Values of one feature in a current window. */
export type FeatureValues =
  | { readonly kind: 'numeric'; readonly values: Float64Array }
  | { readonly kind: 'categorical' | 'boolean'; readonly values: readonly (string | null)[] }

const SAMPLE_SIZE = 1000
const HIST_BINS = 20

function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN
  const pos = q * (sorted.length - 1)
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/** Bin index of v for inner cut points `edges` (v <= edges[k] -> bin k; above all -> last bin). */
export function binOf(edges: readonly number[], v: number): number {
  let lo = 0
  let hi = edges.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (v <= edges[mid]!) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Counts of finite values per bin of `edges` (edges.length + 1 bins). */
export function binCounts(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isFinite(v)) counts[binOf(edges, v)]!++
  }
  return counts
}

/**
 * {@link binCounts} of ascending finite values in one sweep: bin k takes the values up to
 * edges[k], so the same counts come out without a binary search per value.
 */
function sortedBinCounts(edges: readonly number[], sorted: Float64Array): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0)
  let bin = 0
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!
    while (bin < edges.length && v > edges[bin]!) bin++
    counts[bin]!++
  }
  return counts
}

/** Profiles a numeric sample (feature values or model scores). */
export function profileNumeric(name: string, values: ArrayLike<number>, seed = 17): NumericProfile {
  // typed arrays and plain loops throughout: on 200k-row columns the boxed number[] and
  // reduce callbacks cost more than the sort; the sums run in the same order, so the stored
  // mean and std are bit-identical to the earlier reduce-based ones
  let n = 0
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++
  const finite = new Float64Array(n)
  let sum = 0
  for (let i = 0, k = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isFinite(v)) {
      finite[k++] = v
      sum += v
    }
  }
  // Finite values only, so the radix sort gives sort()'s order (2-3x faster on 1M rows).
  const sorted = sortFloat64(finite.slice())
  const mean = n === 0 ? 0 : sum / n
  let squares = 0
  if (n >= 2) for (let i = 0; i < n; i++) squares += (finite[i]! - mean) ** 2
  const std = n < 2 ? 0 : Math.sqrt(squares / (n - 1))
  const quantiles = Array.from({ length: 21 }, (_, k) => quantileSorted(sorted, k / 20))
  const psiEdges = [
    ...new Set(Array.from({ length: 9 }, (_, k) => quantileSorted(sorted, (k + 1) / 10))),
  ].filter(Number.isFinite)
  const lo = quantileSorted(sorted, 0.005)
  const hi = quantileSorted(sorted, 0.995)
  const width = hi > lo ? (hi - lo) / HIST_BINS : 1
  const histEdges = Array.from({ length: HIST_BINS - 1 }, (_, k) => lo + width * (k + 1))
  const rng = new Rng(seed)
  const sample =
    n <= SAMPLE_SIZE
      ? Array.from(finite)
      : Array.from(rng.permutation(n).subarray(0, SAMPLE_SIZE), (i) => finite[i]!)
  return {
    kind: 'numeric',
    name,
    count: values.length,
    missingShare: values.length === 0 ? 0 : 1 - n / values.length,
    mean,
    std,
    quantiles,
    psiEdges,
    psiCounts: sortedBinCounts(psiEdges, sorted),
    histogram: { edges: histEdges, counts: sortedBinCounts(histEdges, sorted) },
    sample,
  }
}

/** Profiles categorical/boolean values (null = missing). */
export function profileCategorical(
  name: string,
  kind: 'categorical' | 'boolean',
  values: readonly (string | null)[],
): CategoricalProfile {
  const frequencies: Record<string, number> = {}
  let missing = 0
  for (const v of values) {
    if (v === null) missing++
    else frequencies[v] = (frequencies[v] ?? 0) + 1
  }
  return {
    kind,
    name,
    count: values.length,
    missingShare: values.length === 0 ? 0 : missing / values.length,
    frequencies,
  }
}

/** Extracts one column of a dataset in the shape drift tests read. */
export function featureValues(ds: Dataset, name: string): FeatureValues | undefined {
  const column = ds.columns.find((c) => c.name === name)
  if (column === undefined) return undefined
  switch (column.kind) {
    case 'numeric':
    case 'datetime':
      return { kind: 'numeric', values: column.values }
    case 'boolean':
      return {
        kind: 'boolean',
        values: Array.from(column.values, (v) => (Number.isNaN(v) ? null : v === 1 ? 'true' : 'false')),
      }
    case 'categorical':
      return {
        kind: 'categorical',
        values: Array.from(column.codes, (c) => (c < 0 ? null : column.levels[c]!)),
      }
    default: {
      const never: never = column
      return never
    }
  }
}

/** Extracts one feature from JSON rows (e.g. the prediction log) given the reference kind. */
export function recordValues(
  records: readonly Readonly<Record<string, unknown>>[],
  profile: FeatureProfile,
): FeatureValues {
  if (profile.kind === 'numeric') {
    return {
      kind: 'numeric',
      values: Float64Array.from(records, (r) => {
        const v = r[profile.name]
        return typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN
      }),
    }
  }
  return {
    kind: profile.kind,
    values: records.map((r) => {
      const v = r[profile.name]
      if (v === null || v === undefined || v === '') return null
      if (profile.kind === 'boolean') return v === true || v === 1 || v === 'true' ? 'true' : 'false'
      return String(v)
    }),
  }
}

/**
 * Builds the reference profile of a model version from its training rows, its scores on them
 * (positive-class probability or predicted value), its held-out metrics and its global importance.
 */
export function buildReferenceProfile(
  ds: Dataset,
  features: readonly string[],
  scores?: ArrayLike<number>,
  metrics?: Readonly<Record<string, number>>,
  extra: {
    readonly metricsSplit?: 'test' | 'cv'
    readonly importance?: Readonly<Record<string, number>>
  } = {},
): ReferenceProfile {
  const profiles: FeatureProfile[] = []
  for (const name of features) {
    const values = featureValues(ds, name)
    if (values === undefined) continue
    profiles.push(
      values.kind === 'numeric'
        ? profileNumeric(name, values.values)
        : profileCategorical(name, values.kind, values.values),
    )
  }
  return {
    formatVersion: 1,
    createdAt: new Date().toISOString(),
    rows: ds.nRows,
    features: profiles,
    ...(scores === undefined ? {} : { prediction: profileNumeric('prediction', scores) }),
    ...(metrics === undefined ? {} : { metrics }),
    ...(extra.metricsSplit === undefined ? {} : { metricsSplit: extra.metricsSplit }),
    ...(extra.importance === undefined ? {} : { importance: extra.importance }),
  }
}
