import { MissingDependencyError } from '../core/index.js'
import { LlmError } from './errors.js'

/** How the one retry layer behaves. All durations in milliseconds. */
export interface LlmRetryPolicy {
  /** Total attempts including the first (1 disables retries). */
  readonly maxAttempts: number
  /** First backoff ceiling; doubles each retry (full jitter picks uniformly below it). */
  readonly baseDelayMs: number
  /** Cap on one backoff wait (a longer `retry-after` is still honoured up to the deadline). */
  readonly maxDelayMs: number
  /** Per-attempt timeout. */
  readonly timeoutMs: number
  /** Overall deadline across all attempts and waits. */
  readonly deadlineMs: number
}

/** Defaults: 4 attempts, 0.5 s base backoff, 60 s per call, 3 min overall. */
export const DEFAULT_RETRY_POLICY: LlmRetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 20_000,
  timeoutMs: 60_000,
  deadlineMs: 180_000,
}

/** What `withRetry` hands each attempt. */
export interface LlmAttempt {
  /** Aborts on the per-attempt timeout, the deadline or the caller's signal. */
  readonly signal: AbortSignal
  /** 0 for the first attempt. */
  readonly index: number
  /** Milliseconds until the per-attempt timeout or the deadline, whichever is first. */
  readonly budgetMs: number
}

/** Result of a retried operation. */
export interface LlmRetryResult<T> {
  readonly value: T
  readonly retries: number
}

/** Hooks for tests and accounting. */
export interface LlmRetryHooks {
  readonly random?: () => number
  readonly onRetry?: (error: LlmError, delayMs: number, attempt: number) => void
}

/**
 * Runs `operation` with exponential backoff and full jitter on retryable `LlmError`s, honouring
 * the provider's `retry-after` hint, a per-attempt timeout and an overall deadline. Errors that
 * cannot succeed on retry (most 4xx, caller aborts) fail at once.
 */
export async function withRetry<T>(
  operation: (attempt: LlmAttempt) => Promise<T>,
  policy: LlmRetryPolicy,
  outerSignal?: AbortSignal,
  hooks: LlmRetryHooks = {},
): Promise<LlmRetryResult<T>> {
  const random = hooks.random ?? Math.random
  const deadlineAt = Date.now() + policy.deadlineMs
  let lastError: LlmError | undefined
  for (let index = 0; index < Math.max(1, policy.maxAttempts); index++) {
    const remaining = deadlineAt - Date.now()
    if (remaining <= 0) break
    if (outerSignal?.aborted) throw abortedError(outerSignal)
    const budgetMs = Math.min(policy.timeoutMs, remaining)
    const controller = new AbortController()
    const hitDeadline = budgetMs < policy.timeoutMs
    const timer = setTimeout(() => controller.abort(new Error('keel-llm-timeout')), budgetMs)
    const onOuterAbort = () => controller.abort(outerSignal?.reason)
    outerSignal?.addEventListener('abort', onOuterAbort, { once: true })
    try {
      const value = await operation({ signal: controller.signal, index, budgetMs })
      return { value, retries: index }
    } catch (error) {
      const timedOut = controller.signal.aborted && !(outerSignal?.aborted ?? false)
      if (outerSignal?.aborted) throw abortedError(outerSignal, error)
      // A missing optional SDK is a setup error no retry can fix: it keeps its own code.
      if (error instanceof MissingDependencyError) throw error
      lastError = timedOut
        ? hitDeadline
          ? new LlmError(
              'LLM_DEADLINE_EXCEEDED',
              `LLM call missed its overall deadline of ${policy.deadlineMs} ms.`,
              {
                retryable: false,
                cause: error,
              },
            )
          : new LlmError('LLM_TIMEOUT', `LLM call timed out after ${policy.timeoutMs} ms.`, {
              retryable: true,
              cause: error,
            })
        : toLlmError(error)
      if (!lastError.retryable || index === policy.maxAttempts - 1) break
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** index)
      const jittered = random() * ceiling
      const delayMs =
        lastError.retryAfterMs === undefined
          ? jittered
          : lastError.retryAfterMs + random() * Math.min(100, ceiling)
      if (Date.now() + delayMs >= deadlineAt) {
        lastError = new LlmError(
          'LLM_DEADLINE_EXCEEDED',
          `${lastError.message} The next retry (in ${Math.round(delayMs)} ms) would pass the ${policy.deadlineMs} ms deadline.`,
          { retryable: false, status: lastError.status, cause: lastError },
        )
        break
      }
      hooks.onRetry?.(lastError, delayMs, index + 1)
      await sleep(delayMs, outerSignal)
    } finally {
      clearTimeout(timer)
      outerSignal?.removeEventListener('abort', onOuterAbort)
    }
  }
  throw (
    lastError ??
    new LlmError(
      'LLM_DEADLINE_EXCEEDED',
      `LLM call missed its overall deadline of ${policy.deadlineMs} ms.`,
      {
        retryable: false,
      },
    )
  )
}

function toLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error
  return new LlmError(
    'LLM_BAD_RESPONSE',
    `LLM call failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      retryable: false,
      cause: error,
    },
  )
}

function abortedError(signal: AbortSignal, cause?: unknown): LlmError {
  return new LlmError('LLM_ABORTED', 'LLM call was cancelled by the caller.', {
    retryable: false,
    cause: cause ?? signal.reason,
  })
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortedError(signal))
      return
    }
    const onAbort = () => {
      clearTimeout(timer)
      reject(abortedError(signal as AbortSignal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
