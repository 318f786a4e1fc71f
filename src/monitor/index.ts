/**
 * Monitoring: reference profiles, drift statistics and tests, dataset-level drift verdicts, live
 * performance from feedback, A/B reports, alerts and the dashboard. Reads the prediction log
 * through predlog; never imports the server (which mounts these routes).
 */

export type {
  CategoricalProfile,
  FeatureProfile,
  FeatureValues,
  NumericProfile,
  ReferenceProfile,
} from '../pipeline/index.js'
export {
  binCounts,
  buildReferenceProfile,
  featureValues,
  profileCategorical,
  profileNumeric,
  recordValues,
} from '../pipeline/index.js'
export type { AbReport, AbReportOptions, ComparisonReport, VariantReport } from './ab-report.js'
/**
 * Analyses an A/B experiment from the prediction log and feedback: per-variant sizes, outcome rate,
 * AUC, difference with CI, an always-valid sequential test (mSPRT), a sample-ratio-mismatch check and a
 * plain verdict.
 * @throws ServeError `SERVE_NOT_FOUND` for an unknown experiment.
 * @example
 * const db = await openDb()
 * const report = await abReport(db, 'churn-v2-test', { goal: 'decrease' })
 * console.log(formatAbReport(report))
 */
export { abReport, formatAbReport } from './ab-report.js'
export type { AlertEvent, AlertOptions, DeliveryResult } from './alerts.js'
export { AlertManager, deliverWebhook, signBody } from './alerts.js'
/**
 * Monitoring HTTP API (Fastify plugin `monitorRoutes`, registered by `createServer` under
 * `/v1/monitor/*`) and its access rule: with no token configured, local clients (loopback peer,
 * localhost Host) need no login; everyone else needs the admin token.
 */
export type { MonitoredModel, MonitorRoutesOptions } from './api.js'
export { checkDashboardAccess, DASHBOARD_TOKEN_COOKIE, isLoopbackRequest, monitorRoutes } from './api.js'
export type { CurrentSource, DriftCheckOptions, DriftCheckResult, PerformancePoint } from './check.js'
export {
  importanceWeights,
  loadReference,
  parseWindow,
  performanceOverTime,
  readPredictionWindow,
  runDriftCheck,
} from './check.js'
/** The web dashboard at `/` (uPlot inlined; reads only the monitoring API). */
export type { DashboardOptions } from './dashboard/index.js'
export { dashboardHtml, dashboardRoutes, loadUplotAssets } from './dashboard/index.js'
export type {
  CurrentData,
  DriftOptions,
  DriftReport,
  DriftRule,
  DriftTestName,
  DriftVerdict,
  FeatureDrift,
} from './drift.js'
export {
  DEFAULT_DRIFT_RULE,
  DEFAULT_MIN_ROWS,
  DEFAULT_PREDICTION_MIN_PSI,
  DEFAULT_THRESHOLDS,
  DRIFT_RULES,
  detectDrift,
  featureDrift,
  SMALL_SAMPLE,
} from './drift.js'
export type { MonitorSchedule, MonitorScheduleOptions } from './scheduler.js'
export { startMonitorSchedule } from './scheduler.js'
export type { TestResult } from './stats.js'
export {
  chiSquareTest,
  jensenShannonDistance,
  ksTwoSample,
  populationStabilityIndex,
  twoProportionZTest,
  wassersteinDistance,
} from './stats.js'
export type { AlertRow, CheckRow, MonitorTables } from './tables.js'
export { migrateMonitorTables } from './tables.js'
