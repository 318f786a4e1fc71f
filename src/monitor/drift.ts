import type { Dataset } from '../data/index.js'
import {
  binCounts,
  type CategoricalProfile,
  type FeatureProfile,
  type FeatureValues,
  featureValues,
  type NumericProfile,
  type ReferenceProfile,
  recordValues,
} from './profile.js'
import {
  chiSquareTest,
  jensenShannonDistance,
  ksTwoSample,
  populationStabilityIndex,
  twoProportionZTest,
  wassersteinDistance,
} from './stats.js'

/** Drift tests Keel can run on a feature. */
export type DriftTestName = 'ks' | 'wasserstein' | 'psi' | 'chi2' | 'jensen_shannon' | 'z'

/**
 * Default thresholds. p-value tests flag drift below their threshold; distances above it.
 * - ks, chi2, z: p < 0.05
 * - wasserstein: distance / reference std > 0.1
 * - jensen_shannon: distance > 0.1
 * - psi: > 0.2 (0.1–0.2 is a moderate shift, above 0.2 a significant one)
 * - missing share: a change of more than 0.05 (absolute) is reported on its own
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  chi2: 0.05,
  z: 0.05,
  wasserstein: 0.1,
  jensen_shannon: 0.1,
  psi: 0.2,
}

/** Samples up to this size use the statistical tests (KS, chi-square); larger ones use distances. */
export const SMALL_SAMPLE = 1000
const MISSING_SHIFT = 0.05

/** The verdict on one feature (or on the prediction scores). */
export interface FeatureDrift {
  readonly feature: string
  readonly kind: FeatureProfile['kind']
  readonly test: DriftTestName
  readonly statistic: number
  readonly pValue?: number
  readonly threshold: number
  readonly drifted: boolean
  /** PSI is always computed, as a second opinion that is easy to compare across features. */
  readonly psi: number
  readonly referenceMissingShare: number
  readonly currentMissingShare: number
  readonly missingShareChanged: boolean
  /** Categorical levels seen now but never in the reference. */
  readonly unseenCategories: readonly string[]
  readonly currentCount: number
}

/** Options for `detectDrift`. */
export interface DriftOptions {
  /** Per-feature test overrides. */
  readonly tests?: Readonly<Record<string, DriftTestName>>
  /** Per-test threshold overrides. */
  readonly thresholds?: Partial<Record<DriftTestName, number>>
  /** Dataset drift when the (weighted) share of drifted features reaches this (default 0.5). */
  readonly shareThreshold?: number
  /** Feature weights (e.g. importance) for the share; equal weights by default. */
  readonly weights?: Readonly<Record<string, number>>
}

/** Dataset-level result. */
export interface DriftReport {
  readonly features: readonly FeatureDrift[]
  readonly prediction?: FeatureDrift
  readonly driftedShare: number
  readonly shareThreshold: number
  readonly datasetDrift: boolean
  readonly currentRows: number
}

/** The current window: a dataset, or JSON rows (the prediction log's features). */
export type CurrentData =
  | { readonly kind: 'dataset'; readonly dataset: Dataset; readonly scores?: ArrayLike<number> }
  | {
      readonly kind: 'records'
      readonly records: readonly Readonly<Record<string, unknown>>[]
      readonly scores?: ArrayLike<number>
    }

function defaultTest(profile: FeatureProfile, n: number): DriftTestName {
  if (profile.kind === 'numeric') return n <= SMALL_SAMPLE ? 'ks' : 'wasserstein'
  const levels = Object.keys(profile.frequencies).length
  if (profile.kind === 'boolean' || levels === 2) return 'z'
  return n <= SMALL_SAMPLE ? 'chi2' : 'jensen_shannon'
}

function isPValueTest(test: DriftTestName): boolean {
  return test === 'ks' || test === 'chi2' || test === 'z'
}

function numericDrift(
  ref: NumericProfile,
  values: Float64Array,
  test: DriftTestName,
): { test: DriftTestName; statistic: number; pValue?: number; psi: number } {
  const psi = populationStabilityIndex(ref.psiCounts, binCounts(ref.psiEdges, values))
  switch (test) {
    case 'ks': {
      const r = ksTwoSample(ref.sample, values)
      return { test, statistic: r.statistic, pValue: r.pValue, psi }
    }
    case 'wasserstein': {
      // Normalised by the reference spread so one threshold fits every feature's units.
      const spread = ref.std > 0 ? ref.std : 1
      return { test, statistic: wassersteinDistance(ref.sample, values) / spread, psi }
    }
    case 'psi':
      return { test, statistic: psi, psi }
    default:
      return {
        test: 'wasserstein',
        statistic: wassersteinDistance(ref.sample, values) / (ref.std > 0 ? ref.std : 1),
        psi,
      }
  }
}

