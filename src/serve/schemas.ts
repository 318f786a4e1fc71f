/** JSON schemas of the HTTP API: they validate requests and generate the OpenAPI document. */

const problem = {
  type: 'object',
  properties: {
    row: { type: 'integer' },
    field: { type: 'string' },
    code: { type: 'string' },
    reason: { type: 'string' },
  },
} as const

/** Body of every error response. */
export const errorSchema = {
  type: 'object',
  description: 'Error: a stable code, a message, the request id and, for bad input, every problem found.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        requestId: { type: 'string' },
        problems: { type: 'array', items: problem },
      },
    },
  },
} as const

const featureObject = {
  type: 'object',
  additionalProperties: true,
  description: 'Feature name → value (number, string, boolean or null).',
} as const

/** Longest `requestKey` a predict body may carry. */
export const REQUEST_KEY_MAX_LENGTH = 200

/** The predict route (Fastify's path syntax). */
export const PREDICT_ROUTE = '/v1/models/:name/predict'

/**
 * Longest model name in a URL: the `{name}` params schema and the router's `maxParamLength` (app.ts)
 * both use it, and it matches the longest route name the serve config allows.
 */
export const MODEL_NAME_MAX_LENGTH = 200

/**
 * Body of POST /v1/models/{name}/predict. The fast path checks bodies with the validator compiled
 * from this same schema object (see `routeValidatedValue`), so both paths accept the same bodies.
 */
export function predictBodySchema(maxBatchRows: number) {
  return {
    type: 'object',
    description: 'Exactly one of `features` (one row) or `rows` (a batch).',
    properties: {
      features: featureObject,
      rows: { type: 'array', minItems: 1, maxItems: maxBatchRows, items: featureObject },
      requestKey: {
        type: 'string',
        maxLength: REQUEST_KEY_MAX_LENGTH,
        description: 'Key for sticky A/B assignment (or send the key header, or the experiment key field).',
      },
    },
  } as const
}

export const predictQuerySchema = {
  type: 'object',
  properties: {
    explain: { type: 'boolean', default: false, description: 'Add the top feature contributions.' },
    top: { type: 'integer', minimum: 1, maximum: 100, default: 5, description: 'Contributions per row.' },
  },
} as const

const contribution = {
  type: 'object',
  properties: { feature: { type: 'string' }, contribution: { type: 'number' } },
} as const

const predictionProps = {
  predictionId: { type: 'string' },
  prediction: { type: ['number', 'string'] },
  probabilities: { type: 'object', additionalProperties: { type: 'number' } },
  model: { type: 'string' },
  version: { type: 'integer' },
  variant: { type: 'string' },
  servedBy: { type: 'string', enum: ['primary', 'fallback', 'default'] },
  explanation: { type: 'array', items: contribution },
} as const

/** Response of predict: a single prediction's fields, or `predictions` for a batch. */
export const predictResponseSchema = {
  type: 'object',
  description: 'One row: the prediction fields. Batch: `predictions`, one per row in order.',
  properties: {
    ...predictionProps,
    predictions: { type: 'array', items: { type: 'object', properties: predictionProps } },
  },
} as const

export const nameParamsSchema = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: MODEL_NAME_MAX_LENGTH } },
} as const

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

export const idParamsSchema = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const

const feedbackItem = {
  type: 'object',
  required: ['predictionId', 'outcome'],
  properties: {
    predictionId: { type: 'string', minLength: 1, maxLength: 64 },
    outcome: { type: ['number', 'string', 'boolean'], description: 'The true label or value.' },
  },
} as const

/** Body of POST /v1/feedback: one item, or `items`. */
export function feedbackBodySchema(maxItems: number) {
  return {
    type: 'object',
    properties: {
      ...feedbackItem.properties,
      items: { type: 'array', minItems: 1, maxItems, items: feedbackItem },
    },
  } as const
}

export const feedbackResponseSchema = {
  type: 'object',
  properties: { accepted: { type: 'integer' } },
} as const

const featureSpec = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    kind: { type: 'string' },
    levels: { type: 'array', items: { type: 'string' } },
    required: { type: 'boolean' },
    unknownLevel: { type: 'string' },
    min: { type: 'number' },
    max: { type: 'number' },
  },
} as const

/** One served model as listed by GET /v1/models. */
export const modelInfoSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    ref: { type: 'string' },
    status: { type: 'string', enum: ['ready', 'loading'] },
    error: { type: 'string' },
    model: { type: 'string' },
    version: { type: 'integer' },
    task: { type: 'string' },
    classes: { type: 'array', items: { type: 'string' } },
    features: { type: 'array', items: featureSpec },
    explain: { type: 'boolean' },
    fallback: { type: 'string' },
    hasDefault: { type: 'boolean' },
    shadow: { type: 'array', items: { type: 'string' } },
    canary: {
      type: 'object',
      properties: {
        ref: { type: 'string' },
        weight: { type: 'number' },
        rolledBack: { type: 'boolean' },
        reason: { type: 'string' },
      },
    },
    experiment: { type: 'string' },
    aliases: { type: 'object', additionalProperties: { type: 'integer' } },
  },
} as const

/** Experiment body for the admin API (same fields as the config file). */
export const experimentBodySchema = {
  type: 'object',
  required: ['id', 'model', 'variants'],
  properties: {
    id: { type: 'string' },
    model: { type: 'string' },
    variants: {
      type: 'array',
      minItems: 2,
      items: {
        type: 'object',
        required: ['name', 'ref', 'weight'],
        properties: { name: { type: 'string' }, ref: { type: 'string' }, weight: { type: 'number' } },
      },
    },
    keyField: { type: 'string' },
    keyHeader: { type: 'string' },
    defaultVariant: { type: 'string' },
    status: { type: 'string', enum: ['running', 'stopped'] },
  },
} as const
