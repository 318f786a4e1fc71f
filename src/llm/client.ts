import type { Registry } from 'prom-client'
import { MissingDependencyError } from '../core/index.js'
import type { KeelDb } from '../store/index.js'
import { AnthropicProvider } from './anthropic-provider.js'
import { isCacheable, type LlmCache, llmCacheKey } from './cache.js'
import { LlmSemaphore, sharedSemaphore } from './concurrency.js'
import type { LlmConfig } from './config.js'
import { LlmError } from './errors.js'
import { OpenAiProvider } from './openai-provider.js'
import { RedisLlmCache } from './redis-cache.js'
import { withRetry } from './retry.js'
import { StoreLlmCache } from './store-cache.js'
import type { LlmChunk, LlmProvider, LlmRequest, LlmResponse, LlmUsage } from './types.js'
import { LlmUsageRecorder, llmCost } from './usage.js'

/** Optional collaborators of the client. */
export interface LlmClientDeps {
  /** Store for usage rows (and the default cache). */
  readonly db?: KeelDb
  /** Prometheus registry for the keel_llm_* metrics. */
  readonly registry?: Registry
  /** Response cache; `null` disables caching; default: Redis when `config.redisUrl`, else `db`. */
  readonly cache?: LlmCache | null
  /** A raw adapter to use instead of building one from the config (tests, custom providers). */
  readonly provider?: LlmProvider
  /** Jitter source (tests pin it). */
  readonly random?: () => number
  /** Called when usage logging to the store fails (it never fails the call). */
  readonly onUsageError?: (error: unknown) => void
}

/**
 * The reliable client: wraps one raw provider with our single retry layer, a per-endpoint
 * concurrency limit, the response cache and usage accounting. Implements `LlmProvider` itself.
 */
export class LlmClient implements LlmProvider {
  readonly name: LlmProvider['name']
  readonly model: string
  private readonly provider: LlmProvider
  private readonly cache: LlmCache | undefined
  private readonly ownsCache: boolean
  private readonly semaphore: LlmSemaphore
  private readonly recorder: LlmUsageRecorder

  constructor(
    readonly config: LlmConfig,
    deps: LlmClientDeps = {},
  ) {
    this.provider =
      deps.provider ??
      (config.provider === 'anthropic'
        ? new AnthropicProvider({ apiKey: config.apiKey, model: config.model, baseUrl: config.baseUrl })
        : new OpenAiProvider({ apiKey: config.apiKey, model: config.model, baseUrl: config.baseUrl }))
    this.name = this.provider.name
    this.model = config.model
    if (deps.cache === null) {
      this.cache = undefined
      this.ownsCache = false
    } else if (deps.cache !== undefined) {
      this.cache = deps.cache
      this.ownsCache = false
    } else if (config.redisUrl !== undefined) {
      this.cache = new RedisLlmCache(config.redisUrl)
      this.ownsCache = true
    } else {
      this.cache = deps.db === undefined ? undefined : new StoreLlmCache(deps.db)
      this.ownsCache = deps.db !== undefined
    }
    this.semaphore =
      deps.provider === undefined
        ? sharedSemaphore(`${config.provider}|${config.baseUrl ?? 'default'}`, config.maxConcurrency)
        : new LlmSemaphore(config.maxConcurrency)
    this.recorder = new LlmUsageRecorder(deps.db, deps.registry, deps.onUsageError)
    this.random = deps.random ?? Math.random
  }

  private readonly random: () => number

  /** Completes a request: cache lookup, then retried provider calls, then accounting. */
  async complete(request: LlmRequest): Promise<LlmResponse> {
    const model = request.model ?? this.model
    const started = performance.now()
    const cacheKey = this.cacheKeyOf(request, model)
    const cached = await this.cachedResponse(cacheKey, started, false)
    if (cached !== undefined) {
      const { hit, latencyMs } = cached
      return { ...hit, provider: this.name, cached: true, retries: 0, latencyMs, costUsd: 0 }
    }
    let retries = 0
    try {
      // The provider's SDK loads on first use; outside the retry loop so it never eats a timeout.
      await this.provider.prepare?.()
      const result = await withRetry(
        async ({ signal }) => {
          const release = await this.semaphore.acquire(signal)
          try {
            return await this.provider.complete({ ...request, model, signal })
          } finally {
            release()
          }
        },
        this.config.retry,
        request.signal,
        { random: this.random, onRetry: (_e, _d, attempt) => (retries = attempt) },
      )
      const response = result.value
      const latencyMs = performance.now() - started
      const costUsd = llmCost(this.config.prices, response.model, response.usage)
      await this.account({
        model: response.model,
        usage: response.usage,
        latencyMs,
        retries: result.retries,
        cached: false,
        streamed: false,
      })
      if (cacheKey !== undefined) await this.cacheSet(cacheKey, response)
      return { ...response, cached: false, retries: result.retries, latencyMs, costUsd }
    } catch (error) {
      await this.accountError(model, performance.now() - started, retries, error)
      throw error
    }
  }

