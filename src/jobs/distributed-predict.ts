import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { access, mkdir, rm } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { z } from 'zod'
import { AppError, InvalidArgumentError, trackTempFiles } from '../core/index.js'
import type { ParquetColumn } from '../data/index.js'
import { loadBundleByRef, type ModelBundle, predictFile, predictOutputFormat } from '../train/index.js'
import { awaitJobs } from './await-jobs.js'
import { mergeParts } from './merge.js'
import { type JobQueue, type NewJob, openJobQueue } from './queue.js'
import { partFileName, stageParts } from './split.js'

/** The pg-boss queue that carries scoring jobs. */
export const PREDICT_QUEUE = 'keel-predict'

/** Rows per job by default: a few seconds of scoring, so retries and progress stay fine-grained. */
export const DEFAULT_PART_ROWS = 50_000

/** One scoring job: score `input` (a part's rows) with `model` into `output`. Paths are absolute. */
const predictJobSchema = z.object({
  runId: z.string(),
  /** Always `name@version`: the coordinator resolved aliases, so every part uses the same version. */
  model: z.string().regex(/@\d+$/),
  input: z.string(),
  output: z.string(),
  part: z.number().int().nonnegative(),
  rowStart: z.number().int().nonnegative(),
  rowCount: z.number().int().positive(),
})

/** The payload of a scoring job. */
export type PredictJobData = z.infer<typeof predictJobSchema>

/** What a completed scoring job reports. */
const jobResultSchema = z.object({ rows: z.number().int() })

/** What the coordinator reports while a distributed run goes. */
export type DistributedEvent =
  | { readonly kind: 'resolved'; readonly model: string }
  | { readonly kind: 'staged'; readonly rows: number; readonly parts: number }
  | {
      readonly kind: 'progress'
      readonly partsDone: number
      readonly parts: number
      readonly rowsDone: number
      readonly rows: number
      /** Parts a worker holds now; 0 for long means no `keel worker` is running. */
      readonly active: number
    }
  | {
      readonly kind: 'retry'
      readonly part: number
      readonly rowStart: number
      readonly rowCount: number
      /** The try that failed (1 = the first). */
      readonly attempt: number
      readonly error: string
    }
  | { readonly kind: 'merged'; readonly output: string }

/** Options of `predictDistributed`. */
export interface PredictDistributedOptions {
  /** PostgreSQL URL of the job queue (pg-boss), optionally with `?schema=NAME`. */
  readonly queueUrl: string
  /** Registry reference: NAME, NAME@VERSION or NAME@ALIAS; resolved once, before any job is sent. */
  readonly model: string
  readonly input: string
  /** Parquet for `.parquet`/`.pq`, CSV otherwise, as `keel predict`. */
  readonly output: string
  /** Rows per job (default `DEFAULT_PART_ROWS`). */
  readonly partRows?: number
  /** Further tries of a failed part before the run fails (default 3). */
  readonly retryLimit?: number
  /**
   * A part held longer than this by a worker is taken back and retried (default 900 s): the bound
   * on how long a dead worker delays the run. Must exceed the time one part takes to score.
   */
  readonly jobTimeoutSeconds?: number
  /** How often the job states are read (default 1000 ms). */
  readonly pollIntervalMs?: number
  /** The registry's database (default: as `keel predict`, `KEEL_DATABASE_URL` or `.keel/keel.db`). */
  readonly storeUrl?: string
  readonly onEvent?: (event: DistributedEvent) => void
}

/** What `predictDistributed` wrote. */
export interface PredictDistributedResult {
  readonly nRows: number
  readonly parts: number
  /** Failed tries that were retried (a killed worker's part counts once). */
  readonly retries: number
  readonly format: 'csv' | 'parquet'
  readonly output: string
  /** The `name@version` every part was scored with. */
  readonly model: string
}

