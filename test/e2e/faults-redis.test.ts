// Faults injected for real on the LLM response cache's Redis: Redis is shut down (redis-cli shutdown
// nosave) while an LLM client (against the fake provider server) keeps answering, then started again.
// Other tests share this Redis, so the outage is kept to a few seconds and Redis is always started
// again (after hook), then waited for.
import assert from 'node:assert/strict'
import { execFileSync, execSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { after, test } from 'node:test'
import { createLlmClient } from '../../src/llm/client.js'
import type { LlmConfig } from '../../src/llm/config.js'
import { RedisLlmCache } from '../../src/llm/redis-cache.js'
import { startFakeLlmServer } from '../helpers/fake-llm-server.js'
import { redisGate } from '../helpers/test-backends.js'
import { sleep, waitFor } from './faults-helpers.js'

const redis = redisGate()
const port = (): string => new URL(redis.require()).port || '6379'

function redisIsUp(): boolean {
  try {
    const answer = execFileSync('redis-cli', ['-p', port(), 'ping'], {
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
    return answer.trim() === 'PONG'
  } catch {
    return false
  }
}

/** Starts Redis as the test environment runs it (no persistence) unless it is up, and waits for it. */
async function ensureRedisUp(): Promise<void> {
  if (redisIsUp()) return
  try {
    execSync(
      `redis-server --daemonize yes --bind 127.0.0.1 -::1 --port ${port()} --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log`,
      { stdio: 'ignore' },
    )
  } catch {
    // Started by someone else meanwhile: wait below.
  }
  await waitFor('Redis to answer PING', () => redisIsUp(), 30_000)
}

after(async () => {
  if (redis.skip === false) await ensureRedisUp()
})

function config(baseUrl: string): LlmConfig {
  return {
    provider: 'anthropic',
    model: 'fake-model',
    apiKey: 'k',
    baseUrl,
    retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 5000, deadlineMs: 10_000 },
    maxConcurrency: 4,
    prices: {},
    cacheTtlMs: 60_000,
  }
}

const ask = (content: string) => ({ messages: [{ role: 'user' as const, content }], temperature: 0 })

test('Redis shut down under an LLM client: calls degrade to uncached without errors or stalls, and caching resumes when Redis returns', {
  skip: redis.skip,
}, async () => {
  const fake = await startFakeLlmServer('anthropic', { respond: () => 'fresh answer' })
  const cache = new RedisLlmCache(redis.require(), `keel:faults:${randomUUID()}:`)
  const client = createLlmClient(config(fake.baseUrl), { cache })
  try {
    assert.equal((await client.complete(ask('warm'))).cached, false)
    assert.equal((await client.complete(ask('warm'))).cached, true)

    try {
      execFileSync('redis-cli', ['-p', port(), 'shutdown', 'nosave'], { stdio: 'ignore' })
    } catch {
      // redis-cli reports the dropped connection of a successful shutdown as an error.
    }
    // Whatever happens to this test (a call that hangs included), Redis is back within 10 s.
    const safety = setTimeout(() => void ensureRedisUp(), 10_000)
    await waitFor('Redis to stop', () => !redisIsUp(), 10_000)
    const outage: { ms: number; cached: boolean; text: string }[] = []
    const outageStart = Date.now()
    try {
      // Callers keep getting answers from the provider: a cache miss, never an error or a wait on
      // Redis' reconnection schedule.
      for (let i = 0; Date.now() - outageStart < 3000 || i < 6; i++) {
        const started = performance.now()
        const prompt = i % 2 === 0 ? 'warm' : `during outage ${i}`
        const answer = await client.complete(ask(prompt))
        outage.push({ ms: performance.now() - started, cached: answer.cached, text: answer.text })
        let streamed = ''
        for await (const chunk of client.stream(ask(prompt)))
          if (chunk.kind === 'text') streamed += chunk.text
        assert.equal(streamed, 'fresh answer')
        await sleep(200)
      }
    } finally {
      clearTimeout(safety)
      await ensureRedisUp()
    }
    assert.ok(
      outage.every((o) => !o.cached && o.text === 'fresh answer'),
      JSON.stringify(outage),
    )
    const slowest = Math.max(...outage.map((o) => o.ms))
    assert.ok(
      slowest < 1000,
      `calls during the outage took up to ${slowest.toFixed(0)} ms: ${JSON.stringify(outage.map((o) => Math.round(o.ms)))}`,
    )

    // Redis is back (empty: it runs without persistence): the cache fills and hits again.
    await waitFor(
      'the cache to hit again after Redis returned',
      async () => {
        await client.complete(ask('after'))
        return (await client.complete(ask('after'))).cached
      },
      20_000,
    )
    process.stdout.write(
      `# redis outage: ${outage.length} calls, slowest ${slowest.toFixed(0)} ms, all uncached; cache hits again after restart\n`,
    )
  } finally {
    await client.close()
    await cache.close()
    await fake.close()
    await ensureRedisUp()
  }
})
