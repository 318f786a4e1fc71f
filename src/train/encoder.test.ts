import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Dataset } from '../data/index.js'
import { FeatureEncoder, fitFeatureEncoder } from './encoder.js'

function dataset(n: number, nLevels: number): Dataset {
  const levels = Array.from({ length: nLevels }, (_, i) => `L${String(i).padStart(4, '0')}`)
  return {
    nRows: n,
    columns: [
      {
        kind: 'categorical',
        name: 'id',
        codes: Int32Array.from({ length: n }, (_, i) => i % nLevels),
        levels,
      },
      {
        kind: 'numeric',
        name: 'x',
        values: Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Number.NaN : i)),
      },
    ],
  }
}

test('codes mode pools levels beyond 250 into one code, for datasets and JSON rows alike', () => {
  const ds = dataset(3000, 1000)
  const enc = fitFeatureEncoder(ds, ['id', 'x'], 'codes')
  const x = enc.encodeDataset(ds)
  let max = 0
  for (let r = 0; r < x.rows; r++) max = Math.max(max, x.data[r * 2]!)
  assert.equal(max, 250)
  const rows = enc.encodeRecords([
    { id: 'L0999', x: 3 },
    { id: 'never-seen', x: null },
  ])
  assert.equal(rows.data[0], x.data[999 * 2])
  assert.equal(rows.data[2], 250)
  assert.ok(Number.isNaN(rows.data[3]!))
})

test('encoder state round-trips through JSON and encodes identically', () => {
  const ds = dataset(500, 30)
  for (const mode of ['codes', 'onehot'] as const) {
    const enc = fitFeatureEncoder(ds, ['id', 'x'], mode)
    const restored = FeatureEncoder.fromState(JSON.parse(JSON.stringify(enc.state)))
    assert.deepEqual(restored.encodeDataset(ds).data, enc.encodeDataset(ds).data)
    assert.deepEqual(restored.outputNames, enc.outputNames)
  }
})
