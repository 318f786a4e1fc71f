import { AppError, takeValues } from '../../core/index.js'
import { selectRows } from '../../data/index.js'
import { precisionAtRecall, recallAtPrecision } from '../../eval/index.js'
import type { ModelFamily } from '../families.js'
import { crossValidate, mean } from './candidates.js'
import { fitFamily } from './fit.js'
import { holdoutSplit } from './prepare.js'
import type {
  CandidateResult,
  CrossValidatedScore,
  PreparedData,
  RefittedModel,
  ThresholdChoice,
  TrainSpec,
  TuningResult,
} from './types.js'

/** What the refit stage is given: the chosen family, the candidates' and tuning's findings. */
export interface RefitInput {
  readonly family: ModelFamily
  readonly candidates: readonly CandidateResult[]
  readonly tuning?: TuningResult
}

/**
 * Stage 4, refit: fits the chosen family (with tuned params when tuning kept them) on the whole
 * training part, settles the cross-validated score shown beside the test score, and chooses the
 * decision threshold when an operating point is asked for.
 */
export async function refit(prep: PreparedData, spec: TrainSpec, input: RefitInput): Promise<RefittedModel> {
  const { family, candidates, tuning } = input
  const { primary, folds } = prep
  spec.onProgress?.({ kind: 'stage', message: `fitting ${family} on ${prep.trainIndex.length} rows` })
  const finalParams = tuning?.isKept === true ? { ...(spec.params ?? {}), ...tuning.bestParams } : undefined
  // The cross-validated score of what is finally fitted, shown beside the test score. Without a test
  // part it is the only honest figure, so it is computed then even when selection did not run.
  let cv: CrossValidatedScore | undefined
  const selected = candidates.find((c) => c.family === family)
  if (tuning !== undefined)
    cv = {
      metric: primary,
      mean: tuning.isKept ? tuning.bestScore : tuning.defaultScore,
      scores: tuning.isKept ? [] : (selected?.cvScores ?? []),
      folds: folds.length,
    }
  else if (selected !== undefined)
    cv = { metric: primary, mean: selected.cvScore, scores: selected.cvScores, folds: folds.length }
  else if (prep.testIndex.length === 0 && folds.length > 1) {
    spec.onProgress?.({
      kind: 'stage',
      message: `cross-validating ${family} (${folds.length} folds): nothing held out`,
    })
    const scores = await crossValidate(prep, spec, family, finalParams ?? spec.params ?? {}, false)
    cv = { metric: primary, mean: mean(scores), scores, folds: folds.length }
  }
  const final = await fitFamily({
    family,
    ds: prep.trainDs,
    y: prep.yTrain,
    target: prep.target,
    features: prep.features,
    spec,
    described: prep.described,
    ...(prep.validation === undefined ? {} : { validation: prep.validation }),
    ...(finalParams === undefined ? {} : { params: finalParams }),
  })
  const operatingPoint =
    spec.thresholdFor ?? prep.metrics.find((m) => /^(precision_at_recall|recall_at_precision)@/.test(m))
  let threshold: ThresholdChoice | undefined
  if (operatingPoint !== undefined && prep.target.task === 'binary') {
    spec.onProgress?.({
      kind: 'stage',
      message: `choosing the decision threshold for ${operatingPoint} on held-out training rows`,
    })
    threshold = await chooseThreshold(operatingPoint, family, prep, spec, finalParams)
    final.bundle.threshold = threshold.threshold
  }
  return {
    bundle: final.bundle,
    fitSeconds: final.seconds,
    iterations: final.iterations,
    xTrain: final.x,
    ...(cv === undefined ? {} : { cv }),
    ...(threshold === undefined ? {} : { threshold }),
  }
}

/**
 * Fits the family on 80 % of the training rows and picks, on the other 20 %, the threshold on the
 * positive-class probability that meets the operating point (e.g. the highest precision at 90 %
 * recall). The test part is not used.
 */
async function chooseThreshold(
  metric: string,
  family: ModelFamily,
  prep: PreparedData,
  spec: TrainSpec,
  params: Readonly<Record<string, unknown>> | undefined,
): Promise<ThresholdChoice> {
  const m = /^(precision_at_recall|recall_at_precision)@(.+)$/.exec(metric)
  if (m === null)
    throw new AppError(
      'INVALID_ARGUMENT',
      `Cannot choose a threshold for '${metric}'; use precision_at_recall@R or recall_at_precision@P.`,
    )
  const goal = Number(m[2])
  const { trainDs, yTrain } = prep
  const { train, test: held } = holdoutSplit(yTrain, 'binary', 0.2, spec.seed + 1)
  const fitted = await fitFamily({
    family,
    ds: selectRows(trainDs, train),
    y: takeValues(yTrain, train),
    target: prep.target,
    features: prep.features,
    spec,
    ...(params === undefined ? {} : { params }),
  })
  const scores = fitted.bundle.predictDataset(selectRows(trainDs, held)).positive!
  const yHeld = takeValues(yTrain, held)
  const point =
    m[1] === 'precision_at_recall'
      ? precisionAtRecall(yHeld, scores, goal)
      : recallAtPrecision(yHeld, scores, goal)
  return {
    metric,
    threshold: Number.isFinite(point.threshold) ? point.threshold : 0.5,
    value: point.value,
    isAchieved: point.isAchieved,
    rows: held.length,
  }
}
