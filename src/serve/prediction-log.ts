import type { Kysely } from 'kysely'
import type { ModelOutput } from './servable.js'
import type { PredictionRow, ServeTables } from './tables.js'

/** One prediction to log; JSON encoding happens at flush time, off the request path. */
export interface PredictionLogEntry {
  readonly id: string
  readonly ts: number
  readonly model: string
  readonly version: number
  readonly variant: string
  readonly experimentId: string | null
  readonly requestKey: string | null
  readonly features: unknown
  readonly output: ModelOutput
  readonly score: number | null
  readonly latencyMs: number
  readonly servedBy: string
  readonly shadowOf: string | null
}

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
 * and counted rather than slowing down or failing requests.
 */
export class PredictionLog {
  readonly flushIntervalMs: number
  readonly batchSize: number
  readonly maxQueue: number
  private queue: PredictionLogEntry[] = []
  private flushing: Promise<void> | undefined
  private timer: NodeJS.Timeout | undefined
  private scheduled = false
  private closed = false
  private dropped = 0
  private written = 0
  private attempts = 0

  constructor(
    private readonly db: Kysely<ServeTables>,
    options: PredictionLogOptions = {},
    private readonly hooks: PredictionLogHooks = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 200
    this.batchSize = options.batchSize ?? 500
    this.maxQueue = options.maxQueue ?? 100_000
    this.timer = setInterval(() => void this.flush(), this.flushIntervalMs)
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
    this.queue.push(entry)
    this.hooks.onDepth?.(this.queue.length)
    if (this.queue.length >= this.batchSize && !this.scheduled) {
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        void this.flush()
      })
    }
    return true
  }

  /** Writes everything queued now (batch by batch); resolves when the queue was empty at some point. */
  async flush(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing
    if (this.queue.length === 0) return
    this.flushing = this.drain()
    try {
      await this.flushing
    } finally {
      this.flushing = undefined
    }
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize)
      try {
        const rows = batch.map(toRow)
        await this.db.transaction().execute(async (trx) => {
          await trx.insertInto('serve_predictions').values(rows).execute()
        })
        this.attempts = 0
        this.written += batch.length
        this.hooks.onWritten?.(batch.length)
      } catch (error) {
        this.hooks.onError?.(error)
        this.attempts++
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
  }
}

function toRow(e: PredictionLogEntry): PredictionRow {
  return {
    id: e.id,
    ts: e.ts,
    model: e.model,
    version: e.version,
    variant: e.variant,
    experiment_id: e.experimentId,
    request_key: e.requestKey,
    features: JSON.stringify(e.features),
    outputs: JSON.stringify(e.output),
    score: e.score !== null && Number.isFinite(e.score) ? e.score : null,
    latency_ms: e.latencyMs,
    served_by: e.servedBy,
    shadow_of: e.shadowOf,
  }
}
