import { AUTO_FAMILIES, type ModelFamily } from '../families.js'
import { higherIsBetter } from '../scoring.js'
import { InOrder, trialRunnerOf } from './trials.js'
import type { CandidateResult, CandidatesChoice, PreparedData, TrainSpec, TrialSpec } from './types.js'

/**
 * Stage 2, candidates: the family to fit. For `--model auto`, each family of {@link AUTO_FAMILIES}
 * is cross-validated on the training part and the best mean primary metric wins; otherwise the
 * asked family, with no candidates. Every family's folds go to the spec's trial runner as one
 * batch, so a distributed runner fits them all at once; the choice is made from the results in
 * family order, whatever order they arrived in.
 */
export async function chooseCandidate(prep: PreparedData, spec: TrainSpec): Promise<CandidatesChoice> {
  if (spec.model !== 'auto') return { family: spec.model, candidates: [] }
  const k = prep.folds.length
  const trials: TrialSpec[] = AUTO_FAMILIES.flatMap((family) =>
    prep.folds.map((_, fold) => ({ label: `candidate ${family}`, family, fold, tolerateErrors: false })),
  )
  const announce = (family: ModelFamily): void =>
    spec.onProgress?.({ kind: 'stage', message: `cross-validating ${family} (${k} folds)` })
  // Progress in family order: each family's folds, then its mean and the best so far.
  let bestSoFar: { family: ModelFamily; score: number } | undefined
  let scores: number[] = []
  const progress = new InOrder(trials.length, (index, result) => {
    const family = trials[index]!.family
    const fold = index % k
    if (fold === 0) scores = []
    scores.push(result.score)
    spec.onProgress?.({ kind: 'fold', family, fold: fold + 1, folds: k, score: result.score })
    if (fold < k - 1) return
    const score = mean(scores)
    if (bestSoFar === undefined || isBetter(prep.primary, score, bestSoFar.score))
      bestSoFar = { family, score }
    spec.onProgress?.({ kind: 'candidate', family, score, best: bestSoFar.family })
    const next = AUTO_FAMILIES[AUTO_FAMILIES.indexOf(family) + 1]
    if (next !== undefined) announce(next)
  })
  announce(AUTO_FAMILIES[0]!)
  const results = await trialRunnerOf(spec).run(prep, spec, trials, progress.add)
  progress.finish(results)
  const candidates: CandidateResult[] = AUTO_FAMILIES.map((family, c) => {
    const own = results.slice(c * k, (c + 1) * k)
    const cvScores = own.map((r) => r.score)
    return {
      family,
      cvScore: mean(cvScores),
      cvScores,
      seconds: own.reduce((total, r) => total + r.seconds, 0),
    }
  })
  let best = candidates[0]!
  for (const candidate of candidates.slice(1))
    if (isBetter(prep.primary, candidate.cvScore, best.cvScore)) best = candidate
  return { family: best.family, candidates }
}

/**
 * Validation scores of the primary metric of a family (and params) over the folds of the training
 * part only: the test part is never seen before the final evaluation. The folds run on the spec's
 * trial runner.
 */
export async function crossValidate(
  prep: PreparedData,
  spec: TrainSpec,
  family: ModelFamily,
  params: Readonly<Record<string, unknown>> | undefined,
  reportFolds: boolean,
  label = `cross-validation of ${family}`,
): Promise<number[]> {
  const trials: TrialSpec[] = prep.folds.map((_, fold) => ({
    label,
    family,
    fold,
    tolerateErrors: false,
    ...(params === undefined ? {} : { params }),
  }))
  const progress = new InOrder(trials.length, (index, result) => {
    if (reportFolds)
      spec.onProgress?.({ kind: 'fold', family, fold: index + 1, folds: trials.length, score: result.score })
  })
  const results = await trialRunnerOf(spec).run(prep, spec, trials, progress.add)
  progress.finish(results)
  return results.map((r) => r.score)
}

/** Whether score `a` beats `b` on the metric. */
export function isBetter(metric: string, a: number, b: number): boolean {
  return higherIsBetter(metric) ? a > b : a < b
}

/** Arithmetic mean. */
export function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length
}
