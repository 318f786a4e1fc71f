import type { BinMapper } from '../tree/index.js'
import { HIST_STRIDE, type HistStride } from './histogram.js'

/** The regularisation and size limits a split must respect. */
export interface SplitConstraints {
  readonly l1: number
  readonly l2: number
  readonly minSamplesLeaf: number
  readonly minChildWeight: number
  readonly minSplitGain: number
  readonly maxCatThreshold: number
  readonly maxCatToOnehot: number
  readonly catSmooth: number
  readonly catL2: number
  readonly minDataPerGroup: number
  readonly minRowsPerCatLevel: number
}

/** How a histogram's bins hold row counts (see findBestSplit). */
interface BinCounts {
  readonly stride: HistStride
  /** Rows per unit of hessian in the node (hessian counts), else 0. */
  readonly perHess: number
}

/** The rows of the bin at histogram index k: exact, or estimated from its hessian sum. */
function binCount(hist: Float64Array, k: number, counts: BinCounts): number {
  return counts.stride === HIST_STRIDE ? hist[k + 2]! : hist[k + 1]! * counts.perHess
}

/** Gradient, hessian and count sums of a node. */
export interface NodeSums {
  readonly grad: number
  readonly hess: number
  readonly count: number
}

/** The best split of a node. Rows whose bin b has leftMask[b] === 1 go left. */
export interface SplitInfo {
  readonly gain: number
  readonly feature: number
  readonly isCategorical: boolean
  /** Numeric splits: the last value bin that goes left (missing follows `defaultLeft`). */
  readonly bin: number
  readonly defaultLeft: boolean
  /** One byte per bin of the feature (value bins then the missing bin): 1 = left. */
  readonly leftMask: Uint8Array
  readonly left: NodeSums
  readonly right: NodeSums
}

/** L1 soft-thresholding of the gradient sum (XGBoost's `alpha`). */
function thresholdL1(g: number, l1: number): number {
  if (g > l1) return g - l1
  if (g < -l1) return g + l1
  return 0
}

/** How much a leaf with these sums lowers the loss (up to a constant factor): T(G)^2 / (H + l2). */
export function leafScore(g: number, h: number, l1: number, l2: number): number {
  const t = l1 > 0 ? thresholdL1(g, l1) : g
  return (t * t) / (h + l2)
}

/** The optimal (unshrunk) leaf value: -T(G) / (H + l2). */
export function leafOutput(g: number, h: number, l1: number, l2: number): number {
  const t = l1 > 0 ? thresholdL1(g, l1) : g
  const d = h + l2
  return d > 0 ? -t / d : 0
}

/** Reusable scratch space for categorical sorting (avoids allocation per node). */
export class SplitScratch {
  readonly order = new Int32Array(256)
  readonly ratio = new Float64Array(256)
}

/** What the split search reads of a bin mapper (a worker thread gets only these arrays). */
export type SplitMapper = Pick<BinMapper, 'nBins' | 'featureOffset' | 'isCategorical'>

/**
 * Finds the best split of a node over features[fFrom..nFeatures) from its histogram. Numeric
 * features scan the bins twice, once with missing values on each side, and keep the better side
 * (the learned default direction). Categorical features with few levels try one-vs-rest;
 * otherwise levels are sorted by gradient/(hessian + catSmooth) and prefixes of that order are
 * scanned from both ends (LightGBM's many-vs-many search). Returns null when no split is valid.
 * Ties go to the earlier feature, so threads that search consecutive feature ranges, with a later
 * range's best kept only when strictly better, find the same split as one thread. With histograms
 * without counts (`stride` HESSIAN_HIST_STRIDE) a set of bins' rows is estimated as its hessian sum
 * times the node's rows per unit of hessian (LightGBM's `cnt_factor`), for `minSamplesLeaf` and the
 * categorical row rules; the node's own count stays exact.
 */
