import type { Matrix } from '../../core/index.js'
import { DefinedEstimator, defineEstimator } from '../define.js'
import type { FitOptions } from '../estimator.js'
import type { FitPlan } from './fit.js'
import { fitTrees } from './fit.js'
import type { TreeModelState } from './fitted.js'
import { FittedForestClassifier, FittedForestRegressor } from './fitted.js'
import type {
  DecisionTreeClassifierParams,
  DecisionTreeRegressorParams,
  RandomForestClassifierParams,
  RandomForestRegressorParams,
} from './params.js'
import {
  checkForestParams,
  DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS,
  DECISION_TREE_CLASSIFIER_SCHEMA,
  DECISION_TREE_REGRESSOR_DEFAULT_PARAMS,
  DECISION_TREE_REGRESSOR_SCHEMA,
  RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS,
  RANDOM_FOREST_CLASSIFIER_SCHEMA,
  RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS,
  RANDOM_FOREST_REGRESSOR_SCHEMA,
} from './params.js'

// Trees split categorical codes directly and learn where missing values go.
const TREE_TAGS = { categorical: true, missing: 'native', tree: true, interpretable: true } as const

/** Params, defaults and tags of `DecisionTreeClassifier`. */
export const DECISION_TREE_CLASSIFIER = defineEstimator({
  name: 'DecisionTreeClassifier',
  kind: 'tree-classifier',
  schema: DECISION_TREE_CLASSIFIER_SCHEMA,
  defaults: DECISION_TREE_CLASSIFIER_DEFAULT_PARAMS,
  tags: { task: 'classification', ...TREE_TAGS },
})

/** Params, defaults and tags of `DecisionTreeRegressor`. */
export const DECISION_TREE_REGRESSOR = defineEstimator({
  name: 'DecisionTreeRegressor',
  kind: 'tree-regressor',
  schema: DECISION_TREE_REGRESSOR_SCHEMA,
  defaults: DECISION_TREE_REGRESSOR_DEFAULT_PARAMS,
  tags: { task: 'regression', ...TREE_TAGS },
})

/** Params, defaults and tags of `RandomForestClassifier`. */
export const RANDOM_FOREST_CLASSIFIER = defineEstimator({
  name: 'RandomForestClassifier',
  kind: 'rf-classifier',
  schema: RANDOM_FOREST_CLASSIFIER_SCHEMA,
  defaults: RANDOM_FOREST_CLASSIFIER_DEFAULT_PARAMS,
  tags: { task: 'classification', ...TREE_TAGS },
  refine: (p) => checkForestParams(p, 'RandomForestClassifier'),
})

/** Params, defaults and tags of `RandomForestRegressor`. */
export const RANDOM_FOREST_REGRESSOR = defineEstimator({
  name: 'RandomForestRegressor',
  kind: 'rf-regressor',
  schema: RANDOM_FOREST_REGRESSOR_SCHEMA,
  defaults: RANDOM_FOREST_REGRESSOR_DEFAULT_PARAMS,
  tags: { task: 'regression', ...TREE_TAGS },
  refine: (p) => checkForestParams(p, 'RandomForestRegressor'),
})

/** A single tree: all rows, no bootstrap, one thread. */
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

/** Fits the plan's trees and hands their state (and a copy of the params) to `wrap`. */
async function fitPlan<F>(
  plan: FitPlan,
  x: Matrix,
  y: Float64Array,
  options: FitOptions,
  wrap: (params: Readonly<Record<string, unknown>>, state: TreeModelState) => F,
): Promise<F> {
  const result = await fitTrees(plan, x, y, options)
  return wrap(
    { ...(plan.params as Record<string, unknown>) },
    {
      forest: result.state,
      importance: result.importance,
      featureNames: result.featureNames,
      oob:
        result.oobScore === null || result.oobPrediction === null
          ? null
          : { score: result.oobScore, prediction: result.oobPrediction },
    },
  )
}

/**
 * CART classification tree (gini or entropy). Splits are searched over every feature
 * (`maxFeatures: 'all'`) on quantile bins (exact below `maxBins` distinct values); missing values
 * (NaN) follow the learned direction of each split, or the heavier child when none were seen.
 */
export class DecisionTreeClassifier extends DefinedEstimator<
  DecisionTreeClassifierParams,
  FittedForestClassifier,
  'tree-classifier'
> {
  static readonly definition = DECISION_TREE_CLASSIFIER

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestClassifier> {
    return fitPlan(treePlan('classification', this.params), x, y, options, (p, s) => {
      return new FittedForestClassifier(this.kind, p, s)
    })
  }
}

/** CART regression tree (squared error); see `DecisionTreeClassifier` for splits and missing values. */
export class DecisionTreeRegressor extends DefinedEstimator<
  DecisionTreeRegressorParams,
  FittedForestRegressor,
  'tree-regressor'
> {
  static readonly definition = DECISION_TREE_REGRESSOR

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestRegressor> {
    return fitPlan(treePlan('regression', this.params), x, y, options, (p, s) => {
      return new FittedForestRegressor(this.kind, p, s)
    })
  }
}

/**
 * Random forest classifier (Breiman): bootstrap rows per tree, `maxFeatures` features drawn per
 * split, probabilities averaged over trees. Trees are built on worker threads; tree t is seeded
 * from `seed` and t only, so the model is the same for any `threads`. `fit` uses
 * `sampleWeight`, `categoricalFeatures` and `featureNames` from its options; forests do not
 * early-stop, so `validation` and `onIteration` are not used.
 */
export class RandomForestClassifier extends DefinedEstimator<
  RandomForestClassifierParams,
  FittedForestClassifier,
  'rf-classifier'
> {
  static readonly definition = RANDOM_FOREST_CLASSIFIER

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestClassifier> {
    return fitPlan(forestPlan('classification', this.params), x, y, options, (p, s) => {
      return new FittedForestClassifier(this.kind, p, s)
    })
  }
}

/** Random forest regressor: as `RandomForestClassifier`, averaging the trees' leaf means. */
export class RandomForestRegressor extends DefinedEstimator<
  RandomForestRegressorParams,
  FittedForestRegressor,
  'rf-regressor'
> {
  static readonly definition = RANDOM_FOREST_REGRESSOR

  fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedForestRegressor> {
    return fitPlan(forestPlan('regression', this.params), x, y, options, (p, s) => {
      return new FittedForestRegressor(this.kind, p, s)
    })
  }
}
