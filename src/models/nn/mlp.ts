import { z } from 'zod'
import type { Artifact, Matrix } from '../../core/index.js'
import {
  ArtifactError,
  assertColumns,
  encodeArray,
  InvalidArgumentError,
  makeArtifact,
  Rng,
} from '../../core/index.js'
import { DefinedEstimator, defineEstimator, flag, int, num, oneOf, resolveArtifactParams } from '../define.js'
import type { FitOptions, FittedClassifier, FittedModel } from '../estimator.js'
import { argmaxRows, probabilitiesFromMargins } from '../estimator.js'
import {
  applyClassWeight,
  checkFitInputs,
  checkFormatVersion,
  checkRegressionTarget,
  countClasses,
  readF32,
  readF64,
  readNumber,
  resolveFeatureNames,
  stateRecord,
} from '../linear/model-io.js'
import type { Standardizer } from '../linear/standardize.js'
import { fitStandardizer } from '../linear/standardize.js'
import { finishGather, startGather, useGemmThreads } from './gemm-pool.js'
import type { LossKind } from './network.js'
import { lossAndGradient, Network } from './network.js'
import { Adam, learningRateAt } from './optimizer.js'
import { wasmKernel } from './wasm-gemm.js'
import { f32Buffer } from './wasm-ops.js'

const FORMAT_VERSION = 1
const PREDICT_CHUNK_ROWS = 1024
/** Standardised training data up to this size lives in the kernels' memory (at most 1 GiB in all). */
const RESIDENT_DATA_BYTES = 256 * 2 ** 20

/** Params of {@link MLPClassifier} and {@link MLPRegressor} (schema; the type is `MLPParams`). */
export const MLP_SCHEMA = z.object({
  /** Width of each hidden layer, input side first. */
  hiddenLayers: z
    .array(int({ min: 1, max: 65536 }), { error: 'an array of layer widths, e.g. [128, 64]' })
    .readonly(),
  activation: oneOf('relu', 'gelu'),
  /** Batch normalisation after each hidden dense layer (before the activation). */
  batchNorm: flag(),
  /** Dropout rate after each hidden activation (0 disables). */
  dropout: num({ min: 0, max: 0.95 }),
  /** `adamw` decays weights directly (decoupled); `adam` adds weightDecay * w to the gradient. */
  optimizer: oneOf('adam', 'adamw'),
  learningRate: num({ gt: 0 }),
  /** Weight decay on dense weights (never on biases or batch-norm parameters). */
  weightDecay: num({ min: 0 }),
  beta1: num({ min: 0, max: 0.999999 }),
  beta2: num({ min: 0, max: 0.999999 }),
  batchSize: int({ min: 1 }),
  maxEpochs: int({ min: 1 }),
  /** Learning-rate schedule after warm-up: constant, cosine decay to 0 over maxEpochs, or step decay. */
  schedule: oneOf('constant', 'cosine', 'step'),
  /** Epochs of linear warm-up (0 disables). */
  warmupEpochs: int({ min: 0 }),
  /** For `step`: multiply the rate by stepGamma every stepEpochs epochs. */
  stepEpochs: int({ min: 1 }),
  stepGamma: num({ gt: 0, max: 1 }),
  /**
   * Stop when the validation loss has not improved for `patience` epochs and keep the best
   * epoch's weights. Uses FitOptions.validation, or else a (stratified) `validationFraction` of
   * the training rows.
   */
  earlyStopping: flag(),
  patience: int({ min: 1 }),
  validationFraction: num({ gt: 0, max: 0.5 }),
  /**
   * Weight initialisation: He normal (fan-in, for ReLU/GELU), Xavier/Glorot normal, or
   * `fan-in-uniform` (uniform +-1/sqrt(fan_in) for weights and biases, PyTorch's default).
   */
  init: oneOf('he', 'xavier', 'fan-in-uniform'),
  /** Classifiers only: `balanced` weights class c by n / (k * n_c). */
  classWeight: oneOf('balanced', null),
  /** Threads for the large matrix products (0: every core, at most 16); results do not depend on it. */
  threads: int({ min: 0, max: 64 }),
  seed: int(),
})

/** Params of {@link MLPClassifier} and {@link MLPRegressor}. */
export type MLPParams = Readonly<z.infer<typeof MLP_SCHEMA>>

