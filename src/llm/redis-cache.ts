import type { Redis } from 'ioredis'
import { AppError, importOptional, lazyAsync } from '../core/index.js'
import { type LlmCache, type LlmCachedResponse, parseCachedResponse } from './cache.js'

/** Options of `RedisLlmCache`. */
export interface RedisLlmCacheOptions {
  /** Longest wait for one cache command (a hung or overloaded Redis) before it counts as a miss. Default 500 ms. */
  readonly commandTimeoutMs?: number
  /** Longest wait for a connection to open. Default 1000 ms. */
  readonly connectTimeoutMs?: number
}

/**
 * Response cache in Redis (`KEEL_REDIS_URL`); TTL enforced by Redis itself (`PX`).
 *
 * The cache is an optimisation, so it never makes a call wait for Redis: while Redis is unreachable
 * every command fails at once (no offline queue, which would hold each call until a reconnection
 * attempt succeeds or gives up) and the client treats the failure as a miss; a hung Redis costs at
 * most `commandTimeoutMs` per command. ioredis keeps reconnecting in the background, so caching
 * resumes by itself once Redis is back.
 *
 * `ioredis` is an optional peer dependency, imported by the first command.
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) from `get`/`set` when it is not installed:
 *   unlike an unreachable Redis this is a setup error, so it is not reported as a cache miss.
 */
export class RedisLlmCache implements LlmCache {
  /** The client, created by the first command (ioredis is an optional peer, loaded only then). */
  private readonly redis: () => Promise<Redis>
  /** The client once created, so `close` does not load ioredis just to disconnect. */
  private client: Redis | undefined
  private connecting: Promise<void> | undefined

  /**
   * @param url redis://host:port/db
   * @param prefix key prefix, so several apps or tests can share one Redis
   */
  constructor(
    url: string,
    private readonly prefix = 'keel:llm:cache:',
    options: RedisLlmCacheOptions = {},
  ) {
    this.redis = lazyAsync(async () => {
      const { Redis } = await importOptional('ioredis', 'The Redis LLM cache', () => import('ioredis'))
      const redis = new Redis(url, {
        lazyConnect: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        commandTimeout: options.commandTimeoutMs ?? 500,
        connectTimeout: options.connectTimeoutMs ?? 1000,
        // Reconnect quickly at first, then every second at most: a restarted Redis is used again soon.
        retryStrategy: (attempt) => Math.min(attempt * 50, 1000),
      })
      // Connection errors surface as failed commands (misses); the 'error' events would otherwise be
      // unhandled and crash the process.
      redis.on('error', () => undefined)
      this.client = redis
      return redis
    })
  }

  async get(key: string): Promise<LlmCachedResponse | undefined> {
    const raw = await this.call((redis) => redis.get(this.prefix + key))
    return raw === null ? undefined : parseCachedResponse(raw)
  }

  async set(key: string, value: LlmCachedResponse, ttlMs: number): Promise<void> {
    await this.call((redis) =>
      redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs))),
    )
  }

  async close(): Promise<void> {
    this.client?.disconnect()
  }

  private async call<T>(op: (redis: Redis) => Promise<T>): Promise<T> {
    const redis = await this.redis()
    try {
      // The first commands wait for the first connection (shared), not for later reconnections.
      if (redis.status === 'wait') this.connecting ??= redis.connect()
      if (this.connecting !== undefined) {
        try {
          await this.connecting
        } finally {
          this.connecting = undefined
        }
      }
      return await op(redis)
    } catch (error) {
      throw new AppError(
        'LLM_CACHE_UNAVAILABLE',
        `Redis cache failed: ${(error as Error).message}. Check KEEL_REDIS_URL.`,
        {
          cause: error,
        },
      )
    }
  }
}
