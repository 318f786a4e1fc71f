/**
 * Tree ensembles as plain arrays: the GBDT's trees (from `treesInput()`, rebuilt with
 * `gbdtFromTrees`) and the random forest's flat node arrays (rebuilt through `loadModel`), with
 * the plain walks the optimizers use to score prefixes of an ensemble.
 */
import type { Matrix } from '../core/index.js'
import { ArtifactError, decodeCompact, encodeCompact, makeArtifact } from '../core/index.js'
import {
  FittedGradientBoostingClassifier,
  FittedGradientBoostingRegressor,
  type FittedModel,
  type GbdtTreesInput,
  gbdtFromTrees,
  loadModel,
  type TaskKind,
} from '../models/index.js'
import { CAT_WORDS } from '../models/tree/index.js'

/** One fitted GBDT tree (Keel's layout: node 0 the root, children after their parent). */
export type GbdtTree = GbdtTreesInput['trees'][number]

/** A fitted GBDT taken apart. */
export interface GbdtParts {
  readonly task: TaskKind
  readonly nClasses: number
  readonly nOutputs: number
  readonly featureNames: readonly string[]
  readonly baseScore: Float64Array
  readonly trees: GbdtTree[]
  readonly treeOutput: Int32Array
  readonly categoricalFeatures: readonly number[]
}

export const GBDT_KINDS = ['gbdt-classifier', 'gbdt-regressor'] as const
export const FOREST_KINDS = ['rf-classifier', 'rf-regressor', 'tree-classifier', 'tree-regressor'] as const

/** The trees of a fitted GBDT (copies, free to edit). */
export function gbdtParts(model: FittedModel): GbdtParts {
  if (
    !(model instanceof FittedGradientBoostingClassifier || model instanceof FittedGradientBoostingRegressor)
  )
    throw new ArtifactError('ARTIFACT_INVALID', `Expected a fitted GBDT, got '${model.kind}'.`)
  const t = model.treesInput()
  return {
    task: t.task,
    nClasses: t.nClasses ?? 0,
    nOutputs: model.nOutputs,
    featureNames: t.featureNames,
    baseScore: t.baseScore,
    trees: [...t.trees],
    treeOutput: t.treeOutput,
    categoricalFeatures: t.categoricalFeatures ?? [],
  }
}

/** A fitted Keel GBDT from (possibly edited) parts. */
export function gbdtFromParts(parts: GbdtParts): FittedModel {
  return gbdtFromTrees({
    task: parts.task,
    ...(parts.task === 'regression' ? {} : { nClasses: parts.nClasses }),
    featureNames: parts.featureNames,
    baseScore: parts.baseScore,
    trees: parts.trees,
    treeOutput: parts.treeOutput,
    categoricalFeatures: parts.categoricalFeatures,
  })
}

/** The leaf a row reaches in a GBDT tree (the packed scorer's rules, walked plainly). */
export function gbdtLeaf(tree: GbdtTree, data: Float64Array, offset: number): number {
  let i = 0
  while (tree.feature[i]! >= 0) {
    const v = data[offset + tree.feature[i]!]!
    let goLeft: boolean
    if (Number.isNaN(v)) goLeft = tree.defaultLeft[i] === 1
    else if (tree.catIndex[i]! >= 0) {
      const code = v | 0
      const word = tree.catIndex[i]! * CAT_WORDS + (code >>> 5)
      // Codes never seen at fit time go right.
      goLeft = code === v && code >= 0 && code < 256 && ((tree.catBits[word]! >>> (code & 31)) & 1) === 1
    } else goLeft = v <= tree.threshold[i]!
    i = goLeft ? tree.left[i]! : tree.right[i]!
  }
  return i
}

