import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Column } from './dataset.js'
import { columnSchema, sortedPresent } from './schema.js'

/** The definition the hash count must match: sort the present values, count the changes. */
function sortedDistinct(values: Float64Array): number {
  const sorted = sortedPresent(values)
  let distinct = 0
  for (let i = 0; i < sorted.length; i++) if (i === 0 || sorted[i] !== sorted[i - 1]) distinct++
  return distinct
}

describe('columnSchema distinct count', () => {
  it('counts present values once each: NaN is missing, 0 and -0 are one value', () => {
    const values = Float64Array.of(1, Number.NaN, 1, -0, 0, 2.5, Number.POSITIVE_INFINITY, -Infinity, 2.5)
    const col = { kind: 'numeric', name: 'a', values } as Column
    const schema = columnSchema(col)
    assert.equal(schema.distinct, 5)
    assert.equal(schema.missing, 1)
  })

  it('matches the sorted count on large random columns (collisions, duplicates)', () => {
    let s = 12345
    const u = (): number => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0
      return s / 4294967296
    }
    for (const levels of [3, 1000, 1e9]) {
      const values = Float64Array.from({ length: 50000 }, () =>
        u() < 0.05 ? Number.NaN : Math.floor(u() * levels) / 7,
      )
      const col = { kind: 'numeric', name: 'x', values } as Column
      assert.equal(columnSchema(col).distinct, sortedDistinct(values), `levels ${levels}`)
    }
  })
})
