import { InvalidArgumentError, ShapeMismatchError } from './errors.js'

/** Dense row-major matrix. `data[r * cols + c]`; `NaN` means missing. */
export interface Matrix {
  readonly rows: number
  readonly cols: number
  readonly data: Float64Array
}

/** Any numeric typed array used as a vector. */
export type Vector = Float64Array | Float32Array | Int32Array | Uint8Array

/** Makes a matrix, checking that `data` has `rows * cols` values. */
export function matrix(
  rows: number,
  cols: number,
  data: Float64Array = new Float64Array(rows * cols),
): Matrix {
  if (data.length !== rows * cols) {
    throw new InvalidArgumentError(
      `Matrix data has ${data.length} values; expected rows*cols = ${rows}*${cols}.`,
    )
  }
  return { rows, cols, data }
}

/** Builds a matrix from an array of equal-length rows. */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const nRows = rows.length
  const nCols = nRows === 0 ? 0 : rows[0]!.length
  const data = new Float64Array(nRows * nCols)
  for (let r = 0; r < nRows; r++) {
    const row = rows[r]!
    if (row.length !== nCols)
      throw new ShapeMismatchError(`Row ${r} has ${row.length} values; expected ${nCols}.`)
    data.set(row, r * nCols)
  }
  return { rows: nRows, cols: nCols, data }
}

/** Builds a row-major matrix from column arrays. */
export function fromColumns(columns: readonly ArrayLike<number>[]): Matrix {
  const nCols = columns.length
  const nRows = nCols === 0 ? 0 : columns[0]!.length
  const data = new Float64Array(nRows * nCols)
  for (let c = 0; c < nCols; c++) {
    const col = columns[c]!
    if (col.length !== nRows)
      throw new ShapeMismatchError(`Column ${c} has ${col.length} values; expected ${nRows}.`)
    for (let r = 0; r < nRows; r++) data[r * nCols + c] = col[r]!
  }
  return { rows: nRows, cols: nCols, data }
}

/** Copies the given rows (in the given order) into a new matrix. */
export function takeRows(x: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float64Array(indices.length * x.cols)
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!
    out.set(x.data.subarray(r * x.cols, (r + 1) * x.cols), i * x.cols)
  }
  return { rows: indices.length, cols: x.cols, data: out }
}

/** Copies the given entries of a vector. */
export function takeValues(v: Float64Array, indices: ArrayLike<number>): Float64Array {
  const out = new Float64Array(indices.length)
  for (let i = 0; i < indices.length; i++) out[i] = v[indices[i]!]!
  return out
}

/** One column as a new Float64Array. */
export function column(x: Matrix, c: number): Float64Array {
  const out = new Float64Array(x.rows)
  for (let r = 0; r < x.rows; r++) out[r] = x.data[r * x.cols + c]!
  return out
}

/** Throws a ShapeMismatchError naming both counts when `x` has the wrong number of columns. */
export function assertColumns(x: Matrix, expected: number, what = 'model'): void {
  if (x.cols !== expected) {
    throw new ShapeMismatchError(
      `Expected ${expected} feature columns (as at fit time of the ${what}), got ${x.cols}. Pass the columns used for training.`,
      { expected, received: x.cols },
    )
  }
}
