/**
 * Before/after for the MLP's training step on a busy machine: this checkout's network and another
 * checkout's (e.g. a copy at the previous commit) train side by side on the bench/mlp.ts shapes
 * (43-256-128-1, batch norm, ReLU, Adam, batch 512, 80k random rows), taking turns batch by batch
 * (which goes first alternates), so both see the same load within milliseconds. Prints the summed
 * step times per epoch and checks that both produce the same outputs bit for bit.
 *
 *   node --import tsx bench/mlp-ab.ts --base /path/to/other/checkout [--threads 2] [--epochs 4]
 */
import { loadavg } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name)
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const baseDir = arg('--base', '')
const threads = Number(arg('--threads', '2'))
const epochs = Number(arg('--epochs', '4'))
if (baseDir === '') throw new Error('--base DIR is required (a checkout to compare with)')

const P = 43
const BATCH = 512
type Step = (z: Float32Array, y: Float64Array, start: number) => number

/** A training step of the network from the checkout at `root` (its own kernels and threads). */
async function makeStep(root: string): Promise<Step> {
  const load = (path: string) => import(pathToFileURL(join(root, path)).href)
  const core: typeof import('../src/core/index.js') = await load('src/core/index.ts')
  const pool: typeof import('../src/models/nn/gemm-pool.js') = await load('src/models/nn/gemm-pool.ts')
  const network: typeof import('../src/models/nn/network.js') = await load('src/models/nn/network.ts')
  const optimizer: typeof import('../src/models/nn/optimizer.js') = await load('src/models/nn/optimizer.ts')
  const gemm: typeof import('../src/models/nn/wasm-gemm.js') = await load('src/models/nn/wasm-gemm.ts')
  const ops: typeof import('../src/models/nn/wasm-ops.js') = await load('src/models/nn/wasm-ops.ts')
  const kernel = gemm.wasmKernel()
  if (kernel !== null) await pool.useGemmThreads(threads, kernel.memory)
  const net = new network.Network(
    {
      inputWidth: P,
      hiddenLayers: [256, 128],
      outputWidth: 1,
      batchNorm: true,
      activation: 'relu',
      dropout: 0,
    },
    new core.Rng(2),
  )
  net.init(new core.Rng(1), 'fan-in-uniform')
  const adam = new optimizer.Adam(net.params, {
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
    decoupled: false,
  })
  const xb = ops.f32Buffer(BATCH, P)
  const yb = new Float64Array(BATCH)
  const wb = new Float64Array(BATCH).fill(1)
  const g = ops.f32Buffer(BATCH, 1)
  return (z, y, start) => {
    xb.set(z.subarray(start * P, (start + BATCH) * P))
    yb.set(y.subarray(start, start + BATCH))
    const out = net.forward(xb, BATCH, true)
    network.lossAndGradient('bce', out, BATCH, 1, yb, wb, g)
    net.backward(g, BATCH)
    adam.step(1e-3)
    return out[0]!
  }
}

const here = await makeStep(join(import.meta.dirname, '..'))
const base = await makeStep(baseDir)
const rows = 80_000
const z = new Float32Array(rows * P)
let s = 1
for (let i = 0; i < z.length; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0
  z[i] = s / 2 ** 32 - 0.5
}
const y = Float64Array.from({ length: rows }, (_, i) => (z[i * P]! + z[i * P + 1]! > 0 ? 1 : 0))
let tBase = 0
let tHere = 0
let same = true
console.log(`threads ${threads}; load average ${loadavg()[0]!.toFixed(1)}`)
for (let e = 0; e < epochs; e++) {
  for (let start = 0, b = 0; start + BATCH <= rows; start += BATCH, b++) {
    let t = 0
    let a = 0
    let c = 0
    for (const which of b % 2 === 0 ? [0, 1] : [1, 0]) {
      t = performance.now()
      if (which === 0) {
        a = base(z, y, start)
        tBase += performance.now() - t
      } else {
        c = here(z, y, start)
        tHere += performance.now() - t
      }
    }
    if (!Object.is(a, c)) same = false
  }
  console.log(
    `epoch ${e + 1}: base ${(tBase / 1000).toFixed(3)} s, this ${(tHere / 1000).toFixed(3)} s (summed so far), this/base ${(tHere / tBase).toFixed(3)}, same outputs ${same}, load ${loadavg()[0]!.toFixed(1)}`,
  )
}
