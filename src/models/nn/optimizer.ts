/**
 * Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019), and the learning-rate schedule.
 */
import type { Param } from './layers.js'
import { f32Buffer, simdFor } from './wasm-ops.js'

/** Optimiser settings. @internal */
export interface AdamOptions {
  readonly beta1: number
  readonly beta2: number
  readonly eps: number
  readonly weightDecay: number
  /** true: AdamW's decoupled decay w -= lr * wd * w; false: L2 added to the gradient (Adam). */
  readonly decoupled: boolean
}

/** Adam with bias correction; decay only touches params marked `decay` (dense weights). @internal */
export class Adam {
  private readonly m: Float32Array[]
  private readonly v: Float32Array[]
  private t = 0

  constructor(
    private readonly params: readonly Param[],
    private readonly options: AdamOptions,
  ) {
    // Moments beside the params in the SIMD kernels' memory, for the vectorised update.
    this.m = params.map((p) => f32Buffer(1, p.value.length))
    this.v = params.map((p) => f32Buffer(1, p.value.length))
  }

  step(lr: number): void {
    const { beta1, beta2, eps, weightDecay, decoupled } = this.options
    this.t++
    const c1 = 1 - beta1 ** this.t
    const c2 = 1 - beta2 ** this.t
    const stepSize = lr / c1
    const sqrtC2 = Math.sqrt(c2)
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k]!
      const value = p.value
      const grad = p.grad
      const m = this.m[k]!
      const v = this.v[k]!
      const wd = p.decay ? weightDecay : 0
      const l2 = decoupled ? 0 : wd
      const shrink = decoupled ? 1 - lr * wd : 1
      const o = simdFor(value.length, value, grad, m, v)
      if (o !== null) {
        o.adam(
          value.byteOffset,
          grad.byteOffset,
          m.byteOffset,
          v.byteOffset,
          value.length * 4,
          beta1,
          1 - beta1,
          beta2,
          1 - beta2,
          stepSize,
          1 / sqrtC2,
          eps,
          l2,
          shrink,
        )
        continue
      }
      for (let i = 0; i < value.length; i++) {
        const g = grad[i]! + l2 * value[i]!
        const mi = beta1 * m[i]! + (1 - beta1) * g
        const vi = beta2 * v[i]! + (1 - beta2) * g * g
        m[i] = mi
        v[i] = vi
        value[i] = value[i]! * shrink - (stepSize * mi) / (Math.sqrt(vi) / sqrtC2 + eps)
      }
    }
  }
}

/** Learning-rate schedule settings. @internal */
export interface ScheduleOptions {
  readonly learningRate: number
  readonly schedule: 'constant' | 'cosine' | 'step'
  readonly warmupSteps: number
  readonly totalSteps: number
  readonly stepsPerEpoch: number
  readonly stepEpochs: number
  readonly stepGamma: number
}

/**
 * Learning rate at optimiser step `step` (0-based): linear warm-up from lr/warmupSteps, then
 * constant, cosine decay to 0 at `totalSteps`, or a factor `stepGamma` every `stepEpochs` epochs.
 * @internal
 */
export function learningRateAt(step: number, s: ScheduleOptions): number {
  if (step < s.warmupSteps) return (s.learningRate * (step + 1)) / s.warmupSteps
  switch (s.schedule) {
    case 'constant':
      return s.learningRate
    case 'cosine': {
      const span = Math.max(1, s.totalSteps - s.warmupSteps)
      const progress = Math.min(1, (step - s.warmupSteps) / span)
      return 0.5 * s.learningRate * (1 + Math.cos(Math.PI * progress))
    }
    case 'step':
      return s.learningRate * s.stepGamma ** Math.floor(step / s.stepsPerEpoch / s.stepEpochs)
  }
}
