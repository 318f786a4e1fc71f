/**
 * MLP layers with explicit forward and backward passes on row-major Float32Array batches. Each
 * layer owns its output and input-gradient buffers (grown on demand), so a training step
 * allocates nothing. Parameter gradients are overwritten (not accumulated) by each backward pass.
 *
 * Non-null assertions on typed-array reads are safe: indices stay below rows * width.
 */
import type { Rng } from '../../core/index.js'
import { gemmBias, gemmNT, gemmTN, transpose } from './gemm.js'
import { f32Buffer, type NnOps, simdFor } from './wasm-ops.js'

/** Weight initialisation scheme. */
export type InitScheme = 'he' | 'xavier' | 'fan-in-uniform'

/** A trainable tensor with its gradient; `decay` marks weights that weight decay applies to. */
export interface Param {
  readonly value: Float32Array
  readonly grad: Float32Array
  readonly decay: boolean
}

/** One layer of the network. @internal */
export interface Layer {
  readonly kind: 'dense' | 'batch-norm' | 'activation' | 'dropout'
  readonly inputWidth: number
  readonly outputWidth: number
  forward(x: Float32Array, rows: number, training: boolean): Float32Array
  /** Gradient with respect to the input; skipped (returns undefined) when `needInputGrad` is false. */
  backward(gradOut: Float32Array, rows: number, needInputGrad: boolean): Float32Array | undefined
  params(): readonly Param[]
}

/**
 * `buf` if it holds rows x width values, else a new buffer (in the SIMD kernels' memory when they
 * are available, so products and element-wise kernels work on it in place).
 */
function ensure(buf: Float32Array, rows: number, width: number): Float32Array {
  return buf.length >= rows * width ? buf : f32Buffer(rows, width)
}

/** A float64 view of `length` values over a resident block (kept alive by the returned owner). */
function f64Scratch(length: number): { owner: Float32Array; view: Float64Array } {
  const owner = f32Buffer(1, 2 * length)
  return { owner, view: new Float64Array(owner.buffer, owner.byteOffset, length) }
}

/** y = x W + b with W stored (in x out), so the forward pass is one plain product. */
export class Dense implements Layer {
  readonly kind = 'dense'
  readonly weight: Float32Array
  readonly bias: Float32Array
  private readonly weightGrad: Float32Array
  private readonly biasGrad: Float32Array
  private out: Float32Array = new Float32Array(0)
  private gradIn: Float32Array = new Float32Array(0)
  private input: Float32Array = new Float32Array(0)
  private readonly sums: { owner: Float32Array; view: Float64Array }
  /** W's columns (outputs x inputs) for layers with fewer than 4 outputs. */
  private readonly columns: Float32Array

  constructor(
    readonly inputWidth: number,
    readonly outputWidth: number,
  ) {
    this.weight = f32Buffer(inputWidth, outputWidth)
    this.bias = f32Buffer(1, outputWidth)
    this.weightGrad = f32Buffer(inputWidth, outputWidth)
    this.biasGrad = f32Buffer(1, outputWidth)
    this.sums = f64Scratch(outputWidth)
    this.columns = outputWidth < 4 ? f32Buffer(outputWidth, inputWidth) : new Float32Array(0)
  }

  /**
   * He (fan-in, for ReLU-like units) or Xavier/Glorot normal initialisation with zero biases, or
   * `fan-in-uniform`: weights and biases uniform in +-1/sqrt(fan_in), PyTorch's nn.Linear default.
   */
  init(rng: Rng, scheme: InitScheme): void {
    if (scheme === 'fan-in-uniform') {
      const bound = 1 / Math.sqrt(this.inputWidth)
      for (let i = 0; i < this.weight.length; i++) this.weight[i] = (2 * rng.next() - 1) * bound
      for (let i = 0; i < this.bias.length; i++) this.bias[i] = (2 * rng.next() - 1) * bound
      return
    }
    const std =
      scheme === 'he' ? Math.sqrt(2 / this.inputWidth) : Math.sqrt(2 / (this.inputWidth + this.outputWidth))
    for (let i = 0; i < this.weight.length; i++) this.weight[i] = rng.normal() * std
    this.bias.fill(0)
  }