function categoricalDrift(
  ref: CategoricalProfile,
  values: readonly (string | null)[],
  test: DriftTestName,
): { test: DriftTestName; statistic: number; pValue?: number; psi: number; unseen: string[] } {
  const levels = Object.keys(ref.frequencies)
  const index = new Map(levels.map((l, i) => [l, i]))
  const refCounts = [...levels.map((l) => ref.frequencies[l]!), 0]
  const curCounts = new Array<number>(levels.length + 1).fill(0)
  const unseen = new Set<string>()
  for (const v of values) {
    if (v === null) continue
    const k = index.get(v)
    if (k === undefined) {
      unseen.add(v)
      curCounts[levels.length]!++
    } else curCounts[k]!++
  }
  const psi = populationStabilityIndex(refCounts, curCounts)
  const unseenList = [...unseen].sort()
  switch (test) {
    case 'chi2': {
      const r = chiSquareTest(refCounts, curCounts)
      return { test, statistic: r.statistic, pValue: r.pValue, psi, unseen: unseenList }
    }
    case 'z': {
      // The share of the reference's most common level, in both samples.
      const top = refCounts
        .slice(0, levels.length)
        .reduce((best, c, i) => (c > refCounts[best]! ? i : best), 0)
      const refTotal = refCounts.reduce((a, b) => a + b, 0)
      const curTotal = curCounts.reduce((a, b) => a + b, 0)
      const r = twoProportionZTest(refCounts[top]!, refTotal, curCounts[top]!, curTotal)
      return { test, statistic: r.statistic, pValue: r.pValue, psi, unseen: unseenList }
    }
    case 'psi':
      return { test, statistic: psi, psi, unseen: unseenList }
    default:
      return {
        test: 'jensen_shannon',
        statistic: jensenShannonDistance(refCounts, curCounts),
        psi,
        unseen: unseenList,
      }
  }
}

/** Runs the drift test chosen for one feature. */
export function featureDrift(
  ref: FeatureProfile,
  current: FeatureValues,
  options: DriftOptions = {},
): FeatureDrift {
  const n = current.values.length
  let missing = 0
  if (current.kind === 'numeric') for (const v of current.values) missing += Number.isFinite(v) ? 0 : 1
  else for (const v of current.values) missing += v === null ? 1 : 0
  const currentMissingShare = n === 0 ? 0 : missing / n
  const nPresent = n - missing
  const requested = options.tests?.[ref.name] ?? defaultTest(ref, nPresent)
  let result: {
    test: DriftTestName
    statistic: number
    pValue?: number
    psi: number
    unseen: readonly string[]
  }
  if (ref.kind === 'numeric' && current.kind === 'numeric') {
    const test =
      requested === 'chi2' || requested === 'jensen_shannon' || requested === 'z' ? 'ks' : requested
    result = { ...numericDrift(ref, current.values, test), unseen: [] }
  } else if (ref.kind !== 'numeric' && current.kind !== 'numeric') {
    const test = requested === 'ks' || requested === 'wasserstein' ? 'chi2' : requested
    result = categoricalDrift(ref, current.values, test)
  } else {
    throw new TypeError(`Feature '${ref.name}' is ${ref.kind} in the reference but ${current.kind} now.`)
  }
  const threshold = options.thresholds?.[result.test] ?? DEFAULT_THRESHOLDS[result.test]
  const statDrift =
    nPresent === 0
      ? false
      : isPValueTest(result.test)
        ? (result.pValue ?? 1) < threshold
        : result.statistic > threshold
  const missingShareChanged = Math.abs(currentMissingShare - ref.missingShare) > MISSING_SHIFT
  return {
    feature: ref.name,
    kind: ref.kind,
    test: result.test,
    statistic: result.statistic,
    ...(result.pValue === undefined ? {} : { pValue: result.pValue }),
    threshold,
    // A new category or a jump in missing values is drift in its own right, even when the
    // distribution of the present values looks the same.
    drifted: statDrift || result.unseen.length > 0 || missingShareChanged,
    psi: result.psi,
    referenceMissingShare: ref.missingShare,
    currentMissingShare,
    missingShareChanged,
    unseenCategories: result.unseen,
    currentCount: n,
  }
}

/**
 * Compares a current window with a reference profile: one test per feature (chosen by type and
 * sample size unless overridden), prediction drift on the scores, and the dataset verdict
 * (drift when the weighted share of drifted features reaches `shareThreshold`).
 */
export function detectDrift(
  reference: ReferenceProfile,
  current: CurrentData,
  options: DriftOptions = {},
): DriftReport {
  const features: FeatureDrift[] = []
  const rows = current.kind === 'dataset' ? current.dataset.nRows : current.records.length
  for (const profile of reference.features) {
    const values =
      current.kind === 'dataset'
        ? featureValues(current.dataset, profile.name)
        : recordValues(current.records, profile)
    if (values === undefined) continue
    const aligned: FeatureValues =
      profile.kind === 'numeric' && values.kind !== 'numeric'
        ? {
            kind: 'numeric',
            values: Float64Array.from(values.values, (v) => (v === null ? Number.NaN : Number(v))),
          }
        : values
    features.push(featureDrift(profile, aligned, options))
  }
  let prediction: FeatureDrift | undefined
  if (reference.prediction !== undefined && current.scores !== undefined && current.scores.length > 0) {
    prediction = featureDrift(
      reference.prediction,
      { kind: 'numeric', values: Float64Array.from(current.scores) },
      options,
    )
  }
  let total = 0
  let drifted = 0
  for (const f of features) {
    const w = options.weights?.[f.feature] ?? 1
    total += w
    if (f.drifted) drifted += w
  }
  const share = total === 0 ? 0 : drifted / total
  const shareThreshold = options.shareThreshold ?? 0.5
  return {
    features,
    ...(prediction === undefined ? {} : { prediction }),
    driftedShare: share,
    shareThreshold,
    datasetDrift: features.length > 0 && share >= shareThreshold,
    currentRows: rows,
  }
}
