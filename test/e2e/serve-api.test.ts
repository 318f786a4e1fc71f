import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createMemoryModelSource, createServer, type KeelServer } from '../../src/serve/index.js'
import { openDb } from '../../src/store/index.js'
import { fakeModel, fakeRow, testFastPath } from '../helpers/serve-fixtures.js'

process.env.KEEL_HOME = mkdtempSync(join(tmpdir(), 'keel-home-'))

interface PromMetric {
  name: string
  type: string
  metrics: {
    labels?: Record<string, string>
    value?: string
    buckets?: Record<string, string>
    count?: string
  }[]
}
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromMetric[]

type Json = Record<string, unknown>

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; text: string; headers: Headers }> {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  const res = await fetch(url, init)
  const text = await res.text()
  let parsed: Json = {}
  try {
    parsed = JSON.parse(text) as Json
  } catch {
    parsed = {}
  }
  return { status: res.status, body: parsed, text, headers: res.headers }
}

function problemsOf(body: Json): { field: string; code: string; reason: string; row?: number }[] {
  const error = body.error as { problems?: { field: string; code: string; reason: string; row?: number }[] }
  return error.problems ?? []
}

describe('serve API over HTTP', () => {
  let server: KeelServer
  let base: string
  const dbUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-serve-')), 'keel.db')}`

  before(async () => {
    const source = createMemoryModelSource([
      fakeModel({ version: 1 }),
      fakeModel({ name: 'noexplain', explain: false }),
    ])
    source.setAlias('churn', 'production', 1)
    server = await createServer({
      source,
      config: {
        models: ['churn@production', { ref: 'noexplain', extraFields: 'reject' }],
        fastPath: testFastPath(),
        maxBatchRows: 5,
        bodyLimitBytes: 4096,
        predictionLog: { flushIntervalMs: 20 },
      },
      db: dbUrl,
      adminToken: 'admin-secret',
      logger: false,
    })
    await server.waitUntilReady()
    base = await server.listen(0)
  })
  after(async () => {
    await server.close()
  })

  test('health, ready, models', async () => {
    assert.equal((await call(`${base}/health`, 'GET')).status, 200)
    assert.equal((await call(`${base}/ready`, 'GET')).status, 200)
    const list = await call(`${base}/v1/models`, 'GET')
    const models = list.body.models as Json[]
    assert.deepEqual(
      models.map((m) => m.name),
      ['churn', 'noexplain'],
    )
    const one = await call(`${base}/v1/models/churn`, 'GET')
    assert.equal(one.body.version, 1)
    assert.deepEqual(one.body.aliases, { production: 1 })
    assert.equal((one.body.features as Json[]).length, 6)
    assert.equal((await call(`${base}/v1/models/nope`, 'GET')).status, 404)
  })

  test('single prediction returns id, probabilities, version, variant, servedBy', async () => {
    const res = await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow() })
    assert.equal(res.status, 200, res.text)
    assert.match(String(res.body.predictionId), /^[0-9a-f-]{36}$/)
    assert.ok(['yes', 'no'].includes(String(res.body.prediction)))
    const p = res.body.probabilities as Record<string, number>
    assert.ok(Math.abs(p.yes! + p.no! - 1) < 1e-9)
    assert.equal(res.body.version, 1)
    assert.equal(res.body.variant, 'default')
    assert.equal(res.body.servedBy, 'primary')
    assert.equal(res.body.explanation, undefined)
  })

  test('batch prediction answers every row in order; over the limit is 400', async () => {
    const rows = [fakeRow({ age: 20 }), fakeRow({ age: 90, plan: 'pro' }), fakeRow({ tenure: 40 })]
    const res = await call(`${base}/v1/models/churn/predict`, 'POST', { rows })
    assert.equal(res.status, 200, res.text)
    const preds = res.body.predictions as Json[]
    assert.equal(preds.length, 3)
    assert.equal(new Set(preds.map((p) => p.predictionId)).size, 3)
    const yes = preds.map((p) => (p.probabilities as Record<string, number>).yes!)
    assert.ok(yes[1]! > yes[0]!, 'older customers churn more in the fake model')
    const tooMany = await call(`${base}/v1/models/churn/predict`, 'POST', { rows: Array(6).fill(fakeRow()) })
    assert.equal(tooMany.status, 400)
  })

  test('explain=true returns the top contributions; unsupported model is 422', async () => {
    const res = await call(`${base}/v1/models/churn/predict?explain=true&top=2`, 'POST', {
      features: fakeRow({ age: 90 }),
    })
    assert.equal(res.status, 200, res.text)
    const ex = res.body.explanation as { feature: string; contribution: number }[]
    assert.equal(ex.length, 2)
    assert.equal(ex[0]!.feature, 'age')
    const no = await call(`${base}/v1/models/noexplain/predict?explain=true`, 'POST', { features: fakeRow() })
    assert.equal(no.status, 422)
    assert.equal((no.body.error as Json).code, 'SERVE_EXPLAIN_UNSUPPORTED')
  })

  test('missing feature → 422 MISSING', async () => {
    const row = fakeRow()
    delete row.age
    const res = await call(`${base}/v1/models/churn/predict`, 'POST', { features: row })
    assert.equal(res.status, 422)
    assert.deepEqual(
      problemsOf(res.body).map((p) => [p.field, p.code]),
      [['age', 'MISSING']],
    )
  })

  test('wrong types → 422 WRONG_TYPE for each field', async () => {
    const res = await call(`${base}/v1/models/churn/predict`, 'POST', {
      features: fakeRow({ age: 'forty', active: 'yes', plan: true }),
    })
    assert.equal(res.status, 422)
    assert.deepEqual(
      problemsOf(res.body)
        .map((p) => `${p.field}:${p.code}`)
        .sort(),
      ['active:WRONG_TYPE', 'age:WRONG_TYPE', 'plan:WRONG_TYPE'],
    )
  })

  test('NaN/Infinity strings and huge numbers → 422 NOT_FINITE; out of range → OUT_OF_RANGE', async () => {
    const nan = await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow({ age: 'NaN' }) })
    assert.equal(problemsOf(nan.body)[0]?.code, 'NOT_FINITE')
    const huge = await call(
      `${base}/v1/models/churn/predict`,
      'POST',
      JSON.stringify({ features: fakeRow() }).replace('"tenure":3', '"tenure":1e400'),
    )
    assert.equal(huge.status, 422, huge.text)
    assert.equal(problemsOf(huge.body)[0]?.code, 'NOT_FINITE')
    const range = await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow({ age: 400 }) })
    assert.equal(problemsOf(range.body)[0]?.code, 'OUT_OF_RANGE')
  })

  test('unknown category level: reject policy → 422, missing policy → served', async () => {
    const rejected = await call(`${base}/v1/models/churn/predict`, 'POST', {
      features: fakeRow({ plan: 'gold' }),
    })
    assert.equal(rejected.status, 422)
    assert.equal(problemsOf(rejected.body)[0]?.code, 'UNKNOWN_LEVEL')
    const missing = await call(`${base}/v1/models/churn/predict`, 'POST', {
      features: fakeRow({ region: 'mars' }),
    })
    assert.equal(missing.status, 200)
  })

  test('extra fields: ignored by default, rejected where configured', async () => {
    const ignored = await call(`${base}/v1/models/churn/predict`, 'POST', {
      features: fakeRow({ colour: 'red' }),
    })
    assert.equal(ignored.status, 200)
    const rejected = await call(`${base}/v1/models/noexplain/predict`, 'POST', {
      features: fakeRow({ colour: 'red' }),
    })
    assert.equal(rejected.status, 422)
    assert.deepEqual(problemsOf(rejected.body)[0], {
      field: 'colour',
      code: 'UNEXPECTED_FIELD',
      reason: 'is not a feature of this model',
    })
  })

  test('batch problems name the row', async () => {
    const res = await call(`${base}/v1/models/churn/predict`, 'POST', {
      rows: [fakeRow(), fakeRow({ age: null })],
    })
    assert.equal(res.status, 422)
    assert.deepEqual(problemsOf(res.body)[0], {
      row: 1,
      field: 'age',
      code: 'MISSING',
      reason: 'is required but missing or null',
    })
  })

  test('malformed bodies are 400, oversize 413, unknown model 404, never 500', async () => {
    const bad = await call(`${base}/v1/models/churn/predict`, 'POST', '{"features": ')
    assert.equal(bad.status, 400, bad.text)
    const neither = await call(`${base}/v1/models/churn/predict`, 'POST', { foo: 1 })
    assert.equal(neither.status, 400)
    const notObject = await call(`${base}/v1/models/churn/predict`, 'POST', { features: [1, 2] })
    assert.equal(notObject.status, 400)
    const huge = await call(`${base}/v1/models/churn/predict`, 'POST', {
      features: fakeRow({ pad: 'x'.repeat(5000) }),
    })
    assert.equal(huge.status, 413)
    assert.equal((huge.body.error as Json).code, 'SERVE_BODY_TOO_LARGE')
    // Prototype poisoning is refused whether the key is plain or spelled with \u escapes (the
    // parser skips its scan only for texts that cannot contain such a key).
    const row = JSON.stringify(fakeRow())
    for (const poisoned of [
      `{"features": ${row}, "__proto__": {"polluted": 1}}`,
      `{"features": ${row}, "\\u005f_proto__": {"polluted": 1}}`,
      `{"features": ${row}, "constructor": {"prototype": {"polluted": 1}}}`,
    ]) {
      const r = await call(`${base}/v1/models/churn/predict`, 'POST', poisoned)
      assert.equal(r.status, 400, `${poisoned.slice(-45)}: ${r.text}`)
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was polluted')
    const bom = await call(`${base}/v1/models/churn/predict`, 'POST', `\ufeff{"features": ${row}}`)
    assert.equal(bom.status, 200, `a byte-order mark is skipped as before: ${bom.text}`)
    const unknown = await call(`${base}/v1/models/ghost/predict`, 'POST', { features: fakeRow() })
    assert.equal(unknown.status, 404)
    assert.equal((unknown.body.error as Json).code, 'SERVE_MODEL_NOT_FOUND')
    assert.ok(typeof (unknown.body.error as Json).requestId === 'string')
  })

  test('feedback single and batch is stored beside the prediction', async () => {
    const a = await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow() })
    const b = await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow() })
    const one = await call(`${base}/v1/feedback`, 'POST', {
      predictionId: a.body.predictionId,
      outcome: 'yes',
    })
    assert.equal(one.status, 200, one.text)
    const many = await call(`${base}/v1/feedback`, 'POST', {
      items: [
        { predictionId: b.body.predictionId, outcome: true },
        { predictionId: a.body.predictionId, outcome: 1 },
      ],
    })
    assert.deepEqual(many.body, { accepted: 2 })
    assert.equal((await call(`${base}/v1/feedback`, 'POST', { outcome: 1 })).status, 400)
    await server.log?.flush()
    const db = await openDb(dbUrl)
    try {
      const rows = await db
        .typed<{ serve_feedback: { prediction_id: string; outcome_value: number } }>()
        .selectFrom('serve_feedback')
        .selectAll()
        .execute()
      const byId = new Map(rows.map((r) => [r.prediction_id, r.outcome_value]))
      assert.equal(byId.get(String(a.body.predictionId)), 1)
      assert.equal(byId.get(String(b.body.predictionId)), 1)
      const logged = await db
        .typed<{ serve_predictions: { id: string; features: string; served_by: string } }>()
        .selectFrom('serve_predictions')
        .selectAll()
        .where('id', '=', String(a.body.predictionId))
        .executeTakeFirst()
      assert.equal(JSON.parse(logged!.features).plan, 'basic')
      assert.equal(logged!.served_by, 'primary')
    } finally {
      await db.close()
    }
  })

  test('admin endpoints need the admin token', async () => {
    assert.equal((await call(`${base}/v1/admin/reload`, 'POST')).status, 401)
    assert.equal(
      (await call(`${base}/v1/admin/reload`, 'POST', undefined, { authorization: 'Bearer wrong' })).status,
      401,
    )
    const ok = await call(`${base}/v1/admin/reload`, 'POST', undefined, {
      authorization: 'Bearer admin-secret',
    })
    assert.equal(ok.status, 200, ok.text)
  })

  test('OpenAPI document and docs page come from the route schemas', async () => {
    const doc = await call(`${base}/openapi.json`, 'GET')
    assert.equal(doc.status, 200)
    assert.match(String(doc.body.openapi), /^3\./)
    const paths = doc.body.paths as Record<string, Record<string, Json>>
    assert.ok(paths['/v1/models/{name}/predict']?.post !== undefined)
    const schema = JSON.stringify(paths['/v1/models/{name}/predict']?.post?.requestBody)
    assert.match(schema, /"maxItems":5/)
    const docs = await fetch(`${base}/docs`)
    assert.equal(docs.status, 200)
    assert.match(await docs.text(), /swagger/i)
  })

  test('/metrics parses and counts requests per model/version/variant/status', async () => {
    const res = await fetch(`${base}/metrics`)
    const metrics = parsePrometheus(await res.text())
    const requests = metrics.find((m) => m.name === 'keel_requests_total')
    assert.ok(requests !== undefined)
    const ok = requests.metrics.find(
      (m) =>
        m.labels?.model === 'churn' &&
        m.labels.status === '200' &&
        m.labels.version === '1' &&
        m.labels.variant === 'default',
    )
    assert.ok(Number(ok?.value) >= 3)
    assert.ok(requests.metrics.some((m) => m.labels?.status === '422'))
    const latency = metrics.find((m) => m.name === 'keel_request_duration_seconds')
    assert.equal(latency?.type, 'HISTOGRAM')
    assert.ok(metrics.some((m) => m.name === 'keel_prediction_score'))
    assert.ok(metrics.some((m) => m.name === 'keel_prediction_log_queue_depth'))
    assert.ok(metrics.some((m) => m.name === 'process_cpu_user_seconds_total'))
  })
})

describe('serve API token', () => {
  test('prediction endpoints need KEEL_API_TOKEN when set; admin disabled without admin token', async () => {
    const source = createMemoryModelSource([fakeModel()])
    const server = await createServer({
      source,
      config: { models: ['churn'], fastPath: testFastPath() },
      db: false,
      apiToken: 'api-secret',
      adminToken: '',
      logger: false,
    })
    try {
      await server.waitUntilReady()
      const base = await server.listen(0)
      assert.equal(
        (await call(`${base}/v1/models/churn/predict`, 'POST', { features: fakeRow() })).status,
        401,
      )
      const ok = await call(
        `${base}/v1/models/churn/predict`,
        'POST',
        { features: fakeRow() },
        { authorization: 'Bearer api-secret' },
      )
      assert.equal(ok.status, 200)
      const admin = await call(`${base}/v1/admin/reload`, 'POST', undefined, {
        authorization: 'Bearer api-secret',
      })
      assert.equal(admin.status, 403)
      assert.equal((admin.body.error as Json).code, 'SERVE_ADMIN_DISABLED')
    } finally {
      await server.close()
    }
  })
})
