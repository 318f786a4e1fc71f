/**
 * The training workflow: task settings -> target encoding -> split -> baselines -> candidates
 * (cross-validated) -> refit -> test once -> run record -> registered model bundle.
 */

export type {
  BundleFeature,
  BundlePredictions,
  BundleState,
  EncodedFeature,
  EncodedTarget,
  FeatureContribution,
  FeatureEncoderState,
  FeatureRecord,
  SampledContributionOptions,
  SampledContributions,
} from '../pipeline/index.js'
export {
  encodedContributions,
  encodeTarget,
  explainBundleRow,
  FeatureEncoder,
  fitFeatureEncoder,
  globalContributions,
  isExplainable,
  ModelBundle,
  sampledGlobalContributions,
  shapSampleNote,
  toFeatureNumber,
} from '../pipeline/index.js'
export type { PredictFileOptions, PredictFileResult } from './batch-predict.js'
export { predictFile, predictOutputFormat } from './batch-predict.js'
export type { ChurnDataFiles } from './churn-data.js'
export { makeChurnData } from './churn-data.js'
export { buildChurnFeatures } from './churn-features.js'
export type { ConstraintCheck, ConstraintSpec } from './constraints.js'
export { checkConstraints, measureSingleRowLatencyMs } from './constraints.js'
export { CsvWriter, csvField } from './csv-writer.js'
export type { ModelFamily } from './families.js'
export {
  AUTO_FAMILIES,
  encodingFor,
  isInterpretable,
  MODEL_FAMILIES,
  makeEstimator,
  parseFamily,
} from './families.js'
export type { QuickstartResult } from './quickstart.js'
export { runQuickstart } from './quickstart.js'
export { loadBundleByRef } from './registry-source.js'
export { writeRunReport } from './render-run-report.js'
export type { ReportContext } from './report.js'
export { buildReportData } from './report.js'
export type { RunTrainingOptions, RunTrainingResult } from './run.js'
export { REPORT_DATA_ARTIFACT, runTraining, typedArraysAsLists } from './run.js'
export type { MetricSpec, MetricValues } from './scoring.js'
export { computeMetrics, defaultMetrics, higherIsBetter, metricName } from './scoring.js'
export { SEARCH_SPACES } from './search-spaces.js'
export { bundleToServable, createRegistryModelSource } from './servable.js'
export type { TaskSettings } from './settings.js'
export { resolveTaskSettings } from './settings.js'
export type {
  CandidateResult,
  PreparedData,
  ThresholdChoice,
  TrainOutcome,
  TrainProgress,
  TrainSpec,
  TrialResult,
  TrialRunner,
  TrialSpec,
  TuningResult,
} from './workflow.js'
export {
  balancedWeights,
  DEFAULT_TEST_SIZE,
  holdoutSplit,
  inProcessTrialRunner,
  makeFolds,
  prepare,
  runTrial,
  scoreBundle,
  trainModelBundle,
} from './workflow.js'
