import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import {
  type CreateServerOptions,
  createMemoryModelSource,
  createServer,
  type KeelServer,
} from '../../src/serve/index.js'
import { openDb } from '../../src/store/index.js'
import { parsePrometheus } from '../helpers/prometheus.js'
import { fakeModel, fakeRow, testFastPath } from '../helpers/serve-fixtures.js'

process.env.KEEL_HOME = mkdtempSync(join(tmpdir(), 'keel-home-'))

type Json = Record<string, unknown>

async function predict(
  base: string,
  name: string,
  body: unknown = { features: fakeRow() },
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${base}/v1/models/${name}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

async function withServer(
  options: CreateServerOptions,
  fn: (base: string, server: KeelServer) => Promise<void>,
): Promise<void> {
  // KEEL_TEST_FAST_PATH=0 runs the suite through Fastify only (a config's own fastPath wins).
  const server = await createServer({
    logger: false,
    ...options,
    config: { fastPath: testFastPath(), ...options.config },
  })
  try {
    await server.waitUntilReady()
    await fn(await server.listen(0), server)
  } finally {
    await server.close()
  }
}

async function metricValue(base: string, name: string, labels: Record<string, string>): Promise<number> {
  const metrics = parsePrometheus(await (await fetch(`${base}/metrics`)).text())
  const m = metrics.find((x) => x.name === name)
  let total = 0
  for (const s of m?.metrics ?? []) {
    if (Object.entries(labels).every(([k, v]) => s.labels?.[k] === v)) total += Number(s.value)
  }
  return total
}

describe('fallback chain', () => {
  test('a throwing primary is answered by the fallback model registered in the source', async () => {
    const source = createMemoryModelSource([
      fakeModel({ version: 1, fail: true, failAfterWarmup: true }),
      fakeModel({ name: 'churn-linear', version: 4, bias: 1 }),
    ])
    source.setFallback('churn', 'churn-linear@4')
    await withServer({ source, config: { models: ['churn'] }, db: false }, async (base) => {
      // The fallback loads after the primary (it is named by the primary's version).
      for (
        let i = 0;
        i < 50 &&
        (await fetch(`${base}/v1/models/churn`).then((r) => r.json() as Promise<Json>)).fallback ===
          undefined;
        i++
      )
        await new Promise((r) => setTimeout(r, 20))
      let res = await predict(base, 'churn')
      for (let i = 0; i < 50 && res.body.servedBy !== 'fallback'; i++) {
        await new Promise((r) => setTimeout(r, 20))
        res = await predict(base, 'churn')
      }
      assert.equal(res.status, 200)
      assert.equal(res.body.servedBy, 'fallback')
      assert.equal(res.body.model, 'churn-linear')
      assert.equal(res.body.version, 4)
      assert.ok(
        (await metricValue(base, 'keel_fallbacks_total', {
          model: 'churn',
          reason: 'error',
          to: 'fallback',
        })) >= 1,
      )
    })
  })

  test('a primary over its time budget is answered by the configured fallback', async () => {
    const slow = fakeModel({ version: 1, delayMs: 300 })
    const source = createMemoryModelSource([slow, fakeModel({ name: 'small', version: 1, bias: 2 })])
    await withServer(
      { source, config: { models: [{ ref: 'churn', timeoutMs: 30, fallback: 'small' }] }, db: false },
      async (base) => {
        const res = await predict(base, 'churn')
        assert.equal(res.status, 200)
        assert.equal(res.body.servedBy, 'fallback')
        assert.equal(res.body.model, 'small')
        assert.ok(
          (await metricValue(base, 'keel_fallbacks_total', { model: 'churn', reason: 'timeout' })) >= 1,
        )
      },
    )
  })

  test('with every model failing the static default answers; without one it is 503', async () => {
    const source = createMemoryModelSource([
      fakeModel({ fail: true, failAfterWarmup: true }),
      fakeModel({ name: 'bad', fail: true, failAfterWarmup: true }),
    ])
    await withServer(
      {
        source,
        config: {
          models: [
            {
              ref: 'churn',
              fallback: 'bad',
              default: { prediction: 'no', probabilities: { no: 0.8, yes: 0.2 } },
            },
            { ref: 'bad', name: 'bare' },
          ],
        },
        db: false,
      },
      async (base) => {
        const res = await predict(base, 'churn', { rows: [fakeRow(), fakeRow()] })
        assert.equal(res.status, 200)
        const preds = res.body.predictions as Json[]
        assert.deepEqual(
          preds.map((p) => [p.servedBy, p.prediction]),
          [
            ['default', 'no'],
            ['default', 'no'],
          ],
        )
        const bare = await predict(base, 'bare')
        assert.equal(bare.status, 503)
        assert.equal((bare.body.error as Json).code, 'SERVE_MODEL_UNAVAILABLE')
        assert.ok((await metricValue(base, 'keel_fallbacks_total', { model: 'churn', to: 'default' })) >= 2)
      },
    )
  })

  test('the circuit breaker stops calling a failing model during its cool-down', async () => {
    const failing = fakeModel({ fail: true, failAfterWarmup: true })
    const source = createMemoryModelSource([failing, fakeModel({ name: 'small' })])
    await withServer(
      {
        source,
        config: {
          models: [{ ref: 'churn', fallback: 'small', breaker: { failureThreshold: 3, coolDownMs: 60_000 } }],
        },
        db: false,
      },
      async (base) => {
        for (let i = 0; i < 10; i++) assert.equal((await predict(base, 'churn')).body.servedBy, 'fallback')
        // 3 warm-up calls + 3 failing calls, then the open circuit keeps the model out of the path.
        assert.equal(failing.calls, 6)
        assert.ok(
          (await metricValue(base, 'keel_fallbacks_total', { model: 'churn', reason: 'circuit_open' })) >= 7,
        )
        assert.equal(await metricValue(base, 'keel_circuit_open', { model: 'churn' }), 1)
      },
    )
  })
})

describe('hot swap', () => {
  test('promoting a version swaps it in under concurrent load with zero failed requests', async () => {
    const v1 = fakeModel({ version: 1 })
    const v2 = fakeModel({ version: 2, bias: 1, delayMs: 1 })
    const source = createMemoryModelSource([v1, v2])
    source.setAlias('churn', 'production', 1)
    await withServer(
      { source, config: { models: ['churn@production'], pollIntervalMs: 25 }, db: false },
      async (base) => {
        const seen = new Map<number, number>()
        const failures: string[] = []
        let promoted = false
        let stop = false
        const worker = async (): Promise<void> => {
          while (!stop) {
            try {
              const res = await predict(base, 'churn')
              if (res.status !== 200) failures.push(`${res.status} ${JSON.stringify(res.body)}`)
              else {
                const v = Number(res.body.version)
                seen.set(v, (seen.get(v) ?? 0) + 1)
                if (v === 2 && promoted) stop = true
              }
            } catch (error) {
              failures.push(String(error))
            }
          }
        }
        const workers = Array.from({ length: 8 }, worker)
        await new Promise((r) => setTimeout(r, 150))
        source.setAlias('churn', 'production', 2)
        promoted = true
        const deadline = setTimeout(() => {
          stop = true
        }, 10_000)
        await Promise.all(workers)
        clearTimeout(deadline)
        // Keep loading a moment after the swap to show the new version keeps serving.
        for (let i = 0; i < 20; i++) {
          const res = await predict(base, 'churn')
          assert.equal(res.status, 200)
          assert.equal(res.body.version, 2)
        }
        assert.deepEqual(failures, [])
        assert.ok((seen.get(1) ?? 0) > 0 && (seen.get(2) ?? 0) > 0, JSON.stringify([...seen]))
        assert.ok((await metricValue(base, 'keel_model_swaps_total', { ref: 'churn@production' })) >= 1)
      },
    )
  })
})

describe('canary and shadow', () => {
  test('a failing canary is rolled back automatically and its requests are still answered', async () => {
    const source = createMemoryModelSource([
      fakeModel({ version: 1 }),
      fakeModel({ version: 2, fail: true, failAfterWarmup: true }),
    ])
    await withServer(
      {
        source,
        config: {
          models: [
            { ref: 'churn@1', canary: { ref: 'churn@2', weight: 0.5, minRequests: 5, maxErrorRate: 0.2 } },
          ],
        },
        db: false,
      },
      async (base) => {
        for (let i = 0; i < 60; i++) {
          const res = await predict(base, 'churn', { features: fakeRow(), requestKey: `u${i}` })
          assert.equal(res.status, 200)
          assert.equal(res.body.version, 1)
        }
        const info = (await (await fetch(`${base}/v1/models/churn`)).json()) as Json
        assert.equal((info.canary as Json).rolledBack, true)
        assert.equal(await metricValue(base, 'keel_canary_rollbacks_total', { model: 'churn' }), 1)
      },
    )
  })

  test('a healthy canary serves its share and reports variant canary', async () => {
    const source = createMemoryModelSource([fakeModel({ version: 1 }), fakeModel({ version: 2 })])
    await withServer(
      {
        source,
        config: { models: [{ ref: 'churn@1', canary: { ref: 'churn@2', weight: 0.3 } }] },
        db: false,
      },
      async (base) => {
        let canary = 0
        for (let i = 0; i < 100; i++) {
          const res = await predict(base, 'churn', { features: fakeRow(), requestKey: `user-${i}` })
          if (res.body.variant === 'canary') {
            canary++
            assert.equal(res.body.version, 2)
          }
        }
        assert.ok(canary > 12 && canary < 50, `canary share ${canary}/100`)
      },
    )
  })

  test('shadow models get a copy off the request path; outputs are logged and compared, never returned', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-shadow-'))
    const url = `sqlite:${join(dir, 'keel.db')}`
    const shadow = fakeModel({ name: 'churn-next', version: 7, bias: 5 })
    const source = createMemoryModelSource([fakeModel({ version: 1 }), shadow])
    const ids: string[] = []
    await withServer(
      {
        source,
        config: {
          models: [{ ref: 'churn', shadow: [{ ref: 'churn-next' }] }],
          predictionLog: { flushIntervalMs: 20 },
        },
        db: url,
      },
      async (base) => {
        for (let i = 0; i < 5; i++) {
          const res = await predict(base, 'churn')
          assert.equal(res.body.model, 'churn')
          assert.equal(res.body.version, 1)
          ids.push(String(res.body.predictionId))
        }
        for (let i = 0; i < 100 && shadow.rowsSeen.length < 5; i++)
          await new Promise((r) => setTimeout(r, 10))
        const total =
          (await metricValue(base, 'keel_shadow_predictions_total', {
            shadow: 'churn-next',
            outcome: 'agree',
          })) +
          (await metricValue(base, 'keel_shadow_predictions_total', {
            shadow: 'churn-next',
            outcome: 'disagree',
          }))
        assert.equal(total, 5)
      },
    )
    const db = await openDb(url)
    try {
      const rows = await db
        .typed<{
          serve_predictions: {
            id: string
            variant: string
            shadow_of: string | null
            served_by: string
            version: number
          }
        }>()
        .selectFrom('serve_predictions')
        .selectAll()
        .where('variant', '=', 'shadow')
        .execute()
      assert.equal(rows.length, 5)
      assert.deepEqual(rows.map((r) => r.shadow_of).sort(), [...ids].sort())
      assert.ok(rows.every((r) => r.served_by === 'shadow:churn-next@7' && r.version === 7))
    } finally {
      await db.close()
    }
  })
})
