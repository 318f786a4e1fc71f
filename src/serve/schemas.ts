/**
 * The HTTP API's bodies as zod schemas: the one source of the request validators (Fastify compiles
 * the JSON Schema generated from them with its Ajv), the handlers' TypeScript types and the OpenAPI
 * document. Response schemas leave every field optional, as the replies' serializers must never
 * refuse a reply for a field it does not carry.
 */
import { z } from 'zod'
import { type JsonSchema, jsonSchemaOf } from '../http/json-schema.js'
import type { FeatureSpec } from '../pipeline/servable.js'
import type { ExtraFieldPolicy } from './validate.js'

/** Longest `requestKey` a predict body may carry. */
export const REQUEST_KEY_MAX_LENGTH = 200

/** The predict route (Fastify's path syntax). */
export const PREDICT_ROUTE = '/v1/models/:name/predict'

/**
 * Longest model name in a URL: the `{name}` params schema and the router's `maxParamLength` (app.ts)
 * both use it, and it matches the longest route name the serve config allows.
 */
export const MODEL_NAME_MAX_LENGTH = 200

const problem = z.object({ row: z.int(), field: z.string(), code: z.string(), reason: z.string() }).partial()

/** Body of every error response. */
export const errorBody = z
  .object({
    error: z
      .object({ code: z.string(), message: z.string(), requestId: z.string(), problems: z.array(problem) })
      .partial(),
  })
  .partial()
  .describe('Error: a stable code, a message, the request id and, for bad input, every problem found.')

/** One row of features whatever the model: any keys, checked per model by `compileRowValidator`. */
const anyFeatures = z.looseObject({}).describe('Feature name → value (number, string, boolean or null).')

/** Predict body around a row schema: exactly one of `features` (one row) or `rows` (a batch). */
function predictEnvelope<R extends z.ZodType>(row: R, maxBatchRows: number) {
  return z
    .object({
      features: row.optional(),
      rows: z.array(row).min(1).max(maxBatchRows).optional(),
      requestKey: z
        .string()
        .max(REQUEST_KEY_MAX_LENGTH)
        .optional()
        .describe('Key for sticky A/B assignment (or send the key header, or the experiment key field).'),
    })
    .describe('Exactly one of `features` (one row) or `rows` (a batch).')
}

/**
 * Body of POST /v1/models/{name}/predict, for any model. The route validates with the JSON Schema of
 * this, and the fast path with the validator Fastify compiles from that same schema object (see
 * `routeValidatedValue`), so both paths accept the same bodies.
 */
export function predictBody(maxBatchRows: number) {
  return predictEnvelope(anyFeatures, maxBatchRows)
}

/** A validated predict body (the route's and the fast path's). */
export type PredictBody = z.output<ReturnType<typeof predictBody>>

/** The JSON Schema of the predict body (see `predictBody`). */
export function predictBodySchema(maxBatchRows: number): JsonSchema {
  return jsonSchemaOf(predictBody(maxBatchRows))
}

/** zod schema of one feature's value as `compileRowValidator` accepts it (documentation only). */
function featureValue(spec: FeatureSpec): z.ZodType {
  let value: z.ZodType
  switch (spec.kind) {
    case 'numeric': {
      let n = z.number()
      if (spec.min !== undefined) n = n.min(spec.min)
      if (spec.max !== undefined) n = n.max(spec.max)
      value = n
      break
    }
    case 'categorical': {
      const levels = spec.levels ?? []
      // A finite number is taken as its decimal string; an unknown level is null unless rejected.
      const level =
        levels.length > 0 && spec.unknownLevel === 'reject'
          ? z.enum(levels as [string, ...string[]])
          : z.string()
      const known =
        levels.length === 0
          ? 'any level'
          : `levels ${levels.slice(0, 20).join(', ')}${levels.length > 20 ? ', …' : ''}`
      value = z
        .union([level, z.number()])
        .describe(
          `Category (${known}); a number is read as its decimal string.${spec.unknownLevel === 'reject' ? '' : ' An unknown level is read as missing.'}`,
        )
      break
    }
    case 'boolean':
      value = z.boolean()
      break
    case 'datetime':
      value = z
        .union([z.string().meta({ format: 'date-time' }), z.number()])
        .describe('ISO 8601 date-time or epoch milliseconds.')
      break
    default: {
      const never: never = spec.kind
      throw new Error(`unsupported feature kind ${String(never)}`)
    }
  }
  return spec.required === false ? value.nullable().optional() : value
}

/**
 * The predict body of one model, from its feature list: names, kinds, category levels and bounds,
 * for the OpenAPI document. Validation stays the route's generic schema plus the per-version row
 * validator (whose problem list the document cannot express); this says what that validator takes.
 * Extra fields are allowed (and ignored) unless the server rejects them (`extraFields: reject`).
 */
export function modelPredictBodySchema(
  features: readonly FeatureSpec[],
  extraFields: ExtraFieldPolicy,
  maxBatchRows: number,
): JsonSchema {
  const shape: Record<string, z.ZodType> = {}
  for (const f of features) shape[f.name] = featureValue(f)
  const row = (extraFields === 'reject' ? z.strictObject(shape) : z.looseObject(shape)).describe(
    extraFields === 'reject'
      ? "The model's features; other fields are rejected (an experiment's key field excepted)."
      : "The model's features; other fields are ignored.",
  )
  return jsonSchemaOf(predictEnvelope(row, maxBatchRows))
}

