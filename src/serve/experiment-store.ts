/**
 * A/B experiments at run time: where they are stored (`ExperimentStore`, the `serve_experiments`
 * table in production) and the server's view of them (`ExperimentBook`): which experiment each
 * served model runs now, kept in step with the store that every worker re-reads.
 */
import { type Kysely, sql } from 'kysely'
import { formatConfigProblems, parseConfig } from '../core/index.js'
import { BadRequestError, ModelNotFoundError, ServeError } from '../http/errors.js'
import type { ServeTables } from '../predlog/tables.js'
import { type ChannelSubscription, subscribePgChannel } from '../store/index.js'
import { type Experiment, experimentSchema } from './experiments.js'
import type { ModelManager } from './model-manager.js'
import type { ServedModel } from './predictor.js'

/** Where experiments are kept: the truth shared by every worker of a deployment. */
export interface ExperimentStore {
  /** Every stored experiment that parses, with its stored status. */
  list(): Promise<Experiment[]>
  /** Whether an experiment with this id is stored. */
  has(id: string): Promise<boolean>
  /** Stores a new experiment (the caller checked `has`). */
  insert(experiment: Experiment): Promise<void>
  /** Stores an experiment unless one with its id exists (config experiments at startup). */
  insertIfAbsent(experiment: Experiment): Promise<void>
  /** Replaces a stored experiment. */
  update(experiment: Experiment): Promise<void>
}

/**
 * The PostgreSQL channel every stored experiment change is announced on (payload: the experiment
 * id), so each replica re-reads the store at once instead of at its next poll. Channels are
 * database-wide: a change in another schema costs a subscriber one needless re-read.
 */
export const EXPERIMENTS_CHANNEL = 'keel_experiments'

/**
 * `ExperimentStore` over the `serve_experiments` table.
 * @param notify announce each change on {@link EXPERIMENTS_CHANNEL} (PostgreSQL only).
 */
export function kyselyExperimentStore(k: Kysely<ServeTables>, notify = false): ExperimentStore {
  const announce = async (id: string): Promise<void> => {
    if (notify) await sql`select pg_notify(${EXPERIMENTS_CHANNEL}, ${id})`.execute(k)
  }
  const row = (e: Experiment, now: number) => ({
    id: e.id,
    model: e.model,
    config: JSON.stringify(e),
    status: e.status,
    created_at: now,
    updated_at: now,
  })
  return {
    async list() {
      const rows = await k.selectFrom('serve_experiments').selectAll().execute()
      const out: Experiment[] = []
      for (const r of rows) {
        // A row another version wrote in a shape this one does not read is skipped, not fatal.
        const parsed = experimentSchema.safeParse(JSON.parse(r.config))
        if (parsed.success)
          out.push({ ...parsed.data, status: r.status === 'running' ? 'running' : 'stopped' })
      }
      return out
    },
    async has(id) {
      const found = await k
        .selectFrom('serve_experiments')
        .select('id')
        .where('id', '=', id)
        .executeTakeFirst()
      return found !== undefined
    },
    async insert(e) {
      await k.insertInto('serve_experiments').values(row(e, Date.now())).execute()
      await announce(e.id)
    },
    async insertIfAbsent(e) {
      await k
        .insertInto('serve_experiments')
        .values(row(e, Date.now()))
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
      await announce(e.id)
    },
    async update(e) {
      await k
        .updateTable('serve_experiments')
        .set({ model: e.model, config: JSON.stringify(e), status: e.status, updated_at: Date.now() })
        .where('id', '=', e.id)
        .execute()
      await announce(e.id)
    },
  }
}

/** What an `ExperimentBook` works with. */
export interface ExperimentBookOptions {
  /** Where experiments are stored; undefined for a server without a database (config ones only). */
  readonly store: ExperimentStore | undefined
  /** The served models by route name (their `experiment` is set here). */
  readonly models: ReadonlyMap<string, ServedModel>
  readonly manager: ModelManager
  readonly onWarn: (message: string, error?: unknown) => void
}

/**
 * The server's experiments: config ones are stored (so reports find them); the store is the shared
 * truth that every worker re-reads, so admin changes reach all workers within one poll interval.
 */
export class ExperimentBook {
  private readonly experiments = new Map<string, Experiment>()
  private timer: NodeJS.Timeout | undefined
  private subscription: ChannelSubscription | undefined
  private syncing = false

  constructor(private readonly options: ExperimentBookOptions) {}

  /** Takes the config's experiments, storing those the store lacks. */
  async seed(configured: readonly Experiment[]): Promise<void> {
    for (const e of configured) this.experiments.set(e.id, e)
    if (this.options.store !== undefined)
      for (const e of configured) await this.options.store.insertIfAbsent(e)
  }

  /** Sets each served model's running experiment; one starts in a worker once all its variants serve there. */
  apply(): void {
    const { models, manager } = this.options
    for (const s of models.values()) s.experiment = undefined
    for (const e of this.experiments.values()) {
      if (e.status !== 'running') continue
      const s = models.get(e.model)
      if (s === undefined) continue
      if (!manager.isReady(e.variants.map((v) => v.ref))) {
        // Applied again once its variants have loaded, not at the next poll (which push makes rare).
        for (const v of e.variants)
          if (manager.get(v.ref) === undefined)
            void manager
              .track(v.ref)
              .then(() => this.apply())
              .catch(() => undefined)
        continue
      }
      s.experiment = e
    }
  }

