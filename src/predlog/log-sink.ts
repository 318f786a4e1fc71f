import { Worker } from 'node:worker_threads'
import type { Kysely } from 'kysely'
import { ServeError } from '../http/index.js'
import { dbErrorCode, isTransientDbError, type KeelDb, type SqlCell } from '../store/index.js'
import type { PredictionRow, ServeTables } from './tables.js'

/**
 * Where the prediction log writes its batches of encoded rows. `writeBatch` resolves once the batch is
 * committed (all or nothing) and rejects when it is not, with a `SERVE_LOG_WRITE_FAILED` error whose
 * `details.transient` says whether the same batch can succeed later (database unreachable, disk full
 * or read-only) or is refused for good; `close` releases what the sink holds after the last write.
 */
export interface PredictionLogSink {
  writeBatch(rows: readonly PredictionRow[]): Promise<void>
  close(): Promise<void>
}

/**
 * Columns of `serve_predictions` in the order the thread sink sends them (every column of the row);
 * `writeBatch` reads them by name in this same order.
 */
const COLUMNS = [
  'id',
  'ts',
  'model',
  'version',
  'variant',
  'experiment_id',
  'request_key',
  'features',
  'outputs',
  'score',
  'latency_ms',
  'served_by',
  'shadow_of',
] as const satisfies readonly (keyof PredictionRow)[]

/**
 * A sink's write error: names the store's code and says whether a retry can succeed (see
 * `isTransientDbError`). @internal
 */
