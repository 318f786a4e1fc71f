import { setTimeout as sleep } from 'node:timers/promises'
import type { ErrorCode } from '../core/error-codes.js'
import { AppError } from '../core/index.js'
import type { JobQueue, JobStatus } from './queue.js'

/** A job the coordinator waits for, with how to name it in messages. */
export interface AwaitedJob {
  readonly id: string
  /** E.g. `trial 'tuning trial 7' (gbdt, fold 2/5)`: who failed, in the error that ends the run. */
  readonly describe: string
  /** Added to the details of the error that ends the run when this job fails. */
  readonly details?: Readonly<Record<string, unknown>>
}

/** What `awaitJobs` reports while it waits. */
export type AwaitEvent =
  | {
      readonly kind: 'progress'
      readonly done: number
      readonly total: number
      /** Jobs a worker holds now; 0 for long means no `keel worker` is running. */
      readonly active: number
      /** Failed tries retried so far. */
      readonly retries: number
    }
  | {
      readonly kind: 'retry'
      /** Index of the job in the awaited list. */
      readonly index: number
      /** The try that failed (1 = the first). */
      readonly attempt: number
      readonly error: string
    }

/** Options of `awaitJobs`. */
export interface AwaitJobsOptions {
  readonly pollIntervalMs: number
  readonly onEvent?: (event: AwaitEvent) => void
  /** Called once per job as it completes, with its index and the handler's result. */
  readonly onCompleted: (index: number, output: unknown) => void
}

/** The message (and code, for a Keel error) of a failed job's output, as pg-boss stored it. */
export function failureOf(output: unknown): { message: string; code: string | undefined } {
  if (typeof output === 'object' && output !== null) {
    const record = output as Record<string, unknown>
    // pg-boss wraps a non-object result; a thrown error is stored as its serialised fields.
    const inner =
      typeof record.value === 'object' && record.value !== null
        ? (record.value as Record<string, unknown>)
        : record
    const message = typeof inner.message === 'string' ? inner.message : JSON.stringify(output)
    return { message, code: typeof inner.code === 'string' ? inner.code : undefined }
  }
  return { message: String(output), code: undefined }
}

/**
 * Polls the jobs until every one completed, reporting progress and retries; resolves with the
 * number of failed tries that were retried.
 *
 * @throws AppError with the failing job's own code (JOB_FAILED when it has none, e.g. it timed out
 *   on every try) naming the job, once a job failed more than its retry limit or was cancelled.
 */
export async function awaitJobs(
  queue: JobQueue,
  queueName: string,
  jobs: readonly AwaitedJob[],
  options: AwaitJobsOptions,
): Promise<number> {
  const emit = options.onEvent ?? (() => {})
  const indexOf = new Map(jobs.map((job, index) => [job.id, index]))
  const open = new Set(indexOf.keys())
  // Failed tries already reported, per job: a job is retried as state 'retry', then 'active' again
  // with its retryCount raised.
  const reportedFailures = new Map<string, number>()
  let retries = 0
  let last = ''
  while (open.size > 0) {
    const states: JobStatus[] = await queue.status(queueName, [...open])
    let active = 0
    for (const job of states) {
      const index = indexOf.get(job.id)!
      const failures = job.retryCount + (job.state === 'retry' || job.state === 'failed' ? 1 : 0)
      const seen = reportedFailures.get(job.id) ?? 0
      if (failures > seen && job.state !== 'failed') {
        reportedFailures.set(job.id, failures)
        retries += failures - seen
        emit({ kind: 'retry', index, attempt: failures, error: failureOf(job.output).message })
      }
      switch (job.state) {
        case 'completed':
          open.delete(job.id)
          options.onCompleted(index, job.output)
          break
        case 'failed':
        case 'cancelled': {
          const { message, code } = failureOf(job.output)
          const tries = job.retryCount + 1
          const describe = jobs[index]!.describe
          throw new AppError(
            // The job's own code (DATA_MISSING_COLUMN, …) tells the user what to fix; it was thrown
            // by a Keel worker, so it is a catalogued code.
            (code !== undefined && /^[A-Z][A-Z_]+$/.test(code) ? code : 'JOB_FAILED') as ErrorCode,
            job.state === 'cancelled'
              ? `${describe} was cancelled on the queue.`
              : `${describe} failed after ${tries} ${tries === 1 ? 'try' : 'tries'}: ${message}`,
            { details: { job: describe, ...jobs[index]!.details, tries } },
          )
        }
        case 'active':
          active++
          break
        case 'created':
        case 'retry':
          break
        default: {
          const never: never = job.state
          return never
        }
      }
    }
    const progress = `${jobs.length - open.size}/${active}/${retries}`
    if (progress !== last) {
      last = progress
      emit({ kind: 'progress', done: jobs.length - open.size, total: jobs.length, active, retries })
    }
    if (open.size > 0) await sleep(options.pollIntervalMs)
  }
  return retries
}
