import { performance } from 'node:perf_hooks'
import type { Matrix } from '../core/index.js'
import { cellValue, type Dataset, getColumn, missingCount } from '../data/index.js'
import {
  bootstrapCI,
  classificationReport,
  getMetric,
  prCurve,
  type ReportData,
  reliabilityCurve,
  rocCurve,
  subgroupMetrics,
  topConfidentErrors,
} from '../eval/index.js'
import { isClassifier } from '../models/index.js'
import { isExplainable, sampledGlobalContributions, shapSampleNote } from '../pipeline/index.js'
import type { ConstraintCheck } from './constraints.js'
import type { TrainOutcome } from './workflow.js'

/** Run facts the report shows beside the outcome. */
export interface ReportContext {
  readonly runId: string
  readonly name: string
  readonly seed: number
  readonly fingerprint: string
  readonly gitCommit: string | null
  readonly libraryVersion: string
  readonly constraints: readonly ConstraintCheck[]
  readonly dataPath?: string
  /** Categorical columns whose levels get a subgroup table. */
  readonly subgroups?: readonly string[]
  /** Time budget of the SHAP summary in ms (rows explained when it runs out are kept). */
  readonly shapBudgetMs?: number
  /** Time budget of the primary metric's bootstrap interval in ms (fewer resamples, at least 100). */
  readonly bootstrapBudgetMs?: number
  /** Receives one-line notes on bounded steps (shown as progress). */
  readonly onNote?: (note: string) => void
}

const SHAP_ROWS = 300
/**
 * Fewest rows the report's SHAP summary is worth computing for: when the first row projects fewer
 * within the budget (forests of full-depth trees), the summary is skipped with a note, and the
 * report keeps the gain importance.
 */
const SHAP_MIN_ROWS = 30

/**
 * Everything the HTML report shows, computed once at training time from the held-out part (or
 * the training part when nothing was held out, labelled as such) and stored with the run as JSON.
 * Every figure names the part it comes from; training-set scores appear only as `train_*`.
 */