export function logWriteError(
  message: string,
  code: string | undefined,
  transient: boolean,
  cause?: unknown,
): ServeError {
  return new ServeError('SERVE_LOG_WRITE_FAILED', `Prediction log write failed: ${message}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { transient, ...(code === undefined ? {} : { dbCode: code }) },
  })
}

/** True when a failed batch should stay queued for a later retry instead of counting towards a drop. */
export function isTransientLogError(error: unknown): boolean {
  return isTransientDbError(error)
}

/**
 * Writes through the store's query builder on the calling thread: the portable sink (PostgreSQL, whose
 * driver does its I/O asynchronously, and in-memory SQLite, which no other thread can open).
 */
export function kyselyLogSink(db: Kysely<ServeTables>): PredictionLogSink {
  return {
    async writeBatch(rows) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx.insertInto('serve_predictions').values(rows).execute()
        })
      } catch (error) {
        throw logWriteError((error as Error).message, dbErrorCode(error), isTransientDbError(error), error)
      }
    },
    async close() {},
  }
}

/** Messages between the log's thread sink and its writer thread. @internal */
export type LogWriterRequest =
  | { readonly kind: 'write'; readonly id: number; readonly values: SqlCell[] }
  | { readonly kind: 'close' }
/** @internal */
export type LogWriterReply =
  | { readonly kind: 'done'; readonly id: number }
  | { readonly kind: 'error'; readonly id: number; readonly message: string; readonly code?: string }
  | { readonly kind: 'closed' }

/** What the writer thread receives at start. @internal */
export interface LogWriterData {
  readonly url: string
  readonly table: string
  readonly columns: readonly string[]
}

/**
 * Starts the writer module beside this one. Built code runs `log-writer-thread.js`; from source
 * (tsx), Node 20 does not pass the parent's module hooks on to workers, so a bootstrap registers tsx
 * inside the worker first (as the forest's tree-building pool does).
 */
function startWriter(data: LogWriterData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./log-writer-thread.js', import.meta.url), { workerData: data })
  const tsx = import.meta.resolve('tsx/esm/api')
  const entry = new URL('./log-writer-thread.ts', import.meta.url).href
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { eval: true, workerData: data })
}

/**
 * Writes SQLite batches on a worker thread of its own. better-sqlite3 is synchronous: a large INSERT,
 * a WAL checkpoint or a wait for the write lock held by another server process would otherwise stall
 * every request of this process for milliseconds. Here the event loop only posts one flat array of
 * the (already encoded) rows per batch; the thread commits it in one transaction
 * and acknowledges. The thread keeps the process alive only while a write is in flight.
 */
class SqliteThreadSink implements PredictionLogSink {
  private worker: Worker | undefined
  private nextId = 1
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()

  constructor(private readonly url: string) {
    // Start now: loading the thread's modules takes a while, which belongs to server start-up, not
    // to the first requests.
    this.ensureWorker()
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker
    const worker = startWriter({ url: this.url, table: 'serve_predictions', columns: COLUMNS })
    worker.unref()
    worker.on('message', (reply: LogWriterReply) => {
      if (reply.kind === 'closed') return
      const waiting = this.pending.get(reply.id)
      if (waiting === undefined) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if (reply.kind === 'done') waiting.resolve()
      else
        waiting.reject(
          logWriteError(
            reply.message,
            reply.code,
            isTransientDbError({ code: reply.code, message: reply.message }),
          ),
        )
    })
    const fail = (error: Error): void => {
      // The thread is gone: every batch it held is unacknowledged, so the log requeues them.
      if (this.worker === worker) this.worker = undefined
      const waiting = [...this.pending.values()]
      this.pending.clear()
      // A restarted thread can write the same rows: the failure is the thread's, not the batch's.
      for (const w of waiting)
        w.reject(logWriteError(`writer stopped: ${error.message}`, undefined, true, error))
    }
    worker.on('error', fail)
    worker.on('exit', (code) => fail(new Error(`writer thread exited with code ${code}`)))
    this.worker = worker
    return worker
  }

  writeBatch(rows: readonly PredictionRow[]): Promise<void> {
    // Named reads in COLUMNS order: a loop over the column names would make every read a
    // megamorphic keyed lookup (13 per row, 6500 per batch).
    const values: SqlCell[] = []
    for (const r of rows)
      values.push(
        r.id,
        r.ts,
        r.model,
        r.version,
        r.variant,
        r.experiment_id,
        r.request_key,
        r.features,
        r.outputs,
        r.score,
        r.latency_ms,
        r.served_by,
        r.shadow_of,
      )
    const worker = this.ensureWorker()
    const id = this.nextId++
    return new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref()
      this.pending.set(id, { resolve, reject })
      worker.postMessage({ kind: 'write', id, values } satisfies LogWriterRequest)
    })
  }

  async close(): Promise<void> {
    const worker = this.worker
    if (worker === undefined) return
    this.worker = undefined
    // Writes are answered in order, so once 'closed' arrives every earlier batch is settled.
    worker.ref()
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve())
      worker.on('message', (reply: LogWriterReply) => {
        if (reply.kind === 'closed') void worker.terminate()
      })
      worker.postMessage({ kind: 'close' } satisfies LogWriterRequest)
    })
  }
}

/**
 * The sink for an open store: a writer thread for a SQLite file, the query builder otherwise
 * (PostgreSQL; in-memory SQLite).
 */
export function predictionLogSink(db: KeelDb, k: Kysely<ServeTables>): PredictionLogSink {
  if (db.dialect === 'sqlite') {
    const path = db.url.startsWith('sqlite:') ? db.url.slice('sqlite:'.length) : db.url
    if (path !== '' && path !== ':memory:' && !path.startsWith('file::memory:'))
      return new SqliteThreadSink(db.url)
  }
  return kyselyLogSink(k)
}

/** What `logWriteEpisodes` is told by the prediction log's hooks. */
export interface LogWriteEpisodes {
  /** A batch failed to commit. */
  failed(error: unknown): void
  /** Rows were dropped (queue full, refused batch). */
  dropped(count: number): void
  /** A batch committed. */
  written(count: number): void
  /** True between the first failure of an episode and the next committed batch. */
  readonly isFailing: boolean
}

/**
 * Turns the prediction log's per-batch failures into one warning when writes start failing and one
 * when they recover (with the attempts, duration and rows dropped meanwhile). While the database is
 * down or the disk full every flush interval retries and fails; a line (and stack) per attempt would
 * flood the server's log for as long as the outage lasts.
 * @param report writes one structured log line (the server passes its logger's `warn`)
 */
export function logWriteEpisodes(
  report: (message: string, fields: Record<string, unknown>) => void,
  now: () => number = Date.now,
): LogWriteEpisodes {
  let failing = false
  let since = 0
  let attempts = 0
  let droppedRows = 0
  return {
    get isFailing() {
      return failing
    },
    failed(error) {
      attempts++
      if (failing) return
      failing = true
      since = now()
      droppedRows = 0
      const e = error as { message?: unknown; details?: { transient?: unknown; dbCode?: unknown } }
      const transient = e.details?.transient === true
      report(
        transient
          ? 'prediction log writes failing; rows stay queued (up to predictionLog.maxQueue, then dropped and counted in keel_prediction_log_dropped_total) and are retried every flush interval'
          : 'prediction log write refused; the batch is retried, then dropped and counted in keel_prediction_log_dropped_total',
        {
          error: typeof e.message === 'string' ? e.message : String(error),
          ...(typeof e.details?.dbCode === 'string' ? { dbCode: e.details.dbCode } : {}),
          transient,
        },
      )
    },
    dropped(count) {
      if (failing) droppedRows += count
    },
    written() {
      if (!failing) {
        attempts = 0
        return
      }
      failing = false
      report('prediction log writes recovered', {
        failedAttempts: attempts,
        failingMs: now() - since,
        droppedRows,
      })
      attempts = 0
    },
  }
}
