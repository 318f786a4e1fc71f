import { z } from 'zod'
import { didYouMean, parseConfig } from '../core/index.js'
import { LlmError } from './errors.js'
import { DEFAULT_RETRY_POLICY, type LlmRetryPolicy } from './retry.js'
import type { LlmProviderName } from './types.js'
import type { LlmPriceTable } from './usage.js'

/** Everything needed to build an `LlmClient`. */
export interface LlmConfig {
  readonly provider: LlmProviderName
  readonly model: string
  readonly apiKey: string
  readonly baseUrl?: string | undefined
  readonly retry: LlmRetryPolicy
  /** Most calls in flight at once to this provider endpoint (process-wide). */
  readonly maxConcurrency: number
  readonly prices: LlmPriceTable
  /** How long cached responses live. */
  readonly cacheTtlMs: number
  /** Redis URL for the response cache; the SQL store is used when absent. */
  readonly redisUrl?: string | undefined
}

/** Default model per provider when KEEL_LLM_MODEL is not set. */
export const DEFAULT_LLM_MODELS: Readonly<Record<LlmProviderName, string>> = {
  anthropic: 'claude-sonnet-4-5',
  openai: 'gpt-4o-mini',
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value < 0)
    throw new LlmError('LLM_NOT_CONFIGURED', `${name} must be a non-negative number, got '${raw}'.`, {
      retryable: false,
    })
  return value
}

const priceTableSchema = z.record(
  z.string().min(1),
  z.strictObject({ inputUsdPerMTok: z.number().nonnegative(), outputUsdPerMTok: z.number().nonnegative() }),
)

function parsePrices(raw: string | undefined): LlmPriceTable {
  if (raw === undefined || raw === '') return {}
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch (error) {
    throw new LlmError(
      'LLM_NOT_CONFIGURED',
      `KEEL_LLM_PRICES is not valid JSON: ${(error as Error).message}`,
      {
        retryable: false,
        cause: error,
      },
    )
  }
  const parsed = parseConfig(priceTableSchema, value)
  if (!parsed.success) {
    const problems = parsed.problems.map(
      (p) => `KEEL_LLM_PRICES${p.path === '' ? '' : `.${p.path}`}: ${p.message}`,
    )
    throw new LlmError(
      'LLM_NOT_CONFIGURED',
      `${problems.join('; ')}. Expected {"MODEL": {"inputUsdPerMTok": number, "outputUsdPerMTok": number}}.`,
      { retryable: false, details: { problems: parsed.problems } },
    )
  }
  return parsed.data
}

/**
 * Every `KEEL_LLM_*` variable Keel reads. Any other variable with that prefix is a typo that would
 * otherwise be ignored silently (`KEEL_LLM_MODLE` leaving the default model in place).
 */
export const LLM_ENV_VARIABLES: readonly string[] = [
  'KEEL_LLM_PROVIDER',
  'KEEL_LLM_MODEL',
  'KEEL_LLM_BASE_URL',
  'KEEL_LLM_TIMEOUT_MS',
  'KEEL_LLM_DEADLINE_MS',
  'KEEL_LLM_MAX_ATTEMPTS',
  'KEEL_LLM_BACKOFF_MS',
  'KEEL_LLM_CONCURRENCY',
  'KEEL_LLM_PRICES',
  'KEEL_LLM_CACHE_TTL_MS',
]

function rejectUnknownVariables(env: NodeJS.ProcessEnv): void {
  const unknown = Object.keys(env).filter(
    (name) => name.startsWith('KEEL_LLM_') && !LLM_ENV_VARIABLES.includes(name),
  )
  if (unknown.length === 0) return
  const problems = unknown.map(
    (name) => `${name} is not a Keel setting${didYouMean(name, LLM_ENV_VARIABLES)}`,
  )
  throw new LlmError(
    'LLM_NOT_CONFIGURED',
    `${problems.join('; ')}. Known variables: ${LLM_ENV_VARIABLES.join(', ')}.`,
    { retryable: false, details: { unknown } },
  )
}

