/**
 * Compact forms of a fitted MLP: int8 weights with one symmetric scale per output channel, or
 * float16 weights (both with batch norm folded into the dense layers), and pruning (magnitude or
 * whole neurons) followed by a short fine-tune that keeps the pruned weights at zero.
 *
 * Quantized models dequantize their weights once, when built or loaded, and then score on the
 * same float32 SIMD kernels as the float model: in this runtime an int8 dot product costs more
 * than the float32 one the WebAssembly kernels already vectorise, so the gain is the artifact's
 * size, and folding batch norm removes a layer from every forward pass (single-row latency is
 * no worse than the parent's).
 */
import type { Artifact, Matrix } from '../../core/index.js'
import {
  ArtifactError,
  assertColumns,
  decodeArray,
  encodeArray,
  InvalidArgumentError,
  makeArtifact,
  Rng,
} from '../../core/index.js'
import type { FittedClassifier, FittedModel } from '../estimator.js'
import { argmaxRows, probabilitiesFromMargins } from '../estimator.js'
import { checkFormatVersion, readF64, readNumber, stateRecord } from '../linear/model-io.js'
import { FittedMLPClassifier, FittedMLPRegressor, readMlpClassifier, readMlpRegressor } from './mlp.js'
import type { LossKind } from './network.js'
import { lossAndGradient, Network } from './network.js'
import { Adam } from './optimizer.js'
import { f32Buffer } from './wasm-ops.js'

/** Weight storage of a quantized MLP. */
export type MlpPrecision = 'int8' | 'float16'

/** Artifact kinds of quantized MLPs. */
export const QUANTIZED_MLP_KINDS = [
  'mlp-classifier-int8',
  'mlp-regressor-int8',
  'mlp-classifier-f16',
  'mlp-regressor-f16',
] as const
export type QuantizedMlpKind = (typeof QUANTIZED_MLP_KINDS)[number]

const QUANTIZED_FORMAT_VERSION = 1
const PREDICT_CHUNK_ROWS = 1024
/** Batch norm's epsilon (the layer's default, which the MLP always uses). */
const BN_EPS = 1e-5

// ---- float16 ------------------------------------------------------------------------------------

const f32Scratch = new Float32Array(1)
const u32Scratch = new Uint32Array(f32Scratch.buffer)

/** IEEE 754 binary16 bits of `v`, rounded to nearest even (overflow to infinity). */
export function toFloat16Bits(v: number): number {
  f32Scratch[0] = v
  const x = u32Scratch[0]!
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0)
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    let half = mant >>> shift
    const rem = mant & ((1 << shift) - 1)
    const halfway = 1 << (shift - 1)
    if (rem > halfway || (rem === halfway && (half & 1) === 1)) half++
    return sign | half
  }
  let half = sign | (e << 10) | (mant >>> 13)
  const rem = mant & 0x1fff
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1) === 1)) half++
  return half
}

/** The number binary16 bits `h` hold. */
export function fromFloat16Bits(h: number): number {
  const sign = (h & 0x8000) !== 0 ? -1 : 1
  const e = (h >>> 10) & 0x1f
  const m = h & 0x3ff
  if (e === 0) return sign * m * 2 ** -24
  if (e === 0x1f) return m !== 0 ? Number.NaN : sign * Number.POSITIVE_INFINITY
  return sign * (1 + m / 1024) * 2 ** (e - 15)
}

// ---- the float MLP as plain tensors -------------------------------------------------------------

type FittedMlp = FittedMLPClassifier | FittedMLPRegressor

/** A fitted MLP's artifact content as arrays (the tensors in `Network.snapshot` order). */
interface MlpParts {
  readonly classifier: boolean
  readonly nClasses: number
  readonly featureNames: readonly string[]
  readonly params: FittedMlp['params']
  readonly mean: Float64Array
  readonly scale: Float64Array
  readonly yMean: number
  readonly yStd: number
  readonly tensors: Float32Array[]
  readonly bestEpoch: number
  readonly epochsRun: number
}

