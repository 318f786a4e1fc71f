/**
 * The first index i in [lo, hi) of `sorted` (increasing over that range) with sorted[i] >= v, or
 * hi when there is none: C++'s std::lower_bound.
 */
export function lowerBound(sorted: ArrayLike<number>, v: number, lo = 0, hi = sorted.length): number {
  let a = lo
  let b = hi
  while (a < b) {
    const m = (a + b) >>> 1
    if (sorted[m]! < v) a = m + 1
    else b = m
  }
  return a
}
