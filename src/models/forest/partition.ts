import type { GrowData, OpenNode } from './grow-types.js'

// Hot kernels below index typed arrays inside loops whose bounds come from the same arrays'
// construction (node ranges within idx, codes within nBins), so non-null assertions are safe.

/**
 * The rows of the tree being grown, ordered so that every node owns a contiguous range
 * `idx[start, end)`; splitting a node partitions its range in place (stable), left rows first.
 * Weight, class, w·y and y are kept per position in idx and moved along with it, so the
 * histogram loops read them sequentially instead of gathering them by row.
 * @internal
 */
export class NodeRows {
  readonly idx: Int32Array
  readonly pw: Float64Array
  readonly pc: Int32Array
  readonly pwy: Float64Array
  readonly py: Float64Array
  private readonly data: GrowData
  private readonly k: number
  // right-hand rows of a partition, copied back after the left ones
  private readonly tmp: Int32Array
  private readonly tw: Float64Array
  private readonly tc: Int32Array
  private readonly twy: Float64Array
  private readonly ty: Float64Array

  constructor(data: GrowData) {
    this.data = data
    this.k = data.nClasses
    const n = data.n
    const cls = data.nClasses > 0
    this.idx = new Int32Array(n)
    this.tmp = new Int32Array(n)
    this.pw = new Float64Array(n)
    this.pc = new Int32Array(cls ? n : 0)
    this.pwy = new Float64Array(cls ? 0 : n)
    this.py = new Float64Array(cls ? 0 : n)
    this.tw = new Float64Array(n)
    this.tc = new Int32Array(cls ? n : 0)
    this.twy = new Float64Array(cls ? 0 : n)
    this.ty = new Float64Array(cls ? 0 : n)
  }

  /**
   * Makes the rows with positive weight `w[r]` the root's range, in row order; returns their
   * count (the root is `idx[0, m)`) and fills `rootStats` (class weights, or W, S, sum w·y²).
   */
  load(w: Float64Array, rootStats: Float64Array): number {
    const n = this.data.n
    const idx = this.idx
    let m = 0
    for (let r = 0; r < n; r++) if (w[r]! > 0) idx[m++] = r
    if (this.k > 0) {
      const yc = this.data.yClass!
      for (let i = 0; i < m; i++) {
        const r = idx[i]!
        this.pw[i] = w[r]!
        this.pc[i] = yc[r]!
        rootStats[yc[r]!]! += w[r]!
      }
    } else {
      const y = this.data.y!
      for (let i = 0; i < m; i++) {
        const r = idx[i]!
        const wy = w[r]! * y[r]!
        this.pw[i] = w[r]!
        this.pwy[i] = wy
        this.py[i] = y[r]!
        rootStats[0]! += w[r]!
        rootStats[1]! += wy
        rootStats[2]! += wy * y[r]!
      }
    }
    return m
  }

  /** Stable partition of the node's rows by its split; returns exact child statistics. */
  partition(node: OpenNode): { leftStats: Float64Array; rightStats: Float64Array; mid: number } {
    const { n, codes, nBins } = this.data
    const f = node.feature
    const nb = nBins[f]!
    const bin = node.bin
    const missingLeft = node.missingLeft
    const category = node.category
    const base = f * n
    const idx = this.idx
    const tmp = this.tmp
    const len = node.stats.length
    const leftStats = new Float64Array(len)
    const rightStats = new Float64Array(len)
    let write = node.start
    let nr = 0
    const { pw, pc, pwy, py, tw, tc, twy, ty } = this
    if (this.k > 0) {
      for (let i = node.start; i < node.end; i++) {
        const r = idx[i]!
        const code = codes[base + r]!
        const goLeft = category ? code === bin : code === nb ? missingLeft : code <= bin
        const wi = pw[i]!
        const ci = pc[i]!
        if (goLeft) {
          leftStats[ci]! += wi
          idx[write] = r
          pw[write] = wi
          pc[write++] = ci
        } else {
          rightStats[ci]! += wi
          tmp[nr] = r
          tw[nr] = wi
          tc[nr++] = ci
        }
      }
      pc.set(tc.subarray(0, nr), write)
    } else {
      for (let i = node.start; i < node.end; i++) {
        const r = idx[i]!
        const code = codes[base + r]!
        const goLeft = category ? code === bin : code === nb ? missingLeft : code <= bin
        const wi = pw[i]!
        const wyi = pwy[i]!
        const yi = py[i]!
        const st = goLeft ? leftStats : rightStats
        st[0]! += wi
        st[1]! += wyi
        st[2]! += wyi * yi
        if (goLeft) {
          idx[write] = r
          pw[write] = wi
          pwy[write] = wyi
          py[write++] = yi
        } else {
          tmp[nr] = r
          tw[nr] = wi
          twy[nr] = wyi
          ty[nr++] = yi
        }
      }
      pwy.set(twy.subarray(0, nr), write)
      py.set(ty.subarray(0, nr), write)
    }
    // writes to position `write` never pass the read position i, so the left part is compacted in place
    idx.set(tmp.subarray(0, nr), write)
    pw.set(tw.subarray(0, nr), write)
    return { leftStats, rightStats, mid: write }
  }
}
