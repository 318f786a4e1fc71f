/**
 * Types shared by the stages of the training workflow (prepare -> candidates -> tune -> refit ->
 * test -> record): what the caller asks for, what each stage hands to the next, and the outcome.
 */
import type { Matrix } from '../../core/index.js'
import type { Dataset } from '../../data/index.js'
import type { TaskKind } from '../../models/index.js'
import type { BundleFeature, BundlePredictions, EncodedTarget, ModelBundle } from '../../pipeline/index.js'
import type { ModelFamily } from '../families.js'
import type { MetricValues } from '../scoring.js'

/** How the rows are split into train/test and into cross-validation folds (the task file's `split.kind`). */
export type SplitKind = 'random' | 'stratified' | 'group' | 'time'

/** Progress events of a training run, for the live display. */
export type TrainProgress =
  | { readonly kind: 'stage'; readonly message: string }
  | {
      readonly kind: 'fold'
      readonly family: string
      readonly fold: number
      readonly folds: number
      readonly score: number
    }
  | { readonly kind: 'candidate'; readonly family: string; readonly score: number; readonly best: string }
  | { readonly kind: 'iteration'; readonly family: string; readonly iteration: number; readonly loss: number }
  | {
      readonly kind: 'trial'
      readonly family: string
      readonly trial: number
      readonly trials: number
      readonly score: number
      readonly best: number
    }

/** What to train. Resolved from the task file and flags by the CLI. */
export interface TrainSpec {
  readonly dataPath?: string
  readonly dataset?: Dataset
  readonly target: string
  readonly task?: TaskKind
  readonly positiveClass?: string
  /** Feature columns to use (default: all but target, id, entity and excluded columns). */
  readonly include?: readonly string[]
  readonly exclude?: readonly string[]
  readonly idColumn?: string
  readonly model: ModelFamily | 'auto'
  readonly params?: Readonly<Record<string, unknown>>
  readonly validPath?: string
  readonly seed: number
  /** Metrics to report; the first is the primary (selection) metric. */
  readonly metrics?: readonly string[]
  /**
   * Share of rows held out as the test part (default `DEFAULT_TEST_SIZE`, stratified for
   * classification). 0 trains on all rows: the honest figure is then the cross-validated score.
   */
  readonly testSize?: number
  /** Cross-validation folds used by `auto` to choose a family. */
  readonly folds: number
  /** Weight classes inversely to their frequency (`--balance`); classification only. */
  readonly balance?: boolean
  /**
   * Operating point for the decision threshold of a binary model, e.g. `precision_at_recall@0.9`:
   * the threshold is chosen on held-out training rows to meet it. Default: the first such metric
   * in `metrics`, else 0.5.
   */
  readonly thresholdFor?: string
  /** Random-search trials for the chosen family (cross-validated like the family choice). */
  readonly trials?: number
  /** Wall-clock budget for tuning, in minutes. */
  readonly tuneMinutes?: number
  /** Explicit train/test row indices (overrides `testSize`), e.g. to reproduce a published split. */
  readonly split?: { readonly train: Int32Array; readonly test: Int32Array }
  /** Split and fold kind (default: stratified for classification, random for regression). */
  readonly splitKind?: SplitKind
  /** Group column for group splits (no entity in two parts). */
  readonly groupColumn?: string
  /** Time column for time splits (train on the past, test on the future). */
  readonly timeColumn?: string
  readonly onProgress?: (event: TrainProgress) => void
  /**
   * Runs the cross-validation fits of model selection and tuning (default: one after another in
   * this process). `keel train --distributed` passes one that sends them to `keel worker`s.
   */
  readonly trialRunner?: TrialRunner
}

/**
 * One fit-and-score of cross-validation: a family with params, fitted on the training rows of one
 * fold and scored (primary metric) on its validation rows. Plain data, so it can travel as a job.
 */
export interface TrialSpec {
  /** Names the trial in progress lines and errors, e.g. `candidate gbdt` or `tuning trial 7`. */
  readonly label: string
  readonly family: ModelFamily
  /** Params of the fit; absent: the spec's params for the asked family, none for others (as `fitFamily`). */
  readonly params?: Readonly<Record<string, unknown>>
  /** Index into `PreparedData.folds`. */
  readonly fold: number
  /**
   * Tuning trials: a fit that throws scores NaN and the search goes on (as `randomSearch` treats
   * a failed objective); otherwise the error ends the run.
   */
  readonly tolerateErrors: boolean
}

/** What one trial scored. */
export interface TrialResult {
  /** The fold's validation score of the primary metric; NaN when a tolerated fit threw. */
  readonly score: number
  /** Seconds the fit and scoring took where they ran. */
  readonly seconds: number
  /** The fit's error message, when a tolerated fit threw. */
  readonly error?: string
}

/**
 * Runs batches of trials: in any order, on any machine, but each result must be exactly what the
 * in-process fit gives (same data, folds, params, seed), so the run's outcome does not depend on
 * where trials ran.
 */
export interface TrialRunner {
  /**
   * Runs `trials` and resolves with their results in trial order; `onResult` is called as each
   * completes. Rejects when a trial without `tolerateErrors` throws (or cannot be run at all).
   */
  run(
    prep: PreparedData,
    spec: TrainSpec,
    trials: readonly TrialSpec[],
    onResult?: (index: number, result: TrialResult) => void,
  ): Promise<TrialResult[]>
}

