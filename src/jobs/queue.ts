import { setTimeout as sleep } from 'node:timers/promises'
import type PgBoss from 'pg-boss'
import { AppError, InvalidArgumentError, importOptional } from '../core/index.js'

/** Where a job stands. `retry`: it failed (or its worker died) and waits for another try. */
export type JobStateName = 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed'

/** One job to enqueue: its payload and how it is retried. */
export interface NewJob {
  /** Chosen by the sender (a UUID), so it can follow the job without a round trip per job. */
  readonly id: string
  readonly data: Readonly<Record<string, unknown>>
  /** Further tries after the first failure (a worker that dies mid-job counts as a failure). */
  readonly retryLimit: number
  /** A job active for longer is failed and retried: the bound on how long a dead worker holds it. */
  readonly expireInSeconds: number
}

/** A job's state as the coordinator sees it. */
export interface JobStatus {
  readonly id: string
  readonly state: JobStateName
  /** Failed tries so far. */
  readonly retryCount: number
  /** The handler's result once completed; the error (as `{ message, code? }`) once it failed. */
  readonly output: unknown
}

/** A job handed to a worker. `data` is the sender's payload, unchecked: parse it. */
export interface ReceivedJob {
  readonly id: string
  readonly data: unknown
  readonly retryCount: number
}

/** Options of `JobQueue.work`. */
export interface WorkOptions {
  /** Jobs this process runs at a time (default 1). */
  readonly concurrency?: number
  /** How often an idle worker asks for a job (default 2 s, at least 0.5 s). */
  readonly pollingIntervalSeconds?: number
}

/**
 * The job engine Keel's distributed commands use, kept this small so that another engine
 * (BullMQ, NATS JetStream) could stand in for pg-boss without touching the coordinator or the
 * worker. Delivery is at least once: a handler must be safe to run twice for the same job.
 */
export interface JobQueue {
  /** Enqueues jobs on `queue` (created if missing). */
  send(queue: string, jobs: readonly NewJob[]): Promise<void>
  /**
   * Runs `handler` for jobs of `queue` until `close`: its result completes the job, a throw fails
   * it (to be retried while its retry limit allows).
   */
  work(queue: string, options: WorkOptions, handler: (job: ReceivedJob) => Promise<object>): Promise<void>
  /** The current state of the given jobs (unknown ids are left out). */
  status(queue: string, ids: readonly string[]): Promise<JobStatus[]>
  /** Cancels jobs that have not completed (a coordinator giving up). */
  cancel(queue: string, ids: readonly string[]): Promise<void>
  /** Stops working and disconnects; with `graceful`, waits for running handlers to finish first. */
  close(options?: { readonly graceful?: boolean }): Promise<void>
}

/** Options of `openJobQueue`. */
export interface OpenJobQueueOptions {
  /** PostgreSQL schema for pg-boss's tables (default: the URL's `?schema=`, else `keel_jobs`). */
  readonly schema?: string
  /**
   * Run pg-boss's maintenance here (expiring jobs of dead workers so they are retried) every this
   * many seconds; undefined: no maintenance in this process. The coordinator supervises; workers
   * need not.
   */
  readonly maintenanceIntervalSeconds?: number
}

const DEFAULT_SCHEMA = 'keel_jobs'

/** PostgreSQL's SQLSTATE for a transaction aborted to break a deadlock. */
const DEADLOCK_DETECTED = '40P01'

