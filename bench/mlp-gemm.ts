/**
 * Matrix-kernel micro-benchmark on the MLP's shapes (batch 512, 43-256-128-1): textbook i-k-j
 * loop vs the scalar register-blocked kernel vs the WebAssembly SIMD kernel, in GFLOP/s.
 *
 *   node --import tsx bench/mlp-gemm.ts
 */
import { cpus, loadavg } from 'node:os'
import { Rng } from '../src/core/index.js'
import { gemm, gemmNaive, gemmScalar } from '../src/models/nn/gemm.js'

const shapes: [string, number, number, number][] = [
  ['fwd 1 (512x43 * 43x256)', 512, 256, 43],
  ['fwd 2 (512x256 * 256x128)', 512, 128, 256],
  ['dX 2 (512x128 * 128x256)', 512, 256, 128],
  ['dW 2 (256x512 * 512x128)', 256, 128, 512],
  ['dW 1 (43x512 * 512x256)', 43, 256, 512],
]
const rng = new Rng(1)
console.log(`${cpus()[0]?.model ?? 'cpu'} x${cpus().length}; load average ${loadavg()[0]!.toFixed(1)}`)
console.log('| shape | naive GFLOP/s | blocked scalar | wasm SIMD | SIMD / naive | SIMD / scalar |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const [label, m, n, k] of shapes) {
  const a = Float32Array.from({ length: m * k }, () => rng.normal())
  const b = Float32Array.from({ length: k * n }, () => rng.normal())
  const c = new Float32Array(m * n)
  const rate = (f: typeof gemm): number => {
    for (let w = 0; w < 3; w++) f(m, n, k, a, b, c)
    let best = Number.POSITIVE_INFINITY
    for (let r = 0; r < 5; r++) {
      const t = performance.now()
      for (let i = 0; i < 4; i++) f(m, n, k, a, b, c)
      best = Math.min(best, (performance.now() - t) / 4)
    }
    return (2 * m * n * k) / (best / 1000) / 1e9
  }
  const naive = rate(gemmNaive)
  const scalar = rate(gemmScalar)
  const simd = rate(gemm)
  console.log(
    `| ${label} | ${naive.toFixed(2)} | ${scalar.toFixed(2)} | ${simd.toFixed(2)} | ${(simd / naive).toFixed(1)}x | ${(simd / scalar).toFixed(1)}x |`,
  )
}
