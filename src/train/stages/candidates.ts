import { performance } from 'node:perf_hooks'
import { takeValues } from '../../core/index.js'
import { selectRows } from '../../data/index.js'
import { AUTO_FAMILIES, type ModelFamily } from '../families.js'
import { higherIsBetter } from '../scoring.js'
import { fitFamily } from './fit.js'
import { scoreBundle } from './test.js'
import type { CandidateResult, CandidatesChoice, PreparedData, TrainSpec } from './types.js'

/**
 * Stage 2, candidates: the family to fit. For `--model auto`, each family of {@link AUTO_FAMILIES}
 * is cross-validated on the training part and the best mean primary metric wins; otherwise the
 * asked family, with no candidates.
 */
export async function chooseCandidate(prep: PreparedData, spec: TrainSpec): Promise<CandidatesChoice> {
  if (spec.model !== 'auto') return { family: spec.model, candidates: [] }
  const candidates: CandidateResult[] = []
  let best: CandidateResult | undefined
  for (const candidate of AUTO_FAMILIES) {
    spec.onProgress?.({
      kind: 'stage',
      message: `cross-validating ${candidate} (${prep.folds.length} folds)`,
    })
    const start = performance.now()
    const scores = await crossValidate(prep, spec, candidate, undefined, true)
    const result: CandidateResult = {
      family: candidate,
      cvScore: mean(scores),
      cvScores: scores,
      seconds: (performance.now() - start) / 1000,
    }
    candidates.push(result)
    if (best === undefined || isBetter(prep.primary, result.cvScore, best.cvScore)) best = result
    spec.onProgress?.({ kind: 'candidate', family: candidate, score: result.cvScore, best: best.family })
  }
  return { family: best!.family, candidates }
}

/**
 * Validation scores of the primary metric of a family (and params) over the folds of the training
 * part only: the test part is never seen before the final evaluation.
 */
export async function crossValidate(
  prep: PreparedData,
  spec: TrainSpec,
  family: ModelFamily,
  params: Readonly<Record<string, unknown>> | undefined,
  reportFolds: boolean,
): Promise<number[]> {
  const { trainDs, yTrain, primary, folds } = prep
  const scores: number[] = []
  for (const [f, fold] of folds.entries()) {
    const fitted = await fitFamily({
      family,
      ds: selectRows(trainDs, fold.train),
      y: takeValues(yTrain, fold.train),
      target: prep.target,
      features: prep.features,
      spec,
      ...(params === undefined ? {} : { params }),
    })
    const validDs = selectRows(trainDs, fold.valid)
    const score = scoreBundle(fitted.bundle, validDs, takeValues(yTrain, fold.valid), [primary])[primary]!
    scores.push(score)
    if (reportFolds) spec.onProgress?.({ kind: 'fold', family, fold: f + 1, folds: folds.length, score })
  }
  return scores
}

/** Whether score `a` beats `b` on the metric. */
export function isBetter(metric: string, a: number, b: number): boolean {
  return higherIsBetter(metric) ? a > b : a < b
}

/** Arithmetic mean. */
export function mean(v: readonly number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length
}
