import type { Artifact, Matrix } from '../../core/index.js'
import {
  ArtifactError,
  assertColumns,
  checkArtifact,
  decodeArray,
  decodeCompact,
  encodeArray,
  encodeCompact,
  InvalidArgumentError,
  makeArtifact,
  Rng,
  ShapeMismatchError,
} from '../../core/index.js'
import { DefinedEstimator, defineEstimator, resolveArtifactParams } from '../define.js'
import type {
  FitOptions,
  FittedClassifier,
  FittedModel,
  HasTrees,
  TaskKind,
  TreeEnsembleView,
} from '../estimator.js'
import {
  CAT_WORDS,
  MIN_PARALLEL_PREDICT_ROWS,
  PackedForest,
  PredictPool,
  type Tree,
  treeView,
} from '../tree/index.js'
import {
  absoluteError,
  huber,
  logistic,
  type Objective,
  type ObjectiveKind,
  softmax,
  softmaxRows,
  squaredError,
} from './objectives.js'
import {
  DEFAULT_GBDT_CLASSIFIER_PARAMS,
  DEFAULT_GBDT_REGRESSOR_PARAMS,
  GBDT_CLASSIFIER_SCHEMA,
  GBDT_REGRESSOR_SCHEMA,
  type GbdtCommonParams,
  type GradientBoostingClassifierParams,
  type GradientBoostingRegressorParams,
  resolveThreads,
} from './params.js'
import { type EnsembleState, trainEnsemble } from './train.js'

/** Artifact kinds written by this module. */
export const GBDT_CLASSIFIER_KIND = 'gbdt-classifier'
export const GBDT_REGRESSOR_KIND = 'gbdt-regressor'
/**
 * Version of the artifact state layout; readers refuse newer ones. 2: node arrays in their
 * narrowest exact dtype (`encodeCompact`); 1: fixed i32/f64/u8 arrays (still read).
 */
export const GBDT_FORMAT_VERSION = 2

// Trees split categorical codes directly and learn where missing values go.
const GBDT_TAGS = { categorical: true, missing: 'native', tree: true, interpretable: true } as const

/** Params, defaults and tags of `GradientBoostingClassifier`. */
export const GBDT_CLASSIFIER = defineEstimator({
  name: 'GradientBoostingClassifier',
  kind: GBDT_CLASSIFIER_KIND,
  schema: GBDT_CLASSIFIER_SCHEMA,
  defaults: DEFAULT_GBDT_CLASSIFIER_PARAMS,
  tags: { task: 'classification', ...GBDT_TAGS },
})

/** Params, defaults and tags of `GradientBoostingRegressor`. */
export const GBDT_REGRESSOR = defineEstimator({
  name: 'GradientBoostingRegressor',
  kind: GBDT_REGRESSOR_KIND,
  schema: GBDT_REGRESSOR_SCHEMA,
  defaults: DEFAULT_GBDT_REGRESSOR_PARAMS,
  tags: { task: 'regression', ...GBDT_TAGS },
})

interface CheckedInput {
  readonly categorical: Set<number>
  readonly featureNames: readonly string[]
}

function checkFitInput(x: Matrix, y: Float64Array, options: FitOptions): CheckedInput {
  if (x.data.length !== x.rows * x.cols) {
    throw new ShapeMismatchError(
      `Matrix data has ${x.data.length} values; expected rows*cols = ${x.rows}*${x.cols}.`,
    )
  }
  if (x.rows < 2)
    throw new InvalidArgumentError(`Gradient boosting needs at least 2 training rows; got ${x.rows}.`)
  if (x.cols < 1) throw new InvalidArgumentError('Gradient boosting needs at least 1 feature column; got 0.')
  if (y.length !== x.rows) {
    throw new ShapeMismatchError(
      `y has ${y.length} values but x has ${x.rows} rows; pass one target per row.`,
      {
        expected: x.rows,
        received: y.length,
      },
    )
  }
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i]!)) {
      throw new InvalidArgumentError(
        `y[${i}] is ${y[i]}; targets must be finite. Drop rows with a missing target.`,
        {
          row: i,
        },
      )
    }
  }
  const w = options.sampleWeight
  if (w !== undefined) {
    if (w.length !== x.rows) {
      throw new ShapeMismatchError(`sampleWeight has ${w.length} values but x has ${x.rows} rows.`, {
        expected: x.rows,
        received: w.length,
      })
    }
    for (let i = 0; i < w.length; i++) {
      if (!(w[i]! >= 0) || !Number.isFinite(w[i]!)) {
        throw new InvalidArgumentError(`sampleWeight[${i}] is ${w[i]}; weights must be finite and >= 0.`, {
          row: i,
        })
      }
    }
  }
  const categorical = new Set<number>()
  for (const c of options.categoricalFeatures ?? []) {
    if (!Number.isInteger(c) || c < 0 || c >= x.cols) {
      throw new InvalidArgumentError(
        `categoricalFeatures holds ${c}, which is not a column index of x (0..${x.cols - 1}).`,
        { column: c },
      )
    }
    categorical.add(c)
  }
  let featureNames = options.featureNames
  if (featureNames === undefined) featureNames = Array.from({ length: x.cols }, (_, i) => `f${i}`)
  if (featureNames.length !== x.cols) {
    throw new ShapeMismatchError(
      `featureNames has ${featureNames.length} names but x has ${x.cols} columns.`,
      {
        expected: x.cols,
        received: featureNames.length,
      },
    )
  }
  const v = options.validation
  if (v !== undefined) {
    assertColumns(v.x, x.cols, 'training data')
    if (v.y.length !== v.x.rows) {
      throw new ShapeMismatchError(
        `validation.y has ${v.y.length} values but validation.x has ${v.x.rows} rows.`,
      )
    }
    if (v.x.rows < 1)
      throw new InvalidArgumentError('validation.x has no rows; pass at least one row or omit it.')
  }
  return { categorical, featureNames: [...featureNames] }
}

