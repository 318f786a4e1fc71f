import type { FittedModel, TaskKind } from '../models/index.js'

/** Model file formats `keel import` reads. */
export type ImportFormat = 'xgboost' | 'lightgbm' | 'onnx'

/**
 * A model read from another runtime's file, before Keel wraps it with a feature encoder and
 * registers it: the fitted model, what it predicts, and what the file said about itself.
 */
export interface ImportedModel {
  readonly format: ImportFormat
  /** The producer and its version as the file states them, e.g. `xgboost 1.7.4`, `LightGBM v4`. */
  readonly producer: string
  readonly task: TaskKind
  /** Classes of a classifier (codes 0..k-1 as the producer numbers them). */
  readonly nClasses?: number
  /** Input columns in the model's order: the file's own names, or f0..f{n-1} when it has none. */
  readonly featureNames: readonly string[]
  /** Whether `featureNames` came from the file (then a schema sample must use them). */
  readonly namedFeatures: boolean
  /** Columns the model splits as integer category codes (tree models with native categoricals). */
  readonly categoricalFeatures: readonly number[]
  /** Converted model: a Keel GBDT for tree ensembles, an ONNX graph model otherwise. */
  readonly model: FittedModel
  /** What the conversion assumed or changed, shown on the model card (e.g. how base_score was read). */
  readonly notes: readonly string[]
}