/** Defaults of the MLP estimators. */
export const MLP_DEFAULT_PARAMS: MLPParams = {
  hiddenLayers: [128, 64],
  activation: 'relu',
  batchNorm: true,
  dropout: 0.1,
  optimizer: 'adamw',
  learningRate: 1e-3,
  weightDecay: 1e-4,
  beta1: 0.9,
  beta2: 0.999,
  batchSize: 256,
  maxEpochs: 200,
  schedule: 'constant',
  warmupEpochs: 0,
  stepEpochs: 30,
  stepGamma: 0.1,
  earlyStopping: true,
  patience: 10,
  validationFraction: 0.1,
  // PyTorch's default: with batch norm the weight scale sets Adam's effective step, and this scale
  // is the one the usual lr = 1e-3 recipe was tuned with (bench/mlp.ts: He trained visibly slower).
  init: 'fan-in-uniform',
  classWeight: null,
  threads: 0,
  seed: 0,
}

// The network reads NaN inputs as the training mean (0 after standardising).
const MLP_TAGS = { categorical: false, missing: 'imputed', tree: false, interpretable: false } as const

/** Params, defaults and tags of {@link MLPClassifier}. */
export const MLP_CLASSIFIER = defineEstimator({
  name: 'MLPClassifier',
  kind: 'mlp-classifier',
  schema: MLP_SCHEMA,
  defaults: MLP_DEFAULT_PARAMS,
  tags: { task: 'classification', ...MLP_TAGS },
})

/** Params, defaults and tags of {@link MLPRegressor}. */
export const MLP_REGRESSOR = defineEstimator({
  name: 'MLPRegressor',
  kind: 'mlp-regressor',
  schema: MLP_SCHEMA,
  defaults: MLP_DEFAULT_PARAMS,
  tags: { task: 'regression', ...MLP_TAGS },
})

/** Everything a fitted MLP needs to predict, plus training facts. @internal */
interface MlpState {
  readonly params: MLPParams
  readonly featureNames: readonly string[]
  /** 0 for regression. */
  readonly nClasses: number
  readonly scaler: Standardizer
  readonly yMean: number
  readonly yStd: number
  readonly network: Network
  readonly bestEpoch: number
  readonly epochsRun: number
}

/** Input rows standardised into float32; NaN and infinities become 0 (the training mean). */
function standardizeF32(x: Matrix, s: Standardizer, row0: number, rows: number, out: Float32Array): void {
  const p = x.cols
  const d = x.data
  for (let i = 0; i < rows; i++) {
    const src = (row0 + i) * p
    const dst = i * p
    for (let j = 0; j < p; j++) {
      const z = (d[src + j]! - s.mean[j]!) / s.scale[j]!
      out[dst + j] = Number.isFinite(z) ? z : 0
    }
  }
}

type Task = 'classification' | 'regression'

/** Indices of validation rows: a stratified fraction for classifiers, a plain one for regression. */
function splitValidation(y: Float64Array, task: Task, fraction: number, rng: Rng): Uint8Array {
  const n = y.length
  const isValid = new Uint8Array(n)
  if (task === 'classification') {
    const byClass = new Map<number, number[]>()
    for (let i = 0; i < n; i++) {
      const list = byClass.get(y[i]!)
      if (list === undefined) byClass.set(y[i]!, [i])
      else list.push(i)
    }
    for (const key of [...byClass.keys()].sort((a, b) => a - b)) {
      const rows = rng.shuffle(byClass.get(key)!)
      const take = Math.round(rows.length * fraction)
      for (let t = 0; t < take && t < rows.length - 1; t++) isValid[rows[t]!] = 1
    }
  } else {
    const perm = rng.permutation(n)
    const take = Math.round(n * fraction)
    for (let t = 0; t < take && t < n - 1; t++) isValid[perm[t]!] = 1
  }
  return isValid
}