/** Splits rows into train and validation parts (stratified by class when `classes` > 0). */
function holdOut(
  y: Float64Array,
  fraction: number,
  seed: number,
  classes: number,
): { train: Int32Array; valid: Int32Array } {
  const n = y.length
  const rng = new Rng(seed ^ 0x7a11d)
  const isValid = new Uint8Array(n)
  const groups: number[][] = []
  if (classes > 0) {
    for (let k = 0; k < classes; k++) groups.push([])
    for (let i = 0; i < n; i++) groups[y[i]!]!.push(i)
  } else {
    groups.push(Array.from({ length: n }, (_, i) => i))
  }
  for (const g of groups) {
    rng.shuffle(g)
    const take = Math.round(g.length * fraction)
    for (let i = 0; i < take; i++) isValid[g[i]!] = 1
  }
  let nValid = 0
  for (let i = 0; i < n; i++) nValid += isValid[i]!
  const train = new Int32Array(n - nValid)
  const valid = new Int32Array(nValid)
  let a = 0
  let b = 0
  for (let i = 0; i < n; i++) {
    if (isValid[i] === 1) valid[b++] = i
    else train[a++] = i
  }
  return { train, valid }
}

async function fitEnsemble(
  x: Matrix,
  y: Float64Array,
  weight: Float64Array | null,
  options: FitOptions,
  checked: CheckedInput,
  objective: Objective,
  p: GbdtCommonParams,
  stratifyClasses: number,
): Promise<EnsembleState> {
  let trainRows: Int32Array | null = null
  let validation: Parameters<typeof trainEnsemble>[0]['validation'] = null
  if (
    p.earlyStopping === 'auto' &&
    options.validation === undefined &&
    x.rows <= Math.min(p.autoEarlyStoppingRows, p.autoCvMaxRows) &&
    p.autoCvFolds >= 2 &&
    x.rows >= 2 * p.autoCvFolds
  ) {
    return fitCvRounds(x, y, weight, options, checked, objective, p, stratifyClasses)
  }
  if (p.earlyStopping !== false) {
    if (options.validation !== undefined) {
      validation = { kind: 'matrix', x: options.validation.x, y: options.validation.y }
    } else if (p.earlyStopping === true || x.rows > p.autoEarlyStoppingRows) {
      const split = holdOut(y, p.validationFraction, p.seed, stratifyClasses)
      if (split.valid.length > 0 && split.train.length > 1) {
        trainRows = split.train
        validation = { kind: 'rows', rows: split.valid }
      }
    }
  }
  const common = { x, y, weight, categorical: checked.categorical, featureNames: checked.featureNames }
  const state = await trainEnsemble(
    {
      ...common,
      trainRows,
      validation,
      ...(options.onIteration === undefined ? {} : { onIteration: options.onIteration }),
    },
    objective,
    p,
  )
  if (trainRows === null || !p.earlyStoppingRefit || state.nRounds === 0) return state
  // The automatic holdout only chose the number of rounds; refitting on every row gets back the
  // rows it held out, which is most of what early stopping costs on small data. The round count
  // is scaled by the row ratio, the usual rule when refitting after a holdout (more rows support
  // more rounds before overfitting).
  const rounds = Math.max(1, Math.round((state.nRounds * x.rows) / trainRows.length))
  // Progress callbacks saw the rounds with their validation loss already; the refit is silent.
  const full = await trainEnsemble({ ...common, trainRows: null, validation: null }, objective, {
    ...p,
    nEstimators: rounds,
  })
  return { ...full, validationLoss: state.validationLoss }
}

