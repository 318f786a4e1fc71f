/**
 * HTTP pieces every Keel server plugin shares (prediction server, monitoring API, RAG routes): bearer
 * token checks, the serving error classes with the one code → HTTP status table, error replies, and
 * zod schemas as the JSON Schema Fastify validates with. Depends only on core.
 */

/**
 * Token checks of protected routes (constant-time comparison of SHA-256 digests).
 * @throws ServeError `SERVE_ADMIN_DISABLED` (403) when no admin token is configured,
 * `SERVE_UNAUTHORIZED` (401) for a missing or wrong token.
 * @example
 * checkAdmin(request.headers.authorization, process.env.KEEL_ADMIN_TOKEN)
 */
export { bearerToken, checkAdmin, checkApi, tokenMatches } from './auth.js'
export type { ErrorReply } from './error-reply.js'
/**
 * The error reply of a code (status, `{error: {code, message, requestId, problems?}}`) and the
 * Fastify error / not-found handlers that answer with it.
 * @example
 * installErrorHandlers(app) // before registering route plugins
 */
export { errorReply, installErrorHandlers } from './error-reply.js'
export type { FieldProblem } from './errors.js'
/**
 * Serving errors and the single code → HTTP status table.
 * @example
 * statusForCode('SERVE_INVALID_FEATURES') // 422
 */
export {
  BadRequestError,
  ExplainTooLargeError,
  InvalidFeaturesError,
  ModelNotFoundError,
  ModelUnavailableError,
  ServeError,
  STATUS_BY_CODE,
  statusForCode,
} from './errors.js'
export type { JsonSchema } from './json-schema.js'
/**
 * A zod schema as the JSON Schema Fastify's Ajv, fast-json-stringify and @fastify/swagger read.
 * @example
 * const body = jsonSchemaOf(z.object({ model: z.string() }))
 */
export { jsonSchemaOf } from './json-schema.js'
