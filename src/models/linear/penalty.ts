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

/**
 * Most unknowns a dense q x q solve (Cholesky, Newton, coordinate descent on a Gram matrix or
 * Hessian) may have: 6000^2 float64s is 288 MB, and a sweep 36M multiply-adds.
 */
export const MAX_DENSE_UNKNOWNS = 6000

/**
 * Throws a clear error, before anything is allocated, when `solver` would build a q x q matrix
 * larger than {@link MAX_DENSE_UNKNOWNS} allows (instead of running out of memory). @internal
 */
export function checkDenseSolve(what: string, solver: string, q: number, penalty: Penalty): void {
  if (q <= MAX_DENSE_UNKNOWNS) return
  const advice = isSparsePenalty(penalty)
    ? `Penalty '${penalty}' needs it: reduce the number of features (group rare one-hot levels, drop ID-like columns), or use penalty 'l2', whose 'lbfgs' solver handles any width.`
    : `Use solver 'auto' or 'lbfgs', which handle any width.`
  throw new InvalidArgumentError(
    `${what} solver '${solver}' would solve a dense ${q} x ${q} system (${Math.round((q * q * 8) / 1e6)} MB); at most ${MAX_DENSE_UNKNOWNS} unknowns. ${advice}`,
    { param: 'solver' },
  )
}
