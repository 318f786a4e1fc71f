/** Settings of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (errors or budget overruns) that open the circuit. Default 5. */
  readonly failureThreshold?: number
  /** How long an open circuit refuses calls before letting one trial through. Default 10 000 ms. */
  readonly coolDownMs?: number
}

/**
 * Classic three-state breaker: closed (calls pass), open (calls refused until the cool-down ends),
 * half-open (one trial call; success closes, failure re-opens).
 */
export class CircuitBreaker {
  readonly failureThreshold: number
  readonly coolDownMs: number
  private failures = 0
  private openedAt: number | undefined
  private trialInFlight = false

  constructor(
    options: CircuitBreakerOptions = {},
    private readonly onChange?: (open: boolean) => void,
  ) {
    this.failureThreshold = options.failureThreshold ?? 5
    this.coolDownMs = options.coolDownMs ?? 10_000
  }

  /** Current state at time `now`. */
  state(now = Date.now()): 'closed' | 'open' | 'half-open' {
    if (this.openedAt === undefined) return 'closed'
    return now - this.openedAt >= this.coolDownMs ? 'half-open' : 'open'
  }

  /** Whether a call may go through now; in half-open state only one trial at a time does. */
  tryAcquire(now = Date.now()): boolean {
    const state = this.state(now)
    if (state === 'closed') return true
    if (state === 'open' || this.trialInFlight) return false
    this.trialInFlight = true
    return true
  }

  success(): void {
    this.failures = 0
    this.trialInFlight = false
    if (this.openedAt !== undefined) {
      this.openedAt = undefined
      this.onChange?.(false)
    }
  }

  failure(now = Date.now()): void {
    this.failures++
    const wasTrial = this.trialInFlight
    this.trialInFlight = false
    if (wasTrial || this.failures >= this.failureThreshold) {
      const wasOpen = this.openedAt !== undefined
      this.openedAt = now
      if (!wasOpen) this.onChange?.(true)
    }
  }
}

/** The breaker settings a served model's config gives its references. */
interface BreakerConfigured {
  readonly ref: string
  readonly fallback?: string | false | undefined
  readonly canary?: { readonly ref: string } | undefined
  readonly breaker?:
    | { readonly failureThreshold?: number | undefined; readonly coolDownMs?: number | undefined }
    | undefined
}

/**
 * Breaker settings per model reference: a served model's `breaker` applies to every reference that
 * may answer it (primary, configured fallback, canary). References without settings are absent, and
 * get the defaults.
 */
export function breakerSettingsByRef(
  served: readonly BreakerConfigured[],
): Map<string, CircuitBreakerOptions> {
  const byRef = new Map<string, CircuitBreakerOptions>()
  for (const s of served) {
    if (s.breaker === undefined) continue
    const b = {
      ...(s.breaker.failureThreshold === undefined ? {} : { failureThreshold: s.breaker.failureThreshold }),
      ...(s.breaker.coolDownMs === undefined ? {} : { coolDownMs: s.breaker.coolDownMs }),
    }
    for (const ref of [
      s.ref,
      ...(typeof s.fallback === 'string' ? [s.fallback] : []),
      ...(s.canary === undefined ? [] : [s.canary.ref]),
    ])
      byRef.set(ref, b)
  }
  return byRef
}
