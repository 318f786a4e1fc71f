/**
 * The predict route, POST /v1/models/{name}/predict, and its fast path (fast-path.ts): plain predict
 * requests skip Node's http layer and Fastify's request pipeline; everything else, and every request
 * the fast path declines, is Fastify's. Both run `predictCore` and accept the same bodies.
 */
import { randomUUID } from 'node:crypto'
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { checkApi } from '../../http/auth.js'
import { errorReply } from '../../http/error-reply.js'
import { ExplainTooLargeError, ModelNotFoundError } from '../../http/errors.js'
import { knownNames, type ServeContext } from '../context.js'
import { attachFastPath, type FastHandler, type FastPath } from '../fast-path.js'
import { parsePlainJson } from '../json-body.js'
import { recordRequest } from '../metrics.js'
import { envelopeError, type RequestLabels, requestKeyOf } from '../predict-request.js'
import type { PredictionResult } from '../prediction-result.js'
import type { ServedModel } from '../predictor.js'
import {
  errorSchema,
  MODEL_NAME_MAX_LENGTH,
  type NameParams,
  nameParamsSchema,
  PREDICT_ROUTE,
  type PredictBody,
  type PredictQuery,
  predictBodySchema,
  predictQuerySchema,
  predictResponseSchema,
  routeValidatedValue,
} from '../schemas.js'

/** The request-id header Fastify reads (and the fast path too); without one, an id is made. */
export const REQUEST_ID_HEADER = 'x-request-id'
/** Fastify's request ids (`genReqId`), and the fast path's for requests without the header. */
export const newRequestId = (): string => randomUUID()

/** Options of `predictRoutes`. */
export interface PredictRoutesOptions {
  readonly ctx: ServeContext
}

type PredictAnswer = PredictionResult | { predictions: PredictionResult[] }

/**
 * Features an explanation of this model's request works over: the most of any model that may answer
 * it (primary, canary, experiment variants, fallback), so the budget holds whichever answers. Models
 * still loading count as the primary.
 */
function explainFeatureCount(ctx: ServeContext, servedModel: ServedModel): number {
  let most = 0
  for (const ref of servedModel.refs())
    most = Math.max(most, ctx.manager.get(ref)?.model.features.length ?? 0)
  for (const v of servedModel.experiment?.variants ?? [])
    most = Math.max(most, ctx.manager.get(v.ref)?.model.features.length ?? 0)
  return Math.max(1, most)
}

/**
 * The predict route's work, shared by the Fastify route and the fast path: route to the served model
 * (experiment variant, canary or primary), validate, predict with fallbacks, log.
 */
async function predictCore(
  ctx: ServeContext,
  name: string,
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: PredictBody,
  bodyText: string | undefined,
  explainTop: number | undefined,
  setLabels: (labels: RequestLabels) => void,
): Promise<PredictAnswer> {
  const servedModel = ctx.models.get(name)
  const labels: RequestLabels = {
    model: servedModel === undefined ? '_unknown' : name,
    version: '',
    variant: '',
  }
  setLabels(labels)
  if (servedModel === undefined) throw new ModelNotFoundError(name, knownNames(ctx))
  const hasFeatures = body.features !== undefined
  const hasRows = body.rows !== undefined
  if (hasFeatures === hasRows) throw envelopeError()
  if (explainTop !== undefined) {
    // Explanations run on the event loop: bound their work per request before any is done.
    const nRows = hasRows ? body.rows!.length : 1
    const nFeatures = explainFeatureCount(ctx, servedModel)
    if (nRows * nFeatures > ctx.config.explainBudget)
      throw new ExplainTooLargeError(nRows, nFeatures, ctx.config.explainBudget)
  }
  const experiment = servedModel.experiment
  const requestKey = requestKeyOf(
    headers,
    body,
    experiment?.keyHeader ?? ctx.config.requestKeyHeader,
    experiment?.keyField,
  )
  const results = await servedModel.predict(
    { rows: hasRows ? body.rows! : [body.features!], isBatch: hasRows, bodyText, requestKey, explainTop },
    labels,
  )
  return hasRows ? { predictions: results } : results[0]!
}

/**
 * The fast path's handler: a body it parses and the route's own compiled validator accepts is
 * answered here; anything else (possible prototype poisoning, bad JSON, a body the schema rejects)
 * is handed to Fastify (undefined).
 */
function fastHandler(
  ctx: ServeContext,
  validateBody: (value: unknown) => { value: unknown } | undefined,
  logInternal: (error: unknown) => void,
): FastHandler {
  const { metrics } = ctx
  return (request) => {
    const text = request.body
    const parsed = parsePlainJson(text)
    const checked = parsed === undefined ? undefined : validateBody(parsed)
    if (checked === undefined) return undefined
    const body = checked.value as PredictBody
    const started = performance.now()
    let labels: RequestLabels | undefined
    const observe = (status: number): void => {
      if (labels !== undefined) recordRequest(metrics, labels, status, (performance.now() - started) / 1000)
    }
    return predictCore(ctx, request.name, request.headers, body, text, undefined, (l) => {
      labels = l
    }).then(
      (result) => {
        observe(200)
        return { status: 200, body: JSON.stringify(result) }
      },
      (error: unknown) => {
        const requestId = request.headers[REQUEST_ID_HEADER] || newRequestId()
        const reply = errorReply(
          error instanceof Error ? error : new Error(String(error)),
          requestId,
          logInternal,
        )
        observe(reply.status)
        return { status: reply.status, body: JSON.stringify(reply.body) }
      },
    )
  }
}

