import { type Matrix, Rng, takeRows, takeValues } from '../core/index.js'
import { cellValue, type Dataset, getColumn, selectRows } from '../data/index.js'
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
import type { ConstraintCheck } from './constraints.js'
import { globalContributions, isExplainable } from './explain.js'
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
}

const SHAP_ROWS = 300

/**
 * Everything the HTML report shows, computed once at training time from the held-out part (or
 * the training part when nothing was held out) and stored with the run as JSON.
 */
export function buildReportData(outcome: TrainOutcome, context: ReportContext): ReportData {
  const bundle = outcome.bundle
  const evalIndex = outcome.testIndex.length > 0 ? outcome.testIndex : outcome.trainIndex
  const split = outcome.testIndex.length > 0 ? 'test' : 'train'
  const evalDs = selectRows(outcome.dataset, evalIndex)
  const y = takeValues(outcome.target.y, evalIndex)
  const x = bundle.encoder.encodeDataset(evalDs)
  const model = bundle.model
  const isClf = isClassifier(model)
  const proba: Matrix | undefined = isClf ? model.predictProba(x) : undefined
  const values = isClf ? undefined : model.predict(x)
  const positive =
    proba !== undefined && proba.cols === 2
      ? Float64Array.from({ length: proba.rows }, (_, r) => proba.data[r * 2 + 1]!)
      : undefined
  const prediction: Matrix | Float64Array = proba ?? values!
  const headline = outcome.metrics.test ?? outcome.metrics.train
  const baseline = outcome.metrics.baselineTest ?? outcome.metrics.baselineTrain
  const primary = getMetric(outcome.primaryMetric)
  const ci = bootstrapCI(primary, y, prediction, { nBoot: 500, seed: context.seed })

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
    metrics: Object.entries(headline).map(([name, value]) => ({
      name,
      value,
      direction: getMetric(name).direction,
      split,
      ...(name === primary.name ? { ci: { lower: ci.lower, upper: ci.upper, alpha: ci.alpha } } : {}),
    })),
    comparison: [
      { model: 'baseline', isBaseline: true, metrics: baseline },
      ...outcome.candidates.map((c) => ({
        model: `${c.family} (cv)`,
        metrics: { [primary.name]: c.cvScore },
        fitTimeMs: c.seconds * 1000,
      })),
      { model: outcome.family, isSelected: true, metrics: headline, fitTimeMs: outcome.fitSeconds * 1000 },
    ],
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
      splits: { train: outcome.trainRows, [split === 'test' ? 'test' : 'evaluated']: evalIndex.length },
      ...(isClf ? { classBalance: classBalance(outcome.target.y, bundle.classes) } : {}),
      features: bundle.features.map((f) => {
        const column = getColumn(outcome.dataset, f.name)
        let missing = 0
        for (let r = 0; r < outcome.dataset.nRows; r++) if (cellValue(column, r) === null) missing++
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
    const sample = sampleRows(x, SHAP_ROWS, context.seed)
    const global = globalContributions(bundle, sample)
    data.shap = { features: global.map((g) => g.feature), meanAbs: global.map((g) => g.contribution) }
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

function sampleRows(x: Matrix, n: number, seed: number): Matrix {
  if (x.rows <= n) return x
  const picks = new Rng(seed).permutation(x.rows).subarray(0, n)
  return takeRows(x, Int32Array.from(picks).sort())
}
