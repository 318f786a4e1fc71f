import { randomSearch } from '../../eval/index.js'
import type { ModelFamily } from '../families.js'
import { higherIsBetter } from '../scoring.js'
import { SEARCH_SPACES } from '../search-spaces.js'
import { crossValidate, isBetter, mean } from './candidates.js'
import type { CandidateResult, PreparedData, TrainSpec, TuningResult } from './types.js'

/**
 * Stage 3, tune: random search over the family's space (`--trials`, `--tune-minutes`), each trial
 * cross-validated on the training part. Undefined when tuning was not asked for or the family has
 * no space; the best params are kept only when they beat the defaults' cv score.
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
  const { primary } = prep
  const defaultScore =
    candidates.find((c) => c.family === family)?.cvScore ??
    mean(await crossValidate(prep, spec, family, spec.params ?? {}, false))
  const maxTrials = spec.trials ?? 20
  spec.onProgress?.({
    kind: 'stage',
    message: `tuning ${family}: up to ${maxTrials} trials${spec.tuneMinutes === undefined ? '' : ` or ${spec.tuneMinutes} min`}`,
  })
  const search = await randomSearch({
    space,
    direction: higherIsBetter(primary) ? 'higher' : 'lower',
    maxTrials,
    ...(spec.tuneMinutes === undefined ? {} : { timeBudgetMs: spec.tuneMinutes * 60_000 }),
    seed: spec.seed,
    objective: async (params) =>
      mean(await crossValidate(prep, spec, family, { ...(spec.params ?? {}), ...params }, false)),
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
