import {
  makePredictJobHandler,
  PREDICT_QUEUE,
  type PredictWorker,
  type WorkerJobEvent,
} from './distributed-predict.js'
import { makeTrialJobHandler, TRIAL_QUEUE, type TrialJobEvent } from './distributed-trials.js'
import { openJobQueue } from './queue.js'

/** Options of `startWorker`. */
export interface WorkerOptions {
  readonly queueUrl: string
  /**
   * Jobs of each kind run at a time by this process (default 1): scoring parts and training
   * trials are taken from their own queues, so a busy worker may hold one of each.
   */
  readonly concurrency?: number
  /** How often an idle worker asks for a job (default 1 s). */
  readonly pollingIntervalSeconds?: number
  /** The registry's database for scoring parts (default: `KEEL_DATABASE_URL` or `.keel/keel.db`). */
  readonly storeUrl?: string
  /** Called when a scoring part starts, ends or fails (for the worker's log). */
  readonly onPart?: (event: WorkerJobEvent) => void
  /** Called when a training trial starts, ends or fails (for the worker's log). */
  readonly onTrial?: (event: TrialJobEvent) => void
  /**
   * @internal Test only: waits this long after taking a job, before running it, so a test can kill
   * a worker that holds one.
   */
  readonly testDelayMs?: number
}

/**
 * Starts taking jobs of both kinds from the queue at `queueUrl` until `stop`: parts of
 * `keel predict --distributed` and cross-validation trials of `keel train --distributed`. Jobs
 * name shared paths (the scored parts' folder, the training data): a worker on another machine
 * needs them on a shared filesystem.
 *
 * @example
 * const worker = await startWorker({ queueUrl: process.env.KEEL_QUEUE_URL! })
 * process.once('SIGTERM', () => void worker.stop())
 * @throws AppError STORE_UNAVAILABLE or DEPENDENCY_MISSING when the queue cannot be opened.
 */
export async function startWorker(options: WorkerOptions): Promise<PredictWorker> {
  const queue = await openJobQueue(options.queueUrl)
  const work = {
    concurrency: options.concurrency ?? 1,
    pollingIntervalSeconds: options.pollingIntervalSeconds ?? 1,
  }
  const delay = options.testDelayMs === undefined ? {} : { testDelayMs: options.testDelayMs }
  await queue.work(
    PREDICT_QUEUE,
    work,
    makePredictJobHandler({
      ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
      ...(options.onPart === undefined ? {} : { onJob: options.onPart }),
      ...delay,
    }),
  )
  await queue.work(
    TRIAL_QUEUE,
    work,
    makeTrialJobHandler({ ...(options.onTrial === undefined ? {} : { onJob: options.onTrial }), ...delay }),
  )
  return {
    stop: (stopOptions = {}) => queue.close({ graceful: stopOptions.graceful ?? true }),
  }
}
