/**
 * Seeded pseudo-random generator (sfc32, seeded through splitmix32). Every random choice in
 * Keel (bootstrap rows, column sampling, shuffles, initial weights) goes through this so that
 * the same seed gives the same model on every machine.
 */
export class Rng {
  private a: number
  private b: number
  private c: number
  private d: number
  private spareNormal: number | undefined

  constructor(seed: number) {
    let s = seed >>> 0
    const next = (): number => {
      // splitmix32: spreads a small integer seed over the full state
      s = (s + 0x9e3779b9) | 0
      let z = s
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad)
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97)
      return (z ^ (z >>> 15)) >>> 0
    }
    this.a = next()
    this.b = next()
    this.c = next()
    this.d = next()
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }

  /**
   * Fills out[0, n) with the next n values of `nextUint32`, in order (the same stream, with the
   * state in int32 locals: several times faster than n calls in a hot loop).
   */
  fillUint32(out: Uint32Array, n = out.length): void {
    // The same bits through an Int32Array: V8 stores int32 values there several times faster
    // than into a Uint32Array (which must treat negative int32s as large unsigned numbers).
    const bits = new Int32Array(out.buffer, out.byteOffset, n)
    let a = this.a | 0
    let b = this.b | 0
    let c = this.c | 0
    let d = this.d | 0
    for (let i = 0; i < n; i++) {
      const t = (((a + b) | 0) + d) | 0
      d = (d + 1) | 0
      a = b ^ (b >>> 9)
      b = (c + (c << 3)) | 0
      c = (c << 21) | (c >>> 11)
      c = (c + t) | 0
      bits[i] = t
    }
    this.a = a
    this.b = b
    this.c = c
    this.d = d
  }

  /** Uniform float in [0, 1) with 53 bits of randomness. */
  next(): number {
    const hi = this.nextUint32() >>> 5
    const lo = this.nextUint32() >>> 6
    return (hi * 67108864 + lo) / 9007199254740992
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Standard normal draw (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const v = this.spareNormal
      this.spareNormal = undefined
      return v
    }
    let u = 0
    while (u === 0) u = this.next()
    const v = this.next()
    const r = Math.sqrt(-2 * Math.log(u))
    this.spareNormal = r * Math.sin(2 * Math.PI * v)
    return r * Math.cos(2 * Math.PI * v)
  }

  /** Shuffles an array or typed array in place (Fisher-Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(items: T): T {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const tmp = items[i]
      items[i] = items[j]
      items[j] = tmp
    }
    return items
  }

  /** A permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n)
    for (let i = 0; i < n; i++) p[i] = i
    return this.shuffle(p)
  }

  /** An independent child generator, e.g. one per tree or per worker, derived deterministically. */
  fork(stream: number): Rng {
    return new Rng((this.nextUint32() ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0)
  }
}