/** Extra output columns after `prediction`, as `predictFile` names them. */
function scoreColumns(bundle: ModelBundle): string[] {
  switch (bundle.task) {
    case 'binary':
      return ['probability']
    case 'multiclass':
      return bundle.classes.map((c) => `proba_${c}`)
    default:
      return []
  }
}

/**
 * Scores a file on `keel worker` processes: resolves the model to one version, splits the input
 * into parts of `partRows` rows (each written to a file of its own, typed as the whole file is
 * read), sends one job per part to the queue, waits while workers score them, then merges the
 * scored parts in input order into `output` (temporary file, renamed when complete).
 *
 * Exactly-once output: a part's file is a function of its row range, written under a temporary
 * name and renamed when complete, so a part scored twice (a worker that died mid-job, its job
 * retried elsewhere) is replaced by identical bytes, and the merge reads complete parts only. The
 * result equals a single-process `keel predict` of the same input, byte for byte for CSV.
 *
 * Workers must see the same paths: the staged parts and scored parts live in a folder beside
 * `output`, so on several machines that folder must be on a shared filesystem.
 *
 * @example
 * const result = await predictDistributed({
 *   queueUrl: 'postgres://keel@db:5432/keel',
 *   model: 'churn@production',
 *   input: 'customers.parquet',
 *   output: 'scores.csv',
 *   onEvent: (e) => console.error(e),
 * })
 * @throws AppError INVALID_ARGUMENT when the output is the input; the codes of `loadBundleByRef`
 *   and `streamDataset` for the model and input; AppError STORE_UNAVAILABLE or DEPENDENCY_MISSING
 *   for the queue; the failing part's own code (INTERNAL when it has none, e.g. it timed out on
 *   every try) once a part has failed more than `retryLimit` times.
 */
export async function predictDistributed(
  options: PredictDistributedOptions,
): Promise<PredictDistributedResult> {
  const partRows = options.partRows ?? DEFAULT_PART_ROWS
  const retryLimit = options.retryLimit ?? 3
  const jobTimeoutSeconds = options.jobTimeoutSeconds ?? 900
  const pollIntervalMs = options.pollIntervalMs ?? 1000
  if (!Number.isInteger(jobTimeoutSeconds) || jobTimeoutSeconds < 1)
    throw new InvalidArgumentError(`jobTimeoutSeconds must be a positive integer, got ${jobTimeoutSeconds}.`)
  if (!Number.isInteger(retryLimit) || retryLimit < 0)
    throw new InvalidArgumentError(`retryLimit must be a non-negative integer, got ${retryLimit}.`)
  const input = resolve(options.input)
  const output = resolve(options.output)
  if (input === output)
    throw new AppError(
      'INVALID_ARGUMENT',
      `--output '${options.output}' is the input file; scoring would replace your data with the scored copy. Write to another file.`,
    )
  const emit = options.onEvent ?? (() => {})
  const { bundle, name, version } = await loadBundleByRef(options.model, options.storeUrl)
  const model = `${name}@${version}`
  emit({ kind: 'resolved', model })
  await access(dirname(output), constants.W_OK).catch((error: unknown) => {
    throw new AppError('DATA_WRITE', `Cannot write to the folder of '${options.output}': ${String(error)}.`, {
      cause: error,
    })
  })

  // Maintenance (taking back parts of dead workers) runs here, often enough to notice a dead
  // worker soon after its parts expire.
  const queue = await openJobQueue(options.queueUrl, {
    maintenanceIntervalSeconds: Math.max(1, Math.min(30, Math.floor(jobTimeoutSeconds / 2))),
  })
  const runId = randomUUID()
  const workDir = join(dirname(output), `.keel-distributed-${basename(output)}-${runId.slice(0, 8)}`)
  const untrack = trackTempFiles(workDir)
  let pending: string[] = []
  try {
    await mkdir(workDir)
    const staged = await stageParts(input, workDir, partRows)
    emit({ kind: 'staged', rows: staged.nRows, parts: staged.parts.length })
    const jobs: (NewJob & { data: PredictJobData })[] = staged.parts.map((part) => ({
      id: randomUUID(),
      retryLimit,
      expireInSeconds: jobTimeoutSeconds,
      data: {
        runId,
        model,
        input: part.inputPath,
        output: join(workDir, partFileName('part', part.index, 'csv')),
        part: part.index,
        rowStart: part.rowStart,
        rowCount: part.rowCount,
      },
    }))
    await queue.send(PREDICT_QUEUE, jobs)
    pending = jobs.map((job) => job.id)
    const retries = await waitForJobs(queue, jobs, pollIntervalMs, staged.nRows, emit)
    pending = []

    const extra = scoreColumns(bundle)
    const header = [...staged.columns.map((c) => c.name), 'prediction', ...extra]
    const format = predictOutputFormat(output)
    const columns: ParquetColumn[] = [
      ...staged.columns.map((c) => ({ name: c.name, type: c.kind })),
      { name: 'prediction', type: bundle.task === 'regression' ? 'double' : 'text' },
      ...extra.map((column): ParquetColumn => ({ name: column, type: 'double' })),
    ]
    await mergeParts(
      jobs.map((job) => job.data.output),
      output,
      { header, format, columns },
    )
    emit({ kind: 'merged', output })
    return { nRows: staged.nRows, parts: jobs.length, retries, format, output, model }
  } finally {
    // A coordinator that gives up takes its parts off the queue, so no worker scores them for nothing.
    if (pending.length > 0) await queue.cancel(PREDICT_QUEUE, pending).catch(() => undefined)
    await queue.close()
    await rm(workDir, { recursive: true, force: true })
    untrack()
  }
}

