import assert from 'node:assert/strict'
import { test } from 'node:test'
import { llmConfigFromEnv } from './config.js'
import { LlmError } from './errors.js'

function configError(env: NodeJS.ProcessEnv): LlmError {
  try {
    llmConfigFromEnv(env)
  } catch (error) {
    assert.ok(error instanceof LlmError)
    assert.equal(error.code, 'LLM_NOT_CONFIGURED')
    assert.equal(error.retryable, false)
    return error
  }
  assert.fail('expected LLM_NOT_CONFIGURED')
}

test('a misspelt KEEL_LLM_* variable is an error naming the nearest one, not silently ignored', () => {
  const typo = configError({ OPENAI_API_KEY: 'k', KEEL_LLM_MODLE: 'gpt-4.1' })
  assert.match(typo.message, /^KEEL_LLM_MODLE is not a Keel setting \(did you mean 'KEEL_LLM_MODEL'\?\)/)
  // Also when the typo is the provider itself (which would otherwise leave the LLM off without a word).
  const provider = configError({ KEEL_LLM_PROVDER: 'anthropic', ANTHROPIC_API_KEY: 'k' })
  assert.match(provider.message, /KEEL_LLM_PROVDER .*did you mean 'KEEL_LLM_PROVIDER'/)
  const far = configError({ KEEL_LLM_SOMETHING: '1' })
  assert.match(
    far.message,
    /^KEEL_LLM_SOMETHING is not a Keel setting\. Known variables: KEEL_LLM_PROVIDER, /,
  )
})

test('every documented variable is accepted', () => {
  const config = llmConfigFromEnv({
    KEEL_LLM_PROVIDER: 'openai',
    OPENAI_API_KEY: 'k',
    KEEL_LLM_MODEL: 'gpt-4o',
    KEEL_LLM_BASE_URL: 'http://127.0.0.1:1',
    KEEL_LLM_TIMEOUT_MS: '1000',
    KEEL_LLM_DEADLINE_MS: '5000',
    KEEL_LLM_MAX_ATTEMPTS: '2',
    KEEL_LLM_BACKOFF_MS: '10',
    KEEL_LLM_CONCURRENCY: '3',
    KEEL_LLM_PRICES: '{"gpt-4o": {"inputUsdPerMTok": 2.5, "outputUsdPerMTok": 10}}',
    KEEL_LLM_CACHE_TTL_MS: '60000',
  })
  assert.equal(config?.model, 'gpt-4o')
  assert.equal(config?.maxConcurrency, 3)
  assert.deepEqual(config?.prices, { 'gpt-4o': { inputUsdPerMTok: 2.5, outputUsdPerMTok: 10 } })
  assert.equal(llmConfigFromEnv({}), undefined)
})

test('KEEL_LLM_PRICES: unknown keys and wrong shapes are named', () => {
  const typo = configError({
    OPENAI_API_KEY: 'k',
    KEEL_LLM_PRICES: '{"gpt-4o": {"inputUsdPerMtok": 2.5, "outputUsdPerMTok": 10}}',
  })
  assert.match(
    typo.message,
    /^KEEL_LLM_PRICES\.gpt-4o\.inputUsdPerMtok: unknown key; did you mean 'inputUsdPerMTok'\?/,
  )
  // Before, a list or a number here was accepted as "no prices".
  const list = configError({ OPENAI_API_KEY: 'k', KEEL_LLM_PRICES: '[1, 2]' })
  assert.match(list.message, /^KEEL_LLM_PRICES: /)
  const negative = configError({
    OPENAI_API_KEY: 'k',
    KEEL_LLM_PRICES: '{"m": {"inputUsdPerMTok": -1, "outputUsdPerMTok": 1}}',
  })
  assert.match(negative.message, /KEEL_LLM_PRICES\.m\.inputUsdPerMTok: /)
})