export function findBestSplit(
  hist: Float64Array,
  histBase: number,
  S: HistStride,
  mapper: SplitMapper,
  features: Int32Array,
  nFeatures: number,
  sums: NodeSums,
  c: SplitConstraints,
  scratch: SplitScratch,
  fFrom = 0,
): SplitInfo | null {
  const { l1, l2, minSamplesLeaf, minChildWeight } = c
  const G = sums.grad
  const H = sums.hess
  const C = sums.count
  const exact = S === HIST_STRIDE
  const perHess = !exact && H > 0 ? C / H : 0
  const counts: BinCounts = { stride: S, perHess }
  const parentScore = leafScore(G, H, l1, l2)
  const minGain = c.minSplitGain
  let bestGain = minGain
  let bestFeature = -1
  let bestBin = -1
  let bestDefaultLeft = false
  let bestCategorical = false
  let bestCatCount = 0
  let bestCatReverse = false
  let bestLg = 0
  let bestLh = 0
  let bestLc = 0
  let bestOneHot = -1
  // Loop bounds guarantee every typed-array index below is in range.
  for (let j = fFrom; j < nFeatures; j++) {
    const f = features[j]!
    const nb = mapper.nBins[f]!
    const off = histBase + mapper.featureOffset[f]! * S
    const mOff = off + nb * S
    const gm = hist[mOff]!
    const hm = hist[mOff + 1]!
    const cm = binCount(hist, mOff, counts)
    if (mapper.isCategorical[f] === 1) {
      const r = findCategoricalSplit(hist, off, nb, G, H, C, c, scratch, parentScore, counts)
      if (r !== null && r.gain > bestGain) {
        bestGain = r.gain
        bestFeature = f
        bestCategorical = true
        bestCatCount = r.count
        bestCatReverse = r.reverse
        bestOneHot = r.oneHot
        bestLg = r.lg
        bestLh = r.lh
        bestLc = r.lc
      }
      continue
    }
    // Missing values right: left = bins 0..b. With missing rows present, b = nb-1 (all values
    // left, missing right) is a candidate too.
    const lastBin = cm > 0 ? nb - 1 : nb - 2
    let lg = 0
    let lh = 0
    let lc = 0
    for (let b = 0; b <= lastBin; b++) {
      const k = off + b * S
      lg += hist[k]!
      lh += hist[k + 1]!
      lc = exact ? lc + hist[k + 2]! : lh * perHess
      if (lc < minSamplesLeaf || lh < minChildWeight) continue
      const rc = C - lc
      const rh = H - lh
      if (rc < minSamplesLeaf || rh < minChildWeight) break
      const gain = leafScore(lg, lh, l1, l2) + leafScore(G - lg, rh, l1, l2) - parentScore
      if (gain > bestGain) {
        bestGain = gain
        bestFeature = f
        bestCategorical = false
        bestBin = b
        bestDefaultLeft = false
        bestLg = lg
        bestLh = lh
        bestLc = lc
      }
    }
    if (cm > 0) {
      // Missing values left: left = missing + bins 0..b.
      lg = gm
      lh = hm
      lc = cm
      for (let b = 0; b <= nb - 2; b++) {
        const k = off + b * S
        lg += hist[k]!
        lh += hist[k + 1]!
        lc = exact ? lc + hist[k + 2]! : lh * perHess
        if (lc < minSamplesLeaf || lh < minChildWeight) continue
        const rc = C - lc
        const rh = H - lh
        if (rc < minSamplesLeaf || rh < minChildWeight) break
        const gain = leafScore(lg, lh, l1, l2) + leafScore(G - lg, rh, l1, l2) - parentScore
        if (gain > bestGain) {
          bestGain = gain
          bestFeature = f
          bestCategorical = false
          bestBin = b
          bestDefaultLeft = true
          bestLg = lg
          bestLh = lh
          bestLc = lc
        }
      }
    }
  }
  if (bestFeature < 0) return null
  const nb = mapper.nBins[bestFeature]!
  const leftMask = new Uint8Array(nb + 1)
  let defaultLeft = bestDefaultLeft
  if (bestCategorical) {
    if (bestOneHot >= 0) {
      leftMask[bestOneHot] = 1
    } else {
      // Recompute the category order for the winning feature (scratch was reused since).
      const off = histBase + mapper.featureOffset[bestFeature]! * S
      const n = sortCategories(hist, off, nb, c.catSmooth, scratch, c.minRowsPerCatLevel, counts)
      for (let i = 0; i < bestCatCount; i++) {
        const pos = bestCatReverse ? n - 1 - i : i
        leftMask[scratch.order[pos]!] = 1
      }
    }
    defaultLeft = leftMask[nb] === 1
  } else {
    for (let b = 0; b <= bestBin; b++) leftMask[b] = 1
    const off = histBase + mapper.featureOffset[bestFeature]! * S
    if (binCount(hist, off + nb * S, counts) <= 0) {
      // No missing values seen here: send future missing values to the child with more rows.
      defaultLeft = bestLc >= C - bestLc
    }
    leftMask[nb] = defaultLeft ? 1 : 0
  }
  return {
    gain: bestGain,
    feature: bestFeature,
    isCategorical: bestCategorical,
    bin: bestCategorical ? -1 : bestBin,
    defaultLeft,
    leftMask,
    left: { grad: bestLg, hess: bestLh, count: bestLc },
    right: { grad: G - bestLg, hess: H - bestLh, count: C - bestLc },
  }
}