export function buildReportData(outcome: TrainOutcome, context: ReportContext): ReportData {
  const bundle = outcome.bundle
  const isHeldOut = outcome.testIndex.length > 0
  const split = isHeldOut ? 'test' : 'train (optimistic)'
  const cvSplit = outcome.cv === undefined ? undefined : `cv (${outcome.cv.folds} folds)`
  // The evaluated part (test, else training) was encoded and predicted once by the test stage.
  const { rows: evalIndex, ds: evalDs, y, x, predictions } = outcome.evaluation
  const model = bundle.model
  const isClf = isClassifier(model)
  const proba: Matrix | undefined = isClf ? predictions.proba : undefined
  const values = isClf ? undefined : Float64Array.from(predictions.labels as readonly number[])
  const positive =
    proba !== undefined && proba.cols === 2
      ? Float64Array.from({ length: proba.rows }, (_, r) => proba.data[r * 2 + 1]!)
      : undefined
  const prediction: Matrix | Float64Array = proba ?? values!
  const headline = outcome.metrics.test ?? outcome.metrics.train
  const baseline = outcome.metrics.baselineTest ?? outcome.metrics.baselineTrain
  const primary = getMetric(outcome.primaryMetric)
  // A bootstrap interval over the training rows says nothing about new data: only on the test part.
  // 500 resamples unless the budget allows fewer: time a 2-resample bootstrap and keep at least 100
  // resamples. Timing the whole bootstrap step (the full-data estimate, drawing the rows, the metric)
  // rather than one metric call, because a budget sized on the metric alone ran 50 % over it. For
  // roc_auc, pr_auc and the regression errors `bootstrapCI` scores a resample from the draws without
  // gathering rows (identical values), so the probe, which also pays the one-off sort, overstates a
  // resample's cost: the interval then uses fewer resamples, never more time than budgeted.
  // roc_auc and pr_auc read only the positive column of a binary probability matrix: resampling
  // that column alone gives the same interval (same draws, same values) without gathering the other.
  const bootPrediction: Matrix | Float64Array =
    positive !== undefined && (primary.name === 'roc_auc' || primary.name === 'pr_auc')
      ? positive
      : prediction
  let nBoot = 500
  if (isHeldOut && context.bootstrapBudgetMs !== undefined) {
    // three metric evaluations (the estimate and two resamples), two of them on gathered rows; the
    // faster of two probes, since the first pays for compiling the metric's code
    let perResample = Number.POSITIVE_INFINITY
    for (let probe = 0; probe < 2; probe++) {
      const t0 = performance.now()
      bootstrapCI(primary, y, bootPrediction, { nBoot: 2, seed: context.seed })
      perResample = Math.min(perResample, Math.max(0.01, (performance.now() - t0) / 3))
    }
    nBoot = Math.max(100, Math.min(500, Math.floor(context.bootstrapBudgetMs / perResample)))
  }
  const ci = isHeldOut ? bootstrapCI(primary, y, bootPrediction, { nBoot, seed: context.seed }) : undefined
  const trainName = (name: string): string => (isHeldOut ? name : `train_${name}`)
  const headlineMetrics: ReportData['metrics'] = [
    // Nothing held out: the cross-validated score is the model's honest figure, so it leads.
    ...(!isHeldOut && outcome.cv !== undefined
      ? [
          {
            name: outcome.cv.metric,
            value: outcome.cv.mean,
            direction: getMetric(outcome.cv.metric).direction,
            split: `${cvSplit!} of the training rows`,
          },
        ]
      : []),
    ...Object.entries(headline).map(([name, value]) => ({
      name: trainName(name),
      value,
      direction: getMetric(name).direction,
      split,
      ...(name === primary.name && ci !== undefined
        ? { ci: { lower: ci.lower, upper: ci.upper, alpha: ci.alpha } }
        : {}),
      ...(name === primary.name && isHeldOut && outcome.cv !== undefined
        ? { cv: { mean: outcome.cv.mean, folds: outcome.cv.folds } }
        : {}),
    })),
  ]
  const evaluatedOn = isHeldOut
    ? `test part (${evalIndex.length.toLocaleString('en-US')} held-out rows)`
    : `training part (${evalIndex.length.toLocaleString('en-US')} rows; nothing was held out, so these figures are optimistic)`

  const data: {
    -readonly [K in keyof ReportData]: ReportData[K]
  } = {
    title: `${context.name}: ${outcome.family} ${outcome.task} model of '${bundle.target}'`,
    run: {
      id: context.runId,
      name: context.name,
      task: outcome.task,
      modelKind: outcome.family,
      createdAt: new Date().toISOString(),
      seed: context.seed,
      primaryMetric: primary.name,
      datasetFingerprint: context.fingerprint,
      ...(context.gitCommit === null ? {} : { gitCommit: context.gitCommit }),
      libraryVersion: context.libraryVersion,
    },
    metrics: headlineMetrics,
    evaluatedOn,
    comparison: [
      { model: 'baseline', isBaseline: true, split, metrics: baseline },
      ...outcome.candidates.map((c) => ({
        model: `${c.family} (cv)`,
        split: cvSplit ?? 'cv',
        metrics: { [primary.name]: c.cvScore },
        fitTimeMs: c.seconds * 1000,
      })),
      {
        model: outcome.family,
        isSelected: true,
        split,
        metrics: headline,
        fitTimeMs: outcome.fitSeconds * 1000,
      },
    ],
    ...(isHeldOut
      ? {}
      : {
          notes: [
            `Nothing was held out (test size 0): figures marked 'train' are measured on the rows the model was fitted on and overstate how it will do on new data.${outcome.cv === undefined ? '' : ` The cross-validated ${outcome.cv.metric} (${outcome.cv.mean.toFixed(4)}) is the honest estimate.`}`,
          ],
        }),
    constraints: context.constraints.map((c) => ({
      name: c.name,
      isHard: c.hard,
      target: String(c.limit),
      measured: String(c.measured),
      passed: c.passed,
    })),
    data: {
      ...(context.dataPath === undefined ? {} : { source: context.dataPath }),
      rows: outcome.dataset.nRows,
      columns: outcome.dataset.columns.length,
      target: bundle.target,
      // Disjoint parts only: a run that held nothing out has one part, not "train" and "evaluated".
      splits: isHeldOut ? { train: outcome.trainRows, test: outcome.testRows } : { train: outcome.trainRows },
      ...(isClf ? { classBalance: classBalance(outcome.target.y, bundle.classes) } : {}),
      features: bundle.features.map((f) => {
        // missingCount counts exactly the cells cellValue reads as null, without boxing each cell
        const missing = missingCount(getColumn(outcome.dataset, f.name))
        return { name: f.name, type: f.kind, missingFraction: missing / Math.max(1, outcome.dataset.nRows) }
      }),
    },
  }
  if (positive !== undefined) {
    const roc = rocCurve(y, positive)
    const pr = prCurve(y, positive)
    const reliability = reliabilityCurve(y, positive, { nBins: 10, strategy: 'quantile' })
    data.curves = {
      roc: {
        fpr: roc.fpr,
        tpr: roc.tpr,
        ...(headline.roc_auc === undefined ? {} : { auc: headline.roc_auc }),
      },
      pr: {
        precision: pr.precision,
        recall: pr.recall,
        ...(headline.pr_auc === undefined ? {} : { averagePrecision: headline.pr_auc }),
        prevalence: y.reduce((a, b) => a + b, 0) / y.length,
      },
      calibration: {
        probTrue: reliability.probTrue,
        probPred: reliability.probPred,
        counts: reliability.counts,
        method: 'quantile bins',
      },
    }
  }
  if (proba !== undefined) {
    const report = classificationReport(y, positive ?? proba, {
      threshold: bundle.threshold,
      classNames: bundle.classes,
    })
    data.classificationReport = report
    data.confusionMatrix = {
      labels: bundle.classes,
      matrix: report.confusionMatrix,
      threshold: positive === undefined ? null : bundle.threshold,
    }
    data.failures = topConfidentErrors(y, positive ?? proba, 10, { threshold: bundle.threshold }).map(
      (e) => ({
        row: evalIndex[e.row]!,
        trueLabel: bundle.classes[e.trueClass] ?? String(e.trueClass),
        predictedLabel: bundle.classes[e.predictedClass] ?? String(e.predictedClass),
        confidence: e.confidence,
        features: rowFeatures(
          evalDs,
          e.row,
          bundle.features.map((f) => f.name),
        ),
      }),
    )
  } else {
    data.predictions = { yTrue: y, yPred: values! }
  }
  const importance = model.featureImportance?.('gain')
  if (importance !== undefined) {
    data.importances = [{ kind: 'gain', features: bundle.encodedNames, values: importance }]
  }
  if (isExplainable(bundle)) {
    const shap = sampledGlobalContributions(bundle, x, {
      maxRows: SHAP_ROWS,
      seed: context.seed,
      minRows: SHAP_MIN_ROWS,
      ...(context.shapBudgetMs === undefined ? {} : { budgetMs: context.shapBudgetMs }),
    })
    const global = shap.contributions
    if (shap.rowsExplained > 0)
      data.shap = { features: global.map((g) => g.feature), meanAbs: global.map((g) => g.contribution) }
    const note = shapSampleNote(shap, isHeldOut ? 'test rows' : 'training rows')
    // the report says which rows the summary rests on whenever it is not all of them
    if (shap.rowsExplained < x.rows) data.notes = [...(data.notes ?? []), note]
    context.onNote?.(note)
  }
  if (outcome.iterations.length > 0) {
    data.learningCurves = [
      {
        model: outcome.family,
        lossName: 'loss',
        points: outcome.iterations.map((it) => ({
          iteration: it.iteration,
          trainLoss: it.trainLoss,
          ...(it.validLoss === undefined ? {} : { validLoss: it.validLoss }),
        })),
      },
    ]
  }
  const groupColumns = (context.subgroups ?? []).filter((name) => evalDs.columns.some((c) => c.name === name))
  if (groupColumns.length > 0) {
    const groups: Record<string, Record<string, number[]>> = {}
    for (const name of groupColumns) {
      const column = getColumn(evalDs, name)
      const levels: Record<string, number[]> = {}
      for (let r = 0; r < evalDs.nRows; r++) {
        const v = cellValue(column, r)
        const key = v === null ? '(missing)' : String(v)
        const rows = levels[key] ?? []
        rows.push(r)
        levels[key] = rows
      }
      groups[name] = levels
    }
    const metrics = [primary, ...(isClf ? [getMetric('accuracy')] : [getMetric('mae')])].filter(
      (m, i, all) => all.findIndex((o) => o.name === m.name) === i,
    )
    data.subgroups = subgroupMetrics({
      yTrue: y,
      prediction: positive ?? prediction,
      groups,
      metrics,
      threshold: bundle.threshold,
      seed: context.seed,
      nBoot: 200,
    })
  }
  return data
}

function classBalance(y: Float64Array, classes: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const v of y) {
    const label = classes[v] ?? String(v)
    out[label] = (out[label] ?? 0) + 1
  }
  return out
}

function rowFeatures(ds: Dataset, row: number, names: readonly string[]): Record<string, number | string> {
  const out: Record<string, number | string> = {}
  for (const name of names.slice(0, 12)) {
    const v = cellValue(getColumn(ds, name), row)
    out[name] = v === null ? '' : typeof v === 'boolean' ? String(v) : v
  }
  return out
}
