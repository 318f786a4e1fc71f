import type { TaskKind } from '../../models/estimator.js'
import type { ClassificationReport } from '../classification.js'
import type { Direction } from '../metric-registry.js'
import type { SubgroupReport } from '../subgroups.js'

/** Who/what/when of the run the report describes. */
export interface ReportRunInfo {
  readonly id: string
  readonly name?: string
  readonly task: TaskKind
  /** The selected model's kind, e.g. 'gbdt-classifier'. */
  readonly modelKind: string
  /** ISO timestamp; the report shows it as given (rendering never reads the clock). */
  readonly createdAt: string
  readonly durationMs?: number
  readonly seed?: number
  readonly primaryMetric?: string
  readonly datasetFingerprint?: string
  readonly gitCommit?: string
  readonly libraryVersion?: string
  readonly tags?: Readonly<Record<string, string>>
}

/** One headline metric, usually on the test part. */
export interface ReportMetric {
  readonly name: string
  readonly value: number
  readonly direction?: Direction
  /** e.g. 'test', 'validation', 'cv'. */
  readonly split?: string
  /** Bootstrap confidence interval. */
  readonly ci?: { readonly lower: number; readonly upper: number; readonly alpha?: number }
  /** The same metric cross-validated on the training part, shown beside the held-out value. */
  readonly cv?: { readonly mean: number; readonly folds: number }
}

/** One candidate model (or baseline) in the comparison table. */
export interface ReportModelRow {
  readonly model: string
  readonly isBaseline?: boolean
  readonly isSelected?: boolean
  /** Where the row's metrics were measured, e.g. 'test', 'cv (5 folds)', 'train'. */
  readonly split?: string
  /** Metric values by name (same names for all rows). */
  readonly metrics: Readonly<Record<string, number>>
  /** Cross-validation std of the primary metric, when known. */
  readonly cvStd?: number
  readonly fitTimeMs?: number
  readonly latencyMs?: number
  readonly sizeBytes?: number
}

/** Curves for a binary classifier (or one class of a multiclass one). */
export interface ReportCurves {
  readonly roc?: { readonly fpr: ArrayLike<number>; readonly tpr: ArrayLike<number>; readonly auc?: number }
  readonly pr?: {
    readonly precision: ArrayLike<number>
    readonly recall: ArrayLike<number>
    readonly averagePrecision?: number
    /** Fraction of positives: the no-skill line. */
    readonly prevalence?: number
  }
  readonly calibration?: {
    readonly probTrue: ArrayLike<number>
    readonly probPred: ArrayLike<number>
    readonly counts?: ArrayLike<number>
    /** Calibration method already applied, e.g. 'isotonic'. */
    readonly method?: string
  }
}

/** One importance ranking (gain, permutation, coefficients...). */
export interface ReportImportance {
  /** e.g. 'gain', 'permutation (roc_auc drop)', '|coefficient|'. */
  readonly kind: string
  readonly features: readonly string[]
  readonly values: ArrayLike<number>
  /** Error bars (e.g. permutation std), same order as features. */
  readonly std?: ArrayLike<number>
}

/** SHAP summary: global mean |SHAP| and optionally a sample of rows for a beeswarm. */
export interface ReportShap {
  readonly features: readonly string[]
  readonly meanAbs: ArrayLike<number>
  readonly expectedValue?: number
  /** Per sampled row: SHAP values (rows x features) and the features' raw values (for colour). */
  readonly sample?: {
    readonly values: readonly ArrayLike<number>[]
    readonly featureValues: readonly ArrayLike<number>[]
  }
}

/** Per-iteration losses of one iterative model. */
export interface ReportLearningCurve {
  readonly model: string
  readonly lossName?: string
  readonly points: readonly {
    readonly iteration: number
    readonly trainLoss: number
    readonly validLoss?: number
  }[]
  /** Iteration chosen by early stopping, drawn as a marker. */
  readonly bestIteration?: number
}

/** One constraint from the task file. */
export interface ReportConstraint {
  readonly name: string
  /** Hard constraints block promotion. */
  readonly isHard?: boolean
  readonly target: string
  readonly measured: string
  readonly passed: boolean
  readonly detail?: string
}

/** Summary of the data the run used. */
export interface ReportDataSummary {
  readonly source?: string
  readonly rows: number
  readonly columns: number
  readonly target: string
  /** Rows per split, e.g. { train: 8000, validation: 1000, test: 1000 }. */
  readonly splits?: Readonly<Record<string, number>>
  /** Rows per class (classification). */
  readonly classBalance?: Readonly<Record<string, number>>
  readonly features?: readonly {
    readonly name: string
    readonly type: string
    readonly missingFraction?: number
    readonly summary?: string
  }[]
}

/** A confidently wrong prediction to show in the failure table. */
export interface ReportFailure {
  readonly row: number
  readonly trueLabel: string
  readonly predictedLabel: string
  readonly confidence: number
  readonly features?: Readonly<Record<string, number | string>>
}

/**
 * Everything the HTML report shows. Only `run` and `metrics` are required; each other part
 * adds its section when present. Plain data: the lead fills it from the run's results.
 */
export interface ReportData {
  readonly title?: string
  readonly run: ReportRunInfo
  readonly metrics: readonly ReportMetric[]
  /**
   * The rows that the curves, confusion matrix, failures and subgroups are computed on, e.g.
   * 'test part (1,000 held-out rows)'. Default: 'test part'.
   */
  readonly evaluatedOn?: string
  readonly comparison?: readonly ReportModelRow[]
  readonly curves?: ReportCurves
  readonly confusionMatrix?: {
    readonly labels: readonly string[]
    /** Rows = true class, columns = predicted class. */
    readonly matrix: readonly (readonly number[])[]
    readonly threshold?: number | null
  }
  readonly classificationReport?: ClassificationReport
  readonly importances?: readonly ReportImportance[]
  readonly shap?: ReportShap
  readonly learningCurves?: readonly ReportLearningCurve[]
  readonly subgroups?: SubgroupReport
  readonly constraints?: readonly ReportConstraint[]
  readonly data?: ReportDataSummary
  readonly failures?: readonly ReportFailure[]
  /** Regression: predicted vs actual for a sample of rows. */
  readonly predictions?: { readonly yTrue: ArrayLike<number>; readonly yPred: ArrayLike<number> }
  readonly notes?: readonly string[]
}
