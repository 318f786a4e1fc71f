import { performance } from 'node:perf_hooks'
import type { Matrix } from '../core/index.js'
import type { TreeEnsembleView, TreeView } from '../models/estimator.js'
import { EvalInputError, InvalidTreeError } from './errors.js'

/**
 * SHAP values for every row: `values[(row * nOutputs + output) * nFeatures + feature]`.
 * For each row and output, `expectedValue[output] + sum(values) = raw margin`.
 */
export interface TreeShapResult {
  readonly rows: number
  readonly nFeatures: number
  readonly nOutputs: number
  readonly values: Float64Array
  /** Cover-weighted mean raw margin per output (the SHAP base value). */
  readonly expectedValue: Float64Array
  /** True when a deadline stopped the work early: only the first `rows` rows were explained. */
  readonly truncated?: boolean
  /**
   * Seconds one row was projected to take when `minRows` rows could not fit before the deadline
   * and no row was explained (`rows` 0).
   */
  readonly projectedRowSeconds?: number
}

/**
 * A tree prepared for walking: categorical left-sets become Sets and child fractions are
 * precomputed. The fraction of a child is its cover over the sum of both children's covers
 * (equal split when both are 0), used both for TreeSHAP and the expected value so that
 * additivity holds even if a model's covers do not add up exactly.
 */
interface PreparedTree {
  readonly tree: TreeView
  readonly output: number
  /**
   * Per node, the left categories of a categorical split with more than SHORT_LEFT_SET of them
   * (shorter ones are read from the tree); null when the tree has no categorical splits.
   */
  readonly leftSets: (Set<number> | null)[] | null
  /** The largest feature index a split uses (-1 when the tree is a single leaf). */
  readonly maxFeature: number
  readonly leftFraction: Float64Array
  readonly maxDepth: number
  readonly expected: number
  /**
   * Gauss–Legendre points that integrate this tree's SHAP polynomials exactly: a leaf's
   * polynomial has degree (distinct features on its path) - 1, which is at most
   * min(depth, features used) - 1, and m points are exact up to degree 2m - 1.
   */
  readonly quadraturePoints: number
}

function prepareTree(
  tree: TreeView,
  output: number,
  nOutputs: number,
  treeIndex: number,
  maxFeature: number,
): PreparedTree {
  const n = tree.left.length
  if (n === 0) throw new InvalidTreeError(`Tree ${treeIndex} has no nodes.`)
  if (output < 0 || output >= nOutputs) {
    throw new InvalidTreeError(
      `Tree ${treeIndex} writes output ${output}; the ensemble has ${nOutputs} outputs.`,
    )
  }
  const { left, right, cover, categorical } = tree
  // only trees with categorical splits need the per-node sets (most trees have none)
  const leftSets: (Set<number> | null)[] | null =
    categorical === undefined ? null : new Array<Set<number> | null>(n).fill(null)
  const leftFraction = new Float64Array(n)
  const depth = new Int32Array(n)
  // distinct split features, counted in a typed array: a Set per node dominated deep forests
  const used = new Uint8Array(maxFeature + 1)
  let usedCount = 0
  let maxDepth = 0
  for (let i = 0; i < n; i++) {
    const l = left[i]!
    if (l === -1) continue
    const r = right[i]!
    if (l <= i || r <= i || l >= n || r >= n) {
      // children after parents rules out cycles and makes the depth bound below valid
      throw new InvalidTreeError(
        `Tree ${treeIndex} node ${i} has children ${l} and ${r}; children must have larger indices within [0, ${n}).`,
      )
    }
    const cl = cover[l]!
    const cr = cover[r]!
    leftFraction[i] = cl + cr > 0 ? cl / (cl + cr) : 0.5
    if (leftSets !== null && categorical?.[i] === 1) {
      // short left-sets (forests store one category per split) are scanned in place: a Set per
      // node cost more to build than the lookups it saves
      const cats = tree.categoriesLeft?.[i] ?? []
      if (cats.length > SHORT_LEFT_SET) leftSets[i] = new Set(cats)
    }
    // parents come before children, so depth[i] is final here
    const d = depth[i]! + 1
    depth[l] = d
    depth[r] = d
    if (d > maxDepth) maxDepth = d
    const f = tree.feature[i]!
    if (used[f] === 0) {
      used[f] = 1
      usedCount++
    }
  }
  const expectation = new Float64Array(n)
  // children have larger indices, so a reverse sweep sees both children before the parent
  for (let i = n - 1; i >= 0; i--) {
    const l = left[i]!
    expectation[i] =
      l === -1
        ? tree.value[i]!
        : leftFraction[i]! * expectation[l]! + (1 - leftFraction[i]!) * expectation[right[i]!]!
  }
  const quadraturePoints = Math.max(1, Math.ceil(Math.min(maxDepth, usedCount) / 2))
  return {
    tree,
    output,
    leftSets,
    maxFeature,
    leftFraction,
    maxDepth,
    expected: expectation[0]!,
    quadraturePoints,
  }
}

