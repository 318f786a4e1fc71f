import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { LIBRARY_VERSION } from '../../core/index.js'
import { fingerprintDataset, inferSchema, selectRows } from '../../data/index.js'
import { renderReport } from '../../eval/index.js'
import { buildReferenceProfile } from '../../pipeline/index.js'
import { openRegistry } from '../../registry/index.js'
import type { openTrackingStore } from '../../track/index.js'
import {
  type ConstraintCheck,
  type ConstraintSpec,
  checkConstraints,
  measureSingleRowLatencyMs,
} from '../constraints.js'
import { POST_FIT_SHARES, PostFitSteps, stepBudgetMs } from '../post-fit.js'
import { buildReportData } from '../report.js'
import { higherIsBetter, type MetricValues } from '../scoring.js'
import { trainingImportance } from './importance.js'
import {
  type CandidateResult,
  type CrossValidatedScore,
  DEFAULT_TEST_SIZE,
  type ThresholdChoice,
  type TrainOutcome,
  type TrainSpec,
  type TuningResult,
} from './types.js'

/** The tracking store a run is recorded in. */
export type RunStore = Awaited<ReturnType<typeof openTrackingStore>>

/** The model card `registerVersion` stores with a version. */
type ModelCardInput = NonNullable<
  Parameters<Awaited<ReturnType<typeof openRegistry>>['registerVersion']>[0]['modelCard']
>

/** Options of a recorded training run (`keel train`). */
export interface RunTrainingOptions extends TrainSpec {
  /** Registry name of the model (default: derived from the data file). */
  readonly name: string
  readonly experiment?: string
  readonly constraints?: ConstraintSpec
  /** Store URL (default: $KEEL_DATABASE_URL or the embedded SQLite). */
  readonly storeUrl?: string
  readonly tags?: Readonly<Record<string, string>>
  /** Categorical columns to break the metrics down by in the report (`--subgroups`). */
  readonly subgroups?: readonly string[]
  /** Also write the HTML report to this file. */
  readonly reportPath?: string
  /** Registry reference of the model that answers when this one fails (the serving fallback chain). */
  readonly fallback?: string
}

/** What `keel train --json` prints (the contract scripts rely on: `model`, `fitSeconds`, metrics). */
export interface RunTrainingResult {
  readonly runId: string
  /** Reference that `keel predict --model` and `keel serve --models` accept, e.g. `churn@3`. */
  readonly model: string
  readonly name: string
  readonly version: number
  readonly task: string
  readonly taskReason: string
  readonly family: string
  readonly primaryMetric: string
  readonly fitSeconds: number
  readonly trainRows: number
  readonly testRows: number
  /** Scores by part: `test` (held out; the honest figure) and `train` (optimistic). */
  readonly metrics: { readonly train: MetricValues; readonly test?: MetricValues }
  readonly baseline: { readonly train: MetricValues; readonly test?: MetricValues }
  /** Cross-validated primary metric of the chosen model (training part only), when measured. */
  readonly cv?: CrossValidatedScore
  /** Primary metric gain over the baseline (positive = better), on `improvementSplit`. */
  readonly improvementOverBaseline: number
  /** Where the gain was measured: `test` when rows were held out, else `train` (optimistic). */
  readonly improvementSplit: 'test' | 'train'
  readonly candidates: readonly CandidateResult[]
  readonly tuning?: TuningResult
  readonly threshold?: ThresholdChoice
  readonly constraints: readonly ConstraintCheck[]
  /** False when a hard constraint failed: the version must not be promoted to production. */
  readonly eligibleForProduction: boolean
  readonly latencyMs: number
  readonly artifactBytes: number
}

/** Name of the run artifact holding the report's data (`keel report RUN` renders it). */
export const REPORT_DATA_ARTIFACT = 'report-data.json'

/** JSON replacer that writes typed arrays as plain lists. */
export function typedArraysAsLists(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView)
    ? Array.from(value as unknown as ArrayLike<number>)
    : value
}