  forward(x: Float32Array, rows: number): Float32Array {
    const n = this.outputWidth
    this.out = ensure(this.out, rows, n)
    this.input = x
    const out = this.out
    const narrow = this.narrowOps(x)
    if (narrow !== null) {
      // A few outputs (the output layer): one dot product per row and output, on W's columns.
      for (let i = 0; i < rows; i++) out.set(this.bias, i * n)
      const nIn = this.inputWidth
      const wt = this.columns
      transpose(nIn, n, this.weight, wt)
      for (let c = 0; c < n; c++)
        narrow.rowDots(
          x.byteOffset,
          rows,
          nIn * 4,
          wt.byteOffset + c * nIn * 4,
          out.byteOffset + c * 4,
          n * 4,
        )
    } else gemmBias(rows, n, this.inputWidth, x, this.weight, this.bias, out)
    return out
  }

  /**
   * The SIMD kernels for layers with fewer than 4 outputs, which the padded products would waste
   * (only when `arrays` are resident and the input width is a multiple of 4).
   */
  private narrowOps(...arrays: Float32Array[]): NnOps | null {
    return this.outputWidth < 4 ? simdFor(this.inputWidth, ...arrays) : null
  }

  /**
   * Float64 scratch (resident) for the column sums of the output gradient, which the layer after
   * may fill as it computes that gradient (BatchNorm.backwardRelu); see `backward`.
   */
  biasSums(): Float64Array {
    return this.sums.view
  }

  /**
   * `biasSumsReady`: biasSums() already holds the column sums of gradOut (computed by the layer
   * after), so the bias gradient skips its own pass over gradOut.
   */
  backward(
    gradOut: Float32Array,
    rows: number,
    needInputGrad: boolean,
    biasSumsReady = false,
  ): Float32Array | undefined {
    const nIn = this.inputWidth
    const nOut = this.outputWidth
    // dW = x^T dY.
    const narrow = this.narrowOps(this.input, gradOut)
    if (narrow !== null) {
      const cols = this.columns
      cols.fill(0)
      for (let c = 0; c < nOut; c++)
        narrow.rowsAxpy(
          this.input.byteOffset,
          rows,
          nIn * 4,
          gradOut.byteOffset + c * 4,
          nOut * 4,
          cols.byteOffset + c * nIn * 4,
        )
      transpose(nOut, nIn, cols, this.weightGrad)
    } else gemmTN(nIn, nOut, rows, this.input, gradOut, this.weightGrad)
    const bg = this.biasGrad
    const o = simdFor(nOut, gradOut)
    if (biasSumsReady) {
      const sums = this.sums.view
      for (let j = 0; j < nOut; j++) bg[j] = sums[j]!
    } else if (o !== null) {
      const sums = this.sums.view
      sums.fill(0)
      o.colSums(gradOut.byteOffset, rows, nOut * 4, sums.byteOffset)
      for (let j = 0; j < nOut; j++) bg[j] = sums[j]!
    } else {
      bg.fill(0)
      for (let i = 0; i < rows; i++) {
        const off = i * nOut
        for (let j = 0; j < nOut; j++) bg[j] = bg[j]! + gradOut[off + j]!
      }
    }
    if (!needInputGrad) return undefined
    // dX = dY W^T.
    this.gradIn = ensure(this.gradIn, rows, nIn)
    gemmNT(rows, nIn, nOut, gradOut, this.weight, this.gradIn)
    return this.gradIn
  }

  params(): readonly Param[] {
    return [
      { value: this.weight, grad: this.weightGrad, decay: true },
      { value: this.bias, grad: this.biasGrad, decay: false },
    ]
  }
}

/**
 * Batch normalisation (Ioffe & Szegedy, 2015) over the batch for each feature, with learned scale
 * gamma and shift beta. Training uses batch statistics and updates running averages with
 * `momentum` (PyTorch's convention: running = (1 - m) running + m batch, unbiased variance);
 * inference uses the running averages.
 */
