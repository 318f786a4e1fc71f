import type { Rng } from '../../core/index.js'
import type { GrowData, GrowSettings, OpenNode } from './grow-types.js'
import { statsStride, virtualFeatureCount } from './grow-types.js'
import type { NodeHistogram } from './histogram.js'

// Hot kernels below index typed arrays inside loops whose bounds come from the same arrays'
// construction (slots within the histogram, classes within stride), so non-null assertions are safe.

/** Impurity of a node from its statistics: Gini, entropy (bits) or the variance of the target. */
export function impurityOf(criterion: number, stats: Float64Array, weight: number): number {
  if (weight <= 0) return 0
  if (criterion === 2) {
    const mean = stats[1]! / weight
    const v = stats[2]! / weight - mean * mean
    // E[y²] - mean² cancels catastrophically for constant targets: treat tiny values as zero.
    return v <= 1e-13 * (stats[2]! / weight) ? 0 : v
  }
  let s = 0
  if (criterion === 0) {
    for (let c = 0; c < stats.length; c++) {
      const p = stats[c]! / weight
      s += p * p
    }
    return 1 - s
  }
  for (let c = 0; c < stats.length; c++) {
    const p = stats[c]! / weight
    if (p > 0) s -= p * Math.log2(p)
  }
  return s
}

/** Sum of a statistics vector (the weight of a classification node). */
export function sum(a: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]!
  return s
}

/**
 * Finds a node's best CART split: draws up to `mtry` virtual features (numeric features, and
 * each level of one-vs-rest features) without replacement, has the histogram filled for each, and
 * scans it for the threshold with the largest criterion proxy, with missing rows tried on both
 * sides. Features constant within the node count towards `mtry` but the search continues until
 * one non-constant feature was tried (as in scikit-learn).
 * @internal
 */
export class SplitFinder {
  private readonly data: GrowData
  private readonly hist: NodeHistogram
  private readonly k: number
  private readonly stride: number
  private readonly perm: Int32Array
  private readonly vfFeature: Int32Array
  private readonly vfLevel: Int32Array
  private readonly left: Float64Array
  private readonly bestLeft: Float64Array
  // best split of the node being searched
  private bestGain = 0
  private bestFeature = -1
  private bestBin = -1
  private bestBinHi = -1
  private bestMissingLeft = false
  private bestCategory = false

  constructor(data: GrowData, hist: NodeHistogram) {
    this.data = data
    this.hist = hist
    this.k = data.nClasses
    const nv = virtualFeatureCount(data)
    this.perm = new Int32Array(nv)
    this.vfFeature = new Int32Array(nv)
    this.vfLevel = new Int32Array(nv)
    let v = 0
    for (let f = 0; f < data.d; f++) {
      if (data.oneVsRest[f] === 1) {
        const levels = data.nBins[f]! + data.hasMissing[f]!
        for (let k = 0; k < levels; k++) {
          this.vfFeature[v] = f
          this.vfLevel[v++] = k
        }
      } else {
        this.vfFeature[v] = f
        this.vfLevel[v++] = -1
      }
    }
    this.stride = statsStride(data)
    this.left = new Float64Array(this.stride)
    this.bestLeft = new Float64Array(this.stride)
  }

  /** Puts the virtual features back in order: each tree's draws start from the same permutation. */
  resetDraws(): void {
    for (let f = 0; f < this.perm.length; f++) this.perm[f] = f
  }

  /**
   * Searches the node's best split and records it on the node (`feature` stays -1 when there is
   * none), with `gain` the weighted impurity decrease that orders best-first growth.
   */
  find(node: OpenNode, s: GrowSettings, rng: Rng): void {
    const perm = this.perm
    const nv = perm.length
    const drawn = s.mtry < nv
    this.bestGain = Number.NEGATIVE_INFINITY
    this.bestFeature = -1
    this.hist.nextNode()
    // As scikit-learn's splitter: every feature drawn counts towards mtry, a constant one too,
    // but the search goes on until one non-constant feature has been tried.
    let visited = 0
    let nonConstant = 0
    for (let i = 0; i < nv && (visited < s.mtry || nonConstant === 0); i++) {
      let v = i
      if (drawn) {
        const j = i + rng.int(nv - i)
        v = perm[j]!
        perm[j] = perm[i]!
        perm[i] = v
      }
      const level = this.vfLevel[v]!
      const f = this.vfFeature[v]!
      if (level < 0 ? this.evaluateFeature(node, f, s) : this.evaluateLevel(node, f, level, s)) nonConstant++
      visited++
    }
    if (this.bestFeature < 0) return
    node.feature = this.bestFeature
    node.bin = this.bestBin
    node.binHi = this.bestBinHi
    node.missingLeft = this.bestMissingLeft
    node.category = this.bestCategory
    // gain as the weighted impurity decrease, for best-first ordering
    const bl = this.bestLeft
    if (this.k === 0) {
      // weighted SSE decrease: w·var = sum(w·y²) - S²/W, and the sum(w·y²) terms cancel
      const wl = bl[0]!
      const sl = bl[1]!
      const sr = node.stats[1]! - sl
      node.gain =
        (sl * sl) / wl + (sr * sr) / (node.weight - wl) - (node.stats[1]! * node.stats[1]!) / node.weight
      return
    }
    const left = bl.slice()
    const right = new Float64Array(this.k)
    for (let c = 0; c < this.k; c++) right[c] = node.stats[c]! - left[c]!
    const wl = sum(left)
    const wr = node.weight - wl
    node.gain =
      node.weight * node.impurity -
      wl * impurityOf(s.criterion, left, wl) -
      wr * impurityOf(s.criterion, right, wr)
  }