/** Waits for the parts (`awaitJobs`), checking each part's row count; returns the retry count. */
async function waitForJobs(
  queue: JobQueue,
  jobs: readonly { readonly id: string; readonly data: PredictJobData }[],
  pollIntervalMs: number,
  totalRows: number,
  emit: (event: DistributedEvent) => void,
): Promise<number> {
  const name = (data: PredictJobData): string =>
    `Part ${data.part} (rows ${data.rowStart}-${data.rowStart + data.rowCount - 1})`
  let rowsDone = 0
  return awaitJobs(
    queue,
    PREDICT_QUEUE,
    jobs.map((job) => ({
      id: job.id,
      describe: name(job.data),
      details: { part: job.data.part, rowStart: job.data.rowStart, rowCount: job.data.rowCount },
    })),
    {
      pollIntervalMs,
      onCompleted: (index, output) => {
        const data = jobs[index]!.data
        const result = jobResultSchema.safeParse(output)
        if (!result.success || result.data.rows !== data.rowCount)
          throw new AppError(
            'JOB_FAILED',
            `${name(data)} completed with ${JSON.stringify(output)} instead of ${data.rowCount} rows.`,
          )
        rowsDone += data.rowCount
      },
      onEvent: (event) => {
        if (event.kind === 'progress')
          emit({
            kind: 'progress',
            partsDone: event.done,
            parts: event.total,
            rowsDone,
            rows: totalRows,
            active: event.active,
          })
        else {
          const data = jobs[event.index]!.data
          emit({
            kind: 'retry',
            part: data.part,
            rowStart: data.rowStart,
            rowCount: data.rowCount,
            attempt: event.attempt,
            error: event.error,
          })
        }
      },
    },
  )
}

/** Options of `startPredictWorker`. */
export interface PredictWorkerOptions {
  readonly queueUrl: string
  /** Parts scored at a time by this process (default 1; scoring already uses worker threads). */
  readonly concurrency?: number
  /** How often an idle worker asks for a part (default 1 s). */
  readonly pollingIntervalSeconds?: number
  /** The registry's database (default: `KEEL_DATABASE_URL` or `.keel/keel.db`). */
  readonly storeUrl?: string
  /** Called when a part starts, ends or fails (for the worker's log). */
  readonly onJob?: (event: WorkerJobEvent) => void
  /**
   * @internal Test only: waits this long after taking a part, before scoring it, so a test can kill
   * a worker that holds one.
   */
  readonly testDelayMs?: number
}

