/**
 * Solves A x = b for a symmetric positive definite A (n x n, row-major, overwritten by its
 * Cholesky factor). Returns false when A is not numerically positive definite. @internal
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j]!
    for (let k = 0; k < j; k++) d -= a[j * n + k]! * a[j * n + k]!
    if (!(d > 0)) return false
    const ljj = Math.sqrt(d)
    a[j * n + j] = ljj
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j]!
      const ri = i * n
      const rj = j * n
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!
      a[ri + j] = s / ljj
    }
  }
  // Forward then back substitution: L y = b, L^T x = y.
  for (let i = 0; i < n; i++) {
    let s = b[i]!
    for (let k = 0; k < i; k++) s -= a[i * n + k]! * b[k]!
    b[i] = s / a[i * n + i]!
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * b[k]!
    b[i] = s / a[i * n + i]!
  }
  return true
}
