import { InvalidArgumentError } from '../../core/index.js'

/**
 * Coefficient penalty of a linear model (the intercept is never penalised):
 * - `l2`: ridge, `strength/2 * ||coef||^2` (the default).
 * - `l1`: lasso, `strength * ||coef||_1`; gives exact zeros.
 * - `elasticnet`: `strength * (l1Ratio * ||coef||_1 + (1 - l1Ratio)/2 * ||coef||^2)`.
 * - `none`: unpenalised; the strength is ignored.
 */
export type Penalty = 'l2' | 'l1' | 'elasticnet' | 'none'

/** The accepted penalties. @internal */
export const PENALTIES: readonly Penalty[] = ['l2', 'l1', 'elasticnet', 'none']

/** Weights of the L1 and L2 parts of a penalty for a given strength. @internal */
export function penaltyParts(
  penalty: Penalty,
  strength: number,
  l1Ratio: number,
): { l1: number; l2: number } {
  switch (penalty) {
    case 'l2':
      return { l1: 0, l2: strength }
    case 'l1':
      return { l1: strength, l2: 0 }
    case 'elasticnet':
      return { l1: strength * l1Ratio, l2: strength * (1 - l1Ratio) }
    case 'none':
      return { l1: 0, l2: 0 }
    default: {
      const never: never = penalty
      throw new InvalidArgumentError(`Unknown penalty ${String(never)}.`)
    }
  }
}

/** Whether a penalty has an L1 part, so only the coordinate-descent solvers handle it. @internal */
export function isSparsePenalty(penalty: Penalty): boolean {
  return penalty === 'l1' || penalty === 'elasticnet'
}
