/**
 * The admin API of A/B experiments (/v1/admin/experiments): list, read, create, replace, stop, and
 * the A/B report, over the server's `ExperimentBook` and its store.
 */
import type { FastifyInstance } from 'fastify'
import { abReport } from '../../monitor/ab-report.js'
import type { ServeContext } from '../context.js'
import {
  type AbReportQuery,
  abReportQuerySchema,
  type ExperimentBody,
  experimentBodySchema,
  type IdParams,
  idParamsSchema,
} from '../schemas.js'

/** Options of `experimentRoutes`. */
export interface ExperimentRoutesOptions {
  readonly ctx: ServeContext
}

/** Fastify plugin: the experiments admin API (admin token). */
export async function experimentRoutes(
  app: FastifyInstance,
  { ctx }: ExperimentRoutesOptions,
): Promise<void> {
  const book = ctx.experiments
  const admin = (summary: string, extra: Record<string, unknown> = {}) => ({
    schema: { summary, tags: ['admin'], security: [{ bearer: [] }], ...extra },
    onRequest: ctx.auth.requireAdmin,
  })

  app.get('/v1/admin/experiments', admin('List experiments'), async () => {
    await book.sync()
    return { experiments: book.list() }
  })
  app.get<{ Params: IdParams }>(
    '/v1/admin/experiments/:id',
    admin('One experiment', { params: idParamsSchema }),
    async (request) => book.get(request.params.id),
  )
  app.post<{ Body: ExperimentBody }>(
    '/v1/admin/experiments',
    admin('Create (and start) an experiment', { body: experimentBodySchema }),
    async (request, reply) => {
      const e = book.parse(request.body)
      await book.save(e, true)
      void reply.status(201)
      return e
    },
  )
  app.put<{ Params: IdParams; Body: ExperimentBody }>(
    '/v1/admin/experiments/:id',
    admin('Replace an experiment (weights, status)', { params: idParamsSchema, body: experimentBodySchema }),
    async (request) => {
      book.get(request.params.id)
      const e = book.parse({ ...request.body, id: request.params.id })
      await book.save(e, false)
      return e
    },
  )
  app.delete<{ Params: IdParams }>(
    '/v1/admin/experiments/:id',
    admin('Stop an experiment (its logged data stays for reports)', { params: idParamsSchema }),
    async (request) => {
      const e = { ...book.get(request.params.id), status: 'stopped' as const }
      await book.save(e, false)
      return e
    },
  )
  app.get<{ Params: IdParams; Querystring: AbReportQuery }>(
    '/v1/admin/experiments/:id/report',
    admin('A/B report: sizes, outcome rates, AUC, difference with CI, sequential test, SRM check, verdict', {
      params: idParamsSchema,
      querystring: abReportQuerySchema,
    }),
    async (request) => {
      // Without a database: SERVE_NOT_READY, as for the other experiment endpoints.
      if (ctx.db === undefined) book.needStore()
      return abReport(
        ctx.db!,
        request.params.id,
        request.query.goal === undefined ? {} : { goal: request.query.goal },
      )
    },
  )
}
