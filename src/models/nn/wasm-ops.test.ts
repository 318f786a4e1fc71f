import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../../core/index.js'
import { Arena } from '../../runtime/index.js'
import { gemm, gemmNaive, gemmNT, gemmTN } from './gemm.js'
import { Activation, BatchNorm, Dense, Dropout, type Param } from './layers.js'
import { Network } from './network.js'
import { Adam } from './optimizer.js'
import { f32Buffer, nnOps } from './wasm-ops.js'

function randomF32(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n)
  for (let i = 0; i < n; i++) a[i] = rng.normal()
  return a
}

/** The same values in the kernels' memory. */
function residentCopy(a: Float32Array, rows: number, width: number): Float32Array {
  const r = f32Buffer(rows, width)
  r.set(a.subarray(0, rows * width))
  return r
}

/** Two dense layers with the same weights and (random) biases. */
function twinDense(nIn: number, nOut: number, rng: Rng): [Dense, Dense] {
  const a = new Dense(nIn, nOut)
  const b = new Dense(nIn, nOut)
  a.init(new Rng(1), 'xavier')
  b.init(new Rng(1), 'xavier')
  for (let j = 0; j < nOut; j++) a.bias[j] = b.bias[j] = rng.normal()
  return [a, b]
}

function assertClose(a: Float32Array, b: Float32Array, n: number, tol: number, what: string): void {
  for (let i = 0; i < n; i++) {
    const d = Math.abs(a[i]! - b[i]!)
    assert.ok(d <= tol * (1 + Math.abs(b[i]!)), `${what}[${i}]: ${a[i]} vs ${b[i]}`)
  }
}

describe('arena buffers in the kernel memory', () => {
  it('hands out disjoint, zeroed, aligned blocks and keeps views valid as the memory grows', () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 256, shared: true })
    const arena = new Arena(memory, 128)
    const views: Float32Array[] = []
    for (let i = 0; i < 40; i++) {
      const v = arena.alloc(1000 + i * 97, 1200 + i * 97)
      assert.equal(v.byteOffset % 64, 0, 'blocks are 64-byte aligned')
      assert.ok(v.byteOffset >= 128, 'the reserved prefix is never handed out')
      assert.ok(
        v.every((x) => x === 0),
        'new blocks are zeroed',
      )
      v.fill(i + 1)
      views.push(v)
    }
    assert.ok(memory.buffer.byteLength > 65536, 'the memory grew')
    const spans = views.map((v) => arena.span(v)!).sort((a, b) => a.ptr - b.ptr)
    for (let i = 1; i < spans.length; i++) {
      const prev = spans[i - 1]!
      assert.ok(prev.ptr + prev.capacity * 4 <= spans[i]!.ptr, 'blocks (with their capacity) do not overlap')
    }
    views.forEach((v, i) => {
      assert.ok(
        v.every((x) => x === i + 1),
        `view ${i} kept its values across growth`,
      )
    })
    assert.equal(arena.span(new Float32Array(4)), undefined, 'ordinary arrays are not arena blocks')
    assert.equal(arena.owns(views[0]!), true, 'owns its views')
    assert.equal(arena.owns(new Float32Array(4)), false, 'does not own ordinary arrays')
  })
})

describe('products on resident operands', () => {
  it('in-place A and C (with padded rows) give the same products as staged operands', () => {
    assert.ok(nnOps() !== null, 'WebAssembly SIMD is available on Node 20')
    const rng = new Rng(3)
    for (const [m, n, k] of [
      [37, 24, 13],
      [64, 16, 40],
      [5, 8, 1],
      [40, 32, 12], // B^T packed by the SIMD transpose (k a multiple of 4, n of 8)
    ] as const) {
      const a = randomF32(m * k, rng)
      const b = randomF32(k * n, rng)
      const ref = new Float32Array(m * n)
      gemmNaive(m, n, k, a, b, ref)
      const staged = new Float32Array(m * n)
      gemm(m, n, k, a, b, staged)
      const cr = f32Buffer(m, n)
      cr.fill(7) // overwritten, not accumulated
      gemm(m, n, k, residentCopy(a, m, k), residentCopy(b, k, n), cr)
      assert.deepEqual(Array.from(cr), Array.from(staged), `gemm ${m}x${n}x${k}: in place = staged`)
      assertClose(cr, ref, m * n, 1e-5, 'gemm vs naive')
      // A^T B with A stored k x m, and A B^T with B stored n x k.
      const at = randomF32(k * m, rng)
      const bt = randomF32(n * k, rng)
      const transposed = [
        { name: 'A^T B', product: gemmTN, left: at, leftShape: [k, m], right: b, rightShape: [k, n] },
        { name: 'A B^T', product: gemmNT, left: a, leftShape: [m, k], right: bt, rightShape: [n, k] },
      ] as const
      for (const t of transposed) {
        const staged1 = new Float32Array(m * n)
        t.product(m, n, k, t.left, t.right, staged1)
        const inPlace = f32Buffer(m, n)
        t.product(
          m,
          n,
          k,
          residentCopy(t.left, t.leftShape[0], t.leftShape[1]),
          residentCopy(t.right, t.rightShape[0], t.rightShape[1]),
          inPlace,
        )
        assert.deepEqual(Array.from(inPlace), Array.from(staged1), `${t.name} in place = staged`)
      }
    }
  })
})

