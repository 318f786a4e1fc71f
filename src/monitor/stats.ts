import { chiSquareSf, kolmogorovSf, normalTwoSidedP } from './special.js'

/** Result of a two-sample test. */
export interface TestResult {
  readonly statistic: number
  readonly pValue: number
}

function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out: number[] = []
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!
    if (Number.isFinite(v)) out.push(v)
  }
  return Float64Array.from(out).sort()
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b]
  return a
}

/** Largest exact-p-value problem (m·n lattice cells) before the asymptotic formula is used. */
const KS_EXACT_MAX_CELLS = 100_000_000

/**
 * Two-sample Kolmogorov-Smirnov test (two-sided), as scipy.stats.ks_2samp(method='auto'):
 * exact p-value by counting lattice paths while both samples have at most 10,000 values,
 * otherwise the asymptotic Kolmogorov distribution (with Stephens' small-sample correction).
 * Non-finite values are ignored.
 */
export function ksTwoSample(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): TestResult & { readonly method: 'exact' | 'asymptotic' } {
  const x = sortedFinite(a)
  const y = sortedFinite(b)
  const m = x.length
  const n = y.length
  if (m === 0 || n === 0) return { statistic: 0, pValue: 1, method: 'exact' }
  // D = max |F_x(t) - F_y(t)| over all observed t (right-continuous CDFs, ties handled jointly).
  let i = 0
  let j = 0
  let d = 0
  while (i < m && j < n) {
    const t = Math.min(x[i]!, y[j]!)
    while (i < m && x[i]! <= t) i++
    while (j < n && y[j]! <= t) j++
    d = Math.max(d, Math.abs(i / m - j / n))
  }
  const exact = Math.max(m, n) <= 10_000 && m * n <= KS_EXACT_MAX_CELLS
  if (exact) return { statistic: d, pValue: ksExactPValue(m, n, d), method: 'exact' }
  const en = (m * n) / (m + n)
  const s = Math.sqrt(en)
  return { statistic: d, pValue: kolmogorovSf((s + 0.12 + 0.11 / s) * d), method: 'asymptotic' }
}

/**
 * P(D >= d) for samples of sizes m and n under H0: one minus the share of monotone lattice paths
 * from (0,0) to (m,n) that stay strictly inside the band |i/m - j/n| < d. Paths are weighted by
 * step probabilities, so the DP holds probabilities and never overflows.
 */
function ksExactPValue(m: number, n: number, d: number): number {
  const lcm = (m / gcd(m, n)) * n
  const h = Math.round(d * lcm)
  if (h === 0) return 1
  const stepI = lcm / m
  const stepJ = lcm / n
  const inside = (i: number, j: number): boolean => Math.abs(i * stepI - j * stepJ) < h
  // prob[j] = probability that a random path passes through (i, j) having stayed inside so far.
  const prob = new Float64Array(n + 1)
  prob[0] = 1
  for (let j = 1; j <= n; j++) prob[j] = inside(0, j) ? prob[j - 1]! * ((n - j + 1) / (m + n - j + 1)) : 0
  for (let i = 1; i <= m; i++) {
    // arriving at (i, 0) from (i-1, 0): step in i with probability (m-i+1)/(m-i+1+n)
    prob[0] = inside(i, 0) ? prob[0]! * ((m - i + 1) / (m - i + 1 + n)) : 0
    for (let j = 1; j <= n; j++) {
      if (!inside(i, j)) {
        prob[j] = 0
        continue
      }
      const remI = m - i + 1
      const remJ = n - j + 1
      const fromLeft = prob[j]! * (remI / (remI + n - j)) // from (i-1, j): i-step
      const fromBelow = prob[j - 1]! * (remJ / (m - i + remJ)) // from (i, j-1): j-step
      prob[j] = fromLeft + fromBelow
    }
  }
  return Math.min(1, Math.max(0, 1 - prob[n]!))
}