/** What the record stage is given: the trained outcome, the run's options and where to record it. */
export interface RecordInput {
  readonly outcome: TrainOutcome
  readonly options: RunTrainingOptions
  readonly store: RunStore
  /** `performance.now()` when the command started (the run's total time). */
  readonly started: number
  /** Wall-clock start of training, stored as the run's start. */
  readonly startedAt: Date
}

/**
 * Stage 6, record: saves the artifact, checks constraints, records the run (params, metrics,
 * per-iteration losses, fingerprint, seed, commit), the monitoring reference profile and the
 * report, and registers the bundle as a new model version with its constraints and model card.
 * Every step after the fit is announced, and those that grow with model size times rows have a
 * share of the fit time (`post-fit.ts`).
 */
export async function record(input: RecordInput): Promise<RunTrainingResult> {
  const { outcome, options, store, started, startedAt } = input
  const trainSeconds = (performance.now() - started) / 1000
  // Every step after the fit is announced (progress) and those that grow with model size times
  // rows get a share of the fit time, so the command costs about what the fit costs.
  const steps = new PostFitSteps(options.onProgress)
  // binary artifact: raw array bytes, no base64 (see ModelBundle.toBytes)
  const artifact = await steps.run('saving the model artifact', () => outcome.bundle.toBytes())
  const artifactBytes = artifact.byteLength
  const latencyMs = await steps.run('measuring single-row latency', () =>
    measureSingleRowLatencyMs(
      outcome.bundle,
      selectRows(outcome.dataset, outcome.trainIndex.subarray(0, 50)),
    ),
  )
  const constraints = checkConstraints(options.constraints ?? {}, outcome.bundle, artifactBytes, latencyMs)
  const eligibleForProduction = constraints.every((c) => c.passed || !c.hard)

  // Hashing every row is not free: compute the fingerprint once for the run, report and card.
  const fingerprint = await steps.run('fingerprinting the data', () => fingerprintDataset(outcome.dataset))
  // git commit, host and package versions are the tracking store's defaults.
  const run = await store.createRun({
    experiment: options.experiment ?? options.name,
    name: `${options.name}-${outcome.family}`,
    params: {
      model: options.model,
      family: outcome.family,
      seed: options.seed,
      testSize: options.testSize ?? DEFAULT_TEST_SIZE,
      folds: options.folds,
      ...(options.params ?? {}),
    } as Record<string, string | number | boolean | null>,
    tags: {
      task: outcome.task,
      family: outcome.family,
      primary_metric: outcome.primaryMetric,
      ...(options.tags ?? {}),
    },
    seed: options.seed,
    startedAt,
    datasetFingerprint: fingerprint,
    schema: JSON.parse(JSON.stringify(inferSchema(outcome.dataset))) as Record<string, never>,
  })
  const { flat, headline, headlineSplit } = runMetrics(outcome)
  flat.fit_seconds = outcome.fitSeconds
  flat.latency_ms = latencyMs
  await store.logMetrics(run.id, flat)
  if (outcome.iterations.length > 0) {
    await store.logMetricSeries(
      run.id,
      'train_loss',
      outcome.iterations.map((it) => ({ step: it.iteration, value: it.trainLoss })),
    )
    const valid = outcome.iterations.filter((it) => it.validLoss !== undefined)
    if (valid.length > 0)
      await store.logMetricSeries(
        run.id,
        'valid_loss',
        valid.map((it) => ({ step: it.iteration, value: it.validLoss! })),
      )
  }
  await store.logArtifact(run.id, {
    kind: 'bytes',
    name: 'model.keel',
    bytes: artifact,
    contentType: 'application/octet-stream',
  })
  // The reference profile monitoring compares live traffic with: training rows and their scores.
  // The test stage scored every training row once; this step reads those scores (it keeps its
  // name so the progress a user sees is unchanged).
  const trainDs = outcome.trainDs
  const trainOut = await steps.run(
    'scoring the training rows for the reference profile',
    () => outcome.trainPredictions,
  )
  const scores =
    trainOut.positive ??
    (outcome.task === 'regression' ? Float64Array.from(trainOut.labels as readonly number[]) : undefined)
  const importanceBudgetMs = stepBudgetMs(outcome.fitSeconds, POST_FIT_SHARES.importanceShap)
  const importance = await steps.run(
    `feature importance for monitoring (SHAP, budget ${(importanceBudgetMs / 1000).toFixed(1)} s)`,
    () => trainingImportance(outcome.bundle, trainDs, options.seed, importanceBudgetMs, (n) => steps.note(n)),
  )
  const profile = buildReferenceProfile(
    trainDs,
    outcome.bundle.features.map((f) => f.name),
    scores,
    headlineSplit === undefined ? undefined : headline,
    {
      ...(headlineSplit === undefined ? {} : { metricsSplit: headlineSplit }),
      ...(importance === undefined ? {} : { importance }),
    },
  )
  await store.logArtifact(run.id, {
    kind: 'bytes',
    name: 'reference-profile.json',
    bytes: Buffer.from(JSON.stringify(profile)),
    contentType: 'application/json',
  })

  const reportShapBudgetMs = stepBudgetMs(outcome.fitSeconds, POST_FIT_SHARES.reportShap)
  const reportData = await steps.run('building the report', () =>
    buildReportData(outcome, {
      runId: run.id,
      name: options.name,
      seed: options.seed,
      fingerprint,
      gitCommit: run.gitCommit,
      libraryVersion: LIBRARY_VERSION,
      constraints,
      ...(options.dataPath === undefined ? {} : { dataPath: options.dataPath }),
      ...(options.subgroups === undefined ? {} : { subgroups: options.subgroups }),
      shapBudgetMs: reportShapBudgetMs,
      bootstrapBudgetMs: stepBudgetMs(outcome.fitSeconds, POST_FIT_SHARES.reportBootstrap),
      onNote: (n) => steps.note(n),
    }),
  )
  await store.logArtifact(run.id, {
    kind: 'bytes',
    name: REPORT_DATA_ARTIFACT,
    bytes: Buffer.from(JSON.stringify(reportData, typedArraysAsLists)),
    contentType: 'application/json',
  })
  if (options.reportPath !== undefined) writeFileSync(options.reportPath, renderReport(reportData))

  steps.note('registering the model version')
  const registry = await openRegistry(options.storeUrl)
  let version: number
  try {
    version = (
      await registry.registerVersion({
        name: options.name,
        runId: run.id,
        artifact,
        ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
        featureSchema: outcome.bundle.features.map((f) => ({ ...f })),
        metrics: headline,
        constraints: constraints.map((c) => ({ ...c })),
        modelCard: modelCard(outcome, options, { fingerprint, headline, headlineSplit, constraints }),
      })
    ).version
  } finally {
    await registry.close()
  }
  const primary = outcome.primaryMetric
  const improvementSplit = outcome.metrics.test === undefined ? 'train' : 'test'
  const model = (outcome.metrics.test ?? outcome.metrics.train)[primary] ?? Number.NaN
  const base = (outcome.metrics.baselineTest ?? outcome.metrics.baselineTrain)[primary] ?? Number.NaN
  const improvement = higherIsBetter(primary) ? model - base : base - model
  await store.finishRun(run.id, {
    status: 'finished',
    timingsMs: {
      total: performance.now() - started,
      fit: outcome.fitSeconds * 1000,
      train: trainSeconds * 1000,
    },
  })
  return {
    runId: run.id,
    model: `${options.name}@${version}`,
    name: options.name,
    version,
    task: outcome.task,
    taskReason: outcome.taskReason,
    family: outcome.family,
    primaryMetric: primary,
    fitSeconds: outcome.fitSeconds,
    trainRows: outcome.trainRows,
    testRows: outcome.testRows,
    metrics: {
      train: outcome.metrics.train,
      ...(outcome.metrics.test === undefined ? {} : { test: outcome.metrics.test }),
    },
    baseline: {
      train: outcome.metrics.baselineTrain,
      ...(outcome.metrics.baselineTest === undefined ? {} : { test: outcome.metrics.baselineTest }),
    },
    ...(outcome.cv === undefined ? {} : { cv: outcome.cv }),
    improvementOverBaseline: improvement,
    improvementSplit,
    candidates: outcome.candidates,
    ...(outcome.tuning === undefined ? {} : { tuning: outcome.tuning }),
    ...(outcome.threshold === undefined ? {} : { threshold: outcome.threshold }),
    constraints,
    eligibleForProduction,
    latencyMs,
    artifactBytes,
  }
}