  /** Re-reads the store (no-op without one) and applies what it holds. */
  async sync(): Promise<void> {
    if (this.options.store === undefined) return
    for (const e of await this.options.store.list()) this.experiments.set(e.id, e)
    this.apply()
  }

  /** Re-reads the store every `intervalMs` (one read at a time) until `stop`. */
  startPolling(intervalMs: number): void {
    if (this.options.store === undefined || intervalMs <= 0) return
    this.timer = setInterval(() => {
      if (this.syncing) return
      this.syncing = true
      this.sync()
        .catch((e) => this.options.onWarn('experiment sync failed', e))
        .finally(() => {
          this.syncing = false
        })
    }, intervalMs)
    this.timer.unref()
  }

  /**
   * Re-reads the store as soon as another replica announces a change on
   * {@link EXPERIMENTS_CHANNEL} (PostgreSQL; a no-op for other URLs), and after every reconnection.
   * The poll stays as the fallback while the notification connection is down.
   */
  async subscribe(url: string): Promise<void> {
    if (this.options.store === undefined) return
    this.subscription = await subscribePgChannel(
      url,
      EXPERIMENTS_CHANNEL,
      'Experiment change notifications',
      () => {
        void this.sync().catch((e) => this.options.onWarn('experiment sync failed', e))
      },
      {
        // One line, as the registry's feed reports it: a stack trace of a dropped connection says nothing more.
        onError: (e) =>
          this.options.onWarn(
            `experiment change notifications lost (${e instanceof Error ? e.message : String(e)}); reconnecting, and polling meanwhile`,
          ),
      },
    )
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    const subscription = this.subscription
    this.subscription = undefined
    void subscription?.close()
  }

  /** Every experiment this server knows. */
  list(): Experiment[] {
    return [...this.experiments.values()]
  }

  /** @throws ServeError `SERVE_NOT_FOUND` for an unknown id. */
  get(id: string): Experiment {
    const e = this.experiments.get(id)
    if (e === undefined) throw new ServeError('SERVE_NOT_FOUND', `No experiment '${id}'.`)
    return e
  }

  /**
   * Validates an admin body as an experiment of a served model.
   * @throws ServeError `SERVE_BAD_REQUEST` naming every problem (unknown keys with the nearest valid
   * one), ModelNotFoundError for a model not served here.
   */
  parse(input: unknown): Experiment {
    const parsed = parseConfig(experimentSchema, input)
    if (!parsed.success) {
      const problems = parsed.problems.map((p) => ({
        field: p.path,
        code: 'INVALID_BODY',
        reason: p.message,
      }))
      const summary = formatConfigProblems(parsed.problems).join('; ')
      throw new ServeError('SERVE_BAD_REQUEST', `Invalid experiment: ${summary}`, { details: { problems } })
    }
    const e = parsed.data
    const { models } = this.options
    if (!models.has(e.model)) throw new ModelNotFoundError(e.model, [...models.keys()])
    const names = new Set(e.variants.map((v) => v.name))
    if (names.size !== e.variants.length) throw new BadRequestError('Variant names must be unique.')
    if (e.defaultVariant !== undefined && !names.has(e.defaultVariant))
      throw new BadRequestError(`defaultVariant '${e.defaultVariant}' is not one of the variants.`)
    return e
  }

  /**
   * Stores an experiment (new, or replacing one) and applies it. A running one needs its model free
   * of other running experiments and every variant loaded first, so no request meets an unloaded arm.
   * @throws ServeError `SERVE_NOT_READY` without a store, `SERVE_CONFLICT`, `SERVE_BAD_REQUEST`.
   */
  async save(e: Experiment, isNew: boolean): Promise<void> {
    const store = this.needStore()
    if (e.status === 'running') {
      for (const other of this.experiments.values())
        if (other.id !== e.id && other.model === e.model && other.status === 'running')
          throw new ServeError(
            'SERVE_CONFLICT',
            `Model '${e.model}' already runs experiment '${other.id}'; stop it first.`,
          )
      for (const v of e.variants) {
        try {
          await this.options.manager.track(v.ref)
        } catch (error) {
          throw new ServeError(
            'SERVE_BAD_REQUEST',
            `Variant '${v.name}' (${v.ref}) cannot be loaded: ${(error as Error).message}`,
            { cause: error },
          )
        }
      }
    }
    if (isNew) {
      if (await store.has(e.id))
        throw new ServeError('SERVE_CONFLICT', `Experiment '${e.id}' exists; use PUT to change it.`)
      await store.insert(e)
    } else await store.update(e)
    this.experiments.set(e.id, e)
    this.apply()
  }

  /** @throws ServeError `SERVE_NOT_READY` when the server runs without a database. */
  needStore(): ExperimentStore {
    if (this.options.store === undefined)
      throw new ServeError('SERVE_NOT_READY', 'Experiments need a database; this server runs without one.')
    return this.options.store
  }
}
