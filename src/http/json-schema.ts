/**
 * zod schemas as the JSON Schema the HTTP layer feeds Fastify: its Ajv compiles request validators
 * from them (so validation keeps Ajv's compiled speed), fast-json-stringify compiles response
 * serializers, and @fastify/swagger puts them in the OpenAPI 3.0 document. One zod schema is thus
 * the validation, the TypeScript type (`z.input` / `z.output`) and the documentation of a body.
 */
import { z } from 'zod'

/** A JSON Schema object, as Fastify's route `schema` parts and @fastify/swagger take it. */
export type JsonSchema = { [key: string]: unknown }

/** Keys whose value is one subschema. */
const SUBSCHEMA_KEYS = ['items', 'additionalProperties', 'not'] as const
/** Keys whose value is a list of subschemas. */
const SUBSCHEMA_LIST_KEYS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const
/** Keys whose value maps names to subschemas. */
const SUBSCHEMA_MAP_KEYS = ['properties', '$defs', 'definitions'] as const

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Rewrites zod's draft-07 output into the dialect every consumer here reads alike:
 * - "or null" as OpenAPI 3.0's `nullable: true` (Ajv and fast-json-stringify support the keyword;
 *   @fastify/swagger passes it through), not `type: [X, 'null']` or `anyOf [X, {type: null}]`;
 * - `additionalProperties: {}` (zod's "any extra key") as `true`, and an empty `properties` beside it
 *   dropped: the same schema Ajv compiles to no per-key work at all;
 * - `propertyNames: {type: 'string'}` of records dropped: JSON keys are strings, and the check would
 *   cost Ajv a loop over every key of every row;
 * - z.int()'s implicit ±2^53-1 bounds dropped (noise in the document, two comparisons in Ajv).
 */
function simplify(node: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...node }
  for (const key of SUBSCHEMA_KEYS) if (isObject(out[key])) out[key] = simplify(out[key])
  for (const key of SUBSCHEMA_LIST_KEYS) {
    const list = out[key]
    if (Array.isArray(list)) out[key] = list.map((s: unknown) => (isObject(s) ? simplify(s) : s))
  }
  for (const key of SUBSCHEMA_MAP_KEYS) {
    const map = out[key]
    if (!isObject(map)) continue
    const mapped: JsonSchema = {}
    for (const [name, s] of Object.entries(map)) mapped[name] = isObject(s) ? simplify(s) : s
    out[key] = mapped
  }
  if (Array.isArray(out.type) && out.type.includes('null')) {
    const rest = out.type.filter((t: unknown) => t !== 'null')
    out.type = rest.length === 1 ? rest[0] : rest
    out.nullable = true
  }
  const anyOf = out.anyOf
  if (Array.isArray(anyOf) && anyOf.length === 2) {
    const nonNull = anyOf.filter(
      (s: unknown) => !(isObject(s) && s.type === 'null' && Object.keys(s).length === 1),
    )
    if (nonNull.length === 1 && isObject(nonNull[0])) {
      delete out.anyOf
      return { ...nonNull[0], ...out, nullable: true }
    }
  }
  if (isObject(out.additionalProperties) && Object.keys(out.additionalProperties).length === 0) {
    out.additionalProperties = true
    if (isObject(out.properties) && Object.keys(out.properties).length === 0) delete out.properties
  }
  if (
    isObject(out.propertyNames) &&
    out.propertyNames.type === 'string' &&
    Object.keys(out.propertyNames).length === 1
  )
    delete out.propertyNames
  if (out.type === 'integer') {
    if (out.minimum === Number.MIN_SAFE_INTEGER) delete out.minimum
    if (out.maximum === Number.MAX_SAFE_INTEGER) delete out.maximum
  }
  return out
}

/**
 * The JSON Schema of a zod schema for a route's `schema` (body, querystring, params or a response).
 * Converted in zod's input view: a field with a default is optional (Ajv fills the default in, as
 * Fastify runs it with `useDefaults`), and an object says nothing of extra keys unless the zod
 * schema does (`z.strictObject` gives `additionalProperties: false`), so a plain `z.object` keeps
 * the JSON Schema default of accepting them. Call it once per schema, at startup: Fastify compiles
 * each schema object it is given.
 */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const raw = z.toJSONSchema(schema, { target: 'draft-7', io: 'input' }) as JsonSchema
  delete raw.$schema
  return simplify(raw)
}
