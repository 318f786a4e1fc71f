import { InvalidArgumentError } from '../core/index.js'
import {
  BaselineClassifier,
  BaselineRegressor,
  type Estimator,
  type EstimatorDefinition,
  type EstimatorTags,
  GradientBoostingClassifier,
  GradientBoostingRegressor,
  LinearRegression,
  LogisticRegression,
  MLPClassifier,
  MLPRegressor,
  RandomForestClassifier,
  RandomForestRegressor,
  type TaskKind,
} from '../models/index.js'

/** Model families `keel train --model` accepts (besides `auto`). */
export const MODEL_FAMILIES = ['baseline', 'linear', 'rf', 'gbdt', 'mlp'] as const
export type ModelFamily = (typeof MODEL_FAMILIES)[number]

/** Families tried by `--model auto`, in order. */
export const AUTO_FAMILIES: readonly ModelFamily[] = ['linear', 'rf', 'gbdt', 'mlp']

/** An estimator class with its definition (params schema, defaults, tags). */
type EstimatorClass = (new (
  params: Record<string, unknown>,
) => Estimator<object>) & {
  readonly definition: EstimatorDefinition<object>
}

/**
 * The classifier and regressor of each family. What training needs to know about them (encoding,
 * interpretability, whether they take a seed) comes from their definitions, not from this file.
 */
const FAMILY_ESTIMATORS: Readonly<
  Record<ModelFamily, { readonly classification: EstimatorClass; readonly regression: EstimatorClass }>
> = {
  baseline: { classification: BaselineClassifier, regression: BaselineRegressor },
  linear: { classification: LogisticRegression, regression: LinearRegression },
  rf: { classification: RandomForestClassifier, regression: RandomForestRegressor },
  gbdt: { classification: GradientBoostingClassifier, regression: GradientBoostingRegressor },
  mlp: { classification: MLPClassifier, regression: MLPRegressor },
}

/** The estimator class of a family for a task. */
export function estimatorClass(family: ModelFamily, task: TaskKind): EstimatorClass {
  return FAMILY_ESTIMATORS[family][task === 'regression' ? 'regression' : 'classification']
}

/** Tags of a family (its classifier and regressor declare the same ones but `task`). */
function familyTags(family: ModelFamily): EstimatorTags {
  return FAMILY_ESTIMATORS[family].classification.definition.tags
}

/** Whether a family reads categorical codes (trees) or one-hot columns (linear, MLP, baselines). */
export function encodingFor(family: ModelFamily): 'codes' | 'onehot' {
  return familyTags(family).categorical ? 'codes' : 'onehot'
}

/** Families whose models a person can read directly (interpretability: required). */
export function isInterpretable(family: ModelFamily): boolean {
  // Trees are explained exactly by TreeSHAP and linear models by their coefficients.
  return familyTags(family).interpretable
}

/** Parses a `--model` value. */
export function parseFamily(value: string): ModelFamily | 'auto' {
  if (value === 'auto') return 'auto'
  if ((MODEL_FAMILIES as readonly string[]).includes(value)) return value as ModelFamily
  throw new InvalidArgumentError(`Unknown model '${value}'. Use one of: auto, ${MODEL_FAMILIES.join(', ')}.`)
}

/**
 * Makes the estimator of a family for a task. `params` override the family's defaults; unknown
 * keys are rejected by the estimator's own checks.
 */
export function makeEstimator(
  family: ModelFamily,
  task: TaskKind,
  params: Record<string, unknown> = {},
  seed = 42,
): Estimator<object> {
  const Ctor = estimatorClass(family, task)
  // Estimators that draw random numbers take the run's seed unless the params set their own.
  return new Ctor('seed' in Ctor.definition.defaults ? { seed, ...params } : params)
}
