/**
 * The training workflow as explicit stages, each a function with typed input and output (see
 * `stages/`): prepare (load, target, split, folds) -> candidates (the family; cross-validated for
 * `auto`) -> tune (random search, optional) -> refit (the final fit, cv score, threshold) -> test
 * (scores on each part, once) -> record (`run.ts`: artifact, run, profile, report, registration).
 * The data is loaded and the training part materialised once, in prepare; the final model's
 * encoded training matrix and its predictions travel to the later stages instead of being
 * recomputed there.
 */
import { chooseCandidate } from './stages/candidates.js'
import { fitBaseline } from './stages/fit.js'
import { prepare } from './stages/prepare.js'
import { refit } from './stages/refit.js'
import { testOnce } from './stages/test.js'
import { tune } from './stages/tune.js'
import type { TrainOutcome, TrainSpec } from './stages/types.js'

export { chooseCandidate, crossValidate } from './stages/candidates.js'
export { balancedWeights, fitFamily } from './stages/fit.js'
export { holdoutSplit, makeFolds, prepare } from './stages/prepare.js'
export { refit } from './stages/refit.js'
export { predictionMetrics, scoreBundle, testOnce } from './stages/test.js'
export { inProcessTrialRunner, runTrial } from './stages/trials.js'
export { tune } from './stages/tune.js'
export type {
  CandidateResult,
  CandidatesChoice,
  CrossValidatedScore,
  EvaluatedPart,
  Fold,
  PreparedData,
  RefittedModel,
  SplitKind,
  TestedModel,
  ThresholdChoice,
  TrainOutcome,
  TrainProgress,
  TrainSpec,
  TrialResult,
  TrialRunner,
  TrialSpec,
  TuningResult,
  ValidationSet,
} from './stages/types.js'
export { DEFAULT_TEST_SIZE } from './stages/types.js'

/**
 * Trains a model bundle: prepares the data (target, test part held out, folds), fits the
 * baseline, picks a family (cross-validated when `model` is `auto`), tunes it when asked, refits
 * it on the training part and scores the test part once.
 */
export async function trainModelBundle(spec: TrainSpec): Promise<TrainOutcome> {
  const prep = await prepare(spec)
  spec.onProgress?.({ kind: 'stage', message: 'fitting baseline' })
  const baseline = await fitBaseline(prep, spec)
  const { family, candidates } = await chooseCandidate(prep, spec)
  const tuning = await tune(prep, spec, family, candidates)
  const refitted = await refit(prep, spec, {
    family,
    candidates,
    ...(tuning === undefined ? {} : { tuning }),
  })
  // Predicting every training and test row takes seconds on deep forests: shown as its own step.
  spec.onProgress?.({
    kind: 'stage',
    message: `scoring the training part${prep.testIndex.length > 0 ? ' and the test part' : ''}`,
  })
  const tested = testOnce(prep, refitted, baseline)
  return {
    bundle: refitted.bundle,
    baseline,
    task: prep.target.task,
    taskReason: prep.target.reason,
    family,
    primaryMetric: prep.primary,
    fitSeconds: refitted.fitSeconds,
    candidates,
    ...(tuning === undefined ? {} : { tuning }),
    ...(refitted.threshold === undefined ? {} : { threshold: refitted.threshold }),
    ...(refitted.cv === undefined ? {} : { cv: refitted.cv }),
    metrics: tested.metrics,
    trainRows: prep.trainIndex.length,
    testRows: prep.testIndex.length,
    dataset: prep.dataset,
    trainDs: prep.trainDs,
    trainIndex: prep.trainIndex,
    testIndex: prep.testIndex,
    target: prep.target,
    iterations: refitted.iterations,
    trainPredictions: tested.trainPredictions,
    evaluation: tested.evaluation,
  }
}