async function trainMlp(
  params: MLPParams,
  task: Task,
  x: Matrix,
  y: Float64Array,
  options: FitOptions | undefined,
): Promise<MlpState> {
  const what = task === 'classification' ? 'MLPClassifier' : 'MLPRegressor'
  const sampleWeight = checkFitInputs(x, y, options)
  const featureNames = resolveFeatureNames(x.cols, options)
  let nClasses = 0
  let weights = sampleWeight
  if (task === 'classification') {
    nClasses = countClasses(y)
    weights = applyClassWeight(y, sampleWeight, nClasses, params.classWeight)
  } else {
    checkRegressionTarget(y)
    if (params.classWeight !== null) {
      throw new InvalidArgumentError(`${what} param 'classWeight' applies to classifiers only; use null.`)
    }
  }
  const given = options?.validation
  if (given !== undefined) {
    assertColumns(given.x, x.cols, what)
    if (given.y.length !== given.x.rows) {
      throw new InvalidArgumentError(`validation.y has ${given.y.length} values for ${given.x.rows} rows.`)
    }
  }
  const kernel = wasmKernel()
  if (kernel !== null) await useGemmThreads(params.threads, kernel.memory)
  const rng = new Rng(params.seed)
  const initRng = rng.fork(1)
  const dropoutRng = rng.fork(2)
  const shuffleRng = rng.fork(3)
  const splitRng = rng.fork(4)

  const isValid =
    given === undefined && params.earlyStopping
      ? splitValidation(y, task, params.validationFraction, splitRng)
      : new Uint8Array(x.rows)
  const trainRows: number[] = []
  const validRows: number[] = []
  for (let i = 0; i < x.rows; i++) (isValid[i] === 1 ? validRows : trainRows).push(i)

  // Standardise on the rows the network trains on.
  const trainIdx = Int32Array.from(trainRows)
  const trainX: Matrix = trainRows.length === x.rows ? x : takeMatrixRows(x, trainIdx)
  const trainW = gather(sampleWeight, trainIdx)
  const scaler = fitStandardizer(
    trainX,
    options?.sampleWeight === undefined ? undefined : trainW,
    'non-binary',
  )

  let yMean = 0
  let yStd = 1
  const target = Float64Array.from(y)
  if (task === 'regression') {
    let sw = 0
    for (const i of trainRows) {
      yMean += weights[i]! * y[i]!
      sw += weights[i]!
    }
    yMean /= sw
    let ss = 0
    for (const i of trainRows) ss += weights[i]! * (y[i]! - yMean) ** 2
    yStd = Math.sqrt(ss / sw)
    if (!(yStd > 0)) yStd = 1
    for (let i = 0; i < y.length; i++) target[i] = (y[i]! - yMean) / yStd
  }

  const p = x.cols
  // In the kernels' memory (when available and not too large for it), so a gemm worker can gather
  // batches from it.
  const z = x.rows * p * 4 <= RESIDENT_DATA_BYTES ? f32Buffer(x.rows, p) : new Float32Array(x.rows * p)
  standardizeF32(x, scaler, 0, x.rows, z)

  const outputWidth = task === 'regression' ? 1 : nClasses === 2 ? 1 : nClasses
  const lossKind: LossKind = task === 'regression' ? 'mse' : nClasses === 2 ? 'bce' : 'cross-entropy'
  const network = new Network(
    {
      inputWidth: p,
      hiddenLayers: params.hiddenLayers,
      outputWidth,
      batchNorm: params.batchNorm,
      activation: params.activation,
      dropout: params.dropout,
    },
    dropoutRng,
  )
  network.init(initRng, params.init)
  const adam = new Adam(network.params, {
    beta1: params.beta1,
    beta2: params.beta2,
    eps: 1e-8,
    weightDecay: params.weightDecay,
    decoupled: params.optimizer === 'adamw',
  })

  // Validation data (standardised with the training scaler).
  let validZ: Float32Array | undefined
  let validY: Float64Array | undefined
  let validW: Float64Array | undefined
  let validRowsCount = 0
  if (given !== undefined) {
    validRowsCount = given.x.rows
    validZ = new Float32Array(validRowsCount * p)
    standardizeF32(given.x, scaler, 0, validRowsCount, validZ)
    validY = Float64Array.from(given.y)
    if (task === 'regression') for (let i = 0; i < validY.length; i++) validY[i] = (validY[i]! - yMean) / yStd
    else {
      for (let i = 0; i < validY.length; i++) {
        const c = validY[i]!
        if (!Number.isInteger(c) || c < 0 || c >= nClasses) {
          throw new InvalidArgumentError(
            `validation.y[${i}] is ${c}; expected a class code 0..${nClasses - 1}.`,
          )
        }
      }
    }
    validW = new Float64Array(validRowsCount).fill(1)
  } else if (validRows.length > 0) {
    const idx = Int32Array.from(validRows)
    validRowsCount = idx.length
    validZ = gatherRows(z, p, idx)
    validY = gather(target, idx)
    validW = gather(weights, idx)
  }

  const nTrain = trainRows.length
  const batchSize = Math.min(params.batchSize, nTrain)
  // Batch norm needs two rows to estimate a variance: a trailing batch of one is dropped.
  const minBatch = params.batchNorm ? 2 : 1
  const stepsPerEpoch = Math.max(1, Math.floor(nTrain / batchSize) + (nTrain % batchSize >= minBatch ? 1 : 0))
  const schedule = {
    learningRate: params.learningRate,
    schedule: params.schedule,
    warmupSteps: params.warmupEpochs * stepsPerEpoch,
    totalSteps: params.maxEpochs * stepsPerEpoch,
    stepsPerEpoch,
    stepEpochs: params.stepEpochs,
    stepGamma: params.stepGamma,
  }
  // The batches live in the SIMD kernels' memory (when available) so the first product reads them
  // in place. Two of them: a gemm worker gathers the next batch's rows into one while the step
  // trains on the other (the first layer keeps its input until the backward pass).
  const xbs = [f32Buffer(batchSize, p), f32Buffer(batchSize, p)] as const
  const yb = new Float64Array(batchSize)
  const wb = new Float64Array(batchSize)
  const gradOut = f32Buffer(batchSize, outputWidth)
  // The shuffled row order, as int32 bits in a resident block (the workers read a batch's row
  // indices from it; passing the block to startGather keeps it alive while `order` views it).
  const orderBlock = f32Buffer(1, nTrain)
  const order = new Int32Array(orderBlock.buffer, orderBlock.byteOffset, nTrain)
  order.set(trainRows)
  const canShare = kernel !== null && [z, orderBlock, ...xbs].every((a) => kernel.arena.owns(a))
  /** Starts gathering the batch at `start` into its buffer (on a worker), or false. */
  const startBatch = (start: number, rows: number): boolean =>
    canShare && startGather(kernel.memory, z, orderBlock, start, p, xbs[(start / batchSize) & 1]!, rows)

  const useEarlyStopping = params.earlyStopping && validZ !== undefined && validRowsCount > 0
  let best = Number.POSITIVE_INFINITY
  let bestEpoch = 0
  let bestSnapshot: Float32Array[] | undefined
  let sinceBest = 0
  let step = 0
  let epoch = 0
  while (epoch < params.maxEpochs) {
    epoch++
    shuffleRng.shuffle(order)
    let lossSum = 0
    let weightSum = 0
    let gathering = startBatch(0, Math.min(batchSize, nTrain))
    // A step that throws must not leave a worker copying into the batch buffers.
    try {
      for (let start = 0; start < nTrain; start += batchSize) {
        const rows = Math.min(batchSize, nTrain - start)
        if (rows < minBatch) break
        const xb = xbs[(start / batchSize) & 1]!
        if (gathering) finishGather()
        else {
          for (let r = 0; r < rows; r++) {
            // A plain loop: a subarray per row would allocate 80k views an epoch.
            for (let j = 0, src = order[start + r]! * p, dst = r * p; j < p; j++) xb[dst + j] = z[src + j]!
          }
        }
        // The next batch's rows, copied by a worker between this step's products.
        const next = start + batchSize
        const nextRows = Math.min(batchSize, nTrain - next)
        gathering = nextRows >= minBatch && startBatch(next, nextRows)
        let wSum = 0
        for (let r = 0; r < rows; r++) {
          const i = order[start + r]!
          yb[r] = target[i]!
          wb[r] = weights[i]!
          wSum += weights[i]!
        }
        const out = network.forward(xb, rows, true)
        const loss = lossAndGradient(lossKind, out, rows, outputWidth, yb, wb, gradOut)
        network.backward(gradOut, rows)
        adam.step(learningRateAt(step, schedule))
        step++
        lossSum += loss * wSum
        weightSum += wSum
      }
    } finally {
      if (gathering) finishGather()
    }
    const trainLoss = weightSum > 0 ? lossSum / weightSum : 0
    let validLoss: number | undefined
    if (validZ !== undefined && validY !== undefined && validW !== undefined && validRowsCount > 0) {
      validLoss = evaluateLoss(network, lossKind, validZ, validRowsCount, p, outputWidth, validY, validW)
    }
    options?.onIteration?.(
      validLoss === undefined ? { iteration: epoch, trainLoss } : { iteration: epoch, trainLoss, validLoss },
    )
    if (!Number.isFinite(trainLoss)) {
      throw new InvalidArgumentError(
        `${what} training diverged at epoch ${epoch} (loss ${trainLoss}). Lower learningRate (now ${params.learningRate}).`,
      )
    }
    if (useEarlyStopping && validLoss !== undefined) {
      // Relative tolerance so noise at the rounding level does not count as improvement.
      if (bestSnapshot === undefined || validLoss < best - 1e-7 * Math.abs(best)) {
        best = validLoss
        bestEpoch = epoch
        bestSnapshot = network.snapshot()
        sinceBest = 0
      } else if (++sinceBest >= params.patience) break
    }
    // Yield between epochs so a long fit does not starve the event loop (servers, progress UIs).
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  if (bestSnapshot !== undefined) network.restore(bestSnapshot)
  return {
    params,
    featureNames,
    nClasses,
    scaler,
    yMean,
    yStd,
    network,
    bestEpoch: bestSnapshot === undefined ? epoch : bestEpoch,
    epochsRun: epoch,
  }
}

function evaluateLoss(
  network: Network,
  kind: LossKind,
  z: Float32Array,
  rows: number,
  p: number,
  width: number,
  y: Float64Array,
  w: Float64Array,
): number {
  let total = 0
  let wTotal = 0
  for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
    const r = Math.min(PREDICT_CHUNK_ROWS, rows - start)
    const out = network.forward(z.subarray(start * p, (start + r) * p), r, false)
    const ys = y.subarray(start, start + r)
    const ws = w.subarray(start, start + r)
    let wSum = 0
    for (let i = 0; i < r; i++) wSum += ws[i]!
    total += lossAndGradient(kind, out, r, width, ys, ws, undefined) * wSum
    wTotal += wSum
  }
  return wTotal > 0 ? total / wTotal : 0
}