/** The run's metrics as stored, and the headline metrics the registry, card and profile show. */
function runMetrics(outcome: TrainOutcome): {
  flat: Record<string, number>
  headline: MetricValues
  headlineSplit: 'test' | 'cv' | undefined
} {
  // Every stored score names the part it was measured on. The plain name (`roc_auc`) holds only a
  // held-out test score, so `keel runs list --filter 'roc_auc>0.8'` never compares a training score
  // with a test score; a run that held nothing out has `train_*` and `cv_*` only.
  const flat: Record<string, number> = {}
  for (const [k, v] of Object.entries(outcome.metrics.train)) flat[`train_${k}`] = v
  for (const [k, v] of Object.entries(outcome.metrics.baselineTrain)) flat[`baseline_train_${k}`] = v
  for (const [k, v] of Object.entries(outcome.metrics.test ?? {})) {
    flat[`test_${k}`] = v
    flat[k] = v
  }
  for (const [k, v] of Object.entries(outcome.metrics.baselineTest ?? {})) flat[`baseline_${k}`] = v
  for (const c of outcome.candidates) flat[`cv_${c.family}_${outcome.primaryMetric}`] = c.cvScore
  if (outcome.cv !== undefined) flat[`cv_${outcome.cv.metric}`] = outcome.cv.mean
  // What the registry, model card and monitoring profile call the model's metrics: the test part,
  // else the cross-validated primary metric; never training-set scores.
  const headlineSplit: 'test' | 'cv' | undefined =
    outcome.metrics.test !== undefined ? 'test' : outcome.cv !== undefined ? 'cv' : undefined
  const headline: MetricValues =
    outcome.metrics.test ?? (outcome.cv === undefined ? {} : { [outcome.cv.metric]: outcome.cv.mean })
  return { flat, headline, headlineSplit }
}

