import { writeFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { LIBRARY_VERSION } from '../core/index.js'
import { fingerprintDataset, inferSchema, selectRows } from '../data/index.js'
import { renderReport } from '../eval/index.js'
// Direct file import: monitor's index imports the training bundle, so going through it would cycle.
import { buildReferenceProfile } from '../monitor/profile.js'
import { openRegistry } from '../registry/index.js'
import { openTrackingStore } from '../track/index.js'
import {
  type ConstraintCheck,
  type ConstraintSpec,
  checkConstraints,
  measureSingleRowLatencyMs,
} from './constraints.js'
import { buildReportData } from './report.js'
import { higherIsBetter, type MetricValues } from './scoring.js'
import {
  type CandidateResult,
  type ThresholdChoice,
  type TrainOutcome,
  type TrainSpec,
  type TuningResult,
  trainModelBundle,
} from './workflow.js'

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
  readonly metrics: { readonly train: MetricValues; readonly test?: MetricValues }
  readonly baseline: { readonly train: MetricValues; readonly test?: MetricValues }
  /** Primary metric gain over the baseline (positive = better), on test when held out, else train. */
  readonly improvementOverBaseline: number
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

/**
 * Trains, then records the run (params, metrics, per-iteration losses, fingerprint, seed, commit)
 * and registers the bundle as a new model version with its constraints and model card.
 */
export async function runTraining(
  options: RunTrainingOptions,
): Promise<{ result: RunTrainingResult; outcome: TrainOutcome }> {
  const started = performance.now()
  const store = await openTrackingStore(options.storeUrl)
  try {
    const outcome = await trainModelBundle(options)
    const trainSeconds = (performance.now() - started) / 1000
    const artifact = outcome.bundle.toJSON()
    const artifactBytes = Buffer.byteLength(artifact)
    const latencyMs = measureSingleRowLatencyMs(
      outcome.bundle,
      selectRows(outcome.dataset, outcome.trainIndex.subarray(0, 50)),
    )
    const constraints = checkConstraints(options.constraints ?? {}, outcome.bundle, artifactBytes, latencyMs)
    const eligibleForProduction = constraints.every((c) => c.passed || !c.hard)

    // Hashing every row is not free: compute the fingerprint once for the run, report and card.
    const fingerprint = fingerprintDataset(outcome.dataset)
    // git commit, host and package versions are the tracking store's defaults.
    const run = await store.createRun({
      experiment: options.experiment ?? options.name,
      name: `${options.name}-${outcome.family}`,
      params: {
        model: options.model,
        family: outcome.family,
        seed: options.seed,
        testSize: options.testSize,
        folds: options.folds,
        ...(options.params ?? {}),
      } as Record<string, string | number | boolean | null>,
      tags: { task: outcome.task, family: outcome.family, ...(options.tags ?? {}) },
      seed: options.seed,
      datasetFingerprint: fingerprint,
      schema: JSON.parse(JSON.stringify(inferSchema(outcome.dataset))) as Record<string, never>,
    })
    const flat: Record<string, number> = {}
    for (const [k, v] of Object.entries(outcome.metrics.train)) flat[`train_${k}`] = v
    for (const [k, v] of Object.entries(outcome.metrics.test ?? {})) flat[`test_${k}`] = v
    for (const [k, v] of Object.entries(outcome.metrics.baselineTest ?? outcome.metrics.baselineTrain))
      flat[`baseline_${k}`] = v
    for (const c of outcome.candidates) flat[`cv_${c.family}_${outcome.primaryMetric}`] = c.cvScore
    // The headline metric under its plain name, so `keel runs list --filter 'roc_auc>0.8'` works.
    const headline = outcome.metrics.test ?? outcome.metrics.train
    for (const [k, v] of Object.entries(headline)) flat[k] = v
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
      name: 'model.json',
      bytes: Buffer.from(artifact),
      contentType: 'application/json',
    })
    // The reference profile monitoring compares live traffic with: training rows and their scores.
    const trainDs = selectRows(outcome.dataset, outcome.trainIndex)
    const trainOut = outcome.bundle.predictDataset(trainDs)
    const scores =
      trainOut.positive ??
      (outcome.task === 'regression' ? Float64Array.from(trainOut.labels as number[]) : undefined)
    const profile = buildReferenceProfile(
      trainDs,
      outcome.bundle.features.map((f) => f.name),
      scores,
      headline,
    )
    await store.logArtifact(run.id, {
      kind: 'bytes',
      name: 'reference-profile.json',
      bytes: Buffer.from(JSON.stringify(profile)),
      contentType: 'application/json',
    })

    const reportData = buildReportData(outcome, {
      runId: run.id,
      name: options.name,
      seed: options.seed,
      fingerprint,
      gitCommit: run.gitCommit,
      libraryVersion: LIBRARY_VERSION,
      constraints,
      ...(options.dataPath === undefined ? {} : { dataPath: options.dataPath }),
      ...(options.subgroups === undefined ? {} : { subgroups: options.subgroups }),
    })
    await store.logArtifact(run.id, {
      kind: 'bytes',
      name: REPORT_DATA_ARTIFACT,
      bytes: Buffer.from(JSON.stringify(reportData, typedArraysAsLists)),
      contentType: 'application/json',
    })
    if (options.reportPath !== undefined) writeFileSync(options.reportPath, renderReport(reportData))

    const registry = await openRegistry(options.storeUrl)
    let version: number
    try {
      version = (
        await registry.registerVersion({
          name: options.name,
          runId: run.id,
          artifact: Buffer.from(artifact),
          ...(options.fallback === undefined ? {} : { fallback: options.fallback }),
          featureSchema: outcome.bundle.features.map((f) => ({ ...f })),
          metrics: headline,
          constraints: constraints.map((c) => ({ ...c })),
          modelCard: {
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
              outOfScope: [
                'Populations or time periods unlike the training data without monitoring for drift.',
              ],
            },
            model: { family: outcome.family },
            metrics: headline,
            metricsSplit: outcome.metrics.test === undefined ? 'train' : 'test',
            baseline: {
              name: 'baseline',
              metrics: outcome.metrics.baselineTest ?? outcome.metrics.baselineTrain,
            },
            constraints: constraints.map((c) => ({ ...c })),
            limitations: [
              'Trained on historical data; monitor drift before trusting predictions on new populations.',
              ...(eligibleForProduction
                ? []
                : ['Fails a hard constraint from the task file: not for production.']),
            ],
          },
        })
      ).version
    } finally {
      await registry.close()
    }
    const primary = outcome.primaryMetric
    const model = headline[primary] ?? Number.NaN
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
      outcome,
      result: {
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
        improvementOverBaseline: improvement,
        candidates: outcome.candidates,
        ...(outcome.tuning === undefined ? {} : { tuning: outcome.tuning }),
        ...(outcome.threshold === undefined ? {} : { threshold: outcome.threshold }),
        constraints,
        eligibleForProduction,
        latencyMs,
        artifactBytes,
      },
    }
  } finally {
    await store.close()
  }
}
