import { LlmError, llmErrorFromStatus, parseRetryAfter } from './errors.js'

/** The error classes both official SDKs (Stainless-generated) expose under the same names. */
export interface SdkErrorClasses {
  readonly APIError: abstract new (
    ...args: never[]
  ) => Error & { status: number | undefined; headers: Headers | undefined }
  readonly APIUserAbortError: abstract new (...args: never[]) => Error
  readonly APIConnectionError: abstract new (...args: never[]) => Error
  readonly APIConnectionTimeoutError: abstract new (...args: never[]) => Error
}

/**
 * Turns whatever an SDK threw into an `LlmError`. Order matters: abort and connection errors are
 * subclasses of `APIError` with no status.
 * @internal
 */
export function mapSdkError(error: unknown, provider: string, sdk: SdkErrorClasses): LlmError {
  if (error instanceof LlmError) return error
  if (error instanceof sdk.APIUserAbortError || (error instanceof Error && error.name === 'AbortError')) {
    return new LlmError('LLM_ABORTED', `${provider} call was aborted.`, { retryable: false, cause: error })
  }
  if (error instanceof sdk.APIConnectionTimeoutError) {
    return new LlmError('LLM_TIMEOUT', `${provider} call timed out.`, { retryable: true, cause: error })
  }
  if (error instanceof sdk.APIConnectionError) {
    return new LlmError(
      'LLM_CONNECTION',
      `Cannot reach ${provider}: ${rootMessage(error)}. Check KEEL_LLM_BASE_URL and the network.`,
      { retryable: true, cause: error },
    )
  }
  if (error instanceof sdk.APIError && typeof error.status === 'number') {
    return llmErrorFromStatus(error.status, error.message, parseRetryAfter(error.headers), error, provider)
  }
  // A 200 whose body is not the JSON we expect (truncated by a proxy, HTML error page): a server
  // fault, so one more attempt is reasonable.
  if (error instanceof SyntaxError) {
    return new LlmError('LLM_BAD_RESPONSE', `${provider} sent a malformed response: ${error.message}`, {
      retryable: true,
      cause: error,
    })
  }
  return new LlmError('LLM_BAD_RESPONSE', `${provider} call failed unexpectedly: ${rootMessage(error)}`, {
    retryable: true,
    cause: error,
  })
}

function rootMessage(error: unknown): string {
  let current: unknown = error
  let message = error instanceof Error ? error.message : String(error)
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause !== undefined; depth++) {
    current = current.cause
    if (current instanceof Error && current.message !== '') message = current.message
  }
  return message
}