/** Starts the fast path in front of `app`'s server, validating with `app`'s compiled route schema. */
function startFastPath(app: FastifyInstance, ctx: ServeContext, predictBody: object): FastPath {
  const { config, metrics, auth } = ctx
  const logInternal = (error: unknown): void => app.log.error({ err: error }, 'internal error')
  // The route's body validator (Fastify's compiler, same options, same schema object): a body it
  // accepts here gets exactly the value, coercions included, that the route's handler would get.
  const compiled = app.validatorCompiler?.({
    schema: predictBody,
    method: 'POST',
    url: PREDICT_ROUTE,
    httpPart: 'body',
  })
  // Without a compiled validator no body could be checked as the route checks it, so none is taken.
  const validateBody = (value: unknown): { value: unknown } | undefined =>
    compiled === undefined ? undefined : routeValidatedValue(compiled, value)
  // A request without the API token is Fastify's to refuse (401): `authorize` sees the head only, so
  // the front hands such a connection over before it reads the body.
  const authorize = (headers: Readonly<Record<string, string>>): boolean => {
    try {
      checkApi(headers.authorization, auth.apiToken, auth.adminToken)
      return true
    } catch {
      return false
    }
  }
  const answered = metrics.fastPath.tally({ outcome: 'answered' })
  const handedOff = metrics.fastPath.tally({ outcome: 'handed_off' })
  return attachFastPath(app.server, {
    onAnswered: () => answered.inc(),
    onHandoff: () => handedOff.inc(),
    bodyLimit: config.bodyLimitBytes,
    // Names the route takes: its params schema's limit, and the router's.
    maxNameLength: Math.min(
      MODEL_NAME_MAX_LENGTH,
      app.initialConfig.routerOptions?.maxParamLength ?? MODEL_NAME_MAX_LENGTH,
    ),
    headersTimeoutMs: config.timeouts.headersMs,
    requestTimeoutMs: config.timeouts.requestMs,
    // Fastify's own 413 (its error, through the same error reply), answered before the body is read,
    // then the same lingering close as on the Fastify path (the fast path's default bounds).
    tooLarge: (head) => {
      const requestId = head.headers[REQUEST_ID_HEADER] || newRequestId()
      const reply = errorReply(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), requestId, logInternal)
      return { status: reply.status, body: JSON.stringify(reply.body) }
    },
    handler: fastHandler(ctx, validateBody, logInternal),
    ...(auth.apiTokenRequired ? { authorize } : {}),
    onError: logInternal,
  })
}

/**
 * Fastify plugin: the predict route, and (with `config.fastPath`) the fast path in front of the
 * server, started once the route's schema is compiled (`onReady`) and stopped on close.
 */
export async function predictRoutes(scope: FastifyInstance, { ctx }: PredictRoutesOptions): Promise<void> {
  const { config, metrics, auth } = ctx
  // Per-request metric labels live beside the request, not on it (no global type augmentation).
  const labelsOf = new WeakMap<FastifyRequest, RequestLabels>()
  // One schema object: the route validates with it, and the fast path with the validator Fastify
  // compiles from it, so the two cannot disagree on which bodies are valid.
  const predictBody = predictBodySchema(config.maxBatchRows)
  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 422: errorSchema, 503: errorSchema }

  scope.post<{ Params: NameParams; Querystring: PredictQuery; Body: PredictBody }>(
    PREDICT_ROUTE,
    {
      schema: {
        summary: 'Predict one row or a batch',
        tags: ['predict'],
        params: nameParamsSchema,
        querystring: predictQuerySchema,
        body: predictBody,
        response: { 200: predictResponseSchema, 413: errorSchema, ...errors },
        security: [{ bearer: [] }],
      },
      // Without an API token there is nothing to check: no hook at all on the hottest route.
      ...(auth.apiTokenRequired ? { onRequest: auth.requireApi } : {}),
      // Callback style: an async hook costs a promise and a microtask turn per request.
      onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        const labels = labelsOf.get(request)
        if (labels !== undefined) recordRequest(metrics, labels, reply.statusCode, reply.elapsedTime / 1000)
        done()
      },
    },
    async (request) =>
      predictCore(
        ctx,
        request.params.name,
        request.headers,
        request.body,
        ctx.bodyTextOf(request),
        request.query.explain === true ? (request.query.top ?? 5) : undefined,
        (labels) => labelsOf.set(request, labels),
      ),
  )

  if (!config.fastPath) return
  let fast: FastPath | undefined
  scope.addHook('onReady', async function (this: FastifyInstance) {
    fast = startFastPath(this, ctx, predictBody)
  })
  scope.addHook('preClose', (done) => {
    fast?.close()
    done()
  })
}
