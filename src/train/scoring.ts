import { AppError, type Matrix } from '../core/index.js'
import { accuracy, averagePrecision, logLoss, mae, r2, rmse, rocAuc, rocAucOvr } from '../eval/index.js'
import type { TaskKind } from '../models/index.js'

/** A metric named in the task file: a name, or `{ precision_at_recall: 0.9 }`-style objects. */
export type MetricSpec = string | Readonly<Record<string, number>>

/** Scores of one model on one set of rows. */
export type MetricValues = Record<string, number>

/** Default metrics per task; the first is the primary (selection) metric. */
export function defaultMetrics(task: TaskKind): string[] {
  switch (task) {
    case 'binary':
      return ['roc_auc', 'pr_auc', 'log_loss', 'accuracy']
    case 'multiclass':
      return ['log_loss', 'accuracy', 'roc_auc_ovr']
    case 'regression':
      return ['rmse', 'mae', 'r2']
    default: {
      const never: never = task
      return never
    }
  }
}

/** Whether larger is better for a metric name. */
export function higherIsBetter(metric: string): boolean {
  return !['log_loss', 'rmse', 'mae', 'mape', 'brier'].includes(metric)
}

/** Name of a metric spec as it appears in results (`precision_at_recall_0.9`). */
export function metricName(spec: MetricSpec): string {
  if (typeof spec === 'string') return spec
  const [key, value] = Object.entries(spec)[0] ?? ['metric', 0]
  return `${key}_${value}`
}

/**
 * Computes the named metrics for predictions on rows with true targets `y`.
 * `proba` holds class probabilities (classification) and `values` predictions (regression).
 */
export function computeMetrics(task: TaskKind, names: readonly string[], y: Float64Array, out: { proba?: Matrix; values?: Float64Array }): MetricValues {
  const result: MetricValues = {}
  if (task === 'regression') {
    const values = out.values
    if (values === undefined) throw new AppError('INTERNAL', 'Regression scoring needs predicted values.')
    for (const name of names) {
      if (name === 'rmse') result[name] = rmse(y, values)
      else if (name === 'mae') result[name] = mae(y, values)
      else if (name === 'r2') result[name] = r2(y, values)
    }
    return result
  }
  const proba = out.proba
  if (proba === undefined) throw new AppError('INTERNAL', 'Classification scoring needs probabilities.')
  const k = proba.cols
  const predicted = new Float64Array(proba.rows)
  for (let r = 0; r < proba.rows; r++) {
    let best = 0
    for (let c = 1; c < k; c++) if (proba.data[r * k + c]! > proba.data[r * k + best]!) best = c
    predicted[r] = best
  }
  const positive = k === 2 ? Float64Array.from({ length: proba.rows }, (_, r) => proba.data[r * 2 + 1]!) : undefined
  for (const name of names) {
    if (name === 'accuracy') result[name] = accuracy(y, predicted)
    else if (name === 'log_loss') result[name] = logLoss(y, proba)
    else if (positive !== undefined && name === 'roc_auc') result[name] = rocAuc(y, positive)
    else if (positive !== undefined && name === 'pr_auc') result[name] = averagePrecision(y, positive)
    else if (name === 'roc_auc_ovr' || (name === 'roc_auc' && k > 2)) result[name] = rocAucOvr(y, proba)
  }
  return result
}
