/**
 * LLM client: providers behind one small interface (Anthropic, any OpenAI-compatible endpoint),
 * one retry layer, a per-endpoint concurrency limit, a response cache and usage accounting.
 *
 * @example
 * ```ts
 * import { createLlmClient, llmConfigFromEnv } from 'keel-ml'
 * const config = llmConfigFromEnv()
 * if (config !== undefined) {
 *   const client = createLlmClient(config)
 *   const answer = await client.complete({ messages: [{ role: 'user', content: 'Hi' }], temperature: 0 })
 *   console.log(answer.text, answer.usage, answer.costUsd)
 * }
 * ```
 */

export { AnthropicProvider, type AnthropicProviderOptions } from './anthropic-provider.js'
export { isCacheable, type LlmCache, type LlmCachedResponse, llmCacheKey } from './cache.js'
export { createLlmClient, LlmClient, type LlmClientDeps } from './client.js'
export { DEFAULT_LLM_MODELS, type LlmConfig, llmConfigFromEnv } from './config.js'
export { LlmError, type LlmErrorCode, parseRetryAfter } from './errors.js'
export { OpenAiProvider, type OpenAiProviderOptions } from './openai-provider.js'
export { RedisLlmCache } from './redis-cache.js'
export {
  DEFAULT_RETRY_POLICY,
  type LlmAttempt,
  type LlmRetryHooks,
  type LlmRetryPolicy,
  type LlmRetryResult,
  withRetry,
} from './retry.js'
export { StoreLlmCache } from './store-cache.js'
export type {
  LlmChunk,
  LlmMessage,
  LlmProvider,
  LlmProviderName,
  LlmRequest,
  LlmResponse,
  LlmUsage,
} from './types.js'
export { type LlmPrice, type LlmPriceTable, type LlmUsageSummary, llmCost, llmUsageSummary } from './usage.js'