/**
 * Small data (`earlyStopping: 'auto'`, at most `autoCvMaxRows` rows): one 10 % holdout is
 * too noisy to stop on (measured in bench/realdata-results.md), so the round count is chosen by
 * `autoCvFolds`-fold cross-validation instead, as xgb.cv / lgb.cv do: each fold is early-stopped
 * on its own held-out part, the mean best round (scaled by the row ratio) is the count, and the
 * final model is fitted on every row. Costs `autoCvFolds` extra fits of at most
 * `autoEarlyStoppingRows` rows.
 */
async function fitCvRounds(
  x: Matrix,
  y: Float64Array,
  weight: Float64Array | null,
  options: FitOptions,
  checked: CheckedInput,
  objective: Objective,
  p: GbdtCommonParams,
  stratifyClasses: number,
): Promise<EnsembleState> {
  const k = p.autoCvFolds
  const fold = kFolds(y, k, p.seed, stratifyClasses)
  const common = { x, y, weight, categorical: checked.categorical, featureNames: checked.featureNames }
  let roundSum = 0
  for (let f = 0; f < k; f++) {
    let nValid = 0
    for (let i = 0; i < fold.length; i++) if (fold[i] === f) nValid++
    const train = new Int32Array(x.rows - nValid)
    const valid = new Int32Array(nValid)
    let a = 0
    let b = 0
    for (let i = 0; i < fold.length; i++) {
      if (fold[i] === f) valid[b++] = i
      else train[a++] = i
    }
    const state = await trainEnsemble(
      { ...common, trainRows: train, validation: { kind: 'rows', rows: valid } },
      objective,
      p,
    )
    roundSum += state.nRounds
  }
  // Mean best round, scaled by k / (k - 1): the final fit has a fold's worth more rows.
  const rounds = Math.max(1, Math.round(roundSum / (k - 1)))
  return trainEnsemble(
    {
      ...common,
      trainRows: null,
      validation: null,
      ...(options.onIteration === undefined ? {} : { onIteration: options.onIteration }),
    },
    objective,
    { ...p, nEstimators: Math.min(rounds, p.nEstimators) },
  )
}

/** Assigns every row a fold in 0..k-1 (stratified by class when `classes` > 0). */
function kFolds(y: Float64Array, k: number, seed: number, classes: number): Uint8Array {
  const n = y.length
  const rng = new Rng(seed ^ 0x6b0f0)
  const groups: number[][] = []
  if (classes > 0) {
    for (let c = 0; c < classes; c++) groups.push([])
    for (let i = 0; i < n; i++) groups[y[i]!]!.push(i)
  } else {
    groups.push(Array.from({ length: n }, (_, i) => i))
  }
  const fold = new Uint8Array(n)
  // Dealing each shuffled class round-robin continues across classes, so fold sizes differ by
  // at most one row overall and class shares match in every fold.
  let next = 0
  for (const g of groups) {
    rng.shuffle(g)
    for (const i of g) {
      fold[i] = next
      next = (next + 1) % k
    }
  }
  return fold
}

/** Fitted state shared by both fitted GBDT models. */
interface GbdtState {
  readonly objective: ObjectiveKind
  readonly nFeatures: number
  readonly ensemble: EnsembleState
  readonly categoricalFeatures: readonly number[]
}

/** Shared behaviour of fitted gradient boosting models: raw margins, importances, trees, artifacts. */
abstract class FittedGbdtBase implements HasTrees {
  abstract readonly kind: string
  abstract readonly task: TaskKind
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  /**
   * Boosting rounds kept: the best round when early stopping ran, or after the refit on every row
   * (`earlyStoppingRefit`), the best round scaled by the row ratio.
   */
  readonly nRounds: number
  /** Validation loss per round when early stopping ran (index 0: base score only; the holdout's when refitted). */
  readonly validationLoss: readonly number[]
  protected readonly state: GbdtState
  protected readonly forest: PackedForest
  /** Threads for scoring large batches (the `threads` param; 0 = all cores). */
  private readonly predictThreads: number
  private predictPool: PredictPool | undefined

  constructor(state: GbdtState, featureNames: readonly string[], threads: number) {
    this.state = state
    this.predictThreads = threads
    this.nFeatures = state.nFeatures
    this.featureNames = Object.freeze([...featureNames])
    this.nRounds = state.ensemble.nRounds
    this.validationLoss = state.ensemble.validationLoss
    this.forest = PackedForest.fromTrees(
      state.ensemble.trees,
      state.ensemble.treeOutput,
      state.ensemble.nOutputs,
    )
  }

  /** Outputs per row: 1, or the number of classes for softmax. */
  get nOutputs(): number {
    return this.state.ensemble.nOutputs
  }