/**
 * Reads the LLM configuration from the environment: KEEL_LLM_PROVIDER (anthropic|openai; guessed
 * from which API key is set when absent), KEEL_LLM_MODEL, KEEL_LLM_BASE_URL, ANTHROPIC_API_KEY /
 * OPENAI_API_KEY, KEEL_LLM_TIMEOUT_MS, KEEL_LLM_DEADLINE_MS, KEEL_LLM_MAX_ATTEMPTS,
 * KEEL_LLM_BACKOFF_MS, KEEL_LLM_CONCURRENCY, KEEL_LLM_PRICES (JSON), KEEL_LLM_CACHE_TTL_MS,
 * KEEL_REDIS_URL. Returns undefined when no LLM is configured at all (callers then fall back, e.g. to
 * extractive RAG).
 * @throws LlmError `LLM_NOT_CONFIGURED` for a bad value, an unknown `KEEL_LLM_*` variable (named with
 * the nearest known one) or an unknown key in KEEL_LLM_PRICES.
 */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig | undefined {
  rejectUnknownVariables(env)
  const explicit = env.KEEL_LLM_PROVIDER?.trim().toLowerCase()
  let provider: LlmProviderName
  if (explicit === 'anthropic' || explicit === 'openai') provider = explicit
  else if (explicit !== undefined && explicit !== '') {
    throw new LlmError(
      'LLM_NOT_CONFIGURED',
      `KEEL_LLM_PROVIDER must be 'anthropic' or 'openai', got '${explicit}'.`,
      {
        retryable: false,
      },
    )
  } else if (nonEmpty(env.ANTHROPIC_API_KEY)) provider = 'anthropic'
  else if (nonEmpty(env.OPENAI_API_KEY) || nonEmpty(env.KEEL_LLM_BASE_URL)) provider = 'openai'
  else return undefined
  const baseUrl = nonEmpty(env.KEEL_LLM_BASE_URL) ? env.KEEL_LLM_BASE_URL : undefined
  let apiKey = provider === 'anthropic' ? env.ANTHROPIC_API_KEY : env.OPENAI_API_KEY
  if (!nonEmpty(apiKey)) {
    // Local OpenAI-compatible servers (Ollama, llama.cpp) ignore the key but the SDK wants one.
    if (baseUrl !== undefined) apiKey = 'unused'
    else {
      const variable = provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY'
      throw new LlmError(
        'LLM_NOT_CONFIGURED',
        `KEEL_LLM_PROVIDER is '${provider}' but ${variable} is not set.`,
        {
          retryable: false,
        },
      )
    }
  }
  return {
    provider,
    model: nonEmpty(env.KEEL_LLM_MODEL) ? env.KEEL_LLM_MODEL : DEFAULT_LLM_MODELS[provider],
    apiKey: apiKey as string,
    baseUrl,
    retry: {
      maxAttempts: Math.max(1, intEnv(env, 'KEEL_LLM_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts)),
      baseDelayMs: intEnv(env, 'KEEL_LLM_BACKOFF_MS', DEFAULT_RETRY_POLICY.baseDelayMs),
      maxDelayMs: DEFAULT_RETRY_POLICY.maxDelayMs,
      timeoutMs: intEnv(env, 'KEEL_LLM_TIMEOUT_MS', DEFAULT_RETRY_POLICY.timeoutMs),
      deadlineMs: intEnv(env, 'KEEL_LLM_DEADLINE_MS', DEFAULT_RETRY_POLICY.deadlineMs),
    },
    maxConcurrency: Math.max(1, intEnv(env, 'KEEL_LLM_CONCURRENCY', 4)),
    prices: parsePrices(env.KEEL_LLM_PRICES),
    cacheTtlMs: intEnv(env, 'KEEL_LLM_CACHE_TTL_MS', 24 * 3600 * 1000),
    redisUrl: nonEmpty(env.KEEL_REDIS_URL) ? env.KEEL_REDIS_URL : undefined,
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== ''
}
