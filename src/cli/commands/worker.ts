import { AppError } from '../../core/index.js'
import { startPredictWorker, type WorkerJobEvent } from '../../jobs/index.js'
import { parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'

const USAGE = `Usage: keel worker --queue URL [--concurrency N]

Takes batch-scoring jobs (parts of a 'keel predict --distributed' run) from a job queue and scores
them, until stopped. Start as many as you like, on any machine: each part goes to exactly one
worker at a time, and a part whose worker dies is retried by another once its job timeout passes.

Jobs name files by path: the input's parts and the scored parts live in a folder beside the
coordinator's --output. Workers on other machines need that folder on a shared filesystem, and
the model registry (KEEL_DATABASE_URL) the coordinator uses.

  --queue URL       the job queue: a PostgreSQL URL (pg-boss keeps its tables in the schema
                    'keel_jobs', or the URL's ?schema=NAME). Default: $KEEL_QUEUE_URL
  --concurrency N   parts scored at a time by this process (default 1; scoring already uses
                    worker threads, so more helps mainly when parts wait on disk)

SIGTERM or Ctrl-C stops taking parts and finishes those in hand; a second signal stops at once
(the parts in hand are then retried elsewhere).`

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

/**
 * Test only: `KEEL_WORKER_TEST_DELAY_MS` makes each part wait that long before it is scored, so a
 * test can kill a worker that holds a part. Not a user setting.
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
  summary: 'score parts of distributed batch predictions taken from a job queue',
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
    const worker = await startPredictWorker({
      queueUrl,
      concurrency,
      onJob: logJob,
      ...(testDelayMs === undefined ? {} : { testDelayMs }),
    })
    info(
      `keel worker: waiting for parts (concurrency ${concurrency}); SIGTERM or Ctrl-C stops after the parts in hand`,
    )
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve)
      process.once('SIGINT', resolve)
    })
    info(`${signal}: finishing the parts in hand (a second signal stops at once)`)
    const again = (): void => {
      info('stopping now; the parts in hand will be retried by another worker')
      process.exit(130)
    }
    process.once('SIGTERM', again)
    process.once('SIGINT', again)
    await worker.stop({ graceful: true })
    info('keel worker: stopped')
    return 0
  },
}
