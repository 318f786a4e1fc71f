import { Redis } from 'ioredis'
import { AppError } from '../core/index.js'
import { type LlmCache, type LlmCachedResponse, parseCachedResponse } from './cache.js'

/** Response cache in Redis (`KEEL_REDIS_URL`); TTL enforced by Redis itself (`PX`). */
export class RedisLlmCache implements LlmCache {
  private readonly redis: Redis

  /**
   * @param url redis://host:port/db
   * @param prefix key prefix, so several apps or tests can share one Redis
   */
  constructor(
    url: string,
    private readonly prefix = 'keel:llm:cache:',
  ) {
    // Fail fast instead of queueing commands forever when Redis is down.
    this.redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: true })
    this.redis.on('error', () => undefined)
  }

  async get(key: string): Promise<LlmCachedResponse | undefined> {
    const raw = await this.call(() => this.redis.get(this.prefix + key))
    return raw === null ? undefined : parseCachedResponse(raw)
  }

  async set(key: string, value: LlmCachedResponse, ttlMs: number): Promise<void> {
    await this.call(() =>
      this.redis.set(this.prefix + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlMs))),
    )
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }

  private async call<T>(op: () => Promise<T>): Promise<T> {
    try {
      if (this.redis.status === 'wait') await this.redis.connect()
      return await op()
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