/** True when row `x` (at `offset`) goes to the left child of `node`. */
function goesLeft(prepared: PreparedTree, node: number, x: Float64Array, offset: number): boolean {
  const { tree } = prepared
  const v = x[offset + tree.feature[node]!]!
  if (Number.isNaN(v)) return tree.defaultLeft[node] === 1
  const sets = prepared.leftSets
  if (sets !== null && tree.categorical?.[node] === 1) {
    const set = sets[node]
    if (set !== null && set !== undefined) return set.has(v)
    // Array#includes and Set#has both compare with SameValueZero, so routing is unchanged
    return (tree.categoriesLeft?.[node] ?? []).includes(v)
  }
  return v <= tree.threshold[node]!
}

/**
 * Raw margins of an ensemble for each row: `out[row * nOutputs + output]`, baseScore plus
 * treeWeight times the sum of reached leaf values.
 */
export function treeEnsembleMargin(ensemble: TreeEnsembleView, x: Matrix): Float64Array {
  const prepared = prepareEnsemble(ensemble, x)
  const k = ensemble.nOutputs
  const out = new Float64Array(x.rows * k)
  for (let r = 0; r < x.rows; r++) {
    for (let o = 0; o < k; o++) out[r * k + o] = ensemble.baseScore[o]!
    for (const p of prepared) {
      let node = 0
      while (p.tree.left[node] !== -1)
        node = goesLeft(p, node, x.data, r * x.cols) ? p.tree.left[node]! : p.tree.right[node]!
      out[r * k + p.output]! += ensemble.treeWeight * p.tree.value[node]!
    }
  }
  return out
}

/**
 * What both algorithms need of the prepared trees before the rows: the expected value per output
 * (base score plus each tree's weighted expectation), the deepest tree and the most quadrature
 * points (the sizes of their workspaces).
 */
function ensembleSummary(
  ensemble: TreeEnsembleView,
  prepared: readonly PreparedTree[],
): { expectedValue: Float64Array; maxDepth: number; maxPoints: number } {
  const expectedValue = Float64Array.from(ensemble.baseScore)
  let maxDepth = 0
  let maxPoints = 1
  for (const p of prepared) {
    expectedValue[p.output]! += ensemble.treeWeight * p.expected
    maxDepth = Math.max(maxDepth, p.maxDepth)
    maxPoints = Math.max(maxPoints, p.quadraturePoints)
  }
  return { expectedValue, maxDepth, maxPoints }
}

/** Left-sets up to this many categories are scanned as arrays rather than built into Sets. */
const SHORT_LEFT_SET = 8

/**
 * Prepared trees per ensemble view. Preparing a deep forest (millions of nodes) costs seconds,
 * and one fitted model is explained several times after training (report, monitoring
 * importance, serving), so the work is done once per view; views are read-only snapshots of a
 * fitted model, which never changes. Weak keys let a dropped model take its trees with it.
 */
const preparedCache = new WeakMap<TreeEnsembleView, readonly PreparedTree[]>()

/**
 * The largest feature index tree `treeIndex` splits on; throws when a split's feature is not a
 * column of x (`cols`), naming the first such node.
 */
function checkFeatures(tree: TreeView, treeIndex: number, cols: number): number {
  let maxFeature = -1
  for (let node = 0; node < tree.feature.length; node++) {
    if (tree.left[node] === -1) continue
    const f = tree.feature[node]!
    if (f < 0 || f >= cols) {
      throw new EvalInputError(
        `Tree ${treeIndex} splits on feature ${f}, but x has ${cols} columns. Pass the model's feature columns.`,
        { tree: treeIndex, feature: f, cols },
      )
    }
    if (f > maxFeature) maxFeature = f
  }
  return maxFeature
}