/** 1-D Wasserstein (earth mover's) distance between two samples, as scipy.stats.wasserstein_distance. */
export function wassersteinDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = sortedFinite(a)
  const y = sortedFinite(b)
  const m = x.length
  const n = y.length
  if (m === 0 || n === 0) return 0
  const all = Float64Array.from([...x, ...y]).sort()
  let i = 0
  let j = 0
  let total = 0
  for (let k = 0; k < all.length - 1; k++) {
    const t = all[k]!
    while (i < m && x[i]! <= t) i++
    while (j < n && y[j]! <= t) j++
    total += Math.abs(i / m - j / n) * (all[k + 1]! - t)
  }
  return total
}

/** The totals of two count vectors of the same length (over the first one's length). */
function totals(a: ArrayLike<number>, b: ArrayLike<number>): [number, number] {
  let sa = 0
  let sb = 0
  for (let k = 0; k < a.length; k++) {
    sa += a[k]!
    sb += b[k]!
  }
  return [sa, sb]
}

/**
 * Population stability index between two count vectors over the same bins:
 * Σ (c - r)·ln(c / r) on shares, with empty bins floored at `epsilon` so the sum stays finite.
 */
export function populationStabilityIndex(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
  epsilon = 1e-4,
): number {
  const [rTotal, cTotal] = totals(reference, current)
  if (rTotal === 0 || cTotal === 0) return 0
  let psi = 0
  for (let k = 0; k < reference.length; k++) {
    const r = Math.max(reference[k]! / rTotal, epsilon)
    const c = Math.max(current[k]! / cTotal, epsilon)
    psi += (c - r) * Math.log(c / r)
  }
  return psi
}

/**
 * Chi-square test of homogeneity on the 2×k table of reference and current counts, as
 * scipy.stats.chi2_contingency (Yates' correction when there is 1 degree of freedom).
 * Categories empty in both samples are dropped.
 */
export function chiSquareTest(
  reference: ArrayLike<number>,
  current: ArrayLike<number>,
): TestResult & { readonly dof: number } {
  const cols: [number, number][] = []
  for (let k = 0; k < reference.length; k++) {
    const r = reference[k]!
    const c = current[k]!
    if (r + c > 0) cols.push([r, c])
  }
  const rTotal = cols.reduce((s, [r]) => s + r, 0)
  const cTotal = cols.reduce((s, [, c]) => s + c, 0)
  const total = rTotal + cTotal
  const dof = cols.length - 1
  if (dof < 1 || rTotal === 0 || cTotal === 0) return { statistic: 0, pValue: 1, dof: Math.max(dof, 0) }
  let chi2 = 0
  for (const [r, c] of cols) {
    const colTotal = r + c
    for (const [observed, rowTotal] of [
      [r, rTotal],
      [c, cTotal],
    ] as const) {
      const expected = (rowTotal * colTotal) / total
      let o = observed
      if (dof === 1) {
        const diff = expected - o
        o += Math.sign(diff) * Math.min(0.5, Math.abs(diff))
      }
      chi2 += ((o - expected) * (o - expected)) / expected
    }
  }
  return { statistic: chi2, pValue: chiSquareSf(chi2, dof), dof }
}

/**
 * Jensen-Shannon distance (square root of the divergence, natural log) between two count or
 * probability vectors, as scipy.spatial.distance.jensenshannon.
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [sp, sq] = totals(p, q)
  if (sp === 0 || sq === 0) return 0
  let js = 0
  for (let k = 0; k < p.length; k++) {
    const a = p[k]! / sp
    const b = q[k]! / sq
    const mid = (a + b) / 2
    if (a > 0) js += a * Math.log(a / mid)
    if (b > 0) js += b * Math.log(b / mid)
  }
  return Math.sqrt(Math.max(0, js / 2))
}

/** Two-sided two-proportion z-test (pooled variance): successes x out of n in each sample. */
export function twoProportionZTest(x1: number, n1: number, x2: number, n2: number): TestResult {
  if (n1 === 0 || n2 === 0) return { statistic: 0, pValue: 1 }
  const pooled = (x1 + x2) / (n1 + n2)
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
  if (se === 0) return { statistic: 0, pValue: 1 }
  const z = (x1 / n1 - x2 / n2) / se
  return { statistic: z, pValue: normalTwoSidedP(z) }
}