  /** Raw margins (log-odds / class scores / regression values), row-major rows x nOutputs. */
  predictRaw(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    const K = this.nOutputs
    const out = new Float64Array(x.rows * K)
    const base = this.state.ensemble.baseScore
    for (let r = 0; r < x.rows; r++) for (let k = 0; k < K; k++) out[r * K + k] = base[k]!
    const threads = resolveThreads(this.predictThreads)
    if (x.rows >= MIN_PARALLEL_PREDICT_ROWS && threads > 1) {
      this.predictPool ??= new PredictPool(this.forest, threads)
      this.predictPool.run(this.forest, x, out)
    } else {
      this.forest.addRows(x.data, x.cols, 0, x.rows, out)
    }
    return out
  }

  /**
   * Raw margins of one row written into `out` (length nOutputs) without allocating: the
   * low-latency path for scoring single requests.
   */
  predictRowRaw(row: Float64Array, out: Float64Array, rowOffset = 0): void {
    const K = this.nOutputs
    const base = this.state.ensemble.baseScore
    for (let k = 0; k < K; k++) out[k] = base[k]!
    this.forest.addRow(row, rowOffset, out, 0, this.nFeatures)
  }

  /** Total split gain ('gain', default) or number of splits ('split') per feature. */
  featureImportance(kind: 'gain' | 'split' = 'gain'): Float64Array {
    return Float64Array.from(
      kind === 'split' ? this.state.ensemble.importanceSplit : this.state.ensemble.importanceGain,
    )
  }

  /** The trees for explanation (TreeSHAP): margin = baseScore[o] + sum of leaf values of output o. */
  treeEnsemble(): TreeEnsembleView {
    const e = this.state.ensemble
    return {
      nOutputs: e.nOutputs,
      baseScore: Float64Array.from(e.baseScore),
      trees: e.trees.map((tree, i) => ({ tree: treeView(tree), output: e.treeOutput[i]! })),
      treeWeight: 1,
    }
  }

  /**
   * The fitted trees as `gbdtFromTrees` takes them back (copies): what optimizers that edit trees
   * (pruning, merging leaves, distilled students) start from.
   */
  treesInput(): GbdtTreesInput {
    const e = this.state.ensemble
    const copy = (t: Tree): Tree => ({
      feature: t.feature.slice(),
      threshold: t.threshold.slice(),
      left: t.left.slice(),
      right: t.right.slice(),
      defaultLeft: t.defaultLeft.slice(),
      value: t.value.slice(),
      cover: t.cover.slice(),
      gain: t.gain.slice(),
      catIndex: t.catIndex.slice(),
      catBits: t.catBits.slice(),
    })
    return {
      task: this.task,
      ...(this.task === 'regression' ? {} : { nClasses: e.nOutputs === 1 ? 2 : e.nOutputs }),
      featureNames: this.featureNames,
      baseScore: Float64Array.from(e.baseScore),
      trees: e.trees.map(copy),
      treeOutput: Int32Array.from(e.treeOutput),
      categoricalFeatures: [...this.state.categoricalFeatures],
    }
  }

  protected artifactState(): Record<string, unknown> {
    return encodeState(this.state)
  }
}

/** A fitted gradient boosting classifier (binary logistic or multiclass softmax). */
export class FittedGradientBoostingClassifier extends FittedGbdtBase implements FittedClassifier {
  readonly kind = GBDT_CLASSIFIER_KIND
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number
  readonly params: GradientBoostingClassifierParams

  constructor(
    state: GbdtState,
    params: GradientBoostingClassifierParams,
    featureNames: readonly string[],
    nClasses: number,
  ) {
    super(state, featureNames, params.threads)
    this.params = params
    this.nClasses = nClasses
    this.task = nClasses === 2 ? 'binary' : 'multiclass'
  }

  /** Class probabilities, rows x nClasses (columns are class codes 0..k-1). */
  predictProba(x: Matrix): Matrix {
    const raw = this.predictRaw(x)
    const k = this.nClasses
    const out = new Float64Array(x.rows * k)
    if (this.nOutputs === 1) {
      for (let r = 0; r < x.rows; r++) {
        const p = 1 / (1 + Math.exp(-raw[r]!))
        out[r * 2] = 1 - p
        out[r * 2 + 1] = p
      }
    } else {
      softmaxRows(raw, out, x.rows, k)
    }
    return { rows: x.rows, cols: k, data: out }
  }

  /** Most probable class code per row. */
  predict(x: Matrix): Float64Array {
    const raw = this.predictRaw(x)
    const out = new Float64Array(x.rows)
    const K = this.nOutputs
    if (K === 1) {
      for (let r = 0; r < x.rows; r++) out[r] = raw[r]! > 0 ? 1 : 0
      return out
    }
    for (let r = 0; r < x.rows; r++) {
      let best = 0
      for (let k = 1; k < K; k++) if (raw[r * K + k]! > raw[r * K + best]!) best = k
      out[r] = best
    }
    return out
  }

