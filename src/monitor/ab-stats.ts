/** Small statistics kernels for A/B reports (no I/O). */
// The incomplete gamma behind the chi-square tail is the drift tests' (special.ts): one implementation.
import { chiSquareSf } from './special.js'

/** P(χ²_df ≥ x). */
export function chiSquareSurvival(x: number, df: number): number {
  return Math.min(1, Math.max(0, chiSquareSf(x, df)))
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY
  if (p >= 1) return Number.POSITIVE_INFINITY
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const low = 0.02425
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p))
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    )
  }
  if (p > 1 - low) return -normalQuantile(1 - p)
  const q = p - 0.5
  const r = q * q
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  )
}

/** Sample-ratio-mismatch check: χ² goodness of fit of observed counts to the expected weights. */
export function sampleRatioTest(
  counts: readonly number[],
  weights: readonly number[],
): { chiSquare: number; df: number; pValue: number } {
  const total = counts.reduce((s, c) => s + c, 0)
  const wTotal = weights.reduce((s, w) => s + w, 0)
  let chi = 0
  for (let i = 0; i < counts.length; i++) {
    const expected = (total * weights[i]!) / wTotal
    if (expected > 0) chi += (counts[i]! - expected) ** 2 / expected
  }
  const df = Math.max(1, counts.length - 1)
  return { chiSquare: chi, df, pValue: total === 0 ? 1 : chiSquareSurvival(chi, df) }
}

/** ROC AUC by the Mann–Whitney statistic with average ranks for ties; undefined without both classes. */
export function rocAuc(scores: readonly number[], labels: readonly number[]): number | undefined {
  const n = scores.length
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => scores[i]! - scores[j]!)
  const ranks = new Float64Array(n)
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let t = i; t <= j; t++) ranks[order[t]!] = rank
    i = j + 1
  }
  let pos = 0
  let rankSum = 0
  for (let i = 0; i < n; i++) {
    if (labels[i] === 1) {
      pos++
      rankSum += ranks[i]!
    }
  }
  const neg = n - pos
  if (pos === 0 || neg === 0) return undefined
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg)
}

/**
 * Mixture sequential probability ratio test (Johari, Pekelis & Walsh, "Always valid inference", 2017)
 * for a difference of means under the normal approximation with a N(0, τ²) mixing prior:
 * Λ = sqrt(V/(V+τ²)) · exp(θ̂² τ² / (2V(V+τ²))). The always-valid p-value is min over looks of 1/Λ,
 * so it may be checked after every observation without inflating the false-positive rate.
 */
export function msprtLikelihoodRatio(difference: number, variance: number, tau2: number): number {
  if (!(variance > 0)) return 1
  return (
    Math.sqrt(variance / (variance + tau2)) *
    Math.exp((difference * difference * tau2) / (2 * variance * (variance + tau2)))
  )
}

/** Running mean and variance (Welford). */
export class RunningStats {
  n = 0
  mean = 0
  private m2 = 0

  push(x: number): void {
    this.n++
    const delta = x - this.mean
    this.mean += delta / this.n
    this.m2 += delta * (x - this.mean)
  }

  /** Sample variance (n − 1); 0 below two observations. */
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0
  }
}
