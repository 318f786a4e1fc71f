import { availableParallelism } from 'node:os'
import { z } from 'zod'
import { flag, int, intOrNull, num, oneOf } from '../define.js'

/** Params shared by the gradient boosting classifier and regressor (schema; the type is below). */
export const GBDT_COMMON_SCHEMA = z.object({
  /** Maximum number of boosting rounds (early stopping may stop sooner). */
  nEstimators: int({ min: 1 }),
  /** Shrinkage applied to every leaf value. */
  learningRate: num({ gt: 0 }),
  /** Maximum tree depth; `null` means no limit (growth is bounded by `maxLeaves`). */
  maxDepth: intOrNull({ min: 1 }),
  /** Maximum number of leaves per tree (trees grow leaf-wise, best gain first). */
  maxLeaves: int({ min: 2, max: 65536 }),
  /** Number of bins for numeric features (2..255); missing values get their own extra bin. */
  maxBins: int({ min: 2, max: 255 }),
  /** Minimum number of training rows in a leaf. */
  minSamplesLeaf: int({ min: 1 }),
  /** Minimum hessian sum in a leaf. */
  minChildWeight: num({ min: 0 }),
  /** Minimum gain for a split to be made. */
  minSplitGain: num({ min: 0 }),
  /** L1 penalty on leaf values. */
  l1: num({ min: 0 }),
  /** L2 penalty on leaf values. */
  l2: num({ min: 0 }),
  /** Fraction of rows sampled (without replacement) for each boosting round. */
  subsample: num({ gt: 0, max: 1 }),
  /** Fraction of features sampled for each tree. */
  colsample: num({ gt: 0, max: 1 }),
  /**
   * `'auto'` early-stops when a validation set is passed to fit, or when the training set has
   * more than `autoEarlyStoppingRows` rows (then `validationFraction` of them are held out).
   */
  earlyStopping: oneOf('auto', true, false),
  /**
   * After early stopping on the automatic holdout (no validation set passed to fit), refit on all
   * training rows for the chosen number of rounds (scaled by the row count), so the held-out rows
   * are not lost to the final model.
   */
  earlyStoppingRefit: flag(),
  /** Share of training rows held out for early stopping when no validation set is given. */
  validationFraction: num({ gt: 0, lt: 1 }),
  /** Stop after this many rounds without improvement of the validation loss. */
  nIterNoChange: int({ min: 1 }),
  /** Minimum validation-loss improvement that counts (relative to the loss scale). */
  tol: num({ min: 0 }),
  /** Row count above which `earlyStopping: 'auto'` holds out an automatic validation split. */
  autoEarlyStoppingRows: int({ min: 0 }),
  /**
   * At most `autoCvMaxRows` rows (and no validation set passed), `earlyStopping: 'auto'` chooses
   * the round count (up to `nEstimators`) by this many-fold cross-validation, each fold
   * early-stopped on its held-out part, then fits every row; 0 or 1 keeps all `nEstimators` rounds.
   */
  autoCvFolds: int({ min: 0, max: 20 }),
  /** Row count up to which `autoCvFolds` applies (between it and `autoEarlyStoppingRows`: all rounds). */
  autoCvMaxRows: int({ min: 0 }),
  /** Categorical splits consider at most this many categories on the smaller side. */
  maxCatThreshold: int({ min: 1 }),
  /** Categoricals with at most this many levels use one-vs-rest splits. */
  maxCatToOnehot: int({ min: 0 }),
  /** Smoothing added to the hessian when ordering categories by gradient/hessian. */
  catSmooth: num({ min: 0 }),
  /** Extra L2 penalty for categorical splits (they have more freedom, so they overfit sooner). */
  catL2: num({ min: 0 }),
  /**
   * Many-vs-many categorical splits put at least this many rows on each side, in steps of it
   * (LightGBM's min_data_per_group, whose default there is 100; off by default here, as in
   * scikit-learn, because it blocks useful splits of mid-cardinality features on small data).
   */
  minDataPerGroup: int({ min: 1 }),
  /**
   * Many-vs-many categorical splits order only the levels with at least this many rows in the
   * node (as `catSmooth` already requires); rarer levels stay on the right side, so a split
   * cannot hinge on the noisy gradient means of a few rows. 0 adds nothing to `catSmooth`'s rule.
   */
  minRowsPerCatLevel: int({ min: 0 }),
  /**
   * How histograms count a bin's rows. `'exact'` counts them (one more load and store per row and
   * feature); `'hessian'` estimates them from the bin's hessian sum as LightGBM does, for
   * `minSamplesLeaf` and the categorical row rules (a leaf may then hold slightly fewer rows than
   * `minSamplesLeaf`; hessian sums and `minChildWeight` are exact either way); `'auto'` estimates
   * from `HESSIAN_COUNTS_MIN_ROWS` (100,000) training rows, where histograms are most of the fit
   * and leaves near the row limit are rare, and counts exactly below it.
   */
  histogramCounts: oneOf('auto', 'exact', 'hessian'),
  /** Seed for row/column sampling and the automatic validation split. */
  seed: int(),
  /** Threads for histogram building; `0` means all available cores. */
  threads: int({ min: 0 }),
})

