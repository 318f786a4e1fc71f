import type { ModelSource, ServableModel } from '../pipeline/servable.js'
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js'
import { compileRowValidator, type ExtraFieldPolicy, type RowValidator, warmupRow } from './validate.js'

/** A model version loaded, warmed and ready to serve under one reference. */
export class LoadedModel {
  readonly breaker: CircuitBreaker
  /** The fallback reference registered for this version in the source (if any). */
  fallbackRef: string | undefined
  readonly loadedAt = Date.now()
  private readonly validators = new Map<string, RowValidator>()
  private inflight = 0
  private retired = false
  private closed = false

  constructor(
    readonly ref: string,
    readonly model: ServableModel,
    breaker: CircuitBreakerOptions,
    onBreakerChange?: (model: ServableModel, open: boolean) => void,
  ) {
    this.breaker = new CircuitBreaker(breaker, (open) => onBreakerChange?.(model, open))
  }

  /** A validator for this version's features under an extra-field policy, compiled once. */
  validator(policy: ExtraFieldPolicy, ignored: readonly string[]): RowValidator {
    const key = `${policy}|${ignored.join('\u0000')}`
    let v = this.validators.get(key)
    if (v === undefined) {
      v = compileRowValidator(this.model.features, policy, ignored)
      this.validators.set(key, v)
    }
    return v
  }

  /** Marks a request using this version; pair with `release`. */
  acquire(): void {
    this.inflight++
  }

  release(): void {
    this.inflight--
    if (this.retired && this.inflight === 0) void this.closeNow()
  }

  /** Called when a newer version replaced this one: closes once the last in-flight call ends. */
  retire(): void {
    this.retired = true
    if (this.inflight === 0) void this.closeNow()
  }

  private async closeNow(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.model.close?.()
    } catch {
      // Closing a retired model is best effort: it no longer serves anything.
    }
  }
}

/** A live change subscription (see `ModelChangeFeed`). */
export interface ModelChangeSubscription {
  close(): Promise<void>
}

/**
 * What a model source offers when it can push changes (the registry source on PostgreSQL, through
 * LISTEN/NOTIFY): `onChange(name)` after a committed change of that model, `onChange(undefined)`
 * when changes may have been missed (after a reconnect). The manager refreshes at once; its poll
 * stays as the fallback.
 */
export interface ModelChangeFeed {
  subscribeChanges(
    onChange: (name: string | undefined) => void,
    onError?: (error: unknown) => void,
  ): Promise<ModelChangeSubscription>
}

function hasChangeFeed(source: ModelSource): source is ModelSource & ModelChangeFeed {
  return typeof (source as Partial<ModelChangeFeed>).subscribeChanges === 'function'
}

/** The model name of a reference (`churn@production` → `churn`). */
function nameOf(ref: string): string {
  const at = ref.indexOf('@')
  return at < 0 ? ref : ref.slice(0, at)
}

/** One reference's refresh in progress and, at most, one more queued behind it. */
interface RefreshSlot {
  readonly running: Promise<void>
  queued: Promise<void> | undefined
}

/** Options of the model manager. */
export interface ModelManagerOptions {
  /** How often each reference is re-resolved (hot swap). Default 1000 ms; 0 disables polling. */
  readonly pollIntervalMs?: number
  /** Warm-up predictions before a version starts serving. Default 3. */
  readonly warmupRuns?: number
  /** Circuit-breaker settings per reference (default: 5 failures, 10 s cool-down). */
  breakerFor?(ref: string): CircuitBreakerOptions | undefined
  onSwap?(ref: string, from: LoadedModel | undefined, to: LoadedModel): void
  /**
   * A reference failed to resolve, load or warm up. Called once per failure episode: at the first
   * failure after the reference last resolved and loaded (or ever); polling retries that fail again
   * are not reported (the latest error stays in `errorOf`), so a missing model does not log once a
   * second from every worker.
   */
  onError?(ref: string, error: unknown): void
  /** A reference that was failing resolves and serves again: its failure episode is over. */
  onRecover?(ref: string): void
  onBreakerChange?(model: ServableModel, open: boolean): void
  /** The source's change feed failed or lost its connection (once per outage; polling goes on). */
  onChangeFeedError?(error: unknown): void
}

/**
 * Keeps one warmed `LoadedModel` per reference and hot-swaps it when the reference resolves to a new
 * version: the new version is loaded and warmed first, then replaces the old one in a single map
 * assignment, so every request sees either the old or the new version, never neither. Requests
 * that already hold the old one finish on it; it is closed after the last of them.
 */
export class ModelManager {
  private readonly current = new Map<string, LoadedModel>()
  private readonly tracked = new Set<string>()
  private readonly lastError = new Map<string, string>()
  /** References in a failure episode (reported once through `onError`). */
  private readonly failing = new Set<string>()
  private timer: NodeJS.Timeout | undefined
  private polling: Promise<void> | undefined
  private stopped = false
  private readonly refreshing = new Map<string, RefreshSlot>()
  private subscription: ModelChangeSubscription | undefined

  constructor(
    readonly source: ModelSource,
    private readonly options: ModelManagerOptions = {},
  ) {}

  /** The serving version for a reference, if loaded. */
  get(ref: string): LoadedModel | undefined {
    return this.current.get(ref)
  }

  /** Every tracked reference. */
  refs(): string[] {
    return [...this.tracked]
  }

  /** The last load error of a reference, if its last attempt failed. */
  errorOf(ref: string): string | undefined {
    return this.lastError.get(ref)
  }