function partsOf(model: FittedMlp): MlpParts {
  const a = model.toArtifact()
  const st = stateRecord(a)
  const tensors = (st.tensors as unknown[]).map((t) => decodeArray(t, 'f32'))
  return {
    classifier: model instanceof FittedMLPClassifier,
    nClasses: readNumber(st, 'nClasses', a.kind),
    featureNames: model.featureNames,
    params: model.params,
    mean: decodeArray(st.mean, 'f64'),
    scale: decodeArray(st.scale, 'f64'),
    yMean: readNumber(st, 'yMean', a.kind),
    yStd: readNumber(st, 'yStd', a.kind),
    tensors,
    bestEpoch: model.bestEpoch,
    epochsRun: model.epochsRun,
  }
}

/** A dense layer y = x W + b with W stored inputs x outputs. */
interface DenseParts {
  readonly inputWidth: number
  readonly outputWidth: number
  readonly weight: Float32Array
  readonly bias: Float32Array
}

/** Index of each tensor in the snapshot of a network with these hidden widths. */
function tensorLayout(hidden: readonly number[], batchNorm: boolean) {
  let i = 0
  const layers = hidden.map(() => {
    const w = i++
    const b = i++
    const g = batchNorm ? i++ : -1
    const beta = batchNorm ? i++ : -1
    return { w, b, g, beta, rm: -1, rv: -1 }
  })
  const out = { w: i++, b: i++ }
  if (batchNorm)
    for (const l of layers) {
      l.rm = i++
      l.rv = i++
    }
  return { layers, out, count: i }
}

function outputWidthOf(parts: MlpParts): number {
  return !parts.classifier || parts.nClasses === 2 ? 1 : parts.nClasses
}

/**
 * The network's dense layers with inference-time batch norm folded in:
 * BN(xW + b) = x (W s) + (b s + beta - mean s), s = gamma / sqrt(var + eps), per output column.
 */
function foldBatchNorm(parts: MlpParts): DenseParts[] {
  const { hiddenLayers, batchNorm } = parts.params
  const layout = tensorLayout(hiddenLayers, batchNorm)
  const t = parts.tensors
  const dense: DenseParts[] = []
  let width = parts.featureNames.length
  hiddenLayers.forEach((h, l) => {
    const ix = layout.layers[l]!
    const weight = Float32Array.from(t[ix.w]!)
    const bias = Float32Array.from(t[ix.b]!)
    if (batchNorm) {
      const gamma = t[ix.g]!
      const beta = t[ix.beta]!
      const rm = t[ix.rm]!
      const rv = t[ix.rv]!
      for (let j = 0; j < h; j++) {
        const s = gamma[j]! / Math.sqrt(rv[j]! + BN_EPS)
        for (let i = 0; i < width; i++) weight[i * h + j] = weight[i * h + j]! * s
        bias[j] = bias[j]! * s + beta[j]! - rm[j]! * s
      }
    }
    dense.push({ inputWidth: width, outputWidth: h, weight, bias })
    width = h
  })
  dense.push({
    inputWidth: width,
    outputWidth: outputWidthOf(parts),
    weight: Float32Array.from(t[layout.out.w]!),
    bias: Float32Array.from(t[layout.out.b]!),
  })
  return dense
}

// ---- quantized layers ---------------------------------------------------------------------------

/** One dense layer as stored: int8 codes with per-output-channel scales, or float16 bits. */
interface QuantizedDense {
  readonly inputWidth: number
  readonly outputWidth: number
  readonly weight: Int8Array | Uint16Array
  /** int8 only: w[i][j] = weight[i][j] * scale[j]. */
  readonly scale?: Float32Array
  readonly bias: Float32Array
}

