import type { Kysely } from 'kysely'
import { type PredictionLogEntry, toRow } from './entry.js'
import { isTransientLogError, kyselyLogSink, type PredictionLogSink } from './log-sink.js'
import type { PredictionRow, ServeTables } from './tables.js'

export type { PredictionLogEntry } from './entry.js'

/** Tuning of the prediction log. */
export interface PredictionLogOptions {
  /** Longest time a logged prediction waits in memory before it is written. Default 200 ms. */
  readonly flushIntervalMs?: number
  /** Rows per INSERT transaction; a full batch is written at once. Default 500. */
  readonly batchSize?: number
  /** Bound of the in-memory queue; further entries are dropped (and counted) while it is full. Default 100 000. */
  readonly maxQueue?: number
}

/** Hooks the log calls so the server can export metrics without the log knowing prom-client. */
export interface PredictionLogHooks {
  onDepth?(depth: number): void
  onDropped?(count: number): void
  onWritten?(count: number): void
  onError?(error: unknown): void
}

const MAX_ATTEMPTS = 3

/**
 * Batched, bounded, asynchronous writer of predictions to `serve_predictions`.
 *
 * Durability promise: a prediction is acknowledged to the client before it is written. Queued rows
 * are written every `flushIntervalMs` or as soon as `batchSize` are waiting, each batch in one
 * transaction (all or nothing, so a crash never leaves a half-written batch). `close()` (graceful
 * shutdown) writes everything still queued. A hard crash loses at most what was queued since the last
 * committed batch: about one flush interval of traffic. When the queue is full new entries are dropped
 * and counted rather than slowing down or failing requests. While the database is unreachable or its
 * disk full or read-only (a transient sink error), failed batches stay queued and are retried every
 * flush interval, so an outage shorter than `maxQueue` entries of traffic loses nothing; a batch the
 * database refuses for other reasons is dropped (and counted) after three attempts.
 *
 * Writes go through a `PredictionLogSink`: pass the typed store (the query builder, on this thread)
 * or a sink from `predictionLogSink` (for a SQLite file, a writer thread, so commits never block
 * requests). The log owns the sink and closes it on `close()`.
 */
export class PredictionLog {
  readonly flushIntervalMs: number
  readonly batchSize: number
  readonly maxQueue: number
  private queue: PredictionRow[] = []
  private flushing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private scheduled = false
  private closed = false
  private dropped = 0
  private written = 0
  private attempts = 0
  /** After a failed batch, no size-triggered write before this time (the timer still retries). */
  private retryAt = 0
  private readonly sink: PredictionLogSink

  constructor(
    target: Kysely<ServeTables> | PredictionLogSink,
    options: PredictionLogOptions = {},
    private readonly hooks: PredictionLogHooks = {},
  ) {
    this.sink = isSink(target) ? target : kyselyLogSink(target)
    this.flushIntervalMs = options.flushIntervalMs ?? 200
    this.batchSize = options.batchSize ?? 500
    this.maxQueue = options.maxQueue ?? 100_000
    this.timer = setInterval(() => {
      // The depth gauge is sampled here and after each batch, not set on every append.
      this.hooks.onDepth?.(this.queue.length)
      void this.flush()
    }, this.flushIntervalMs)
    this.timer.unref()
  }

  /** Entries waiting to be written. */
  get depth(): number {
    return this.queue.length
  }

  /** Entries dropped because the queue was full (or a batch failed repeatedly). */
  get droppedCount(): number {
    return this.dropped
  }

  /** Entries committed to the database. */
  get writtenCount(): number {
    return this.written
  }

  /** Queues one entry; returns false (and counts a drop) when the queue is full or closed. */
  append(entry: PredictionLogEntry): boolean {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.dropped++
      this.hooks.onDropped?.(1)
      return false
    }
    let row: PredictionRow
    try {
      row = toRow(entry)
    } catch (error) {
      // Unencodable features (a BigInt, a cycle) must not fail the request that is being answered.
      this.hooks.onError?.(error)
      this.dropped++
      this.hooks.onDropped?.(1)
      return false
    }
    this.queue.push(row)
    if (
      this.queue.length >= this.batchSize &&
      !this.scheduled &&
      this.flushing === undefined &&
      Date.now() >= this.retryAt
    ) {
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        // A drain in progress re-checks the queue after each batch: it picks this one up itself.
        if (this.flushing === undefined) void this.run(false)
      })
    }
    return true
  }

  /** Writes everything queued now (batch by batch); resolves once those entries are written (or failed). */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing
    if (this.queue.length === 0) return
    await this.run(true)
  }

  private async run(all: boolean): Promise<void> {
    this.flushing = this.drain(all)
    try {
      await this.flushing
    } finally {
      this.flushing = undefined
    }
  }

  /**
   * Writes full batches while there are any and, when `all`, also what was queued when it started.
   * Only the timer (every flush interval) and `close` write partial batches: draining "until empty"
   * never ended under steady single-row traffic, chasing the few dozen rows that arrived during each
   * write with another transaction, each rewriting the same index and WAL pages (measured: 45 rows
   * per transaction and about 10× the SQLite CPU per row of full batches).
   */
  private async drain(all: boolean): Promise<void> {
    let owed = all ? this.queue.length : 0
    while (owed > 0 || this.queue.length >= this.batchSize) {
      const batch = this.queue.splice(0, this.batchSize)
      owed -= batch.length
      try {
        await this.sink.writeBatch(batch)
        this.attempts = 0
        this.written += batch.length
        this.hooks.onWritten?.(batch.length)
      } catch (error) {
        this.hooks.onError?.(error)
        // While the database is down or its disk full, every request past a full batch would retry
        // at once; wait for the next timer tick instead.
        this.retryAt = Date.now() + this.flushIntervalMs
        // An outage (database unreachable, disk full or read-only) keeps the batch queued for as long
        // as it lasts: maxQueue bounds the memory, and entries beyond it are dropped and counted.
        if (!isTransientLogError(error)) this.attempts++
        if (this.attempts >= MAX_ATTEMPTS) {
          // A batch the database keeps refusing would block the log forever; drop and count it.
          this.attempts = 0
          this.dropped += batch.length
          this.hooks.onDropped?.(batch.length)
        } else {
          this.queue.unshift(...batch)
        }
        this.hooks.onDepth?.(this.queue.length)
        return
      }
      this.hooks.onDepth?.(this.queue.length)
    }
  }

  /** Stops the timer, refuses new entries and writes everything still queued. */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    for (let i = 0; i < MAX_ATTEMPTS + 1 && this.queue.length > 0; i++) await this.flush()
    while (this.flushing !== undefined) await this.flushing
    if (this.queue.length > 0) {
      // The database stayed unavailable through shutdown: what is left is lost, so count it.
      this.dropped += this.queue.length
      this.hooks.onDropped?.(this.queue.length)
      this.queue = []
    }
    await this.sink.close()
  }
}

function isSink(target: Kysely<ServeTables> | PredictionLogSink): target is PredictionLogSink {
  return typeof (target as Partial<PredictionLogSink>).writeBatch === 'function'
}
