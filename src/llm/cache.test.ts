import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { startFakeLlmServer } from '../../test/helpers/fake-llm-server.js'
import { redisGate } from '../../test/helpers/test-backends.js'
import { openDb } from '../store/index.js'
import { isCacheable, type LlmCache, llmCacheKey } from './cache.js'
import { createLlmClient } from './client.js'
import type { LlmConfig } from './config.js'
import { RedisLlmCache } from './redis-cache.js'
import { StoreLlmCache } from './store-cache.js'

const home = mkdtempSync(join(tmpdir(), 'keel-llm-cache-'))
process.env.KEEL_HOME = home
after(() => rmSync(home, { recursive: true, force: true }))

const ask = { messages: [{ role: 'user' as const, content: 'What is Keel?' }], maxTokens: 30 }

function config(baseUrl: string, ttlMs = 60_000): LlmConfig {
  return {
    provider: 'anthropic',
    model: 'fake-model',
    apiKey: 'k',
    baseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 2000, deadlineMs: 5000 },
    maxConcurrency: 2,
    prices: {},
    cacheTtlMs: ttlMs,
  }
}

test('cache key ignores cosmetic whitespace but not content or params', () => {
  const a = llmCacheKey('openai', 'm', { messages: [{ role: 'user', content: 'hi\r\n' }], temperature: 0 })
  const b = llmCacheKey('openai', 'm', { messages: [{ role: 'user', content: ' hi' }], temperature: 0 })
  const c = llmCacheKey('openai', 'm', { messages: [{ role: 'user', content: 'hi!' }], temperature: 0 })
  const d = llmCacheKey('openai', 'm', {
    messages: [{ role: 'user', content: 'hi' }],
    temperature: 0,
    maxTokens: 5,
  })
  const e = llmCacheKey('anthropic', 'm', { messages: [{ role: 'user', content: 'hi' }], temperature: 0 })
  assert.equal(a, b)
  assert.notEqual(a, c)
  assert.notEqual(a, d)
  assert.notEqual(a, e)
  assert.equal(isCacheable({ messages: [], temperature: 0 }), true)
  assert.equal(isCacheable({ messages: [], temperature: 0.3 }), false)
  assert.equal(isCacheable({ messages: [] }), false)
  assert.equal(isCacheable({ messages: [], temperature: 0.3, cache: true }), true)
  assert.equal(isCacheable({ messages: [], temperature: 0, cache: false }), false)
})

async function hitMissSuite(makeCache: () => Promise<{ cache: LlmCache; done: () => Promise<void> }>) {
  const fake = await startFakeLlmServer('anthropic', { respond: () => 'cached answer' })
  const { cache, done } = await makeCache()
  try {
    const client = createLlmClient(config(fake.baseUrl), { cache })
    const first = await client.complete({ ...ask, temperature: 0 })
    assert.equal(first.cached, false)
    const second = await client.complete({ ...ask, temperature: 0 })
    assert.equal(second.cached, true)
    assert.equal(second.text, 'cached answer')
    assert.equal(fake.requests.length, 1, 'a hit sends no request')
    // Streaming replays a hit too.
    let streamed = ''
    for await (const chunk of client.stream({ ...ask, temperature: 0 }))
      if (chunk.kind === 'text') streamed += chunk.text
    assert.equal(streamed, 'cached answer')
    assert.equal(fake.requests.length, 1)
    // Non-deterministic requests always go to the provider.
    await client.complete({ ...ask, temperature: 0.8 })
    await client.complete({ ...ask, temperature: 0.8 })
    assert.equal(fake.requests.length, 3)
    // Opt-in caches them.
    await client.complete({ ...ask, temperature: 0.8, cache: true })
    await client.complete({ ...ask, temperature: 0.8, cache: true })
    assert.equal(fake.requests.length, 4)
    // TTL: an expired entry is a miss.
    const shortLived = createLlmClient(config(fake.baseUrl, 30), { cache })
    const other = { messages: [{ role: 'user' as const, content: 'ttl probe' }], temperature: 0 }
    await shortLived.complete(other)
    await new Promise((resolve) => setTimeout(resolve, 80))
    const again = await shortLived.complete(other)
    assert.equal(again.cached, false)
    assert.equal(fake.requests.length, 6)
  } finally {
    await done()
    await fake.close()
  }
}

describe('response cache', () => {
  test('SQLite store cache: hit, miss, TTL', async () => {
    await hitMissSuite(async () => {
      const db = await openDb(`sqlite:${join(home, 'cache.db')}`)
      return { cache: new StoreLlmCache(db), done: () => db.close() }
    })
  })

  const redis = redisGate()
  test('Redis cache: hit, miss, TTL', { skip: redis.skip }, async () => {
    const redisUrl = redis.require()
    await hitMissSuite(async () => {
      const cache = new RedisLlmCache(redisUrl, `keel:test:${randomUUID()}:`)
      return { cache, done: () => cache.close() }
    })
  })
})
