import type { Matrix } from '../../core/index.js'
import type { Estimator, FitOptions } from '../estimator.js'
import type { FitPlan, FitResult } from './fit.js'
import { fitTrees } from './fit.js'
import type { TreeModelKind, TreeModelState } from './fitted.js'
import { FittedForestClassifier, FittedForestRegressor } from './fitted.js'
import type {
  DecisionTreeClassifierParams,
  DecisionTreeRegressorParams,
  RandomForestClassifierParams,
  RandomForestRegressorParams,
} from './params.js'
import {
  checkForestParams,
  checkKnownKeys,
  checkTreeParams,
  DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS,
  DECISION_TREE_REGRESSOR_DEFAULT_PARAMS,
  RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS,
  RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS,
} from './params.js'

function toState(result: FitResult): TreeModelState {
  return {
    forest: result.state,
    importance: result.importance,
    featureNames: result.featureNames,
    oob:
      result.oobScore === null || result.oobPrediction === null
        ? null
        : { score: result.oobScore, prediction: result.oobPrediction },
  }
}

function treePlan(
  task: FitPlan['task'],
  params: DecisionTreeClassifierParams | DecisionTreeRegressorParams,
): FitPlan {
  return { task, params, nTrees: 1, bootstrap: false, oobScore: false, threads: 1 }
}

function forestPlan(
  task: FitPlan['task'],
  params: RandomForestClassifierParams | RandomForestRegressorParams,
): FitPlan {
  return {
    task,
    params,
    nTrees: params.nEstimators,
    bootstrap: params.bootstrap,
    oobScore: params.oobScore,
    threads: params.threads,
  }
}

function paramsRecord(p: object): Readonly<Record<string, unknown>> {
  return { ...(p as Record<string, unknown>) }
}

async function fitClassifier(
  kind: TreeModelKind,
  plan: FitPlan,
  x: Matrix,
  y: Float64Array,
  options: FitOptions,
) {
  const result = await fitTrees(plan, x, y, options)
  return new FittedForestClassifier(kind, paramsRecord(plan.params), toState(result))
}

async function fitRegressor(
  kind: TreeModelKind,
  plan: FitPlan,
  x: Matrix,
  y: Float64Array,
  options: FitOptions,
) {
  const result = await fitTrees(plan, x, y, options)
  return new FittedForestRegressor(kind, paramsRecord(plan.params), toState(result))
}

/**
 * CART classification tree (gini or entropy). Splits are searched over every feature
 * (`maxFeatures: 'all'`) on quantile bins (exact below `maxBins` distinct values); missing values
 * (NaN) follow the learned direction of each split, or the heavier child when none were seen.
 */
export class DecisionTreeClassifier
  implements Estimator<DecisionTreeClassifierParams, FittedForestClassifier>
{
  readonly kind = 'tree-classifier'
  private readonly params: DecisionTreeClassifierParams

  constructor(params: Partial<DecisionTreeClassifierParams> = {}) {
    checkKnownKeys(params, DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS, 'DecisionTreeClassifier')
    this.params = { ...DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS, ...params }
    checkTreeParams(this.params)
  }

  getParams(): DecisionTreeClassifierParams {
    return { ...this.params }
  }

  withParams(patch: Partial<DecisionTreeClassifierParams>): DecisionTreeClassifier {
    return new DecisionTreeClassifier({ ...this.params, ...patch })
  }

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestClassifier> {
    return fitClassifier(this.kind, treePlan('classification', this.params), x, y, options)
  }
}

/** CART regression tree (squared error); see `DecisionTreeClassifier` for splits and missing values. */
export class DecisionTreeRegressor implements Estimator<DecisionTreeRegressorParams, FittedForestRegressor> {
  readonly kind = 'tree-regressor'
  private readonly params: DecisionTreeRegressorParams

  constructor(params: Partial<DecisionTreeRegressorParams> = {}) {
    checkKnownKeys(params, DECISION_TREE_REGRESSOR_DEFAULT_PARAMS, 'DecisionTreeRegressor')
    this.params = { ...DECISION_TREE_REGRESSOR_DEFAULT_PARAMS, ...params }
    checkTreeParams(this.params)
  }

  getParams(): DecisionTreeRegressorParams {
    return { ...this.params }
  }

  withParams(patch: Partial<DecisionTreeRegressorParams>): DecisionTreeRegressor {
    return new DecisionTreeRegressor({ ...this.params, ...patch })
  }

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestRegressor> {
    return fitRegressor(this.kind, treePlan('regression', this.params), x, y, options)
  }
}

/**
 * Random forest classifier (Breiman): bootstrap rows per tree, `maxFeatures` features drawn per
 * split, probabilities averaged over trees. Trees are built on worker threads; tree t is seeded
 * from `seed` and t only, so the model is the same for any `threads`. `fit` uses
 * `sampleWeight`, `categoricalFeatures` and `featureNames` from its options; forests do not
 * early-stop, so `validation` and `onIteration` are not used.
 */
export class RandomForestClassifier
  implements Estimator<RandomForestClassifierParams, FittedForestClassifier>
{
  readonly kind = 'rf-classifier'
  private readonly params: RandomForestClassifierParams

  constructor(params: Partial<RandomForestClassifierParams> = {}) {
    checkKnownKeys(params, RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS, 'RandomForestClassifier')
    this.params = { ...RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS, ...params }
    checkTreeParams(this.params)
    checkForestParams(this.params)
  }

  getParams(): RandomForestClassifierParams {
    return { ...this.params }
  }

  withParams(patch: Partial<RandomForestClassifierParams>): RandomForestClassifier {
    return new RandomForestClassifier({ ...this.params, ...patch })
  }

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestClassifier> {
    return fitClassifier(this.kind, forestPlan('classification', this.params), x, y, options)
  }
}

/** Random forest regressor: as `RandomForestClassifier`, averaging the trees' leaf means. */
export class RandomForestRegressor implements Estimator<RandomForestRegressorParams, FittedForestRegressor> {
  readonly kind = 'rf-regressor'
  private readonly params: RandomForestRegressorParams

  constructor(params: Partial<RandomForestRegressorParams> = {}) {
    checkKnownKeys(params, RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS, 'RandomForestRegressor')
    this.params = { ...RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS, ...params }
    checkTreeParams(this.params)
    checkForestParams(this.params)
  }

  getParams(): RandomForestRegressorParams {
    return { ...this.params }
  }

  withParams(patch: Partial<RandomForestRegressorParams>): RandomForestRegressor {
    return new RandomForestRegressor({ ...this.params, ...patch })
  }

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestRegressor> {
    return fitRegressor(this.kind, forestPlan('regression', this.params), x, y, options)
  }
}
