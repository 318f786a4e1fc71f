import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Rng } from '../../core/index.js'
import { BIN_SAMPLE_ROWS, binFeatures, binOf, binUpperBounds, fitBinMapper } from './binning.js'

describe('binning', () => {
  it('gives every distinct value its own bin when they fit, with separating midpoints', () => {
    const values = Float64Array.of(3, 1, 2, 2, 5, 1, 8).sort()
    const upper = binUpperBounds(values, 255)
    assert.deepEqual(Array.from(upper), [1.5, 2.5, 4, 6.5])
    for (const v of [1, 2, 3, 5, 8]) {
      const b = binOf(upper, v)
      assert.ok(b === 0 || upper[b - 1]! < v)
      assert.ok(b === upper.length || v <= upper[b]!)
    }
    // neighbouring floats: the midpoint would round onto the larger value, so the smaller one is used
    const a = 1
    const next = 1 + Number.EPSILON
    assert.deepEqual(Array.from(binUpperBounds(Float64Array.of(a, next), 255)), [a])
  })

  it('cuts many distinct values into at most maxBins bins of similar size', () => {
    const rng = new Rng(1)
    const values = Float64Array.from({ length: 10000 }, () => rng.normal()).sort()
    const upper = binUpperBounds(values, 64)
    assert.ok(upper.length <= 63 && upper.length >= 60)
    const counts = new Int32Array(upper.length + 1)
    for (const v of values) counts[binOf(upper, v)]!++
    for (const c of counts) assert.ok(c > 0 && c <= 2 * Math.ceil(10000 / 64), `bin count ${c}`)
  })

  it('codes every row consistently with the bounds, NaN as the extra bin, also when sampling', () => {
    for (const n of [500, BIN_SAMPLE_ROWS + 1000]) {
      const rng = new Rng(n)
      const d = 3
      const data = new Float64Array(n * d)
      for (let r = 0; r < n; r++) {
        data[r * d] = rng.next() < 0.05 ? Number.NaN : rng.normal()
        data[r * d + 1] = Math.floor(rng.next() * 7)
        data[r * d + 2] = rng.next() * 1000
      }
      const binned = binFeatures({ rows: n, cols: d, data }, 255, false, Uint8Array.of(0, 1, 0))
      assert.equal(binned.hasMissing[0], 1)
      assert.equal(binned.hasMissing[1], 0)
      assert.deepEqual(Array.from(binned.levels[1]!), [0, 1, 2, 3, 4, 5, 6])
      assert.equal(binned.levels[0], null)
      for (let f = 0; f < d; f++) {
        assert.ok(binned.nBins[f]! <= 255)
        for (let r = 0; r < n; r += 7) {
          const v = data[r * d + f]!
          const code = binned.codes[f * n + r]!
          assert.equal(code, Number.isNaN(v) ? binned.nBins[f] : binOf(binned.upper[f]!, v))
        }
      }
    }
  })

  it('a categorical column that holds a non-code is named with its first such row, columns in the order given', () => {
    // Columns 1 and 2 are categorical; column 2 goes wrong first (row 1), column 1 later (row 3):
    // the error names the first column in the order given, at its first bad row.
    const data = Float64Array.of(0.5, 0, 1, 1.5, 1, 2.5, 2.5, 2, 1, 3.5, 7.5, 2)
    const x = { rows: 4, cols: 3, data }
    assert.throws(
      () => fitBinMapper(x, 16, new Set([1, 2]), ['a', 'b', 'c'], 1),
      (e: Error) => {
        assert.match(e.message, /Categorical feature 'b' holds 7.5 at row 3/)
        return true
      },
    )
    assert.throws(
      () => fitBinMapper(x, 16, new Set([2, 1]), ['a', 'b', 'c'], 1),
      /feature 'c' holds 2.5 at row 1/,
    )
    // With a row subset the row named is the matrix's row.
    assert.throws(
      () => fitBinMapper(x, 16, new Set([1]), ['a', 'b', 'c'], 1, Int32Array.of(3, 0)),
      /feature 'b' holds 7.5 at row 3/,
    )
  })
})