function gather(v: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length)
  for (let i = 0; i < idx.length; i++) out[i] = v[idx[i]!]!
  return out
}

function gatherRows(z: Float32Array, p: number, idx: Int32Array): Float32Array {
  const out = new Float32Array(idx.length * p)
  for (let i = 0; i < idx.length; i++) out.set(z.subarray(idx[i]! * p, (idx[i]! + 1) * p), i * p)
  return out
}

function takeMatrixRows(x: Matrix, idx: Int32Array): Matrix {
  const out = new Float64Array(idx.length * x.cols)
  for (let i = 0; i < idx.length; i++)
    out.set(x.data.subarray(idx[i]! * x.cols, (idx[i]! + 1) * x.cols), i * x.cols)
  return { rows: idx.length, cols: x.cols, data: out }
}

/** Network outputs (rows x width, float64) for new rows, in chunks. */
function networkOutputs(state: MlpState, x: Matrix): { out: Float64Array; width: number } {
  const width = state.network.spec.outputWidth
  const out = new Float64Array(x.rows * width)
  const buf = state.network.inputBuffer(Math.min(PREDICT_CHUNK_ROWS, Math.max(1, x.rows)))
  for (let start = 0; start < x.rows; start += PREDICT_CHUNK_ROWS) {
    const rows = Math.min(PREDICT_CHUNK_ROWS, x.rows - start)
    standardizeF32(x, state.scaler, start, rows, buf)
    const o = state.network.forward(buf, rows, false)
    for (let i = 0; i < rows * width; i++) out[start * width + i] = o[i]!
  }
  return { out, width }
}