const predictQuery = z.object({
  explain: z.boolean().default(false).describe('Add the top feature contributions.'),
  top: z.int().min(1).max(100).default(5).describe('Contributions per row.'),
})
/** Query of the predict route (after Ajv's defaults). */
export type PredictQuery = z.output<typeof predictQuery>
export const predictQuerySchema = jsonSchemaOf(predictQuery)

const contribution = z.object({ feature: z.string(), contribution: z.number() }).partial()
const predictionShape = {
  predictionId: z.string(),
  prediction: z.union([z.number(), z.string()]),
  probabilities: z.record(z.string(), z.number()),
  model: z.string(),
  version: z.int(),
  variant: z.string(),
  servedBy: z.enum(['primary', 'fallback', 'default']),
  explanation: z.array(contribution),
}

/** Response of predict: a single prediction's fields, or `predictions` for a batch. */
export const predictResponseSchema = jsonSchemaOf(
  z
    .object({ ...predictionShape, predictions: z.array(z.object(predictionShape).partial()) })
    .partial()
    .describe('One row: the prediction fields. Batch: `predictions`, one per row in order.'),
)

export const errorSchema = jsonSchemaOf(errorBody)

const nameParams = z.object({ name: z.string().min(1).max(MODEL_NAME_MAX_LENGTH) })
export type NameParams = z.output<typeof nameParams>
export const nameParamsSchema = jsonSchemaOf(nameParams)

const idParams = z.object({ id: z.string().min(1).max(100) })
export type IdParams = z.output<typeof idParams>
export const idParamsSchema = jsonSchemaOf(idParams)

/** A compiled request-part validator, as Fastify's schema compiler (Ajv) returns it. */
export type RouteValidator = (
  data: unknown,
  context?: { parentData: Record<string, unknown>; parentDataProperty: string },
) => unknown

/**
 * Runs a route's compiled validator on a value the way Fastify runs it on a request part (with a
 * parent, so Ajv's type coercion can replace even the root value) and returns the value the route
 * handler would get, or undefined when the route would not take it as it is: invalid, or a result
 * other than Ajv's plain `true` (an async or custom validator), which Fastify must then handle.
 */
export function routeValidatedValue(
  validate: RouteValidator,
  value: unknown,
): { value: unknown } | undefined {
  const parent: Record<string, unknown> = { value }
  const result = validate(value, { parentData: parent, parentDataProperty: 'value' })
  return result === true ? { value: parent.value } : undefined
}

const outcome = z.union([z.number(), z.string(), z.boolean()]).describe('The true label or value.')
const feedbackItem = z.object({ predictionId: z.string().min(1).max(64), outcome })

/** Body of POST /v1/feedback: one item, or `items`. */
function feedbackBody(maxItems: number) {
  return feedbackItem.partial().extend({ items: z.array(feedbackItem).min(1).max(maxItems).optional() })
}
export type FeedbackBody = z.output<ReturnType<typeof feedbackBody>>
export function feedbackBodySchema(maxItems: number): JsonSchema {
  return jsonSchemaOf(feedbackBody(maxItems))
}

export const feedbackResponseSchema = jsonSchemaOf(z.object({ accepted: z.int() }).partial())

const featureSpec = z
  .object({
    name: z.string(),
    kind: z.string(),
    levels: z.array(z.string()),
    required: z.boolean(),
    unknownLevel: z.string(),
    min: z.number(),
    max: z.number(),
  })
  .partial()

/** One served model as listed by GET /v1/models. */
export const modelInfo = z
  .object({
    name: z.string(),
    ref: z.string(),
    status: z.enum(['ready', 'loading']),
    error: z.string(),
    model: z.string(),
    version: z.int(),
    task: z.string(),
    classes: z.array(z.string()),
    features: z.array(featureSpec),
    explain: z.boolean(),
    fallback: z.string(),
    hasDefault: z.boolean(),
    shadow: z.array(z.string()),
    canary: z
      .object({ ref: z.string(), weight: z.number(), rolledBack: z.boolean(), reason: z.string() })
      .partial(),
    experiment: z.string(),
    aliases: z.record(z.string(), z.int()),
  })
  .partial()
export const modelInfoSchema = jsonSchemaOf(modelInfo)
export const modelListSchema = jsonSchemaOf(z.object({ models: z.array(modelInfo) }).partial())

/**
 * Experiment body for the admin API (same fields as the config file). Only the envelope is checked
 * here; `experimentSchema` (experiments.ts) then checks it whole and names unknown keys with the
 * nearest valid one, which a JSON Schema error cannot.
 */
const experimentBody = z.object({
  id: z.string(),
  model: z.string(),
  variants: z.array(z.object({ name: z.string(), ref: z.string(), weight: z.number() })).min(2),
  keyField: z.string().optional(),
  keyHeader: z.string().optional(),
  defaultVariant: z.string().optional(),
  status: z.enum(['running', 'stopped']).optional(),
})
export type ExperimentBody = z.output<typeof experimentBody>
export const experimentBodySchema = jsonSchemaOf(experimentBody)

const abReportQuery = z.object({ goal: z.enum(['increase', 'decrease']).optional() })
export type AbReportQuery = z.output<typeof abReportQuery>
export const abReportQuerySchema = jsonSchemaOf(abReportQuery)
