import type { ModelBundle } from '../pipeline/index.js'

/** What every optimizer returns. */
export interface OptimizeResult {
  /** The optimized bundle (a new object; the parent is unchanged). */
  readonly bundle: ModelBundle
  /** What was done, e.g. `quantize:int8`, `prune:trees`, `distill:gbdt` (for the model card). */
  readonly method: string
  /** Human-readable notes on what changed (for the model card and the CLI output). */
  readonly changes: readonly string[]
}
