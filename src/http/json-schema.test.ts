import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { jsonSchemaOf } from './json-schema.js'

test('jsonSchemaOf gives the dialect Ajv, fast-json-stringify and the OpenAPI 3.0 document share', () => {
  const schema = jsonSchemaOf(
    z.object({
      n: z.number().nullable(),
      o: z.object({ a: z.string() }).partial().nullable().describe('maybe'),
      any: z.looseObject({}),
      counts: z.record(z.string(), z.int()),
      top: z.int().min(1).max(100).default(5),
      either: z.union([z.number(), z.string()]),
      key: z.string().optional(),
    }),
  )
  assert.deepEqual(schema, {
    type: 'object',
    properties: {
      n: { type: 'number', nullable: true },
      o: { type: 'object', properties: { a: { type: 'string' } }, description: 'maybe', nullable: true },
      any: { type: 'object', additionalProperties: true },
      counts: { type: 'object', additionalProperties: { type: 'integer' } },
      top: { default: 5, type: 'integer', minimum: 1, maximum: 100 },
      either: { type: ['number', 'string'] },
      key: { type: 'string' },
    },
    // Input view: a field with a default is optional (Ajv fills it in); extra keys are not refused.
    required: ['n', 'o', 'any', 'counts', 'either'],
  })
})

test('jsonSchemaOf keeps a strict object strict', () => {
  assert.equal(jsonSchemaOf(z.strictObject({ a: z.string() })).additionalProperties, false)
})
