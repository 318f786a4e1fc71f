import { AppError } from '../core/index.js'

/** One problem with one input field. `row` is the index in a batch (absent for a single row). */
export interface FieldProblem {
  readonly row?: number
  readonly field: string
  readonly code:
    | 'MISSING'
    | 'WRONG_TYPE'
    | 'NOT_FINITE'
    | 'OUT_OF_RANGE'
    | 'UNKNOWN_LEVEL'
    | 'UNEXPECTED_FIELD'
    | 'INVALID_DATETIME'
  readonly reason: string
}

/** Base class of serving errors: the `code` picks the HTTP status in `STATUS_BY_CODE`. */
export class ServeError extends AppError {}

/** Feature values that are well-formed JSON but invalid for the model (HTTP 422). */
export class InvalidFeaturesError extends ServeError {
  readonly problems: readonly FieldProblem[]
  constructor(problems: readonly FieldProblem[]) {
    const first = problems[0]
    super(
      'SERVE_INVALID_FEATURES',
      `${problems.length} invalid feature value(s)${first === undefined ? '' : `; first: '${first.field}' ${first.reason}`}. Fix the listed fields and retry.`,
      { details: { problems } },
    )
    this.problems = problems
  }
}

/** A body that does not have the request's shape (HTTP 400). */
export class BadRequestError extends ServeError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('SERVE_BAD_REQUEST', message, { details })
  }
}

/** The named model (or experiment, or prediction) is not served here (HTTP 404). */
export class ModelNotFoundError extends ServeError {
  constructor(name: string, known: readonly string[]) {
    super(
      'SERVE_MODEL_NOT_FOUND',
      `Model '${name}' is not served here. Served models: ${known.length === 0 ? '(none)' : known.join(', ')}.`,
      { details: { model: name } },
    )
  }
}

/** Every link of a model's fallback chain failed (HTTP 503; the client may retry). */
export class ModelUnavailableError extends ServeError {
  constructor(name: string, cause: unknown) {
    super(
      'SERVE_MODEL_UNAVAILABLE',
      `Model '${name}' could not answer and has no working fallback. Retry later.`,
      { cause, details: { model: name } },
    )
  }
}

/**
 * An `?explain=true` request asking for more explanation work (rows × features) than the server's
 * `explainBudget` allows (HTTP 422): explanations run on the event loop, so one large request would
 * stall every other request, health checks included.
 */
export class ExplainTooLargeError extends ServeError {
  constructor(rows: number, features: number, budget: number) {
    super(
      'SERVE_EXPLAIN_TOO_LARGE',
      `?explain=true on ${rows} row(s) × ${features} feature(s) = ${rows * features} is over this server's explainBudget of ${budget} rows × features; send at most ${Math.max(1, Math.floor(budget / Math.max(1, features)))} row(s) per explained request, or drop ?explain=true.`,
      { details: { rows, features, budget } },
    )
  }
}

/**
 * Error code → HTTP status: the one table Keel's HTTP routes use (the prediction server, the
 * monitoring API and the RAG route). Codes not listed (and non-AppErrors) are internal errors: 500
 * with a generic message and the request id only.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  SERVE_BAD_REQUEST: 400,
  FST_ERR_VALIDATION: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
  FST_ERR_BAD_URL: 400,
  SERVE_INVALID_FEATURES: 422,
  SERVE_EXPLAIN_UNSUPPORTED: 422,
  SERVE_EXPLAIN_TOO_LARGE: 422,
  SERVE_UNAUTHORIZED: 401,
  SERVE_ADMIN_DISABLED: 403,
  SERVE_MODEL_NOT_FOUND: 404,
  SERVE_NOT_FOUND: 404,
  NOT_FOUND: 404,
  SERVE_CONFLICT: 409,
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  SERVE_NOT_READY: 503,
  SERVE_MODEL_UNAVAILABLE: 503,
  SERVE_SHUTTING_DOWN: 503,
  SERVE_DATABASE_UNAVAILABLE: 503,
  // RAG errors `POST /v1/rag/query` answers with (src/rag/routes.ts). A corrupt collection is the
  // server's problem, not the client's: listed as 500 so the table documents every RAG code.
  RAG_INVALID_ARGUMENT: 400,
  RAG_COLLECTION_NOT_FOUND: 404,
  RAG_EMBEDDER_MISMATCH: 409,
  RAG_EMBEDDER_UNAVAILABLE: 503,
  RAG_COLLECTION_CORRUPT: 500,
}

/** The HTTP status for an error code (500 when the code is not a known client error). */
export function statusForCode(code: string | undefined): number {
  if (code === undefined) return 500
  return STATUS_BY_CODE[code] ?? 500
}
