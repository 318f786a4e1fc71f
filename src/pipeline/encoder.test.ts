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

test('onehot mode keeps up to 250 levels and lists the indicator columns it made', () => {
  const ds = dataset(2000, 200)
  const enc = fitFeatureEncoder(ds, ['id', 'x'], 'onehot')
  // Every one of the 200 levels gets its own column (the cap was 50 before), then __other__,
  // __missing__, the numeric value and its missing flag.
  assert.equal(enc.state.features[0]!.oneHotLevels?.length, 200)
  assert.equal(enc.outputNames.length, 204)
  assert.equal(enc.outputNames[202], 'x')
  assert.equal(enc.outputNames[203], 'x__missing')
  // Indicators: the 202 categorical columns and the missing flag, not the numeric value itself.
  assert.deepEqual(enc.indicatorOutputs, [...Array.from({ length: 202 }, (_, i) => i), 203])
  assert.deepEqual(fitFeatureEncoder(ds, ['id', 'x'], 'codes').indicatorOutputs, [])
  // A 0/1 numeric input stays a value column: only the encoder's own columns are indicators.
  const flag: Dataset = {
    nRows: 4,
    columns: [{ kind: 'numeric', name: 'f', values: Float64Array.from([0, 1, 1, 0]) }],
  }
  assert.deepEqual(fitFeatureEncoder(flag, ['f'], 'onehot').indicatorOutputs, [])
})

test('onehot cap drops below 250 only to keep the encoded matrix within its cell budget', () => {
  // 600,000 rows x (250 levels + 4) cells exceed 2^27: the cap falls to floor(2^27 / 600,000) - 4.
  const ds = dataset(600_000, 300)
  const enc = fitFeatureEncoder(ds, ['id', 'x'], 'onehot')
  assert.equal(enc.state.features[0]!.oneHotLevels?.length, Math.floor(2 ** 27 / 600_000) - 4)
  // The kept levels are stored in the state, so an encoder fitted under the old cap of 50
  // restores and encodes exactly as it did.
  const old = FeatureEncoder.fromState({
    mode: 'onehot',
    features: [
      { name: 'id', kind: 'categorical', levels: ['L0000', 'L0001', 'L0002'], oneHotLevels: ['L0001'] },
      { name: 'x', kind: 'numeric', fill: 2, hasMissingIndicator: true },
    ],
  })
  assert.deepEqual(old.outputNames, ['id=L0001', 'id=__other__', 'id=__missing__', 'x', 'x__missing'])
  assert.deepEqual(old.indicatorOutputs, [0, 1, 2, 4])
  const rows = old.encodeRecords([{ id: 'L0002', x: null }])
  assert.deepEqual(Array.from(rows.data), [0, 1, 0, 2, 1])
})
