import type { Matrix } from '../../core/index.js'
import { reliabilityCurve } from '../calibration.js'
import { classificationReport, confusionMatrix, predictedLabels } from '../classification.js'
import { averagePrecision, prCurve, rocAuc, rocCurve } from '../curves.js'
import { EvalInputError } from '../errors.js'
import { meanAbsShap, type TreeShapResult } from '../tree-shap.js'
import type { ReportData, ReportShap } from './report-data.js'

/**
 * The performance parts of a binary classifier's report from labels and positive-class
 * scores: ROC, PR and calibration curves, confusion matrix and classification report.
 */
export function binaryReportParts(
  yTrue: ArrayLike<number>,
  score: ArrayLike<number>,
  options: { threshold?: number; classNames?: readonly string[]; nBins?: number } = {},
): Pick<ReportData, 'curves' | 'confusionMatrix' | 'classificationReport'> {
  const threshold = options.threshold ?? 0.5
  const labels = [options.classNames?.[0] ?? '0', options.classNames?.[1] ?? '1']
  const roc = rocCurve(yTrue, score)
  const pr = prCurve(yTrue, score)
  let positives = 0
  for (let i = 0; i < yTrue.length; i++) positives += yTrue[i]!
  const cal = reliabilityCurve(yTrue, score, { nBins: options.nBins ?? 10, strategy: 'quantile' })
  return {
    curves: {
      roc: { fpr: roc.fpr, tpr: roc.tpr, auc: rocAuc(yTrue, score) },
      pr: {
        precision: pr.precision,
        recall: pr.recall,
        averagePrecision: averagePrecision(yTrue, score),
        prevalence: positives / yTrue.length,
      },
      calibration: { probTrue: cal.probTrue, probPred: cal.probPred, counts: cal.counts },
    },
    confusionMatrix: {
      labels,
      matrix: confusionMatrix(yTrue, predictedLabels(score, threshold), { nClasses: 2 }),
      threshold,
    },
    classificationReport: classificationReport(yTrue, score, { threshold, classNames: labels }),
  }
}

/**
 * A report's SHAP section from a TreeSHAP result: global mean |SHAP| and the first
 * `sampleRows` rows (with their feature values from `x`) for the beeswarm.
 */
export function shapReportPart(
  shap: TreeShapResult,
  x: Matrix,
  featureNames: readonly string[],
  options: { output?: number; sampleRows?: number } = {},
): ReportShap {
  const output = options.output ?? 0
  if (x.rows !== shap.rows || x.cols !== shap.nFeatures) {
    throw new EvalInputError(
      `x is ${x.rows}x${x.cols} but the SHAP result is for ${shap.rows}x${shap.nFeatures}; pass the explained rows.`,
    )
  }
  const rows = Math.min(shap.rows, options.sampleRows ?? 200)
  const values: Float64Array[] = []
  const featureValues: Float64Array[] = []
  for (let r = 0; r < rows; r++) {
    const start = (r * shap.nOutputs + output) * shap.nFeatures
    values.push(shap.values.slice(start, start + shap.nFeatures))
    featureValues.push(x.data.slice(r * x.cols, (r + 1) * x.cols))
  }
  return {
    features: featureNames,
    meanAbs: meanAbsShap(shap, output),
    expectedValue: shap.expectedValue[output]!,
    sample: { values, featureValues },
  }
}
