import { availableParallelism } from 'node:os'
import { didYouMean, InvalidArgumentError } from '../../core/index.js'

/** How many features each split considers: a rule, or a number (see `TreeCommonParams.maxFeatures`). */
export type MaxFeatures = 'sqrt' | 'log2' | 'all' | number

/** Split criteria of the classifiers. */
export type ClassificationCriterion = 'gini' | 'entropy'

/** Split criterion of the regressors (mean squared error). */
export type RegressionCriterion = 'squared-error'

/** Params every tree and forest estimator shares. */
export interface TreeCommonParams {
  /** Maximum depth of a tree (root has depth 0); `null` grows until leaves are pure or too small. */
  readonly maxDepth: number | null
  /** A node with fewer training rows than this is not split. */
  readonly minSamplesSplit: number
  /** Every leaf keeps at least this many (distinct) training rows. */
  readonly minSamplesLeaf: number
  /**
   * Features tried at each split: `'sqrt'`/`'log2'` of the column count, `'all'`, a fraction in
   * (0, 1] of the columns (at least one), or an integer count >= 2 (capped at the column count).
   * As in scikit-learn, features that are constant in a node do not count towards the number.
   */
  readonly maxFeatures: MaxFeatures
  /** Grow best-first and stop at this many leaves; `null` grows depth-first without a leaf limit. */
  readonly maxLeafNodes: number | null
  /**
   * Quantile bins per feature (2..65535). Features with at most this many distinct training values
   * are split exactly (every midpoint between neighbouring values is a candidate, as in CART).
   */
  readonly maxBins: number
  /**
   * How columns listed in `FitOptions.categoricalFeatures` are split. `'one-vs-rest'`: one level
   * against all others, each level drawn as its own candidate feature, which is what CART sees
   * after one-hot encoding (scikit-learn's usual setup), without the wide matrix. `'ordinal'`:
   * codes are treated as numbers. Columns with more than `maxBins` levels are always ordinal.
   */
  readonly categoricalSplit: 'one-vs-rest' | 'ordinal'
  /** Seed for bootstrap rows and feature draws; the same seed and data give the same model. */
  readonly seed: number
}

/** Params of `DecisionTreeClassifier`. */
export interface DecisionTreeClassifierParams extends TreeCommonParams {
  readonly criterion: ClassificationCriterion
}

/** Params of `DecisionTreeRegressor`. */
export interface DecisionTreeRegressorParams extends TreeCommonParams {
  readonly criterion: RegressionCriterion
}

/** Params forests add to a single tree. */
export interface ForestExtraParams {
  /** Number of trees. */
  readonly nEstimators: number
  /** Draw each tree's rows with replacement (n draws); `false` trains every tree on all rows. */
  readonly bootstrap: boolean
  /** Compute the out-of-bag score (accuracy or R²) and keep out-of-bag predictions (needs `bootstrap`). */
  readonly oobScore: boolean
  /** Worker threads that build trees; `0` means all available cores. The model does not depend on it. */
  readonly threads: number
}

/** Params of `RandomForestClassifier`. */
export interface RandomForestClassifierParams extends DecisionTreeClassifierParams, ForestExtraParams {}

/** Params of `RandomForestRegressor`. */
export interface RandomForestRegressorParams extends DecisionTreeRegressorParams, ForestExtraParams {}

const TREE_DEFAULTS = {
  maxDepth: null,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxLeafNodes: null,
  maxBins: 255,
  categoricalSplit: 'one-vs-rest',
  seed: 0,
} as const

/** Defaults of `DecisionTreeClassifier` (scikit-learn's, except binning above 255 distinct values). */
export const DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS: DecisionTreeClassifierParams = {
  ...TREE_DEFAULTS,
  criterion: 'gini',
  maxFeatures: 'all',
}

/** Defaults of `DecisionTreeRegressor`. */
export const DECISION_TREE_REGRESSOR_DEFAULT_PARAMS: DecisionTreeRegressorParams = {
  ...TREE_DEFAULTS,
  criterion: 'squared-error',
  maxFeatures: 'all',
}

// 200 trees, not scikit-learn's 100: with rare positives the ranking (AUC) of 100 trees is still
// noisy (bench/realdata: lending_club 0.687 with 100 trees, 0.707 with 200, as scikit-learn's 200).
const FOREST_DEFAULTS: ForestExtraParams = { nEstimators: 200, bootstrap: true, oobScore: false, threads: 0 }

/** Defaults of `RandomForestClassifier` (scikit-learn's, but 200 trees: sqrt features, unlimited depth). */
export const RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS: RandomForestClassifierParams = {
  ...DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS,
  ...FOREST_DEFAULTS,
  maxFeatures: 'sqrt',
}