describe('SIMD element-wise kernels agree with the JavaScript loops', () => {
  const rows = 37 // not a multiple of 4
  const w = 24
  it('batch norm: training forward, backward, inference forward', () => {
    const rng = new Rng(5)
    const x = randomF32(rows * w, rng).map((v, i) => 3 + 2 * v + (i % w)) // |mean| >> std in some columns
    const g = randomF32(rows * w, rng)
    const simd = new BatchNorm(w)
    const js = new BatchNorm(w)
    for (let j = 0; j < w; j++) {
      const gamma = 1 + 0.3 * rng.normal()
      const beta = 0.2 * rng.normal()
      simd.gamma[j] = js.gamma[j] = gamma
      simd.beta[j] = js.beta[j] = beta
    }
    const o1 = simd.forward(residentCopy(x, rows, w), rows, true)
    const o2 = js.forward(Float32Array.from(x), rows, true)
    assertClose(o1, o2, rows * w, 2e-6, 'bn forward')
    assertClose(simd.runningMean, js.runningMean, w, 1e-6, 'running mean')
    assertClose(simd.runningVar, js.runningVar, w, 1e-6, 'running var')
    const gi1 = simd.backward(residentCopy(g, rows, w), rows, true)!
    const gi2 = js.backward(Float32Array.from(g), rows, true)!
    assertClose(gi1, gi2, rows * w, 2e-5, 'bn input gradient')
    assertClose(simd.params()[0]!.grad, js.params()[0]!.grad, w, 1e-5, 'gamma gradient')
    assertClose(simd.params()[1]!.grad, js.params()[1]!.grad, w, 1e-5, 'beta gradient')
    const e1 = simd.forward(residentCopy(x, rows, w), rows, false)
    const e2 = js.forward(Float32Array.from(x), rows, false)
    assertClose(e1, e2, rows * w, 1e-6, 'bn inference')
  })

  it('ReLU forward and backward (exactly, up to the sign of zero)', () => {
    const rng = new Rng(6)
    const x = randomF32(rows * w, rng)
    x[3] = 0
    x[4] = -0
    const g = randomF32(rows * w, rng)
    const simd = new Activation('relu', w)
    const js = new Activation('relu', w)
    assert.deepEqual(
      Array.from(simd.forward(residentCopy(x, rows, w), rows)),
      Array.from(js.forward(Float32Array.from(x), rows)),
    )
    // g * 0 is -0 for negative g in JavaScript; the kernel's mask gives +0.
    const zeroed = (a: Float32Array) => Array.from(a.subarray(0, rows * w), (v) => v + 0)
    assert.deepEqual(
      zeroed(simd.backward(residentCopy(g, rows, w), rows, true)!),
      zeroed(js.backward(Float32Array.from(g), rows, true)!),
    )
  })

  it('dense: bias rows, weight and bias gradients', () => {
    const rng = new Rng(8)
    const nIn = 13
    const [simd, js] = twinDense(nIn, w, rng)
    const x = randomF32(rows * nIn, rng)
    const g = randomF32(rows * w, rng)
    const o1 = simd.forward(residentCopy(x, rows, nIn), rows)
    const o2 = js.forward(Float32Array.from(x), rows)
    assertClose(o1, o2, rows * w, 1e-6, 'dense forward')
    simd.backward(residentCopy(g, rows, w), rows, true)
    js.backward(Float32Array.from(g), rows, true)
    const [w1, b1] = simd.params()
    const [w2, b2] = js.params()
    assertClose(w1!.grad, w2!.grad, nIn * w, 1e-6, 'weight gradient')
    assertClose(b1!.grad, b2!.grad, w, 1e-5, 'bias gradient')
  })

  it('narrow dense layers (fewer than 4 outputs): forward, weight gradient, input gradient', () => {
    const rng = new Rng(10)
    const nIn = 20
    for (const nOut of [1, 3]) {
      const [simd, js] = twinDense(nIn, nOut, rng)
      const x = randomF32(rows * nIn, rng)
      const g = randomF32(rows * nOut, rng)
      assertClose(
        simd.forward(residentCopy(x, rows, nIn), rows),
        js.forward(Float32Array.from(x), rows),
        rows * nOut,
        1e-5,
        `forward, ${nOut} outputs`,
      )
      const gi1 = simd.backward(residentCopy(g, rows, nOut), rows, true)!
      const gi2 = js.backward(Float32Array.from(g), rows, true)!
      assertClose(
        simd.params()[0]!.grad,
        js.params()[0]!.grad,
        nIn * nOut,
        1e-5,
        `weight gradient, ${nOut} outputs`,
      )
      assertClose(simd.params()[1]!.grad, js.params()[1]!.grad, nOut, 1e-5, `bias gradient, ${nOut} outputs`)
      assertClose(gi1, gi2, rows * nIn, 1e-5, `input gradient, ${nOut} outputs`)
    }
  })

  it('Adam and AdamW steps', () => {
    const rng = new Rng(11)
    for (const decoupled of [false, true]) {
      const n = 64
      const make = (res: boolean): Param => {
        const r = new Rng(12)
        const value = res ? f32Buffer(1, n) : new Float32Array(n)
        const grad = res ? f32Buffer(1, n) : new Float32Array(n)
        for (let i = 0; i < n; i++) value[i] = r.normal()
        return { value, grad, decay: true }
      }
      const a = make(true)
      const b = make(false)
      const options = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled }
      const oa = new Adam([a], options)
      const ob = new Adam([b], options)
      for (let step = 0; step < 5; step++) {
        for (let i = 0; i < n; i++) a.grad[i] = b.grad[i] = rng.normal() * (i % 7 === 0 ? 1e-4 : 1)
        oa.step(1e-2)
        ob.step(1e-2)
      }
      assertClose(a.value, b.value, n, 1e-5, `adam (decoupled=${decoupled})`)
    }
  })

  it('GELU forward and backward (SIMD erf and exp against the JavaScript formulas)', () => {
    const rng = new Rng(13)
    const x = randomF32(rows * w, rng).map((v, i) => v * (1 + (i % 5))) // tails up to |x| ~ 15
    x[0] = 0
    x[1] = -30
    x[2] = 30
    const g = randomF32(rows * w, rng)
    const simd = new Activation('gelu', w)
    const js = new Activation('gelu', w)
    assertClose(
      simd.forward(residentCopy(x, rows, w), rows),
      js.forward(Float32Array.from(x), rows),
      rows * w,
      1e-6,
      'gelu',
    )
    assertClose(
      simd.backward(residentCopy(g, rows, w), rows, true)!,
      js.backward(Float32Array.from(g), rows, true)!,
      rows * w,
      1e-6,
      'gelu gradient',
    )
  })

  it('dropout: the same units dropped from the same seed, forward and backward', () => {
    const rng = new Rng(14)
    const x = randomF32(rows * w, rng)
    const g = randomF32(rows * w, rng)
    const simd = new Dropout(0.3, w, new Rng(99))
    const js = new Dropout(0.3, w, new Rng(99))
    const o1 = simd.forward(residentCopy(x, rows, w), rows, true)
    const o2 = js.forward(Float32Array.from(x), rows, true)
    assertClose(o1, o2, rows * w, 1e-7, 'dropout forward')
    let dropped = 0
    for (let i = 0; i < rows * w; i++) {
      assert.equal(o1[i] === 0, o2[i] === 0, `unit ${i} dropped alike`)
      if (o1[i] === 0) dropped++
    }
    assert.ok(dropped > 0.2 * rows * w && dropped < 0.4 * rows * w, `dropped ${dropped} of ${rows * w}`)
    assertClose(
      simd.backward(residentCopy(g, rows, w), rows, true)!,
      js.backward(Float32Array.from(g), rows, true)!,
      rows * w,
      1e-7,
      'dropout gradient',
    )
  })

  it('batch norm + ReLU fused in a training step: the same bits as the layers one by one', () => {
    const rng = new Rng(15)
    const spec = {
      inputWidth: 13,
      hiddenLayers: [24, 16],
      outputWidth: 1,
      batchNorm: true,
      activation: 'relu',
      dropout: 0.2,
    } as const
    const fused = new Network(spec, new Rng(3))
    const apart = new Network(spec, new Rng(3))
    fused.init(new Rng(4), 'fan-in-uniform')
    apart.init(new Rng(4), 'fan-in-uniform')
    for (let step = 0; step < 3; step++) {
      const x = residentCopy(randomF32(rows * 13, rng), rows, 13)
      const g = residentCopy(randomF32(rows, rng), rows, 1)
      const out = fused.forward(x, rows, true)
      fused.backward(g, rows)
      let h = x
      for (const layer of apart.layers) h = layer.forward(h, rows, true)
      let gi = g
      for (let i = apart.layers.length - 1; i >= 0; i--) gi = apart.layers[i]!.backward(gi, rows, i > 0) ?? gi
      assert.deepEqual(
        Array.from(out.subarray(0, rows)),
        Array.from(h.subarray(0, rows)),
        `output, step ${step}`,
      )
      fused.params.forEach((p, k) => {
        assert.deepEqual(Array.from(p.grad), Array.from(apart.params[k]!.grad), `gradient ${k}, step ${step}`)
        // Move both the same way so the next step starts from new weights.
        for (let i = 0; i < p.value.length; i++)
          p.value[i] = apart.params[k]!.value[i] = p.value[i]! - 0.1 * p.grad[i]!
      })
    }
    const bn = fused.batchNormLayers()
    assert.deepEqual(Array.from(bn[0]!.runningVar), Array.from(apart.batchNormLayers()[0]!.runningVar))
  })
})
