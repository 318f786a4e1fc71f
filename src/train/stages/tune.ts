import { Rng } from '../../core/index.js'
import {
  checkSearchSpace,
  type Params,
  randomSearch,
  SearchSpaceError,
  sampleParams,
} from '../../eval/index.js'
import type { ModelFamily } from '../families.js'
import { higherIsBetter } from '../scoring.js'
import { SEARCH_SPACES } from '../search-spaces.js'
import { crossValidate, isBetter, mean } from './candidates.js'
import { InOrder, trialRunnerOf } from './trials.js'
import type { CandidateResult, PreparedData, TrainSpec, TrialSpec, TuningResult } from './types.js'

/**
 * Stage 3, tune: random search over the family's space (`--trials`, `--tune-minutes`), each trial
 * cross-validated on the training part. Undefined when tuning was not asked for or the family has
 * no space; the best params are kept only when they beat the defaults' cv score.
 *
 * With a trial budget only, every trial's params are drawn first (the draws `randomSearch` makes
 * with the same seed) and all their folds go to the trial runner as one batch, so a distributed
 * runner fits them at once; the best is picked in trial order as `randomSearch` picks it. A time
 * budget decides how many trials run as they finish, so trials then run one after another (their
 * folds still as one batch each).
 */
export async function tune(
  prep: PreparedData,
  spec: TrainSpec,
  family: ModelFamily,
  candidates: readonly CandidateResult[],
): Promise<TuningResult | undefined> {
  const space = SEARCH_SPACES[family]
  const wantsTuning = (spec.trials ?? 0) > 0 || (spec.tuneMinutes ?? 0) > 0
  if (!wantsTuning || space === undefined) return undefined
  if (spec.tuneMinutes === undefined) return tuneBatch(prep, spec, family, candidates)
  const { primary } = prep
  const defaultScore =
    candidates.find((c) => c.family === family)?.cvScore ??
    mean(await crossValidate(prep, spec, family, spec.params ?? {}, false, `defaults of ${family}`))
  const maxTrials = spec.trials ?? 20
  spec.onProgress?.({
    kind: 'stage',
    message: `tuning ${family}: up to ${maxTrials} trials${spec.tuneMinutes === undefined ? '' : ` or ${spec.tuneMinutes} min`}`,
  })
  // The search scores a trial that throws as NaN and goes on; a runner that cannot run trials at
  // all (its queue gone, every retry failed) must still end the run, so its error is kept aside.
  let runnerError: unknown
  let trialNumber = 0
  const search = await randomSearch({
    space,
    direction: higherIsBetter(primary) ? 'higher' : 'lower',
    maxTrials,
    ...(spec.tuneMinutes === undefined ? {} : { timeBudgetMs: spec.tuneMinutes * 60_000 }),
    seed: spec.seed,
    objective: async (params) => {
      trialNumber++
      if (runnerError !== undefined) return Number.NaN
      const trials = trialsOf(
        prep,
        family,
        { ...(spec.params ?? {}), ...params },
        `tuning trial ${trialNumber}`,
      )
      try {
        return mean((await trialRunnerOf(spec).run(prep, spec, trials)).map((r) => r.score))
      } catch (error) {
        runnerError = error
        return Number.NaN
      }
    },
    onTrial: (trial, best) =>
      spec.onProgress?.({
        kind: 'trial',
        family,
        trial: trial.index + 1,
        trials: maxTrials,
        score: trial.score,
        best: best?.score ?? Number.NaN,
      }),
  })
  if (runnerError !== undefined) throw runnerError
  const bestTrial = search.best
  return {
    family,
    trials: search.trials.length,
    defaultScore,
    bestScore: bestTrial?.score ?? Number.NaN,
    bestParams: bestTrial?.params ?? {},
    isKept: bestTrial !== null && isBetter(primary, bestTrial.score, defaultScore),
  }
}

