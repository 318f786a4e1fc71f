import { LlmError } from './errors.js'

/**
 * A counting semaphore: at most `limit` holders at once, the rest wait in FIFO order.
 * @internal
 */
export class LlmSemaphore {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly limit: number) {}

  /** Waits for a slot; resolves to the function that frees it (call it exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const grant = () => {
          signal?.removeEventListener('abort', onAbort)
          resolve()
        }
        const onAbort = () => {
          const at = this.waiting.indexOf(grant)
          if (at >= 0) this.waiting.splice(at, 1)
          reject(
            new LlmError('LLM_ABORTED', 'Cancelled while waiting for a concurrency slot.', {
              retryable: false,
            }),
          )
        }
        this.waiting.push(grant)
        signal?.addEventListener('abort', onAbort, { once: true })
      })
    } else {
      this.active++
    }
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      // Hand the slot straight to the next waiter so `active` never dips and lets a newcomer jump the queue.
      if (next !== undefined) next()
      else this.active--
    }
  }

  /** Holders right now (for tests and metrics). */
  get inUse(): number {
    return this.active
  }
}

const SHARED = new Map<string, LlmSemaphore>()

/**
 * The process-wide semaphore for one provider endpoint, so that every client talking to the same
 * endpoint shares one limit.
 * @internal
 */
export function sharedSemaphore(key: string, limit: number): LlmSemaphore {
  let semaphore = SHARED.get(`${key}|${limit}`)
  if (semaphore === undefined) {
    semaphore = new LlmSemaphore(limit)
    SHARED.set(`${key}|${limit}`, semaphore)
  }
  return semaphore
}