function prepareEnsemble(ensemble: TreeEnsembleView, x: Matrix): readonly PreparedTree[] {
  if (ensemble.baseScore.length !== ensemble.nOutputs) {
    throw new InvalidTreeError(
      `baseScore has ${ensemble.baseScore.length} values for ${ensemble.nOutputs} outputs; pass one per output.`,
    )
  }
  const cached = preparedCache.get(ensemble)
  if (cached !== undefined) {
    // the trees are known valid; only x's width can differ between calls
    for (let i = 0; i < cached.length; i++) {
      if (cached[i]!.maxFeature >= x.cols) checkFeatures(cached[i]!.tree, i, x.cols)
    }
    return cached
  }
  const prepared = ensemble.trees.map(({ tree, output }, i) =>
    prepareTree(tree, output, ensemble.nOutputs, i, checkFeatures(tree, i, x.cols)),
  )
  preparedCache.set(ensemble, prepared)
  return prepared
}

/**
 * Path state of Algorithm 2 in Lundberg, Erion & Lee (2018), "Consistent Individualized
 * Feature Attribution for Tree Ensembles", stored as flat arrays. Each recursion level owns a
 * slice starting at `offset`; a child's slice starts right after its parent's so that the
 * parent's path survives the child's unwinding.
 */
class PathBuffer {
  readonly feature: Int32Array
  readonly zero: Float64Array
  readonly one: Float64Array
  readonly weight: Float64Array
  constructor(size: number) {
    this.feature = new Int32Array(size)
    this.zero = new Float64Array(size)
    this.one = new Float64Array(size)
    this.weight = new Float64Array(size)
  }

  copy(from: number, to: number, count: number): void {
    // paths are short (tree depth), where a plain loop beats four copyWithin calls
    for (let i = 0; i < count; i++) {
      this.feature[to + i] = this.feature[from + i]!
      this.zero[to + i] = this.zero[from + i]!
      this.one[to + i] = this.one[from + i]!
      this.weight[to + i] = this.weight[from + i]!
    }
  }

  extend(p: number, depth: number, zeroFraction: number, oneFraction: number, feature: number): void {
    this.feature[p + depth] = feature
    this.zero[p + depth] = zeroFraction
    this.one[p + depth] = oneFraction
    this.weight[p + depth] = depth === 0 ? 1 : 0
    for (let i = depth - 1; i >= 0; i--) {
      this.weight[p + i + 1]! += (oneFraction * this.weight[p + i]! * (i + 1)) / (depth + 1)
      this.weight[p + i] = (zeroFraction * this.weight[p + i]! * (depth - i)) / (depth + 1)
    }
  }

  unwind(p: number, depth: number, pathIndex: number): void {
    const oneFraction = this.one[p + pathIndex]!
    const zeroFraction = this.zero[p + pathIndex]!
    let nextOnePortion = this.weight[p + depth]!
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = this.weight[p + i]!
        this.weight[p + i] = (nextOnePortion * (depth + 1)) / ((i + 1) * oneFraction)
        nextOnePortion = tmp - (this.weight[p + i]! * zeroFraction * (depth - i)) / (depth + 1)
      } else {
        this.weight[p + i] = (this.weight[p + i]! * (depth + 1)) / (zeroFraction * (depth - i))
      }
    }
    for (let i = pathIndex; i < depth; i++) {
      this.feature[p + i] = this.feature[p + i + 1]!
      this.zero[p + i] = this.zero[p + i + 1]!
      this.one[p + i] = this.one[p + i + 1]!
    }
  }

  unwoundSum(p: number, depth: number, pathIndex: number): number {
    const oneFraction = this.one[p + pathIndex]!
    const zeroFraction = this.zero[p + pathIndex]!
    let nextOnePortion = this.weight[p + depth]!
    let total = 0
    for (let i = depth - 1; i >= 0; i--) {
      if (oneFraction !== 0) {
        const tmp = (nextOnePortion * (depth + 1)) / ((i + 1) * oneFraction)
        total += tmp
        nextOnePortion = this.weight[p + i]! - (tmp * zeroFraction * (depth - i)) / (depth + 1)
      } else if (zeroFraction !== 0) {
        total += this.weight[p + i]! / zeroFraction / ((depth - i) / (depth + 1))
      }
    }
    return total
  }
}