/** A worker's log line about one part. */
export type WorkerJobEvent =
  | { readonly kind: 'start'; readonly part: number; readonly model: string; readonly attempt: number }
  | { readonly kind: 'done'; readonly part: number; readonly rows: number; readonly ms: number }
  | { readonly kind: 'error'; readonly part: number; readonly error: string }

/** A running worker. */
export interface PredictWorker {
  /** Stops taking parts; graceful (the default) first lets the parts in hand finish. */
  stop(options?: { readonly graceful?: boolean }): Promise<void>
}

/**
 * Makes the job handler: loads each model version's bundle once (every job names a concrete
 * `name@version`, so the cache never goes stale) and scores a part with `predictFile`, which
 * writes to a temporary file and renames it when complete: running a job twice writes the same file.
 */
export function makePredictJobHandler(
  options: Pick<PredictWorkerOptions, 'storeUrl' | 'onJob' | 'testDelayMs'> = {},
): (job: { readonly data: unknown; readonly retryCount: number }) => Promise<{ rows: number }> {
  const bundles = new Map<string, Promise<ModelBundle>>()
  const bundleFor = (model: string): Promise<ModelBundle> => {
    let pending = bundles.get(model)
    if (pending === undefined) {
      pending = loadBundleByRef(model, options.storeUrl).then((loaded) => loaded.bundle)
      // A failed load (registry briefly unreachable) is not cached: the retry tries again.
      pending.catch(() => bundles.delete(model))
      bundles.set(model, pending)
    }
    return pending
  }
  return async (job) => {
    const parsed = predictJobSchema.safeParse(job.data)
    if (!parsed.success)
      throw new AppError('INVALID_ARGUMENT', `Not a keel scoring job: ${parsed.error.message.split('\n')[0]}`)
    const data = parsed.data
    const started = Date.now()
    options.onJob?.({ kind: 'start', part: data.part, model: data.model, attempt: job.retryCount + 1 })
    try {
      const bundle = await bundleFor(data.model)
      if (options.testDelayMs !== undefined && options.testDelayMs > 0) await sleep(options.testDelayMs)
      const result = await predictFile(bundle, data.input, data.output)
      if (result.nRows !== data.rowCount)
        throw new AppError(
          'JOB_FAILED',
          `Part ${data.part} holds ${result.nRows} rows, expected ${data.rowCount}; its staged file is damaged. Run the command again.`,
        )
      options.onJob?.({ kind: 'done', part: data.part, rows: result.nRows, ms: Date.now() - started })
      return { rows: result.nRows }
    } catch (error) {
      options.onJob?.({
        kind: 'error',
        part: data.part,
        error: error instanceof Error ? error.message : String(error),
      })
      throw error
    }
  }
}

/**
 * Starts taking scoring parts from the queue at `queueUrl` until `stop`. Parts name shared paths:
 * a worker on another machine needs the coordinator's output folder on a shared filesystem.
 *
 * @example
 * const worker = await startPredictWorker({ queueUrl: process.env.KEEL_QUEUE_URL! })
 * process.once('SIGTERM', () => void worker.stop())
 * @throws AppError STORE_UNAVAILABLE or DEPENDENCY_MISSING when the queue cannot be opened.
 */
export async function startPredictWorker(options: PredictWorkerOptions): Promise<PredictWorker> {
  const queue = await openJobQueue(options.queueUrl)
  const handler = makePredictJobHandler(options)
  await queue.work(
    PREDICT_QUEUE,
    {
      concurrency: options.concurrency ?? 1,
      pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
    },
    handler,
  )
  return {
    stop: (stopOptions = {}) => queue.close({ graceful: stopOptions.graceful ?? true }),
  }
}