/** What the run's model card says: task, data, intended use, headline metrics, constraints. */
function modelCard(
  outcome: TrainOutcome,
  options: RunTrainingOptions,
  facts: {
    readonly fingerprint: string
    readonly headline: MetricValues
    readonly headlineSplit: 'test' | 'cv' | undefined
    readonly constraints: readonly ConstraintCheck[]
  },
): ModelCardInput {
  const { fingerprint, headline, headlineSplit, constraints } = facts
  const eligibleForProduction = constraints.every((c) => c.passed || !c.hard)
  return {
    title: `${options.name}: ${outcome.task} model of '${options.target}'`,
    task: {
      kind: outcome.task,
      target: options.target,
      ...(outcome.task === 'binary' ? { positiveClass: outcome.target.classes[1]! } : {}),
    },
    data: {
      source: options.dataPath ?? 'in-memory dataset',
      rows: outcome.dataset.nRows,
      columns: outcome.dataset.columns.length,
      fingerprint,
      splits: { train: outcome.trainRows, test: outcome.testRows },
    },
    intendedUse: {
      primary: `Predict '${options.target}' (${outcome.task}) for rows shaped like the training data.`,
      outOfScope: ['Populations or time periods unlike the training data without monitoring for drift.'],
    },
    model: { family: outcome.family },
    metrics: headline,
    metricsSplit:
      headlineSplit === 'cv'
        ? `cross-validated, ${outcome.cv!.folds} folds (nothing held out)`
        : (headlineSplit ?? 'none (nothing held out)'),
    ...(outcome.metrics.baselineTest === undefined
      ? {}
      : { baseline: { name: 'baseline', metrics: outcome.metrics.baselineTest } }),
    constraints: constraints.map((c) => ({ ...c })),
    limitations: [
      'Trained on historical data; monitor drift before trusting predictions on new populations.',
      ...(eligibleForProduction ? [] : ['Fails a hard constraint from the task file: not for production.']),
    ],
  }
}