function toArtifact(kind: string, s: MlpState): Artifact {
  return makeArtifact({
    format: 'model',
    formatVersion: FORMAT_VERSION,
    kind,
    params: { ...s.params, hiddenLayers: [...s.params.hiddenLayers] },
    state: {
      nClasses: s.nClasses,
      mean: encodeArray(s.scaler.mean),
      scale: encodeArray(s.scaler.scale),
      yMean: s.yMean,
      yStd: s.yStd,
      tensors: s.network.snapshot().map((t) => encodeArray(t)),
      bestEpoch: s.bestEpoch,
      epochsRun: s.epochsRun,
    },
    featureNames: [...s.featureNames],
  })
}

function readState(
  artifact: Artifact<unknown, unknown>,
  definition: typeof MLP_CLASSIFIER | typeof MLP_REGRESSOR,
): MlpState {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const params = resolveArtifactParams(definition, artifact)
  const st = stateRecord(artifact)
  const kind = artifact.kind
  const p = artifact.featureNames.length
  const nClasses = readNumber(st, 'nClasses', kind)
  const isRegression = kind === 'mlp-regressor'
  if (!Number.isInteger(nClasses) || (isRegression ? nClasses !== 0 : nClasses < 2)) {
    throw new ArtifactError('ARTIFACT_INVALID', `Artifact of kind '${kind}': invalid nClasses ${nClasses}.`)
  }
  const network = new Network(
    {
      inputWidth: p,
      hiddenLayers: params.hiddenLayers,
      outputWidth: isRegression || nClasses === 2 ? 1 : nClasses,
      batchNorm: params.batchNorm,
      activation: params.activation,
      dropout: params.dropout,
    },
    new Rng(0),
  )
  const tensors = st.tensors
  const expected = network.snapshot()
  if (!Array.isArray(tensors) || tensors.length !== expected.length) {
    throw new ArtifactError(
      'ARTIFACT_INVALID',
      `Artifact of kind '${kind}': state.tensors must hold ${expected.length} arrays for this architecture.`,
    )
  }
  const loaded = tensors.map((t, i) => readF32({ t }, 't', kind, expected[i]!.length))
  network.restore(loaded)
  return {
    params,
    featureNames: artifact.featureNames.map(String),
    nClasses,
    scaler: { mean: readF64(st, 'mean', kind, p), scale: readF64(st, 'scale', kind, p) },
    yMean: readNumber(st, 'yMean', kind),
    yStd: readNumber(st, 'yStd', kind),
    network,
    bestEpoch: readNumber(st, 'bestEpoch', kind),
    epochsRun: readNumber(st, 'epochsRun', kind),
  }
}

