import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import { type FakeLlmServer, startFakeLlmServer } from '../../test/helpers/fake-llm-server.js'
import { openDb } from '../store/index.js'
import { createLlmClient } from './client.js'
import type { LlmConfig } from './config.js'
import { LlmError } from './errors.js'
import { llmUsageSummary } from './usage.js'

const home = mkdtempSync(join(tmpdir(), 'keel-llm-'))
process.env.KEEL_HOME = home
after(() => rmSync(home, { recursive: true, force: true }))

function config(
  provider: 'anthropic' | 'openai',
  baseUrl: string,
  patch: Partial<LlmConfig['retry']> = {},
): LlmConfig {
  return {
    provider,
    model: 'fake-model',
    apiKey: 'test-key',
    baseUrl,
    retry: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 2000, deadlineMs: 10_000, ...patch },
    maxConcurrency: 4,
    prices: { 'fake-model': { inputUsdPerMTok: 3, outputUsdPerMTok: 15 } },
    cacheTtlMs: 60_000,
  }
}

const ask = { messages: [{ role: 'user' as const, content: 'Say hi' }], maxTokens: 20 }

for (const flavour of ['anthropic', 'openai'] as const) {
  describe(`LlmClient against a fake ${flavour} server`, () => {
    let fake: FakeLlmServer
    before(async () => {
      fake = await startFakeLlmServer(flavour, { respond: () => 'Hello from the fake provider.' })
    })
    after(() => fake.close())
    const reset = () => {
      fake.requests.length = 0
      fake.fallback = { kind: 'ok' }
    }

    test('normal call: one request, text, usage and cost', async () => {
      reset()
      const registry = new Registry()
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null, registry })
      const response = await client.complete(ask)
      assert.equal(fake.requests.length, 1)
      assert.equal(response.text, 'Hello from the fake provider.')
      assert.deepEqual(response.usage, { inputTokens: 11, outputTokens: 7 })
      assert.equal(response.retries, 0)
      assert.ok(Math.abs((response.costUsd ?? 0) - (11 * 3 + 7 * 15) / 1e6) < 1e-12)
      const body = fake.requests[0]?.body
      assert.equal(body?.model, 'fake-model')
      const metrics = await registry.getMetricsAsJSON()
      const tokens = metrics.find((m) => m.name === 'keel_llm_tokens_total')
      assert.ok(tokens !== undefined)
      const values = (tokens as unknown as { values: { value: number; labels: { kind: string } }[] }).values
      assert.equal(values.find((v) => v.labels.kind === 'output')?.value, 7)
    })

    test('slow server: per-call timeout, retried, then LLM_TIMEOUT', async () => {
      reset()
      fake.fallback = { kind: 'slow', delayMs: 5000 }
      const client = createLlmClient(config(flavour, fake.baseUrl, { timeoutMs: 700, maxAttempts: 2 }), {
        cache: null,
      })
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_TIMEOUT',
      )
      assert.equal(fake.requests.length, 2)
    })

    test('overall deadline stops retries early', async () => {
      reset()
      fake.fallback = { kind: 'slow', delayMs: 5000 }
      const client = createLlmClient(
        config(flavour, fake.baseUrl, { timeoutMs: 700, maxAttempts: 10, deadlineMs: 1600 }),
        { cache: null },
      )
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && /LLM_(TIMEOUT|DEADLINE_EXCEEDED)/.test(error.code),
      )
      assert.ok(
        fake.requests.length >= 2 && fake.requests.length <= 3, // 1.6 s deadline over 0.7 s attempts: never the 10 maxAttempts allows
        `got ${fake.requests.length} requests`,
      )
    })

    test('429 with retry-after is retried and then succeeds', async () => {
      reset()
      fake.script(
        { kind: 'status', status: 429, headers: { 'retry-after-ms': '20' } },
        { kind: 'status', status: 429, headers: { 'retry-after': '0' } },
      )
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      const response = await client.complete(ask)
      assert.equal(fake.requests.length, 3)
      assert.equal(response.retries, 2)
    })

    test('500 is retried up to maxAttempts and then fails with LLM_SERVER_ERROR', async () => {
      reset()
      fake.fallback = { kind: 'status', status: 500 }
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      await assert.rejects(
        client.complete(ask),
        (error: unknown) =>
          error instanceof LlmError && error.code === 'LLM_SERVER_ERROR' && error.status === 500,
      )
      assert.equal(fake.requests.length, 3)
    })

    test('529 overloaded is retried', async () => {
      reset()
      fake.script({ kind: 'status', status: 529 })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      const response = await client.complete(ask)
      assert.equal(fake.requests.length, 2)
      assert.equal(response.retries, 1)
      fake.fallback = { kind: 'status', status: 529 }
      fake.requests.length = 0
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_OVERLOADED',
      )
      assert.equal(fake.requests.length, 3)
    })

    test('400 is not retried', async () => {
      reset()
      fake.script({ kind: 'status', status: 400 })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_BAD_REQUEST' && !error.retryable,
      )
      assert.equal(fake.requests.length, 1)
    })

    test('401 is not retried and names the key', async () => {
      reset()
      fake.script({ kind: 'status', status: 401 })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_AUTH',
      )
      assert.equal(fake.requests.length, 1)
    })

    test('malformed JSON is a retryable bad response', async () => {
      reset()
      fake.script({ kind: 'malformed' })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      const response = await client.complete(ask)
      assert.equal(fake.requests.length, 2)
      assert.equal(response.retries, 1)
      fake.fallback = { kind: 'malformed' }
      fake.requests.length = 0
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_BAD_RESPONSE',
      )
      assert.equal(fake.requests.length, 3)
    })

    test('dropped connection is retried as LLM_CONNECTION', async () => {
      reset()
      fake.script({ kind: 'drop' })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      const response = await client.complete(ask)
      assert.equal(fake.requests.length, 2)
      assert.equal(response.text, 'Hello from the fake provider.')
      fake.fallback = { kind: 'drop' }
      fake.requests.length = 0
      await assert.rejects(
        client.complete(ask),
        (error: unknown) => error instanceof LlmError && error.code === 'LLM_CONNECTION',
      )
      assert.equal(fake.requests.length, 3)
    })

    test('streaming passes chunks through and retries before the first chunk', async () => {
      reset()
      fake.script({ kind: 'status', status: 503 })
      const client = createLlmClient(config(flavour, fake.baseUrl), { cache: null })
      let text = ''
      let done: unknown
      let pieces = 0
      for await (const chunk of client.stream(ask)) {
        if (chunk.kind === 'text') {
          text += chunk.text
          pieces++
        } else done = chunk
      }
      assert.equal(text, 'Hello from the fake provider.')
      assert.ok(pieces > 1, 'streamed in several pieces')
      assert.deepEqual((done as { usage: unknown }).usage, { inputTokens: 11, outputTokens: 7 })
      assert.equal(fake.requests.length, 2)
      assert.equal(fake.requests[1]?.body.stream, true)
    })

    test('concurrency limit caps calls in flight', async () => {
      reset()
      fake.fallback = { kind: 'slow', delayMs: 60 }
      const cfg = { ...config(flavour, fake.baseUrl), maxConcurrency: 2 }
      let inFlight = 0
      let peak = 0
      const provider = createLlmClient(cfg, { cache: null })
      const counting = {
        name: flavour,
        model: 'fake-model',
        complete: async (request: Parameters<typeof provider.complete>[0]) => {
          inFlight++
          peak = Math.max(peak, inFlight)
          try {
            return await provider.complete(request)
          } finally {
            inFlight--
          }
        },
        stream: (request: Parameters<typeof provider.stream>[0]) => provider.stream(request),
      }
      const limited = createLlmClient(cfg, { cache: null, provider: counting })
      await Promise.all(Array.from({ length: 6 }, () => limited.complete(ask)))
      assert.equal(peak, 2)
      assert.equal(fake.requests.length, 6)
    })
  })
}

describe('usage accounting in the store', () => {
  test('calls, errors and cache hits are logged', async () => {
    const fake = await startFakeLlmServer('openai')
    const db = await openDb(`sqlite:${join(home, 'usage.db')}`)
    try {
      const client = createLlmClient(config('openai', fake.baseUrl), { db })
      await client.complete({ ...ask, temperature: 0 })
      await client.complete({ ...ask, temperature: 0 })
      fake.script({ kind: 'status', status: 404 })
      await assert.rejects(client.complete({ ...ask, temperature: 0.7 }))
      const summary = await llmUsageSummary(db)
      assert.equal(summary.calls, 3)
      assert.equal(summary.errors, 1)
      assert.equal(summary.cacheHits, 1)
      assert.equal(summary.inputTokens, 22)
      assert.equal(fake.requests.length, 2)
      await client.close()
    } finally {
      await db.close()
      await fake.close()
    }
  })
})