export class BatchNorm implements Layer {
  readonly kind = 'batch-norm'
  readonly outputWidth: number
  readonly gamma: Float32Array
  readonly beta: Float32Array
  readonly runningMean: Float32Array
  readonly runningVar: Float32Array
  private readonly gammaGrad: Float32Array
  private readonly betaGrad: Float32Array
  private readonly invStd: Float32Array
  /** Per-column coefficients of the SIMD kernels: five rows of width floats. */
  private readonly coef: Float32Array
  /** Two float64 column sums for the SIMD kernels' statistics. */
  private readonly sums: { owner: Float32Array; view: Float64Array }
  private xHat: Float32Array = new Float32Array(0)
  /** The input of the last fused training pass (forwardTrainRelu), for backwardRelu. */
  private input: Float32Array = new Float32Array(0)
  /** The kernels, from a fused training pass to the backward pass it allows (else null). */
  private fusedOps: NnOps | null = null
  private stage: Float32Array = new Float32Array(0)
  private out: Float32Array = new Float32Array(0)
  private gradIn: Float32Array = new Float32Array(0)

  constructor(
    readonly inputWidth: number,
    readonly momentum = 0.1,
    readonly eps = 1e-5,
  ) {
    this.outputWidth = inputWidth
    this.gamma = f32Buffer(1, inputWidth).fill(1)
    this.beta = f32Buffer(1, inputWidth)
    this.runningMean = new Float32Array(inputWidth)
    this.runningVar = new Float32Array(inputWidth).fill(1)
    this.gammaGrad = f32Buffer(1, inputWidth)
    this.betaGrad = f32Buffer(1, inputWidth)
    this.invStd = new Float32Array(inputWidth)
    this.coef = f32Buffer(5, inputWidth)
    this.sums = f64Scratch(2 * inputWidth)
  }

  /** Byte address of coefficient row r. */
  private coefPtr(r: number): number {
    return this.coef.byteOffset + r * this.inputWidth * 4
  }

  /**
   * Batch mean and variance of x (rows x width): sets invStd, the running averages, and the
   * normalising coefficients (coefficient rows 0 and 1: xHat = x row0 + row1).
   */
  private batchStats(x: Float32Array, rows: number, o: NnOps | null): void {
    const w = this.inputWidth
    const invStd = this.invStd
    const coef = this.coef
    // Mean and variance in one pass over the batch: sums of x - k and (x - k)^2 with the first
    // row as the shift k, which keeps the variance free of cancellation when |mean| >> std
    // (the textbook "shifted data" algorithm) and reads the batch once instead of twice.
    const sums = this.sums.view
    sums.fill(0)
    if (o !== null) o.bnStats(x.byteOffset, rows, w * 4, sums.byteOffset, sums.byteOffset + w * 8)
    else {
      for (let i = 0; i < rows; i++) {
        const off = i * w
        for (let j = 0; j < w; j++) {
          const d = x[off + j]! - x[j]!
          sums[j] = sums[j]! + d
          sums[w + j] = sums[w + j]! + d * d
        }
      }
    }
    const m = this.momentum
    const runningMean = this.runningMean
    const runningVar = this.runningVar
    for (let j = 0; j < w; j++) {
      const s1 = sums[j]!
      // Sum of squared deviations from the mean.
      const sq = Math.max(0, sums[w + j]! - (s1 * s1) / rows)
      const mean = (rows > 0 ? x[j]! : 0) + s1 / rows
      const v = sq / rows
      invStd[j] = 1 / Math.sqrt(v + this.eps)
      runningMean[j] = (1 - m) * runningMean[j]! + m * mean
      runningVar[j] = (1 - m) * runningVar[j]! + m * (rows > 1 ? sq / (rows - 1) : v)
      coef[j] = invStd[j]!
      coef[w + j] = -mean * invStd[j]!
    }
  }

