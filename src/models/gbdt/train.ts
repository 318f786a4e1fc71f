import type { Matrix } from '../../core/index.js'
import { Rng } from '../../core/index.js'
import { allocFloat64, allocInt32, allocUint8 } from '../../runtime/index.js'
import type { IterationInfo } from '../estimator.js'
import type { Tree } from '../tree/index.js'
import { type BinMapper, binMatrix, fitBinMapper } from '../tree/index.js'
import { type GrowerParams, growTree } from './grower.js'
import { type HistogramBuilder, localHistogramBuilder, workerHistogramBuilder } from './hist-pool.js'
import {
  HESSIAN_HIST_STRIDE,
  HIST_STRIDE,
  type HistogramInputs,
  type HistStride,
  type RowBuffer,
} from './histogram.js'
import type { Objective } from './objectives.js'
import { rowGradients, weightedQuantile } from './objectives.js'
import type { GbdtCommonParams } from './params.js'
import { resolveThreads, usesHessianCounts } from './params.js'
import type { ScoreInputs } from './round.js'
import { allocArena, arenaViews } from './wasm-hist.js'

/** Below this many cells (rows x features) training stays on one thread: starting workers costs more. */
const MIN_PARALLEL_CELLS = 400_000
/** Training rows the per-round training loss is computed on (evenly spaced beyond this). */
const TRAIN_LOSS_SAMPLE = 65_536
/** Memory allowed for the histogram pool before leaves start sharing slots. */
const HIST_POOL_BYTES = 256 * 1024 * 1024

/** Fitted ensemble state produced by `trainEnsemble`. */
export interface EnsembleState {
  readonly nOutputs: number
  readonly baseScore: Float64Array
  readonly trees: readonly Tree[]
  /** Output (class) each tree adds to. */
  readonly treeOutput: Int32Array
  /** Boosting rounds kept (after early stopping: the best round). */
  readonly nRounds: number
  readonly importanceGain: Float64Array
  readonly importanceSplit: Float64Array
  /** Validation loss per round when early stopping ran (index 0 = base score only). */
  readonly validationLoss: readonly number[]
}

export interface TrainInput {
  readonly x: Matrix
  readonly y: Float64Array
  /** Row weights (already multiplied by class weights), or null. */
  readonly weight: Float64Array | null
  /** Rows of x used for fitting (null: all). */
  readonly trainRows: Int32Array | null
  /** Rows used for early stopping: either rows of x, or a separate matrix. */
  readonly validation:
    | { readonly kind: 'rows'; readonly rows: Int32Array }
    | { readonly kind: 'matrix'; readonly x: Matrix; readonly y: Float64Array }
    | null
  readonly categorical: ReadonlySet<number>
  readonly featureNames: readonly string[]
  readonly onIteration?: (info: IterationInfo) => void
}

function pick(v: Float64Array, rows: Int32Array | null): Float64Array {
  if (rows === null) return v
  const out = new Float64Array(rows.length)
  for (let i = 0; i < rows.length; i++) out[i] = v[rows[i]!]!
  return out
}

/** Routes binned rows through a freshly grown tree (the split masks are in bin space). */
function leafOfBinned(
  tree: Tree,
  masks: readonly (Uint8Array | null)[],
  bins: Uint8Array,
  nRows: number,
  r: number,
): number {
  let node = 0
  let f = tree.feature[0]!
  while (f >= 0) {
    node = masks[node]![bins[f * nRows + r]!] === 1 ? tree.left[node]! : tree.right[node]!
    f = tree.feature[node]!
  }
  return node
}

/** The training loss on TRAIN_LOSS_SAMPLE evenly spaced rows, read from the live scores. */
function trainLossSample(
  objective: Objective,
  raw: Float64Array,
  y: Float64Array,
  w: Float64Array | null,
  n: number,
  K: number,
): { loss(): number } {
  const m = TRAIN_LOSS_SAMPLE
  const rows = Int32Array.from({ length: m }, (_, i) => Math.floor((i * n) / m))
  const ys = Float64Array.from(rows, (r) => y[r]!)
  const ws = w === null ? null : Float64Array.from(rows, (r) => w[r]!)
  const rs = new Float64Array(m * K)
  return {
    loss() {
      for (let i = 0; i < m; i++) for (let k = 0; k < K; k++) rs[i * K + k] = raw[rows[i]! * K + k]!
      return objective.loss(rs, ys, ws, m)
    },
  }
}

