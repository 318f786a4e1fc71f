/**
 * Histogram kernel microbench: ns per (row, feature) update of hist8 (bins with a row count) and
 * hist8h (bins without one), one thread, on one node of 8 features in the training arena's layout.
 *
 *   node --import tsx bench/gbdt-hist-kernel.ts [--rows 800000] [--density 1] [--bins skewed|uniform] [--reps 15]
 *
 * `--density` keeps that share of rows in the node (an increasing subset, as after partitions).
 * Medians of `--reps` alternating runs of each kernel.
 */
import { Rng } from '../src/core/index.js'
import { allocArena, arenaViews, histKernel } from '../src/models/gbdt/wasm-hist.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1]! : fallback
}

const N = Number(arg('rows', '800000'))
const density = Number(arg('density', '1'))
const skewed = arg('bins', 'skewed') === 'skewed'
const reps = Number(arg('reps', '15'))
const F = 8
const BIN_BYTES = { hist8: 24, hist8h: 16 } as const
const histDoubles = (F * 256 * BIN_BYTES.hist8) / 8
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

function run(name: keyof typeof BIN_BYTES): number {
  const bases = Array.from({ length: F }, (_, f) => arena!.histPool + f * 256 * BIN_BYTES[name])
  views.histPool.fill(0)
  const t = process.hrtime.bigint()
  kernel![name](rows, grad, hess, 0, n, ...cols, ...bases)
  return Number(process.hrtime.bigint() - t) / (n * F)
}

const times: Record<keyof typeof BIN_BYTES, number[]> = { hist8: [], hist8h: [] }
for (let rep = 0; rep < reps; rep++) {
  times.hist8.push(run('hist8'))
  times.hist8h.push(run('hist8h'))
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!
const withCount = median(times.hist8)
const without = median(times.hist8h)
console.log(
  JSON.stringify({
    rows: n,
    bins: skewed ? 'skewed' : 'uniform',
    hist8_ns: +withCount.toFixed(3),
    hist8h_ns: +without.toFixed(3),
    change: `${(100 * (without / withCount - 1)).toFixed(0)} %`,
  }),
)
