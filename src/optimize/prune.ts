/**
 * Pruning: MLP weights or neurons (with a short fine-tune), GBDT rounds past the point of
 * diminishing returns plus merging of splits that do not pay, random-forest trees.
 */
import type { Matrix } from '../core/index.js'
import { InvalidArgumentError } from '../core/index.js'
import { type Dataset, selectRows } from '../data/index.js'
import { type FittedModel, isFittedMlp, pruneMlp } from '../models/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import { bundleTargets, unsupportedKind } from './common.js'
import { withModel } from './quantize.js'
import {
  addForestTree,
  addGbdtTree,
  FOREST_KINDS,
  forestArrays,
  forestFromArrays,
  forestPrefix,
  GBDT_KINDS,
  type GbdtParts,
  gbdtFromParts,
  gbdtParts,
  mergeWeakSplits,
} from './trees.js'
import type { OptimizeResult } from './types.js'

/** Rows pruning may look at: fine-tuning fits on `train`; choices are checked on `validation`. */
export interface PruneData {
  readonly train: Dataset
  readonly validation: Dataset
}

/** How {@link pruneBundle} prunes. */
export interface PruneOptions {
  /** MLP: remove whole hidden neurons (narrower, faster) instead of single weights. */
  readonly structured?: boolean
  /**
   * Relative validation-loss tolerance of the `auto` choices (default 0.002): the smallest model
   * whose loss is at most (1 + tolerance) times the best one is kept.
   */
  readonly tolerance?: number
  /** GBDT: merge sibling leaves whose split gain is below this (default: chosen on validation). */
  readonly minGain?: number
  /** MLP fine-tune epochs (default 3). */
  readonly epochs?: number
  readonly seed?: number
}

const SUPPORTED = ['mlp-classifier', 'mlp-regressor', ...GBDT_KINDS, 'rf-classifier', 'rf-regressor']

/** Amounts `auto` tries on an MLP, smallest first. */
const MLP_AUTO_AMOUNTS = [0.25, 0.5, 0.75, 0.9]
/** Split-gain quantiles `auto` tries as the GBDT merge threshold, smallest first. */
const MERGE_QUANTILES = [0.05, 0.1, 0.2, 0.3, 0.5]

/**
 * Prunes a bundle's model. `amount` is the fraction (0..1) of weights / neurons (MLP) or trees
 * (GBDT rounds, forest trees) to remove, or `auto`: the largest cut whose validation loss stays
 * within `tolerance` of the parent's (MLP, forest) or of the best boosting round (GBDT, the
 * diminishing-returns point). GBDTs then merge leaves whose split gain is below `minGain`.
 * @throws InvalidArgumentError for an amount outside [0, 1), or (details.reason
 *   'unsupported-model-kind') a model kind that cannot be pruned
 */
export async function pruneBundle(
  bundle: ModelBundle,
  amount: number | 'auto',
  data: PruneData,
  options: PruneOptions = {},
): Promise<OptimizeResult> {
  if (amount !== 'auto' && !(amount >= 0 && amount < 1))
    throw new InvalidArgumentError(`Prune amount must be in [0, 1) or 'auto'; got ${amount}.`)
  const model = bundle.model
  const tolerance = options.tolerance ?? 0.002
  const valid = encoded(bundle, data.validation)
  if (isFittedMlp(model)) return pruneMlpBundle(bundle, amount, data, valid, tolerance, options)
  if ((GBDT_KINDS as readonly string[]).includes(model.kind))
    return pruneGbdt(bundle, amount, valid, tolerance, options)
  if ((FOREST_KINDS as readonly string[]).includes(model.kind) && model.kind.startsWith('rf-'))
    return pruneForest(bundle, amount, valid, tolerance)
  throw unsupportedKind('prune', model.kind, SUPPORTED)
}

interface Encoded {
  readonly x: Matrix
  readonly y: Float64Array
}

function encoded(bundle: ModelBundle, ds: Dataset): Encoded {
  const { y, rows } = bundleTargets(bundle, ds)
  const kept = rows.length === ds.nRows ? ds : selectRows(ds, rows)
  return { x: bundle.encoder.encodeDataset(kept), y }
}