  toArtifact(): Artifact {
    return makeArtifact({
      format: 'model',
      formatVersion: GBDT_FORMAT_VERSION,
      kind: this.kind,
      params: this.params,
      state: { nClasses: this.nClasses, ...this.artifactState() },
      featureNames: this.featureNames,
    })
  }
}

/** A fitted gradient boosting regressor. */
export class FittedGradientBoostingRegressor extends FittedGbdtBase implements FittedModel {
  readonly kind = GBDT_REGRESSOR_KIND
  readonly task = 'regression' as const
  readonly params: GradientBoostingRegressorParams

  constructor(state: GbdtState, params: GradientBoostingRegressorParams, featureNames: readonly string[]) {
    super(state, featureNames, params.threads)
    this.params = params
  }

  /** Predicted values. */
  predict(x: Matrix): Float64Array {
    return this.predictRaw(x)
  }

  toArtifact(): Artifact {
    return makeArtifact({
      format: 'model',
      formatVersion: GBDT_FORMAT_VERSION,
      kind: this.kind,
      params: this.params,
      state: this.artifactState(),
      featureNames: this.featureNames,
    })
  }
}

/**
 * Histogram gradient boosting for classification: binary logistic loss for two classes, softmax
 * for more. Targets are class codes 0..k-1.
 */
export class GradientBoostingClassifier extends DefinedEstimator<
  GradientBoostingClassifierParams,
  FittedGradientBoostingClassifier,
  typeof GBDT_CLASSIFIER_KIND
> {
  static readonly definition = GBDT_CLASSIFIER

  async fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedGradientBoostingClassifier> {
    const checked = checkFitInput(x, y, options)
    const p = this.params
    let maxClass = 0
    for (let i = 0; i < y.length; i++) {
      const v = y[i]!
      if (!Number.isInteger(v) || v < 0) {
        throw new InvalidArgumentError(
          `Classifier targets must be class codes 0..k-1; y[${i}] is ${v}. Encode labels as codes first.`,
          { row: i },
        )
      }
      if (v > maxClass) maxClass = v
    }
    const nClasses = maxClass + 1
    if (nClasses < 2) {
      throw new InvalidArgumentError('The classifier needs at least two classes in y; all targets are 0.')
    }
    const v = options.validation
    if (v !== undefined) {
      for (let i = 0; i < v.y.length; i++) {
        const c = v.y[i]!
        if (!Number.isInteger(c) || c < 0 || c >= nClasses) {
          throw new InvalidArgumentError(
            `validation.y[${i}] is ${c}; expected a class code in 0..${nClasses - 1}.`,
          )
        }
      }
    }
    const weight = classWeights(y, options.sampleWeight ?? null, nClasses, p)
    const objective = nClasses === 2 ? logistic() : softmax(nClasses)
    const ensemble = await fitEnsemble(x, y, weight, options, checked, objective, p, nClasses)
    const state: GbdtState = {
      objective: objective.kind,
      nFeatures: x.cols,
      ensemble,
      categoricalFeatures: [...checked.categorical].sort((a, b) => a - b),
    }
    return new FittedGradientBoostingClassifier(state, p, checked.featureNames, nClasses)
  }
}

/** Row weights combining sampleWeight, classWeight and scalePosWeight (null when all are 1). */
function classWeights(
  y: Float64Array,
  sampleWeight: Float64Array | null,
  nClasses: number,
  p: GradientBoostingClassifierParams,
): Float64Array | null {
  const perClass = new Float64Array(nClasses).fill(1)
  if (p.classWeight === 'balanced') {
    const counts = new Float64Array(nClasses)
    for (let i = 0; i < y.length; i++) counts[y[i]!] = counts[y[i]!]! + 1
    for (let k = 0; k < nClasses; k++) perClass[k] = counts[k]! > 0 ? y.length / (nClasses * counts[k]!) : 1
  } else if (Array.isArray(p.classWeight)) {
    if (p.classWeight.length !== nClasses) {
      throw new InvalidArgumentError(
        `classWeight has ${p.classWeight.length} entries but y has ${nClasses} classes; give one weight per class.`,
      )
    }
    for (let k = 0; k < nClasses; k++) perClass[k] = p.classWeight[k]!
  }
  if (p.scalePosWeight !== 1) {
    if (nClasses !== 2)
      throw new InvalidArgumentError('scalePosWeight applies to binary targets only; use classWeight.')
    perClass[1] = perClass[1]! * p.scalePosWeight
  }
  const uniform = perClass.every((c) => c === 1)
  if (uniform && sampleWeight === null) return null
  const w = new Float64Array(y.length)
  for (let i = 0; i < y.length; i++) w[i] = perClass[y[i]!]! * (sampleWeight === null ? 1 : sampleWeight[i]!)
  return w
}