  forward(x: Float32Array, rows: number, training: boolean): Float32Array {
    const w = this.inputWidth
    this.fusedOps = null
    this.out = ensure(this.out, rows, w)
    const out = this.out
    const gamma = this.gamma
    const beta = this.beta
    const invStd = this.invStd
    const coef = this.coef
    const o = simdFor(w, x, out, gamma, beta)
    if (!training) {
      // out = x * scale_j + shift_j: per-column coefficients hoisted out of the row loop.
      for (let j = 0; j < w; j++) {
        invStd[j] = 1 / Math.sqrt(this.runningVar[j]! + this.eps)
        const scale = invStd[j]! * gamma[j]!
        coef[j] = scale
        coef[w + j] = beta[j]! - this.runningMean[j]! * scale
      }
      if (o !== null) {
        o.affineCols(x.byteOffset, out.byteOffset, rows, w * 4, this.coefPtr(0), this.coefPtr(1))
        return out
      }
      for (let i = 0; i < rows; i++) {
        const off = i * w
        for (let j = 0; j < w; j++) out[off + j] = x[off + j]! * coef[j]! + coef[w + j]!
      }
      return out
    }
    this.xHat = ensure(this.xHat, rows, w)
    const xHat = this.xHat
    this.batchStats(x, rows, o)
    if (o !== null) {
      o.bnApplyTrain(
        x.byteOffset,
        xHat.byteOffset,
        out.byteOffset,
        rows,
        w * 4,
        this.coefPtr(0),
        this.coefPtr(1),
        gamma.byteOffset,
        beta.byteOffset,
      )
      return out
    }
    for (let i = 0; i < rows; i++) {
      const off = i * w
      for (let j = 0; j < w; j++) {
        const h = x[off + j]! * coef[j]! + coef[w + j]!
        xHat[off + j] = h
        out[off + j] = h * gamma[j]! + beta[j]!
      }
    }
    return out
  }

  /**
   * From the column sums of dy and dy xHat (this.sums): the gamma and beta gradients, or (with
   * `input`) the input-gradient coefficients, rows 2 to 4 of coef.
   */
  private setGradients(rows: number, input: boolean): void {
    const w = this.inputWidth
    const sums = this.sums.view
    if (!input) {
      for (let j = 0; j < w; j++) {
        this.betaGrad[j] = sums[j]!
        this.gammaGrad[j] = sums[w + j]!
      }
      return
    }
    // dx = gamma * invStd / N * (N dy - sum(dy) - xHat * sum(dy * xHat)), as c1 dy + c2 xHat + c3.
    const coef = this.coef
    for (let j = 0; j < w; j++) {
      const k = this.gamma[j]! * this.invStd[j]!
      coef[2 * w + j] = k
      coef[3 * w + j] = (-k * sums[w + j]!) / rows
      coef[4 * w + j] = (-k * sums[j]!) / rows
    }
  }

  /**
   * The training forward pass fused with the ReLU after it: max(0, batch norm of x) in one pass
   * instead of two, with the same bits. xHat is not stored: backwardRelu recomputes it from x, which the dense layer before keeps until its next
   * forward pass. Null when the SIMD kernels cannot run on these buffers (the caller then runs
   * the two layers one after the other).
   */
  forwardTrainRelu(x: Float32Array, rows: number): Float32Array | null {
    const w = this.inputWidth
    this.out = ensure(this.out, rows, w)
    const o = simdFor(w, x, this.out, this.gamma, this.beta)
    if (o === null) return null
    this.input = x
    this.fusedOps = o
    this.batchStats(x, rows, o)
    o.bnApplyTrainRelu(
      x.byteOffset,
      this.out.byteOffset,
      rows,
      w * 4,
      this.coefPtr(0),
      this.coefPtr(1),
      this.gamma.byteOffset,
      this.beta.byteOffset,
    )
    return this.out
  }

  /**
   * The backward pass through the ReLU after this layer and then this layer, right after
   * forwardTrainRelu: `h` is the ReLU's output (its gradient mask is h > 0). Also writes the
   * input gradient's column sums into `biasSums` (float64, resident): the bias gradient of the
   * dense layer before. Two passes instead of five (ReLU, two of batch norm, the column sums),
   * with the same bits. Null (nothing done) unless the last forward pass was forwardTrainRelu.
   */
  backwardRelu(
    gradOut: Float32Array,
    h: Float32Array,
    rows: number,
    biasSums: Float64Array,
  ): Float32Array | null {
    const w = this.inputWidth
    const o = this.fusedOps
    if (o === null) return null
    this.fusedOps = null
    this.gradIn = ensure(this.gradIn, rows, w)
    const gi = this.gradIn
    const x = this.input
    const g = o.arena.owns(gradOut) ? gradOut : this.staged(gradOut, rows)
    const sums = this.sums.view
    sums.fill(0)
    const hs = this.coefPtr(0)
    const hsh = this.coefPtr(1)
    o.bnBackStatsRelu(
      g.byteOffset,
      h.byteOffset,
      x.byteOffset,
      rows,
      w * 4,
      hs,
      hsh,
      sums.byteOffset,
      sums.byteOffset + w * 8,
    )
    this.setGradients(rows, false)
    this.setGradients(rows, true)
    biasSums.fill(0, 0, w)
    o.bnBackApplyRelu(
      g.byteOffset,
      h.byteOffset,
      x.byteOffset,
      gi.byteOffset,
      rows,
      w * 4,
      hs,
      hsh,
      this.coefPtr(2),
      this.coefPtr(3),
      this.coefPtr(4),
      biasSums.byteOffset,
    )
    return gi
  }

