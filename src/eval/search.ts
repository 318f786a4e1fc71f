import { Rng } from '../core/index.js'
import { SearchSpaceError } from './errors.js'
import { type Direction, isBetter } from './metric-registry.js'

/** A value a hyper-parameter can take. */
export type ParamValue = number | string | boolean

/** How one hyper-parameter is sampled. `int` bounds are inclusive. */
export type ParamSpec =
  | { readonly kind: 'uniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'logUniform'; readonly low: number; readonly high: number }
  | { readonly kind: 'int'; readonly low: number; readonly high: number; readonly log?: boolean }
  | { readonly kind: 'choice'; readonly values: readonly ParamValue[] }

/** A search space: one spec per parameter name. Plain JSON, so task files can hold it. */
export type SearchSpace = Readonly<Record<string, ParamSpec>>

/** One sampled configuration. */
export type Params = Record<string, ParamValue>

/**
 * The function being tuned: returns a score for `params` trained with `resource` (boosting
 * rounds, epochs, or a data fraction; the search decides how much).
 */
export type Objective = (params: Readonly<Params>, resource: number) => Promise<number> | number

/** One evaluation of the objective. */
export interface Trial {
  readonly index: number
  readonly params: Readonly<Params>
  readonly resource: number
  /** Successive-halving rung (0 for random search). */
  readonly rung: number
  /** NaN when the objective threw (see `error`). */
  readonly score: number
  readonly error?: string
  readonly elapsedMs: number
}

/** Why a search stopped. */
export type StopReason = 'completed' | 'maxTrials' | 'timeBudget'

/** Result of a search. */
export interface SearchResult {
  /** Best trial at the largest resource evaluated; null when every trial failed. */
  readonly best: Trial | null
  readonly trials: readonly Trial[]
  readonly stoppedBy: StopReason
}

/** Options shared by the searches. */
export interface SearchOptions {
  readonly space: SearchSpace
  readonly objective: Objective
  readonly direction: Direction
  /** Most objective evaluations in total. */
  readonly maxTrials?: number
  /** No new evaluation starts after this much time (a running one is not interrupted). */
  readonly timeBudgetMs?: number
  readonly seed?: number
  /** Called after every evaluation, e.g. to drive a progress display. */
  readonly onTrial?: (trial: Trial, best: Trial | null) => void
  /** Clock in milliseconds (default `performance.now`); injectable for tests. */
  readonly now?: () => number
}

/**
 * Checks that every spec can be sampled.
 * @throws SearchSpaceError naming the parameter and the problem.
 */
export function checkSearchSpace(space: SearchSpace): void {
  const names = Object.keys(space)
  if (names.length === 0)
    throw new SearchSpaceError('The search space is empty; give at least one parameter.')
  for (const name of names) {
    const spec = space[name]!
    switch (spec.kind) {
      case 'uniform':
        if (!(Number.isFinite(spec.low) && Number.isFinite(spec.high) && spec.low <= spec.high)) {
          throw new SearchSpaceError(
            `Parameter '${name}': uniform needs finite low <= high; got [${spec.low}, ${spec.high}].`,
          )
        }
        break
      case 'logUniform':
        if (!(spec.low > 0 && Number.isFinite(spec.high) && spec.low <= spec.high)) {
          throw new SearchSpaceError(
            `Parameter '${name}': logUniform needs 0 < low <= high; got [${spec.low}, ${spec.high}].`,
          )
        }
        break
      case 'int':
        if (
          !(Number.isInteger(spec.low) && Number.isInteger(spec.high) && spec.low <= spec.high) ||
          (spec.log === true && spec.low < 1)
        ) {
          throw new SearchSpaceError(
            `Parameter '${name}': int needs integer low <= high (low >= 1 when log); got [${spec.low}, ${spec.high}].`,
          )
        }
        break
      case 'choice':
        if (spec.values.length === 0)
          throw new SearchSpaceError(`Parameter '${name}': choice needs at least one value.`)
        break
      default: {
        const never: never = spec
        throw new SearchSpaceError(
          `Parameter '${name}': unknown kind ${JSON.stringify((never as { kind: unknown }).kind)}.`,
        )
      }
    }
  }
}

/** Draws one configuration (parameters in the space's key order, so a seed repeats exactly). */
export function sampleParams(space: SearchSpace, rng: Rng): Params {
  const params: Params = {}
  for (const [name, spec] of Object.entries(space)) {
    switch (spec.kind) {
      case 'uniform':
        params[name] = spec.low + rng.next() * (spec.high - spec.low)
        break
      case 'logUniform':
        params[name] = Math.exp(Math.log(spec.low) + rng.next() * (Math.log(spec.high) - Math.log(spec.low)))
        break
      case 'int':
        if (spec.log === true) {
          const v = Math.exp(Math.log(spec.low) + rng.next() * (Math.log(spec.high + 1) - Math.log(spec.low)))
          params[name] = Math.min(spec.high, Math.floor(v))
        } else {
          params[name] = spec.low + rng.int(spec.high - spec.low + 1)
        }
        break
      case 'choice':
        params[name] = spec.values[rng.int(spec.values.length)]!
        break
      default: {
        const never: never = spec
        throw new SearchSpaceError(`Unknown parameter kind in ${JSON.stringify(never)}.`)
      }
    }
  }
  return params
}

class Budget {
  private readonly start: number
  private used = 0
  readonly now: () => number
  constructor(private readonly options: SearchOptions) {
    this.now = options.now ?? (() => performance.now())
    this.start = this.now()
    const { maxTrials, timeBudgetMs } = options
    if (maxTrials !== undefined && !(Number.isInteger(maxTrials) && maxTrials >= 1)) {
      throw new SearchSpaceError(`maxTrials must be a positive integer; got ${maxTrials}.`)
    }
    if (timeBudgetMs !== undefined && !(timeBudgetMs > 0)) {
      throw new SearchSpaceError(`timeBudgetMs must be positive; got ${timeBudgetMs}.`)
    }
  }

  /** Why no further trial may start, or null if one may. */
  exhausted(): StopReason | null {
    if (this.options.maxTrials !== undefined && this.used >= this.options.maxTrials) return 'maxTrials'
    if (this.options.timeBudgetMs !== undefined && this.now() - this.start >= this.options.timeBudgetMs)
      return 'timeBudget'
    return null
  }

  async run(index: number, params: Params, resource: number, rung: number): Promise<Trial> {
    this.used++
    const t0 = this.now()
    try {
      const score = await this.options.objective(params, resource)
      return { index, params, resource, rung, score, elapsedMs: this.now() - t0 }
    } catch (error) {
      // one bad configuration (diverged, out of memory) must not end the whole search
      const message = error instanceof Error ? error.message : String(error)
      return { index, params, resource, rung, score: Number.NaN, error: message, elapsedMs: this.now() - t0 }
    }
  }
}

function pickBest(trials: readonly Trial[], direction: Direction): Trial | null {
  let best: Trial | null = null
  let bestResource = Number.NEGATIVE_INFINITY
  for (const t of trials) {
    if (Number.isNaN(t.score)) continue
    // scores at a smaller resource are not comparable with fully trained ones
    if (
      t.resource > bestResource ||
      (t.resource === bestResource && best !== null && isBetter(direction, t.score, best.score))
    ) {
      best = t
      bestResource = t.resource
    } else if (best === null) {
      best = t
      bestResource = t.resource
    }
  }
  return best
}

/**
 * Random search: samples configurations (seeded) and evaluates each at `resource` until
 * `maxTrials` or `timeBudgetMs` is reached (one of them is required).
 * @throws SearchSpaceError on an invalid space or when neither budget is given.
 * @example
 * const result = await randomSearch({ space: { lr: { kind: 'logUniform', low: 1e-3, high: 0.3 } },
 *   objective: async (p) => cvScore(p), direction: 'higher', maxTrials: 30, seed: 1 })
 */
export async function randomSearch(
  options: SearchOptions & { readonly resource?: number },
): Promise<SearchResult> {
  checkSearchSpace(options.space)
  if (options.maxTrials === undefined && options.timeBudgetMs === undefined) {
    throw new SearchSpaceError('randomSearch needs a budget: set maxTrials, timeBudgetMs or both.')
  }
  const budget = new Budget(options)
  const rng = new Rng(options.seed ?? 0)
  const trials: Trial[] = []
  let best: Trial | null = null
  let stoppedBy: StopReason = 'completed'
  for (;;) {
    const reason = budget.exhausted()
    if (reason !== null) {
      stoppedBy = reason
      break
    }
    const trial = await budget.run(trials.length, sampleParams(options.space, rng), options.resource ?? 1, 0)
    trials.push(trial)
    best = pickBest(trials, options.direction)
    options.onTrial?.(trial, best)
  }
  return { best, trials, stoppedBy }
}

/** Options for {@link successiveHalving}. */
export interface SuccessiveHalvingOptions extends SearchOptions {
  /** Resource given to every candidate in the first rung. */
  readonly minResource: number
  /** Resource of the last rung (the full training budget). */
  readonly maxResource: number
  /** Keep the best 1/eta of candidates per rung and multiply the resource by eta (default 3). */
  readonly eta?: number
  /** Configurations in the first rung (default eta^(rungs - 1), so one survives to the end). */
  readonly nCandidates?: number
}

/**
 * Successive halving (Jamieson & Talwalkar 2016; Li et al. 2017's Hyperband inner loop):
 * evaluate many configurations cheaply, keep the best 1/eta, give them eta times the
 * resource, and repeat up to `maxResource`. Stops early on `maxTrials` / `timeBudgetMs`
 * (counting every evaluation), returning the best trial at the largest resource reached.
 * Resources are rounded to integers when both bounds are integers.
 * @throws SearchSpaceError on an invalid space or resource bounds.
 */
export async function successiveHalving(options: SuccessiveHalvingOptions): Promise<SearchResult> {
  checkSearchSpace(options.space)
  const eta = options.eta ?? 3
  const { minResource, maxResource } = options
  if (!(eta >= 2)) throw new SearchSpaceError(`eta must be >= 2; got ${eta}.`)
  if (!(minResource > 0 && maxResource >= minResource)) {
    throw new SearchSpaceError(`Need 0 < minResource <= maxResource; got ${minResource} and ${maxResource}.`)
  }
  const nRungs = Math.floor(Math.log(maxResource / minResource) / Math.log(eta) + 1e-9) + 1
  const nCandidates = options.nCandidates ?? Math.round(eta ** (nRungs - 1))
  if (!(Number.isInteger(nCandidates) && nCandidates >= 1)) {
    throw new SearchSpaceError(`nCandidates must be a positive integer; got ${nCandidates}.`)
  }
  const isInteger = Number.isInteger(minResource) && Number.isInteger(maxResource)
  const budget = new Budget(options)
  const rng = new Rng(options.seed ?? 0)
  let candidates = Array.from({ length: nCandidates }, () => sampleParams(options.space, rng))
  const trials: Trial[] = []
  let best: Trial | null = null
  let stoppedBy: StopReason = 'completed'
  for (let rung = 0; rung < nRungs && candidates.length > 0; rung++) {
    const raw = rung === nRungs - 1 ? maxResource : minResource * eta ** rung
    const resource = isInteger ? Math.round(raw) : raw
    const rungTrials: Trial[] = []
    for (const params of candidates) {
      const reason = budget.exhausted()
      if (reason !== null) {
        stoppedBy = reason
        break
      }
      const trial = await budget.run(trials.length, params, resource, rung)
      trials.push(trial)
      rungTrials.push(trial)
      best = pickBest(trials, options.direction)
      options.onTrial?.(trial, best)
    }
    if (stoppedBy !== 'completed') break
    const keep = Math.max(1, Math.floor(candidates.length / eta))
    candidates = rungTrials
      .filter((t) => !Number.isNaN(t.score))
      .sort((a, b) =>
        isBetter(options.direction, a.score, b.score)
          ? -1
          : isBetter(options.direction, b.score, a.score)
            ? 1
            : a.index - b.index,
      )
      .slice(0, keep)
      .map((t) => t.params)
  }
  return { best, trials, stoppedBy }
}
