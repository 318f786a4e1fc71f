import type { Matrix } from '../core/index.js'
import type { TaskKind } from '../models/estimator.js'
import {
  accuracy,
  balancedAccuracy,
  brierScore,
  f1,
  isMatrix,
  logLoss,
  precision,
  predictedLabels,
  recall,
  rocAucOvr,
} from './classification.js'
import { averagePrecision, precisionAtRecall, recallAtPrecision, rocAuc } from './curves.js'
import { EvalInputError, UnknownMetricError } from './errors.js'
import { mae, mape, r2, rmse } from './regression.js'
import type { NumericArray } from './validate.js'

/** Whether a larger metric value is better ('higher') or worse ('lower'). */
export type Direction = 'higher' | 'lower'

/** Names the registry knows. */
export const METRIC_NAMES = [
  'roc_auc',
  'roc_auc_ovr',
  'roc_auc_ovr_weighted',
  'pr_auc',
  'log_loss',
  'brier',
  'accuracy',
  'balanced_accuracy',
  'precision',
  'recall',
  'f1',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'f1_weighted',
  'rmse',
  'mae',
  'r2',
  'mape',
] as const

/** A metric known by name. */
export type MetricName = (typeof METRIC_NAMES)[number]

/** A metric by name, or a metric at an operating point (e.g. `{ precision_at_recall: 0.9 }`). */
export type MetricSpec =
  | MetricName
  | { readonly precision_at_recall: number }
  | { readonly recall_at_precision: number }

/**
 * What a metric is computed on. `prediction` is: binary, the positive-class score (or a
 * 2-column probability matrix); multiclass, the rows x k probability matrix; regression, the
 * predicted values. Label metrics threshold binary scores at `threshold` (default 0.5) and
 * take the argmax for multiclass.
 */
export interface MetricInput {
  readonly yTrue: NumericArray
  readonly prediction: NumericArray | Matrix
  readonly sampleWeight?: NumericArray
  readonly threshold?: number
}

/** A resolved metric: a name for display and storage, its direction and how to compute it. */
export interface Metric {
  /** Stable name, e.g. 'roc_auc' or 'precision_at_recall@0.9'. */
  readonly name: string
  readonly direction: Direction
  /** Task kinds the metric applies to. */
  readonly tasks: readonly TaskKind[]
  compute(input: MetricInput): number
}

const CLASSIFICATION: readonly TaskKind[] = ['binary', 'multiclass']
const BINARY: readonly TaskKind[] = ['binary']
const REGRESSION: readonly TaskKind[] = ['regression']

function positiveScore(what: string, prediction: NumericArray | Matrix): NumericArray {
  if (!isMatrix(prediction)) return prediction
  if (prediction.cols !== 2) {
    throw new EvalInputError(
      `${what} is a binary metric but received a ${prediction.cols}-column probability matrix. Use a multiclass metric such as roc_auc or f1_macro.`,
      { cols: prediction.cols },
    )
  }
  const out = new Float64Array(prediction.rows)
  for (let r = 0; r < prediction.rows; r++) out[r] = prediction.data[r * 2 + 1]!
  return out
}

function vector(what: string, prediction: NumericArray | Matrix): NumericArray {
  if (isMatrix(prediction)) {
    throw new EvalInputError(`${what} expects a vector of predicted values, not a matrix.`)
  }
  return prediction
}

function isMulticlass(prediction: NumericArray | Matrix): prediction is Matrix {
  return isMatrix(prediction) && prediction.cols > 2
}

type Compute = (input: MetricInput) => number

function labelMetric(fn: typeof precision, average: 'binary' | 'macro' | 'weighted'): Compute {
  return (input) => {
    const yPred = predictedLabels(input.prediction, input.threshold ?? 0.5)
    // plain 'precision'/'recall'/'f1' on a multiclass matrix fall back to the macro average
    const avg = average === 'binary' && isMulticlass(input.prediction) ? 'macro' : average
    return fn(input.yTrue, yPred, {
      average: avg,
      ...(input.sampleWeight === undefined ? {} : { sampleWeight: input.sampleWeight }),
    })
  }
}

/**
 * ROC AUC: one-vs-rest over a multiclass matrix (macro or weighted over the classes), the binary
 * AUC of the positive score otherwise; `name` is the metric named in a wrong-shape error.
 */
function rocAucMetric(name: MetricName, average: 'macro' | 'weighted'): Compute {
  return ({ yTrue, prediction, sampleWeight }) =>
    isMulticlass(prediction)
      ? rocAucOvr(yTrue, prediction, {
          average,
          ...(sampleWeight === undefined ? {} : { sampleWeight }),
        })
      : rocAuc(yTrue, positiveScore(name, prediction), sampleWeight)
}

/** A regression metric of the prediction vector (`name` is named in a wrong-shape error). */
function regressionMetric(name: MetricName, fn: typeof rmse): Compute {
  return ({ yTrue, prediction, sampleWeight }) => fn(yTrue, vector(name, prediction), sampleWeight)
}