/** Mean loss of raw outputs: log loss (sigmoid or softmax margins / probabilities) or squared error. */
function lossOf(
  task: ModelBundle['task'],
  out: Float64Array,
  y: Float64Array,
  k: number,
  kind: 'margin' | 'proba',
): number {
  let total = 0
  const n = y.length
  for (let r = 0; r < n; r++) {
    if (task === 'regression') {
      total += (out[r]! - y[r]!) ** 2
      continue
    }
    let p: number
    if (kind === 'proba') {
      let s = 0
      for (let c = 0; c < k; c++) s += out[r * k + c]!
      p = s > 0 ? out[r * k + y[r]!]! / s : 0
    } else if (k === 1) {
      const m = out[r]!
      p = y[r] === 1 ? 1 / (1 + Math.exp(-m)) : 1 / (1 + Math.exp(m))
    } else {
      let max = Number.NEGATIVE_INFINITY
      for (let c = 0; c < k; c++) max = Math.max(max, out[r * k + c]!)
      let s = 0
      for (let c = 0; c < k; c++) s += Math.exp(out[r * k + c]! - max)
      p = Math.exp(out[r * k + y[r]!]! - max) / s
    }
    total -= Math.log(Math.max(p, 1e-15))
  }
  return total / Math.max(1, n)
}

/** Validation loss of a whole fitted model (probabilities or values). */
function modelLoss(bundle: ModelBundle, model: FittedModel, v: Encoded): number {
  const pred = withModel(bundle, model).predictMatrix(v.x)
  if (pred.proba !== undefined) return lossOf(bundle.task, pred.proba.data, v.y, pred.proba.cols, 'proba')
  return lossOf(bundle.task, Float64Array.from(pred.labels as number[]), v.y, 1, 'margin')
}

