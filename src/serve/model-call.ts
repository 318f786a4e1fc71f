/**
 * One call of one link of a served model's fallback chain: within the time budget, through its
 * circuit breaker, with its output checked. Every way a link fails is a `LinkFailure` whose reason
 * labels the fallback metric.
 */
import type { FieldProblem } from '../http/errors.js'
import type { FeatureRow, ModelOutput } from '../pipeline/servable.js'
import type { LoadedModel } from './model-manager.js'

/** Why one link of the chain did not answer (the `reason` label of `keel_fallbacks_total`). */
export class LinkFailure extends Error {
  constructor(
    readonly reason: 'error' | 'timeout' | 'circuit_open' | 'invalid_input' | 'bad_output' | 'not_loaded',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function'
}

/**
 * Validates the raw rows again for a link other than the routed one (a fallback or shadow may take
 * other features), ignoring extra fields: input that does not fit is a link failure, not a 422.
 */
export function revalidateRows(
  link: LoadedModel,
  raw: readonly Readonly<Record<string, unknown>>[],
  ignoredFields: readonly string[],
): FeatureRow[] {
  const validate = link.validator('ignore', ignoredFields)
  const problems: FieldProblem[] = []
  const rows: FeatureRow[] = []
  for (let i = 0; i < raw.length; i++) {
    const row = validate(raw[i]!, i, problems)
    if (row !== undefined) rows.push(row)
  }
  if (problems.length > 0)
    throw new LinkFailure('invalid_input', `Input does not fit ${link.model.name}@${link.model.version}.`)
  return rows
}

/** Calls one link within the time budget of `budgetMs`, feeding its circuit breaker. */
export async function callModel(
  link: LoadedModel,
  rows: readonly FeatureRow[],
  budgetMs: number,
): Promise<readonly ModelOutput[]> {
  if (!link.breaker.tryAcquire()) throw new LinkFailure('circuit_open', 'circuit open')
  const started = performance.now()
  link.acquire()
  let released = false
  const release = (): void => {
    if (!released) {
      released = true
      link.release()
    }
  }
  try {
    let result = link.model.predict(rows)
    if (isThenable(result)) {
      const pending = result
      // The in-flight count drops when the model really finishes, not when the budget expires.
      pending.then(release, release)
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new LinkFailure('timeout', `over the ${budgetMs} ms budget`)),
          budgetMs,
        )
      })
      try {
        result = await Promise.race([pending, timeout])
      } finally {
        clearTimeout(timer)
      }
    } else release()
    if (!Array.isArray(result) || result.length !== rows.length)
      throw new LinkFailure(
        'bad_output',
        `returned ${Array.isArray(result) ? result.length : 'no'} outputs for ${rows.length} rows`,
      )
    for (const out of result as readonly ModelOutput[]) {
      const p = (out as ModelOutput | undefined)?.prediction
      if (typeof p !== 'number' && typeof p !== 'string')
        throw new LinkFailure('bad_output', 'output without prediction')
    }
    // A synchronous call cannot be interrupted: an over-budget answer is still used, but counts
    // as a failure so a model that is persistently slow trips its breaker.
    if (performance.now() - started > budgetMs) link.breaker.failure()
    else link.breaker.success()
    return result as readonly ModelOutput[]
  } catch (error) {
    release()
    link.breaker.failure()
    if (error instanceof LinkFailure) throw error
    throw new LinkFailure('error', error instanceof Error ? error.message : String(error), { cause: error })
  }
}