/** Histogram gradient boosting for regression: squared error, absolute error or Huber loss. */
export class GradientBoostingRegressor extends DefinedEstimator<
  GradientBoostingRegressorParams,
  FittedGradientBoostingRegressor,
  typeof GBDT_REGRESSOR_KIND
> {
  static readonly definition = GBDT_REGRESSOR

  async fit(x: Matrix, y: Float64Array, options: FitOptions = {}): Promise<FittedGradientBoostingRegressor> {
    const checked = checkFitInput(x, y, options)
    const p = this.params
    const objective =
      p.loss === 'squared-error'
        ? squaredError()
        : p.loss === 'absolute-error'
          ? absoluteError()
          : huber(p.huberAlpha)
    const ensemble = await fitEnsemble(x, y, options.sampleWeight ?? null, options, checked, objective, p, 0)
    const state: GbdtState = {
      objective: objective.kind,
      nFeatures: x.cols,
      ensemble,
      categoricalFeatures: [...checked.categorical].sort((a, b) => a - b),
    }
    return new FittedGradientBoostingRegressor(state, p, checked.featureNames)
  }
}

// ---- artifact state -------------------------------------------------------------------------

function encodeState(s: GbdtState): Record<string, unknown> {
  const e = s.ensemble
  const trees = e.trees
  let nNodes = 0
  let nWords = 0
  for (const t of trees) {
    nNodes += t.feature.length
    nWords += t.catBits.length
  }
  const nodeCounts = new Int32Array(trees.length)
  const feature = new Int32Array(nNodes)
  const threshold = new Float64Array(nNodes)
  const left = new Int32Array(nNodes)
  const right = new Int32Array(nNodes)
  const defaultLeft = new Uint8Array(nNodes)
  const value = new Float64Array(nNodes)
  const cover = new Float64Array(nNodes)
  const gain = new Float64Array(nNodes)
  const catIndex = new Int32Array(nNodes)
  const catBits = new Uint32Array(nWords)
  let o = 0
  let wo = 0
  trees.forEach((t, i) => {
    nodeCounts[i] = t.feature.length
    feature.set(t.feature, o)
    threshold.set(t.threshold, o)
    left.set(t.left, o)
    right.set(t.right, o)
    defaultLeft.set(t.defaultLeft, o)
    value.set(t.value, o)
    cover.set(t.cover, o)
    gain.set(t.gain, o)
    catIndex.set(t.catIndex, o)
    catBits.set(t.catBits, wo)
    o += t.feature.length
    wo += t.catBits.length
  })
  return {
    objective: s.objective,
    nFeatures: s.nFeatures,
    nOutputs: e.nOutputs,
    nRounds: e.nRounds,
    categoricalFeatures: s.categoricalFeatures,
    validationLoss: e.validationLoss,
    baseScore: encodeCompact(e.baseScore),
    treeOutput: encodeCompact(e.treeOutput),
    nodeCounts: encodeCompact(nodeCounts),
    feature: encodeCompact(feature),
    threshold: encodeCompact(threshold),
    left: encodeCompact(left),
    right: encodeCompact(right),
    defaultLeft: encodeCompact(defaultLeft),
    value: encodeCompact(value),
    cover: encodeCompact(cover),
    gain: encodeCompact(gain),
    catIndex: encodeCompact(catIndex),
    catBits: encodeArray(catBits),
    importanceGain: encodeCompact(e.importanceGain),
    importanceSplit: encodeCompact(e.importanceSplit),
  }
}

function invalid(message: string): ArtifactError {
  return new ArtifactError('ARTIFACT_INVALID', `GBDT artifact: ${message}`)
}

const OBJECTIVES: readonly ObjectiveKind[] = [
  'logistic',
  'softmax',
  'squared-error',
  'absolute-error',
  'huber',
]