/** Splits `?schema=NAME` off a queue URL: pg-boss takes the schema as an option, not in the URL. */
export function parseQueueUrl(url: string): { connectionString: string; schema: string | undefined } {
  if (!/^postgres(ql)?:\/\//.test(url))
    throw new InvalidArgumentError(
      `Queue URL '${redactUrl(url)}' is not a PostgreSQL URL. Pass --queue postgres://USER@HOST:5432/DB (jobs run on pg-boss in that database).`,
    )
  const parsed = new URL(url)
  const schema = parsed.searchParams.get('schema') ?? undefined
  parsed.searchParams.delete('schema')
  return { connectionString: parsed.toString(), schema }
}

/** The URL without its password, for messages. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@')
}

/**
 * Opens the job queue at a PostgreSQL URL, on pg-boss. Why pg-boss: Keel's path to scale already
 * runs through PostgreSQL (registry, tracking, prediction log), and pg-boss adds only tables in a
 * schema of that database, no new service; it brings retries, expiry of jobs whose worker died, and
 * exactly-once hand-out and completion through row locks (`FOR UPDATE SKIP LOCKED`). pg-boss is an
 * optional peer dependency, loaded here on first use.
 *
 * @param url `postgres://…`, optionally with `?schema=NAME` for pg-boss's tables
 * @throws InvalidArgumentError for a URL that is not PostgreSQL's; MissingDependencyError
 *   (`DEPENDENCY_MISSING`) when pg-boss is not installed; AppError `STORE_UNAVAILABLE` when the
 *   database cannot be reached.
 */
export async function openJobQueue(url: string, options: OpenJobQueueOptions = {}): Promise<JobQueue> {
  const { connectionString, schema: urlSchema } = parseQueueUrl(url)
  const schema = options.schema ?? urlSchema ?? DEFAULT_SCHEMA
  if (!/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new InvalidArgumentError(
      `Invalid job queue schema '${schema}': use lower-case letters, digits and _.`,
    )
  const { default: Boss } = await importOptional(
    'pg-boss',
    'Distributed scoring (keel worker, keel predict --distributed)',
    () => import('pg-boss'),
  )
  const supervise = options.maintenanceIntervalSeconds !== undefined
  const boss = new Boss({
    connectionString,
    schema,
    supervise,
    schedule: false,
    ...(supervise ? { maintenanceIntervalSeconds: options.maintenanceIntervalSeconds } : {}),
  })
  // pg-boss reports background failures (a lost connection while polling) as events; without a
  // listener Node would treat them as uncaught. Polling retries on its own, so they are noted only.
  let lastError: Error | undefined
  boss.on('error', (error) => {
    lastError = error
  })
  try {
    await boss.start()
  } catch (error) {
    throw new AppError(
      'STORE_UNAVAILABLE',
      `Cannot open the job queue at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}. Check the URL and that PostgreSQL runs.`,
      { cause: error },
    )
  }
  return new PgBossQueue(boss, schema, () => lastError)
}

/** The pg-boss adapter: the only file that knows pg-boss's API. */
class PgBossQueue implements JobQueue {
  private readonly created = new Set<string>()

  constructor(
    private readonly boss: PgBoss,
    private readonly schema: string,
    readonly lastError: () => Error | undefined,
  ) {}

  private async ensureQueue(queue: string): Promise<void> {
    if (this.created.has(queue)) return
    // Idempotent (INSERT … ON CONFLICT DO NOTHING), so coordinator and workers may both call it. Two
    // processes creating two new queues at once (workers starting together on a fresh schema) can
    // deadlock on attaching their partitions; PostgreSQL aborts one, which then tries again.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.boss.createQueue(queue)
        break
      } catch (error) {
        const isDeadlock = (error as { code?: unknown }).code === DEADLOCK_DETECTED
        if (!isDeadlock || attempt >= 5) throw error
        await sleep(50 + Math.random() * 200 * attempt)
      }
    }
    this.created.add(queue)
  }

  async send(queue: string, jobs: readonly NewJob[]): Promise<void> {
    await this.ensureQueue(queue)
    await this.boss.insert(
      jobs.map((job) => ({
        id: job.id,
        name: queue,
        data: { ...job.data },
        retryLimit: job.retryLimit,
        expireInSeconds: job.expireInSeconds,
      })),
    )
  }

  async work(
    queue: string,
    options: WorkOptions,
    handler: (job: ReceivedJob) => Promise<object>,
  ): Promise<void> {
    await this.ensureQueue(queue)
    const concurrency = options.concurrency ?? 1
    // One pg-boss worker per slot: each fetches one job at a time, so a slow job never holds a
    // fetched-but-unstarted job hostage.
    for (let i = 0; i < concurrency; i++) {
      let workerId: string | undefined
      workerId = await this.boss.work(
        queue,
        {
          batchSize: 1,
          includeMetadata: true,
          pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2,
        },
        async (batch) => {
          const job = batch[0]
          if (job === undefined) return {}
          try {
            return await handler({ id: job.id, data: job.data, retryCount: job.retryCount })
          } finally {
            // pg-boss waits out the polling interval even after a job; a notified worker fetches
            // again at once, so back-to-back parts have no idle gap (an empty queue still waits).
            if (workerId !== undefined) this.boss.notifyWorker(workerId)
          }
        },
      )
    }
  }

  async status(queue: string, ids: readonly string[]): Promise<JobStatus[]> {
    if (ids.length === 0) return []
    // One query for all ids: pg-boss's getJobById costs a round trip per job, and a coordinator
    // polling a few hundred trials every half second spent a core on it. The tables are pg-boss
    // 10's (`job`, and `archive` for jobs it moved there); should the layout differ, the per-id
    // lookup still answers.
    try {
      const { rows } = await this.boss
        .getDb()
        .executeSql(
          `SELECT id, state, retry_count AS "retryCount", output FROM ${this.schema}.job WHERE name = $1 AND id = ANY($2::uuid[]) UNION ALL SELECT id, state, retry_count, output FROM ${this.schema}.archive WHERE name = $1 AND id = ANY($2::uuid[])`,
          [queue, [...ids]],
        )
      return (rows as { id: string; state: JobStateName; retryCount: number; output: unknown }[]).map(
        (job) => ({
          id: job.id,
          state: job.state,
          retryCount: job.retryCount,
          output: job.output,
        }),
      )
    } catch {
      return this.statusOneByOne(queue, ids)
    }
  }

  private async statusOneByOne(queue: string, ids: readonly string[]): Promise<JobStatus[]> {
    const found = await Promise.all(
      ids.map((id) => this.boss.getJobById<unknown>(queue, id, { includeArchive: true })),
    )
    return found
      .filter((job) => job !== null)
      .map((job) => ({ id: job.id, state: job.state, retryCount: job.retryCount, output: job.output }))
  }

  async cancel(queue: string, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.boss.cancel(queue, [...ids])
  }

  async close(options: { readonly graceful?: boolean } = {}): Promise<void> {
    const graceful = options.graceful ?? false
    // `wait`: resolve only once pg-boss has stopped (and, graceful, its handlers have returned).
    await this.boss.stop({ graceful, wait: true, close: true, timeout: graceful ? 3_600_000 : 1000 })
  }
}
