/**
 * Histogram kernels before/after: this checkout's hist.wat kernels and another checkout's (e.g. a
 * worktree at the previous commit), instantiated on one shared memory over the same node (800k
 * rows x 8 features, skewed bins, an increasing subset of `--density` of the rows), taking turns
 * call by call, one thread. Prints ns per (row, feature) update, medians of `--reps`, per kernel.
 * In one process, so machine load hits both sides alike (this machine's runs vary by 15-30 %).
 *
 *   git worktree add /tmp/old HEAD~1 && ln -s "$PWD/node_modules" /tmp/old/node_modules
 *   node --import tsx bench/gbdt-hist-kernel-ab.ts --base /tmp/old [--density 1] [--reps 15]
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Rng } from '../src/core/index.js'
import { histWasm } from '../src/models/gbdt/wasm/hist.wasm.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}
const baseDir = arg('base', '')
if (baseDir === '') throw new Error('--base DIR is required (a checkout to compare with)')
const density = Number(arg('density', '1'))
const reps = Number(arg('reps', '15'))
const N = 800_000
const F = 8

const base = (await import(pathToFileURL(join(baseDir, 'src/models/gbdt/wasm/hist.wasm.ts')).href)) as {
  histWasm: string
}
const memory = new WebAssembly.Memory({ initial: 2000, maximum: 65536, shared: true })
type Kernel = Record<string, (...args: number[]) => void>
const instance = (b64: string): Kernel =>
  new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(b64, 'base64')), {
    env: { mem: memory, exp: Math.exp },
  }).exports as unknown as Kernel
const sides = { base: instance(base.histWasm), this: instance(histWasm) }

const u8 = new Uint8Array(memory.buffer)
const f64 = new Float64Array(memory.buffer)
const i32 = new Int32Array(memory.buffer)
let top = 0
const alloc = (bytes: number) => {
  const at = top
  top += Math.ceil(bytes / 64) * 64
  return at
}
const bins = alloc(N * F)
const rows = alloc(N * 4)
const grad = alloc(N * 8)
const hess = alloc(N * 8)
const hist = alloc(F * 256 * 24)
const rng = new Rng(1)
for (let i = 0; i < N * F; i++) u8[bins + i] = Math.floor(rng.next() * rng.next() * 3 * 255) % 255
let n = 0
for (let r = 0; r < N; r++) if (density >= 1 || rng.next() < density) i32[rows / 4 + n++] = r
for (let i = 0; i < n; i++) {
  f64[grad / 8 + i] = rng.next() - 0.5
  f64[hess / 8 + i] = rng.next() * 0.25
}
const cols = Array.from({ length: F }, (_, f) => bins + f * N)

/** ns per update of kernel `fn` (features from its name; 'h' kernels have 16-byte bins). */
function run(kernel: Kernel, fn: string): number {
  const binBytes = fn.endsWith('h') ? 16 : 24
  const nf = Number(fn.replace(/\D/g, ''))
  const bases = Array.from({ length: nf }, (_, f) => hist + f * 256 * binBytes)
  f64.fill(0, hist / 8, hist / 8 + F * 256 * 3)
  const t = process.hrtime.bigint()
  kernel[fn]!(rows, grad, hess, 0, n, ...cols.slice(0, nf), ...bases)
  return Number(process.hrtime.bigint() - t) / (n * nf)
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
console.log(`density ${density} (${n} rows), medians of ${reps}; ns per update`)
console.log('| kernel | base | this | change |')
console.log('|---|---:|---:|---:|')
for (const fn of ['hist8', 'hist4', 'hist1', 'hist8h', 'hist4h', 'hist2h', 'hist1h']) {
  const t = { base: [] as number[], this: [] as number[] }
  for (let rep = 0; rep < reps; rep++) {
    t.base.push(run(sides.base, fn))
    t.this.push(run(sides.this, fn))
  }
  const [a, b] = [median(t.base), median(t.this)]
  console.log(`| ${fn} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(100 * (b / a - 1)).toFixed(0)} % |`)
}
