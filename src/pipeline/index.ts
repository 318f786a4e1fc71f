/**
 * The fitted pipeline: what training produces and serving and monitoring run. A `ModelBundle`
 * (feature encoder + fitted model + label coding), per-row and global explanations, and the
 * reference profile recorded beside each trained version. Depends only on core, data, models and
 * eval, so train, serve and monitor can all import it without importing each other.
 */

export type { BundleFeature, BundlePredictions, BundleState } from './bundle.js'
export { ModelBundle } from './bundle.js'
export type { EncodedFeature, FeatureEncoderState, FeatureRecord } from './encoder.js'
export { FeatureEncoder, fitFeatureEncoder, toFeatureNumber } from './encoder.js'
export type { FeatureContribution, SampledContributionOptions, SampledContributions } from './explain.js'
export {
  encodedContributions,
  encodedOwners,
  explainBundleRow,
  globalContributions,
  isExplainable,
  sampledGlobalContributions,
  shapSampleNote,
} from './explain.js'
export type { EncodedTarget } from './labels.js'
export { assertLearnableTarget, encodeTarget } from './labels.js'
export type {
  CategoricalProfile,
  FeatureProfile,
  FeatureValues,
  NumericProfile,
  ReferenceProfile,
} from './profile.js'
export {
  binCounts,
  binOf,
  buildReferenceProfile,
  featureValues,
  profileCategorical,
  profileNumeric,
  recordValues,
} from './profile.js'
export type {
  Contribution,
  FeatureRow,
  FeatureSpec,
  FeatureValue,
  ModelOutput,
  ModelSource,
  ModelVersionRef,
  ServableModel,
} from './servable.js'
export { parseModelRef } from './servable.js'
