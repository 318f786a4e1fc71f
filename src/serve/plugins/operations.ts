/**
 * Operations endpoints: liveness (/health), readiness (/ready), Prometheus metrics (/metrics), and the
 * API's documentation: the OpenAPI document (/openapi.json) and its page (/docs), which list each
 * served model's own predict body beside the generic route.
 */
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { LIBRARY_VERSION, redactPaths } from '../../core/index.js'
import type { JsonSchema } from '../../http/json-schema.js'
import type { ServableModel } from '../../pipeline/servable.js'
import type { ServeContext } from '../context.js'
import { modelPredictBodySchema, PREDICT_ROUTE } from '../schemas.js'

/** Options of `operationRoutes`. */
export interface OperationRoutesOptions {
  readonly ctx: ServeContext
  /** Replaces the /metrics body, e.g. with the cluster-wide aggregate from the primary process. */
  readonly metricsText?: (() => Promise<string>) | undefined
}

/** Why the database cannot be used now (a failed or slow `select 1`), or undefined when it can. */
async function probeDb(ctx: ServeContext): Promise<string | undefined> {
  // SQLite is a local file the process holds open: nothing to reach.
  if (ctx.tables === undefined || ctx.db?.dialect !== 'postgres') return undefined
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([
      sql`select 1`.execute(ctx.tables),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000)
      }),
    ])
    return undefined
  } catch (error) {
    // /ready is unauthenticated: name the kind of failure, never the database's host, port or user.
    const code = (error as NodeJS.ErrnoException).code
    return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)
      ? `database unreachable (${code})`
      : 'database unreachable'
  } finally {
    clearTimeout(timer)
  }
}

/** The OpenAPI path of the predict route (`/v1/models/{name}/predict`). */
const PREDICT_PATH = PREDICT_ROUTE.replace(':name', '{name}')

/**
 * The OpenAPI document with one concrete predict path per served model whose primary version is
 * loaded (`/v1/models/churn/predict`: OpenAPI matches concrete paths before templated ones), its
 * request body listing that version's features. Built per request from the versions serving now,
 * since hot swaps change them; each version's schema is made once.
 */
function modelDocumenter(ctx: ServeContext): (doc: JsonSchema) => JsonSchema {
  const bodies = new WeakMap<ServableModel, JsonSchema>()
  const bodyOf = (model: ServableModel): JsonSchema => {
    let body = bodies.get(model)
    if (body === undefined) {
      body = modelPredictBodySchema(model.features, ctx.config.extraFields, ctx.config.maxBatchRows)
      bodies.set(model, body)
    }
    return body
  }
  return (doc) => {
    const paths = doc.paths as Record<string, { post?: JsonSchema }> | undefined
    const generic = paths?.[PREDICT_PATH]?.post
    if (paths === undefined || generic === undefined) return doc
    for (const [name, served] of ctx.models) {
      const model = ctx.manager.get(served.config.ref)?.model
      if (model === undefined) continue
      const parameters = Array.isArray(generic.parameters)
        ? generic.parameters.filter(
            (p: { in?: string; name?: string }) => !(p.in === 'path' && p.name === 'name'),
          )
        : []
      paths[PREDICT_PATH.replace('{name}', encodeURIComponent(name))] = {
        post: {
          ...generic,
          summary: `Predict with '${name}' (${model.name} v${model.version})`,
          description:
            "The request body lists the features of the version serving now; a canary, experiment variant or fallback may read others (GET /v1/models/{name} lists a model's features).",
          parameters,
          requestBody: {
            required: true,
            content: { 'application/json': { schema: bodyOf(model) } },
          },
        },
      }
    }
    return doc
  }
}

/**
 * Registers the OpenAPI generator (@fastify/swagger). On the root instance and before the route
 * plugins: it collects the routes registered after it in its context.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Keel prediction server', version: LIBRARY_VERSION },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  })
}

/** Fastify plugin: /health, /ready, /metrics, /openapi.json and /docs. */
export async function operationRoutes(
  app: FastifyInstance,
  { ctx, metricsText }: OperationRoutesOptions,
): Promise<void> {
  const { manager, metrics } = ctx
  const document = modelDocumenter(ctx)
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // The page's document is /openapi.json's: the per-model paths on a copy of the cached document.
    transformSpecificationClone: true,
    transformSpecification: (spec) => document(spec as JsonSchema),
  })

  app.get('/health', { schema: { summary: 'Liveness', tags: ['ops'] } }, async () => ({ status: 'ok' }))

  app.get(
    '/ready',
    { schema: { summary: 'Readiness: 200 once every configured model is loaded and warmed', tags: ['ops'] } },
    async (_request, reply) => {
      const loading = [...ctx.requiredRefs].filter((r) => manager.get(r) === undefined)
      // Predictions need no database, but feedback, experiments and the log do: a server that cannot
      // reach it is taken out of rotation until it can.
      const dbProblem = loading.length === 0 ? await probeDb(ctx) : undefined
      if (dbProblem !== undefined) {
        void reply.status(503)
        // /ready is unauthenticated: the driver's message goes out without filesystem paths.
        return { status: 'unavailable', reason: redactPaths(dbProblem) }
      }
      if (loading.length === 0) return { status: 'ready' }
      void reply.status(503)
      const errorOf = (ref: string): { error?: string } => {
        const error = manager.errorOf(ref)
        return error === undefined ? {} : { error: redactPaths(error) }
      }
      return { status: 'loading', loading: loading.map((ref) => ({ ref, ...errorOf(ref) })) }
    },
  )

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_request, reply) => {
      const text = metricsText !== undefined ? await metricsText() : await metrics.registry.metrics()
      void reply.header('content-type', metrics.registry.contentType)
      return text
    },
  )

  app.get('/openapi.json', { schema: { hide: true } }, async () =>
    document(structuredClone(app.swagger() as unknown as JsonSchema)),
  )
}