function shapTree(
  prepared: PreparedTree,
  x: Float64Array,
  offset: number,
  phi: Float64Array,
  phiOffset: number,
  scale: number,
  path: PathBuffer,
): void {
  const { tree, leftFraction } = prepared
  const recurse = (
    node: number,
    depth: number,
    parentOffset: number,
    parentZero: number,
    parentOne: number,
    parentFeature: number,
  ): void => {
    const p = parentOffset + depth
    path.copy(parentOffset, p, depth)
    path.extend(p, depth, parentZero, parentOne, parentFeature)
    const left = tree.left[node]!
    if (left === -1) {
      const value = tree.value[node]! * scale
      for (let i = 1; i <= depth; i++) {
        const w = path.unwoundSum(p, depth, i)
        phi[phiOffset + path.feature[p + i]!]! += w * (path.one[p + i]! - path.zero[p + i]!) * value
      }
      return
    }
    const right = tree.right[node]!
    const isLeft = goesLeft(prepared, node, x, offset)
    const hot = isLeft ? left : right
    const cold = isLeft ? right : left
    const hotFraction = isLeft ? leftFraction[node]! : 1 - leftFraction[node]!
    const coldFraction = 1 - hotFraction
    const splitFeature = tree.feature[node]!
    let incomingZero = 1
    let incomingOne = 1
    let pathIndex = 0
    while (pathIndex <= depth && path.feature[p + pathIndex] !== splitFeature) pathIndex++
    let d = depth
    if (pathIndex !== depth + 1) {
      // the feature was split on higher up: undo that split so it counts once
      incomingZero = path.zero[p + pathIndex]!
      incomingOne = path.one[p + pathIndex]!
      path.unwind(p, d, pathIndex)
      d -= 1
    }
    recurse(hot, d + 1, p, hotFraction * incomingZero, incomingOne, splitFeature)
    recurse(cold, d + 1, p, coldFraction * incomingZero, 0, splitFeature)
  }
  recurse(0, 0, 0, 1, 1, -1)
}

/**
 * Gauss–Legendre nodes and weights on [0, 1] for `m` points (Newton's method on P_m from the
 * Chebyshev-like initial guesses; converges to machine precision in a few steps).
 */
function gaussLegendre01(m: number): { t: Float64Array; w: Float64Array } {
  const t = new Float64Array(m)
  const w = new Float64Array(m)
  for (let i = 0; i < Math.ceil(m / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (m + 0.5))
    let dp = 0
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1
      let p1 = x
      for (let k = 2; k <= m; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k
        p0 = p1
        p1 = p2
      }
      const pm = m === 1 ? x : p1
      const pm1 = m === 1 ? 1 : p0
      dp = (m * (x * pm - pm1)) / (x * x - 1)
      const dx = pm / dp
      x -= dx
      if (Math.abs(dx) < 1e-16) break
    }
    const weight = 2 / ((1 - x * x) * dp * dp)
    // map [-1, 1] to [0, 1]: t = (1 - x) / 2 keeps nodes ascending, weights halve
    t[i] = (1 - x) / 2
    w[i] = weight / 2
    t[m - 1 - i] = (1 + x) / 2
    w[m - 1 - i] = weight / 2
  }
  return { t, w }
}

const quadratureCache = new Map<number, { t: Float64Array; w: Float64Array }>()

function quadrature(m: number): { t: Float64Array; w: Float64Array } {
  let q = quadratureCache.get(m)
  if (q === undefined) {
    q = gaussLegendre01(m)
    quadratureCache.set(m, q)
  }
  return q
}

/**
 * Scratch space of {@link shapTreeLinear}: per path level, the node, the entering edge's feature
 * and its combined zero/one fractions, the ancestor level splitting on the same feature, and `m`
 * polynomial values each for the path product G, the edge factor P, the subtree sum H and the
 * part of H owned by deeper edges on the same feature (Sub).
 */
class LinearWorkspace {
  readonly node: Int32Array
  readonly state: Uint8Array
  readonly feature: Int32Array
  readonly zero: Float64Array
  readonly one: Float64Array
  readonly prev: Int32Array
  readonly g: Float64Array
  readonly p: Float64Array
  readonly h: Float64Array
  readonly sub: Float64Array
  readonly lastLevel: Int32Array
  constructor(
    readonly levels: number,
    readonly m: number,
    nFeatures: number,
  ) {
    this.node = new Int32Array(levels)
    this.state = new Uint8Array(levels)
    this.feature = new Int32Array(levels)
    this.zero = new Float64Array(levels)
    this.one = new Float64Array(levels)
    this.prev = new Int32Array(levels)
    this.g = new Float64Array(levels * m)
    this.p = new Float64Array(levels * m)
    this.h = new Float64Array(levels * m)
    this.sub = new Float64Array(levels * m)
    this.lastLevel = new Int32Array(nFeatures).fill(-1)
  }
}