/**
 * Orders the categories of a feature (value bins and the missing bin, those with at least
 * `catSmooth` rows, as LightGBM does, and at least `minRows`) by gradient / (hessian + catSmooth).
 * Levels left out stay on the right side of the split. Returns how many.
 */
function sortCategories(
  hist: Float64Array,
  off: number,
  nb: number,
  catSmooth: number,
  s: SplitScratch,
  minRows: number,
  counts: BinCounts,
): number {
  let n = 0
  const minCount = Math.max(1, catSmooth, minRows)
  for (let b = 0; b <= nb; b++) {
    const k = off + b * counts.stride
    if (binCount(hist, k, counts) < minCount) continue
    s.order[n] = b
    s.ratio[b] = hist[k]! / (hist[k + 1]! + catSmooth)
    n++
  }
  // Insertion sort: at most 256 entries, stable and allocation-free; ties keep bin order.
  const { order, ratio } = s
  for (let i = 1; i < n; i++) {
    const v = order[i]!
    const rv = ratio[v]!
    let j = i - 1
    while (j >= 0 && ratio[order[j]!]! > rv) {
      order[j + 1] = order[j]!
      j--
    }
    order[j + 1] = v
  }
  return n
}

interface CategoricalResult {
  gain: number
  count: number
  reverse: boolean
  oneHot: number
  lg: number
  lh: number
  lc: number
}

function findCategoricalSplit(
  hist: Float64Array,
  off: number,
  nb: number,
  G: number,
  H: number,
  C: number,
  c: SplitConstraints,
  s: SplitScratch,
  parentScore: number,
  counts: BinCounts,
): CategoricalResult | null {
  const { l1, minSamplesLeaf, minChildWeight } = c
  const S = counts.stride
  let used = 0
  for (let b = 0; b <= nb; b++) if (binCount(hist, off + b * S, counts) > 0) used++
  if (used < 2) return null
  let best: CategoricalResult | null = null
  let bestGain = Number.NEGATIVE_INFINITY
  if (used <= c.maxCatToOnehot) {
    const l2 = c.l2
    for (let b = 0; b <= nb; b++) {
      const k = off + b * S
      const lc = binCount(hist, k, counts)
      if (lc <= 0) continue
      const lg = hist[k]!
      const lh = hist[k + 1]!
      if (lc < minSamplesLeaf || lh < minChildWeight) continue
      if (C - lc < minSamplesLeaf || H - lh < minChildWeight) continue
      const gain = leafScore(lg, lh, l1, l2) + leafScore(G - lg, H - lh, l1, l2) - parentScore
      if (gain > bestGain) {
        bestGain = gain
        best = { gain, count: 1, reverse: false, oneHot: b, lg, lh, lc }
      }
    }
    return best
  }
  const l2 = c.l2 + c.catL2
  const n = sortCategories(hist, off, nb, c.catSmooth, s, c.minRowsPerCatLevel, counts)
  const maxTake = Math.min(c.maxCatThreshold, (n + 1) >> 1)
  const minGroup = c.minDataPerGroup
  for (let dir = 0; dir < 2; dir++) {
    const reverse = dir === 1
    let lg = 0
    let lh = 0
    let lc = 0
    let groupCount = 0
    for (let i = 0; i < maxTake; i++) {
      const b = s.order[reverse ? n - 1 - i : i]!
      const k = off + b * S
      const bc = binCount(hist, k, counts)
      lg += hist[k]!
      lh += hist[k + 1]!
      lc += bc
      groupCount += bc
      if (lc < minSamplesLeaf || lh < minChildWeight) continue
      if (C - lc < minSamplesLeaf || C - lc < minGroup || H - lh < minChildWeight) break
      // As LightGBM: only evaluate once another minDataPerGroup rows joined the left side,
      // so a split cannot hinge on a handful of rows from rare categories.
      if (groupCount < minGroup) continue
      groupCount = 0
      const gain = leafScore(lg, lh, l1, l2) + leafScore(G - lg, H - lh, l1, l2) - parentScore
      if (gain > bestGain) {
        bestGain = gain
        best = { gain, count: i + 1, reverse, oneHot: -1, lg, lh, lc }
      }
    }
  }
  return best
}
