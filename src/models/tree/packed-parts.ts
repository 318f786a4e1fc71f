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
