import assert from 'node:assert/strict'
import { test } from 'node:test'
import { LlmError, parseRetryAfter } from './errors.js'
import { withRetry } from './retry.js'

const policy = { maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, timeoutMs: 1000, deadlineMs: 5000 }
const headers = (h: Record<string, string>) => new Headers(h)

test('parseRetryAfter reads ms, seconds and dates', () => {
  assert.equal(parseRetryAfter(headers({ 'retry-after-ms': '250' })), 250)
  assert.equal(parseRetryAfter(headers({ 'retry-after': '2' })), 2000)
  const date = parseRetryAfter(headers({ 'retry-after': new Date(Date.now() + 3000).toUTCString() }))
  assert.ok(date !== undefined && date > 1000 && date <= 3000)
  assert.equal(parseRetryAfter(headers({})), undefined)
})

test('backoff delays stay under the doubling ceiling and honour retry-after', async () => {
  const delays: number[] = []
  let calls = 0
  await assert.rejects(
    withRetry(
      async () => {
        calls++
        throw new LlmError('LLM_SERVER_ERROR', 'boom', { retryable: true, status: 500 })
      },
      policy,
      undefined,
      { random: () => 0.999, onRetry: (_e, delay) => delays.push(delay) },
    ),
  )
  assert.equal(calls, 4)
  assert.equal(delays.length, 3)
  for (const [i, d] of delays.entries()) assert.ok(d <= Math.min(40, 10 * 2 ** i), `delay ${i} = ${d}`)
  const hinted: number[] = []
  await withRetry(
    async ({ index }) => {
      if (index === 0) throw new LlmError('LLM_RATE_LIMITED', '429', { retryable: true, retryAfterMs: 120 })
      return 'ok'
    },
    policy,
    undefined,
    { random: () => 0, onRetry: (_e, delay) => hinted.push(delay) },
  )
  assert.deepEqual(hinted, [120])
})

test('non-retryable errors fail at once; retry-after past the deadline fails fast', async () => {
  let calls = 0
  await assert.rejects(
    withRetry(async () => {
      calls++
      throw new LlmError('LLM_BAD_REQUEST', 'bad', { retryable: false, status: 400 })
    }, policy),
    (e: unknown) => e instanceof LlmError && e.code === 'LLM_BAD_REQUEST',
  )
  assert.equal(calls, 1)
  calls = 0
  await assert.rejects(
    withRetry(async () => {
      calls++
      throw new LlmError('LLM_RATE_LIMITED', '429', { retryable: true, retryAfterMs: 60_000 })
    }, policy),
    (e: unknown) => e instanceof LlmError && e.code === 'LLM_DEADLINE_EXCEEDED',
  )
  assert.equal(calls, 1)
})

test('a caller abort stops retries', async () => {
  const controller = new AbortController()
  let calls = 0
  const pending = withRetry(
    async () => {
      calls++
      if (calls === 1) setTimeout(() => controller.abort(), 1)
      throw new LlmError('LLM_SERVER_ERROR', '500', { retryable: true })
    },
    { ...policy, baseDelayMs: 200, maxDelayMs: 200 },
    controller.signal,
    { random: () => 0.9 },
  )
  await assert.rejects(pending, (e: unknown) => e instanceof LlmError && e.code === 'LLM_ABORTED')
  assert.equal(calls, 1)
})
