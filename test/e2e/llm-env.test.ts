import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { Registry } from 'prom-client'
import { createLlmClient, LlmError, llmConfigFromEnv, llmUsageSummary } from '../../src/llm/index.js'
import { openDb } from '../../src/store/index.js'
import { startFakeLlmServer } from '../helpers/fake-llm-server.js'

const home = mkdtempSync(join(tmpdir(), 'keel-e2e-llm-'))
process.env.KEEL_HOME = home
after(() => rmSync(home, { recursive: true, force: true }))

test('config from the environment picks the provider, key and limits', () => {
  assert.equal(llmConfigFromEnv({}), undefined)
  const a = llmConfigFromEnv({ ANTHROPIC_API_KEY: 'k' })
  assert.equal(a?.provider, 'anthropic')
  const o = llmConfigFromEnv({
    KEEL_LLM_PROVIDER: 'openai',
    KEEL_LLM_BASE_URL: 'http://127.0.0.1:11434/v1',
    KEEL_LLM_MODEL: 'llama3.1',
  })
  assert.equal(o?.provider, 'openai')
  assert.equal(o?.model, 'llama3.1')
  assert.equal(o?.apiKey, 'unused')
  assert.throws(
    () => llmConfigFromEnv({ KEEL_LLM_PROVIDER: 'anthropic' }),
    (e: unknown) =>
      e instanceof LlmError && e.code === 'LLM_NOT_CONFIGURED' && /ANTHROPIC_API_KEY/.test(e.message),
  )
  assert.throws(() => llmConfigFromEnv({ KEEL_LLM_PROVIDER: 'gemini' }), LlmError)
  const priced = llmConfigFromEnv({
    OPENAI_API_KEY: 'k',
    KEEL_LLM_PRICES: '{"gpt-x": {"inputUsdPerMTok": 1, "outputUsdPerMTok": 2}}',
    KEEL_LLM_TIMEOUT_MS: '1500',
  })
  assert.equal(priced?.prices['gpt-x']?.outputUsdPerMTok, 2)
  assert.equal(priced?.retry.timeoutMs, 1500)
})

for (const flavour of ['anthropic', 'openai'] as const) {
  test(`${flavour}: env-configured client, usage in the store and metrics, cost from the price table`, async () => {
    const fake = await startFakeLlmServer(flavour, { respond: () => 'pong' })
    const db = await openDb(`sqlite:${join(home, `${flavour}.db`)}`)
    try {
      const env = {
        KEEL_LLM_PROVIDER: flavour,
        KEEL_LLM_BASE_URL: fake.baseUrl,
        KEEL_LLM_MODEL: 'fake-model-2025',
        [flavour === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY']: 'k',
        KEEL_LLM_PRICES: '{"fake-model": {"inputUsdPerMTok": 1000000, "outputUsdPerMTok": 2000000}}',
        KEEL_LLM_BACKOFF_MS: '5',
      }
      const config = llmConfigFromEnv(env)
      assert.ok(config !== undefined)
      const registry = new Registry()
      const client = createLlmClient(config, { db, registry })
      fake.script({ kind: 'status', status: 429, headers: { 'retry-after-ms': '10' } })
      const reply = await client.complete({ messages: [{ role: 'user', content: 'ping' }] })
      assert.equal(reply.text, 'pong')
      assert.equal(reply.retries, 1)
      assert.equal(reply.costUsd, 11 * 1 + 7 * 2, 'dated model id priced by prefix')
      assert.equal(fake.requests.length, 2)
      const summary = await llmUsageSummary(db)
      assert.deepEqual(
        { calls: summary.calls, errors: summary.errors, out: summary.outputTokens },
        { calls: 1, errors: 0, out: 7 },
      )
      const text = await registry.metrics()
      assert.match(
        text,
        /keel_llm_requests_total\{provider="[a-z]+",model="fake-model-2025",outcome="ok"\} 1/,
      )
      assert.match(text, /keel_llm_retries_total\{[^}]*\} 1/)
      assert.match(text, /keel_llm_cost_usd_total\{[^}]*\} 25/)
      await client.close()
    } finally {
      await db.close()
      await fake.close()
    }
  })
}