/** A multilayer perceptron classifier (binary: one logit with BCE; multiclass: softmax cross-entropy). */
export class MLPClassifier extends DefinedEstimator<MLPParams, FittedMLPClassifier, 'mlp-classifier'> {
  static readonly DEFAULT_PARAMS = MLP_DEFAULT_PARAMS
  static readonly definition = MLP_CLASSIFIER

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedMLPClassifier> {
    return new FittedMLPClassifier(await trainMlp(this.params, 'classification', x, y, options))
  }
}

/** A multilayer perceptron regressor (squared error on the internally standardised target). */
export class MLPRegressor extends DefinedEstimator<MLPParams, FittedMLPRegressor, 'mlp-regressor'> {
  static readonly DEFAULT_PARAMS = MLP_DEFAULT_PARAMS
  static readonly definition = MLP_REGRESSOR

  async fit(x: Matrix, y: Float64Array, options?: FitOptions): Promise<FittedMLPRegressor> {
    return new FittedMLPRegressor(await trainMlp(this.params, 'regression', x, y, options))
  }
}

/** What the fitted MLP classifier and regressor share: the network, its params and training facts. */
abstract class FittedMlp {
  abstract readonly kind: 'mlp-classifier' | 'mlp-regressor'
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly params: MLPParams
  /** The epoch whose weights were kept, and how many epochs ran. */
  readonly bestEpoch: number
  readonly epochsRun: number

  constructor(protected readonly state: MlpState) {
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
    this.params = state.params
    this.bestEpoch = state.bestEpoch
    this.epochsRun = state.epochsRun
  }

  /** The network's raw outputs (rows x width) on checked, standardised inputs. */
  protected outputs(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    return networkOutputs(this.state, x).out
  }

  toArtifact(): Artifact {
    return toArtifact(this.kind, this.state)
  }
}

/** A fitted {@link MLPClassifier}; `predictProba` columns follow class codes 0..k-1. */
export class FittedMLPClassifier extends FittedMlp implements FittedClassifier {
  readonly kind = 'mlp-classifier'
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number

  constructor(state: MlpState) {
    super(state)
    this.nClasses = state.nClasses
    this.task = state.nClasses === 2 ? 'binary' : 'multiclass'
  }

  predictProba(x: Matrix): Matrix {
    return probabilitiesFromMargins(this.outputs(x), x.rows, this.nClasses)
  }

  predict(x: Matrix): Float64Array {
    return argmaxRows(this.predictProba(x))
  }
}

/** A fitted {@link MLPRegressor}. */
export class FittedMLPRegressor extends FittedMlp implements FittedModel {
  readonly kind = 'mlp-regressor'
  readonly task = 'regression' as const

  predict(x: Matrix): Float64Array {
    const out = this.outputs(x)
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * this.state.yStd + this.state.yMean
    return out
  }
}

/** Reads an `mlp-classifier` artifact. @internal */
export function readMlpClassifier(artifact: Artifact<unknown, unknown>): FittedMLPClassifier {
  return new FittedMLPClassifier(readState(artifact, MLP_CLASSIFIER))
}

/** Reads an `mlp-regressor` artifact. @internal */
export function readMlpRegressor(artifact: Artifact<unknown, unknown>): FittedMLPRegressor {
  return new FittedMLPRegressor(readState(artifact, MLP_REGRESSOR))
}