/** Params shared by the gradient boosting classifier and regressor. */
export type GbdtCommonParams = Readonly<z.infer<typeof GBDT_COMMON_SCHEMA>>

/** Params of `GradientBoostingClassifier` (schema). */
export const GBDT_CLASSIFIER_SCHEMA = GBDT_COMMON_SCHEMA.extend({
  /** Binary logistic for two classes, softmax for more. */
  loss: oneOf('log-loss'),
  /** Multiplies the weight of class-1 rows (binary only). */
  scalePosWeight: num({ gt: 0 }),
  /** `'balanced'` weights classes inversely to their frequency; an array gives one weight per class. */
  classWeight: z.union([oneOf('balanced', null), z.array(num({ min: 0 })).readonly()], {
    error: "null, 'balanced' or an array of non-negative numbers",
  }),
})

/** Params of `GradientBoostingRegressor` (schema). */
export const GBDT_REGRESSOR_SCHEMA = GBDT_COMMON_SCHEMA.extend({
  loss: oneOf('squared-error', 'absolute-error', 'huber'),
  /** Quantile of absolute residuals used as the Huber threshold (as in scikit-learn). */
  huberAlpha: num({ gt: 0, lt: 1 }),
})

/** Losses of the gradient boosting classifier. */
export type GbdtClassifierLoss = GradientBoostingClassifierParams['loss']

/** Losses of the gradient boosting regressor. */
export type GbdtRegressorLoss = GradientBoostingRegressorParams['loss']

/** Params of `GradientBoostingClassifier`. */
export type GradientBoostingClassifierParams = Readonly<z.infer<typeof GBDT_CLASSIFIER_SCHEMA>>

/** Params of `GradientBoostingRegressor`. */
export type GradientBoostingRegressorParams = Readonly<z.infer<typeof GBDT_REGRESSOR_SCHEMA>>

/**
 * Defaults shared by both estimators, modelled on scikit-learn's HistGradientBoosting, except that
 * early stopping starts at 5,000 rows (not 10,000) and refits on every row, and up to 1,000 rows
 * cross-validation picks the round count (see bench/realdata-results.md).
 */
export const DEFAULT_GBDT_COMMON_PARAMS: GbdtCommonParams = Object.freeze({
  nEstimators: 100,
  learningRate: 0.1,
  maxDepth: null,
  maxLeaves: 31,
  maxBins: 255,
  minSamplesLeaf: 20,
  minChildWeight: 1e-3,
  minSplitGain: 0,
  l1: 0,
  l2: 0,
  subsample: 1,
  colsample: 1,
  earlyStopping: 'auto',
  earlyStoppingRefit: true,
  validationFraction: 0.1,
  nIterNoChange: 10,
  tol: 1e-7,
  // From 5,000 rows the 10 % holdout has 500+ rows, enough for a stable loss: measured on the
  // bench/realdata sets, early stopping (with the refit) helps above that and is a coin toss below.
  autoEarlyStoppingRows: 5000,
  // Up to 1,000 rows, 5-fold cross-validation picks the round count (bench/realdata-results.md,
  // session 7): there 100 rounds at rate 0.1 overfit most often and five extra small fits are
  // affordable (about 3.7x the plain fit on 455 rows). Between 1,000 and 5,000 rows it helped
  // some sets and hurt others (mlc_churn, attrition's fixed split), so those keep every round.
  autoCvFolds: 5,
  autoCvMaxRows: 1000,
  maxCatThreshold: 32,
  maxCatToOnehot: 4,
  catSmooth: 10,
  catL2: 10,
  minDataPerGroup: 1,
  minRowsPerCatLevel: 0,
  histogramCounts: 'auto',
  seed: 0,
  threads: 0,
})

/** Default params of `GradientBoostingClassifier`. */
export const DEFAULT_GBDT_CLASSIFIER_PARAMS: GradientBoostingClassifierParams = Object.freeze({
  ...DEFAULT_GBDT_COMMON_PARAMS,
  loss: 'log-loss',
  scalePosWeight: 1,
  classWeight: null,
})

/** Default params of `GradientBoostingRegressor`. */
export const DEFAULT_GBDT_REGRESSOR_PARAMS: GradientBoostingRegressorParams = Object.freeze({
  ...DEFAULT_GBDT_COMMON_PARAMS,
  loss: 'squared-error',
  huberAlpha: 0.9,
})

/**
 * Training rows from which `histogramCounts: 'auto'` estimates counts from hessians. Measured on the
 * 1M-row bench: histograms are about two thirds of the fit there, and dropping the count cut their
 * time by about a third (bench/gbdt-results.md, session 13). Below it every realdata set and shared
 * dataset trains exactly as before (bench/realdata-results.md).
 */
export const HESSIAN_COUNTS_MIN_ROWS = 100_000

/** Whether a fit on `rows` training rows estimates histogram counts from hessians. */
export function usesHessianCounts(
  histogramCounts: GbdtCommonParams['histogramCounts'],
  rows: number,
): boolean {
  return histogramCounts === 'hessian' || (histogramCounts === 'auto' && rows >= HESSIAN_COUNTS_MIN_ROWS)
}

/** Resolves `threads: 0` to the machine's core count. */
export function resolveThreads(threads: number): number {
  return threads > 0 ? threads : Math.max(1, availableParallelism())
}
