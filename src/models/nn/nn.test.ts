import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Matrix } from '../../core/index.js'
import { Rng } from '../../core/index.js'
import { loadModel } from '../load.js'
import { gemm, gemmNaive, gemmNT, gemmScalar, gemmTN, transpose } from './gemm.js'
import { FittedMLPClassifier, FittedMLPRegressor, MLPClassifier, MLPRegressor } from './index.js'
import type { LossKind } from './network.js'
import { lossAndGradient, Network } from './network.js'
import { learningRateAt } from './optimizer.js'

function randomF32(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.normal()
  return a
}

describe('gemm', () => {
  it('matches the naive product on awkward shapes, and accumulates', () => {
    const rng = new Rng(1)
    for (const [m, n, k] of [
      [1, 1, 1],
      [5, 7, 3],
      [8, 8, 300],
      [13, 6, 9],
      [4, 9, 513],
      [33, 17, 2],
      [12, 16, 40],
      [37, 26, 11],
    ] as const) {
      const a = randomF32(m * k, rng)
      const b = randomF32(k * n, rng)
      const ref = new Float32Array(m * n)
      gemmNaive(m, n, k, a, b, ref)
      // gemm takes the WebAssembly SIMD path here (Node 20 has SIMD); gemmScalar is the fallback.
      for (const kernel of [gemm, gemmScalar]) {
        const c = new Float32Array(m * n)
        kernel(m, n, k, a, b, c)
        for (let i = 0; i < c.length; i++)
          assert.ok(Math.abs(c[i]! - ref[i]!) <= 1e-4 * Math.sqrt(k), `${kernel.name} ${m}x${n}x${k}`)
        kernel(m, n, k, a, b, c, true)
        for (let i = 0; i < c.length; i++) assert.ok(Math.abs(c[i]! - 2 * ref[i]!) <= 2e-4 * Math.sqrt(k))
      }
    }
  })

  it('A^T B and A B^T read the stored transposes correctly', () => {
    const rng = new Rng(2)
    for (const [m, n, k] of [
      [43, 256, 37],
      [9, 13, 5],
      [16, 8, 64],
      [3, 2, 7],
    ] as const) {
      const at = randomF32(k * m, rng) // A stored transposed (k x m)
      const b = randomF32(k * n, rng)
      const bt = randomF32(n * k, rng) // B stored transposed (n x k)
      const a = new Float32Array(m * k)
      transpose(k, m, at, a)
      const bNormal = new Float32Array(k * n)
      transpose(n, k, bt, bNormal)
      const ref = new Float32Array(m * n)
      const out = new Float32Array(m * n).fill(7) // must be overwritten
      gemmNaive(m, n, k, a, b, ref)
      gemmTN(m, n, k, at, b, out)
      for (let i = 0; i < out.length; i++)
        assert.ok(Math.abs(out[i]! - ref[i]!) <= 1e-4 * Math.sqrt(k), `TN ${m}x${n}x${k}`)
      gemmNaive(m, n, k, a, bNormal, ref)
      out.fill(7)
      gemmNT(m, n, k, a, bt, out)
      for (let i = 0; i < out.length; i++)
        assert.ok(Math.abs(out[i]! - ref[i]!) <= 1e-4 * Math.sqrt(k), `NT ${m}x${n}x${k}`)
    }
  })

  it('products split over worker threads equal the single-threaded ones, bit for bit', async () => {
    const { wasmKernel } = await import('./wasm-gemm.js')
    const { useGemmThreads } = await import('./gemm-pool.js')
    const kernel = wasmKernel()
    assert.ok(kernel !== null, 'WebAssembly SIMD is available on Node 20')
    const rng = new Rng(9)
    const [m, n, k] = [516, 264, 72] // > 2^20 multiply-adds; rows not a multiple of the band size
    const a = randomF32(m * k, rng)
    const b = randomF32(k * n, rng)
    const at = randomF32(k * m, rng)
    const bt = randomF32(n * k, rng)
    // The MLP's backward products on resident buffers: operands packed in bands shared with the
    // workers, and a short, wide C (43 x 256) cut into bands of columns.
    const { f32Buffer } = await import('./wasm-ops.js')
    const resident = (rowsR: number, cols: number) => {
      const v = f32Buffer(rowsR, cols)
      v.set(randomF32(rowsR * cols, rng))
      return v
    }
    const [x1, d1, x2, d2] = [resident(512, 43), resident(512, 256), resident(512, 256), resident(512, 128)]
    const w2 = resident(256, 128)
    const run = () => {
      const c1 = new Float32Array(m * n)
      const c2 = new Float32Array(m * n)
      const c3 = new Float32Array(m * n)
      const g1 = f32Buffer(43, 256)
      const g2 = f32Buffer(256, 128)
      const dx = f32Buffer(512, 256)
      gemm(m, n, k, a, b, c1)
      gemmTN(m, n, k, at, b, c2)
      gemmNT(m, n, k, a, bt, c3)
      gemmTN(43, 256, 512, x1, d1, g1)
      gemmTN(256, 128, 512, x2, d2, g2)
      gemmNT(512, 256, 128, d2, w2, dx)
      return [c1, c2, c3, Float32Array.from(g1), Float32Array.from(g2), Float32Array.from(dx)]
    }
    try {
      await useGemmThreads(1, kernel.memory)
      const one = run()
      await useGemmThreads(3, kernel.memory)
      const three = run()
      for (let i = 0; i < one.length; i++) assert.deepEqual(three[i], one[i])
      const rows = 1200
      const mdata = Float64Array.from({ length: rows * 43 }, () => rng.normal())
      const my = Float64Array.from({ length: rows }, (_, i) =>
        mdata[i * 43]! + mdata[i * 43 + 1]! > 0 ? 1 : 0,
      )
      const mx = { rows, cols: 43, data: mdata }
      const params = { hiddenLayers: [256], batchSize: 512, maxEpochs: 2, earlyStopping: false }
      const single = await new MLPClassifier({ ...params, threads: 1 }).fit(mx, my)
      const multi = await new MLPClassifier({ ...params, threads: 2 }).fit(mx, my)
      assert.deepEqual(multi.predictProba(mx).data, single.predictProba(mx).data)
    } finally {
      await useGemmThreads(1, kernel.memory)
    }
  })

  it('transposes', () => {
    const a = Float32Array.from({ length: 35 }, (_, i) => i)
    const t = new Float32Array(35)
    transpose(5, 7, a, t)
    for (let i = 0; i < 5; i++) for (let j = 0; j < 7; j++) assert.equal(t[j * 5 + i], a[i * 7 + j])
  })
})

