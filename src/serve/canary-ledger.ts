/**
 * The canary ledger: canary calls counted across every replica of a deployment (cluster workers
 * sharing a SQLite file, `keel serve` processes sharing PostgreSQL), so that the rollback is decided
 * once, from cluster-wide counts, and every replica follows the same decision.
 *
 * Each process adds its canary calls to local per-second buckets (no I/O on the request path) and,
 * every `flushIntervalMs` (500 ms), upserts them into `serve_canary_counts` under its replica id,
 * reads the decision in `serve_canary_state`, and, when it added calls, decides on the cluster's
 * window with the canary's own thresholds (`canaryRollbackReason`). The window is the last
 * `windowSize` calls approximated by time buckets: the newest buckets summed over replicas, the
 * oldest one taken pro rata to make up exactly `windowSize` calls. The decision is written once (a
 * conditional upsert); the process that wrote it counts the rollback, the others follow it on their
 * next tick, so all replicas agree within about one tick.
 *
 * A rollback is kept in the table: a replica started later follows it on its first tick. Deploy the
 * fix as a new reference (or delete the state row) to canary again. While the database cannot be
 * reached, each process falls back to deciding from its own window (rolling back is the safe side).
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Kysely } from 'kysely'
import type { ServeTables } from '../predlog/tables.js'
import type { CanaryMonitor, CanaryTotals } from './experiments.js'

/** How a canary's rollback reached this process. */
export interface CanaryRollback {
  readonly reason: string
  /** Replica id of the process that decided. */
  readonly decidedBy: string
  /** True on the one process that decided (it counts the rollback in its metrics). */
  readonly decidedHere: boolean
}

/** A served model's canary under the ledger's watch. */
export interface CanaryWatch {
  /** The served model's route name. */
  readonly model: string
  readonly monitor: CanaryMonitor
  /** Called once, when this process stops routing to the canary. */
  readonly onRollback: (rollback: CanaryRollback) => void
}

/** Options of a `CanaryLedger`. */
export interface CanaryLedgerOptions {
  readonly onWarn: (message: string, error?: unknown) => void
  /** Flush, read and decide this often. Default 500 ms. */
  readonly flushIntervalMs?: number
  /** Width of a count bucket. Default 1000 ms. */
  readonly bucketMs?: number
  /** This process's id in the ledger. Default: host, pid and a random suffix. */
  readonly replicaId?: string
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number
}

interface Bucket {
  calls: number
  errors: number
  latencySum: number
}

interface Entry {
  readonly watch: CanaryWatch
  readonly ref: string
  /** Counts not yet in the table, by bucket start. */
  pending: Map<number, Bucket>
  /** Counts were added since the last decision on the cluster's window. */
  dirty: boolean
}

/** Buckets kept while the table cannot be written (about ten minutes at the default width). */
const MAX_PENDING_BUCKETS = 600
/** Rows per upsert statement (7 parameters each). */
const FLUSH_CHUNK_ROWS = 500
/** Prune old count rows every this many ticks. */
const PRUNE_EVERY_TICKS = 60

/** Shares canary counts and the rollback decision through the serving database. */
export class CanaryLedger {
  readonly replicaId: string
  private readonly entries = new Map<string, Entry>()
  private readonly flushIntervalMs: number
  private readonly bucketMs: number
  private readonly now: () => number
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private failing = false
  private ticks = 0
  private stopped = false

  constructor(
    private readonly k: Kysely<ServeTables>,
    private readonly options: CanaryLedgerOptions,
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 500
    this.bucketMs = options.bucketMs ?? 1000
    this.now = options.now ?? Date.now
    this.replicaId =
      options.replicaId ?? `${hostname().slice(0, 60)}/${process.pid}/${randomBytes(3).toString('hex')}`
  }

  /** Puts a served model's canary under watch; starts the ticks with the first one. */
  watch(watch: CanaryWatch): void {
    this.entries.set(watch.model, {
      watch,
      ref: watch.monitor.config.ref,
      pending: new Map(),
      dirty: false,
    })
    if (this.timer === undefined && !this.stopped && this.flushIntervalMs > 0) {
      this.timer = setInterval(() => void this.tick(), this.flushIntervalMs)
      this.timer.unref()
    }
  }

