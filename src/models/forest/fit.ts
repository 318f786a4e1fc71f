import type { Matrix } from '../../core/index.js'
import { InvalidArgumentError, Rng, ShapeMismatchError } from '../../core/index.js'
import type { FitOptions } from '../estimator.js'
import { binFeatures } from '../tree/index.js'
import type { ForestState } from './ensemble.js'
import { assembleForest, meanDecreaseImpurity, outOfBag } from './ensemble.js'
import type { GrowData, GrowSettings } from './grow-types.js'
import { CRITERION, virtualFeatureCount } from './grow-types.js'
import type { TreeCommonParams } from './params.js'
import { resolveMaxFeatures, resolveThreads } from './params.js'
import { growTrees } from './pool.js'

/** Everything `fit` learns, before it is wrapped in a fitted model. @internal */
export interface FitResult {
  readonly state: ForestState
  readonly importance: Float64Array
  readonly nClasses: number
  readonly featureNames: readonly string[]
  /** Out-of-bag sums divided by counts (NaN rows: never out of bag); null without oobScore. */
  readonly oobPrediction: Float64Array | null
  readonly oobScore: number | null
}

/** How a tree or forest is trained. @internal */
export interface FitPlan {
  readonly task: 'classification' | 'regression'
  readonly params: TreeCommonParams & { readonly criterion: 'gini' | 'entropy' | 'squared-error' }
  readonly nTrees: number
  readonly bootstrap: boolean
  readonly oobScore: boolean
  readonly threads: number
}

function checkInputs(x: Matrix, y: Float64Array, options: FitOptions): void {
  if (x.data.length !== x.rows * x.cols)
    throw new ShapeMismatchError(
      `x.data has ${x.data.length} values; expected rows*cols = ${x.rows * x.cols}.`,
    )
  if (y.length !== x.rows)
    throw new ShapeMismatchError(
      `y has ${y.length} values but x has ${x.rows} rows; pass one target per row.`,
      {
        expected: x.rows,
        received: y.length,
      },
    )
  if (x.rows < 1) throw new InvalidArgumentError('Cannot fit a tree on 0 rows.')
  if (x.cols < 1) throw new InvalidArgumentError('Cannot fit a tree on 0 feature columns.')
  const sw = options.sampleWeight
  if (sw !== undefined) {
    if (sw.length !== x.rows)
      throw new ShapeMismatchError(`sampleWeight has ${sw.length} values; expected ${x.rows} (one per row).`)
    for (let i = 0; i < sw.length; i++) {
      const v = sw[i]!
      if (!(v >= 0 && Number.isFinite(v)))
        throw new InvalidArgumentError(`sampleWeight[${i}] is ${v}; weights must be finite and >= 0.`)
    }
    if (!sw.some((v) => v > 0))
      throw new InvalidArgumentError('Every sampleWeight is 0; at least one row needs a positive weight.')
  }
  const names = options.featureNames
  if (names !== undefined && names.length !== x.cols)
    throw new ShapeMismatchError(`featureNames has ${names.length} names for ${x.cols} columns.`)
}

/** Number of classes in class-code targets (at least 2), checking the codes. */
function classCount(y: Float64Array): number {
  let max = 0
  for (let i = 0; i < y.length; i++) {
    const v = y[i]!
    if (!(Number.isInteger(v) && v >= 0 && v < 65536))
      throw new InvalidArgumentError(
        `Classifier target y[${i}] is ${v}; expected class codes 0..k-1. Encode labels as integers first.`,
      )
    if (v > max) max = v
  }
  return Math.max(2, max + 1)
}

/** Seeds for trees 0..n-1, each forked from the model seed by the tree's index. @internal */
export function treeSeeds(seed: number, nTrees: number): Uint32Array {
  const root = new Rng(seed)
  const seeds = new Uint32Array(nTrees)
  for (let t = 0; t < nTrees; t++) seeds[t] = root.fork(t).nextUint32()
  return seeds
}

function sharedCopy<T extends Float64Array | Int32Array>(
  a: T,
  shared: boolean,
  make: (b: ArrayBufferLike) => T,
): T {
  if (!shared) return a
  const out = make(new SharedArrayBuffer(Math.max(8, a.byteLength)))
  out.set(a)
  return out
}

