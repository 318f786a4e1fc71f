import {
  type Artifact,
  checkArtifact,
  decodeArray,
  InvalidArgumentError,
  NotFittedError,
} from '../../core/index.js'
import type { Column, Dataset } from '../dataset.js'
import { getColumn } from '../dataset.js'

/**
 * A fitted transformer: maps a dataset to a dataset of output columns. Outputs keep the input's
 * column order; `outputNames` lists them. Fitted state is plain data and saves to a code-free
 * artifact with `toJSON()`; `loadTransformer` reads it back.
 */
export interface FittedTransformer {
  readonly kind: string
  /** Columns read from the input at transform time. */
  readonly inputColumns: readonly string[]
  /** Names of the columns `transform` returns, in order. */
  readonly outputNames: readonly string[]
  transform(ds: Dataset): Dataset
  toJSON(): Artifact
}

/** An unfitted transformer: params plus `fit` (and `fitTransform`, which may differ, e.g. out-of-fold). */
export interface Transformer<P extends object = object, F extends FittedTransformer = FittedTransformer> {
  readonly kind: string
  getParams(): P
  fit(ds: Dataset, y?: Float64Array): F
  /** Fits and transforms the training rows; equal to fit+transform except where noted (target encoding). */
  fitTransform(ds: Dataset, y?: Float64Array): { readonly fitted: F; readonly output: Dataset }
}

/** Reads a fitted transformer artifact of one kind. */
export type TransformerReader = (artifact: Artifact<unknown, unknown>) => FittedTransformer

const READERS = new Map<string, TransformerReader>()

/** Adds a reader to the table `loadTransformer` picks from by `kind`. @internal */
export function registerTransformerReader(kind: string, reader: TransformerReader): void {
  READERS.set(kind, reader)
}

/**
 * Turns a saved transformer artifact (parsed JSON) back into a fitted transformer. The reader is
 * chosen from an explicit table by `kind`; nothing in the file is executed.
 * @throws ArtifactError for malformed or unknown artifacts
 */
export function loadTransformer(value: unknown): FittedTransformer {
  const artifact = checkArtifact(value, { format: 'transformer', maxVersion: 1 })
  const reader = READERS.get(artifact.kind)
  if (reader === undefined) {
    throw new NotFittedError(
      `No reader for transformer kind '${artifact.kind}'. Known kinds: ${[...READERS.keys()].sort().join(', ')}.`,
    )
  }
  return reader(artifact)
}

/** Numeric view of a non-categorical column. @internal */
export function numericOf(col: Column, who: string): Float64Array {
  if (col.kind === 'categorical') {
    throw new InvalidArgumentError(
      `${who} needs numeric columns, but '${col.name}' is categorical. Encode it first (one-hot, ordinal or target encoding).`,
    )
  }
  return col.values
}

/** The value of a column as a category key (level, or the number printed), or null when missing. @internal */
export function keyAt(col: Column, row: number): string | null {
  if (col.kind === 'categorical') {
    const c = col.codes[row]!
    return c < 0 ? null : col.levels[c]!
  }
  const v = col.values[row]!
  return Number.isNaN(v) ? null : String(v)
}

/** Columns to use: the given names, or every column passing `accept`. @internal */
export function pickColumns(
  ds: Dataset,
  names: readonly string[] | undefined,
  accept: (c: Column) => boolean,
): string[] {
  if (names !== undefined) {
    for (const n of names) getColumn(ds, n)
    return [...names]
  }
  return ds.columns.filter(accept).map((c) => c.name)
}

/** Reads an object field from artifact state. @internal */
export function stateField(state: unknown, field: string): unknown {
  if (typeof state !== 'object' || state === null || !(field in state))
    throw new NotFittedError(`Transformer artifact state lacks '${field}'.`)
  return (state as Record<string, unknown>)[field]
}

/** Decodes an f64 array from artifact state. @internal */
export function stateF64(state: unknown, field: string): Float64Array {
  return decodeArray(stateField(state, field), 'f64')
}

/** Reads a string array from artifact state. @internal */
export function stateStrings(state: unknown, field: string): string[] {
  const v = stateField(state, field)
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string'))
    throw new NotFittedError(`Transformer artifact field '${field}' must be an array of strings.`)
  return v as string[]
}
