/**
 * Where an MLP training epoch goes, layer by layer: the bench/mlp.ts network (43-256-128-1, batch
 * norm, ReLU, Adam, batch 512) on random standardised rows, each stage of every step timed with
 * performance.now. Attribution only (the timers themselves cost a little); bench/mlp.ts is the
 * end-to-end figure.
 *
 *   node --import tsx bench/mlp-profile.ts [--threads 2] [--rows 80000] [--epochs 3]
 */
import { cpus, loadavg } from 'node:os'
import { Rng } from '../src/core/index.js'
import { useGemmThreads } from '../src/models/nn/gemm-pool.js'
import { lossAndGradient, Network } from '../src/models/nn/network.js'
import { Adam } from '../src/models/nn/optimizer.js'
import { wasmKernel } from '../src/models/nn/wasm-gemm.js'
import { f32Buffer } from '../src/models/nn/wasm-ops.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const threads = Number(arg('--threads', '2'))
const nRows = Number(arg('--rows', '80000'))
const epochs = Number(arg('--epochs', '3'))
const p = 43
const batch = 512

const kernel = wasmKernel()
if (kernel !== null) await useGemmThreads(threads, kernel.memory)
const rng = new Rng(1)
const z = Float32Array.from({ length: nRows * p }, () => rng.normal())
const y = Float64Array.from({ length: nRows }, (_, i) => (z[i * p]! + z[i * p + 1]! > 0 ? 1 : 0))
const w = new Float64Array(nRows).fill(1)
const net = new Network(
  {
    inputWidth: p,
    hiddenLayers: [256, 128],
    outputWidth: 1,
    batchNorm: true,
    activation: 'relu',
    dropout: 0,
  },
  rng.fork(2),
)
net.init(rng.fork(1), 'fan-in-uniform')
const adam = new Adam(net.params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false })
const xb = f32Buffer(batch, p)
const yb = new Float64Array(batch)
const wb = new Float64Array(batch)
const gradOut = f32Buffer(batch, 1)
const order = Int32Array.from({ length: nRows }, (_, i) => i)

const names = [
  'gather',
  ...net.layers.map((l, i) => `fwd ${i} ${l.kind} ${l.inputWidth}->${l.outputWidth}`),
  'loss',
  ...net.layers.map((l, i) => `bwd ${i} ${l.kind}`).reverse(),
  'adam',
]
const total = new Float64Array(names.length)
const epochSeconds: number[] = []
for (let e = 0; e < epochs; e++) {
  const t0 = performance.now()
  const spent = new Float64Array(names.length)
  rng.shuffle(order)
  for (let start = 0; start + batch <= nRows; start += batch) {
    let s = 0
    let t = performance.now()
    const lap = () => {
      const now = performance.now()
      spent[s++]! += now - t
      t = now
    }
    for (let r = 0; r < batch; r++) {
      const i = order[start + r]!
      for (let j = 0, src = i * p, dst = r * p; j < p; j++) xb[dst + j] = z[src + j]!
      yb[r] = y[i]!
      wb[r] = w[i]!
    }
    lap()
    let h = xb
    for (const layer of net.layers) {
      h = layer.forward(h, batch, true)
      lap()
    }
    lossAndGradient('bce', h, batch, 1, yb, wb, gradOut)
    lap()
    let g = gradOut
    for (let i = net.layers.length - 1; i >= 0; i--) {
      const next = net.layers[i]!.backward(g, batch, i > 0)
      if (next !== undefined) g = next
      lap()
    }
    adam.step(1e-3)
    lap()
  }
  epochSeconds.push((performance.now() - t0) / 1000)
  if (e > 0) for (let i = 0; i < names.length; i++) total[i]! += spent[i]!
}
const measured = Math.max(1, epochs - 1)
console.log(
  `${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; threads ${threads}; load average ${loadavg()[0]!.toFixed(1)}`,
)
console.log(`epoch s: ${epochSeconds.map((s) => s.toFixed(3)).join(', ')}`)
const sum = total.reduce((a, b) => a + b, 0)
console.log('| stage | ms per epoch | share |')
console.log('|---|---:|---:|')
for (let i = 0; i < names.length; i++)
  console.log(
    `| ${names[i]} | ${(total[i]! / measured).toFixed(1)} | ${((100 * total[i]!) / sum).toFixed(1)}% |`,
  )
console.log(`| all | ${(sum / measured).toFixed(1)} | |`)