const TABLE: Record<MetricName, { direction: Direction; tasks: readonly TaskKind[]; compute: Compute }> = {
  roc_auc: { direction: 'higher', tasks: CLASSIFICATION, compute: rocAucMetric('roc_auc', 'macro') },
  roc_auc_ovr: { direction: 'higher', tasks: CLASSIFICATION, compute: rocAucMetric('roc_auc_ovr', 'macro') },
  roc_auc_ovr_weighted: {
    direction: 'higher',
    tasks: CLASSIFICATION,
    compute: rocAucMetric('roc_auc_ovr_weighted', 'weighted'),
  },
  pr_auc: {
    direction: 'higher',
    tasks: BINARY,
    compute: ({ yTrue, prediction, sampleWeight }) =>
      averagePrecision(yTrue, positiveScore('pr_auc', prediction), sampleWeight),
  },
  log_loss: {
    direction: 'lower',
    tasks: CLASSIFICATION,
    compute: ({ yTrue, prediction, sampleWeight }) =>
      logLoss(yTrue, prediction, sampleWeight === undefined ? {} : { sampleWeight }),
  },
  brier: {
    direction: 'lower',
    tasks: BINARY,
    compute: ({ yTrue, prediction, sampleWeight }) =>
      brierScore(yTrue, positiveScore('brier', prediction), sampleWeight),
  },
  accuracy: {
    direction: 'higher',
    tasks: CLASSIFICATION,
    compute: ({ yTrue, prediction, sampleWeight, threshold }) =>
      accuracy(yTrue, predictedLabels(prediction, threshold ?? 0.5), sampleWeight),
  },
  balanced_accuracy: {
    direction: 'higher',
    tasks: CLASSIFICATION,
    compute: ({ yTrue, prediction, sampleWeight, threshold }) =>
      balancedAccuracy(yTrue, predictedLabels(prediction, threshold ?? 0.5), sampleWeight),
  },
  precision: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(precision, 'binary') },
  recall: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(recall, 'binary') },
  f1: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(f1, 'binary') },
  precision_macro: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(precision, 'macro') },
  recall_macro: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(recall, 'macro') },
  f1_macro: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(f1, 'macro') },
  f1_weighted: { direction: 'higher', tasks: CLASSIFICATION, compute: labelMetric(f1, 'weighted') },
  rmse: { direction: 'lower', tasks: REGRESSION, compute: regressionMetric('rmse', rmse) },
  mae: { direction: 'lower', tasks: REGRESSION, compute: regressionMetric('mae', mae) },
  r2: { direction: 'higher', tasks: REGRESSION, compute: regressionMetric('r2', r2) },
  mape: { direction: 'lower', tasks: REGRESSION, compute: regressionMetric('mape', mape) },
}

function checkTarget(name: string, target: unknown): number {
  if (typeof target !== 'number' || !(target > 0 && target <= 1)) {
    throw new UnknownMetricError(`${name} needs a target in (0, 1]; got ${String(target)}.`, { target })
  }
  return target
}

/**
 * Resolves a metric spec to a {@link Metric}. Strings of the form
 * 'precision_at_recall@0.9' are accepted too (the form `Metric.name` uses).
 * @throws UnknownMetricError for names the registry does not know.
 */
export function getMetric(spec: MetricSpec | string): Metric {
  if (typeof spec === 'string') {
    const at = /^(precision_at_recall|recall_at_precision)@(.+)$/.exec(spec)
    if (at !== null) {
      const target = Number(at[2])
      return at[1] === 'precision_at_recall'
        ? getMetric({ precision_at_recall: target })
        : getMetric({ recall_at_precision: target })
    }
    const name = spec === 'average_precision' ? 'pr_auc' : spec
    if (!Object.hasOwn(TABLE, name)) {
      throw new UnknownMetricError(
        `Unknown metric '${spec}'. Known: ${METRIC_NAMES.join(', ')}, precision_at_recall@R, recall_at_precision@P.`,
        { metric: spec },
      )
    }
    const entry = TABLE[name as MetricName]
    return { name, direction: entry.direction, tasks: entry.tasks, compute: entry.compute }
  }
  if ('precision_at_recall' in spec) {
    const target = checkTarget('precision_at_recall', spec.precision_at_recall)
    return {
      name: `precision_at_recall@${target}`,
      direction: 'higher',
      tasks: BINARY,
      compute: ({ yTrue, prediction, sampleWeight }) =>
        precisionAtRecall(yTrue, positiveScore('precision_at_recall', prediction), target, sampleWeight)
          .value,
    }
  }
  if ('recall_at_precision' in spec) {
    const target = checkTarget('recall_at_precision', spec.recall_at_precision)
    return {
      name: `recall_at_precision@${target}`,
      direction: 'higher',
      tasks: BINARY,
      compute: ({ yTrue, prediction, sampleWeight }) =>
        recallAtPrecision(yTrue, positiveScore('recall_at_precision', prediction), target, sampleWeight)
          .value,
    }
  }
  throw new UnknownMetricError(`Unrecognised metric spec ${JSON.stringify(spec)}.`)
}

/** True when `candidate` is strictly better than `incumbent` in the given direction. */
export function isBetter(direction: Direction, candidate: number, incumbent: number): boolean {
  if (Number.isNaN(candidate)) return false
  if (Number.isNaN(incumbent)) return true
  return direction === 'higher' ? candidate > incumbent : candidate < incumbent
}

/** The default metric set reported for a task kind. */
export function defaultMetricNames(task: TaskKind): MetricName[] {
  switch (task) {
    case 'binary':
      return [
        'roc_auc',
        'pr_auc',
        'log_loss',
        'brier',
        'accuracy',
        'balanced_accuracy',
        'precision',
        'recall',
        'f1',
      ]
    case 'multiclass':
      return [
        'roc_auc',
        'roc_auc_ovr_weighted',
        'log_loss',
        'accuracy',
        'balanced_accuracy',
        'f1_macro',
        'f1_weighted',
      ]
    case 'regression':
      return ['rmse', 'mae', 'r2', 'mape']
    default: {
      const never: never = task
      throw new UnknownMetricError(`Unknown task kind '${String(never)}'.`)
    }
  }
}
