import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createMemoryModelSource, createServer, migrateServeTables } from '../../src/serve/index.js'
import { openDb } from '../../src/store/index.js'
import { fakeRow as baseRow, FAKE_FEATURES, fakeModel, testFastPath } from '../helpers/serve-fixtures.js'

// Rows that validation passes through unchanged are logged as the request's own JSON text; the
// others are stringified from their clean form. Either way the logged features parse back to
// exactly the row the model saw.
// A free-text category, so rows can carry escapes and non-ASCII text.
const fakeRow = (overrides: Record<string, unknown> = {}) => baseRow({ note: 'plain', ...overrides })

test('logged features round-trip exactly: as-sent rows keep their text, changed rows their clean form', async () => {
  const dbUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-log-rows-')), 'keel.db')}`
  const model = fakeModel({ features: [...FAKE_FEATURES, { name: 'note', kind: 'categorical' }] })
  const server = await createServer({
    source: createMemoryModelSource([model]),
    config: { models: ['churn'], pollIntervalMs: 0, extraFields: 'ignore', fastPath: testFastPath() },
    db: dbUrl,
    logger: false,
  })
  await server.waitUntilReady()
  const { signup: _dropped, ...noSignup } = fakeRow()
  const batch = [
    fakeRow({ tenure: -0.000123, region: null }),
    fakeRow({ extra: 'ignored', nested: { a: [1, '}'] } }),
    noSignup,
    fakeRow({ region: 'apac', plan: 'pro' }),
    fakeRow({ age: 1e-7, note: 'line\u2028sep "quoted" \\ é😀 }' }),
  ]
  const post = async (payload: string) => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/models/churn/predict',
      headers: { 'content-type': 'application/json' },
      payload,
    })
    assert.equal(res.statusCode, 200, res.body)
    return res.json() as { predictionId?: string; predictions?: { predictionId: string }[] }
  }
  const singleText = JSON.stringify({ requestKey: 'k', features: fakeRow({ age: 7.5 }) }, null, 2)
  const single = await post(singleText)
  const batchText = `{ "rows" : ${JSON.stringify(batch, null, '\t')} }`
  const many = await post(batchText)
  await server.close()

  const db = await openDb(dbUrl)
  try {
    const k = await migrateServeTables(db)
    const logged = new Map(
      (await k.selectFrom('serve_predictions').select(['id', 'features']).execute()).map((r) => [
        r.id,
        r.features,
      ]),
    )
    const ids = [single.predictionId!, ...many.predictions!.map((p) => p.predictionId)]
    const seen = model.rowsSeen
    assert.equal(seen.length, 6, 'the model saw every row')
    for (let i = 0; i < ids.length; i++) {
      const text = logged.get(ids[i]!)
      assert.ok(text !== undefined, `row ${i} logged`)
      assert.deepEqual(JSON.parse(text), seen[i], `row ${i}: logged features are the row the model saw`)
    }
    // As sent: the request's own text (indentation included), not a re-encoding.
    assert.ok(singleText.includes(logged.get(ids[0]!)!), 'single row logged as sent')
    assert.ok(batchText.includes(logged.get(ids[1]!)!), 'batch row 0 logged as sent')
    assert.ok(batchText.includes(logged.get(ids[5]!)!), 'batch row 4 logged as sent')
    // Changed by validation (extra fields dropped, missing filled, unknown level nulled): clean form.
    assert.deepEqual(JSON.parse(logged.get(ids[2]!)!), fakeRow(), 'extras dropped')
    assert.deepEqual(
      JSON.parse(logged.get(ids[3]!)!),
      { ...noSignup, signup: null },
      'missing optional is null',
    )
    assert.deepEqual(
      JSON.parse(logged.get(ids[4]!)!),
      fakeRow({ region: null, plan: 'pro' }),
      'unknown level logged as missing',
    )
  } finally {
    await db.close()
  }
})
