import { AppError } from '../../core/index.js'
import { startWorker, type TrialJobEvent, type WorkerJobEvent } from '../../jobs/index.js'
import { parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'

const USAGE = `Usage: keel worker --queue URL [--concurrency N]

Takes jobs from a job queue and runs them, until stopped: batch-scoring parts of a
'keel predict --distributed' run, and cross-validation trials (one fold's fit) of a
'keel train --distributed' run. Start as many as you like, on any machine: each job goes to exactly
one worker at a time, and a job whose worker dies is retried by another once its job timeout passes.

Jobs name files by path: the input's parts and the scored parts live in a folder beside the
coordinator's --output, and trials read the training data at the path 'keel train' was given
(made absolute). Workers on other machines need those paths on a shared filesystem, and the model
registry (KEEL_DATABASE_URL) the coordinator uses.

  --queue URL       the job queue: a PostgreSQL URL (pg-boss keeps its tables in the schema
                    'keel_jobs', or the URL's ?schema=NAME). Default: $KEEL_QUEUE_URL
  --concurrency N   jobs of each kind run at a time by this process (default 1; scoring and fits
                    already use worker threads, so more helps mainly when parts wait on disk)

SIGTERM or Ctrl-C stops taking jobs and finishes those in hand; a second signal stops at once
(the jobs in hand are then retried elsewhere).`

function logJob(event: WorkerJobEvent): void {
  switch (event.kind) {
    case 'start':
      info(`part ${event.part}: started (${event.model}, try ${event.attempt})`)
      break
    case 'done':
      info(`part ${event.part}: done, ${event.rows} rows in ${event.ms} ms`)
      break
    case 'error':
      info(`part ${event.part}: failed: ${event.error}`)
      break
    default: {
      const never: never = event
      throw new Error(`unknown worker event ${JSON.stringify(never)}`)
    }
  }
}

function logTrial(event: TrialJobEvent): void {
  const name = `trial '${event.label}' fold ${event.fold + 1}`
  switch (event.kind) {
    case 'trial-start':
      info(`${name}: started (${event.family}, try ${event.attempt})`)
      break
    case 'trial-done':
      info(`${name}: done, score ${event.score} in ${event.ms} ms`)
      break
    case 'trial-error':
      info(`${name}: failed: ${event.error}`)
      break
    default: {
      const never: never = event
      throw new Error(`unknown worker event ${JSON.stringify(never)}`)
    }
  }
}

/**
 * Test only: `KEEL_WORKER_TEST_DELAY_MS` makes each job wait that long before it runs, so a
 * test can kill a worker that holds one. Not a user setting.
 */
function testDelayFromEnv(): number | undefined {
  const raw = process.env.KEEL_WORKER_TEST_DELAY_MS
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** `keel worker`. */
export const workerCommand: Command = {
  name: 'worker',
  summary: 'run jobs of distributed batch predictions and training trials taken from a job queue',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      { queue: { type: 'string' }, concurrency: { type: 'string' } },
      USAGE,
      { command: 'keel worker' },
    )
    const queueUrl = requireOption(stringOpt(args, 'queue') ?? process.env.KEEL_QUEUE_URL, 'queue', USAGE)
    const rawConcurrency = stringOpt(args, 'concurrency') ?? '1'
    const concurrency = Number(rawConcurrency)
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
      throw new AppError(
        'CLI_USAGE',
        `--concurrency must be an integer from 1 to 64, got '${rawConcurrency}'.`,
      )
    const testDelayMs = testDelayFromEnv()
    const worker = await startWorker({
      queueUrl,
      concurrency,
      onPart: logJob,
      onTrial: logTrial,
      ...(testDelayMs === undefined ? {} : { testDelayMs }),
    })
    info(
      `keel worker: waiting for parts and trials (concurrency ${concurrency}); SIGTERM or Ctrl-C stops after the jobs in hand`,
    )
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    info(`${signal}: finishing the jobs in hand (a second signal stops at once)`)
    const again = (): void => {
      info('stopping now; the jobs in hand will be retried by another worker')
      process.exit(130)
    }
    process.once('SIGTERM', again)
    process.once('SIGINT', again)
    await worker.stop({ graceful: true })
    info('keel worker: stopped')
    return 0
  },
}
