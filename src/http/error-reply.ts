/**
 * Error replies of Keel's HTTP servers: one table maps codes to statuses; internal errors reveal
 * nothing but the request id. The prediction server's Fastify error handler and its predict fast path
 * answer errors with the same function.
 */
import type { FastifyError, FastifyInstance } from 'fastify'
import { AppError, redactPaths } from '../core/index.js'
import { statusForCode } from './errors.js'

/** An error reply: the HTTP status and the JSON body `{error: {...}}`. */
export interface ErrorReply {
  readonly status: number
  readonly body: { error: Record<string, unknown> }
}

/**
 * The reply for an error: its code's status (a Fastify 4xx error keeps its own status), the code,
 * the message without filesystem paths, the request id and, for a bad body, every problem found.
 * A 5xx other than 503 is logged with `logInternal` and answered as a generic `SERVE_INTERNAL`.
 */
export function errorReply(
  error: FastifyError | AppError | Error,
  requestId: string,
  logInternal: (error: unknown) => void,
): ErrorReply {
  const code = (error as { code?: string }).code
  let status = statusForCode(code)
  const fastifyStatus = (error as { statusCode?: number }).statusCode
  if (status === 500 && fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500)
    status = fastifyStatus
  if (status >= 500 && status !== 503) {
    logInternal(error)
    return {
      status: 500,
      body: {
        error: {
          code: 'SERVE_INTERNAL',
          message: 'Internal server error; quote the request id when reporting it.',
          requestId,
        },
      },
    }
  }
  const body: { code: string; message: string; requestId: string; problems?: unknown[] } = {
    code: code ?? 'SERVE_BAD_REQUEST',
    // Messages are written for CLI users and may name files (a model artifact, a collection, the
    // database); a remote client gets them without the paths.
    message: redactPaths(error.message),
    requestId,
  }
  const validation = (error as FastifyError).validation
  if (validation !== undefined) {
    body.code = 'SERVE_BAD_REQUEST'
    body.problems = validation.map((v) => ({
      field:
        v.instancePath === ''
          ? String((v.params as { missingProperty?: string }).missingProperty ?? '(body)')
          : v.instancePath,
      code: 'INVALID_BODY',
      reason: v.message ?? 'is invalid',
    }))
  } else if (error instanceof AppError && Array.isArray(error.details.problems))
    body.problems = error.details.problems
  if (status === 413) body.code = 'SERVE_BODY_TOO_LARGE'
  return { status, body: { error: body } }
}

/**
 * Sets the server's error handler (every route's errors through `errorReply`) and its 404 for unknown
 * routes. Call before registering the route plugins: each plugin context copies the handler it is
 * created with.
 */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const { status, body } = errorReply(error, request.id, (e) =>
      request.log.error({ err: e }, 'internal error'),
    )
    void reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'SERVE_NOT_FOUND',
        message: `No route ${request.method} ${request.url.split('?')[0]}.`,
        requestId: request.id,
      },
    })
  })
}