  /** Counts one canary call of a watched model (memory only; the next tick writes it). */
  record(model: string, isError: boolean, latencyMs: number): void {
    const entry = this.entries.get(model)
    if (entry === undefined) return
    entry.watch.monitor.observe(isError, latencyMs)
    const start = Math.floor(this.now() / this.bucketMs) * this.bucketMs
    let bucket = entry.pending.get(start)
    if (bucket === undefined) {
      bucket = { calls: 0, errors: 0, latencySum: 0 }
      entry.pending.set(start, bucket)
    }
    bucket.calls++
    if (isError) bucket.errors++
    bucket.latencySum += latencyMs
  }

  /**
   * One round: writes this process's counts, follows a decision taken elsewhere, decides on the
   * cluster's window when this process added calls. Never throws (a failure is logged once per
   * episode). Rounds do not overlap: a call during one waits for it.
   */
  tick(): Promise<void> {
    this.running ??= this.round().finally(() => {
      this.running = undefined
    })
    return this.running
  }

  /** Stops the ticks and writes the counts still in memory (before the database closes). */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    await this.running
    if ([...this.entries.values()].some((e) => e.pending.size > 0)) await this.tick()
  }

  /**
   * The cluster's window for a canary: the last `windowSize` calls of every replica, from the newest
   * buckets (the oldest one taken pro rata), with the start of the oldest bucket used.
   */
  async windowTotals(
    model: string,
    ref: string,
    windowSize: number,
  ): Promise<CanaryTotals & { readonly oldestBucket: number | undefined; readonly full: boolean }> {
    // Every stored bucket holds at least one call, so `windowSize` buckets always cover the window.
    const rows = await this.k
      .selectFrom('serve_canary_counts')
      .select((eb) => [
        'bucket',
        eb.fn.sum<number>('calls').as('calls'),
        eb.fn.sum<number>('errors').as('errors'),
        eb.fn.sum<number>('latency_sum').as('latency_sum'),
      ])
      .where('model', '=', model)
      .where('canary_ref', '=', ref)
      .groupBy('bucket')
      .orderBy('bucket', 'desc')
      .limit(windowSize)
      .execute()
    let calls = 0
    let errors = 0
    let latencySumMs = 0
    let oldestBucket: number | undefined
    for (const row of rows) {
      const n = Number(row.calls)
      if (n <= 0) continue
      const share = Math.min(1, (windowSize - calls) / n)
      calls += n * share
      errors += Number(row.errors) * share
      latencySumMs += Number(row.latency_sum) * share
      oldestBucket = Number(row.bucket)
      if (calls >= windowSize) break
    }
    return { calls, errors, latencySumMs, oldestBucket, full: calls >= windowSize }
  }

  private async round(): Promise<void> {
    const entries = [...this.entries.values()]
    if (entries.length === 0) return
    this.ticks++
    try {
      await this.flush(entries)
      if (this.stopped) return
      await this.follow(entries)
      for (const entry of entries) {
        const monitor = entry.watch.monitor
        if (monitor.rolledBack || !entry.dirty) continue
        const windowSize = monitor.config.windowSize ?? 100
        const totals = await this.windowTotals(entry.watch.model, entry.ref, windowSize)
        entry.dirty = false
        const reason = monitor.decide(totals)
        if (reason !== undefined) await this.decide(entry, reason)
        else if (totals.full && totals.oldestBucket !== undefined && this.ticks % PRUNE_EVERY_TICKS === 0)
          await this.prune(entry, totals.oldestBucket)
      }
      if (this.failing) {
        this.failing = false
        this.options.onWarn('canary ledger reachable again; canary rollbacks are decided cluster-wide')
      }
    } catch (error) {
      if (!this.failing) {
        this.failing = true
        this.options.onWarn(
          'canary ledger unreachable; each process decides canary rollbacks from its own calls meanwhile',
          error,
        )
      }
      this.decideLocally(entries)
    }
  }

  /** Upserts the pending buckets of every canary in one statement (all or nothing). */
  private async flush(entries: readonly Entry[]): Promise<void> {
    const rows: ServeTables['serve_canary_counts'][] = []
    const taken: [Entry, Map<number, Bucket>][] = []
    for (const entry of entries) {
      if (entry.pending.size === 0) continue
      taken.push([entry, entry.pending])
      for (const [bucket, b] of entry.pending)
        rows.push({
          model: entry.watch.model,
          canary_ref: entry.ref,
          replica_id: this.replicaId,
          bucket,
          calls: b.calls,
          errors: b.errors,
          latency_sum: b.latencySum,
        })
      entry.pending = new Map()
    }
    if (rows.length === 0) return
    const upsert = (k: Kysely<ServeTables>, chunk: readonly ServeTables['serve_canary_counts'][]) =>
      k
        .insertInto('serve_canary_counts')
        .values(chunk)
        .onConflict((oc) =>
          oc.columns(['model', 'canary_ref', 'bucket', 'replica_id']).doUpdateSet((eb) => ({
            calls: eb('serve_canary_counts.calls', '+', eb.ref('excluded.calls')),
            errors: eb('serve_canary_counts.errors', '+', eb.ref('excluded.errors')),
            latency_sum: eb('serve_canary_counts.latency_sum', '+', eb.ref('excluded.latency_sum')),
          })),
        )
        .execute()
    try {
      // Usually a row or two; a backlog after an outage goes in chunks (bound parameters are limited).
      if (rows.length <= FLUSH_CHUNK_ROWS) await upsert(this.k, rows)
      else
        await this.k.transaction().execute(async (trx) => {
          for (let i = 0; i < rows.length; i += FLUSH_CHUNK_ROWS)
            await upsert(trx, rows.slice(i, i + FLUSH_CHUNK_ROWS))
        })
    } catch (error) {
      // Not written: merge back (calls counted meanwhile included) for the next try, oldest dropped.
      for (const [entry, old] of taken) {
        for (const [bucket, b] of entry.pending) {
          const o = old.get(bucket)
          if (o === undefined) old.set(bucket, b)
          else {
            o.calls += b.calls
            o.errors += b.errors
            o.latencySum += b.latencySum
          }
        }
        const keys = [...old.keys()].sort((a, b) => a - b)
        for (let i = 0; i < keys.length - MAX_PENDING_BUCKETS; i++) old.delete(keys[i]!)
        entry.pending = old
      }
      throw error
    }
    for (const [entry] of taken) entry.dirty = true
  }

  /** Rolls back, in this process, every canary the cluster has rolled back. */
  private async follow(entries: readonly Entry[]): Promise<void> {
    const open = entries.filter((e) => !e.watch.monitor.rolledBack)
    if (open.length === 0) return
    const states = await this.k
      .selectFrom('serve_canary_state')
      .selectAll()
      .where(
        'model',
        'in',
        open.map((e) => e.watch.model),
      )
      .where('rolled_back', '=', 1)
      .execute()
    for (const state of states) {
      const entry = open.find((e) => e.watch.model === state.model && e.ref === state.canary_ref)
      if (entry === undefined) continue
      if (entry.watch.monitor.rollBack(state.reason))
        entry.watch.onRollback({
          reason: state.reason,
          decidedBy: state.decided_by,
          decidedHere: state.decided_by === this.replicaId,
        })
    }
  }

  /** Writes the decision unless another replica wrote it first, then applies whichever stands. */
  private async decide(entry: Entry, reason: string): Promise<void> {
    const { model } = entry.watch
    const result = await this.k
      .insertInto('serve_canary_state')
      .values({
        model,
        canary_ref: entry.ref,
        rolled_back: 1,
        reason,
        decided_at: this.now(),
        decided_by: this.replicaId,
      })
      .onConflict((oc) =>
        oc
          .columns(['model', 'canary_ref'])
          .doUpdateSet({ rolled_back: 1, reason, decided_at: this.now(), decided_by: this.replicaId })
          .where('serve_canary_state.rolled_back', '=', 0),
      )
      .executeTakeFirst()
    if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) {
      if (entry.watch.monitor.rollBack(reason))
        entry.watch.onRollback({ reason, decidedBy: this.replicaId, decidedHere: true })
      return
    }
    await this.follow([entry])
  }

  /** Deletes count rows too old to be in the canary's window again (a minute of slack for late writers). */
  private async prune(entry: Entry, oldestBucket: number): Promise<void> {
    await this.k
      .deleteFrom('serve_canary_counts')
      .where('model', '=', entry.watch.model)
      .where('canary_ref', '=', entry.ref)
      .where('bucket', '<', oldestBucket - 60_000)
      .execute()
  }

  private decideLocally(entries: readonly Entry[]): void {
    for (const entry of entries) {
      const monitor = entry.watch.monitor
      if (monitor.rolledBack) continue
      const reason = monitor.decide(monitor.windowTotals())
      if (
        reason !== undefined &&
        monitor.rollBack(`${reason} (this process's calls; canary ledger unreachable)`)
      )
        entry.watch.onRollback({
          reason: monitor.rollbackReason ?? reason,
          decidedBy: this.replicaId,
          decidedHere: true,
        })
    }
  }
}