function quantizeDense(d: DenseParts, precision: MlpPrecision): QuantizedDense {
  const { inputWidth: nIn, outputWidth: nOut, weight } = d
  if (precision === 'float16') {
    const bits = new Uint16Array(weight.length)
    for (let i = 0; i < weight.length; i++) bits[i] = toFloat16Bits(weight[i]!)
    return { inputWidth: nIn, outputWidth: nOut, weight: bits, bias: d.bias }
  }
  // Symmetric per output channel: the channel's largest |w| maps to 127 (zero stays exactly zero,
  // so pruned weights survive quantization).
  const scale = new Float32Array(nOut)
  for (let j = 0; j < nOut; j++) {
    let max = 0
    for (let i = 0; i < nIn; i++) max = Math.max(max, Math.abs(weight[i * nOut + j]!))
    scale[j] = max > 0 ? max / 127 : 1
  }
  const q = new Int8Array(weight.length)
  for (let i = 0; i < nIn; i++)
    for (let j = 0; j < nOut; j++) {
      const v = Math.round(weight[i * nOut + j]! / scale[j]!)
      q[i * nOut + j] = Math.min(127, Math.max(-127, v))
    }
  return { inputWidth: nIn, outputWidth: nOut, weight: q, scale, bias: d.bias }
}

function dequantize(q: QuantizedDense): Float32Array {
  const out = new Float32Array(q.weight.length)
  const nOut = q.outputWidth
  if (q.weight instanceof Int8Array) {
    const scale = q.scale!
    for (let i = 0; i < out.length; i++) out[i] = q.weight[i]! * scale[i % nOut]!
  } else {
    for (let i = 0; i < out.length; i++) out[i] = fromFloat16Bits(q.weight[i]!)
  }
  return out
}

/** Everything a quantized MLP needs to predict. @internal */
interface QuantizedState {
  readonly precision: MlpPrecision
  readonly featureNames: readonly string[]
  /** 0 for regression. */
  readonly nClasses: number
  readonly activation: 'relu' | 'gelu'
  readonly mean: Float64Array
  readonly scale: Float64Array
  readonly yMean: number
  readonly yStd: number
  readonly layers: readonly QuantizedDense[]
  /** Kind of the float model this one was made from. */
  readonly source: string
}

/** A batch-norm-free, dropout-free network holding the dequantized weights. */
function inferenceNetwork(s: QuantizedState): Network {
  const hidden = s.layers.slice(0, -1).map((l) => l.outputWidth)
  const network = new Network(
    {
      inputWidth: s.featureNames.length,
      hiddenLayers: hidden,
      outputWidth: s.layers[s.layers.length - 1]!.outputWidth,
      batchNorm: false,
      activation: s.activation,
      dropout: 0,
    },
    new Rng(0),
  )
  network.restore(s.layers.flatMap((l) => [dequantize(l), l.bias]))
  return network
}

/** Shared behaviour of the quantized classifier and regressor. */
abstract class FittedQuantizedMlpBase {
  abstract readonly kind: QuantizedMlpKind
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly precision: MlpPrecision
  /** Kind of the float model this one was quantized from. */
  readonly source: string
  protected readonly network: Network

  constructor(protected readonly state: QuantizedState) {
    this.featureNames = state.featureNames
    this.nFeatures = state.featureNames.length
    this.precision = state.precision
    this.source = state.source
    this.network = inferenceNetwork(state)
  }