  /** A resident copy of `a` (rows x width) in a grow-only scratch buffer. */
  private staged(a: Float32Array, rows: number): Float32Array {
    this.stage = ensure(this.stage, rows, this.inputWidth)
    this.stage.set(a.subarray(0, rows * this.inputWidth))
    return this.stage
  }

  backward(gradOut: Float32Array, rows: number, needInputGrad: boolean): Float32Array | undefined {
    const w = this.inputWidth
    const xHat = this.xHat
    const sums = this.sums.view
    sums.fill(0)
    const o = simdFor(w, gradOut, xHat)
    if (o !== null)
      o.bnBackStats(
        gradOut.byteOffset,
        xHat.byteOffset,
        rows,
        w * 4,
        sums.byteOffset,
        sums.byteOffset + w * 8,
      )
    else {
      for (let i = 0; i < rows; i++) {
        const off = i * w
        for (let j = 0; j < w; j++) {
          const g = gradOut[off + j]!
          sums[j] = sums[j]! + g
          sums[w + j] = sums[w + j]! + g * xHat[off + j]!
        }
      }
    }
    this.setGradients(rows, false)
    if (!needInputGrad) return undefined
    this.setGradients(rows, true)
    this.gradIn = ensure(this.gradIn, rows, w)
    const gi = this.gradIn
    const coef = this.coef
    if (o !== null && simdFor(w, gi) !== null) {
      o.bnBackApply(
        gradOut.byteOffset,
        xHat.byteOffset,
        gi.byteOffset,
        rows,
        w * 4,
        this.coefPtr(2),
        this.coefPtr(3),
        this.coefPtr(4),
      )
      return gi
    }
    for (let i = 0; i < rows; i++) {
      const off = i * w
      for (let j = 0; j < w; j++)
        gi[off + j] =
          coef[2 * w + j]! * gradOut[off + j]! + coef[3 * w + j]! * xHat[off + j]! + coef[4 * w + j]!
    }
    return gi
  }

  params(): readonly Param[] {
    return [
      { value: this.gamma, grad: this.gammaGrad, decay: false },
      { value: this.beta, grad: this.betaGrad, decay: false },
    ]
  }
}

/** Abramowitz & Stegun 7.1.26 erf (|error| < 1.5e-7, below float precision). */
function erf(x: number): number {
  const s = x < 0 ? -1 : 1
  const a = Math.abs(x)
  const t = 1 / (1 + 0.3275911 * a)
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-a * a)
  return s * y
}

const INV_SQRT2 = Math.SQRT1_2
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI)

/** ReLU, or GELU in its exact form x * Phi(x) (Hendrycks & Gimpel, 2016; PyTorch's default). */
export class Activation implements Layer {
  readonly kind = 'activation'
  readonly outputWidth: number
  private input: Float32Array = new Float32Array(0)
  private out: Float32Array = new Float32Array(0)
  private gradIn: Float32Array = new Float32Array(0)

  constructor(
    readonly fn: 'relu' | 'gelu',
    readonly inputWidth: number,
  ) {
    this.outputWidth = inputWidth
  }

  /**
   * Stands for a forward pass whose output `h` the layer before computed (BatchNorm.forwardTrainRelu):
   * records h as the input that backward masks by (h > 0 exactly where the ReLU's input is > 0).
   */
  adopt(h: Float32Array): void {
    this.input = h
  }

  /** The input of the last forward pass (for the ReLU fused into batch norm: its output). */
  lastInput(): Float32Array {
    return this.input
  }

