import type { Artifact, Matrix } from '../../core/index.js'
import {
  ArtifactError,
  assertColumns,
  checkArtifact,
  decodeArray,
  decodeCompact,
  encodeCompact,
  makeArtifact,
} from '../../core/index.js'
import type { FittedClassifier, FittedModel, HasTrees, TreeEnsembleView } from '../estimator.js'
import { argmaxRows } from '../estimator.js'
import type { PackedForest } from '../tree/index.js'
import { MIN_PARALLEL_PREDICT_ROWS, PredictPool, predictThreads } from '../tree/index.js'
import type { ForestState } from './ensemble.js'
import { accumulateLeaves, packForest, treeView } from './ensemble.js'

/** Artifact kinds of the tree models. */
export type TreeModelKind = 'tree-classifier' | 'tree-regressor' | 'rf-classifier' | 'rf-regressor'

/**
 * Current artifact format version of tree models. 2: every array in its narrowest exact dtype
 * (`encodeCompact`: feature ids u8, child indices u16 for trees under 65k nodes, integer covers
 * u16/u32, f32 where every value is f32-exact); 1: fixed i32/f64/u8 arrays (still read).
 */
export const FOREST_FORMAT_VERSION = 2

/** Out-of-bag results of a forest fitted with `oobScore: true`. */
export interface OutOfBag {
  /** Accuracy (classifiers) or R² (regressors) over rows that were out of bag for some tree. */
  readonly score: number
  /**
   * Out-of-bag predictions per training row: class probabilities (rows × nClasses, row-major) or
   * values; NaN for rows every tree drew. Not saved in artifacts.
   */
  readonly prediction: Float64Array
}

/** Fitted state shared by the tree classifiers and regressors. @internal */
export interface TreeModelState {
  readonly forest: ForestState
  readonly importance: Float64Array
  readonly featureNames: readonly string[]
  readonly oob: OutOfBag | null
}

abstract class FittedTrees implements FittedModel, HasTrees {
  abstract readonly task: 'binary' | 'multiclass' | 'regression'
  readonly kind: TreeModelKind
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  /** Out-of-bag score and predictions (forests fitted with `oobScore: true`), else null. */
  readonly oob: OutOfBag | null
  /** The params the model was fitted with. */
  readonly params: Readonly<Record<string, unknown>>
  protected readonly forest: ForestState
  protected readonly importance: Float64Array
  /** The branch-free scorer's layout, built on first use (null: this forest needs the plain walk). */
  private packed: PackedForest | null | undefined
  private pool: PredictPool | undefined

  constructor(kind: TreeModelKind, params: Readonly<Record<string, unknown>>, state: TreeModelState) {
    this.kind = kind
    this.params = params
    this.forest = state.forest
    this.importance = state.importance
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
    this.oob = state.oob
  }

  /** Number of trees. */
  get nTrees(): number {
    return this.forest.nTrees
  }

  abstract predict(x: Matrix): Float64Array

  /** Mean decrease in impurity per feature, normalised to sum 1 (the kind argument is ignored). */
  featureImportance(): Float64Array {
    return this.importance.slice()
  }

  /** Sums of leaf outputs over trees, divided by the tree count. */
  protected averaged(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    const out = new Float64Array(x.rows * this.forest.nOutputs)
    if (this.packed === undefined) this.packed = packForest(this.forest)
    const threads = predictThreads(typeof this.params.threads === 'number' ? this.params.threads : 1)
    if (this.packed === null) accumulateLeaves(this.forest, x, out)
    else if (x.rows >= MIN_PARALLEL_PREDICT_ROWS && threads > 1) {
      // Large batches: the same scorer on worker threads (identical results, see PredictPool).
      this.pool ??= new PredictPool(this.packed, threads)
      this.pool.run(this.packed, x, out)
    } else this.packed.addRows(x.data, x.cols, 0, x.rows, out)
    const scale = 1 / this.forest.nTrees
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale
    return out
  }