  /** Raw network outputs (rows x width) on standardised float32 inputs. */
  protected outputs(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, this.kind)
    const net = this.network
    const width = net.spec.outputWidth
    const p = x.cols
    const out = new Float64Array(x.rows * width)
    const buf = net.inputBuffer(Math.min(PREDICT_CHUNK_ROWS, Math.max(1, x.rows)))
    const { mean, scale } = this.state
    for (let start = 0; start < x.rows; start += PREDICT_CHUNK_ROWS) {
      const rows = Math.min(PREDICT_CHUNK_ROWS, x.rows - start)
      // As the float MLP: standardise, and read NaN and infinities as the training mean (0).
      for (let i = 0; i < rows; i++) {
        const src = (start + i) * p
        for (let j = 0; j < p; j++) {
          const z = (x.data[src + j]! - mean[j]!) / scale[j]!
          buf[i * p + j] = Number.isFinite(z) ? z : 0
        }
      }
      const o = net.forward(buf, rows, false)
      for (let i = 0; i < rows * width; i++) out[start * width + i] = o[i]!
    }
    return out
  }

  toArtifact(): Artifact {
    const s = this.state
    return makeArtifact({
      format: 'model',
      formatVersion: QUANTIZED_FORMAT_VERSION,
      kind: this.kind,
      params: {
        precision: s.precision,
        activation: s.activation,
        hiddenLayers: s.layers.slice(0, -1).map((l) => l.outputWidth),
      },
      state: {
        nClasses: s.nClasses,
        source: s.source,
        mean: encodeArray(s.mean),
        scale: encodeArray(s.scale),
        yMean: s.yMean,
        yStd: s.yStd,
        layers: s.layers.map((l) => ({
          weight: encodeArray(l.weight),
          ...(l.scale === undefined ? {} : { scale: encodeArray(l.scale) }),
          bias: encodeArray(l.bias),
        })),
      },
      featureNames: [...s.featureNames],
    })
  }
}

/** A quantized MLP classifier; `predictProba` columns follow class codes 0..k-1. */
export class FittedQuantizedMlpClassifier extends FittedQuantizedMlpBase implements FittedClassifier {
  readonly kind: 'mlp-classifier-int8' | 'mlp-classifier-f16'
  readonly task: 'binary' | 'multiclass'
  readonly nClasses: number