  forward(x: Float32Array, rows: number): Float32Array {
    const size = rows * this.inputWidth
    this.out = ensure(this.out, rows, this.inputWidth)
    this.input = x
    const out = this.out
    const o = simdFor(size, x, out)
    if (o !== null) (this.fn === 'relu' ? o.relu : o.gelu)(x.byteOffset, out.byteOffset, size * 4)
    else if (this.fn === 'relu') {
      // Branch-free (v + |v|) / 2 is exact and about 3x faster than a compare on mixed signs
      // (no mispredicted branches).
      for (let i = 0; i < size; i++) {
        const v = x[i]!
        out[i] = (v + Math.abs(v)) * 0.5
      }
    } else {
      for (let i = 0; i < size; i++) {
        const v = x[i]!
        out[i] = 0.5 * v * (1 + erf(v * INV_SQRT2))
      }
    }
    return out
  }

  backward(gradOut: Float32Array, rows: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined
    const size = rows * this.inputWidth
    this.gradIn = ensure(this.gradIn, rows, this.inputWidth)
    const gi = this.gradIn
    const x = this.input
    const o = simdFor(size, gradOut, x, gi)
    if (o !== null)
      (this.fn === 'relu' ? o.reluBack : o.geluBack)(
        gradOut.byteOffset,
        x.byteOffset,
        gi.byteOffset,
        size * 4,
      )
    else if (this.fn === 'relu') {
      // Multiplying by the 0/1 indicator avoids a data-dependent branch (see forward).
      for (let i = 0; i < size; i++) gi[i] = gradOut[i]! * +(x[i]! > 0)
    } else {
      for (let i = 0; i < size; i++) {
        const v = x[i]!
        const cdf = 0.5 * (1 + erf(v * INV_SQRT2))
        const pdf = INV_SQRT_2PI * Math.exp(-0.5 * v * v)
        gi[i] = gradOut[i]! * (cdf + v * pdf)
      }
    }
    return gi
  }

  params(): readonly Param[] {
    return []
  }
}

/** Inverted dropout: in training, zeroes each unit with probability `rate` and scales the rest by 1/(1-rate). */
export class Dropout implements Layer {
  readonly kind = 'dropout'
  readonly outputWidth: number
  /** The 32-bit draws of the last training pass: a unit is kept when its draw >= threshold. */
  private draws: Uint32Array = new Uint32Array(0)
  /** The buffer behind `draws` (it keeps a kernel-memory block alive; residency is checked on it). */
  private drawsBlock: Float32Array = new Float32Array(0)
  private out: Float32Array = new Float32Array(0)
  private gradIn: Float32Array = new Float32Array(0)
  private active = false

  constructor(
    readonly rate: number,
    readonly inputWidth: number,
    private readonly rng: Rng,
  ) {
    this.outputWidth = inputWidth
  }

  private get threshold(): number {
    return Math.floor(this.rate * 4294967296)
  }

  /** out = x * keepScale where the draw keeps the unit, else 0 (forward and backward alike). */
  private apply(x: Float32Array, out: Float32Array, size: number): void {
    const threshold = this.threshold
    const keepScale = 1 / (1 - this.rate)
    const draws = this.draws
    const o = simdFor(size, x, out, this.drawsBlock)
    if (o !== null) {
      o.dropout(x.byteOffset, draws.byteOffset, out.byteOffset, size * 4, threshold | 0, keepScale)
      return
    }
    for (let i = 0; i < size; i++) out[i] = draws[i]! >= threshold ? x[i]! * keepScale : 0
  }

  forward(x: Float32Array, rows: number, training: boolean): Float32Array {
    this.active = training && this.rate > 0
    if (!this.active) return x
    const size = rows * this.inputWidth
    this.out = ensure(this.out, rows, this.inputWidth)
    if (this.draws.length < size) {
      this.drawsBlock = f32Buffer(rows, this.inputWidth)
      this.draws = new Uint32Array(this.drawsBlock.buffer, this.drawsBlock.byteOffset, this.drawsBlock.length)
    }
    // Raw 32-bit draws against a threshold: one generator step per unit, drawn in bulk.
    this.rng.fillUint32(this.draws, size)
    this.apply(x, this.out, size)
    return this.out
  }

  backward(gradOut: Float32Array, rows: number, needInputGrad: boolean): Float32Array | undefined {
    if (!needInputGrad) return undefined
    if (!this.active) return gradOut
    this.gradIn = ensure(this.gradIn, rows, this.inputWidth)
    this.apply(gradOut, this.gradIn, rows * this.inputWidth)
    return this.gradIn
  }

  params(): readonly Param[] {
    return []
  }
}
