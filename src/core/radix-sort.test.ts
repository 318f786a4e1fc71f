import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { argsortFloat64, sortFloat64 } from './radix-sort.js'
import { Rng } from './rng.js'

describe('sortFloat64', () => {
  it("gives Float64Array's own sort, bit for bit: signs, zeros, ties, infinities, subnormals", () => {
    const rng = new Rng(9)
    const special = [
      0,
      -0,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      5e-324,
      -5e-324,
      Number.MAX_VALUE,
      -Number.MAX_VALUE,
      1,
      -1,
    ]
    for (const [n, kind] of [
      [10_000, 'wide'],
      [50_000, 'ties'],
      [9_000, 'positive'],
      [20_000, 'special'],
      [100, 'small'],
    ] as const) {
      const a = Float64Array.from({ length: n }, (_, i) => {
        if (kind === 'ties') return Math.round(rng.normal() * 3) / 2
        if (kind === 'positive') return rng.next() * 1000
        if (kind === 'special')
          return i % 7 === 0 ? special[rng.int(special.length)]! : rng.normal() * 10 ** rng.int(20)
        return (rng.next() - 0.5) * 10 ** (rng.int(40) - 20)
      })
      const expected = Float64Array.from(a).sort()
      const got = sortFloat64(Float64Array.from(a))
      for (let i = 0; i < n; i++) {
        if (!Object.is(got[i], expected[i])) assert.fail(`${kind}, index ${i}: ${got[i]} vs ${expected[i]}`)
      }
    }
  })

  it('sorts a view inside a larger buffer without touching the rest', () => {
    const rng = new Rng(4)
    const whole = Float64Array.from({ length: 30_000 }, () => rng.normal())
    const before = Float64Array.from(whole)
    const view = whole.subarray(1000, 21_000)
    const expected = Float64Array.from(view).sort()
    sortFloat64(view)
    assert.deepEqual([...view], [...expected])
    assert.deepEqual([...whole.subarray(0, 1000)], [...before.subarray(0, 1000)])
    assert.deepEqual([...whole.subarray(21_000)], [...before.subarray(21_000)])
  })
})

describe('argsortFloat64', () => {
  it('gives a stable comparison sort of the indices: ties in index order, -0 before +0, infinities', () => {
    const rng = new Rng(11)
    for (const [n, kind] of [
      [30_000, 'ties'],
      [20_000, 'wide'],
      [5_000, 'zeros'],
      [1_000, 'small'],
    ] as const) {
      const keys = Float64Array.from({ length: n }, (_, i) => {
        if (kind === 'ties') return Math.round(rng.normal() * 4) / 2
        if (kind === 'zeros')
          return [0, -0, 1, -1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 6]!
        return (rng.next() - 0.5) * 10 ** (rng.int(40) - 20)
      })
      const copy = Float64Array.from(keys)
      const rank = (v: number) => (Object.is(v, -0) ? -1 : v === 0 ? 1 : 0)
      const expected = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
        const x = keys[a]!
        const y = keys[b]!
        if (x !== y) return x < y ? -1 : 1
        return rank(x) - rank(y)
      })
      const got = argsortFloat64(keys)
      assert.deepEqual(Array.from(got), expected, kind)
      assert.deepEqual(Array.from(keys), Array.from(copy), `${kind}: the keys are not changed`)
    }
  })
})