/** Adds a tree's leaf values to output `o` of `margins` (rows x K) for every row of x. */
export function addGbdtTree(tree: GbdtTree, x: Matrix, margins: Float64Array, k: number, o: number): void {
  for (let r = 0; r < x.rows; r++)
    margins[r * k + o] = margins[r * k + o]! + tree.value[gbdtLeaf(tree, x.data, r * x.cols)]!
}

/**
 * A copy of `tree` with every split whose two children are leaves and whose gain is below
 * `minGain` turned into a leaf (cover-weighted mean of the children's values), repeated upwards,
 * and unreachable nodes dropped (breadth-first order, so children still follow their parent).
 */
export function mergeWeakSplits(tree: GbdtTree, minGain: number): { tree: GbdtTree; merged: number } {
  const n = tree.feature.length
  const feature = Int32Array.from(tree.feature)
  const value = Float64Array.from(tree.value)
  let merged = 0
  // Children have larger indices than their parent: one pass from the end merges bottom-up.
  for (let i = n - 1; i >= 0; i--) {
    if (feature[i]! < 0) continue
    const l = tree.left[i]!
    const r = tree.right[i]!
    if (feature[l]! >= 0 || feature[r]! >= 0 || !(tree.gain[i]! < minGain)) continue
    const cl = tree.cover[l]!
    const cr = tree.cover[r]!
    if (cl + cr > 0) value[i] = (cl * value[l]! + cr * value[r]!) / (cl + cr)
    feature[i] = -1
    merged++
  }
  if (merged === 0) return { tree, merged }
  const order: number[] = [0]
  for (let h = 0; h < order.length; h++) {
    const i = order[h]!
    if (feature[i]! >= 0) order.push(tree.left[i]!, tree.right[i]!)
  }
  const at = new Int32Array(n).fill(-1)
  order.forEach((i, k) => {
    at[i] = k
  })
  const m = order.length
  const out = {
    feature: new Int32Array(m),
    threshold: new Float64Array(m),
    left: new Int32Array(m).fill(-1),
    right: new Int32Array(m).fill(-1),
    defaultLeft: new Uint8Array(m),
    value: new Float64Array(m),
    cover: new Float64Array(m),
    gain: new Float64Array(m),
    catIndex: new Int32Array(m).fill(-1),
  }
  const bits: number[] = []
  order.forEach((i, k) => {
    out.value[k] = value[i]!
    out.cover[k] = tree.cover[i]!
    out.feature[k] = feature[i]!
    if (feature[i]! < 0) return
    out.threshold[k] = tree.threshold[i]!
    out.left[k] = at[tree.left[i]!]!
    out.right[k] = at[tree.right[i]!]!
    out.defaultLeft[k] = tree.defaultLeft[i]!
    out.gain[k] = tree.gain[i]!
    const ci = tree.catIndex[i]!
    if (ci >= 0) {
      out.catIndex[k] = bits.length / CAT_WORDS
      for (let w = 0; w < CAT_WORDS; w++) bits.push(tree.catBits[ci * CAT_WORDS + w]!)
    }
  })
  return { tree: { ...out, catBits: Uint32Array.from(bits) }, merged }
}

/** A random forest's (or decision tree's) flat node arrays, as its artifact stores them. */
export interface ForestArrays {
  readonly nTrees: number
  readonly nOutputs: number
  readonly treeOffset: Int32Array
  readonly feature: Int32Array
  readonly threshold: Float64Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Uint8Array
  readonly categorical: Uint8Array
  readonly cover: Float64Array
  readonly value: Float64Array
}

export function forestArrays(model: FittedModel): ForestArrays {
  const s = model.toArtifact().state as Record<string, unknown>
  const f64 = (k: string): Float64Array => decodeCompact(s[k], 'f64')
  const i32 = (k: string): Int32Array => decodeCompact(s[k], 'i32')
  return {
    nTrees: s.nTrees as number,
    nOutputs: s.nOutputs as number,
    treeOffset: i32('treeOffset'),
    feature: i32('feature'),
    threshold: f64('threshold'),
    left: i32('left'),
    right: i32('right'),
    defaultLeft: decodeCompact(s.defaultLeft, 'u8'),
    categorical: decodeCompact(s.categorical, 'u8'),
    cover: f64('cover'),
    value: f64('value'),
  }
}