/**
 * Exact path-dependent TreeSHAP of one row and tree in O(nodes × m) time, m ≈ min(depth,
 * features) / 2, instead of Algorithm 2's O(leaves × depth²).
 *
 * For a leaf l with distinct path features F (combined zero fraction a_k = product of cover
 * fractions, one fraction b_k = product of "x follows this edge" indicators), the Shapley
 * weights |S|!(|F|-|S|-1)!/|F|! are Beta integrals, so
 *   φ_j(l) = v_l (b_j − a_j) ∫₀¹ Π_{k∈F, k≠j} (a_k + (b_k − a_k) t) dt,
 * a polynomial integral that Gauss–Legendre quadrature computes exactly. Writing
 * G_l(t) = Π_{k∈F} (a_k + (b_k − a_k) t), φ_j(l) = Σ_i w_i v_l G_l(t_i) (b_j − a_j) / p_j(t_i).
 * The leaves that share feature j's deepest edge e on their path share (a_j, b_j), so their sum
 * H is formed bottom-up once per node and each edge contributes its part in O(m) (the same idea
 * as Linear TreeShap, Yu et al. 2022, with quadrature in place of interpolation).
 */
function shapTreeLinear(
  prepared: PreparedTree,
  x: Float64Array,
  offset: number,
  phi: Float64Array,
  phiOffset: number,
  scale: number,
  ws: LinearWorkspace,
): void {
  const { tree, leftFraction } = prepared
  const m = prepared.quadraturePoints
  const q = quadrature(m)
  const qt = q.t
  const qw = q.w
  const M = ws.m
  const { node, state, feature, zero, one, prev, g, p, h, sub, lastLevel } = ws
  node[0] = 0
  state[0] = 0
  feature[0] = -1
  for (let i = 0; i < m; i++) {
    g[i] = 1
    h[i] = 0
  }
  let level = 0
  while (level >= 0) {
    const n = node[level]!
    const base = level * M
    const left = tree.left[n]!
    if (left === -1 || state[level] === 2) {
      if (left === -1) {
        const v = tree.value[n]! * scale
        for (let i = 0; i < m; i++) h[base + i] = v * g[base + i]!
      }
      // the node is finished: attribute its entering edge and hand H to the parent
      if (level > 0) {
        const f = feature[level]!
        const diff = one[level]! - zero[level]!
        if (diff !== 0) {
          let acc = 0
          for (let i = 0; i < m; i++) acc += (qw[i]! * (h[base + i]! - sub[base + i]!)) / p[base + i]!
          phi[phiOffset + f]! += diff * acc
        }
        const pl = prev[level]!
        const parentBase = base - M
        if (pl >= 0) {
          const pb = pl * M
          for (let i = 0; i < m; i++) sub[pb + i]! += h[base + i]!
        }
        for (let i = 0; i < m; i++) h[parentBase + i]! += h[base + i]!
        lastLevel[f] = pl
      }
      level--
      continue
    }
    // descend into the next child: 0 → left, 1 → right
    const which = state[level]!
    state[level] = which + 1
    const child = which === 0 ? left : tree.right[n]!
    const f = tree.feature[n]!
    const followsLeft = goesLeft(prepared, n, x, offset)
    const indicator = (which === 0) === followsLeft ? 1 : 0
    const fraction = which === 0 ? leftFraction[n]! : 1 - leftFraction[n]!
    const pl = lastLevel[f]!
    const aPrev = pl >= 0 ? zero[pl]! : 1
    const bPrev = pl >= 0 ? one[pl]! : 1
    const a = aPrev * fraction
    const b = bPrev * indicator
    // a subtree with zero cover that the row does not reach contributes nothing to any feature
    if (a === 0 && b === 0) continue
    const c = level + 1
    const cb = c * M
    const base2 = level * M
    node[c] = child
    state[c] = 0
    feature[c] = f
    zero[c] = a
    one[c] = b
    prev[c] = pl
    lastLevel[f] = c
    const pb = pl * M
    for (let i = 0; i < m; i++) {
      const t = qt[i]!
      const pe = a + (b - a) * t
      p[cb + i] = pe
      g[cb + i] = pl >= 0 ? (g[base2 + i]! * pe) / p[pb + i]! : g[base2 + i]! * pe
      h[cb + i] = 0
      sub[cb + i] = 0
    }
    level = c
  }
}

