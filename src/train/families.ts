import { AppError } from '../core/index.js'
import {
  BaselineClassifier,
  BaselineRegressor,
  type Estimator,
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

/** Whether a family reads categorical codes (trees) or one-hot columns (linear, MLP, baselines). */
export function encodingFor(family: ModelFamily): 'codes' | 'onehot' {
  return family === 'rf' || family === 'gbdt' ? 'codes' : 'onehot'
}

/** Families whose models a person can read directly (interpretability: required). */
export function isInterpretable(family: ModelFamily): boolean {
  // Trees are explained exactly by TreeSHAP and linear models by their coefficients.
  return family === 'linear' || family === 'gbdt' || family === 'rf' || family === 'baseline'
}

/** Parses a `--model` value. */
export function parseFamily(value: string): ModelFamily | 'auto' {
  if (value === 'auto') return 'auto'
  if ((MODEL_FAMILIES as readonly string[]).includes(value)) return value as ModelFamily
  throw new AppError('CLI_USAGE', `Unknown model '${value}'. Use one of: auto, ${MODEL_FAMILIES.join(', ')}.`)
}

type AnyParams = Record<string, unknown>

/**
 * Makes the estimator of a family for a task. `params` override the family's defaults; unknown
 * keys are rejected by the estimator's own checks.
 */
export function makeEstimator(
  family: ModelFamily,
  task: TaskKind,
  params: AnyParams = {},
  seed = 42,
): Estimator<object> {
  const isClassification = task !== 'regression'
  const withSeed = { seed, ...params }
  switch (family) {
    case 'baseline':
      return isClassification ? new BaselineClassifier(params) : new BaselineRegressor(params)
    case 'linear':
      return isClassification ? new LogisticRegression(params) : new LinearRegression(params)
    case 'rf':
      return isClassification ? new RandomForestClassifier(withSeed) : new RandomForestRegressor(withSeed)
    case 'gbdt':
      return isClassification
        ? new GradientBoostingClassifier(withSeed)
        : new GradientBoostingRegressor(withSeed)
    case 'mlp':
      return isClassification ? new MLPClassifier(withSeed) : new MLPRegressor(withSeed)
    default: {
      const never: never = family
      throw new AppError('CLI_USAGE', `Unknown model family ${String(never)}`)
    }
  }
}