  /**
   * Has the histogram of feature f over the node filled and scans it. Returns false when f is
   * constant within the node.
   */
  private evaluateFeature(node: OpenNode, f: number, s: GrowSettings): boolean {
    const nSlots = this.hist.build(f, node.start, node.end)
    const hc = this.hist.count
    // constant feature within the node: a single occupied slot (real or missing)
    let occupied = 0
    for (let b = 0; b <= nSlots && occupied < 2; b++) if (hc[b]! > 0) occupied++
    if (occupied < 2) return false
    const found = this.k > 0 ? this.scanClassification(node, nSlots, s) : this.scanRegression(node, nSlots, s)
    if (found >= 0) {
      this.bestFeature = f
      this.bestBin = this.hist.compressed ? this.hist.groupCode[found]! : found
      this.bestCategory = false
      // The next occupied slot: the threshold goes midway between the node's values on either
      // side (scikit-learn's), not at the bin bound just above the lower value.
      let hi = found + 1
      while (hi < nSlots && hc[hi] === 0) hi++
      this.bestBinHi = hi >= nSlots ? -1 : this.hist.compressed ? this.hist.groupCode[hi]! : hi
    }
    return true
  }

  /**
   * One level of a one-vs-rest feature: that level left, everything else (missing included) right;
   * for the missing "level", non-missing left and missing right. The feature's histogram over the
   * node is built once per node and shared by all its levels. Returns false when the split would
   * leave one side empty (the level is absent or everywhere), like a constant one-hot column.
   */
  private evaluateLevel(node: OpenNode, f: number, level: number, s: GrowSettings): boolean {
    const nb = this.data.nBins[f]!
    const stride = this.stride
    this.hist.buildLevels(f, node.start, node.end)
    const hist = this.hist.catHist[f]!
    const hc = this.hist.catCount[f]!
    const count = node.end - node.start
    const inLevel = hc[level]!
    if (inLevel === 0 || inLevel === count) return false
    const isMissing = level === nb
    const lc = isMissing ? count - inLevel : inLevel
    const rc = count - lc
    if (lc < s.minSamplesLeaf || rc < s.minSamplesLeaf) return true
    const L = this.left
    const off = level * stride
    for (let c = 0; c < stride; c++) L[c] = isMissing ? 0 : hist[off + c]!
    if (isMissing) {
      // non-missing side = node total minus the missing slot
      if (this.k > 0) for (let c = 0; c < stride; c++) L[c] = node.stats[c]! - hist[off + c]!
      else {
        L[0] = node.weight - hist[off]!
        L[1] = node.stats[1]! - hist[off + 1]!
      }
    }
    let p: number
    let lw: number
    if (this.k > 0) {
      lw = 0
      for (let c = 0; c < stride; c++) lw += L[c]!
      p =
        s.criterion === 1
          ? entropyProxy(L, node.stats, lw, node.weight, -1, hist)
          : giniProxy(L, node.stats, lw, node.weight, -1, hist)
    } else {
      lw = L[0]!
      const rw = node.weight - lw
      const rs = node.stats[1]! - L[1]!
      p = lw > 0 && rw > 0 ? (L[1]! * L[1]!) / lw + (rs * rs) / rw : Number.NEGATIVE_INFINITY
    }
    if (p > this.bestGain) {
      this.bestGain = p
      this.bestFeature = f
      this.bestBin = isMissing ? nb - 1 : level
      this.bestBinHi = -1
      this.bestCategory = !isMissing
      this.bestMissingLeft = false
      this.bestLeft.set(L)
    }
    return true
  }

