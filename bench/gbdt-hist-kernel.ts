/**
 * Histogram kernel microbench: ns per (row, feature) update, one thread, on one node of 8 features
 * in the training arena's layout.
 *
 *   node --import tsx bench/gbdt-hist-kernel.ts [--rows 800000] [--density 1] [--bins skewed|uniform] [--reps 15]
 *     [--base /path/to/other/checkout]
 *
 * Without `--base`: hist8 (bins with a row count) against hist8h (bins without one). With `--base`:
 * every histogram kernel of this checkout against the same kernel of another checkout (e.g. a
 * worktree at the previous commit, with node_modules linked), both instantiated on this arena, so
 * machine load hits both sides alike (this machine's runs vary by 15-30 %).
 *
 * `--density` keeps that share of rows in the node (an increasing subset, as after partitions).
 * Medians of `--reps` alternating calls of each side.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Rng } from '../src/core/index.js'
import { allocArena, arenaViews, type HistKernel, histKernel } from '../src/models/gbdt/wasm-hist.js'
import { wasmBytes } from '../src/runtime/index.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const N = Number(arg('rows', '800000'))
const density = Number(arg('density', '1'))
const skewed = arg('bins', 'skewed') === 'skewed'
const reps = Number(arg('reps', '15'))
const baseDir = arg('base', '')
const F = 8
const histDoubles = (F * 256 * 24) / 8
const arena = allocArena(N, F, histDoubles)
if (arena === null) throw new Error('WebAssembly is unavailable')
const kernel = histKernel(arena.memory)
if (kernel === null) throw new Error('WebAssembly is unavailable')
const views = arenaViews(arena, N, F, histDoubles)
const rng = new Rng(1)
for (let f = 0; f < F; f++)
  for (let r = 0; r < N; r++)
    views.bins[f * N + r] = skewed ? Math.floor(rng.next() * rng.next() * 3 * 255) % 255 : rng.int(255)
const node = views.buf[0]
let n = 0
for (let r = 0; r < N; r++) if (density >= 1 || rng.next() < density) node.rows[n++] = r
for (let i = 0; i < n; i++) {
  node.grad[i] = rng.next() - 0.5
  node.hess[i] = rng.next() * 0.25
}
const cols = Array.from({ length: F }, (_, f) => arena.bins + f * N)
const { rows, grad, hess } = arena.buf[0]

type KernelName = 'hist8' | 'hist4' | 'hist1' | 'hist8h' | 'hist4h' | 'hist2h' | 'hist1h'
type Kernel = Record<KernelName, (...args: number[]) => void>

/** ns per update of kernel `name` of `k` ('h' kernels have 16-byte bins, the others 24). */
function run(k: Kernel | HistKernel, name: KernelName): number {
  const binBytes = name.endsWith('h') ? 16 : 24
  const nf = Number(name.replace(/\D/g, ''))
  const bases = Array.from({ length: nf }, (_, f) => arena!.histPool + f * 256 * binBytes)
  views.histPool.fill(0)
  const t = process.hrtime.bigint()
  ;(k[name] as (...args: number[]) => void)(rows, grad, hess, 0, n, ...cols.slice(0, nf), ...bases)
  return Number(process.hrtime.bigint() - t) / (n * nf)
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
/** Medians of `reps` alternating calls of a and b. */
function compare(a: () => number, b: () => number): [number, number] {
  const ta: number[] = []
  const tb: number[] = []
  for (let rep = 0; rep < reps; rep++) {
    ta.push(a())
    tb.push(b())
  }
  return [median(ta), median(tb)]
}
const change = (a: number, b: number) => `${(100 * (b / a - 1)).toFixed(0)} %`

if (baseDir === '') {
  const [withCount, without] = compare(
    () => run(kernel, 'hist8'),
    () => run(kernel, 'hist8h'),
  )
  console.log(
    JSON.stringify({
      rows: n,
      bins: skewed ? 'skewed' : 'uniform',
      hist8_ns: +withCount.toFixed(3),
      hist8h_ns: +without.toFixed(3),
      change: change(withCount, without),
    }),
  )
} else {
  const module = (await import(pathToFileURL(join(baseDir, 'src/models/gbdt/wasm/hist.wasm.ts')).href)) as {
    histWasm: string
  }
  const base = new WebAssembly.Instance(new WebAssembly.Module(wasmBytes(module.histWasm)), {
    env: { mem: arena.memory, exp: Math.exp },
  }).exports as unknown as Kernel
  console.log(`density ${density} (${n} rows), ${skewed ? 'skewed' : 'uniform'} bins; ns per update`)
  console.log('| kernel | base | this | change |')
  console.log('|---|---:|---:|---:|')
  for (const name of ['hist8', 'hist4', 'hist1', 'hist8h', 'hist4h', 'hist2h', 'hist1h'] as const) {
    const [a, b] = compare(
      () => run(base, name),
      () => run(kernel, name),
    )
    console.log(`| ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${change(a, b)} |`)
  }
}