/** Every fold of one tuning trial; a fit that throws makes the trial's score NaN. */
function trialsOf(
  prep: PreparedData,
  family: ModelFamily,
  params: Readonly<Record<string, unknown>>,
  label: string,
): TrialSpec[] {
  return prep.folds.map((_, fold) => ({ label, family, params, fold, tolerateErrors: true }))
}

/** Tuning with a trial budget: all trials (and the defaults, when not yet scored) in one batch. */
async function tuneBatch(
  prep: PreparedData,
  spec: TrainSpec,
  family: ModelFamily,
  candidates: readonly CandidateResult[],
): Promise<TuningResult> {
  const space = SEARCH_SPACES[family]!
  const { primary } = prep
  const maxTrials = spec.trials ?? 20
  checkSearchSpace(space)
  if (!(Number.isInteger(maxTrials) && maxTrials >= 1))
    throw new SearchSpaceError(`maxTrials must be a positive integer; got ${maxTrials}.`)
  const k = prep.folds.length
  const known = candidates.find((c) => c.family === family)?.cvScore
  // The defaults' folds lead the batch when model selection did not score them (a named family).
  const defaults: TrialSpec[] =
    known === undefined
      ? prep.folds.map((_, fold) => ({
          label: `defaults of ${family}`,
          family,
          params: spec.params ?? {},
          fold,
          tolerateErrors: false,
        }))
      : []
  // The draws randomSearch makes: one sampleParams per trial from an Rng seeded with the run's seed.
  const rng = new Rng(spec.seed)
  const drawn: Params[] = Array.from({ length: maxTrials }, () => sampleParams(space, rng))
  const trials = [
    ...defaults,
    ...drawn.flatMap((params, t) =>
      trialsOf(prep, family, { ...(spec.params ?? {}), ...params }, `tuning trial ${t + 1}`),
    ),
  ]
  spec.onProgress?.({ kind: 'stage', message: `tuning ${family}: up to ${maxTrials} trials` })
  // A trial's score is the mean of its folds (NaN when one threw); the best is the first trial
  // with the best score, never a NaN one, as randomSearch picks it.
  let best: { index: number; score: number } | undefined
  let foldScores: number[] = []
  const progress = new InOrder(trials.length, (index, result) => {
    const position = index - defaults.length
    if (position < 0) return
    if (position % k === 0) foldScores = []
    foldScores.push(result.score)
    if (position % k < k - 1) return
    const t = Math.floor(position / k)
    best = betterOf(primary, best, { index: t, score: mean(foldScores) })
    spec.onProgress?.({
      kind: 'trial',
      family,
      trial: t + 1,
      trials: maxTrials,
      score: mean(foldScores),
      best: best?.score ?? Number.NaN,
    })
  })
  const results = await trialRunnerOf(spec).run(prep, spec, trials, progress.add)
  progress.finish(results)
  const defaultScore = known ?? mean(results.slice(0, defaults.length).map((r) => r.score))
  let chosen: { index: number; score: number } | undefined
  for (let t = 0; t < maxTrials; t++) {
    const start = defaults.length + t * k
    chosen = betterOf(primary, chosen, {
      index: t,
      score: mean(results.slice(start, start + k).map((r) => r.score)),
    })
  }
  return {
    family,
    trials: maxTrials,
    defaultScore,
    bestScore: chosen?.score ?? Number.NaN,
    bestParams: chosen === undefined ? {} : drawn[chosen.index]!,
    isKept: chosen !== undefined && isBetter(primary, chosen.score, defaultScore),
  }
}

/** The better of the best so far and a new trial: a NaN score never wins, a tie keeps the earlier. */
function betterOf(
  metric: string,
  best: { index: number; score: number } | undefined,
  trial: { index: number; score: number },
): { index: number; score: number } | undefined {
  if (Number.isNaN(trial.score)) return best
  return best === undefined || isBetter(metric, trial.score, best.score) ? trial : best
}