/**
 * Boosts trees on binned data. The caller has checked shapes and params; this only trains.
 */
export async function trainEnsemble(
  input: TrainInput,
  objective: Objective,
  p: GbdtCommonParams,
): Promise<EnsembleState> {
  const { x, categorical, featureNames } = input
  const nFeatures = x.cols
  const trainRows = input.trainRows
  const n = trainRows === null ? x.rows : trainRows.length
  const y = pick(input.y, trainRows)
  const w = input.weight === null ? null : pick(input.weight, trainRows)
  const K = objective.nOutputs

  const threads = resolveThreads(p.threads)
  const useWorkers = threads > 1 && n * nFeatures >= MIN_PARALLEL_CELLS && nFeatures > 1
  const mapper: BinMapper = fitBinMapper(x, p.maxBins, categorical, featureNames, p.seed, trainRows)
  const histStride: HistStride = usesHessianCounts(p.histogramCounts, n) ? HESSIAN_HIST_STRIDE : HIST_STRIDE
  const histSize = mapper.totalBins * histStride
  const nSlots = Math.max(3, Math.min(p.maxLeaves + 1, Math.floor(HIST_POOL_BYTES / (histSize * 8))))
  const fullRows = p.subsample >= 1
  // One output, a row-local loss and every row in every tree: the score update and the next
  // gradients run as one pass on every thread, straight into the root's row buffer (round.ts).
  const scorePass = K === 1 && fullRows && rowGradients(objective.kind) !== null
  // One WebAssembly memory for the hot buffers lets the histogram kernel run in wasm; without
  // WebAssembly (or beyond 2 GiB) they are plain (shared) typed arrays and the JS loop runs.
  const arena = allocArena(
    n,
    nFeatures,
    nSlots * histSize,
    scorePass ? { weights: w !== null, maxLeaves: p.maxLeaves } : null,
  )
  const rowBuffer = (): RowBuffer => ({
    rows: allocInt32(n, useWorkers),
    grad: allocFloat64(n, useWorkers),
    hess: allocFloat64(n, useWorkers),
  })
  const buffers =
    arena === null
      ? {
          bins: allocUint8(n * nFeatures, useWorkers),
          buf: [rowBuffer(), rowBuffer()] as const,
          histPool: allocFloat64(nSlots * histSize, useWorkers),
        }
      : arenaViews(arena, n, nFeatures, nSlots * histSize)
  const inputs: HistogramInputs = {
    ...buffers,
    bins: binMatrix(x, mapper, trainRows, buffers.bins),
    nRows: n,
    featureOffset: mapper.featureOffset,
    nBins: mapper.nBins,
    histSize,
    histStride,
    ...(arena === null ? {} : { arena }),
  }
  const bins = inputs.bins
  const features = allocInt32(nFeatures, useWorkers)
  const baseScore = objective.initScore(y, w)
  // The score pass's arrays live in the arena where it holds them (its WebAssembly kernel reads
  // them there), else on shared memory where workers take part.
  const inArena = arena?.score ?? null
  const mem = arena?.memory.buffer
  const raw = inArena !== null ? new Float64Array(mem!, inArena.raw, n) : allocFloat64(n * K, useWorkers)
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) raw[i * K + k] = baseScore[k]!
  // Leaf index (< maxLeaves <= 65536) of each training row in the current tree.
  const leafOfRow =
    inArena !== null
      ? new Uint16Array(mem!, inArena.leaf, n + 1)
      : p.maxLeaves <= 256
        ? allocUint8(n, useWorkers)
        : new Uint16Array(useWorkers ? new SharedArrayBuffer(n * 2) : new ArrayBuffer(n * 2))
  const leafValues =
    inArena !== null
      ? new Float64Array(mem!, inArena.values, p.maxLeaves)
      : allocFloat64(p.maxLeaves, useWorkers)
  const placed = (a: Float64Array, at: number): Float64Array => {
    if (inArena !== null) {
      const view = new Float64Array(mem!, at, n)
      view.set(a)
      return view
    }
    if (!useWorkers) return a
    const copy = allocFloat64(n, true)
    copy.set(a)
    return copy
  }
  const score: ScoreInputs | null = scorePass
    ? {
        kind: objective.kind,
        raw,
        y: placed(y, inArena?.y ?? 0),
        w: w === null ? null : placed(w, inArena?.w ?? 0),
        leafOfRow,
        leafValues,
        arena: inArena,
        leaves: allocInt32(3 * p.maxLeaves, useWorkers),
      }
    : null
  const growerParams: GrowerParams = {
    maxLeaves: p.maxLeaves,
    maxDepth: p.maxDepth ?? Number.POSITIVE_INFINITY,
    learningRate: p.learningRate,
    l1: p.l1,
    l2: p.l2,
    minSamplesLeaf: p.minSamplesLeaf,
    minChildWeight: p.minChildWeight,
    minSplitGain: p.minSplitGain,
    maxCatThreshold: p.maxCatThreshold,
    maxCatToOnehot: p.maxCatToOnehot,
    catSmooth: p.catSmooth,
    catL2: p.catL2,
    minDataPerGroup: p.minDataPerGroup,
    minRowsPerCatLevel: p.minRowsPerCatLevel,
  }
  const search = { mapper, constraints: growerParams }
  const builder: HistogramBuilder = useWorkers
    ? await workerHistogramBuilder(inputs, features, Math.min(threads, nFeatures), search, score)
    : localHistogramBuilder(inputs, features, search, score)

  try {
    // Validation rows, binned with the training bin bounds.
    let valBins: Uint8Array | null = null
    let valY: Float64Array | null = null
    let valW: Float64Array | null = null
    let nVal = 0
    if (input.validation !== null) {
      if (input.validation.kind === 'rows') {
        valBins = binMatrix(x, mapper, input.validation.rows)
        valY = pick(input.y, input.validation.rows)
        valW = input.weight === null ? null : pick(input.weight, input.validation.rows)
        nVal = input.validation.rows.length
      } else {
        valBins = binMatrix(input.validation.x, mapper)
        valY = input.validation.y
        nVal = input.validation.x.rows
      }
    }

    const valRaw = new Float64Array(nVal * K)
    for (let i = 0; i < nVal; i++) for (let k = 0; k < K; k++) valRaw[i * K + k] = baseScore[k]!

    // Without the score pass, gradients are computed here and copied or gathered into the root.
    const grad = new Float64Array(score === null ? n : 0)
    const hess = new Float64Array(score === null ? n : 0)
    const rng = new Rng(p.seed)
    const state = {
      mapper,
      inputs,
      builder,
      features,
      grad,
      hess,
      nSlots,
      identityRows: fullRows,
      rootReady: score !== null,
    }
    const nColumns = Math.max(1, Math.round(p.colsample * nFeatures))
    const trees: Tree[] = []
    const treeOutput: number[] = []
    const importanceGain = new Float64Array(nFeatures)
    const importanceSplit = new Float64Array(nFeatures)
    const validationLoss: number[] = []
    let bestRound = 0
    let bestLoss = Number.POSITIVE_INFINITY
    if (valBins !== null) {
      bestLoss = objective.loss(valRaw, valY!, valW, nVal)
      validationLoss.push(bestLoss)
    }
    const lossSample =
      input.onIteration !== undefined && n > TRAIN_LOSS_SAMPLE
        ? trainLossSample(objective, raw, y, w, n, K)
        : null
    const residuals = objective.refitsLeaves ? new Float64Array(n) : null
    const residualWeights = objective.refitsLeaves && w !== null ? new Float64Array(n) : null

    for (let round = 1; round <= p.nEstimators; round++) {
      objective.prepare(raw, y, w, n)
      for (let k = 0; k < K; k++) {
        if (score === null) objective.gradients(k, raw, y, w, grad, hess, n)
        // The first round's gradients; later ones come with the previous tree's score pass.
        else if (round === 1) builder.score(0)
        // Row sample (Bernoulli, keeps rows in increasing order) and column sample per tree.
        let nSample = 0
        const rows = inputs.buf[0].rows
        if (fullRows) {
          if (score === null) for (let i = 0; i < n; i++) rows[i] = i
          nSample = n
        } else {
          for (let i = 0; i < n; i++) if (rng.next() < p.subsample) rows[nSample++] = i
          if (nSample === 0) rows[nSample++] = rng.int(n)
        }
        if (nColumns < nFeatures) {
          const perm = rng.permutation(nFeatures).subarray(0, nColumns).sort()
          features.set(perm)
        } else {
          for (let f = 0; f < nFeatures; f++) features[f] = f
        }
        const grown = growTree(state, nSample, nColumns, growerParams)
        if (residuals !== null) {
          // Absolute error: leaf values become the (weighted) median residual of their rows.
          for (const leaf of grown.leaves) {
            const m = leaf.end - leaf.start
            if (m === 0) continue
            const rows = inputs.buf[leaf.buf].rows
            for (let i = 0; i < m; i++) {
              const r = rows[leaf.start + i]!
              residuals[i] = y[r]! - raw[r * K + k]!
              if (residualWeights !== null) residualWeights[i] = w![r]!
            }
            const med = weightedQuantile(
              residuals.subarray(0, m),
              residualWeights === null ? null : residualWeights.subarray(0, m),
              0.5,
            )
            grown.tree.setValue(leaf.node, p.learningRate * med)
          }
        }
        const tree = grown.tree.finish()
        const masks = grown.tree.leftMasks
        if (fullRows) {
          // Leaf of every row first (random writes into a small array that stays in cache),
          // then one in-order pass over the scores; adding leaf values straight through the
          // partition's row order touched the large score array at random and cost ~10x more.
          for (let l = 0; l < grown.leaves.length; l++) {
            const leaf = grown.leaves[l]!
            leafValues[l] = tree.value[leaf.node]!
            if (score !== null) {
              // The score pass finds each row's leaf itself, on every thread (round.ts).
              score.leaves[3 * l] = leaf.buf
              score.leaves[3 * l + 1] = leaf.start
              score.leaves[3 * l + 2] = leaf.end
              continue
            }
            const rows = inputs.buf[leaf.buf].rows
            for (let i = leaf.start; i < leaf.end; i++) leafOfRow[rows[i]!] = l
          }
          if (score !== null) builder.score(grown.leaves.length)
          else {
            for (let r = 0; r < n; r++) {
              const j = r * K + k
              raw[j] = raw[j]! + leafValues[leafOfRow[r]!]!
            }
          }
        } else {
          for (let r = 0; r < n; r++) {
            const j = r * K + k
            raw[j] = raw[j]! + tree.value[leafOfBinned(tree, masks, bins, n, r)]!
          }
        }
        if (valBins !== null) {
          for (let r = 0; r < nVal; r++) {
            const j = r * K + k
            valRaw[j] = valRaw[j]! + tree.value[leafOfBinned(tree, masks, valBins, nVal, r)]!
          }
        }
        for (let node = 0; node < tree.feature.length; node++) {
          const f = tree.feature[node]!
          if (f < 0) continue
          importanceGain[f] = importanceGain[f]! + tree.gain[node]!
          importanceSplit[f] = importanceSplit[f]! + 1
        }
        trees.push(tree)
        treeOutput.push(k)
      }

      let validLoss: number | undefined
      if (valBins !== null) {
        validLoss = objective.loss(valRaw, valY!, valW, nVal)
        validationLoss.push(validLoss)
      }
      if (input.onIteration !== undefined) {
        const trainLoss = lossSample === null ? objective.loss(raw, y, w, n) : lossSample.loss()
        const info: IterationInfo =
          validLoss === undefined
            ? { iteration: round, trainLoss }
            : { iteration: round, trainLoss, validLoss }
        input.onIteration(info)
      }
      if (validLoss !== undefined) {
        const scale = Math.max(1, Math.abs(bestLoss))
        if (validLoss < bestLoss - p.tol * scale) {
          bestLoss = validLoss
          bestRound = round
        } else if (round - bestRound >= p.nIterNoChange) {
          break
        }
      } else {
        bestRound = round
      }
    }

    // Keep the rounds up to the best validation loss; importances count only kept trees.
    const kept = bestRound * K
    if (kept < trees.length) {
      importanceGain.fill(0)
      importanceSplit.fill(0)
      for (let t = 0; t < kept; t++) {
        const tree = trees[t]!
        for (let node = 0; node < tree.feature.length; node++) {
          const f = tree.feature[node]!
          if (f < 0) continue
          importanceGain[f] = importanceGain[f]! + tree.gain[node]!
          importanceSplit[f] = importanceSplit[f]! + 1
        }
      }
    }
    return {
      nOutputs: K,
      baseScore,
      trees: trees.slice(0, kept),
      treeOutput: Int32Array.from(treeOutput.slice(0, kept)),
      nRounds: bestRound,
      importanceGain,
      importanceSplit,
      validationLoss,
    }
  } finally {
    await builder.close()
  }
}