async function pruneMlpBundle(
  bundle: ModelBundle,
  amount: number | 'auto',
  data: PruneData,
  valid: Encoded,
  tolerance: number,
  options: PruneOptions,
): Promise<OptimizeResult> {
  const train = encoded(bundle, data.train)
  const structured = options.structured === true
  const run = (a: number) =>
    pruneMlp(bundle.model, {
      amount: a,
      structured,
      x: train.x,
      y: train.y,
      validation: valid,
      ...(options.epochs === undefined ? {} : { epochs: options.epochs }),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
    })
  let result: Awaited<ReturnType<typeof run>> | undefined
  let chosen = 0
  if (amount === 'auto') {
    const parentLoss = modelLoss(bundle, bundle.model, valid)
    for (const a of MLP_AUTO_AMOUNTS) {
      const r = await run(a)
      if (r.finalLoss > parentLoss * (1 + tolerance)) break
      result = r
      chosen = a
    }
    // Nothing stayed within tolerance: the lightest cut, so the call still prunes.
    if (result === undefined) {
      chosen = MLP_AUTO_AMOUNTS[0]!
      result = await run(chosen)
    }
  } else {
    chosen = amount
    result = await run(amount)
  }
  const parentWidths = isFittedMlp(bundle.model) ? bundle.model.params.hiddenLayers : []
  return {
    bundle: withModel(bundle, result.model),
    method: `prune:${structured ? 'neurons' : 'magnitude'}`,
    changes: [
      structured
        ? `removed ${Math.round(chosen * 100)}% of each hidden layer's neurons: [${parentWidths.join(', ')}] -> [${result.hiddenLayers.join(', ')}]`
        : `zeroed the ${Math.round(chosen * 100)}% smallest weights of each dense layer (sparsity ${result.sparsity.toFixed(3)}; same artifact layout)`,
      `fine-tuned ${options.epochs ?? 3} epoch(s) with the mask kept; kept epoch ${result.bestEpoch} (validation loss ${fmt(result.prunedLoss)} after pruning, ${fmt(result.finalLoss)} kept)`,
    ],
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(5) : 'n/a'
}

/** Validation loss after each boosting round (index 0: base score only). */
function gbdtRoundLosses(task: ModelBundle['task'], parts: GbdtParts, v: Encoded): number[] {
  const k = parts.nOutputs
  const margins = new Float64Array(v.x.rows * k)
  for (let r = 0; r < v.x.rows; r++) for (let o = 0; o < k; o++) margins[r * k + o] = parts.baseScore[o]!
  const losses = [lossOf(task, margins, v.y, k, 'margin')]
  for (let t = 0; t < parts.trees.length; t++) {
    addGbdtTree(parts.trees[t]!, v.x, margins, k, parts.treeOutput[t]!)
    if ((t + 1) % k === 0) losses.push(lossOf(task, margins, v.y, k, 'margin'))
  }
  return losses
}

function gbdtLoss(task: ModelBundle['task'], parts: GbdtParts, v: Encoded): number {
  const losses = gbdtRoundLosses(task, parts, v)
  return losses[losses.length - 1]!
}

function pruneGbdt(
  bundle: ModelBundle,
  amount: number | 'auto',
  valid: Encoded,
  tolerance: number,
  options: PruneOptions,
): OptimizeResult {
  const parts = gbdtParts(bundle.model)
  const k = parts.nOutputs
  const rounds = Math.floor(parts.trees.length / k)
  let keep: number
  const changes: string[] = []
  if (amount === 'auto') {
    const losses = gbdtRoundLosses(bundle.task, parts, valid)
    const best = Math.min(...losses)
    keep = losses.findIndex((l) => l <= best + Math.abs(best) * tolerance)
    keep = Math.max(1, keep)
    changes.push(
      `kept ${keep} of ${rounds} boosting rounds: the first whose validation loss (${fmt(losses[keep]!)}) is within ${tolerance} of the best (${fmt(best)}, round ${losses.indexOf(best)})`,
    )
  } else {
    keep = Math.max(1, Math.round(rounds * (1 - amount)))
    changes.push(`kept the first ${keep} of ${rounds} boosting rounds`)
  }
  let kept: GbdtParts = {
    ...parts,
    trees: parts.trees.slice(0, keep * k),
    treeOutput: parts.treeOutput.slice(0, keep * k),
  }
  // Merge leaves whose split does not pay: a given threshold, or the largest candidate (a
  // quantile of the kept trees' split gains) whose validation loss stays within tolerance.
  const gains: number[] = []
  for (const t of kept.trees)
    for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! >= 0) gains.push(t.gain[i]!)
  gains.sort((a, b) => a - b)
  const candidates =
    options.minGain !== undefined
      ? [options.minGain]
      : MERGE_QUANTILES.map((q) => gains[Math.floor(q * (gains.length - 1))] ?? 0)
  const baseLoss = gbdtLoss(bundle.task, kept, valid)
  const unmerged = kept
  let merged = 0
  let minGain = 0
  for (const g of candidates) {
    let count = 0
    const trees = unmerged.trees.map((t) => {
      const m = mergeWeakSplits(t, g)
      count += m.merged
      return m.tree
    })
    const candidate = { ...unmerged, trees }
    if (
      options.minGain === undefined &&
      gbdtLoss(bundle.task, candidate, valid) > baseLoss + Math.abs(baseLoss) * tolerance
    )
      break
    merged = count
    minGain = g
    kept = candidate
  }
  changes.push(
    merged > 0
      ? `merged ${merged} split(s) whose gain was below ${minGain.toPrecision(4)} into leaves`
      : 'no split merged (every merge cost validation loss)',
  )
  return { bundle: withModel(bundle, gbdtFromParts(kept)), method: 'prune:trees', changes }
}

function pruneForest(
  bundle: ModelBundle,
  amount: number | 'auto',
  valid: Encoded,
  tolerance: number,
): OptimizeResult {
  const f = forestArrays(bundle.model)
  const k = f.nOutputs
  let keep: number
  const changes: string[] = []
  if (amount === 'auto') {
    const sums = new Float64Array(valid.x.rows * k)
    const losses: number[] = []
    const avg = new Float64Array(sums.length)
    for (let t = 0; t < f.nTrees; t++) {
      addForestTree(f, t, valid.x, sums)
      for (let i = 0; i < sums.length; i++) avg[i] = sums[i]! / (t + 1)
      losses.push(lossOf(bundle.task, avg, valid.y, k, bundle.task === 'regression' ? 'margin' : 'proba'))
    }
    const full = losses[losses.length - 1]!
    keep = losses.findIndex((l) => l <= full + Math.abs(full) * tolerance) + 1
    changes.push(
      `kept ${keep} of ${f.nTrees} trees: the fewest whose validation loss (${fmt(losses[keep - 1]!)}) is within ${tolerance} of the full forest's (${fmt(full)})`,
    )
  } else {
    keep = Math.max(1, Math.round(f.nTrees * (1 - amount)))
    changes.push(`kept the first ${keep} of ${f.nTrees} trees`)
  }
  const model = forestFromArrays(bundle.model, forestPrefix(f, keep), { nEstimators: keep })
  return { bundle: withModel(bundle, model), method: 'prune:trees', changes }
}
