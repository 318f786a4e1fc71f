/**
 * Sorting float64 keys: an LSD radix sort, the same order as `Float64Array.prototype.sort`
 * (ascending, -0 before +0) for arrays without NaN, in about a third of its time on 200k values
 * (the GBDT binning sorts one such sample per numeric column; the reference profile every
 * training column; binary curves their scores).
 */

/** Below this length the built-in sort is as fast. */
const RADIX_MIN = 4096

/** The sort keys of n float64 values, as two 32-bit halves, and the four digits' counts. */
interface Keys {
  lo: Uint32Array
  hi: Uint32Array
  readonly counts: Uint32Array
}

/**
 * Each value becomes a 64-bit key whose unsigned order is the numeric order (negative values have
 * every bit flipped, others only the sign bit), and each of its four 16-bit digits is counted.
 */
function toKeys(words: Uint32Array, n: number): Keys {
  const lo = new Uint32Array(n)
  const hi = new Uint32Array(n)
  const counts = new Uint32Array(4 * 65536)
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!
    const negative = h >>> 31 === 1
    const l = negative ? ~words[2 * i]! >>> 0 : words[2 * i]!
    const k = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0
    lo[i] = l
    hi[i] = k
    counts[l & 0xffff]!++
    counts[65536 + (l >>> 16)]!++
    counts[131072 + (k & 0xffff)]!++
    counts[196608 + (k >>> 16)]!++
  }
  return { lo, hi, counts }
}

/**
 * Sorts the keys by their four digits, low digit first (each pass stable), carrying `idx` along
 * when given; a digit every key shares is skipped. Returns the carried indices.
 */
function sortKeys(keys: Keys, idx: Int32Array | null): Int32Array | null {
  const n = keys.lo.length
  const { counts } = keys
  let lo2: Uint32Array = new Uint32Array(n)
  let hi2: Uint32Array = new Uint32Array(n)
  let idx2: Int32Array | null = idx === null ? null : new Int32Array(n)
  for (let d = 0; d < 4; d++) {
    const base = d * 65536
    const word = d < 2 ? 0 : 1
    const shift = (d & 1) * 16
    const { lo, hi } = keys
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
      const at = counts[base + (((word === 0 ? l : h) >>> shift) & 0xffff)]!++
      lo2[at] = l
      hi2[at] = h
      if (idx2 !== null) idx2[at] = idx![i]!
    }
    keys.lo = lo2
    keys.hi = hi2
    lo2 = lo
    hi2 = hi
    if (idx2 !== null) [idx, idx2] = [idx2, idx!]
  }
  return idx
}

/**
 * Sorts `a` (no NaN) in place, ascending, -0 before +0: the result of `a.sort()`, bit for bit.
 */
export function sortFloat64(a: Float64Array): Float64Array {
  const n = a.length
  if (n < RADIX_MIN) return a.sort()
  const words = new Uint32Array(a.buffer, a.byteOffset, 2 * n)
  const keys = toKeys(words, n)
  sortKeys(keys, null)
  const { lo, hi } = keys
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

/**
 * The indices of `keys` (no NaN) in ascending key order, stable: equal keys keep their index
 * order, and -0 comes before +0 (normalise zeros first where they must tie). What a stable
 * comparison sort of the indices by key gives, at a fraction of its cost on large arrays.
 */
export function argsortFloat64(keys: Float64Array): Int32Array {
  const n = keys.length
  const idx = new Int32Array(n)
  for (let i = 0; i < n; i++) idx[i] = i
  if (n < RADIX_MIN) {
    // Array.prototype.sort is stable; -0 before +0 as the radix order has it.
    const order = Array.from(idx).sort((a, b) => {
      const x = keys[a]!
      const y = keys[b]!
      if (x !== y) return x < y ? -1 : 1
      return +Object.is(y, -0) - +Object.is(x, -0)
    })
    return Int32Array.from(order)
  }
  return sortKeys(toKeys(new Uint32Array(keys.buffer, keys.byteOffset, 2 * n), n), idx)!
}
