/** 32-bit words of a categorical split's bitset: codes 0..255. */
export const CAT_WORDS = 8
/** Low bits of a PackedForest node's info word: the feature index. */
export const FEATURE_MASK = (1 << 24) - 1
/** Info flag: a missing value (NaN) goes right. */
export const NAN_RIGHT_SHIFT = 24
/** Info flag: categorical split (bitset lookup). Any info at or above it takes the slow path. */
export const FLAG_CATEGORICAL = 1 << 25

/** The arrays of a PackedForest (see its docs for the layout). */
export interface PackedForestParts {
  readonly nOutputs: number
  /** Numbers per leaf: 1 (each tree adds to output outputOf[t]), or nOutputs (a vector per leaf). */
  readonly valueWidth: number
  readonly roots: Int32Array
  readonly outputOf: Int32Array
  readonly nodes: Int32Array
  readonly thresholds: Float64Array
  readonly values: Float64Array
  readonly catOffset: Int32Array
  readonly catBits: Uint32Array
  readonly depthOf: Int32Array
}