  constructor(state: QuantizedState) {
    super(state)
    this.kind = state.precision === 'int8' ? 'mlp-classifier-int8' : 'mlp-classifier-f16'
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

/** A quantized MLP regressor. */
export class FittedQuantizedMlpRegressor extends FittedQuantizedMlpBase implements FittedModel {
  readonly kind: 'mlp-regressor-int8' | 'mlp-regressor-f16'
  readonly task = 'regression' as const

  constructor(state: QuantizedState) {
    super(state)
    this.kind = state.precision === 'int8' ? 'mlp-regressor-int8' : 'mlp-regressor-f16'
  }

  predict(x: Matrix): Float64Array {
    const out = this.outputs(x)
    for (let i = 0; i < out.length; i++) out[i] = out[i]! * this.state.yStd + this.state.yMean
    return out
  }
}

/** True for a fitted float MLP (classifier or regressor). */
export function isFittedMlp(model: FittedModel): model is FittedMlp {
  return model instanceof FittedMLPClassifier || model instanceof FittedMLPRegressor
}

/**
 * Quantizes a fitted MLP: batch norm is folded into the dense layers, then weights are stored as
 * int8 with one symmetric scale per output channel, or as float16; biases stay float32.
 * @throws InvalidArgumentError when `model` is not a fitted float MLP
 */
export function quantizeMlp(
  model: FittedModel,
  precision: MlpPrecision,
): FittedQuantizedMlpClassifier | FittedQuantizedMlpRegressor {
  if (!isFittedMlp(model))
    throw new InvalidArgumentError(
      `quantizeMlp takes a fitted mlp-classifier or mlp-regressor; got '${model.kind}'.`,
    )
  const parts = partsOf(model)
  const state: QuantizedState = {
    precision,
    featureNames: parts.featureNames,
    nClasses: parts.classifier ? parts.nClasses : 0,
    activation: parts.params.activation,
    mean: parts.mean,
    scale: parts.scale,
    yMean: parts.yMean,
    yStd: parts.yStd,
    layers: foldBatchNorm(parts).map((d) => quantizeDense(d, precision)),
    source: model.kind,
  }
  return parts.classifier ? new FittedQuantizedMlpClassifier(state) : new FittedQuantizedMlpRegressor(state)
}

function invalid(kind: string, message: string): ArtifactError {
  return new ArtifactError('ARTIFACT_INVALID', `Artifact of kind '${kind}': ${message}`)
}

/** Reads any of the four quantized MLP kinds. @internal */
export function readQuantizedMlp(
  artifact: Artifact<unknown, unknown>,
): FittedQuantizedMlpClassifier | FittedQuantizedMlpRegressor {
  checkFormatVersion(artifact, QUANTIZED_FORMAT_VERSION)
  const kind = artifact.kind
  if (!(QUANTIZED_MLP_KINDS as readonly string[]).includes(kind))
    throw invalid(kind, 'not a quantized MLP kind.')
  const precision: MlpPrecision = kind.endsWith('-int8') ? 'int8' : 'float16'
  const classifier = kind.startsWith('mlp-classifier')
  const params = artifact.params as { activation?: unknown } | null
  const activation = params?.activation
  if (activation !== 'relu' && activation !== 'gelu')
    throw invalid(kind, 'params.activation must be relu or gelu.')
  const st = stateRecord(artifact)
  const p = artifact.featureNames.length
  const nClasses = readNumber(st, 'nClasses', kind)
  if (!Number.isInteger(nClasses) || (classifier ? nClasses < 2 : nClasses !== 0))
    throw invalid(kind, `invalid nClasses ${nClasses}.`)
  const rawLayers = st.layers
  if (!Array.isArray(rawLayers) || rawLayers.length < 1)
    throw invalid(kind, 'state.layers must be a non-empty array.')
  let width = p
  const layers: QuantizedDense[] = rawLayers.map((raw: unknown, l) => {
    if (typeof raw !== 'object' || raw === null) throw invalid(kind, `layer ${l} is not an object.`)
    const r = raw as Record<string, unknown>
    const bias = decodeArray(r.bias, 'f32')
    const nOut = bias.length
    const weight = precision === 'int8' ? decodeArray(r.weight, 'i8') : decodeArray(r.weight, 'u16')
    if (nOut < 1 || weight.length !== width * nOut)
      throw invalid(kind, `layer ${l} holds ${weight.length} weights; expected ${width} x ${nOut}.`)
    let scale: Float32Array | undefined
    if (precision === 'int8') {
      scale = decodeArray(r.scale, 'f32')
      if (scale.length !== nOut) throw invalid(kind, `layer ${l} needs ${nOut} scales.`)
    }
    const layer: QuantizedDense = {
      inputWidth: width,
      outputWidth: nOut,
      weight,
      ...(scale === undefined ? {} : { scale }),
      bias,
    }
    width = nOut
    return layer
  })
  const expectedOut = !classifier || nClasses === 2 ? 1 : nClasses
  if (width !== expectedOut)
    throw invalid(kind, `the output layer has ${width} units; expected ${expectedOut}.`)
  const source = typeof st.source === 'string' ? st.source : classifier ? 'mlp-classifier' : 'mlp-regressor'
  const state: QuantizedState = {
    precision,
    featureNames: artifact.featureNames.map(String),
    nClasses,
    activation,
    mean: readF64(st, 'mean', kind, p),
    scale: readF64(st, 'scale', kind, p),
    yMean: readNumber(st, 'yMean', kind),
    yStd: readNumber(st, 'yStd', kind),
    layers,
    source,
  }
  return classifier ? new FittedQuantizedMlpClassifier(state) : new FittedQuantizedMlpRegressor(state)
}

// ---- pruning ------------------------------------------------------------------------------------

/** How {@link pruneMlp} prunes and fine-tunes. */
export interface MlpPruneOptions {
  /** Fraction (0..1) of weights (or, structured, of each hidden layer's neurons) to remove. */
  readonly amount: number
  /** Remove whole hidden neurons (a narrower, faster network) instead of single weights. */
  readonly structured?: boolean
  /** Encoded training rows and targets (class codes or values) for the fine-tune. */
  readonly x: Matrix
  readonly y: Float64Array
  /** Rows whose loss picks the best fine-tune epoch (epoch 0: pruned, not fine-tuned). */
  readonly validation?: { readonly x: Matrix; readonly y: Float64Array }
  /** Fine-tune epochs (default 3; 0 prunes only). */
  readonly epochs?: number
  /** Fine-tune learning rate (default: a third of the model's own). */
  readonly learningRate?: number
  readonly seed?: number
}

/** What {@link pruneMlp} returns. */
export interface MlpPruneResult {
  readonly model: FittedMLPClassifier | FittedMLPRegressor
  /** Fraction of dense weights that are zero in the result. */
  readonly sparsity: number
  readonly hiddenLayers: readonly number[]
  /** Fine-tune epoch whose weights were kept (0: none improved the validation loss). */
  readonly bestEpoch: number
  /** Validation loss right after pruning and of the kept epoch (NaN without validation rows). */
  readonly prunedLoss: number
  readonly finalLoss: number
}

/** Zeroes the `amount` smallest |w| of each dense weight tensor; returns the masks (1 = kept). */
function magnitudeMasks(parts: MlpParts, amount: number): Map<number, Uint8Array> {
  const layout = tensorLayout(parts.params.hiddenLayers, parts.params.batchNorm)
  const masks = new Map<number, Uint8Array>()
  for (const w of [...layout.layers.map((l) => l.w), layout.out.w]) {
    const t = parts.tensors[w]!
    const drop = Math.floor(amount * t.length)
    const order = Array.from({ length: t.length }, (_, i) => i).sort(
      (a, b) => Math.abs(t[a]!) - Math.abs(t[b]!) || a - b,
    )
    const mask = new Uint8Array(t.length).fill(1)
    for (let k = 0; k < drop; k++) {
      mask[order[k]!] = 0
      t[order[k]!] = 0
    }
    masks.set(w, mask)
  }
  return masks
}

/**
 * Removes `amount` of each hidden layer's neurons, the least important first: a neuron's score is
 * the norm of its outgoing weights times its output scale (|gamma| with batch norm, else the norm
 * of its incoming weights).
 */
function removeNeurons(parts: MlpParts, amount: number): MlpParts {
  const { hiddenLayers, batchNorm } = parts.params
  const layout = tensorLayout(hiddenLayers, batchNorm)
  const t = parts.tensors.map((a) => Float32Array.from(a))
  const widths = [...hiddenLayers]
  let nIn = parts.featureNames.length
  for (let l = 0; l < hiddenLayers.length; l++) {
    const h = widths[l]!
    const ix = layout.layers[l]!
    const nextW = l + 1 < hiddenLayers.length ? layout.layers[l + 1]!.w : layout.out.w
    const nNext = l + 1 < hiddenLayers.length ? widths[l + 1]! : outputWidthOf(parts)
    const win = t[ix.w]!
    const wout = t[nextW]!
    const score = new Float64Array(h)
    for (let j = 0; j < h; j++) {
      let out = 0
      for (let k = 0; k < nNext; k++) out += wout[j * nNext + k]! ** 2
      let scaleIn = 0
      if (batchNorm) scaleIn = Math.abs(t[ix.g]![j]!)
      else {
        for (let i = 0; i < nIn; i++) scaleIn += win[i * h + j]! ** 2
        scaleIn = Math.sqrt(scaleIn)
      }
      score[j] = Math.sqrt(out) * scaleIn
    }
    const keepCount = Math.max(1, h - Math.floor(amount * h))
    const keep = Array.from({ length: h }, (_, j) => j)
      .sort((a, b) => score[b]! - score[a]! || a - b)
      .slice(0, keepCount)
      .sort((a, b) => a - b)
    const k = keep.length
    const newIn = new Float32Array(nIn * k)
    for (let i = 0; i < nIn; i++) for (let c = 0; c < k; c++) newIn[i * k + c] = win[i * h + keep[c]!]!
    t[ix.w] = newIn
    for (const v of [ix.b, ix.g, ix.beta, ix.rm, ix.rv])
      if (v >= 0) t[v] = Float32Array.from(keep, (j) => t[v]![j]!)
    const newOut = new Float32Array(k * nNext)
    for (let c = 0; c < k; c++) newOut.set(wout.subarray(keep[c]! * nNext, (keep[c]! + 1) * nNext), c * nNext)
    t[nextW] = newOut
    widths[l] = k
    nIn = k
  }
  return { ...parts, params: { ...parts.params, hiddenLayers: widths }, tensors: t }
}

function standardize(x: Matrix, mean: Float64Array, scale: Float64Array): Float32Array {
  const p = x.cols
  const z = new Float32Array(x.rows * p)
  for (let i = 0; i < x.rows; i++)
    for (let j = 0; j < p; j++) {
      const v = (x.data[i * p + j]! - mean[j]!) / scale[j]!
      z[i * p + j] = Number.isFinite(v) ? v : 0
    }
  return z
}

function meanLoss(
  net: Network,
  kind: LossKind,
  z: Float32Array,
  y: Float64Array,
  p: number,
  width: number,
): number {
  const rows = y.length
  let total = 0
  for (let start = 0; start < rows; start += PREDICT_CHUNK_ROWS) {
    const r = Math.min(PREDICT_CHUNK_ROWS, rows - start)
    const buf = net.inputBuffer(r)
    buf.set(z.subarray(start * p, (start + r) * p))
    const out = net.forward(buf, r, false)
    total +=
      lossAndGradient(
        kind,
        out,
        r,
        width,
        y.subarray(start, start + r),
        new Float64Array(r).fill(1),
        undefined,
      ) * r
  }
  return total / Math.max(1, rows)
}

/**
 * Prunes a fitted MLP and fine-tunes it briefly on the given rows. Magnitude pruning zeroes the
 * smallest `amount` of each dense layer's weights and keeps them at zero through the fine-tune
 * (the artifact keeps its size; it pays once quantized or compressed); structured pruning removes
 * whole hidden neurons, which makes the network narrower, smaller and faster.
 * @throws InvalidArgumentError for a model that is not a float MLP or an amount outside [0, 1)
 */
export async function pruneMlp(model: FittedModel, options: MlpPruneOptions): Promise<MlpPruneResult> {
  if (!isFittedMlp(model))
    throw new InvalidArgumentError(
      `pruneMlp takes a fitted mlp-classifier or mlp-regressor; got '${model.kind}'.`,
    )
  const { amount } = options
  if (!(amount >= 0 && amount < 1))
    throw new InvalidArgumentError(`Prune amount must be in [0, 1); got ${amount}.`)
  assertColumns(options.x, model.nFeatures, 'pruneMlp')
  if (options.y.length !== options.x.rows)
    throw new InvalidArgumentError(`y has ${options.y.length} values for ${options.x.rows} rows.`)
  let parts = partsOf(model)
  let masks = new Map<number, Uint8Array>()
  if (options.structured === true) parts = removeNeurons(parts, amount)
  else masks = magnitudeMasks(parts, amount)
  const { params } = parts
  const width = outputWidthOf(parts)
  const rng = new Rng(options.seed ?? params.seed)
  const net = new Network(
    {
      inputWidth: parts.featureNames.length,
      hiddenLayers: params.hiddenLayers,
      outputWidth: width,
      batchNorm: params.batchNorm,
      activation: params.activation,
      dropout: params.dropout,
    },
    rng.fork(1),
  )
  net.restore(parts.tensors)
  const lossKind: LossKind = !parts.classifier ? 'mse' : parts.nClasses === 2 ? 'bce' : 'cross-entropy'
  const target = (y: Float64Array): Float64Array =>
    parts.classifier ? y : Float64Array.from(y, (v) => (v - parts.yMean) / parts.yStd)
  const p = parts.featureNames.length
  const z = standardize(options.x, parts.mean, parts.scale)
  const yt = target(options.y)
  const v = options.validation
  const vz = v === undefined ? undefined : standardize(v.x, parts.mean, parts.scale)
  const vy = v === undefined ? undefined : target(v.y)
  const evaluate = (): number =>
    vz === undefined || vy === undefined ? Number.NaN : meanLoss(net, lossKind, vz, vy, p, width)
  const prunedLoss = evaluate()
  let best = prunedLoss
  let bestEpoch = 0
  let bestSnapshot = net.snapshot()
  const epochs = options.epochs ?? 3
  const adam = new Adam(net.params, {
    beta1: params.beta1,
    beta2: params.beta2,
    eps: 1e-8,
    weightDecay: 0,
    decoupled: true,
  })
  // Dense weights are every other param up to the batch-norm pairs: map masks onto Param objects.
  const layout = tensorLayout(params.hiddenLayers, params.batchNorm)
  const maskOf = new Map<Float32Array, Uint8Array>()
  for (const [index, mask] of masks) maskOf.set(net.params[index]!.value, mask)
  const lr = options.learningRate ?? params.learningRate / 3
  const n = options.x.rows
  const batch = Math.min(params.batchSize, n)
  const minBatch = params.batchNorm ? 2 : 1
  const xb = f32Buffer(batch, p)
  const yb = new Float64Array(batch)
  const wb = new Float64Array(batch).fill(1)
  const grad = f32Buffer(batch, width)
  const order = Int32Array.from({ length: n }, (_, i) => i)
  const shuffle = rng.fork(3)
  for (let epoch = 1; epoch <= epochs; epoch++) {
    shuffle.shuffle(order)
    for (let start = 0; start < n; start += batch) {
      const rows = Math.min(batch, n - start)
      if (rows < minBatch) break
      for (let r = 0; r < rows; r++) {
        const i = order[start + r]!
        for (let j = 0; j < p; j++) xb[r * p + j] = z[i * p + j]!
        yb[r] = yt[i]!
      }
      const out = net.forward(xb, rows, true)
      lossAndGradient(lossKind, out, rows, width, yb.subarray(0, rows), wb.subarray(0, rows), grad)
      net.backward(grad, rows)
      adam.step(lr)
      for (const [value, mask] of maskOf)
        for (let i = 0; i < value.length; i++) if (mask[i] === 0) value[i] = 0
    }
    const loss = evaluate()
    // Without validation rows the last epoch is kept.
    if (Number.isNaN(loss) || loss < best) {
      best = loss
      bestEpoch = epoch
      bestSnapshot = net.snapshot()
    }
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  const base = model.toArtifact()
  const st = stateRecord(base)
  const artifact = makeArtifact({
    format: 'model',
    formatVersion: base.formatVersion,
    kind: base.kind,
    params: { ...params, hiddenLayers: [...params.hiddenLayers] },
    state: { ...st, tensors: bestSnapshot.map((t) => encodeArray(t)) },
    featureNames: [...parts.featureNames],
  })
  const pruned = parts.classifier ? readMlpClassifier(artifact) : readMlpRegressor(artifact)
  let zeros = 0
  let total = 0
  for (const w of [...layout.layers.map((l) => l.w), layout.out.w]) {
    const t = bestSnapshot[w]!
    total += t.length
    for (let i = 0; i < t.length; i++) if (t[i] === 0) zeros++
  }
  return {
    model: pruned,
    sparsity: total > 0 ? zeros / total : 0,
    hiddenLayers: params.hiddenLayers,
    bestEpoch,
    prunedLoss,
    finalLoss: best,
  }
}
