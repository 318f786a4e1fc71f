/**
 * Evaluation: metrics (verified against scikit-learn), resampling, explanations,
 * calibration, subgroup and failure analysis, hyper-parameter search and the HTML report.
 */

export type { BinStrategy, Calibrator, CalibratorJSON, ReliabilityCurve } from './calibration.js'
export { calibratorFromJSON, IsotonicCalibrator, PlattCalibrator, reliabilityCurve } from './calibration.js'
export type { Average, ClassificationReport, ClassReportLine, LabelMetricOptions } from './classification.js'
export {
  accuracy,
  balancedAccuracy,
  brierScore,
  classificationReport,
  confusionMatrix,
  f1,
  logLoss,
  precision,
  predictedLabels,
  recall,
  rocAucOvr,
} from './classification.js'
export type { BinaryCounts, PrCurve, RocCurve, ThresholdedValue } from './curves.js'
export {
  averagePrecision,
  binaryCounts,
  prCurve,
  precisionAtRecall,
  recallAtPrecision,
  rocAuc,
  rocCurve,
} from './curves.js'
export {
  CalibratorError,
  EvalInputError,
  InvalidTreeError,
  SearchSpaceError,
  UnknownMetricError,
} from './errors.js'
export type { Direction, Metric, MetricInput, MetricName, MetricSpec } from './metric-registry.js'
export { defaultMetricNames, getMetric, isBetter, METRIC_NAMES } from './metric-registry.js'
export type { PermutationImportanceOptions, PermutationImportanceResult } from './permutation-importance.js'
export { permutationImportance } from './permutation-importance.js'
export { mae, mape, r2, rmse } from './regression.js'
export { binaryReportParts, shapReportPart } from './report/builders.js'
export { escapeHtml, formatNumber, renderReport } from './report/render.js'
export type {
  ReportConstraint,
  ReportCurves,
  ReportData,
  ReportDataSummary,
  ReportFailure,
  ReportImportance,
  ReportLearningCurve,
  ReportMetric,
  ReportModelRow,
  ReportRunInfo,
  ReportShap,
} from './report/report-data.js'
export type {
  BootstrapOptions,
  ConfidenceInterval,
  CrossValidationResult,
  Fold,
  MetricFn,
} from './resampling.js'
export { bootstrapCI, crossValidate } from './resampling.js'
export type {
  Objective,
  ParamSpec,
  Params,
  ParamValue,
  SearchOptions,
  SearchResult,
  SearchSpace,
  StopReason,
  SuccessiveHalvingOptions,
  Trial,
} from './search.js'
export { checkSearchSpace, randomSearch, sampleParams, successiveHalving } from './search.js'
export type {
  ConfidentError,
  LargestError,
  SubgroupIndex,
  SubgroupMetricValue,
  SubgroupOptions,
  SubgroupReport,
  SubgroupRow,
} from './subgroups.js'
export { largestErrors, subgroupMetrics, topConfidentErrors } from './subgroups.js'
export type { TreeShapResult } from './tree-shap.js'
export {
  meanAbsShap,
  shapRow,
  type TreeShapOptions,
  treeEnsembleMargin,
  treeShap,
  treeShapReference,
} from './tree-shap.js'
export type { NumericArray } from './validate.js'
