import { type Matrix, takeValues } from '../../core/index.js'
import { type Dataset, selectRows } from '../../data/index.js'
import { type FittedModel, isClassifier, type TaskKind } from '../../models/index.js'
import type { BundlePredictions, ModelBundle } from '../../pipeline/index.js'
import { computeMetrics, type MetricValues } from '../scoring.js'
import type { EvaluatedPart, PreparedData, RefittedModel, TestedModel } from './types.js'

/**
 * Stage 5, test: scores the final model and the baseline on the training part and, once, on the
 * held-out test part. The training part is not encoded again (the refit kept the matrix it fitted
 * on) and each part is predicted once: the record stage reuses these predictions for the
 * monitoring profile and the report instead of predicting the same rows again.
 */
export function testOnce(prep: PreparedData, refitted: RefittedModel, baseline: ModelBundle): TestedModel {
  const { bundle, xTrain } = refitted
  const { metrics, yTrain, target } = prep
  const trainPredictions = bundle.predictMatrix(xTrain)
  const train = predictionMetrics(target.task, metrics, yTrain, trainPredictions)
  const baselineTrain = scoreBaseline(baseline, yTrain, metrics)
  let evaluation: EvaluatedPart = {
    rows: prep.trainIndex,
    ds: prep.trainDs,
    y: yTrain,
    x: xTrain,
    predictions: trainPredictions,
  }
  let test: MetricValues | undefined
  let baselineTest: MetricValues | undefined
  if (prep.testIndex.length > 0) {
    const testDs = selectRows(prep.dataset, prep.testIndex)
    const yTest = takeValues(target.y, prep.testIndex)
    const xTest = bundle.encoder.encodeDataset(testDs)
    const predictions = bundle.predictMatrix(xTest)
    test = predictionMetrics(target.task, metrics, yTest, predictions)
    baselineTest = scoreBaseline(baseline, yTest, metrics)
    evaluation = { rows: prep.testIndex, ds: testDs, y: yTest, x: xTest, predictions }
  }
  return {
    metrics: {
      train,
      baselineTrain,
      ...(test === undefined ? {} : { test }),
      ...(baselineTest === undefined ? {} : { baselineTest }),
    },
    trainPredictions,
    evaluation,
  }
}

/** Scores a bundle on the given rows of a dataset. */
export function scoreBundle(
  bundle: ModelBundle,
  ds: Dataset,
  y: Float64Array,
  metrics: readonly string[],
): MetricValues {
  const x = bundle.encoder.encodeDataset(ds)
  return scoreMatrix(bundle.model, bundle.task, x, y, metrics)
}

/** The metrics of a bundle's predictions (probabilities for classifiers, values for regressors). */
export function predictionMetrics(
  task: TaskKind,
  metrics: readonly string[],
  y: Float64Array,
  predictions: BundlePredictions,
): MetricValues {
  if (predictions.proba !== undefined) return computeMetrics(task, metrics, y, { proba: predictions.proba })
  return computeMetrics(task, metrics, y, {
    values: Float64Array.from(predictions.labels as readonly number[]),
  })
}

/** The baseline reads no feature: it is scored on a matrix of the right number of rows and no columns. */
function scoreBaseline(baseline: ModelBundle, y: Float64Array, metrics: readonly string[]): MetricValues {
  const x: Matrix = { rows: y.length, cols: baseline.encoder.outputNames.length, data: new Float64Array(0) }
  return scoreMatrix(baseline.model, baseline.task, x, y, metrics)
}

function scoreMatrix(
  model: FittedModel,
  task: TaskKind,
  x: Matrix,
  y: Float64Array,
  metrics: readonly string[],
): MetricValues {
  if (isClassifier(model)) return computeMetrics(task, metrics, y, { proba: model.predictProba(x) })
  return computeMetrics(task, metrics, y, { values: model.predict(x) })
}
