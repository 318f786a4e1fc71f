import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { fakeModel, fakeRow } from '../../test/helpers/serve-fixtures.js'
import { createServer, type KeelServer } from './app.js'
import { createMemoryModelSource } from './memory-source.js'

type Json = Record<string, unknown>

/** The request body schema of an OpenAPI operation. */
function bodySchema(operation: Json | undefined): Json {
  const content = (operation?.requestBody as { content?: Record<string, { schema?: Json }> } | undefined)
    ?.content
  const schema = content?.['application/json']?.schema
  assert.ok(schema !== undefined, 'the operation has a JSON request body')
  return schema
}

describe('OpenAPI document from the zod schemas', () => {
  let server: KeelServer
  before(async () => {
    server = await createServer({
      source: createMemoryModelSource([fakeModel(), fakeModel({ name: 'other', version: 4 })]),
      config: { models: ['churn', { name: 'renamed', ref: 'other' }], pollIntervalMs: 0, maxBatchRows: 7 },
      db: false,
      logger: false,
    })
    await server.waitUntilReady()
  })
  after(() => server.close())

  test("each served model's predict path lists that version's features", async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/openapi.json' })).json() as Json
    const paths = doc.paths as Record<string, Record<string, Json>>
    // The generic route keeps its schema: any features object, the batch limit from the config.
    const generic = bodySchema(paths['/v1/models/{name}/predict']?.post)
    const genericProps = generic.properties as Record<string, Json>
    assert.equal(genericProps.features?.additionalProperties, true)
    assert.equal((genericProps.rows as Json).maxItems, 7)

    const churn = paths['/v1/models/churn/predict']?.post
    assert.match(String(churn?.summary), /'churn' \(churn v1\)/)
    // The concrete path has no {name} parameter left.
    assert.ok(!JSON.stringify(churn?.parameters ?? []).includes('"in":"path"'))
    const features = (bodySchema(churn).properties as Record<string, Json>).features as Json
    const props = features.properties as Record<string, Json>
    assert.deepEqual(Object.keys(props), ['age', 'tenure', 'plan', 'region', 'active', 'signup'])
    assert.deepEqual(props.age, { type: 'number', minimum: 0, maximum: 150 })
    assert.equal(props.active?.type, 'boolean')
    // A rejected unknown level is an enum; a number is read as its string, so it is accepted too.
    assert.deepEqual((props.plan?.anyOf as Json[] | undefined)?.[0], {
      type: 'string',
      enum: ['basic', 'pro', 'enterprise'],
    })
    assert.equal(props.region?.nullable, true)
    assert.deepEqual(features.required, ['age', 'tenure', 'plan', 'active'])
    // Extra fields are ignored by default, so the document accepts them.
    assert.equal(features.additionalProperties, true)
    // The route name is documented, with the registry name and version it serves.
    assert.match(String(paths['/v1/models/renamed/predict']?.post?.summary), /'renamed' \(other v4\)/)
  })

  test('the docs page reads the same document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as Json
    assert.ok((doc.paths as Json)['/v1/models/churn/predict'] !== undefined)
  })

  test('the documented schema and the route accept the same row', async () => {
    const res = await server.app.inject({
      method: 'POST',
      url: '/v1/models/churn/predict',
      payload: { features: fakeRow() },
    })
    assert.equal(res.statusCode, 200, res.body)
  })
})
