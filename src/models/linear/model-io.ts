import type { Artifact, Matrix } from '../../core/index.js'
import { ArtifactError, decodeArray, InvalidArgumentError, ShapeMismatchError } from '../../core/index.js'
import type { FitOptions } from '../estimator.js'

/**
 * Helpers shared by the baseline, linear and MLP estimators: fit-input checks, class weights and
 * artifact state reading (params are resolved by `../define.ts` for every estimator). Exported from the linear index as internals.
 */

/** Feature names from fit options, or f0..f{n-1}. @internal */
export function resolveFeatureNames(cols: number, options: FitOptions | undefined): readonly string[] {
  const given = options?.featureNames
  if (given === undefined) return Array.from({ length: cols }, (_, i) => `f${i}`)
  if (given.length !== cols) {
    throw new ShapeMismatchError(
      `featureNames has ${given.length} names but x has ${cols} columns. Pass one name per column.`,
      { expected: cols, received: given.length },
    )
  }
  return [...given]
}

/**
 * Checks x, y and sample weights agree in length and returns the weights (ones when none were
 * given). Weights must be finite and non-negative with a positive total. @internal
 */
export function checkFitInputs(x: Matrix, y: Float64Array, options: FitOptions | undefined): Float64Array {
  if (x.data.length !== x.rows * x.cols) {
    throw new ShapeMismatchError(`Matrix data has ${x.data.length} values; expected ${x.rows}*${x.cols}.`)
  }
  if (y.length !== x.rows) {
    throw new ShapeMismatchError(
      `y has ${y.length} values but x has ${x.rows} rows. Pass one target per row.`,
      {
        expected: x.rows,
        received: y.length,
      },
    )
  }
  if (x.rows === 0) throw new InvalidArgumentError('Cannot fit on 0 rows. Pass at least one training row.')
  const sw = options?.sampleWeight
  if (sw === undefined) return new Float64Array(x.rows).fill(1)
  if (sw.length !== x.rows) {
    throw new ShapeMismatchError(`sampleWeight has ${sw.length} values but x has ${x.rows} rows.`, {
      expected: x.rows,
      received: sw.length,
    })
  }
  let total = 0
  for (let i = 0; i < sw.length; i++) {
    const w = sw[i]!
    if (!(w >= 0) || !Number.isFinite(w)) {
      throw new InvalidArgumentError(`sampleWeight[${i}] is ${w}; weights must be finite and >= 0.`)
    }
    total += w
  }
  if (!(total > 0))
    throw new InvalidArgumentError('sampleWeight sums to 0; at least one row needs weight > 0.')
  return Float64Array.from(sw)
}

/** Checks regression targets are finite. @internal */
export function checkRegressionTarget(y: Float64Array): void {
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new InvalidArgumentError(`y[${i}] is ${y[i]}; regression targets must be finite numbers.`)
    }
  }
}

/**
 * Number of classes k for class codes 0..k-1 (at least 2). Throws on codes that are not
 * non-negative integers. @internal
 */
export function countClasses(y: Float64Array): number {
  let max = 0
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!Number.isInteger(v) || v < 0) {
      throw new InvalidArgumentError(
        `y[${i}] is ${v}; classifier targets must be class codes 0..k-1. Encode labels first.`,
      )
    }
    if (v > max) max = v
  }
  return Math.max(2, max + 1)
}

/** Per-class weight choice: `balanced` gives class c the weight n / (k * n_c), as scikit-learn. */
export type ClassWeight = 'balanced' | null

/**
 * Multiplies the sample weights by class weights. `balanced` counts rows (not weights), as
 * scikit-learn's compute_class_weight does. @internal
 */
export function applyClassWeight(
  y: Float64Array,
  weights: Float64Array,
  nClasses: number,
  classWeight: ClassWeight,
): Float64Array {
  if (classWeight === null) return weights
  const counts = new Float64Array(nClasses)
  for (let i = 0; i < y.length; i++) counts[y[i]!]!++
  let present = 0
  for (let c = 0; c < nClasses; c++) if (counts[c]! > 0) present++
  const out = new Float64Array(weights.length)
  for (let i = 0; i < y.length; i++) out[i] = weights[i]! * (y.length / (present * counts[y[i]!]!))
  return out
}

/** The artifact's state as a record, or an ArtifactError naming the kind. @internal */
export function stateRecord(artifact: Artifact<unknown, unknown>): Record<string, unknown> {
  const s = artifact.state
  if (typeof s !== 'object' || s === null || Array.isArray(s)) {
    throw new ArtifactError('ARTIFACT_INVALID', `Artifact of kind '${artifact.kind}' has no state object.`)
  }
  return s as Record<string, unknown>
}

/** Reads a finite number field of an artifact state. @internal */
export function readNumber(state: Record<string, unknown>, key: string, kind: string): number {
  const v = state[key]
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${kind}': state.${key} must be a finite number.`,
    )
  }
  return v
}

/** Reads an encoded array field of an artifact state, checking its length when given. */
type ArrayReader<A> = (state: Record<string, unknown>, key: string, kind: string, length?: number) => A

/** `a`, after checking its length against `length` when given. */
function withLength<A extends { readonly length: number }>(
  a: A,
  key: string,
  kind: string,
  length: number | undefined,
): A {
  checkLength(a.length, key, kind, length)
  return a
}

/** Reads an encoded f64 array field, checking its length when given. @internal */
export const readF64: ArrayReader<Float64Array> = (state, key, kind, length) =>
  withLength(decodeArray(state[key], 'f64'), key, kind, length)

/** Reads an encoded f32 array field, checking its length when given. @internal */
export const readF32: ArrayReader<Float32Array> = (state, key, kind, length) =>
  withLength(decodeArray(state[key], 'f32'), key, kind, length)

function checkLength(actual: number, key: string, kind: string, length: number | undefined): void {
  if (length !== undefined && actual !== length) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${kind}': state.${key} holds ${actual} values; expected ${length}.`,
    )
  }
}

/** Throws a version error when an artifact is newer than its reader. @internal */
export function checkFormatVersion(artifact: Artifact<unknown, unknown>, maxVersion: number): void {
  if (artifact.formatVersion > maxVersion) {
    throw new ArtifactError(
      'ARTIFACT_VERSION_UNSUPPORTED',
      `Artifact of kind '${artifact.kind}' has formatVersion ${artifact.formatVersion}; this reader supports up to ${maxVersion}. Upgrade keel-ml to load it.`,
    )
  }
}