  /**
   * Streams a completion. Retries happen only before the first chunk arrives (after that the
   * caller has seen output, so a silent restart would duplicate it). Cache hits replay as one chunk.
   */
  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    const model = request.model ?? this.model
    const started = performance.now()
    const cacheKey = this.cacheKeyOf(request, model)
    const cached = await this.cachedResponse(cacheKey, started, true)
    if (cached !== undefined) {
      const { hit } = cached
      yield { kind: 'text', text: hit.text }
      yield { kind: 'done', usage: hit.usage, stopReason: hit.stopReason, model: hit.model }
      return
    }
    const deadline = new AbortController()
    const deadlineTimer = setTimeout(
      () => deadline.abort(new Error('keel-llm-deadline')),
      this.config.retry.deadlineMs,
    )
    const signal =
      request.signal === undefined ? deadline.signal : AbortSignal.any([deadline.signal, request.signal])
    let retries = 0
    let release: (() => void) | undefined
    let iterator: AsyncIterator<LlmChunk> | undefined
    try {
      await this.provider.prepare?.()
      const opened = await withRetry(
        async ({ signal: attemptSignal }) => {
          const free = await this.semaphore.acquire(attemptSignal)
          // The attempt signal times out the wait for the first chunk; the stream itself then
          // lives under the overall deadline only.
          const streamAbort = new AbortController()
          const onAttemptAbort = () => streamAbort.abort(attemptSignal.reason)
          attemptSignal.addEventListener('abort', onAttemptAbort, { once: true })
          const onOuter = () => streamAbort.abort(signal.reason)
          signal.addEventListener('abort', onOuter, { once: true })
          try {
            const it = this.provider
              .stream({ ...request, model, signal: streamAbort.signal })
              [Symbol.asyncIterator]()
            const first = await it.next()
            attemptSignal.removeEventListener('abort', onAttemptAbort)
            return { it, first, free }
          } catch (error) {
            attemptSignal.removeEventListener('abort', onAttemptAbort)
            signal.removeEventListener('abort', onOuter)
            free()
            throw error
          }
        },
        this.config.retry,
        request.signal,
        { random: this.random, onRetry: (_e, _d, attempt) => (retries = attempt) },
      )
      release = opened.value.free
      iterator = opened.value.it
      let text = ''
      let step = opened.value.first
      let done: Extract<LlmChunk, { kind: 'done' }> | undefined
      while (step.done !== true) {
        const chunk = step.value
        if (chunk.kind === 'text') text += chunk.text
        else done = chunk
        yield chunk
        step = await iterator.next()
      }
      const usage: LlmUsage = done?.usage ?? { inputTokens: 0, outputTokens: 0 }
      const finalModel = done?.model ?? model
      await this.account({
        model: finalModel,
        usage,
        latencyMs: performance.now() - started,
        retries: opened.retries,
        cached: false,
        streamed: true,
      })
      if (cacheKey !== undefined)
        await this.cacheSet(cacheKey, {
          text,
          model: finalModel,
          usage,
          stopReason: done?.stopReason ?? null,
        })
    } catch (error) {
      const mapped =
        deadline.signal.aborted && !(request.signal?.aborted ?? false)
          ? new LlmError(
              'LLM_DEADLINE_EXCEEDED',
              `LLM stream missed its overall deadline of ${this.config.retry.deadlineMs} ms.`,
              { retryable: false, cause: error },
            )
          : error
      await this.accountError(model, performance.now() - started, retries, mapped, true)
      throw mapped
    } finally {
      clearTimeout(deadlineTimer)
      release?.()
      // Closes the underlying HTTP stream when the consumer stops early.
      await iterator?.return?.().catch(() => undefined)
    }
  }

  /** Releases the cache connection when this client opened it. */
  async close(): Promise<void> {
    if (this.ownsCache) await this.cache?.close()
  }

  /** The cache key of a request the cache may answer; undefined when there is no cache or it may not. */
  private cacheKeyOf(request: LlmRequest, model: string): string | undefined {
    return this.cache !== undefined && isCacheable(request)
      ? llmCacheKey(this.name, model, request)
      : undefined
  }

  /**
   * The cached response under `cacheKey`, accounted as a cached call without retries (streamed or
   * not, as the caller is); undefined on a miss or without a key.
   */
  private async cachedResponse(cacheKey: string | undefined, started: number, streamed: boolean) {
    if (cacheKey === undefined) return undefined
    const hit = await this.cacheGet(cacheKey)
    if (hit === undefined) return undefined
    const latencyMs = performance.now() - started
    await this.account({ model: hit.model, usage: hit.usage, latencyMs, retries: 0, cached: true, streamed })
    return { hit, latencyMs }
  }

  private async cacheGet(key: string) {
    try {
      return await this.cache?.get(key)
    } catch (error) {
      // A configured cache whose package is not installed is a setup error, reported once here.
      if (error instanceof MissingDependencyError) throw error
      // A broken cache degrades to "miss": the provider is still the source of truth.
      return undefined
    }
  }

  private async cacheSet(
    key: string,
    response: { text: string; model: string; usage: LlmUsage; stopReason: string | null },
  ) {
    try {
      await this.cache?.set(
        key,
        {
          text: response.text,
          model: response.model,
          usage: response.usage,
          stopReason: response.stopReason,
        },
        this.config.cacheTtlMs,
      )
    } catch (error) {
      if (error instanceof MissingDependencyError) throw error
      // Same reasoning as cacheGet: failing to store must not fail the call.
    }
  }

  private account(call: {
    model: string
    usage: LlmUsage
    latencyMs: number
    retries: number
    cached: boolean
    streamed: boolean
  }): Promise<void> {
    return this.recorder.record({
      provider: this.name,
      ...call,
      costUsd: call.cached ? 0 : llmCost(this.config.prices, call.model, call.usage),
      status: 'ok',
      errorCode: null,
    })
  }

  private accountError(model: string, latencyMs: number, retries: number, error: unknown, streamed = false) {
    return this.recorder.record({
      provider: this.name,
      model,
      usage: { inputTokens: 0, outputTokens: 0 },
      latencyMs,
      retries,
      costUsd: null,
      cached: false,
      streamed,
      status: 'error',
      errorCode: error instanceof LlmError ? error.code : 'LLM_UNKNOWN',
    })
  }
}

/** Builds the reliable client for a config (see `llmConfigFromEnv`). */
export function createLlmClient(config: LlmConfig, deps: LlmClientDeps = {}): LlmClient {
  return new LlmClient(config, deps)
}