/** The first `keep` trees of a forest. */
export function forestPrefix(f: ForestArrays, keep: number): ForestArrays {
  const end = f.treeOffset[keep]!
  return {
    nTrees: keep,
    nOutputs: f.nOutputs,
    treeOffset: f.treeOffset.slice(0, keep + 1),
    feature: f.feature.slice(0, end),
    threshold: f.threshold.slice(0, end),
    left: f.left.slice(0, end),
    right: f.right.slice(0, end),
    defaultLeft: f.defaultLeft.slice(0, end),
    categorical: f.categorical.slice(0, end),
    cover: f.cover.slice(0, end),
    value: f.value.slice(0, end * f.nOutputs),
  }
}

/**
 * The model `model` would be with these node arrays (same kind, params and importances; the
 * out-of-bag score no longer applies), read back through `loadModel` so every structural check runs.
 */
export function forestFromArrays(
  model: FittedModel,
  f: ForestArrays,
  paramsPatch: Record<string, unknown>,
): FittedModel {
  const base = model.toArtifact()
  const st = base.state as Record<string, unknown>
  const artifact = makeArtifact({
    format: 'model',
    formatVersion: base.formatVersion,
    kind: base.kind,
    params: { ...(base.params as Record<string, unknown>), ...paramsPatch },
    featureNames: [...base.featureNames],
    state: {
      nTrees: f.nTrees,
      nOutputs: f.nOutputs,
      treeOffset: encodeCompact(f.treeOffset),
      feature: encodeCompact(f.feature),
      threshold: encodeCompact(f.threshold),
      left: encodeCompact(f.left),
      right: encodeCompact(f.right),
      defaultLeft: encodeCompact(f.defaultLeft),
      categorical: encodeCompact(f.categorical),
      cover: encodeCompact(f.cover),
      value: encodeCompact(f.value),
      importance: st.importance,
      oobScore: null,
    },
  })
  const loaded = loadModel(artifact)
  if (loaded.kind !== base.kind)
    throw new ArtifactError('ARTIFACT_INVALID', `Rebuilt forest has kind ${loaded.kind}.`)
  return loaded
}

/** Adds tree t's leaf outputs (nOutputs per row) for every row of x into `out`. */
export function addForestTree(f: ForestArrays, t: number, x: Matrix, out: Float64Array): void {
  const a = f.treeOffset[t]!
  const k = f.nOutputs
  for (let r = 0; r < x.rows; r++) {
    let i = 0
    while (f.left[a + i]! !== -1) {
      const g = a + i
      const v = x.data[r * x.cols + f.feature[g]!]!
      let goLeft: boolean
      // One-vs-rest categorical split: the level goes left, every other level and missing right.
      if (f.categorical[g] === 1) goLeft = v === f.threshold[g]
      else if (Number.isNaN(v)) goLeft = f.defaultLeft[g] === 1
      else goLeft = v <= f.threshold[g]!
      i = goLeft ? f.left[g]! : f.right[g]!
    }
    for (let o = 0; o < k; o++) out[r * k + o] = out[r * k + o]! + f.value[(a + i) * k + o]!
  }
}

/** The smallest float32 >= v (so `x <= t` keeps every x it held; only x in (t, t'] change side). */
export function f32AtLeast(v: number): number {
  const f = Math.fround(v)
  if (f >= v || Number.isNaN(v)) return f
  const buf = new Float32Array([f])
  const bits = new Int32Array(buf.buffer)
  if (f > 0) bits[0] = bits[0]! + 1
  else if (f < 0) bits[0] = bits[0]! - 1
  else bits[0] = 1
  return buf[0]!
}