/** Defaults of `RandomForestRegressor` (scikit-learn's, but 200 trees: all features per split). */
export const RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS: RandomForestRegressorParams = {
  ...DECISION_TREE_REGRESSOR_DEFAULT_PARAMS,
  ...FOREST_DEFAULTS,
  maxFeatures: 1,
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v)
}

function fail(name: string, value: unknown, rule: string): never {
  throw new InvalidArgumentError(`Param ${name} must be ${rule}; got ${JSON.stringify(value)}.`, {
    param: name,
    value,
  })
}

/** Checks the params that stand on their own (data-dependent checks happen in fit). @internal */
export function checkTreeParams(p: TreeCommonParams & { readonly criterion: string }): void {
  if (p.maxDepth !== null && !(isInt(p.maxDepth) && p.maxDepth >= 0))
    fail('maxDepth', p.maxDepth, 'null or an integer >= 0')
  if (!(isInt(p.minSamplesSplit) && p.minSamplesSplit >= 2))
    fail('minSamplesSplit', p.minSamplesSplit, 'an integer >= 2')
  if (!(isInt(p.minSamplesLeaf) && p.minSamplesLeaf >= 1))
    fail('minSamplesLeaf', p.minSamplesLeaf, 'an integer >= 1')
  if (p.maxLeafNodes !== null && !(isInt(p.maxLeafNodes) && p.maxLeafNodes >= 2))
    fail('maxLeafNodes', p.maxLeafNodes, 'null or an integer >= 2')
  if (!(isInt(p.maxBins) && p.maxBins >= 2 && p.maxBins <= 65535))
    fail('maxBins', p.maxBins, 'an integer in 2..65535')
  if (!(isInt(p.seed) && p.seed >= 0 && p.seed <= 0xffffffff)) fail('seed', p.seed, 'an integer in 0..2^32-1')
  if (p.categoricalSplit !== 'one-vs-rest' && p.categoricalSplit !== 'ordinal')
    fail('categoricalSplit', p.categoricalSplit, "'one-vs-rest' or 'ordinal'")
  const m = p.maxFeatures
  const okRule = m === 'sqrt' || m === 'log2' || m === 'all'
  const okNumber = typeof m === 'number' && Number.isFinite(m) && ((m > 0 && m <= 1) || (isInt(m) && m >= 2))
  if (!okRule && !okNumber)
    fail('maxFeatures', m, "'sqrt', 'log2', 'all', a fraction in (0, 1] or an integer >= 2")
  if (p.criterion !== 'gini' && p.criterion !== 'entropy' && p.criterion !== 'squared-error')
    fail('criterion', p.criterion, "'gini' or 'entropy' (classifiers) or 'squared-error' (regressors)")
}

/** Rejects keys the estimator does not know (typos would otherwise be ignored silently). @internal */
export function checkKnownKeys(params: object, defaults: object, estimator: string): void {
  const known = Object.keys(defaults)
  for (const key of Object.keys(params)) {
    if (!known.includes(key))
      throw new InvalidArgumentError(
        `Unknown param '${key}' for ${estimator}${didYouMean(key, known)}. Known params: ${known.sort().join(', ')}.`,
        { param: key },
      )
  }
}

/** Checks forest-only params. @internal */
export function checkForestParams(p: ForestExtraParams): void {
  if (!(isInt(p.nEstimators) && p.nEstimators >= 1)) fail('nEstimators', p.nEstimators, 'an integer >= 1')
  if (typeof p.bootstrap !== 'boolean') fail('bootstrap', p.bootstrap, 'a boolean')
  if (typeof p.oobScore !== 'boolean') fail('oobScore', p.oobScore, 'a boolean')
  if (p.oobScore && !p.bootstrap)
    fail('oobScore', p.oobScore, 'false when bootstrap is false (no rows are out of bag)')
  if (!(isInt(p.threads) && p.threads >= 0)) fail('threads', p.threads, 'an integer >= 0 (0 = all cores)')
}

/** Number of features tried per split for `nFeatures` columns. @internal */
export function resolveMaxFeatures(m: MaxFeatures, nFeatures: number): number {
  let k: number
  if (m === 'sqrt') k = Math.floor(Math.sqrt(nFeatures))
  else if (m === 'log2') k = Math.floor(Math.log2(nFeatures))
  else if (m === 'all') k = nFeatures
  else if (m <= 1) k = Math.floor(m * nFeatures)
  else k = m
  return Math.max(1, Math.min(nFeatures, k))
}

/** Worker count for `threads` (0 = available cores), never more than the number of trees. @internal */
export function resolveThreads(threads: number, nTrees: number): number {
  const t = threads === 0 ? availableParallelism() : threads
  return Math.max(1, Math.min(t, nTrees))
}
