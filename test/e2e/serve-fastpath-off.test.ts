// The serving e2e suites a second time with the predict fast path off (KEEL_TEST_FAST_PATH=0, read by
// `testFastPath()` in test/helpers/serve-fixtures.ts and by serve-child.ts): every request goes through Fastify,
// so both HTTP paths are held to the same tests. Their own files run them with it on (the default).
// One process for all: the suites run one after another here, each with its own databases.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createMemoryModelSource, createServer } from '../../src/serve/index.js'
import { fakeModel, fakeRow, TEST_FAST_PATH_ENV, testFastPath } from '../helpers/serve-fixtures.js'

process.env[TEST_FAST_PATH_ENV] = '0'

test('KEEL_TEST_FAST_PATH=0: a server started as the suites start theirs answers without the fast path', async () => {
  const server = await createServer({
    source: createMemoryModelSource([fakeModel()]),
    config: { models: ['churn'], pollIntervalMs: 0, fastPath: testFastPath() },
    db: false,
    logger: false,
  })
  try {
    await server.waitUntilReady()
    const base = await server.listen(0)
    const res = await fetch(`${base}/v1/models/churn/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: fakeRow() }),
    })
    assert.equal(res.status, 200)
    const counts = (await server.metrics.fastPath.get()).values
    assert.deepEqual(
      counts.filter((v) => v.value > 0),
      [],
      'no request answered or handed off by the fast path',
    )
  } finally {
    await server.close()
  }
})

await import('./serve-api.test.js')
await import('./serve-ab.test.js')
await import('./serve-log-rows.test.js')
await import('./serve-resilience.test.js')
await import('./serve-durability.test.js')
