// A leaf module so that types.ts (which names ModelCard) and model-card.ts (which validates
// constraint checks) can both use it without importing each other.

/** One constraint checked at training time (latency, size, interpretability, ...). */
export interface ConstraintCheck {
  readonly name: string
  readonly passed: boolean
  /** A failed hard constraint blocks promotion to `production` (unless forced). Default true. */
  readonly hard?: boolean
  readonly measured?: number | string | boolean | null
  readonly limit?: number | string | boolean | null
  /** Unit of `measured` and `limit`, e.g. `ms` or `MB`. */
  readonly unit?: string
  readonly detail?: string
}