/** Options of {@link treeShap}. */
export interface TreeShapOptions {
  /**
   * Stop after the row during which `performance.now()` passes this time (ms): the result then
   * holds the rows done so far (`rows` < x.rows, `truncated` true). At least one row is explained,
   * unless `minRows` says none.
   */
  readonly deadlineMs?: number
  /**
   * With a deadline: explain no row at all (`rows` 0, `projectedRowSeconds` set) when the rows
   * done so far project fewer than a quarter of this many before it (see RowCostProjection). A
   * handful of rows through a forest of full-depth trees is one row's local story, and each costs
   * seconds.
   */
  readonly minRows?: number
}

/**
 * The cost of a row is projected from the work done so far (nodes, over the ensemble's total),
 * from the rate over about the latter half of the time so far, at every tree from this many ms on
 * until a quarter of the budget is spent. The first tens of milliseconds run far slower than the
 * rest while the code compiles (measured on a 200-tree forest of full-depth trees: 1.3 s a row
 * projected at 40 ms, 196 ms at 50 ms, 79 ms at 100 ms, 65 ms warm), so an earlier rate would
 * skip summaries that fit.
 */
const PROJECTION_FROM_MS = 100
/** The share of the budget the projection may spend before the rows simply run to the deadline. */
const PROJECTION_SHARE = 0.25
/**
 * How far the projection must fall short of `minRows` rows, in two windows in a row, before no row
 * is explained. The first TreeSHAP call of a process on a loaded machine is the least warm: in CI
 * an 8-tree forest on 1,200 rows projected 70 ms a row at 100 ms, and then ran 5 ms a row.
 */
const PROJECTION_MARGIN = 4

/**
 * The cost of a row, projected from the nodes done so far over the ensemble's total while the rows
 * run, and whether to give up: fewer than `minRows / PROJECTION_MARGIN` rows fit before the
 * deadline, by two windows in a row (a rate still improving, as code warms up, gets another).
 */
class RowCostProjection {
  private readonly started = performance.now()
  private readonly until: number
  private active = true
  private nodesDone = 0
  /** The start of the window the rate is measured over (0: not set yet), moved up as rows run. */
  private fromMs = 0
  private fromNodes = 0
  /** Whether the projection at the end of the previous window fell short. */
  private missedBefore = false

  constructor(
    private readonly nodesTotal: number,
    private readonly deadline: number,
    private readonly minRows: number,
  ) {
    this.until = this.started + (deadline - this.started) * PROJECTION_SHARE
  }

  /** Called before a tree of `nodes` nodes runs: the projected ms a row when the rows should stop, else null. */
  beforeTree(nodes: number): number | null {
    if (!this.active) return null
    const now = performance.now()
    const elapsed = now - this.started
    if (now > this.until) this.active = false
    else if (this.fromMs === 0) {
      if (elapsed >= PROJECTION_FROM_MS / 2) this.moveWindow(elapsed)
    } else if (elapsed >= PROJECTION_FROM_MS && this.nodesDone > this.fromNodes) {
      const rowMs = ((elapsed - this.fromMs) * this.nodesTotal) / (this.nodesDone - this.fromNodes)
      // Rows that fit: those done, and those the rate allows before the deadline.
      const fit = this.nodesDone / this.nodesTotal + (this.deadline - now) / rowMs
      const miss = fit < this.minRows / PROJECTION_MARGIN
      if (miss && this.missedBefore) return rowMs
      if (elapsed >= 2 * this.fromMs) {
        this.moveWindow(elapsed)
        this.missedBefore = miss
      }
    }
    this.nodesDone += nodes
    return null
  }

  private moveWindow(elapsed: number): void {
    this.fromMs = elapsed
    this.fromNodes = this.nodesDone
  }
}

