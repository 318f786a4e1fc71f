import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { flag, int, intOrNull, oneOf, paramError } from '../define.js'

const MAX_FEATURES_RULE = "'sqrt', 'log2', 'all', a fraction in (0, 1] or an integer >= 2"

/** Params every tree and forest estimator shares (schema; the type is `TreeCommonParams`). */
export const TREE_COMMON_SCHEMA = z.object({
  /** Maximum depth of a tree (root has depth 0); `null` grows until leaves are pure or too small. */
  maxDepth: intOrNull({ min: 0 }),
  /** A node with fewer training rows than this is not split. */
  minSamplesSplit: int({ min: 2 }),
  /** Every leaf keeps at least this many (distinct) training rows. */
  minSamplesLeaf: int({ min: 1 }),
  /**
   * Features tried at each split: `'sqrt'`/`'log2'` of the column count, `'all'`, a fraction in
   * (0, 1] of the columns (at least one), or an integer count >= 2 (capped at the column count).
   * As in scikit-learn, a feature drawn that is constant in the node counts towards the number,
   * but the search goes on until at least one non-constant feature has been tried.
   */
  maxFeatures: z
    .union([oneOf('sqrt', 'log2', 'all'), z.number()], { error: MAX_FEATURES_RULE })
    .refine((m) => typeof m === 'string' || (m > 0 && m <= 1) || (Number.isInteger(m) && m >= 2), {
      error: MAX_FEATURES_RULE,
    }),
  /** Grow best-first and stop at this many leaves; `null` grows depth-first without a leaf limit. */
  maxLeafNodes: intOrNull({ min: 2 }),
  /**
   * Quantile bins per feature (2..65535). Features with at most this many distinct training values
   * are split exactly (every midpoint between neighbouring values is a candidate, as in CART).
   */
  maxBins: int({ min: 2, max: 65535 }),
  /**
   * How columns listed in `FitOptions.categoricalFeatures` are split. `'one-vs-rest'`: one level
   * against all others, each level drawn as its own candidate feature, which is what CART sees
   * after one-hot encoding (scikit-learn's usual setup), without the wide matrix. `'ordinal'`:
   * codes are treated as numbers. Columns with more than `maxBins` levels are always ordinal.
   */
  categoricalSplit: oneOf('one-vs-rest', 'ordinal'),
  /** Seed for bootstrap rows and feature draws; the same seed and data give the same model. */
  seed: int({ min: 0, max: 0xffffffff }),
})

/** Params every tree and forest estimator shares. */
export type TreeCommonParams = Readonly<z.infer<typeof TREE_COMMON_SCHEMA>>

/** How many features each split considers: a rule, or a number (see `TreeCommonParams.maxFeatures`). */
export type MaxFeatures = TreeCommonParams['maxFeatures']

/** Params of `DecisionTreeClassifier` (schema). */
export const DECISION_TREE_CLASSIFIER_SCHEMA = TREE_COMMON_SCHEMA.extend({
  criterion: oneOf('gini', 'entropy'),
})

/** Params of `DecisionTreeRegressor` (schema). */
export const DECISION_TREE_REGRESSOR_SCHEMA = TREE_COMMON_SCHEMA.extend({ criterion: oneOf('squared-error') })

/** Split criteria of the classifiers. */
export type ClassificationCriterion = DecisionTreeClassifierParams['criterion']

/** Split criterion of the regressors (mean squared error). */
export type RegressionCriterion = DecisionTreeRegressorParams['criterion']

/** Params of `DecisionTreeClassifier`. */
export type DecisionTreeClassifierParams = Readonly<z.infer<typeof DECISION_TREE_CLASSIFIER_SCHEMA>>

/** Params of `DecisionTreeRegressor`. */
export type DecisionTreeRegressorParams = Readonly<z.infer<typeof DECISION_TREE_REGRESSOR_SCHEMA>>

/** Schema shape of the params forests add to a single tree. */
const FOREST_EXTRA_SHAPE = {
  /** Number of trees. */
  nEstimators: int({ min: 1 }),
  /** Draw each tree's rows with replacement (n draws); `false` trains every tree on all rows. */
  bootstrap: flag(),
  /** Compute the out-of-bag score (accuracy or R²) and keep out-of-bag predictions (needs `bootstrap`). */
  oobScore: flag(),
  /** Worker threads that build trees; `0` means all available cores. The model does not depend on it. */
  threads: int({ min: 0 }),
}

/** Params forests add to a single tree. */
export type ForestExtraParams = Readonly<z.infer<z.ZodObject<typeof FOREST_EXTRA_SHAPE>>>

/** Params of `RandomForestClassifier` (schema). */
export const RANDOM_FOREST_CLASSIFIER_SCHEMA = DECISION_TREE_CLASSIFIER_SCHEMA.extend(FOREST_EXTRA_SHAPE)

/** Params of `RandomForestRegressor` (schema). */
export const RANDOM_FOREST_REGRESSOR_SCHEMA = DECISION_TREE_REGRESSOR_SCHEMA.extend(FOREST_EXTRA_SHAPE)

/** Params of `RandomForestClassifier`. */
export type RandomForestClassifierParams = Readonly<z.infer<typeof RANDOM_FOREST_CLASSIFIER_SCHEMA>>

/** Params of `RandomForestRegressor`. */
export type RandomForestRegressorParams = Readonly<z.infer<typeof RANDOM_FOREST_REGRESSOR_SCHEMA>>

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

/** A forest's out-of-bag score needs rows left out of some bootstrap sample. @internal */
export function checkForestParams(p: ForestExtraParams, name: string): void {
  if (p.oobScore && !p.bootstrap)
    throw paramError(name, 'oobScore', 'false when bootstrap is false (no rows are out of bag)', p.oobScore)
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
