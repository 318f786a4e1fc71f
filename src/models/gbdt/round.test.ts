import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../../core/index.js'
import type { HistogramInputs } from './histogram.js'
import { type ScoreInputs, updateRows } from './round.js'
import { allocArena, histKernel, rowBufferViews } from './wasm-hist.js'

/** Margins that reach every path of fdlibm's exp, its range edges, and values beyond them. */
function margins(n: number, rng: Rng): Float64Array {
  const edges = [
    0,
    -0,
    2 ** -28,
    -(2 ** -28),
    2 ** -29,
    0.5 * Math.LN2,
    -0.5 * Math.LN2,
    0.34657359027997264,
    1.5 * Math.LN2,
    -1.5 * Math.LN2,
    1.0397207708399179,
    707.9,
    -707.9,
    708,
    -708,
    708.5,
    -708.5,
    709.78,
    -745.2,
    800,
    -800,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    Number.NaN,
  ]
  return Float64Array.from({ length: n }, (_, i) => {
    if (i < edges.length) return edges[i]!
    const scale = [1e-9, 0.5, 1, 4, 40, 1500][i % 6]!
    return (rng.next() - 0.5) * 2 * scale
  })
}

describe('score pass', () => {
  for (const weighted of [false, true]) {
    it(`the WebAssembly log-loss pass equals the JavaScript rows bit for bit${weighted ? ', with weights' : ''}`, () => {
      const rng = new Rng(weighted ? 2 : 1)
      const n = 20_001 // odd: the two-row kernel's last row is alone
      const maxLeaves = 31
      const arena = allocArena(n, 1, 0, { weights: weighted, maxLeaves })
      assert.ok(arena !== null && arena.score !== null, 'WebAssembly is available on Node 20')
      const kernel = histKernel(arena.memory)
      assert.ok(kernel !== null)
      const mem = arena.memory.buffer
      const at = arena.score
      const start = margins(n, rng)
      const y = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0))
      const w = weighted ? Float64Array.from({ length: n }, () => rng.next() * 3) : null
      const leafOfRow = new Uint16Array(mem, at.leaf, n + 1)
      const leafValues = new Float64Array(mem, at.values, maxLeaves)
      for (let i = 0; i < n; i++) leafOfRow[i] = rng.int(maxLeaves)
      for (let l = 0; l < maxLeaves; l++) leafValues[l] = rng.normal() * (l === 3 ? 1e300 : 0.7)
      const raw = new Float64Array(mem, at.raw, n)
      new Float64Array(mem, at.y, n).set(y)
      if (w !== null) new Float64Array(mem, at.w, n).set(w)
      const score: ScoreInputs = {
        kind: 'logistic',
        raw,
        y: new Float64Array(mem, at.y, n),
        w: w === null ? null : new Float64Array(mem, at.w, n),
        leafOfRow,
        leafValues,
        arena: at,
        leaves: new Int32Array(0),
      }
      const root = rowBufferViews(arena, 0, n)
      const inputs: HistogramInputs = {
        bins: new Uint8Array(0),
        nRows: n,
        buf: [root, rowBufferViews(arena, 1, n)],
        featureOffset: new Int32Array(0),
        nBins: new Int32Array(0),
        histPool: new Float64Array(0),
        histSize: 0,
        histStride: 3,
        arena,
      }
      for (const addTree of [false, true]) {
        raw.set(start)
        // Two calls that split the rows at an odd point, as two threads do.
        updateRows(score, inputs, addTree, 0, 7777, kernel)
        updateRows(score, inputs, addTree, 7777, n, kernel)
        const wasmRaw = Float64Array.from(raw)
        const wasmGrad = Float64Array.from(root.grad)
        const wasmHess = Float64Array.from(root.hess)
        assert.deepEqual(
          [...root.rows],
          Array.from({ length: n }, (_, i) => i),
        )
        raw.set(start)
        root.grad.fill(0)
        root.hess.fill(0)
        updateRows(score, inputs, addTree, 0, n, null)
        for (let i = 0; i < n; i++) {
          const same = (a: number, b: number) => Object.is(a, b)
          if (
            !same(wasmRaw[i]!, raw[i]!) ||
            !same(wasmGrad[i]!, root.grad[i]!) ||
            !same(wasmHess[i]!, root.hess[i]!)
          )
            assert.fail(
              `row ${i} (margin ${start[i]}, add ${addTree}): raw ${wasmRaw[i]} vs ${raw[i]}, grad ${wasmGrad[i]} vs ${root.grad[i]}, hess ${wasmHess[i]} vs ${root.hess[i]}`,
            )
        }
      }
    })
  }
})
