/**
 * The contract between a fitted pipeline and the prediction server: what a servable model and a model
 * source look like. The server never imports models or the registry directly: train adapts bundles
 * (`bundleToServable`) and the registry (`createRegistryModelSource`) to these interfaces, and tests
 * use in-memory fakes. This file imports nothing, so the server loading it loads no model code.
 */

/** One input column as the server validates it. */
export interface FeatureSpec {
  readonly name: string
  readonly kind: 'numeric' | 'categorical' | 'boolean' | 'datetime'
  /** Known category levels (categorical only). Absent means any string is accepted. */
  readonly levels?: readonly string[]
  /** Missing or null is an error when true; otherwise the model receives `null`. Default true. */
  readonly required?: boolean
  /** What to do with a category level not in `levels`: pass `null` ('missing', default) or reject. */
  readonly unknownLevel?: 'missing' | 'reject'
  /** Inclusive bounds for numeric values (e.g. age 0..150); outside is rejected. */
  readonly min?: number
  readonly max?: number
}

/** A validated cell: numbers are finite, categories are strings, datetimes ISO strings or epoch ms. */
export type FeatureValue = number | string | boolean | null

/** One validated input row, keyed by feature name. */
export type FeatureRow = Readonly<Record<string, FeatureValue>>

/** One model output. `probabilities` is keyed by class label for classifiers. */
export interface ModelOutput {
  readonly prediction: number | string
  readonly probabilities?: Readonly<Record<string, number>>
}

/** One feature's additive contribution to a prediction (e.g. TreeSHAP value on the margin). */
export interface Contribution {
  readonly feature: string
  readonly contribution: number
}

/**
 * A loaded model version the server can call. `predict` may be synchronous (in-process models) or
 * return a promise (remote or async models); the server awaits either.
 */
export interface ServableModel {
  readonly name: string
  readonly version: number
  readonly task: 'binary' | 'multiclass' | 'regression'
  /** Class labels for classifiers; for binary, `classes[1]` is the positive class. */
  readonly classes?: readonly string[]
  readonly features: readonly FeatureSpec[]
  predict(rows: ReadonlyArray<FeatureRow>): ReadonlyArray<ModelOutput> | Promise<ReadonlyArray<ModelOutput>>
  /** Top `top` contributions by absolute value, for tree and linear models. */
  explain?(row: FeatureRow, top: number): ReadonlyArray<Contribution> | Promise<ReadonlyArray<Contribution>>
  /** Releases resources once the server swapped this version out and its in-flight calls finished. */
  close?(): void | Promise<void>
}

/** A resolved model reference. */
export interface ModelVersionRef {
  readonly name: string
  readonly version: number
}

/**
 * Where the server gets models from. Implemented by the lead over the registry; `createMemoryModelSource`
 * implements it in memory for tests and embedding.
 */
export interface ModelSource {
  /** Resolves a reference such as `churn@production`, `churn@3` or `churn` (latest) to a version. */
  resolve(ref: string): Promise<ModelVersionRef>
  /** Loads one version ready to predict. */
  load(name: string, version: number): Promise<ServableModel>
  /** The reference of the model registered as this version's fallback, if any. */
  fallbackOf?(name: string, version: number): Promise<string | undefined>
  /** Alias → version for a model name, shown by GET /v1/models/{name}. */
  aliasesOf?(name: string): Promise<Readonly<Record<string, number>>>
  /**
   * Pushes registry changes (PostgreSQL LISTEN/NOTIFY): `onChange(name)` after a committed change,
   * `onChange(undefined)` when some may have been missed (a reconnect). The server refreshes at
   * once; its poll stays as the fallback.
   */
  subscribeChanges?(
    onChange: (name: string | undefined) => void,
    onError?: (error: unknown) => void,
  ): Promise<{ close(): Promise<void> }>
}

/** Splits `name@selector` into its parts (`selector` is undefined when absent). */
export function parseModelRef(ref: string): { name: string; selector: string | undefined } {
  const at = ref.indexOf('@')
  if (at < 0) return { name: ref, selector: undefined }
  return { name: ref.slice(0, at), selector: ref.slice(at + 1) }
}
