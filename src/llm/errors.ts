import { AppError } from '../core/index.js'

/** Stable codes of LLM failures. */
export type LlmErrorCode =
  | 'LLM_NOT_CONFIGURED'
  | 'LLM_RATE_LIMITED'
  | 'LLM_OVERLOADED'
  | 'LLM_SERVER_ERROR'
  | 'LLM_CONNECTION'
  | 'LLM_TIMEOUT'
  | 'LLM_DEADLINE_EXCEEDED'
  | 'LLM_BAD_REQUEST'
  | 'LLM_AUTH'
  | 'LLM_BAD_RESPONSE'
  | 'LLM_ABORTED'

/**
 * Any failure of an LLM call. `retryable` tells the retry layer whether another attempt can
 * succeed; `retryAfterMs` carries the provider's `retry-after(-ms)` hint when it sent one.
 */
export class LlmError extends AppError {
  override readonly code: LlmErrorCode
  readonly retryable: boolean
  readonly status: number | undefined
  readonly retryAfterMs: number | undefined

  constructor(
    code: LlmErrorCode,
    message: string,
    options: {
      retryable: boolean
      status?: number | undefined
      retryAfterMs?: number | undefined
      cause?: unknown
      details?: Record<string, unknown>
    },
  ) {
    super(code, message, {
      cause: options.cause,
      details: {
        ...(options.details ?? {}),
        ...(options.status === undefined ? {} : { status: options.status }),
      },
    })
    this.code = code
    this.retryable = options.retryable
    this.status = options.status
    this.retryAfterMs = options.retryAfterMs
  }
}

/** Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). */
export function parseRetryAfter(
  headers: { get(name: string): string | null } | undefined,
): number | undefined {
  if (headers === undefined) return undefined
  const ms = headers.get('retry-after-ms')
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms)
    if (Number.isFinite(value) && value >= 0) return value
  }
  const after = headers.get('retry-after')
  if (after === null || after.trim() === '') return undefined
  const seconds = Number(after)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000
  const date = Date.parse(after)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** Maps an HTTP status from a provider to our code and whether a retry can help. */
export function llmErrorFromStatus(
  status: number,
  message: string,
  retryAfterMs: number | undefined,
  cause: unknown,
  provider: string,
): LlmError {
  const base = { status, retryAfterMs, cause, details: { provider } }
  if (status === 429)
    return new LlmError('LLM_RATE_LIMITED', `${provider} rate limit (429): ${message}`, {
      ...base,
      retryable: true,
    })
  if (status === 529)
    return new LlmError('LLM_OVERLOADED', `${provider} is overloaded (529): ${message}`, {
      ...base,
      retryable: true,
    })
  if (status >= 500)
    return new LlmError('LLM_SERVER_ERROR', `${provider} server error (${status}): ${message}`, {
      ...base,
      retryable: true,
    })
  // 408 and 409 are the documented transient 4xx (request timeout, lock conflict).
  if (status === 408 || status === 409)
    return new LlmError('LLM_SERVER_ERROR', `${provider} transient error (${status}): ${message}`, {
      ...base,
      retryable: true,
    })
  if (status === 401 || status === 403)
    return new LlmError(
      'LLM_AUTH',
      `${provider} rejected the credentials (${status}): ${message}. Check the API key variable.`,
      { ...base, retryable: false },
    )
  return new LlmError('LLM_BAD_REQUEST', `${provider} rejected the request (${status}): ${message}`, {
    ...base,
    retryable: false,
  })
}