describe('MLP layers: gradients by finite differences', () => {
  const cases: { loss: LossKind; out: number; activation: 'relu' | 'gelu'; batchNorm: boolean }[] = [
    { loss: 'cross-entropy', out: 3, activation: 'gelu', batchNorm: true },
    { loss: 'bce', out: 1, activation: 'gelu', batchNorm: true },
    { loss: 'mse', out: 1, activation: 'gelu', batchNorm: false },
  ]
  for (const c of cases) {
    it(`${c.loss}, ${c.activation}, batchNorm=${c.batchNorm}`, () => {
      const rng = new Rng(7)
      const rows = 9
      const p = 5
      const net = new Network(
        {
          inputWidth: p,
          hiddenLayers: [6, 4],
          outputWidth: c.out,
          batchNorm: c.batchNorm,
          activation: c.activation,
          dropout: 0,
        },
        new Rng(0),
      )
      net.init(rng, 'xavier')
      // Non-trivial batch-norm parameters so their gradients are exercised too.
      for (const bn of net.batchNormLayers()) {
        for (let j = 0; j < bn.gamma.length; j++) {
          bn.gamma[j] = 1 + 0.3 * rng.normal()
          bn.beta[j] = 0.2 * rng.normal()
        }
      }
      const x = randomF32(rows * p, rng)
      const y = new Float64Array(rows)
      for (let i = 0; i < rows; i++)
        y[i] = c.loss === 'cross-entropy' ? i % 3 : c.loss === 'bce' ? i % 2 : rng.normal()
      const w = Float64Array.from({ length: rows }, (_, i) => 0.5 + (i % 3) * 0.5)
      const lossAt = (): number =>
        lossAndGradient(c.loss, net.forward(x, rows, true), rows, c.out, y, w, undefined)
      const grad = new Float32Array(rows * c.out)
      lossAndGradient(c.loss, net.forward(x, rows, true), rows, c.out, y, w, grad)
      net.backward(grad, rows)
      const analytic = net.params.map((q) => Float32Array.from(q.grad))
      const eps = 3e-3
      let checked = 0
      let worst = 0
      net.params.forEach((q, k) => {
        for (let i = 0; i < q.value.length; i++) {
          const v = q.value[i]!
          q.value[i] = v + eps
          const up = lossAt()
          q.value[i] = v - eps
          const down = lossAt()
          q.value[i] = v
          const numeric = (up - down) / (2 * eps)
          const a = analytic[k]![i]!
          const err = Math.abs(a - numeric) / (1e-3 + Math.abs(numeric))
          worst = Math.max(worst, err)
          assert.ok(
            Math.abs(a - numeric) <= 2e-3 + 2e-2 * Math.abs(numeric),
            `param ${k}[${i}]: ${a} vs ${numeric}`,
          )
          checked++
        }
      })
      assert.ok(checked > 50)
      assert.ok(worst < 0.05, `worst relative error ${worst}`)
    })
  }
})

