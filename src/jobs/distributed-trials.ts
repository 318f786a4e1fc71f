import { createHash, randomUUID } from 'node:crypto'
import { isAbsolute, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { AppError, InvalidArgumentError } from '../core/index.js'
import { getColumn } from '../data/index.js'
import type { TaskKind } from '../models/index.js'
import {
  MODEL_FAMILIES,
  type PreparedData,
  parseFamily,
  prepare,
  runTrial,
  type TrainSpec,
  type TrialResult,
  type TrialRunner,
  type TrialSpec,
} from '../train/index.js'
import { type AwaitEvent, awaitJobs } from './await-jobs.js'
import { type NewJob, openJobQueue } from './queue.js'

/** The pg-boss queue that carries cross-validation trials of `keel train --distributed`. */
export const TRIAL_QUEUE = 'keel-train-trials'

/**
 * What a worker needs to rebuild the coordinator's prepared data: the data's path and every
 * setting that the prepare stage and a fold's fit read. Folds are not sent (they can be millions
 * of indices): the worker makes them again from the same seed, and the fingerprint proves it did.
 */
const workerSpecSchema = z.object({
  dataPath: z.string(),
  target: z.string(),
  task: z.enum(['binary', 'multiclass', 'regression']).optional(),
  positiveClass: z.string().optional(),
  include: z.array(z.string()).optional(),
  exclude: z.array(z.string()).optional(),
  idColumn: z.string().optional(),
  model: z.string(),
  /** JSON text: params travel as text so the numbers a worker fits with are bit for bit the sender's. */
  params: z.string(),
  seed: z.number(),
  metrics: z.array(z.string()).optional(),
  testSize: z.number().optional(),
  folds: z.number().int(),
  balance: z.boolean().optional(),
  splitKind: z.enum(['random', 'stratified', 'group', 'time']).optional(),
  groupColumn: z.string().optional(),
  timeColumn: z.string().optional(),
})

/** One trial job: rebuild the data as `spec` says, check it against `fingerprint`, fit one fold. */
const trialJobSchema = z.object({
  /** The training run (one runner): a worker prepares the data once per run. */
  runId: z.string(),
  /** Position of the trial in its batch. */
  index: z.number().int().nonnegative(),
  label: z.string(),
  family: z.enum(MODEL_FAMILIES),
  /** JSON text of the params, or null for "as the spec says" (see `TrialSpec.params`). */
  params: z.string().nullable(),
  fold: z.number().int().nonnegative(),
  tolerateErrors: z.boolean(),
  spec: workerSpecSchema,
  fingerprint: z.string(),
})

/** The payload of a trial job. */
export type TrialJobData = z.infer<typeof trialJobSchema>

/** What a completed trial job reports: the score as text (exact, and NaN survives JSON). */
const trialOutputSchema = z.object({ score: z.string(), seconds: z.number(), error: z.string().optional() })

/** What the coordinator reports while trials run. */
export type TrialJobsEvent =
  | { readonly kind: 'queued'; readonly jobs: number; readonly folds: number }
  | { readonly kind: 'progress'; readonly done: number; readonly total: number; readonly active: number }
  | {
      readonly kind: 'retry'
      readonly label: string
      readonly fold: number
      /** The try that failed (1 = the first). */
      readonly attempt: number
      readonly error: string
    }

/** Options of `distributedTrialRunner`. */
export interface DistributedTrialRunnerOptions {
  /** PostgreSQL URL of the job queue (pg-boss), optionally with `?schema=NAME`. */
  readonly queueUrl: string
  /** Further tries of a trial whose worker failed or died before the run fails (default 3). */
  readonly retryLimit?: number
  /**
   * A trial held longer than this by a worker is taken back and retried (default 900 s): the bound
   * on how long a dead worker delays the run. Must exceed the time one fold's fit takes.
   */
  readonly jobTimeoutSeconds?: number
  /** How often the job states are read (default 500 ms). */
  readonly pollIntervalMs?: number
  readonly onEvent?: (event: TrialJobsEvent) => void
}

/** The spec as a worker rebuilds it (JSON-safe).
 * @throws InvalidArgumentError for a spec a worker cannot rebuild (data in memory, explicit split). */
function workerSpecOf(spec: TrainSpec): TrialJobData['spec'] {
  if (spec.dataPath === undefined)
    throw new InvalidArgumentError(
      'Distributed training reads the data from a file on every worker: pass it by path (--data FILE), not in memory.',
    )
  if (spec.split !== undefined)
    throw new InvalidArgumentError(
      'Distributed training makes its split from the seed on every worker; an explicit split is not supported. Run without --distributed.',
    )
  // Workers resolve the path themselves: it must name the same file wherever they run.
  const dataPath = isAbsolute(spec.dataPath) ? spec.dataPath : resolve(spec.dataPath)
  return {
    dataPath,
    target: spec.target,
    ...(spec.task === undefined ? {} : { task: spec.task }),
    ...(spec.positiveClass === undefined ? {} : { positiveClass: spec.positiveClass }),
    ...(spec.include === undefined ? {} : { include: [...spec.include] }),
    ...(spec.exclude === undefined ? {} : { exclude: [...spec.exclude] }),
    ...(spec.idColumn === undefined ? {} : { idColumn: spec.idColumn }),
    model: spec.model,
    params: JSON.stringify(spec.params ?? {}),
    seed: spec.seed,
    ...(spec.metrics === undefined ? {} : { metrics: [...spec.metrics] }),
    ...(spec.testSize === undefined ? {} : { testSize: spec.testSize }),
    folds: spec.folds,
    ...(spec.balance === undefined ? {} : { balance: spec.balance }),
    ...(spec.splitKind === undefined ? {} : { splitKind: spec.splitKind }),
    ...(spec.groupColumn === undefined ? {} : { groupColumn: spec.groupColumn }),
    ...(spec.timeColumn === undefined ? {} : { timeColumn: spec.timeColumn }),
  }
}

/** The TrainSpec a worker prepares and fits with, from a job's spec. */
function trainSpecOf(data: TrialJobData['spec']): TrainSpec {
  const params: unknown = JSON.parse(data.params)
  return {
    dataPath: data.dataPath,
    target: data.target,
    ...(data.task === undefined ? {} : { task: data.task as TaskKind }),
    ...(data.positiveClass === undefined ? {} : { positiveClass: data.positiveClass }),
    ...(data.include === undefined ? {} : { include: data.include }),
    ...(data.exclude === undefined ? {} : { exclude: data.exclude }),
    ...(data.idColumn === undefined ? {} : { idColumn: data.idColumn }),
    model: parseFamily(data.model),
    params: typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {},
    seed: data.seed,
    ...(data.metrics === undefined ? {} : { metrics: data.metrics }),
    ...(data.testSize === undefined ? {} : { testSize: data.testSize }),
    folds: data.folds,
    ...(data.balance === undefined ? {} : { balance: data.balance }),
    ...(data.splitKind === undefined ? {} : { splitKind: data.splitKind }),
    ...(data.groupColumn === undefined ? {} : { groupColumn: data.groupColumn }),
    ...(data.timeColumn === undefined ? {} : { timeColumn: data.timeColumn }),
  }
}

const fingerprints = new WeakMap<PreparedData, string>()

/**
 * A hash of what a fold's fit reads: the training part's feature values and target, its row
 * indices, the folds, the features and the primary metric. A worker whose file differs from the
 * coordinator's (changed since, or another file at that path on its machine) refuses the trial
 * instead of returning a score of other data.
 */
export function preparedFingerprint(prep: PreparedData): string {
  const known = fingerprints.get(prep)
  if (known !== undefined) return known
  const hash = createHash('sha256')
  const add = (a: ArrayBufferView): void => {
    hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
  }
  hash.update(JSON.stringify([prep.features, prep.primary, prep.target.task, prep.target.classes]))
  add(prep.trainIndex)
  add(prep.yTrain)
  for (const name of prep.features) {
    const column = getColumn(prep.trainDs, name)
    if (column.kind === 'categorical') {
      hash.update(JSON.stringify(column.levels))
      add(column.codes)
    } else add(column.values)
  }
  hash.update(String(prep.folds.length))
  for (const fold of prep.folds) {
    add(fold.train)
    add(fold.valid)
  }
  const fingerprint = hash.digest('hex')
  fingerprints.set(prep, fingerprint)
  return fingerprint
}

/** How a trial is named in progress lines and errors. */
function describeTrial(trial: TrialSpec, folds: number): string {
  return `Trial '${trial.label}' (${trial.family}, fold ${trial.fold + 1}/${folds})`
}

/**
 * A trial runner that sends each trial (one fold's fit) as a job to `keel worker`s and collects
 * the scores: `keel train --distributed`. A batch's trials run at once, as many as there are
 * workers; the results are exactly the in-process ones because each worker rebuilds the same
 * prepared data from the file and the seed (checked by a fingerprint) and fits with the same params
 * and seed. A trial is pure (a score, no side effect), so a trial run twice, its worker killed
 * mid-fit and its job retried, still counts once.
 *
 * The queue is opened for each batch and closed after it, so the runner needs no closing.
 *
 * @example
 * await runTraining({ ...options, trialRunner: distributedTrialRunner({ queueUrl, onEvent: log }) })
 * @throws (from `run`) InvalidArgumentError for data given in memory or an explicit split; AppError
 *   STORE_UNAVAILABLE or DEPENDENCY_MISSING for the queue; the failing trial's own code (JOB_FAILED
 *   when it has none, e.g. it timed out on every try) once a trial failed more than `retryLimit`
 *   times.
 */
export function distributedTrialRunner(options: DistributedTrialRunnerOptions): TrialRunner {
  const retryLimit = options.retryLimit ?? 3
  const jobTimeoutSeconds = options.jobTimeoutSeconds ?? 900
  const pollIntervalMs = options.pollIntervalMs ?? 500
  if (!Number.isInteger(jobTimeoutSeconds) || jobTimeoutSeconds < 1)
    throw new InvalidArgumentError(`jobTimeoutSeconds must be a positive integer, got ${jobTimeoutSeconds}.`)
  if (!Number.isInteger(retryLimit) || retryLimit < 0)
    throw new InvalidArgumentError(`retryLimit must be a non-negative integer, got ${retryLimit}.`)
  const emit = options.onEvent ?? (() => {})
  // One id per training run: workers prepare the data once per run, not once per batch.
  const runId = randomUUID()
  return {
    async run(prep, spec, trials, onResult) {
      if (trials.length === 0) return []
      const workerSpec = workerSpecOf(spec)
      const fingerprint = preparedFingerprint(prep)
      const queue = await openJobQueue(options.queueUrl, {
        maintenanceIntervalSeconds: Math.max(1, Math.min(30, Math.floor(jobTimeoutSeconds / 2))),
      })
      const jobs: (NewJob & { data: TrialJobData })[] = trials.map((trial, index) => ({
        id: randomUUID(),
        retryLimit,
        expireInSeconds: jobTimeoutSeconds,
        data: {
          runId,
          index,
          label: trial.label,
          family: trial.family,
          params: trial.params === undefined ? null : JSON.stringify(trial.params),
          fold: trial.fold,
          tolerateErrors: trial.tolerateErrors,
          spec: workerSpec,
          fingerprint,
        },
      }))
      const results = new Array<TrialResult | undefined>(trials.length)
      let pending: string[] = []
      try {
        await queue.send(TRIAL_QUEUE, jobs)
        pending = jobs.map((job) => job.id)
        emit({ kind: 'queued', jobs: jobs.length, folds: prep.folds.length })
        await awaitJobs(
          queue,
          TRIAL_QUEUE,
          jobs.map((job, index) => ({
            id: job.id,
            describe: describeTrial(trials[index]!, prep.folds.length),
          })),
          {
            pollIntervalMs,
            onEvent: (event: AwaitEvent) => {
              if (event.kind === 'progress')
                emit({ kind: 'progress', done: event.done, total: event.total, active: event.active })
              else {
                const trial = trials[event.index]!
                emit({
                  kind: 'retry',
                  label: trial.label,
                  fold: trial.fold,
                  attempt: event.attempt,
                  error: event.error,
                })
              }
            },
            onCompleted: (index, output) => {
              const parsed = trialOutputSchema.safeParse(output)
              if (!parsed.success)
                throw new AppError(
                  'JOB_FAILED',
                  `${describeTrial(trials[index]!, prep.folds.length)} completed with ${JSON.stringify(output)} instead of a score; is every keel worker the same version?`,
                )
              const result: TrialResult = {
                score: Number(parsed.data.score),
                seconds: parsed.data.seconds,
                ...(parsed.data.error === undefined ? {} : { error: parsed.data.error }),
              }
              results[index] = result
              onResult?.(index, result)
            },
          },
        )
        pending = []
      } finally {
        // A coordinator that gives up takes its trials off the queue, so no worker fits them for nothing.
        if (pending.length > 0) await queue.cancel(TRIAL_QUEUE, pending).catch(() => undefined)
        await queue.close()
      }
      return results.map((result) => result!)
    },
  }
}

/** A worker's log line about one trial. */
export type TrialJobEvent =
  | {
      readonly kind: 'trial-start'
      readonly label: string
      readonly family: string
      readonly fold: number
      readonly attempt: number
    }
  | {
      readonly kind: 'trial-done'
      readonly label: string
      readonly fold: number
      readonly score: number
      readonly ms: number
    }
  | { readonly kind: 'trial-error'; readonly label: string; readonly fold: number; readonly error: string }

/** Options of `makeTrialJobHandler`. */
export interface TrialJobHandlerOptions {
  readonly onJob?: (event: TrialJobEvent) => void
  /**
   * @internal Test only: waits this long after taking a trial, before fitting it, so a test can
   * kill a worker that holds one.
   */
  readonly testDelayMs?: number
}

/** Prepared data a worker keeps: the runs it served last (a run's trials all share one). */
const PREPARED_KEPT = 2

/**
 * Makes the trial job handler: rebuilds the coordinator's prepared data once per run (kept for the
 * run's next trials), checks its fingerprint, and fits and scores the trial's fold.
 *
 * @throws (from the handler) AppError JOB_FAILED when the data differs from the coordinator's; the
 *   data's own errors; the fit's error when the trial does not tolerate errors. A throw fails the
 *   job, which is retried.
 */
export function makeTrialJobHandler(
  options: TrialJobHandlerOptions = {},
): (job: {
  readonly data: unknown
  readonly retryCount: number
}) => Promise<z.infer<typeof trialOutputSchema>> {
  const prepared = new Map<string, Promise<PreparedData>>()
  const preparedFor = (data: TrialJobData, spec: TrainSpec): Promise<PreparedData> => {
    // Per run: a later run re-reads the file, so a file changed in between is noticed.
    const key = `${data.runId} ${data.fingerprint} ${JSON.stringify(data.spec)}`
    let pending = prepared.get(key)
    if (pending === undefined) {
      pending = prepare(spec).then((prep) => {
        if (preparedFingerprint(prep) !== data.fingerprint)
          throw new AppError(
            'JOB_FAILED',
            `The data at '${data.spec.dataPath}' differs on this worker from what the coordinator prepared (the file changed since the run started, or this machine has another file at that path).`,
          )
        return prep
      })
      // A failed prepare is not kept: the retry tries again.
      pending.catch(() => prepared.delete(key))
      prepared.set(key, pending)
      while (prepared.size > PREPARED_KEPT) prepared.delete(prepared.keys().next().value!)
    }
    return pending
  }
  return async (job) => {
    const parsed = trialJobSchema.safeParse(job.data)
    if (!parsed.success)
      throw new AppError('INVALID_ARGUMENT', `Not a keel trial job: ${parsed.error.message.split('\n')[0]}`)
    const data = parsed.data
    const started = Date.now()
    options.onJob?.({
      kind: 'trial-start',
      label: data.label,
      family: data.family,
      fold: data.fold,
      attempt: job.retryCount + 1,
    })
    try {
      const spec = trainSpecOf(data.spec)
      const prep = await preparedFor(data, spec)
      if (options.testDelayMs !== undefined && options.testDelayMs > 0) await sleep(options.testDelayMs)
      const params: unknown = data.params === null ? undefined : JSON.parse(data.params)
      const result = await runTrial(prep, spec, {
        label: data.label,
        family: data.family,
        fold: data.fold,
        tolerateErrors: data.tolerateErrors,
        ...(typeof params === 'object' && params !== null
          ? { params: params as Record<string, unknown> }
          : {}),
      })
      options.onJob?.({
        kind: 'trial-done',
        label: data.label,
        fold: data.fold,
        score: result.score,
        ms: Date.now() - started,
      })
      return {
        score: String(result.score),
        seconds: result.seconds,
        ...(result.error === undefined ? {} : { error: result.error }),
      }
    } catch (error) {
      options.onJob?.({
        kind: 'trial-error',
        label: data.label,
        fold: data.fold,
        error: error instanceof Error ? error.message : String(error),
      })
      throw error
    }
  }
}