  /** Starts tracking a reference and loads it now; resolves once it serves (or rejects on failure). */
  async track(ref: string): Promise<LoadedModel> {
    this.tracked.add(ref)
    await this.refresh(ref)
    const loaded = this.current.get(ref)
    if (loaded === undefined) throw new Error(this.lastError.get(ref) ?? `Model '${ref}' failed to load.`)
    return loaded
  }

  /** Tracks references and tries to load each once; failures are kept for `errorOf` and retried by polling. */
  async trackAll(refs: readonly string[]): Promise<void> {
    for (const ref of refs) this.tracked.add(ref)
    await Promise.all(refs.map((ref) => this.refresh(ref)))
  }

  /** True when every given reference has a serving version. */
  isReady(refs: Iterable<string>): boolean {
    for (const ref of refs) if (!this.current.has(ref)) return false
    return true
  }

  /**
   * Starts polling the source for new versions and, when the source has a change feed, listening to
   * it so a change is applied at once rather than at the next poll. `pollIntervalMs: 0` turns hot
   * swapping off, both.
   */
  start(): void {
    const interval = this.options.pollIntervalMs ?? 1000
    if (interval <= 0 || this.timer !== undefined) return
    this.timer = setInterval(() => {
      if (this.polling !== undefined) return
      this.polling = this.pollOnce().finally(() => {
        this.polling = undefined
      })
    }, interval)
    this.timer.unref()
    if (hasChangeFeed(this.source)) this.subscribe(this.source)
  }

  private subscribe(feed: ModelChangeFeed): void {
    feed
      .subscribeChanges(
        (name) => this.changed(name),
        (error) => this.options.onChangeFeedError?.(error),
      )
      .then(
        async (subscription) => {
          // Stopped while subscribing: close it here, since stop() did not wait for it.
          if (this.stopped) await subscription.close()
          else this.subscription = subscription
        },
        (error: unknown) => this.options.onChangeFeedError?.(error),
      )
  }

  /**
   * A model changed in the source (`undefined`: any may have): refresh its tracked references now.
   * Bursts coalesce: a reference refreshing gets at most one more refresh queued behind it.
   */
  changed(name: string | undefined): void {
    if (this.stopped) return
    for (const ref of this.tracked) if (name === undefined || nameOf(ref) === name) void this.refresh(ref)
  }

  /** Re-resolves every tracked reference once (also what polling does). */
  async pollOnce(): Promise<void> {
    await Promise.all([...this.tracked].map((ref) => this.refresh(ref)))
  }

  /** Stops polling and listening, and waits for a refresh in progress. */
  async stop(): Promise<void> {
    this.stopped = true
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    const subscription = this.subscription
    this.subscription = undefined
    await subscription?.close()
    if (this.polling !== undefined) await this.polling
    await Promise.all([...this.refreshing.values()].map((slot) => slot.queued ?? slot.running))
  }

  /**
   * Refreshes one reference, never two at once (poll, push, `track` and fallbacks all come here):
   * a call while one runs joins the single refresh queued behind it, which starts after the
   * running one and so sees every change made before the call.
   */
  private refresh(ref: string): Promise<void> {
    const slot = this.refreshing.get(ref)
    if (slot !== undefined) {
      slot.queued ??= slot.running.then(() => this.refresh(ref))
      return slot.queued
    }
    const next: RefreshSlot = {
      running: this.refreshNow(ref).finally(() => {
        if (this.refreshing.get(ref) === next) this.refreshing.delete(ref)
      }),
      queued: undefined,
    }
    this.refreshing.set(ref, next)
    return next.running
  }

  private async refreshNow(ref: string): Promise<void> {
    if (this.stopped) return
    try {
      const resolved = await this.source.resolve(ref)
      const old = this.current.get(ref)
      if (old !== undefined && old.model.name === resolved.name && old.model.version === resolved.version) {
        this.succeeded(ref)
        return
      }
      const model = await this.source.load(resolved.name, resolved.version)
      const loaded = new LoadedModel(
        ref,
        model,
        this.options.breakerFor?.(ref) ?? {},
        this.options.onBreakerChange,
      )
      loaded.fallbackRef = await this.source.fallbackOf?.(resolved.name, resolved.version)
      await warm(model, this.options.warmupRuns ?? 3)
      if (this.stopped) return
      // A concurrent refresh may have installed the same version meanwhile; keep the first.
      const now = this.current.get(ref)
      if (now !== undefined && now !== old && now.model.version === model.version) return
      this.current.set(ref, loaded)
      old?.retire()
      this.succeeded(ref)
      this.options.onSwap?.(ref, old, loaded)
    } catch (error) {
      this.lastError.set(ref, error instanceof Error ? error.message : String(error))
      if (this.failing.has(ref)) return
      this.failing.add(ref)
      this.options.onError?.(ref, error)
    }
  }

  /** The reference resolved to the version that serves it: any failure episode is over. */
  private succeeded(ref: string): void {
    this.lastError.delete(ref)
    if (this.failing.delete(ref)) this.options.onRecover?.(ref)
  }
}

async function warm(model: ServableModel, runs: number): Promise<void> {
  const row = warmupRow(model.features)
  for (let i = 0; i < runs; i++) {
    const out = await model.predict([row])
    if (out.length !== 1)
      throw new Error(`Warm-up of ${model.name}@${model.version} returned ${out.length} rows for 1.`)
  }
}
