/**
 * Sorting float64 keys for bin bounds: an LSD radix sort, the same order as
 * `Float64Array.prototype.sort` (ascending, -0 before +0) for arrays without NaN, in about a third
 * of its time on 200k values (the GBDT binning sorts one such sample per numeric column).
 */

/** Below this length the built-in sort is as fast. */
const RADIX_MIN = 4096

/**
 * Sorts `a` (no NaN) in place, ascending, -0 before +0: the result of `a.sort()`, bit for bit.
 * Each value becomes a 64-bit key whose unsigned order is the numeric order (negative values have
 * every bit flipped, others only the sign bit), sorted by four 16-bit digits, low digit first; a
 * digit every key shares is skipped.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length
  if (n < RADIX_MIN) return a.sort()
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n)
  let lo = new Uint32Array(n)
  let hi = new Uint32Array(n)
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!
    const l = words[2 * i]!
    if (h >>> 31 === 1) {
      hi[i] = ~h >>> 0
      lo[i] = ~l >>> 0
    } else {
      hi[i] = (h | 0x80000000) >>> 0
      lo[i] = l
    }
  }
  const counts = new Uint32Array(4 * 65536)
  for (let i = 0; i < n; i++) {
    const l = lo[i]!
    const h = hi[i]!
    counts[l & 0xffff]!++
    counts[65536 + (l >>> 16)]!++
    counts[131072 + (h & 0xffff)]!++
    counts[196608 + (h >>> 16)]!++
  }
  let lo2 = new Uint32Array(n)
  let hi2 = new Uint32Array(n)
  for (let d = 0; d < 4; d++) {
    const base = d * 65536
    const word = d < 2 ? 0 : 1
    const shift = (d & 1) * 16
    // Skip a digit that every key has in common: the pass would not move anything.
    const first = (word === 0 ? lo[0]! : hi[0]!) >>> shift
    if (counts[base + (first & 0xffff)] === n) continue
    let sum = 0
    for (let b = 0; b < 65536; b++) {
      const c = counts[base + b]!
      counts[base + b] = sum
      sum += c
    }
    for (let i = 0; i < n; i++) {
      const l = lo[i]!
      const h = hi[i]!
      const digit = ((word === 0 ? l : h) >>> shift) & 0xffff
      const at = counts[base + digit]!++
      lo2[at] = l
      hi2[at] = h
    }
    const tl = lo
    lo = lo2
    lo2 = tl
    const th = hi
    hi = hi2
    hi2 = th
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i]!
    const l = lo[i]!
    if (h >>> 31 === 1) {
      words[2 * i + 1] = (h & 0x7fffffff) >>> 0
      words[2 * i] = l
    } else {
      words[2 * i + 1] = ~h >>> 0
      words[2 * i] = ~l >>> 0
    }
  }
  return a
}