function twoMoons(n: number, seed: number): { x: Matrix; y: Float64Array } {
  const rng = new Rng(seed)
  const data = new Float64Array(n * 3)
  const y = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const cls = i % 2
    const t = Math.PI * rng.next()
    data[i * 3] = (cls === 0 ? Math.cos(t) : 1 - Math.cos(t)) + 0.1 * rng.normal()
    data[i * 3 + 1] = (cls === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + 0.1 * rng.normal()
    data[i * 3 + 2] = rng.normal() // noise
    y[i] = cls
  }
  return { x: { rows: n, cols: 3, data }, y }
}

describe('MLPClassifier / MLPRegressor', () => {
  const { x, y } = twoMoons(400, 1)
  const small = { hiddenLayers: [16, 8], maxEpochs: 30, batchSize: 32, learningRate: 0.01, seed: 3 }

  it('learns a nonlinear boundary; loss decreases; probabilities sum to 1', async () => {
    const losses: number[] = []
    const model = await new MLPClassifier({ ...small, earlyStopping: false }).fit(x, y, {
      onIteration: (i) => losses.push(i.trainLoss),
    })
    assert.equal(losses.length, 30)
    assert.ok(losses[losses.length - 1]! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`)
    const proba = model.predictProba(x)
    for (let i = 0; i < x.rows; i++)
      assert.ok(Math.abs(proba.data[2 * i]! + proba.data[2 * i + 1]! - 1) < 1e-12)
    const pred = model.predict(x)
    let correct = 0
    for (let i = 0; i < x.rows; i++) if (pred[i] === y[i]) correct++
    assert.ok(correct / x.rows > 0.95, `accuracy ${correct / x.rows}`)
  })

  it('same seed gives a byte-identical artifact; save/load predicts bit-identically', async () => {
    const params = { ...small, maxEpochs: 5, dropout: 0.2, activation: 'gelu' as const }
    const a = await new MLPClassifier(params).fit(x, y)
    const b = await new MLPClassifier(params).fit(x, y)
    const ja = JSON.stringify(a.toArtifact())
    assert.equal(ja, JSON.stringify(b.toArtifact()))
    const c = await new MLPClassifier({ ...params, seed: 4 }).fit(x, y)
    assert.notEqual(ja, JSON.stringify(c.toArtifact()))
    const loaded = loadModel(JSON.parse(ja))
    assert.ok(loaded instanceof FittedMLPClassifier)
    assert.deepEqual(loaded.predictProba(x).data, a.predictProba(x).data)
    assert.equal(JSON.stringify(loaded.toArtifact()), ja)
  })

  it('multiclass softmax with early stopping keeps the best epoch', async () => {
    const y3 = Float64Array.from(y, (v, i) => (v === 1 ? 1 : x.data[i * 3]! > 0 ? 2 : 0))
    const valid: number[] = []
    const model = await new MLPClassifier({ ...small, maxEpochs: 60, patience: 3, learningRate: 0.05 }).fit(
      x,
      y3,
      {
        onIteration: (i) => valid.push(i.validLoss ?? Number.NaN),
      },
    )
    assert.equal(model.nClasses, 3)
    assert.ok(valid.every(Number.isFinite))
    const bestIdx = valid.indexOf(Math.min(...valid))
    assert.equal(model.bestEpoch, bestIdx + 1)
    if (model.epochsRun < 60) assert.equal(model.epochsRun, model.bestEpoch + 3)
    const proba = model.predictProba(x)
    for (let i = 0; i < x.rows; i++) {
      const s = proba.data[3 * i]! + proba.data[3 * i + 1]! + proba.data[3 * i + 2]!
      assert.ok(Math.abs(s - 1) < 1e-12)
    }
  })

  it('regresses a smooth function and round-trips', async () => {
    const rng = new Rng(5)
    const n = 300
    const data = new Float64Array(n * 2)
    const target = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const a = rng.normal()
      const b = rng.normal()
      data[2 * i] = a * 10
      data[2 * i + 1] = b
      target[i] = 1000 + 200 * Math.sin(a) + 100 * b * b
    }
    const xr: Matrix = { rows: n, cols: 2, data }
    const model = await new MLPRegressor({ ...small, maxEpochs: 80, batchNorm: false, dropout: 0 }).fit(
      xr,
      target,
    )
    const pred = model.predict(xr)
    let sse = 0
    let sst = 0
    const mean = target.reduce((s, v) => s + v, 0) / n
    for (let i = 0; i < n; i++) {
      sse += (pred[i]! - target[i]!) ** 2
      sst += (target[i]! - mean) ** 2
    }
    assert.ok(1 - sse / sst > 0.8, `R2 ${1 - sse / sst}`)
    const loaded = loadModel(JSON.parse(JSON.stringify(model.toArtifact())))
    assert.ok(loaded instanceof FittedMLPRegressor)
    assert.deepEqual(loaded.predict(xr), pred)
  })

  it('handles NaN inputs, sample weights and bad params', async () => {
    const xn = Float64Array.from(x.data)
    xn[0] = Number.NaN
    xn[10] = Number.POSITIVE_INFINITY
    const sw = Float64Array.from({ length: x.rows }, (_, i) => 1 + (i % 4))
    const model = await new MLPClassifier({ ...small, maxEpochs: 3 }).fit({ ...x, data: xn }, y, {
      sampleWeight: sw,
    })
    assert.ok(model.predictProba({ ...x, data: xn }).data.every(Number.isFinite))
    assert.throws(() => new MLPClassifier({ hiddenLayers: [0] }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new MLPClassifier({ dropout: 1 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => new MLPRegressor({ learningrate: 1 } as never), /Unknown MLPRegressor param/)
    assert.throws(() => model.predict({ rows: 1, cols: 2, data: new Float64Array(2) }), {
      code: 'DATA_SHAPE_MISMATCH',
    })
  })

  it('learning-rate schedules', () => {
    const s = {
      learningRate: 1,
      warmupSteps: 10,
      totalSteps: 110,
      stepsPerEpoch: 10,
      stepEpochs: 2,
      stepGamma: 0.5,
    }
    assert.equal(learningRateAt(0, { ...s, schedule: 'constant' }), 0.1)
    assert.equal(learningRateAt(10, { ...s, schedule: 'constant' }), 1)
    assert.equal(learningRateAt(10, { ...s, schedule: 'cosine' }), 1)
    assert.ok(Math.abs(learningRateAt(60, { ...s, schedule: 'cosine' }) - 0.5) < 1e-12)
    assert.ok(learningRateAt(109, { ...s, schedule: 'cosine' }) < 0.001)
    assert.equal(learningRateAt(45, { ...s, schedule: 'step' }), 0.25)
  })
})
