import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../../core/index.js'
import type { HistogramInputs } from './histogram.js'
import { mergeChunks, partitionChunk } from './partition.js'

describe('row partition in chunks', () => {
  it('is stable and the same however the node is cut into chunks', () => {
    // Left: bins 0, 3 and 6.
    const mask = Uint8Array.from({ length: 256 }, (_, b) => (b % 3 === 0 ? 1 : 0))
    for (let seed = 1; seed <= 40; seed++) {
      const rng = new Rng(seed)
      const total = 400
      const bins = Uint8Array.from({ length: total }, () => rng.int(8))
      const rows = Int32Array.from({ length: 300 }, (_, i) => i + rng.int(100))
      const inputs: HistogramInputs = {
        bins,
        nRows: total,
        rows,
        orderedGrad: Float64Array.from(rows, () => rng.next() - 0.5),
        orderedHess: Float64Array.from(rows, () => rng.next()),
        featureOffset: Int32Array.of(0),
        nBins: Int32Array.of(8),
        histPool: new Float64Array(0),
        histSize: 0,
      }
      const before = { rows: [...rows], grad: [...inputs.orderedGrad], hess: [...inputs.orderedHess] }
      // A node inside the arrays, cut into 1 to 5 chunks at random points.
      const start = rng.int(30)
      const end = rows.length - rng.int(30)
      const cuts = Array.from({ length: rng.int(5) }, () => start + rng.int(end - start))
      const starts = [...new Set([start, ...cuts])].sort((a, b) => a - b)
      const scratch = {
        rows: new Int32Array(rows.length),
        grad: new Float64Array(rows.length),
        hess: new Float64Array(rows.length),
      }
      const lefts = starts.map((from, t) =>
        partitionChunk(
          inputs,
          scratch,
          from,
          t + 1 < starts.length ? starts[t + 1]! : end,
          0,
          mask,
          from - start,
          null,
        ),
      )
      const mid = mergeChunks(inputs, scratch, start, end, starts, lefts)
      // The reference: positions of the node, left ones then right ones, each in their order.
      const positions = Array.from({ length: end - start }, (_, i) => start + i)
      const isLeft = (i: number) => mask[bins[before.rows[i]!]!] === 1
      const order = [...positions.filter(isLeft), ...positions.filter((i) => !isLeft(i))]
      const label = `seed ${seed}, chunks at ${starts.join(',')}`
      assert.equal(mid, start + positions.filter(isLeft).length, label)
      assert.deepEqual(
        [...rows.subarray(start, end)],
        order.map((i) => before.rows[i]!),
        label,
      )
      assert.deepEqual(
        [...inputs.orderedGrad.subarray(start, end)],
        order.map((i) => before.grad[i]!),
        label,
      )
      assert.deepEqual(
        [...inputs.orderedHess.subarray(start, end)],
        order.map((i) => before.hess[i]!),
        label,
      )
      // Outside the node nothing moved.
      assert.deepEqual([...rows.subarray(0, start)], before.rows.slice(0, start), label)
      assert.deepEqual([...rows.subarray(end)], before.rows.slice(end), label)
    }
  })
})
