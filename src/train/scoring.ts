import type { Matrix } from '../core/index.js'
import { defaultMetricNames, getMetric, type MetricSpec } from '../eval/index.js'
import type { TaskKind } from '../models/index.js'

export type { MetricSpec }

/** Scores of one model on one set of rows, by metric name. */
export type MetricValues = Record<string, number>

/** Default metrics per task; the first is the primary (selection) metric. */
export function defaultMetrics(task: TaskKind): string[] {
  // log loss first for multiclass: it uses every class's probability, unlike accuracy.
  const names = defaultMetricNames(task)
  return task === 'multiclass' ? ['log_loss', ...names.filter((n) => n !== 'log_loss')] : names
}

/** Whether larger is better for a metric name. */
export function higherIsBetter(metric: string): boolean {
  return getMetric(metric).direction === 'higher'
}

/** Name of a metric spec as it appears in results (`precision_at_recall@0.9`). */
export function metricName(spec: MetricSpec | string): string {
  return getMetric(spec).name
}

/**
 * Computes the named metrics for predictions on rows with true targets `y`: `proba` (class
 * probabilities, rows × classes) for classification, `values` for regression. Metrics that do not
 * apply to the task are skipped.
 */
export function computeMetrics(
  task: TaskKind,
  names: readonly string[],
  y: Float64Array,
  out: { proba?: Matrix; values?: Float64Array },
): MetricValues {
  const result: MetricValues = {}
  const prediction = task === 'regression' ? out.values : out.proba
  if (prediction === undefined) return result
  for (const name of names) {
    const metric = getMetric(name)
    if (!metric.tasks.includes(task)) continue
    result[metric.name] = metric.compute({ yTrue: y, prediction })
  }
  return result
}
