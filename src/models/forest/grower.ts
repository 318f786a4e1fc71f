import { Rng } from '../../core/index.js'

// Hot kernels below index typed arrays inside loops whose bounds come from the same arrays'
// construction (node ranges within idx, codes within nBins), so non-null assertions are safe.

/** Criterion codes used inside the kernel. @internal */
export const CRITERION = { gini: 0, entropy: 1, 'squared-error': 2 } as const

/** What the grower reads: binned features (shared between threads) and the target. @internal */
export interface GrowData {
  readonly n: number
  readonly d: number
  readonly codes: Uint16Array
  readonly nBins: Int32Array
  /** 1 where the feature has missing values in training. */
  readonly hasMissing: Uint8Array
  /**
   * 1 for categorical features split one level against the rest (what a one-hot encoding gives
   * CART); their bins are their exact levels. Each level, and missing, is drawn as a feature of
   * its own when sampling `mtry`, as columns of a one-hot encoding would be.
   */
  readonly oneVsRest: Uint8Array
  /** Number of classes for classification; 0 for regression. */
  readonly nClasses: number
  /** Class codes 0..k-1 (classification). */
  readonly yClass: Int32Array | null
  /** Targets (regression). */
  readonly y: Float64Array | null
  readonly sampleWeight: Float64Array | null
}

/** Settings for one tree. `maxDepth` -1 and `maxLeafNodes` 0 mean unlimited. @internal */
export interface GrowSettings {
  readonly criterion: 0 | 1 | 2
  readonly maxDepth: number
  readonly minSamplesSplit: number
  readonly minSamplesLeaf: number
  readonly mtry: number
  readonly maxLeafNodes: number
  readonly bootstrap: boolean
  readonly keepInBag: boolean
}

/**
 * One grown tree in flat arrays. Internal nodes send rows with `code <= bin[i]` left and missing
 * rows left when `defaultLeft[i] === 1`; leaves have `left[i] === -1` and `feature[i] === -1`.
 * `value` holds `outputs` numbers per node (class probabilities, or the mean target).
 * @internal
 */
export interface GrownTree {
  readonly nNodes: number
  readonly feature: Int32Array
  readonly bin: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  /** 1 for one-vs-rest splits: rows whose code is bin `bin[i]` go left, all others (and missing) right. */
  readonly category: Uint8Array
  readonly cover: Float64Array
  readonly value: Float64Array
  /** Weighted impurity decrease per feature (unnormalised). */
  readonly importance: Float64Array
  /** 1 for rows drawn into this tree's bootstrap sample (only when `keepInBag`). */
  readonly inBag: Uint8Array | null
}

interface PendingNode {
  id: number
  start: number
  end: number
  depth: number
  stats: Float64Array
  weight: number
  impurity: number
  feature: number
  bin: number
  missingLeft: boolean
  category: boolean
  gain: number
}

/** Virtual features: one per numeric feature, one per level (and missing) of one-vs-rest features. */
export function virtualFeatureCount(
  data: Pick<GrowData, 'd' | 'nBins' | 'hasMissing' | 'oneVsRest'>,
): number {
  let count = 0
  for (let f = 0; f < data.d; f++) count += data.oneVsRest[f] === 1 ? data.nBins[f]! + data.hasMissing[f]! : 1
  return count
}

/** Nodes smaller than nBins / SORT_RATIO are split by sorting their codes instead of a histogram. */
const SORT_RATIO = 4
/** Nodes up to this size are sorted by insertion sort (no call into the engine's sort). */
const INSERTION_SORT_MAX = 24