  /**
   * The trees for explanation (TreeSHAP): per tree and output, leaf values are class
   * probabilities (classifiers: one output per class, binary included) or target means, with
   * `treeWeight` 1/nTrees and `cover` the (bootstrap-weighted) training rows per node.
   */
  treeEnsemble(): TreeEnsembleView {
    const k = this.forest.nOutputs
    const trees: { tree: ReturnType<typeof treeView>; output: number }[] = []
    for (let t = 0; t < this.forest.nTrees; t++)
      for (let o = 0; o < k; o++) trees.push({ tree: treeView(this.forest, t, o), output: o })
    return { nOutputs: k, baseScore: new Float64Array(k), trees, treeWeight: 1 / this.forest.nTrees }
  }

  toArtifact(): Artifact {
    const f = this.forest
    return makeArtifact({
      format: 'model',
      formatVersion: FOREST_FORMAT_VERSION,
      kind: this.kind,
      params: this.params,
      featureNames: this.featureNames,
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
        importance: encodeCompact(this.importance),
        oobScore: this.oob?.score ?? null,
      },
    })
  }
}

/** A fitted decision tree or random forest classifier (`kind` says which). */
export class FittedForestClassifier extends FittedTrees implements FittedClassifier {
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number

  constructor(kind: TreeModelKind, params: Readonly<Record<string, unknown>>, state: TreeModelState) {
    super(kind, params, state)
    this.nClasses = state.forest.nOutputs
    this.task = this.nClasses === 2 ? 'binary' : 'multiclass'
  }

  /** Class probabilities (rows × nClasses): the mean of the trees' leaf class frequencies. */
  predictProba(x: Matrix): Matrix {
    const out = this.averaged(x)
    const k = this.nClasses
    // renormalise so every row sums to 1 up to rounding of a single division
    for (let r = 0; r < x.rows; r++) {
      let s = 0
      for (let c = 0; c < k; c++) s += out[r * k + c]!
      if (s > 0) for (let c = 0; c < k; c++) out[r * k + c] = out[r * k + c]! / s
    }
    return { rows: x.rows, cols: k, data: out }
  }

  /** Most probable class code per row (the lowest code on ties). */
  predict(x: Matrix): Float64Array {
    return argmaxRows(this.predictProba(x))
  }
}

/** A fitted decision tree or random forest regressor (`kind` says which). */
export class FittedForestRegressor extends FittedTrees {
  readonly task = 'regression' as const

  /** Mean of the trees' leaf means. */
  predict(x: Matrix): Float64Array {
    return this.averaged(x)
  }
}

function invalid(kind: string, message: string): never {
  throw new ArtifactError('ARTIFACT_INVALID', `Invalid ${kind} artifact: ${message}`)
}