  /**
   * Scans slots 0..nSlots-1 (slot nSlots holds missing rows) for the split with the largest
   * criterion proxy (scikit-learn's `proxy_impurity_improvement`). Returns the slot index of the
   * best threshold when it beats `bestGain`, else -1.
   */
  private scanClassification(node: OpenNode, nSlots: number, s: GrowSettings): number {
    const K = this.k
    const hist = this.hist.hist
    const hc = this.hist.count
    const total = node.stats
    const count = node.end - node.start
    const missCount = hc[nSlots]!
    const missOff = nSlots * K
    let missW = 0
    for (let c = 0; c < K; c++) missW += hist[missOff + c]!
    const L = this.left
    L.fill(0)
    let lw = 0
    let lc = 0
    let last = nSlots - 1
    while (last >= 0 && hc[last] === 0) last--
    const minLeaf = s.minSamplesLeaf
    const entropy = s.criterion === 1
    let found = -1
    for (let b = 0; b <= last; b++) {
      const cb = hc[b]!
      if (cb === 0) continue
      const off = b * K
      for (let c = 0; c < K; c++) {
        const h = hist[off + c]!
        L[c]! += h
        lw += h
      }
      lc += cb
      // missing right (also the "non-missing | missing" split at the last slot)
      if (b < last || missCount > 0) {
        const rc = count - lc
        if (lc >= minLeaf && rc >= minLeaf) {
          const p = entropy
            ? entropyProxy(L, total, lw, node.weight, -1, hist)
            : giniProxy(L, total, lw, node.weight, -1, hist)
          if (p > this.bestGain) {
            this.bestGain = p
            found = b
            this.bestLeft.set(L)
            this.bestMissingLeft = missCount === 0 ? lw >= node.weight - lw : false
            this.bestCategory = false
          }
        }
      }
      // missing left
      if (missCount > 0 && b < last) {
        const lcm = lc + missCount
        const rc = count - lcm
        if (lcm >= minLeaf && rc >= minLeaf) {
          const p = entropy
            ? entropyProxy(L, total, lw + missW, node.weight, missOff, hist)
            : giniProxy(L, total, lw + missW, node.weight, missOff, hist)
          if (p > this.bestGain) {
            this.bestGain = p
            found = b
            for (let c = 0; c < K; c++) this.bestLeft[c] = L[c]! + hist[missOff + c]!
            this.bestMissingLeft = true
          }
        }
      }
    }
    return found
  }

  private scanRegression(node: OpenNode, nSlots: number, s: GrowSettings): number {
    const hist = this.hist.hist
    const hc = this.hist.count
    const count = node.end - node.start
    const totalW = node.weight
    const totalS = node.stats[1]!
    const missCount = hc[nSlots]!
    const missW = hist[nSlots * 2]!
    const missS = hist[nSlots * 2 + 1]!
    let lw = 0
    let ls = 0
    let lc = 0
    let last = nSlots - 1
    while (last >= 0 && hc[last] === 0) last--
    const minLeaf = s.minSamplesLeaf
    let found = -1
    for (let b = 0; b <= last; b++) {
      const cb = hc[b]!
      if (cb === 0) continue
      lw += hist[b * 2]!
      ls += hist[b * 2 + 1]!
      lc += cb
      if (b < last || missCount > 0) {
        const rc = count - lc
        if (lc >= minLeaf && rc >= minLeaf) {
          const rw = totalW - lw
          const rs = totalS - ls
          const p = (ls * ls) / lw + (rs * rs) / rw
          if (p > this.bestGain) {
            this.bestGain = p
            found = b
            this.bestLeft[0] = lw
            this.bestLeft[1] = ls
            this.bestMissingLeft = missCount === 0 ? lw >= rw : false
          }
        }
      }
      if (missCount > 0 && b < last) {
        const lcm = lc + missCount
        const rc = count - lcm
        if (lcm >= minLeaf && rc >= minLeaf) {
          const lwm = lw + missW
          const lsm = ls + missS
          const rw = totalW - lwm
          const rs = totalS - lsm
          const p = (lsm * lsm) / lwm + (rs * rs) / rw
          if (p > this.bestGain) {
            this.bestGain = p
            found = b
            this.bestLeft[0] = lwm
            this.bestLeft[1] = lsm
            this.bestMissingLeft = true
          }
        }
      }
    }
    return found
  }
}

/** Gini proxy: sum_c L_c²/W_L + sum_c R_c²/W_R, where L may include the missing slot at `missOff`. */
function giniProxy(
  L: Float64Array,
  total: Float64Array,
  lw: number,
  weight: number,
  missOff: number,
  hist: Float64Array,
): number {
  const rw = weight - lw
  if (lw <= 0 || rw <= 0) return Number.NEGATIVE_INFINITY
  let sl = 0
  let sr = 0
  for (let c = 0; c < L.length; c++) {
    const l = missOff >= 0 ? L[c]! + hist[missOff + c]! : L[c]!
    const r = total[c]! - l
    sl += l * l
    sr += r * r
  }
  return sl / lw + sr / rw
}

/** Entropy proxy: -(W_L·H_L + W_R·H_R) in nats (the base does not change the argmax). */
function entropyProxy(
  L: Float64Array,
  total: Float64Array,
  lw: number,
  weight: number,
  missOff: number,
  hist: Float64Array,
): number {
  const rw = weight - lw
  if (lw <= 0 || rw <= 0) return Number.NEGATIVE_INFINITY
  let s = 0
  for (let c = 0; c < L.length; c++) {
    const l = missOff >= 0 ? L[c]! + hist[missOff + c]! : L[c]!
    const r = total[c]! - l
    if (l > 0) s += l * Math.log(l / lw)
    if (r > 0) s += r * Math.log(r / rw)
  }
  return s
}
