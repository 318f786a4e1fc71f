import { Rng } from '../core/index.js'

/** A sparse matrix in compressed sparse row form (rows = documents, columns = terms). */
export interface RagCsr {
  readonly rows: number
  readonly cols: number
  /** rowStart[r]..rowStart[r+1] index `colIndex`/`values`. */
  readonly rowStart: Int32Array
  readonly colIndex: Int32Array
  readonly values: Float32Array
}

/** Truncated SVD A ≈ U Σ Vᵀ; only Σ and V are kept (queries are projected onto V). */
export interface RagTruncatedSvd {
  readonly rank: number
  /** Singular values, descending. */
  readonly singularValues: Float64Array
  /** V as a column-count × rank row-major matrix (row t = term t's coordinates). */
  readonly components: Float32Array
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp 2011, Algorithms 4.4 and 5.1): sample the
 * range with a seeded Gaussian test matrix, sharpen it with `powerIterations` subspace
 * iterations, then take the exact SVD of the small projected matrix through the
 * eigen-decomposition of B·Bᵀ (Jacobi).
 *
 * The iterations run on the term side: Z ← orth(Aᵀ(A Z)) keeps only a terms × l matrix to
 * re-orthonormalise, where orthonormalising the documents × l range basis after every product
 * cost most of an ingest at 100k chunks. The range basis Q = orth(A Z) spans (AAᵀ)^q A Ω exactly as
 * Algorithm 4.4's does; it is never formed: with C = A Z = Q R (R from the Cholesky factor of CᵀC),
 * Bᵀ = Aᵀ Q = (Aᵀ C) R⁻¹.
 */