/**
 * Exact path-dependent TreeSHAP (the values of Lundberg et al. 2018, Algorithm 2) for every row
 * of `x`: an absent feature follows both children in proportion to their training cover.
 * Computed in O(nodes × min(depth, features)) per row and tree (see {@link shapTreeLinear}), so
 * deep trees cost no more per node than shallow ones. Numeric, categorical and missing-value
 * routing follow the {@link TreeView} rules, so every row is explained along the path the model
 * itself takes.
 * @throws EvalInputError when a tree splits on a column `x` does not have.
 * @throws InvalidTreeError when a tree's child indices are malformed.
 * @example
 * const shap = treeShap(model.treeEnsemble(), x)
 * const global = meanAbsShap(shap)
 */
export function treeShap(
  ensemble: TreeEnsembleView,
  x: Matrix,
  options: TreeShapOptions = {},
): TreeShapResult {
  const prepared = prepareEnsemble(ensemble, x)
  const nOutputs = ensemble.nOutputs
  const nFeatures = x.cols
  const { expectedValue, maxDepth, maxPoints } = ensembleSummary(ensemble, prepared)
  const ws = new LinearWorkspace(maxDepth + 2, maxPoints, nFeatures)
  let values = new Float64Array(x.rows * nOutputs * nFeatures)
  let rows = x.rows
  const deadline = options.deadlineMs
  const minRows = Math.min(options.minRows ?? 0, x.rows)
  let nodesTotal = 0
  for (const p of prepared) nodesTotal += p.tree.left.length
  const projection =
    deadline !== undefined && minRows > 1 ? new RowCostProjection(nodesTotal, deadline, minRows) : null
  for (let r = 0; r < x.rows; r++) {
    for (const p of prepared) {
      const rowMs = projection?.beforeTree(p.tree.left.length) ?? null
      if (rowMs !== null)
        return {
          rows: 0,
          nFeatures,
          nOutputs,
          values: new Float64Array(0),
          expectedValue,
          truncated: true,
          projectedRowSeconds: rowMs / 1000,
        }
      shapTreeLinear(
        p,
        x.data,
        r * x.cols,
        values,
        (r * nOutputs + p.output) * nFeatures,
        ensemble.treeWeight,
        ws,
      )
    }
    if (deadline !== undefined && r + 1 < x.rows && performance.now() > deadline) {
      rows = r + 1
      values = values.slice(0, rows * nOutputs * nFeatures)
      break
    }
  }
  return {
    rows,
    nFeatures,
    nOutputs,
    values,
    expectedValue,
    ...(rows < x.rows ? { truncated: true } : {}),
  }
}

/**
 * Algorithm 2 of Lundberg et al. (2018) as published: O(leaves × depth²) per row and tree.
 * Kept as the reference {@link treeShap} is tested against; prefer {@link treeShap}.
 */
export function treeShapReference(ensemble: TreeEnsembleView, x: Matrix): TreeShapResult {
  const prepared = prepareEnsemble(ensemble, x)
  const nOutputs = ensemble.nOutputs
  const nFeatures = x.cols
  const { expectedValue, maxDepth } = ensembleSummary(ensemble, prepared)
  const slots = maxDepth + 2
  const path = new PathBuffer((slots * (slots + 1)) / 2 + slots)
  const values = new Float64Array(x.rows * nOutputs * nFeatures)
  for (let r = 0; r < x.rows; r++) {
    for (const p of prepared) {
      shapTree(
        p,
        x.data,
        r * x.cols,
        values,
        (r * nOutputs + p.output) * nFeatures,
        ensemble.treeWeight,
        path,
      )
    }
  }
  return { rows: x.rows, nFeatures, nOutputs, values, expectedValue }
}

/** SHAP values of one row and output as a new array (length nFeatures). */
export function shapRow(result: TreeShapResult, row: number, output = 0): Float64Array {
  const start = (row * result.nOutputs + output) * result.nFeatures
  return result.values.slice(start, start + result.nFeatures)
}

/**
 * Global importance: mean |SHAP| per feature over rows, for one output or (default) summed
 * over outputs.
 */
export function meanAbsShap(result: TreeShapResult, output?: number): Float64Array {
  const out = new Float64Array(result.nFeatures)
  if (result.rows === 0) return out
  for (let r = 0; r < result.rows; r++) {
    for (let o = 0; o < result.nOutputs; o++) {
      if (output !== undefined && o !== output) continue
      const start = (r * result.nOutputs + o) * result.nFeatures
      for (let f = 0; f < result.nFeatures; f++) out[f]! += Math.abs(result.values[start + f]!)
    }
  }
  for (let f = 0; f < result.nFeatures; f++) out[f]! /= result.rows
  return out
}