function impurityOf(criterion: number, stats: Float64Array, weight: number): number {
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

/**
 * Builds CART trees on binned features: the split search for a (node, feature) pair fills a
 * histogram of weighted class counts (or target sums) over the feature's bins, or, for nodes much
 * smaller than the bin count, sorts the node's codes; then one scan over the bins evaluates every
 * threshold with missing rows sent left and right. One builder is reused for many trees.
 * @internal
 */
export class TreeBuilder {
  private readonly data: GrowData
  private readonly k: number
  private readonly stride: number
  private readonly idx: Int32Array
  private readonly tmp: Int32Array
  private readonly w: Float64Array
  // Per position in idx (moved along with idx by partition), so the histogram loops read the
  // target and weight sequentially instead of gathering them by row: weight, class, w·y, y.
  private readonly pw: Float64Array
  private readonly pc: Int32Array
  private readonly pwy: Float64Array
  private readonly py: Float64Array
  private readonly tw: Float64Array
  private readonly tc: Int32Array
  private readonly twy: Float64Array
  private readonly ty: Float64Array
  private readonly counts: Int32Array
  private readonly histA: Float64Array
  private readonly histCount: Int32Array
  private readonly groupCode: Int32Array
  private readonly keys: Uint32Array
  private readonly perm: Int32Array
  private readonly vfFeature: Int32Array
  private readonly vfLevel: Int32Array
  private readonly catHist: (Float64Array | null)[]
  private readonly catCount: (Int32Array | null)[]
  private readonly catStamp: Int32Array
  private nodeStamp = 0
  private readonly left: Float64Array
  private readonly bestLeft: Float64Array
  // growing tree
  private cap = 0
  private nNodes = 0
  private tFeature = new Int32Array(0)
  private tBin = new Int32Array(0)
  private tLeft = new Int32Array(0)
  private tRight = new Int32Array(0)
  private tDefaultLeft = new Uint8Array(0)
  private tCategory = new Uint8Array(0)
  private tCover = new Float64Array(0)
  private tValue = new Float64Array(0)
  // best split of the node being searched
  private bestGain = 0
  private bestFeature = -1
  private bestBin = -1
  private bestMissingLeft = false
  private bestCategory = false

  constructor(data: GrowData) {
    this.data = data
    this.k = data.nClasses
    // classification: one slot per class; regression: weight and weighted target sum
    this.stride = data.nClasses > 0 ? data.nClasses : 2
    const n = data.n
    this.idx = new Int32Array(n)
    this.tmp = new Int32Array(n)
    this.w = new Float64Array(n)
    const cls = data.nClasses > 0
    this.pw = new Float64Array(n)
    this.pc = new Int32Array(cls ? n : 0)
    this.pwy = new Float64Array(cls ? 0 : n)
    this.py = new Float64Array(cls ? 0 : n)
    this.tw = new Float64Array(n)
    this.tc = new Int32Array(cls ? n : 0)
    this.twy = new Float64Array(cls ? 0 : n)
    this.ty = new Float64Array(cls ? 0 : n)
    this.counts = new Int32Array(n)
    let maxBins = 1
    for (let f = 0; f < data.d; f++) maxBins = Math.max(maxBins, data.nBins[f]!)
    this.histA = new Float64Array((maxBins + 1) * this.stride)
    this.histCount = new Int32Array(maxBins + 1)
    this.groupCode = new Int32Array(maxBins + 1)
    this.keys = new Uint32Array(Math.ceil(maxBins / SORT_RATIO) + 1)
    const nv = virtualFeatureCount(data)
    this.perm = new Int32Array(nv)
    this.vfFeature = new Int32Array(nv)
    this.vfLevel = new Int32Array(nv)
    this.catHist = []
    this.catCount = []
    this.catStamp = new Int32Array(data.d).fill(-1)
    let v = 0
    for (let f = 0; f < data.d; f++) {
      if (data.oneVsRest[f] === 1) {
        const levels = data.nBins[f]! + data.hasMissing[f]!
        for (let k = 0; k < levels; k++) {
          this.vfFeature[v] = f
          this.vfLevel[v++] = k
        }
        this.catHist.push(new Float64Array((data.nBins[f]! + 1) * this.stride))
        this.catCount.push(new Int32Array(data.nBins[f]! + 1))
      } else {
        this.vfFeature[v] = f
        this.vfLevel[v++] = -1
        this.catHist.push(null)
        this.catCount.push(null)
      }
    }
    this.left = new Float64Array(this.stride)
    this.bestLeft = new Float64Array(this.stride)
  }

  /** Grows one tree with its own generator (seeded by the caller from the tree index). */
  grow(seed: number, s: GrowSettings): GrownTree {
    const { n, d, sampleWeight } = this.data
    const rng = new Rng(seed)
    const w = this.w
    const counts = this.counts
    counts.fill(0)
    if (s.bootstrap) {
      for (let i = 0; i < n; i++) counts[rng.int(n)]!++
    } else counts.fill(1)
    let m = 0
    for (let r = 0; r < n; r++) {
      const wr = counts[r]! * (sampleWeight === null ? 1 : sampleWeight[r]!)
      w[r] = wr
      if (wr > 0) this.idx[m++] = r
    }
    const outputs = this.k > 0 ? this.k : 1
    const statsLen = this.k > 0 ? this.k : 3
    const rootStats = new Float64Array(statsLen)
    if (this.k > 0) {
      const yc = this.data.yClass!
      for (let i = 0; i < m; i++) {
        const r = this.idx[i]!
        this.pw[i] = w[r]!
        this.pc[i] = yc[r]!
        rootStats[yc[r]!]! += w[r]!
      }
    } else {
      const y = this.data.y!
      for (let i = 0; i < m; i++) {
        const r = this.idx[i]!
        const wy = w[r]! * y[r]!
        this.pw[i] = w[r]!
        this.pwy[i] = wy
        this.py[i] = y[r]!
        rootStats[0]! += w[r]!
        rootStats[1]! += wy
        rootStats[2]! += wy * y[r]!
      }
    }
    for (let f = 0; f < this.perm.length; f++) this.perm[f] = f
    this.nNodes = 0
    this.ensureCapacity(64, outputs)
    const importance = new Float64Array(d)

    const rootWeight = this.k > 0 ? rootStats.reduce((a, b) => a + b, 0) : rootStats[0]!
    const root = this.makeNode(0, m, 0, rootStats, rootWeight, s, rng, outputs)
    const bestFirst = s.maxLeafNodes > 0
    const pending: PendingNode[] = []
    if (root.feature >= 0) pending.push(root)
    let leaves = 1
    while (pending.length > 0) {
      if (bestFirst && leaves >= s.maxLeafNodes) break
      const node = bestFirst ? popMax(pending) : pending.pop()!
      const { leftStats, rightStats, mid } = this.partition(node)
      const wl = this.k > 0 ? sum(leftStats) : leftStats[0]!
      const wr = this.k > 0 ? sum(rightStats) : rightStats[0]!
      const leftNode = this.makeNode(node.start, mid, node.depth + 1, leftStats, wl, s, rng, outputs)
      const rightNode = this.makeNode(mid, node.end, node.depth + 1, rightStats, wr, s, rng, outputs)
      const id = node.id
      this.tFeature[id] = node.feature
      this.tBin[id] = node.bin
      this.tLeft[id] = leftNode.id
      this.tRight[id] = rightNode.id
      this.tDefaultLeft[id] = node.missingLeft ? 1 : 0
      this.tCategory[id] = node.category ? 1 : 0
      importance[node.feature]! +=
        node.weight * node.impurity - wl * leftNode.impurity - wr * rightNode.impurity
      leaves++
      if (bestFirst) {
        if (leftNode.feature >= 0) pushHeap(pending, leftNode)
        if (rightNode.feature >= 0) pushHeap(pending, rightNode)
      } else {
        if (rightNode.feature >= 0) pending.push(rightNode)
        if (leftNode.feature >= 0) pending.push(leftNode)
      }
    }
    const nn = this.nNodes
    let inBag: Uint8Array | null = null
    if (s.keepInBag) {
      inBag = new Uint8Array(n)
      for (let r = 0; r < n; r++) inBag[r] = counts[r]! > 0 ? 1 : 0
    }
    return {
      nNodes: nn,
      feature: this.tFeature.slice(0, nn),
      bin: this.tBin.slice(0, nn),
      left: this.tLeft.slice(0, nn),
      right: this.tRight.slice(0, nn),
      defaultLeft: this.tDefaultLeft.slice(0, nn),
      category: this.tCategory.slice(0, nn),
      cover: this.tCover.slice(0, nn),
      value: this.tValue.slice(0, nn * outputs),
      importance,
      inBag,
    }
  }

  private ensureCapacity(need: number, outputs: number): void {
    if (need <= this.cap) return
    const cap = Math.max(need, this.cap * 2)
    const grow = <T extends Int32Array | Uint8Array | Float64Array>(
      a: T,
      size: number,
      make: (n: number) => T,
    ) => {
      const b = make(size)
      b.set(a)
      return b
    }
    this.tFeature = grow(this.tFeature, cap, (k) => new Int32Array(k))
    this.tBin = grow(this.tBin, cap, (k) => new Int32Array(k))
    this.tLeft = grow(this.tLeft, cap, (k) => new Int32Array(k))
    this.tRight = grow(this.tRight, cap, (k) => new Int32Array(k))
    this.tDefaultLeft = grow(this.tDefaultLeft, cap, (k) => new Uint8Array(k))
    this.tCategory = grow(this.tCategory, cap, (k) => new Uint8Array(k))
    this.tCover = grow(this.tCover, cap, (k) => new Float64Array(k))
    this.tValue = grow(this.tValue, cap * outputs, (k) => new Float64Array(k))
    this.cap = cap
  }

  /** Appends a leaf for rows idx[start, end) and searches its best split (feature -1: stays a leaf). */
  private makeNode(
    start: number,
    end: number,
    depth: number,
    stats: Float64Array,
    weight: number,
    s: GrowSettings,
    rng: Rng,
    outputs: number,
  ): PendingNode {
    this.ensureCapacity(this.nNodes + 1, outputs)
    const id = this.nNodes++
    this.tFeature[id] = -1
    this.tBin[id] = -1
    this.tLeft[id] = -1
    this.tRight[id] = -1
    this.tDefaultLeft[id] = 0
    this.tCategory[id] = 0
    this.tCover[id] = weight
    if (this.k > 0) {
      for (let c = 0; c < this.k; c++) this.tValue[id * outputs + c] = weight > 0 ? stats[c]! / weight : 0
    } else this.tValue[id] = weight > 0 ? stats[1]! / weight : 0
    const impurity = impurityOf(s.criterion, stats, weight)
    const node: PendingNode = {
      id,
      start,
      end,
      depth,
      stats,
      weight,
      impurity,
      feature: -1,
      bin: -1,
      missingLeft: false,
      category: false,
      gain: 0,
    }
    const count = end - start
    if (
      (s.maxDepth >= 0 && depth >= s.maxDepth) ||
      count < s.minSamplesSplit ||
      count < 2 * s.minSamplesLeaf ||
      impurity <= 0
    )
      return node
    this.findSplit(node, s, rng)
    return node
  }

  private findSplit(node: PendingNode, s: GrowSettings, rng: Rng): void {
    const perm = this.perm
    const nv = perm.length
    const drawn = s.mtry < nv
    this.bestGain = Number.NEGATIVE_INFINITY
    this.bestFeature = -1
    this.nodeStamp++
    let visited = 0
    for (let i = 0; i < nv && visited < s.mtry; i++) {
      let v = i
      if (drawn) {
        const j = i + rng.int(nv - i)
        v = perm[j]!
        perm[j] = perm[i]!
        perm[i] = v
      }
      const level = this.vfLevel[v]!
      const f = this.vfFeature[v]!
      if (level < 0 ? this.evaluateFeature(node, f, s) : this.evaluateLevel(node, f, level, s)) visited++
    }
    if (this.bestFeature < 0) return
    node.feature = this.bestFeature
    node.bin = this.bestBin
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
   * Fills the (possibly compressed) histogram of feature f over the node and scans it. Returns
   * false when f is constant within the node (it then does not count towards mtry).
   */
  private evaluateFeature(node: PendingNode, f: number, s: GrowSettings): boolean {
    const { n, codes, nBins } = this.data
    const nb = nBins[f]!
    const start = node.start
    const end = node.end
    const count = end - start
    const idx = this.idx
    const pw = this.pw
    const stride = this.stride
    const hist = this.histA
    const hc = this.histCount
    const base = f * n
    let nSlots: number // real slots; the missing slot follows them
    let compressed = false
    if (count * SORT_RATIO < nb) {
      // sort (code, position) keys; equal codes form one slot
      compressed = true
      const keys = this.keys
      for (let i = 0; i < count; i++) keys[i] = codes[base + idx[start + i]!]! * 65536 + i
      let view = keys
      if (count <= INSERTION_SORT_MAX) {
        for (let i = 1; i < count; i++) {
          const key = keys[i]!
          let j = i - 1
          while (j >= 0 && keys[j]! > key) {
            keys[j + 1] = keys[j]!
            j--
          }
          keys[j + 1] = key
        }
      } else view = keys.subarray(0, count).sort()
      let g = -1
      let prev = -1
      let missingSeen = false
      for (let i = 0; i < count; i++) {
        const key = view[i]!
        const code = Math.floor(key / 65536)
        if (code === nb) {
          if (!missingSeen) {
            missingSeen = true
            g++
            this.clearSlot(g)
            this.groupCode[g] = nb
          }
        } else if (code !== prev) {
          g++
          this.clearSlot(g)
          this.groupCode[g] = code
          prev = code
        }
        this.addRow(g, start + (key & 0xffff))
      }
      if (missingSeen) {
        nSlots = g
      } else {
        nSlots = g + 1
        this.clearSlot(nSlots)
      }
    } else {
      nSlots = nb
      hist.fill(0, 0, (nb + 1) * stride)
      hc.fill(0, 0, nb + 1)
      if (this.k > 0) {
        const pc = this.pc
        for (let i = start; i < end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * stride + pc[i]!]! += pw[i]!
          hc[b]!++
        }
      } else {
        const pwy = this.pwy
        for (let i = start; i < end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * 2]! += pw[i]!
          hist[b * 2 + 1]! += pwy[i]!
          hc[b]!++
        }
      }
    }
    // constant feature within the node: a single occupied slot (real or missing)
    let occupied = 0
    for (let b = 0; b <= nSlots && occupied < 2; b++) if (hc[b]! > 0) occupied++
    if (occupied < 2) return false
    const found = this.k > 0 ? this.scanClassification(node, nSlots, s) : this.scanRegression(node, nSlots, s)
    if (found >= 0) {
      this.bestFeature = f
      this.bestBin = compressed ? this.groupCode[found]! : found
      this.bestCategory = false
    }
    return true
  }

  /**
   * One level of a one-vs-rest feature: that level left, everything else (missing included) right;
   * for the missing "level", non-missing left and missing right. The feature's histogram over the
   * node is built once per node and shared by all its levels. Returns false when the split would
   * leave one side empty (the level is absent or everywhere), like a constant one-hot column.
   */
  private evaluateLevel(node: PendingNode, f: number, level: number, s: GrowSettings): boolean {
    const { n, codes, nBins } = this.data
    const nb = nBins[f]!
    const stride = this.stride
    const hist = this.catHist[f]!
    const hc = this.catCount[f]!
    if (this.catStamp[f] !== this.nodeStamp) {
      this.catStamp[f] = this.nodeStamp
      hist.fill(0)
      hc.fill(0)
      const idx = this.idx
      const pw = this.pw
      const base = f * n
      if (this.k > 0) {
        const pc = this.pc
        for (let i = node.start; i < node.end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * stride + pc[i]!]! += pw[i]!
          hc[b]!++
        }
      } else {
        const pwy = this.pwy
        for (let i = node.start; i < node.end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * 2]! += pw[i]!
          hist[b * 2 + 1]! += pwy[i]!
          hc[b]!++
        }
      }
    }
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
      this.bestCategory = !isMissing
      this.bestMissingLeft = false
      this.bestLeft.set(L)
    }
    return true
  }

  private clearSlot(g: number): void {
    const stride = this.stride
    for (let c = 0; c < stride; c++) this.histA[g * stride + c] = 0
    this.histCount[g] = 0
  }

  /** Adds the row at idx position `i` to slot g. */
  private addRow(g: number, i: number): void {
    const stride = this.stride
    if (this.k > 0) this.histA[g * stride + this.pc[i]!]! += this.pw[i]!
    else {
      this.histA[g * 2]! += this.pw[i]!
      this.histA[g * 2 + 1]! += this.pwy[i]!
    }
    this.histCount[g]!++
  }

  /**
   * Scans slots 0..nSlots-1 (slot nSlots holds missing rows) for the split with the largest
   * criterion proxy (scikit-learn's `proxy_impurity_improvement`). Returns the slot index of the
   * best threshold when it beats `bestGain`, else -1.
   */
  private scanClassification(node: PendingNode, nSlots: number, s: GrowSettings): number {
    const K = this.k
    const hist = this.histA
    const hc = this.histCount
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

  private scanRegression(node: PendingNode, nSlots: number, s: GrowSettings): number {
    const hist = this.histA
    const hc = this.histCount
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

  /** Stable partition of the node's rows by its split; returns exact child statistics. */
  private partition(node: PendingNode): { leftStats: Float64Array; rightStats: Float64Array; mid: number } {
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

function sum(a: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]!
  return s
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

function pushHeap(heap: PendingNode[], node: PendingNode): void {
  heap.push(node)
  let i = heap.length - 1
  while (i > 0) {
    const p = (i - 1) >> 1
    if (!better(heap[i]!, heap[p]!)) break
    const t = heap[i]!
    heap[i] = heap[p]!
    heap[p] = t
    i = p
  }
}

/** Larger gain first; ties by smaller node id, so the order never depends on heap layout. */
function better(a: PendingNode, b: PendingNode): boolean {
  return a.gain > b.gain || (a.gain === b.gain && a.id < b.id)
}

function popMax(heap: PendingNode[]): PendingNode {
  const top = heap[0]!
  const lastNode = heap.pop()!
  if (heap.length > 0) {
    heap[0] = lastNode
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < heap.length && better(heap[l]!, heap[m]!)) m = l
      if (r < heap.length && better(heap[r]!, heap[m]!)) m = r
      if (m === i) break
      const t = heap[i]!
      heap[i] = heap[m]!
      heap[m] = t
      i = m
    }
  }
  return top
}