/** Fits trees on (x, y) as planned. @internal */
export async function fitTrees(
  plan: FitPlan,
  x: Matrix,
  y: Float64Array,
  options: FitOptions,
): Promise<FitResult> {
  checkInputs(x, y, options)
  const { params } = plan
  const classification = plan.task === 'classification'
  if (classification !== (params.criterion !== 'squared-error'))
    throw new InvalidArgumentError(`Criterion '${params.criterion}' does not fit a ${plan.task} model.`)
  const n = x.rows
  const d = x.cols
  let nClasses = 0
  if (classification) nClasses = classCount(y)
  else
    for (let i = 0; i < n; i++)
      if (!Number.isFinite(y[i]!))
        throw new InvalidArgumentError(
          `Regression target y[${i}] is ${y[i]}; targets must be finite numbers.`,
        )
  const threads = resolveThreads(plan.threads, plan.nTrees)
  const shared = threads > 1
  const categorical = new Uint8Array(d)
  for (const c of options.categoricalFeatures ?? []) {
    if (!(Number.isInteger(c) && c >= 0 && c < d))
      throw new InvalidArgumentError(`categoricalFeatures lists column ${c}; x has columns 0..${d - 1}.`)
    if (params.categoricalSplit === 'one-vs-rest') categorical[c] = 1
  }
  const binned = binFeatures(x, params.maxBins, shared, categorical)
  // columns with too many levels to bin exactly fall back to ordinal splits
  const oneVsRest = Uint8Array.from(binned.levels, (lv) => (lv === null ? 0 : 1))
  const yClass = classification
    ? sharedCopy(Int32Array.from(y), shared, (b) => new Int32Array(b, 0, n))
    : null
  const yReg = classification
    ? null
    : sharedCopy(Float64Array.from(y), shared, (b) => new Float64Array(b, 0, n))
  const sw = options.sampleWeight
  const sampleWeight =
    sw === undefined ? null : sharedCopy(Float64Array.from(sw), shared, (b) => new Float64Array(b, 0, n))
  const data: GrowData = {
    n,
    d,
    codes: binned.codes,
    nBins: binned.nBins,
    hasMissing: binned.hasMissing,
    oneVsRest,
    nClasses,
    yClass,
    y: yReg,
    sampleWeight,
  }
  const settings: GrowSettings = {
    criterion: CRITERION[params.criterion],
    maxDepth: params.maxDepth ?? -1,
    minSamplesSplit: params.minSamplesSplit,
    minSamplesLeaf: params.minSamplesLeaf,
    // like a one-hot matrix, each one-vs-rest level counts as a column for maxFeatures
    mtry: resolveMaxFeatures(params.maxFeatures, virtualFeatureCount(data)),
    maxLeafNodes: params.maxLeafNodes ?? 0,
    bootstrap: plan.bootstrap,
    keepInBag: plan.oobScore,
  }
  const trees = await growTrees(data, settings, treeSeeds(params.seed, plan.nTrees), threads)
  const nOutputs = classification ? nClasses : 1
  const state = assembleForest(trees, binned, nOutputs)
  const importance = meanDecreaseImpurity(trees, d)
  let oobPrediction: Float64Array | null = null
  let oobScore: number | null = null
  if (plan.oobScore) {
    const { sum, count } = outOfBag(trees, state, x)
    oobPrediction = new Float64Array(n * nOutputs)
    let used = 0
    let hits = 0
    let sse = 0
    let sy = 0
    let syy = 0
    for (let r = 0; r < n; r++) {
      const c = count[r]!
      if (c === 0) {
        oobPrediction.fill(Number.NaN, r * nOutputs, (r + 1) * nOutputs)
        continue
      }
      used++
      if (classification) {
        let best = 0
        let total = 0
        for (let o = 0; o < nOutputs; o++) total += sum[r * nOutputs + o]!
        for (let o = 0; o < nOutputs; o++) {
          const p = sum[r * nOutputs + o]! / total
          oobPrediction[r * nOutputs + o] = p
          if (p > oobPrediction[r * nOutputs + best]!) best = o
        }
        if (best === y[r]) hits++
      } else {
        const p = sum[r]! / c
        oobPrediction[r] = p
        sse += (y[r]! - p) ** 2
        sy += y[r]!
        syy += y[r]! * y[r]!
      }
    }
    if (used > 0) {
      if (classification) oobScore = hits / used
      else {
        const sst = syy - (sy * sy) / used
        oobScore = sst > 0 ? 1 - sse / sst : 0
      }
    }
  }
  const featureNames = options.featureNames ?? Array.from({ length: d }, (_, i) => `f${i}`)
  return { state, importance, nClasses, featureNames: [...featureNames], oobPrediction, oobScore }
}