function decodeState(raw: unknown, nFeatureNames: number, formatVersion: number): GbdtState {
  if (typeof raw !== 'object' || raw === null) throw invalid('state is not an object.')
  const s = raw as Record<string, unknown>
  const int = (key: string, min: number): number => {
    const v = s[key]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw invalid(`'${key}' must be an integer >= ${min}.`)
    return v
  }
  const objective = s.objective
  if (typeof objective !== 'string' || !OBJECTIVES.includes(objective as ObjectiveKind)) {
    throw invalid(`unknown objective ${JSON.stringify(objective)}.`)
  }
  const nFeatures = int('nFeatures', 1)
  if (nFeatures !== nFeatureNames)
    throw invalid(`nFeatures ${nFeatures} differs from ${nFeatureNames} feature names.`)
  const nOutputs = int('nOutputs', 1)
  const nRounds = int('nRounds', 0)
  const categoricalFeatures = s.categoricalFeatures
  if (
    !Array.isArray(categoricalFeatures) ||
    !categoricalFeatures.every((c) => Number.isInteger(c) && c >= 0 && c < nFeatures)
  ) {
    throw invalid('categoricalFeatures must list column indices.')
  }
  const validationLoss = s.validationLoss
  if (!Array.isArray(validationLoss) || !validationLoss.every((v) => typeof v === 'number')) {
    throw invalid('validationLoss must be an array of numbers.')
  }
  // version 1 stored fixed dtypes; version 2 the narrowest exact one (decodeCompact widens back)
  const v1 = formatVersion < 2
  const f64 = (e: unknown): Float64Array => (v1 ? decodeArray(e, 'f64') : decodeCompact(e, 'f64'))
  const i32 = (e: unknown): Int32Array => (v1 ? decodeArray(e, 'i32') : decodeCompact(e, 'i32'))
  const baseScore = f64(s.baseScore)
  const treeOutput = i32(s.treeOutput)
  const nodeCounts = i32(s.nodeCounts)
  const feature = i32(s.feature)
  const threshold = f64(s.threshold)
  const left = i32(s.left)
  const right = i32(s.right)
  const defaultLeft = v1 ? decodeArray(s.defaultLeft, 'u8') : decodeCompact(s.defaultLeft, 'u8')
  const value = f64(s.value)
  const cover = f64(s.cover)
  const gain = f64(s.gain)
  const catIndex = i32(s.catIndex)
  const catBits = decodeArray(s.catBits, 'u32')
  const importanceGain = f64(s.importanceGain)
  const importanceSplit = f64(s.importanceSplit)
  if (baseScore.length !== nOutputs)
    throw invalid(`baseScore has ${baseScore.length} values; expected ${nOutputs}.`)
  if (treeOutput.length !== nodeCounts.length) throw invalid('treeOutput and nodeCounts differ in length.')
  if (importanceGain.length !== nFeatures || importanceSplit.length !== nFeatures) {
    throw invalid('importances must have one value per feature.')
  }
  let total = 0
  for (const c of nodeCounts) {
    if (c < 1) throw invalid('every tree needs at least one node.')
    total += c
  }
  for (const a of [feature, threshold, left, right, defaultLeft, value, cover, gain, catIndex]) {
    if (a.length !== total) throw invalid(`node arrays must hold ${total} entries.`)
  }
  const trees: Tree[] = []
  let o = 0
  let wo = 0
  for (let t = 0; t < nodeCounts.length; t++) {
    const n = nodeCounts[t]!
    const out = treeOutput[t]!
    if (out < 0 || out >= nOutputs) throw invalid(`tree ${t} adds to output ${out}; there are ${nOutputs}.`)
    let nCat = 0
    for (let i = 0; i < n; i++) {
      const f = feature[o + i]!
      if (f === -1) continue
      const l = left[o + i]!
      const r = right[o + i]!
      // Children after their parent: walks always end at a leaf, whatever the file says.
      if (f < 0 || f >= nFeatures || l <= i || r <= i || l >= n || r >= n)
        throw invalid(`tree ${t} node ${i} is malformed.`)
      const ci = catIndex[o + i]!
      if (ci >= 0) nCat = Math.max(nCat, ci + 1)
    }
    const words = nCat * CAT_WORDS
    if (wo + words > catBits.length) throw invalid(`tree ${t} refers to missing categorical bitsets.`)
    trees.push({
      feature: feature.slice(o, o + n),
      threshold: threshold.slice(o, o + n),
      left: left.slice(o, o + n),
      right: right.slice(o, o + n),
      defaultLeft: defaultLeft.slice(o, o + n),
      value: value.slice(o, o + n),
      cover: cover.slice(o, o + n),
      gain: gain.slice(o, o + n),
      catIndex: catIndex.slice(o, o + n),
      catBits: catBits.slice(wo, wo + words),
    })
    o += n
    wo += words
  }
  if (wo !== catBits.length) throw invalid('catBits holds more words than the trees use.')
  return {
    objective: objective as ObjectiveKind,
    nFeatures,
    categoricalFeatures: categoricalFeatures as number[],
    ensemble: {
      nOutputs,
      baseScore,
      trees,
      treeOutput,
      nRounds,
      importanceGain,
      importanceSplit,
      validationLoss: validationLoss as number[],
    },
  }
}