export function randomizedSvd(
  a: RagCsr,
  rank: number,
  options: { oversample?: number; powerIterations?: number; seed?: number } = {},
): RagTruncatedSvd {
  const k = Math.max(1, Math.min(rank, a.rows, a.cols))
  const l = Math.min(k + (options.oversample ?? 10), a.rows, a.cols)
  const rng = new Rng(options.seed ?? 42)
  let z: Float64Array = new Float64Array(a.cols * l)
  for (let i = 0; i < z.length; i++) z[i] = rng.normal()
  for (let q = 0; q < (options.powerIterations ?? 2); q++) {
    z = multiplyTransposed(a, multiply(a, z, l), l) // cols × l
    orthonormalizeColumns(z, a.cols, l)
  }
  const c = multiply(a, z, l) // rows × l, spans the range basis Q
  const factor = gramUpper(c, a.rows, l)
  const dead = choleskyUpper(factor, l)
  // B = Qᵀ A is l × cols; store its transpose Bt (cols × l) = Aᵀ Q = (Aᵀ C) R⁻¹.
  const bt = multiplyTransposed(a, c, l)
  solveRows(bt, a.cols, l, factor, dead)
  // G = B Bᵀ = Btᵀ Bt (l × l), symmetric positive semi-definite.
  const g = new Float64Array(l * l)
  for (let r = 0; r < a.cols; r++) {
    const row = r * l
    for (let i = 0; i < l; i++) {
      const bi = bt[row + i] as number
      if (bi === 0) continue
      for (let j = i; j < l; j++) g[i * l + j] = (g[i * l + j] as number) + bi * (bt[row + j] as number)
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) g[i * l + j] = g[j * l + i] as number
  const { values, vectors } = jacobiEigen(g, l)
  const order = Array.from({ length: l }, (_, i) => i).sort(
    (x, z) => (values[z] as number) - (values[x] as number),
  )
  const singularValues = new Float64Array(k)
  const components = new Float32Array(a.cols * k)
  for (let c = 0; c < k; c++) {
    const e = order[c] as number
    const sigma = Math.sqrt(Math.max(0, values[e] as number))
    singularValues[c] = sigma
    if (sigma < 1e-12) continue
    // v_c = Bᵀ w_c / σ_c
    for (let r = 0; r < a.cols; r++) {
      let sum = 0
      const row = r * l
      for (let i = 0; i < l; i++) sum += (bt[row + i] as number) * (vectors[i * l + e] as number)
      components[r * k + c] = sum / sigma
    }
  }
  return { rank: k, singularValues, components }
}

/** A (rows × cols, sparse) times X (cols × l, dense row-major) → rows × l. */
function multiply(a: RagCsr, x: Float64Array, l: number): Float64Array {
  return csrProduct(a, x, l, false)
}

/** Aᵀ (cols × rows) times Y (rows × l) → cols × l. */
function multiplyTransposed(a: RagCsr, y: Float64Array, l: number): Float64Array {
  return csrProduct(a, y, l, true)
}

/**
 * One walk over A's non-zeros for both products: entry (r, c) adds v times row c of the dense
 * operand to row r of the result, or, transposed, v times its row r to row c.
 */
function csrProduct(a: RagCsr, dense: Float64Array, l: number, transposed: boolean): Float64Array {
  const out = new Float64Array((transposed ? a.cols : a.rows) * l)
  for (let r = 0; r < a.rows; r++) {
    for (let p = a.rowStart[r] as number; p < (a.rowStart[r + 1] as number); p++) {
      const v = a.values[p] as number
      const c = a.colIndex[p] as number
      const ob = (transposed ? c : r) * l
      const ib = (transposed ? r : c) * l
      for (let j = 0; j < l; j++) out[ob + j] = (out[ob + j] as number) + v * (dense[ib + j] as number)
    }
  }
  return out
}

/** The upper triangle of MᵀM for an n × l row-major M, walked row by row (contiguous). */
function gramUpper(m: Float64Array, n: number, l: number): Float64Array {
  const g = new Float64Array(l * l)
  for (let r = 0; r < n; r++) {
    const base = r * l
    for (let i = 0; i < l; i++) {
      const mi = m[base + i] as number
      if (mi === 0) continue
      const gi = i * l
      for (let j = i; j < l; j++) g[gi + j] = (g[gi + j] as number) + mi * (m[base + j] as number)
    }
  }
  return g
}

/**
 * Cholesky G = RᵀR in place (R upper triangular, in G's upper half). A pivot that is
 * (numerically) zero marks a column dependent on the ones before it: returned as dead, its row
 * of R zeroed, so solves zero that column rather than amplify noise.
 */
function choleskyUpper(g: Float64Array, l: number): Uint8Array {
  let scale = 0
  for (let i = 0; i < l; i++) scale = Math.max(scale, g[i * l + i] as number)
  const tiny = Math.max(scale, 1e-300) * 1e-24
  const dead = new Uint8Array(l)
  for (let i = 0; i < l; i++) {
    let d = g[i * l + i] as number
    for (let k = 0; k < i; k++) d -= (g[k * l + i] as number) ** 2
    if (d <= tiny) {
      dead[i] = 1
      for (let j = i; j < l; j++) g[i * l + j] = 0
      continue
    }
    const rii = Math.sqrt(d)
    g[i * l + i] = rii
    for (let j = i + 1; j < l; j++) {
      let v = g[i * l + j] as number
      for (let k = 0; k < i; k++) v -= (g[k * l + i] as number) * (g[k * l + j] as number)
      g[i * l + j] = v / rii
    }
  }
  return dead
}

/** Every row x of an n × l row-major M ← x R⁻¹ (forward substitution), dead columns zeroed. */
function solveRows(m: Float64Array, n: number, l: number, r: Float64Array, dead: Uint8Array): void {
  for (let row = 0; row < n; row++) {
    const base = row * l
    for (let j = 0; j < l; j++) {
      if (dead[j] === 1) {
        m[base + j] = 0
        continue
      }
      let v = m[base + j] as number
      for (let k = 0; k < j; k++) v -= (m[base + k] as number) * (r[k * l + j] as number)
      m[base + j] = v / (r[j * l + j] as number)
    }
  }
}

/**
 * Orthonormalises the columns of an n × l row-major matrix in place by CholeskyQR2 (Fukaya et al.
 * 2014): M ← M R⁻¹ with RᵀR = MᵀM, done twice so that the second pass repairs the orthogonality
 * the first lost to MᵀM's squared condition number. Both passes walk M row by row, where
 * Gram-Schmidt walked it column by column with a stride of l.
 */
function orthonormalizeColumns(m: Float64Array, n: number, l: number): void {
  for (let pass = 0; pass < 2; pass++) {
    const r = gramUpper(m, n, l)
    const dead = choleskyUpper(r, l)
    solveRows(m, n, l, r, dead)
  }
}

/** Cyclic Jacobi eigen-decomposition of a symmetric n × n matrix (copied). Vectors are columns. */
export function jacobiEigen(input: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(input)
  const v = new Float64Array(n * n)
  for (let i = 0; i < n; i++) v[i * n + i] = 1
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2
    if (off < 1e-22) break
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number
        if (Math.abs(apq) < 1e-300) continue
        const app = a[p * n + p] as number
        const aqq = a[q * n + q] as number
        const theta = (aqq - app) / (2 * apq)
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1))
        const c = 1 / Math.sqrt(t * t + 1)
        const s = t * c
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number
          const akq = a[k * n + q] as number
          a[k * n + p] = c * akp - s * akq
          a[k * n + q] = s * akp + c * akq
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number
          const aqk = a[q * n + k] as number
          a[p * n + k] = c * apk - s * aqk
          a[q * n + k] = s * apk + c * aqk
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number
          const vkq = v[k * n + q] as number
          v[k * n + p] = c * vkp - s * vkq
          v[k * n + q] = s * vkp + c * vkq
        }
      }
    }
  }
  const values = new Float64Array(n)
  for (let i = 0; i < n; i++) values[i] = a[i * n + i] as number
  return { values, vectors: v }
}
