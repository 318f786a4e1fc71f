import { AppError } from '../../core/index.js'
import { distributedTrialRunner, parseQueueUrl, type TrialJobsEvent } from '../../jobs/index.js'
import type { TrialRunner } from '../../train/index.js'
import { asUsage, flagOpt, type ParsedArgs, stringOpt } from '../args.js'
import { info } from '../output.js'

/** The lines of `keel train --help` for `--distributed`, `--queue` and `--job-timeout`. */
export const DISTRIBUTED_TRAIN_USAGE = `
Spread over machines (workers: keel worker --queue URL, on machines that see --data at its path):
  --distributed        run the cross-validation fits of --model auto and of tuning (--trials) as jobs
                       on 'keel worker's; the result is identical to a run without it
  --queue URL          the job queue: postgres://... (pg-boss; default $KEEL_QUEUE_URL)
  --job-timeout S      seconds before a fit whose worker went silent is retried (default 900)`

/** Progress of the trial jobs on stderr, as `keel predict --distributed` reports its parts. */
function logTrialJobs(event: TrialJobsEvent): void {
  switch (event.kind) {
    case 'queued':
      info(`queued ${event.jobs} trial jobs (one per fold of ${event.folds})`)
      break
    case 'progress':
      info(
        `${event.done}/${event.total} trial jobs done, ${event.active} in progress${event.active === 0 && event.done < event.total ? ' (is a keel worker running?)' : ''}`,
      )
      break
    case 'retry':
      info(
        `trial '${event.label}' fold ${event.fold + 1} try ${event.attempt} failed, retrying: ${event.error}`,
      )
      break
    default: {
      const never: never = event
      throw new Error(`unknown trial event ${JSON.stringify(never)}`)
    }
  }
}

/**
 * The trial runner `--distributed` asks for (nothing without it).
 * @throws AppError CLI_USAGE for --distributed without a (PostgreSQL) queue URL, --queue or --job-timeout
 *   without --distributed, or a job timeout that is not a positive whole number.
 */
export function trialRunnerFromArgs(args: ParsedArgs): { trialRunner?: TrialRunner } {
  const timeout = stringOpt(args, 'job-timeout')
  if (!flagOpt(args, 'distributed')) {
    for (const flag of ['queue', 'job-timeout'])
      if (stringOpt(args, flag) !== undefined)
        throw new AppError('CLI_USAGE', `--${flag} applies with --distributed. Run 'keel train --help'.`)
    return {}
  }
  const queueUrl = stringOpt(args, 'queue') ?? process.env.KEEL_QUEUE_URL
  if (queueUrl === undefined || queueUrl === '')
    throw new AppError(
      'CLI_USAGE',
      '--distributed needs a job queue: pass --queue postgres://USER@HOST:5432/DB or set KEEL_QUEUE_URL.',
    )
  // A URL that is not PostgreSQL's is refused now, not after the data is loaded.
  asUsage(() => parseQueueUrl(queueUrl))
  const jobTimeoutSeconds = timeout === undefined ? undefined : Number(timeout)
  if (jobTimeoutSeconds !== undefined && !(Number.isInteger(jobTimeoutSeconds) && jobTimeoutSeconds >= 1))
    throw new AppError(
      'CLI_USAGE',
      `--job-timeout takes a positive whole number of seconds; got '${timeout}'.`,
    )
  return {
    trialRunner: distributedTrialRunner({
      queueUrl,
      ...(jobTimeoutSeconds === undefined ? {} : { jobTimeoutSeconds }),
      onEvent: logTrialJobs,
    }),
  }
}
