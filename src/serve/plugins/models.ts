/**
 * The served models' descriptions (GET /v1/models, GET /v1/models/{name}), the admin reload, and
 * feedback (POST /v1/feedback: true outcomes for logged prediction ids).
 */
import type { FastifyInstance } from 'fastify'
import { redactPaths } from '../../core/index.js'
import { BadRequestError, ModelNotFoundError, ServeError } from '../../http/errors.js'
import { isTransientDbError } from '../../store/index.js'
import { knownNames, type ServeContext } from '../context.js'
import {
  errorSchema,
  type FeedbackBody,
  feedbackBodySchema,
  feedbackResponseSchema,
  modelInfoSchema,
  modelListSchema,
  type NameParams,
  nameParamsSchema,
} from '../schemas.js'

/** Options of `modelRoutes`. */
export interface ModelRoutesOptions {
  readonly ctx: ServeContext
}

/** One served model as GET /v1/models lists it (`modelInfoSchema`); aliases only when asked. */
async function modelInfo(
  ctx: ServeContext,
  name: string,
  withAliases: boolean,
): Promise<Record<string, unknown>> {
  const s = ctx.models.get(name)
  if (s === undefined) throw new ModelNotFoundError(name, knownNames(ctx))
  const loaded = ctx.manager.get(s.config.ref)
  const fallback = s.config.fallback === false ? undefined : (s.config.fallback ?? loaded?.fallbackRef)
  const info: Record<string, unknown> = {
    name,
    ref: s.config.ref,
    status: loaded === undefined ? 'loading' : 'ready',
    hasDefault: s.config.default !== undefined,
    shadow: s.config.shadow.map((x) => x.ref),
  }
  const error = ctx.manager.errorOf(s.config.ref)
  if (error !== undefined) info.error = redactPaths(error)
  if (loaded !== undefined) {
    const m = loaded.model
    Object.assign(info, {
      model: m.name,
      version: m.version,
      task: m.task,
      features: m.features,
      explain: m.explain !== undefined,
    })
    if (m.classes !== undefined) info.classes = m.classes
    if (withAliases && ctx.source.aliasesOf !== undefined) info.aliases = await ctx.source.aliasesOf(m.name)
  }
  if (fallback !== undefined) info.fallback = fallback
  if (s.canary !== undefined)
    info.canary = {
      ref: s.canary.config.ref,
      weight: s.canary.config.weight,
      rolledBack: s.canary.rolledBack,
      ...(s.canary.rollbackReason === undefined ? {} : { reason: s.canary.rollbackReason }),
    }
  if (s.experiment !== undefined) info.experiment = s.experiment.id
  return info
}

const allModelInfo = (ctx: ServeContext) => Promise.all(knownNames(ctx).map((n) => modelInfo(ctx, n, false)))

/** Fastify plugin: model descriptions, the admin reload and feedback. */
export async function modelRoutes(app: FastifyInstance, { ctx }: ModelRoutesOptions): Promise<void> {
  const { auth, config } = ctx
  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 422: errorSchema, 503: errorSchema }

  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'List served models',
        tags: ['models'],
        response: { 200: modelListSchema },
        security: [{ bearer: [] }],
      },
      onRequest: auth.requireApi,
    },
    async () => ({ models: await allModelInfo(ctx) }),
  )

  app.get<{ Params: NameParams }>(
    '/v1/models/:name',
    {
      schema: {
        summary: 'One served model: version, features, aliases, fallback, shadow, canary, experiment',
        tags: ['models'],
        params: nameParamsSchema,
        response: { 200: modelInfoSchema, 404: errorSchema },
        security: [{ bearer: [] }],
      },
      onRequest: auth.requireApi,
    },
    async (request) => modelInfo(ctx, request.params.name, true),
  )

  app.post<{ Body: FeedbackBody }>(
    '/v1/feedback',
    {
      schema: {
        summary: 'Report true outcomes for prediction ids (one, or `items`)',
        tags: ['predict'],
        body: feedbackBodySchema(config.maxBatchRows),
        response: { 200: feedbackResponseSchema, ...errors },
        security: [{ bearer: [] }],
      },
      onRequest: auth.requireApi,
    },
    async (request) => {
      const k = ctx.tables
      if (k === undefined)
        throw new ServeError('SERVE_NOT_READY', 'Feedback needs a database; this server runs without one.')
      const b = request.body
      const items =
        b.items ??
        (b.predictionId !== undefined && b.outcome !== undefined
          ? [{ predictionId: b.predictionId, outcome: b.outcome }]
          : undefined)
      if (items === undefined || (b.items !== undefined && b.predictionId !== undefined))
        throw new BadRequestError('Send {"predictionId": ..., "outcome": ...} or {"items": [{...}, ...]}.')
      const now = Date.now()
      const rows = items.map((i) => ({
        prediction_id: i.predictionId,
        ts: now,
        outcome: JSON.stringify(i.outcome),
        outcome_value:
          typeof i.outcome === 'boolean'
            ? i.outcome
              ? 1
              : 0
            : typeof i.outcome === 'number' && Number.isFinite(i.outcome)
              ? i.outcome
              : null,
      }))
      // Feedback is written before the response, so an acknowledged outcome is durable; while the
      // database is unreachable the client gets a 503 it can retry, never a 2xx for a lost outcome.
      try {
        await k
          .insertInto('serve_feedback')
          .values(rows)
          .onConflict((oc) =>
            oc.column('prediction_id').doUpdateSet((eb) => ({
              ts: eb.ref('excluded.ts'),
              outcome: eb.ref('excluded.outcome'),
              outcome_value: eb.ref('excluded.outcome_value'),
            })),
          )
          .execute()
      } catch (error) {
        if (!isTransientDbError(error)) throw error
        throw new ServeError(
          'SERVE_DATABASE_UNAVAILABLE',
          `The database is unavailable (${(error as Error).message}); the feedback was not stored. Retry later.`,
          { cause: error },
        )
      }
      return { accepted: rows.length }
    },
  )

  app.post(
    '/v1/admin/reload',
    {
      schema: {
        summary: 'Re-resolve every model reference now',
        tags: ['admin'],
        security: [{ bearer: [] }],
      },
      onRequest: auth.requireAdmin,
    },
    async () => {
      await ctx.manager.pollOnce()
      await ctx.experiments.sync()
      return { models: await allModelInfo(ctx) }
    },
  )
}
