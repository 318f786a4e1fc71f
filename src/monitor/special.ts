/**
 * Special functions for drift statistics (no dependency: these are the product's own numerics).
 * References: Numerical Recipes 3rd ed. §6.1–6.2 (gamma, incomplete gamma), W. J. Cody's erfc
 * rational approximations via the complementary error function identity.
 */

const LANCZOS = [
  676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
]

/** Natural log of the gamma function for x > 0 (Lanczos, g = 7; ~15 significant digits). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x)
  const z = x - 1
  let a = 0.99999999999980993
  const t = z + 7.5
  for (let i = 0; i < LANCZOS.length; i++) a += LANCZOS[i]! / (z + i + 1)
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a)
}

/** Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1
  if (x < a + 1) return 1 - gammaPSeries(a, x)
  return gammaQContinuedFraction(a, x)
}

function gammaPSeries(a: number, x: number): number {
  let sum = 1 / a
  let term = sum
  let ap = a
  for (let n = 0; n < 10_000; n++) {
    ap += 1
    term *= x / ap
    sum += term
    if (Math.abs(term) < Math.abs(sum) * 1e-16) break
  }
  return sum * Math.exp(-x + a * Math.log(x) - logGamma(a))
}

function gammaQContinuedFraction(a: number, x: number): number {
  const tiny = 1e-300
  let b = x + 1 - a
  let c = 1 / tiny
  let d = 1 / b
  let h = d
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a)
    b += 2
    d = an * d + b
    if (Math.abs(d) < tiny) d = tiny
    c = b + an / c
    if (Math.abs(c) < tiny) c = tiny
    d = 1 / d
    const delta = d * c
    h *= delta
    if (Math.abs(delta - 1) < 1e-16) break
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h
}

/** Survival function of the chi-square distribution with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  return gammaQ(dof / 2, x / 2)
}

/** Complementary error function, accurate to ~1e-15 relative (via the incomplete gamma). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x)
  return gammaQ(0.5, x * x)
}

/** Two-sided p-value of a standard normal statistic z. */
export function normalTwoSidedP(z: number): number {
  return erfc(Math.abs(z) / Math.SQRT2)
}

/**
 * Survival function of the Kolmogorov distribution, P(K > x), where K is the limit of
 * sqrt(n)·D_n (alternating series; converges fast for x > 0.2, and Q ≈ 1 below).
 */
export function kolmogorovSf(x: number): number {
  if (x <= 0) return 1
  if (x < 0.2) return 1
  let sum = 0
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x)
    sum += (k % 2 === 1 ? 1 : -1) * term
    if (term < 1e-17) break
  }
  return Math.min(1, Math.max(0, 2 * sum))
}