function stateOf(artifact: Artifact<unknown, unknown>): TreeModelState {
  const kind = artifact.kind
  const s = artifact.state
  if (typeof s !== 'object' || s === null) invalid(kind, 'state is not an object.')
  const st = s as Record<string, unknown>
  const nTrees = st.nTrees
  const nOutputs = st.nOutputs
  if (!(Number.isInteger(nTrees) && (nTrees as number) >= 1)) invalid(kind, 'nTrees must be an integer >= 1.')
  if (!(Number.isInteger(nOutputs) && (nOutputs as number) >= 1))
    invalid(kind, 'nOutputs must be an integer >= 1.')
  const featureNames = artifact.featureNames.map(String)
  const d = featureNames.length
  // version 1 stored fixed dtypes; version 2 the narrowest exact one (decodeCompact widens back)
  const v1 = artifact.formatVersion < 2
  const f64 = (e: unknown): Float64Array => (v1 ? decodeArray(e, 'f64') : decodeCompact(e, 'f64'))
  const i32 = (e: unknown): Int32Array => (v1 ? decodeArray(e, 'i32') : decodeCompact(e, 'i32'))
  const u8 = (e: unknown): Uint8Array => (v1 ? decodeArray(e, 'u8') : decodeCompact(e, 'u8'))
  const forest: ForestState = {
    nTrees: nTrees as number,
    nOutputs: nOutputs as number,
    treeOffset: i32(st.treeOffset),
    feature: i32(st.feature),
    threshold: f64(st.threshold),
    left: i32(st.left),
    right: i32(st.right),
    defaultLeft: u8(st.defaultLeft),
    categorical: u8(st.categorical),
    cover: f64(st.cover),
    value: f64(st.value),
  }
  const importance = f64(st.importance)
  const { treeOffset } = forest
  const total = forest.feature.length
  if (treeOffset.length !== forest.nTrees + 1 || treeOffset[0] !== 0 || treeOffset[forest.nTrees] !== total)
    invalid(kind, 'treeOffset does not match the node arrays.')
  for (const [name, a] of [
    ['threshold', forest.threshold],
    ['left', forest.left],
    ['right', forest.right],
    ['defaultLeft', forest.defaultLeft],
    ['categorical', forest.categorical],
    ['cover', forest.cover],
  ] as const)
    if (a.length !== total) invalid(kind, `${name} has ${a.length} entries; expected ${total}.`)
  if (forest.value.length !== total * forest.nOutputs) invalid(kind, 'value has the wrong length.')
  if (importance.length !== d) invalid(kind, `importance has ${importance.length} entries for ${d} features.`)
  // every internal node must point inside its own tree and at a real feature, so predict cannot run away
  for (let t = 0; t < forest.nTrees; t++) {
    const a = treeOffset[t]!
    const size = treeOffset[t + 1]! - a
    if (size < 1) invalid(kind, `tree ${t} has no nodes.`)
    for (let i = 0; i < size; i++) {
      const l = forest.left[a + i]!
      const r = forest.right[a + i]!
      if (l === -1) continue
      // children come after their parent, which also rules out cycles
      if (!(l > i && l < size && r > i && r < size)) invalid(kind, `tree ${t} node ${i} has bad children.`)
      const f = forest.feature[a + i]!
      if (!(f >= 0 && f < d)) invalid(kind, `tree ${t} node ${i} splits on feature ${f} of ${d}.`)
    }
  }
  const oobScore = st.oobScore
  const oob = typeof oobScore === 'number' ? { score: oobScore, prediction: new Float64Array(0) } : null
  return { forest, importance, featureNames, oob }
}

function paramsOf(artifact: Artifact<unknown, unknown>): Readonly<Record<string, unknown>> {
  const p = artifact.params
  if (typeof p !== 'object' || p === null || Array.isArray(p))
    invalid(artifact.kind, 'params is not an object.')
  return { ...(p as Record<string, unknown>) }
}

/** Reads a tree-model artifact of any of the four kinds. @internal */
export function readTreeModel(
  value: Artifact<unknown, unknown>,
): FittedForestClassifier | FittedForestRegressor {
  const artifact = checkArtifact(value, { format: 'model', maxVersion: FOREST_FORMAT_VERSION })
  const kind = artifact.kind
  if (
    kind !== 'tree-classifier' &&
    kind !== 'tree-regressor' &&
    kind !== 'rf-classifier' &&
    kind !== 'rf-regressor'
  )
    invalid(kind, 'the kind is not a tree model.')
  const state = stateOf(artifact)
  const params = paramsOf(artifact)
  if (kind === 'tree-classifier' || kind === 'rf-classifier') {
    if (state.forest.nOutputs < 2) invalid(kind, 'a classifier needs at least 2 classes.')
    return new FittedForestClassifier(kind, params, state)
  }
  if (state.forest.nOutputs !== 1) invalid(kind, 'a regressor has exactly one output.')
  return new FittedForestRegressor(kind, params, state)
}
