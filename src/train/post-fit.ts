import { performance } from 'node:perf_hooks'
import type { TrainProgress } from './workflow.js'

/**
 * Share of the fit time each bounded post-fit step of `keel train` may use, so the whole command
 * stays within about 1.5× the fit: the two SHAP summaries (report and monitoring importance) grow
 * with model size times rows explained, the report's bootstrap interval with test rows times
 * resamples, so these get a budget each. 0.05 each: the steps that cannot be bounded without
 * changing what is stored (loading, scoring every training row for the training metrics and the
 * reference profile, fingerprint and schema, the profile, the report's curves) already take
 * 0.3-0.5× the fit on a 200k-row gbdt or a deep forest, so three budgets of 0.1 left no room under
 * 1.5× once they bound (bench/train-cost-results.md).
 */
export const POST_FIT_SHARES = { reportShap: 0.05, importanceShap: 0.05, reportBootstrap: 0.05 } as const

/** Floor of every step budget: small fits still get a useful SHAP sample. */
export const MIN_STEP_BUDGET_MS = 1500

/** Budget of one post-fit step in ms: `share` of the fit time, at least {@link MIN_STEP_BUDGET_MS}. */
export function stepBudgetMs(fitSeconds: number, share: number): number {
  return Math.max(MIN_STEP_BUDGET_MS, share * fitSeconds * 1000)
}

/** One timed post-fit step. */
export interface PostFitStep {
  readonly name: string
  readonly seconds: number
}

/**
 * Announces each post-fit step as a progress stage (shown on the terminal like the fit's stages)
 * and records how long it took.
 */
export class PostFitSteps {
  readonly steps: PostFitStep[] = []
  readonly #onProgress: ((event: TrainProgress) => void) | undefined

  constructor(onProgress: ((event: TrainProgress) => void) | undefined) {
    this.#onProgress = onProgress
  }

  /** Reports a finished step's outcome (e.g. how many rows a budget allowed). */
  note(message: string): void {
    this.#onProgress?.({ kind: 'stage', message })
  }

  /** Runs `fn` as the step `name`, announcing it first. */
  async run<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    this.#onProgress?.({ kind: 'stage', message: name })
    const started = performance.now()
    try {
      return await fn()
    } finally {
      this.steps.push({ name, seconds: (performance.now() - started) / 1000 })
    }
  }
}