/** Share of rows held out as the test part when the caller does not say (as the task file does). */
export const DEFAULT_TEST_SIZE = 0.2

/** The chosen model's cross-validated primary metric, measured on the training part only. */
export interface CrossValidatedScore {
  readonly metric: string
  readonly mean: number
  /** Per-fold scores, when known (tuning keeps only the mean of its best trial). */
  readonly scores: readonly number[]
  readonly folds: number
}

/** One family's cross-validated score. */
export interface CandidateResult {
  readonly family: ModelFamily
  readonly cvScore: number
  readonly cvScores: readonly number[]
  readonly seconds: number
}

/** The decision threshold chosen to meet an operating point, and what it achieved where chosen. */
export interface ThresholdChoice {
  readonly metric: string
  readonly threshold: number
  readonly value: number
  readonly isAchieved: boolean
  readonly rows: number
}

/** What tuning tried and whether its best params beat the defaults in cross-validation. */
export interface TuningResult {
  readonly family: ModelFamily
  readonly trials: number
  readonly defaultScore: number
  readonly bestScore: number
  readonly bestParams: Readonly<Record<string, unknown>>
  readonly isKept: boolean
}

/** Outcome of `trainModelBundle`: everything the record stage stores. */
export interface TrainOutcome {
  readonly bundle: ModelBundle
  readonly baseline: ModelBundle
  readonly task: TaskKind
  readonly taskReason: string
  readonly family: ModelFamily
  readonly primaryMetric: string
  readonly fitSeconds: number
  readonly candidates: readonly CandidateResult[]
  readonly tuning?: TuningResult
  readonly threshold?: ThresholdChoice
  /**
   * Cross-validated primary metric of the chosen family (and params): from model selection or
   * tuning when they ran, and always computed when nothing is held out, so such a run still has an
   * honest figure.
   */
  readonly cv?: CrossValidatedScore
  readonly metrics: {
    readonly train: MetricValues
    readonly test?: MetricValues
    readonly baselineTest?: MetricValues
    readonly baselineTrain: MetricValues
  }
  readonly trainRows: number
  readonly testRows: number
  readonly dataset: Dataset
  /** The training part (`dataset` at `trainIndex`), materialised once by the prepare stage. */
  readonly trainDs: Dataset
  readonly trainIndex: Int32Array
  readonly testIndex: Int32Array
  readonly target: EncodedTarget
  readonly iterations: readonly {
    readonly iteration: number
    readonly trainLoss: number
    readonly validLoss?: number
  }[]
  /**
   * The final model's predictions on every training row, computed once by the test stage: the
   * training metrics and the monitoring reference profile both read them.
   */
  readonly trainPredictions: BundlePredictions
  /** The part the report evaluates (the test part, else the training part), encoded and scored once. */
  readonly evaluation: EvaluatedPart
}

/** One part of the data with the final model's encoded matrix and predictions on it. */
export interface EvaluatedPart {
  /** Row indices into `TrainOutcome.dataset`. */
  readonly rows: Int32Array
  readonly ds: Dataset
  readonly y: Float64Array
  /** The rows as the final model's encoder encodes them. */
  readonly x: Matrix
  readonly predictions: BundlePredictions
}

/** A fold of cross-validation: positions in the training part. */
export interface Fold {
  readonly train: Int32Array
  readonly valid: Int32Array
}

/** A validation set passed to the final fit (`--valid`), target coded like the training target. */
export interface ValidationSet {
  readonly ds: Dataset
  readonly y: Float64Array
}

/** Output of the prepare stage: the labelled data, its split and folds, what to fit and score. */
export interface PreparedData {
  /** The labelled rows (rows without a target dropped). */
  readonly dataset: Dataset
  readonly target: EncodedTarget
  readonly features: readonly string[]
  /** The features as the final bundle describes them (levels seen in the training part, missing values). */
  readonly described: readonly BundleFeature[]
  readonly metrics: readonly string[]
  /** The first metric: model selection and tuning optimise it. */
  readonly primary: string
  readonly trainIndex: Int32Array
  readonly testIndex: Int32Array
  /** The training part, materialised once and shared by every later stage. */
  readonly trainDs: Dataset
  readonly yTrain: Float64Array
  /** Cross-validation folds over the training part (model selection, tuning, the cv score). */
  readonly folds: readonly Fold[]
  readonly validation?: ValidationSet
}

/** Output of the candidates stage: the chosen family and, for `auto`, every family's cv score. */
export interface CandidatesChoice {
  readonly family: ModelFamily
  readonly candidates: readonly CandidateResult[]
}

/** Output of the refit stage: the final model fitted on the whole training part. */
export interface RefittedModel {
  readonly bundle: ModelBundle
  readonly fitSeconds: number
  readonly iterations: TrainOutcome['iterations']
  /** The training part as the final encoder encodes it (what the model was fitted on). */
  readonly xTrain: Matrix
  readonly cv?: CrossValidatedScore
  readonly threshold?: ThresholdChoice
}

/** Output of the test stage: scores of the final model and the baseline, and the predictions reused later. */
export interface TestedModel {
  readonly metrics: TrainOutcome['metrics']
  readonly trainPredictions: BundlePredictions
  readonly evaluation: EvaluatedPart
}
