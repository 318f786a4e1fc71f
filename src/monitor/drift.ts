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
} from '../pipeline/index.js'
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

/**
 * How the dataset verdict is reached:
 * - `share`: the plain share of drifted features reaches the threshold (every feature counts the same);
 * - `weighted`: the importance-weighted share does (a feature the model ignores weighs ~0);
 * - `prediction`: the distribution of the model's scores drifted;
 * - `any` (default): `prediction` or `weighted`.
 */
export type DriftRule = 'share' | 'weighted' | 'prediction' | 'any'

/** The rules `DriftOptions.rule` accepts, for flag and config validation. */
export const DRIFT_RULES: readonly DriftRule[] = ['share', 'weighted', 'prediction', 'any']

/** Default rule: the model's scores moved, or the inputs it relies on did. */
export const DEFAULT_DRIFT_RULE: DriftRule = 'any'

/**
 * Fewest current rows a check gives a verdict on. Below it the tests are not run: on a handful of
 * rows every distance is large (2 rows gave PSI 9.7) and the verdict is `insufficient_data`.
 */
export const DEFAULT_MIN_ROWS = 100

/**
 * Smallest PSI of the prediction scores that counts as prediction drift in the verdict (0.1 is the
 * usual "moderate shift" line). On 1,000 rows the KS test alone flags shifts far too small to
 * matter (PSI 0.08 from a feature with 0.3 % of the importance), so the verdict needs both.
 */
export const DEFAULT_PREDICTION_MIN_PSI = 0.1

/** The dataset verdict: `insufficient_data` when the window has fewer than `minRows` rows. */
export type DriftVerdict = 'drift' | 'no_drift' | 'insufficient_data'

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
  /** Dataset drift when the (plain or weighted, per `rule`) share of drifted features reaches this (default 0.5). */
  readonly shareThreshold?: number
  /**
   * Feature weights for the weighted share, normally the model's global importance; features
   * missing from it weigh 0. Without weights the weighted share equals the plain share.
   */
  readonly weights?: Readonly<Record<string, number>>
  /** How the verdict is reached (default `any`: prediction drift or the weighted share). */
  readonly rule?: DriftRule
  /** Fewer current rows than this give `insufficient_data` and no tests (default 100). */
  readonly minRows?: number
  /** Prediction drift counts in the verdict only with at least this PSI (default 0.1). */
  readonly predictionMinPsi?: number
}

/** Dataset-level result. */
export interface DriftReport {
  /** Per-feature verdicts; empty when the verdict is `insufficient_data` (no tests were run). */
  readonly features: readonly FeatureDrift[]
  readonly prediction?: FeatureDrift
  /** Plain share of drifted features (each feature counts the same). */
  readonly driftedShare: number
  /** Share of drifted features weighted by `weights` (the model's importance). */
  readonly weightedShare: number
  /** Whether `weightedShare` used the model's importance (`importance`) or equal weights. */
  readonly weighting: 'importance' | 'equal'
  /** Normalised weight per feature (sums to 1 over the features tested). */
  readonly weights: Readonly<Record<string, number>>
  readonly shareThreshold: number
  readonly rule: DriftRule
  readonly verdict: DriftVerdict
  /**
   * Whether the prediction scores drifted materially: their test flagged them and their PSI is at
   * least `predictionMinPsi` (false when there are no scores).
   */
  readonly predictionDrift: boolean
  /** True only when `verdict` is `drift` (kept for callers that read a boolean). */
  readonly datasetDrift: boolean
  /** One line saying why: which signal crossed which threshold, or the row counts. */
  readonly reason: string
  readonly currentRows: number
  readonly minRows: number
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
  const rule = options.rule ?? DEFAULT_DRIFT_RULE
  const minRows = options.minRows ?? DEFAULT_MIN_ROWS
  const shareThreshold = options.shareThreshold ?? 0.5
  if (rows < minRows) {
    return {
      features: [],
      driftedShare: 0,
      weightedShare: 0,
      weighting: options.weights === undefined ? 'equal' : 'importance',
      weights: {},
      shareThreshold,
      rule,
      verdict: 'insufficient_data',
      predictionDrift: false,
      datasetDrift: false,
      reason: `not enough data: ${rows} row${rows === 1 ? '' : 's'} in the window, at least ${minRows} needed for a verdict`,
      currentRows: rows,
      minRows,
    }
  }
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
  const nDrifted = features.filter((f) => f.drifted).length
  const share = features.length === 0 ? 0 : nDrifted / features.length
  const weights = normalisedWeights(features, options.weights)
  const weighting = options.weights === undefined ? 'equal' : 'importance'
  let weightedShare = 0
  for (const f of features) if (f.drifted) weightedShare += weights[f.feature] ?? 0
  const predictionMinPsi = options.predictionMinPsi ?? DEFAULT_PREDICTION_MIN_PSI
  const predictionDrift = prediction?.drifted === true && prediction.psi >= predictionMinPsi
  const pct = (v: number): string => `${(100 * v).toFixed(0)}%`
  const signals = {
    share: features.length > 0 && share >= shareThreshold,
    weighted: features.length > 0 && weightedShare >= shareThreshold,
    prediction: predictionDrift,
  }
  const isDrift = rule === 'any' ? signals.prediction || signals.weighted : signals[rule]
  const why: string[] = []
  if ((rule === 'prediction' || rule === 'any') && prediction !== undefined)
    why.push(
      predictionDrift
        ? `prediction scores drifted (PSI ${prediction.psi.toFixed(2)})`
        : prediction.drifted
          ? `prediction scores moved too little to alarm (PSI ${prediction.psi.toFixed(2)} < ${predictionMinPsi})`
          : 'prediction scores did not drift',
    )
  if (rule === 'prediction' && prediction === undefined) why.push('no prediction scores to test')
  if (rule === 'weighted' || rule === 'any')
    why.push(
      `${pct(weightedShare)} of the model's ${weighting === 'importance' ? 'importance' : 'features (equal weights: no importance recorded)'} drifted (threshold ${pct(shareThreshold)})`,
    )
  why.push(
    `${nDrifted} of ${features.length} features drifted (${pct(share)}${rule === 'share' ? `, threshold ${pct(shareThreshold)}` : ''})`,
  )
  return {
    features,
    ...(prediction === undefined ? {} : { prediction }),
    driftedShare: share,
    weightedShare,
    weighting,
    weights,
    shareThreshold,
    rule,
    verdict: isDrift ? 'drift' : 'no_drift',
    predictionDrift,
    datasetDrift: isDrift,
    reason: why.join('; '),
    currentRows: rows,
    minRows,
  }
}

/**
 * Weights of the tested features, summing to 1: the given ones (non-negative; features absent
 * from them weigh 0), or equal weights when none are given or they are all zero.
 */
function normalisedWeights(
  features: readonly FeatureDrift[],
  given: Readonly<Record<string, number>> | undefined,
): Record<string, number> {
  const raw = features.map((f) => {
    if (given === undefined) return 1
    const w = given[f.feature] ?? 0
    return Number.isFinite(w) && w > 0 ? w : 0
  })
  let total = raw.reduce((a, b) => a + b, 0)
  if (!(total > 0)) {
    raw.fill(1)
    total = raw.length
  }
  return Object.fromEntries(features.map((f, i) => [f.feature, raw[i]! / total]))
}
