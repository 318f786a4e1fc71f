import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../../core/index.js'
import { PartitionCountError } from './errors.js'
import type { HistogramInputs } from './histogram.js'
import { countLeft, partitionNode, partitionRows, writeMask } from './partition.js'
import { allocArena, arenaViews, histKernel } from './wasm-hist.js'

// Left: bins 0, 3 and 6.
const MASK = Uint8Array.from({ length: 256 }, (_, b) => (b % 3 === 0 ? 1 : 0))
const TOTAL = 400
const N = 300

/** A node in buffer `src` with random bins, rows, gradients; the other buffer holds sentinels. */
function setup(seed: number, wasm: boolean) {
  const rng = new Rng(seed)
  const arena = wasm ? allocArena(TOTAL, 1, 0) : null
  if (wasm) assert.ok(arena !== null, 'WebAssembly is available on Node 20')
  const views =
    arena === null
      ? {
          bins: new Uint8Array(TOTAL),
          buf: [0, 1].map(() => ({
            rows: new Int32Array(TOTAL),
            grad: new Float64Array(TOTAL),
            hess: new Float64Array(TOTAL),
          })) as unknown as HistogramInputs['buf'],
          histPool: new Float64Array(0),
        }
      : arenaViews(arena, TOTAL, 1, 0)
  const inputs: HistogramInputs = {
    ...views,
    nRows: TOTAL,
    featureOffset: Int32Array.of(0),
    nBins: Int32Array.of(8),
    histSize: 0,
    histStride: 3,
    ...(arena === null ? {} : { arena }),
  }
  for (let i = 0; i < TOTAL; i++) inputs.bins[i] = rng.int(8)
  const src: 0 | 1 = rng.next() < 0.5 ? 0 : 1
  const dst: 0 | 1 = src === 0 ? 1 : 0
  const s = inputs.buf[src]
  for (let i = 0; i < N; i++) {
    s.rows[i] = i + rng.int(100)
    s.grad[i] = rng.next() - 0.5
    s.hess[i] = rng.next()
  }
  inputs.buf[dst].rows.fill(-7)
  inputs.buf[dst].grad.fill(-7)
  const start = rng.int(30)
  const end = N - rng.int(30)
  const positions = Array.from({ length: end - start }, (_, i) => start + i)
  const isLeft = (i: number) => MASK[inputs.bins[s.rows[i]!]!] === 1
  const order = [...positions.filter(isLeft), ...positions.filter((i) => !isLeft(i))]
  const nLeft = positions.filter(isLeft).length
  const before = { rows: [...s.rows], grad: [...s.grad], hess: [...s.hess] }
  const kernel = arena === null ? null : histKernel(arena.memory)
  if (kernel !== null) writeMask(inputs, MASK)
  return { rng, inputs, src, dst, start, end, order, nLeft, before, kernel }
}

function check(t: ReturnType<typeof setup>, label: string): void {
  const { inputs, src, dst, start, end, order, before } = t
  const d = inputs.buf[dst]
  assert.deepEqual(
    [...d.rows.subarray(start, end)],
    order.map((i) => before.rows[i]!),
    label,
  )
  assert.deepEqual(
    [...d.grad.subarray(start, end)],
    order.map((i) => before.grad[i]!),
    label,
  )
  assert.deepEqual(
    [...d.hess.subarray(start, end)],
    order.map((i) => before.hess[i]!),
    label,
  )
  // The source is read only, and nothing outside the node is written in the destination.
  assert.deepEqual([...inputs.buf[src].rows], before.rows, label)
  assert.ok(
    d.rows.subarray(0, start).every((v) => v === -7),
    label,
  )
  assert.ok(
    d.rows.subarray(end).every((v) => v === -7),
    label,
  )
}

describe('row partition into the other buffer', () => {
  for (const wasm of [false, true]) {
    const kind = wasm ? 'WebAssembly' : 'JavaScript'
    it(`${kind}: one thread is stable and writes only the node`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const t = setup(seed, wasm)
        const mid = partitionNode(t.inputs, t.src, t.start, t.end, 0, MASK, t.nLeft, t.kernel)
        assert.equal(mid, t.start + t.nLeft)
        check(t, `seed ${seed}`)
      }
    })

    it(`${kind}: countLeft counts the rows the partition sends left`, () => {
      for (let seed = 1; seed <= 30; seed++) {
        const t = setup(seed, wasm)
        assert.equal(countLeft(t.inputs, t.src, [t.start, t.end], 0, MASK, t.kernel), t.nLeft, `seed ${seed}`)
        // Another mask (all right but bin 5) through the same kernel: the mask is rewritten.
        const other = Uint8Array.from({ length: 256 }, (_, b) => (b === 5 ? 1 : 0))
        let fives = 0
        const s = t.inputs.buf[t.src]
        for (let i = t.start; i < t.end; i++) if (t.inputs.bins[s.rows[i]!] === 5) fives++
        assert.equal(countLeft(t.inputs, t.src, [t.start, t.end], 0, other, t.kernel), fives, `seed ${seed}`)
        assert.equal(countLeft(t.inputs, t.src, [t.start, t.start], 0, MASK, t.kernel), 0)
      }
    })

    it(`${kind}: two threads from both ends give the same result, wherever the node is cut`, () => {
      for (let seed = 1; seed <= 40; seed++) {
        const t = setup(seed, wasm)
        const cut = t.start + t.rng.int(t.end - t.start + 1)
        const mid = t.start + t.nLeft
        const l = partitionRows(t.inputs, t.src, t.start, cut, 0, MASK, t.start, mid, t.kernel, 1)
        const upper = partitionRows(t.inputs, t.src, cut, t.end, 0, MASK, mid - 1, t.end - 1, t.kernel, -1)
        assert.equal(l, upper + 1, `seed ${seed}: the left parts meet`)
        check(t, `seed ${seed}, cut at ${cut}`)
      }
    })
  }

  it('a left count that does not match the rows is an error, not a wrong tree', () => {
    const t = setup(3, false)
    assert.throws(
      () => partitionNode(t.inputs, t.src, t.start, t.end, 0, MASK, t.nLeft - 1, null),
      PartitionCountError,
    )
  })
})