/** Reads a 'gbdt-classifier' artifact. */
export function readGbdtClassifier(value: Artifact<unknown, unknown>): FittedGradientBoostingClassifier {
  const a = checkArtifact(value, {
    format: 'model',
    kind: GBDT_CLASSIFIER_KIND,
    maxVersion: GBDT_FORMAT_VERSION,
  })
  const state = decodeState(a.state, a.featureNames.length, a.formatVersion)
  const nClasses = (a.state as { nClasses?: unknown }).nClasses
  if (typeof nClasses !== 'number' || !Number.isInteger(nClasses) || nClasses < 2)
    throw invalid('nClasses must be >= 2.')
  if ((nClasses === 2 ? 1 : nClasses) !== state.ensemble.nOutputs)
    throw invalid('nClasses does not match nOutputs.')
  const params = resolveArtifactParams(GBDT_CLASSIFIER, a)
  return new FittedGradientBoostingClassifier(state, params, a.featureNames as string[], nClasses)
}

/** Reads a 'gbdt-regressor' artifact. */
export function readGbdtRegressor(value: Artifact<unknown, unknown>): FittedGradientBoostingRegressor {
  const a = checkArtifact(value, {
    format: 'model',
    kind: GBDT_REGRESSOR_KIND,
    maxVersion: GBDT_FORMAT_VERSION,
  })
  const state = decodeState(a.state, a.featureNames.length, a.formatVersion)
  if (state.ensemble.nOutputs !== 1) throw invalid('a regressor has exactly one output.')
  const params = resolveArtifactParams(GBDT_REGRESSOR, a)
  return new FittedGradientBoostingRegressor(state, params, a.featureNames as string[])
}

/** Trees grown elsewhere (an imported XGBoost or LightGBM model) that `gbdtFromTrees` adopts. */
export interface GbdtTreesInput {
  readonly task: TaskKind
  /** Classes of a classifier: 2 (one logit output, sigmoid) or more (one output each, softmax). */
  readonly nClasses?: number
  readonly featureNames: readonly string[]
  /** Margin each output starts from (length: 1, or nClasses for softmax). */
  readonly baseScore: Float64Array
  /** Trees in Keel's layout: children after their parent, categorical codes 0..255 as bitsets. */
  readonly trees: readonly Tree[]
  /** Output (class) each tree adds to. */
  readonly treeOutput: Int32Array
  /** Columns holding categorical codes. */
  readonly categoricalFeatures?: readonly number[]
}

/**
 * A fitted Keel GBDT over trees grown elsewhere: the model then scores on the WebAssembly scorer,
 * explains with TreeSHAP and saves like one Keel trained. Checked as an artifact read is (malformed
 * trees throw ARTIFACT_INVALID). Importances are the trees' split gains and counts.
 */
export function gbdtFromTrees(
  input: GbdtTreesInput,
): FittedGradientBoostingClassifier | FittedGradientBoostingRegressor {
  const nFeatures = input.featureNames.length
  const classifier = input.task !== 'regression'
  const nClasses = classifier ? (input.nClasses ?? 2) : 1
  const nOutputs = classifier && nClasses > 2 ? nClasses : 1
  const importanceGain = new Float64Array(nFeatures)
  const importanceSplit = new Float64Array(nFeatures)
  for (const tree of input.trees) {
    for (let i = 0; i < tree.feature.length; i++) {
      const f = tree.feature[i]!
      if (f < 0 || f >= nFeatures) continue
      importanceGain[f]! += Math.max(0, tree.gain[i]!)
      importanceSplit[f]!++
    }
  }
  const state: GbdtState = {
    objective: !classifier ? 'squared-error' : nOutputs === 1 ? 'logistic' : 'softmax',
    nFeatures,
    categoricalFeatures: [...(input.categoricalFeatures ?? [])],
    ensemble: {
      nOutputs,
      baseScore: Float64Array.from(input.baseScore),
      trees: input.trees,
      treeOutput: Int32Array.from(input.treeOutput),
      nRounds: Math.ceil(input.trees.length / nOutputs),
      importanceGain,
      importanceSplit,
      validationLoss: [],
    },
  }
  const built = classifier
    ? new FittedGradientBoostingClassifier(
        state,
        { ...DEFAULT_GBDT_CLASSIFIER_PARAMS, nEstimators: state.ensemble.nRounds },
        input.featureNames,
        nClasses,
      )
    : new FittedGradientBoostingRegressor(
        state,
        { ...DEFAULT_GBDT_REGRESSOR_PARAMS, nEstimators: state.ensemble.nRounds },
        input.featureNames,
      )
  // The artifact reader holds every structural check (children after parents, features in
  // range, bitsets present): reading the model back applies them to imported trees too.
  return classifier ? readGbdtClassifier(built.toArtifact()) : readGbdtRegressor(built.toArtifact())
}
