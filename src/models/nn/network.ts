/**
 * A feed-forward network: [Dense -> BatchNorm? -> Activation -> Dropout?] per hidden layer, then
 * a Dense output layer producing logits (or the standardised regression value), and the losses
 * that train it.
 */
import type { Rng } from '../../core/index.js'
import type { InitScheme, Layer, Param } from './layers.js'
import { Activation, BatchNorm, Dense, Dropout } from './layers.js'
import { f32Buffer } from './wasm-ops.js'

/** A batch norm with the ReLU after it and the dense layer before it. */
interface ReluPair {
  readonly bn: BatchNorm
  readonly act: Activation
  readonly dense: Dense
}

/** Shape and layer choices of a network. @internal */
export interface NetworkSpec {
  readonly inputWidth: number
  readonly hiddenLayers: readonly number[]
  readonly outputWidth: number
  readonly batchNorm: boolean
  readonly activation: 'relu' | 'gelu'
  readonly dropout: number
}

/** The layers plus a flat list of their parameters. @internal */
export class Network {
  readonly layers: readonly Layer[]
  readonly params: readonly Param[]
  private input: Float32Array = new Float32Array(0)
  /**
   * For each layer index: the batch norm, ReLU and dense layer before it when layer i is a batch
   * norm followed by a ReLU, which a training step runs fused (one pass each way instead of
   * several; the same bits).
   */
  private readonly reluPairs: readonly (ReluPair | undefined)[]
  /** Whether the pair starting at each index ran fused in the last forward pass. */
  private readonly ranFused: boolean[]

  constructor(
    readonly spec: NetworkSpec,
    dropoutRng: Rng,
  ) {
    const layers: Layer[] = []
    let width = spec.inputWidth
    for (const h of spec.hiddenLayers) {
      layers.push(new Dense(width, h))
      if (spec.batchNorm) layers.push(new BatchNorm(h))
      layers.push(new Activation(spec.activation, h))
      if (spec.dropout > 0) layers.push(new Dropout(spec.dropout, h, dropoutRng))
      width = h
    }
    layers.push(new Dense(width, spec.outputWidth))
    this.layers = layers
    this.params = layers.flatMap((l) => l.params())
    this.reluPairs = layers.map((l, i) => {
      const act = layers[i + 1]
      const dense = layers[i - 1]
      return l instanceof BatchNorm &&
        act instanceof Activation &&
        act.fn === 'relu' &&
        dense instanceof Dense
        ? { bn: l, act, dense }
        : undefined
    })
    this.ranFused = layers.map(() => false)
  }

  /**
   * A reusable buffer for `rows` input rows, grown on demand (in the SIMD kernels' memory when
   * available), so scoring allocates nothing per call, as the layers' own buffers.
   */
  inputBuffer(rows: number): Float32Array {
    if (this.input.length < rows * this.spec.inputWidth) this.input = f32Buffer(rows, this.spec.inputWidth)
    return this.input
  }

  /** Dense layers in order (hidden then output). */
  denseLayers(): Dense[] {
    return this.layers.filter((l): l is Dense => l instanceof Dense)
  }

  batchNormLayers(): BatchNorm[] {
    return this.layers.filter((l): l is BatchNorm => l instanceof BatchNorm)
  }

  init(rng: Rng, scheme: InitScheme): void {
    for (const d of this.denseLayers()) d.init(rng, scheme)
  }

  forward(x: Float32Array, rows: number, training: boolean): Float32Array {
    let h = x
    const layers = this.layers
    for (let i = 0; i < layers.length; i++) {
      const pair = training ? this.reluPairs[i] : undefined
      const fused = pair?.bn.forwardTrainRelu(h, rows) ?? null
      this.ranFused[i] = fused !== null
      if (pair !== undefined && fused !== null) {
        pair.act.adopt(fused)
        h = fused
        this.ranFused[++i] = false
      } else h = layers[i]!.forward(h, rows, training)
    }
    return h
  }

  /** Backpropagates the loss gradient with respect to the output; fills every Param.grad. */
  backward(gradOut: Float32Array, rows: number): void {
    let g = gradOut
    // Set when the fused pair below filled the next dense layer's bias sums.
    let biasSumsReady = false
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i]!
      const pair = i > 0 && this.ranFused[i - 1] ? this.reluPairs[i - 1] : undefined
      if (pair !== undefined) {
        const gi = pair.bn.backwardRelu(g, pair.act.lastInput(), rows, pair.dense.biasSums())
        if (gi !== null) {
          g = gi
          biasSumsReady = true
          i--
          continue
        }
      }
      const next =
        layer instanceof Dense
          ? layer.backward(g, rows, i > 0, biasSumsReady)
          : layer.backward(g, rows, i > 0)
      biasSumsReady = false
      if (next !== undefined) g = next
    }
  }

  /** Copies of all state needed for inference (params and batch-norm running statistics). */
  snapshot(): Float32Array[] {
    const out = this.params.map((p) => Float32Array.from(p.value))
    for (const bn of this.batchNormLayers())
      out.push(Float32Array.from(bn.runningMean), Float32Array.from(bn.runningVar))
    return out
  }

  restore(snapshot: readonly Float32Array[]): void {
    let i = 0
    for (const p of this.params) p.value.set(snapshot[i++]!)
    for (const bn of this.batchNormLayers()) {
      bn.runningMean.set(snapshot[i++]!)
      bn.runningVar.set(snapshot[i++]!)
    }
  }
}

/** Training loss: binary cross-entropy on one logit, softmax cross-entropy, or squared error. */
export type LossKind = 'bce' | 'cross-entropy' | 'mse'

/**
 * Weighted mean loss over a batch; writes d(loss)/d(output) into `grad` (rows x width). `y`
 * holds 0/1 (bce), class codes (cross-entropy) or standardised targets (mse). @internal
 */
export function lossAndGradient(
  kind: LossKind,
  out: Float32Array,
  rows: number,
  width: number,
  y: Float64Array,
  w: Float64Array,
  grad: Float32Array | undefined,
): number {
  let wSum = 0
  for (let i = 0; i < rows; i++) wSum += w[i]!
  if (!(wSum > 0)) {
    grad?.fill(0, 0, rows * width)
    return 0
  }
  let loss = 0
  switch (kind) {
    case 'bce':
      for (let i = 0; i < rows; i++) {
        const m = out[i]!
        const t = y[i]!
        // log(1 + e^m) - t m, stable for large |m|.
        loss += w[i]! * ((m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - t * m)
        if (grad !== undefined) {
          const p = m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m))
          grad[i] = (w[i]! * (p - t)) / wSum
        }
      }
      break
    case 'cross-entropy':
      for (let i = 0; i < rows; i++) {
        const off = i * width
        let max = Number.NEGATIVE_INFINITY
        for (let c = 0; c < width; c++) max = Math.max(max, out[off + c]!)
        let sum = 0
        for (let c = 0; c < width; c++) sum += Math.exp(out[off + c]! - max)
        const t = y[i]!
        loss += w[i]! * (Math.log(sum) + max - out[off + t]!)
        if (grad !== undefined) {
          const scale = w[i]! / wSum
          for (let c = 0; c < width; c++) {
            const p = Math.exp(out[off + c]! - max) / sum
            grad[off + c] = scale * (p - (c === t ? 1 : 0))
          }
        }
      }
      break
    case 'mse':
      for (let i = 0; i < rows; i++) {
        const d = out[i]! - y[i]!
        loss += w[i]! * d * d
        if (grad !== undefined) grad[i] = (2 * w[i]! * d) / wSum
      }
      break
  }
  return loss / wSum
}
