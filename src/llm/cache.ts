import { sha256, stableStringify } from '../core/index.js'
import type { LlmProviderName, LlmRequest, LlmUsage } from './types.js'

/** What the response cache stores for one request. */
export interface LlmCachedResponse {
  readonly text: string
  readonly model: string
  readonly usage: LlmUsage
  readonly stopReason: string | null
}

/** A response cache with per-entry TTL. Implementations: `StoreLlmCache` (SQL), `RedisLlmCache`. */
export interface LlmCache {
  get(key: string): Promise<LlmCachedResponse | undefined>
  set(key: string, value: LlmCachedResponse, ttlMs: number): Promise<void>
  close(): Promise<void>
}

/**
 * Cache key for a request: SHA-256 over provider, model, the normalised messages (line endings
 * unified, surrounding whitespace trimmed, so cosmetic differences still hit) and the parameters
 * that change the output.
 */
export function llmCacheKey(provider: LlmProviderName, model: string, request: LlmRequest): string {
  const normalise = (text: string) => text.replace(/\r\n?/g, '\n').trim()
  return sha256(
    stableStringify({
      v: 1,
      provider,
      model,
      system: request.system === undefined ? null : normalise(request.system),
      messages: request.messages.map((m) => ({ role: m.role, content: normalise(m.content) })),
      maxTokens: request.maxTokens ?? null,
      temperature: request.temperature ?? null,
      stop: request.stopSequences ?? null,
    }),
  )
}

/** Whether a request may be served from / stored in the cache. */
export function isCacheable(request: LlmRequest): boolean {
  if (request.cache === false) return false
  if (request.cache === true) return true
  return request.temperature === 0
}

/** Parses a stored entry; anything malformed counts as a miss rather than an error. @internal */
export function parseCachedResponse(raw: string): LlmCachedResponse | undefined {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const v = value as Record<string, unknown>
  const usage = v.usage as Record<string, unknown> | undefined
  if (
    typeof v.text !== 'string' ||
    typeof v.model !== 'string' ||
    usage === undefined ||
    typeof usage.inputTokens !== 'number' ||
    typeof usage.outputTokens !== 'number'
  )
    return undefined
  return {
    text: v.text,
    model: v.model,
    usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens },
    stopReason: typeof v.stopReason === 'string' ? v.stopReason : null,
  }
}
