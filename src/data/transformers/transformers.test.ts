import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../../core/index.js'
import { type Dataset, datasetFromRecords, selectRows } from '../dataset.js'
import { ColumnTransformer, FittedColumnTransformer } from './column-transformer.js'
import { OneHotEncoder, OrdinalEncoder, TargetEncoder } from './encoders.js'
import { RobustScaler, StandardScaler } from './scalers.js'
import { SimpleImputer } from './simple-imputer.js'
import { type FittedTransformer, loadTransformer } from './transformer.js'

function data(n: number, seed: number): { ds: Dataset; y: Float64Array } {
  const rng = new Rng(seed)
  const cities = ['Berlin', 'Paris', 'Rome', 'Oslo', 'Lima']
  const records = Array.from({ length: n }, () => {
    const city = cities[Math.min(4, Math.floor(-Math.log(1 - rng.next()) * 1.2))]!
    return {
      age: rng.next() < 0.1 ? null : Math.round(20 + rng.next() * 50),
      income: rng.next() < 0.05 ? null : Math.exp(10 + rng.normal()),
      city: rng.next() < 0.05 ? null : city,
      active: rng.next() < 0.5,
    }
  })
  const ds = datasetFromRecords(records)
  const y = Float64Array.from(records, (r) => (r.city === 'Paris' ? 0.8 : 0.2) + (rng.next() < 0.5 ? 1 : 0))
  return { ds, y }
}

function sameOutput(a: Dataset, b: Dataset): void {
  assert.deepEqual(
    a.columns.map((c) => c.name),
    b.columns.map((c) => c.name),
  )
  a.columns.forEach((col, i) => {
    const other = b.columns[i]!
    if (col.kind === 'categorical' || other.kind === 'categorical') {
      assert.deepEqual(col, other)
      return
    }
    assert.deepEqual(new Uint8Array(col.values.buffer), new Uint8Array(other.values.buffer))
  })
}

function roundTrip(fitted: FittedTransformer, ds: Dataset): FittedTransformer {
  const loaded = loadTransformer(JSON.parse(JSON.stringify(fitted.toJSON())))
  sameOutput(fitted.transform(ds), loaded.transform(ds))
  assert.deepEqual(loaded.outputNames, fitted.outputNames)
  return loaded
}

test('every transformer saved and loaded gives identical output', () => {
  const { ds, y } = data(300, 1)
  const test = data(100, 2).ds
  const fitted: FittedTransformer[] = [
    new SimpleImputer({ strategy: 'median', addIndicator: true }).fit(ds),
    new SimpleImputer({ strategy: 'mean' }).fit(ds),
    new SimpleImputer({ strategy: 'most_frequent', addIndicator: true }).fit(ds),
    new SimpleImputer({ strategy: 'constant', fillValue: 0, columns: ['age', 'income'] }).fit(ds),
    new StandardScaler().fit(ds),
    new RobustScaler().fit(ds),
    new OneHotEncoder({ maxCategories: 3 }).fit(ds),
    new OrdinalEncoder().fit(ds),
    new TargetEncoder().fit(ds, y),
  ]
  for (const f of fitted) roundTrip(f, test)
  const ct = new ColumnTransformer({
    steps: [
      {
        name: 'num',
        columns: ['age', 'income'],
        transformers: [
          { kind: 'simple-imputer', params: { addIndicator: true } },
          { kind: 'standard-scaler' },
        ],
      },
      {
        name: 'cat',
        columns: ['city'],
        transformers: [{ kind: 'one-hot-encoder', params: { maxCategories: 3 } }],
      },
      { name: 'te', columns: ['city'], transformers: [{ kind: 'target-encoder' }] },
    ],
    remainder: 'passthrough',
  }).fit(ds, y)
  const loaded = FittedColumnTransformer.fromJSON(JSON.parse(JSON.stringify(ct.toJSON())))
  const a = ct.transform(test)
  const b = loaded.transform(test)
  assert.deepEqual(new Uint8Array(a.data.buffer), new Uint8Array(b.data.buffer))
  assert.deepEqual(loaded.featureNames, ct.featureNames)
  assert.deepEqual(ct.featureNames, [
    'age',
    'income',
    'age__missing',
    'income__missing',
    'city=Berlin',
    'city=Paris',
    'city=Rome',
    'city=__other__',
    'city__te',
    'active',
  ])
  assert.equal(a.cols, 10)
  assert.equal(a.rows, 100)
})

test('imputer fills and flags; scalers standardise', () => {
  const ds = datasetFromRecords([
    { x: 1, c: 'a' },
    { x: null, c: null },
    { x: 3, c: 'a' },
    { x: 10, c: 'b' },
  ])
  const out = new SimpleImputer({ strategy: 'median', addIndicator: true }).fit(ds).transform(ds)
  assert.deepEqual(
    out.columns.map((c) => c.name),
    ['x', 'c', 'x__missing', 'c__missing'],
  )
  const x = out.columns[0]!
  assert.ok(x.kind === 'numeric')
  assert.deepEqual([...x.values], [1, 3, 3, 10])
  const c = out.columns[1]!
  assert.ok(c.kind === 'categorical')
  assert.deepEqual(
    [...c.codes].map((k) => c.levels[k]),
    ['a', 'a', 'a', 'b'],
  )
  const z = new StandardScaler().fit(out).transform(out).columns[0]!
  assert.ok(z.kind === 'numeric')
  const mean = z.values.reduce((s, v) => s + v, 0) / 4
  const variance = z.values.reduce((s, v) => s + (v - mean) ** 2, 0) / 4
  assert.ok(Math.abs(mean) < 1e-12)
  assert.ok(Math.abs(variance - 1) < 1e-12)
  const robust = new RobustScaler()
    .fit(datasetFromRecords([{ x: 1 }, { x: 2 }, { x: 3 }, { x: 1000 }]))
    .transform(datasetFromRecords([{ x: 2.5 }]))
  assert.ok(robust.columns[0]!.kind === 'numeric' && robust.columns[0]!.values[0] === 0)
})

test('one-hot: rare levels grouped, unknown levels never crash', () => {
  const train = datasetFromRecords([...'aaaabbbcd'].map((c) => ({ c })))
  const enc = new OneHotEncoder({ maxCategories: 2 }).fit(train)
  assert.deepEqual(enc.outputNames, ['c=a', 'c=b', 'c=__other__'])
  const out = enc.transform(datasetFromRecords([{ c: 'a' }, { c: 'd' }, { c: 'zzz' }, { c: null }]))
  const rows = [0, 1, 2, 3].map((r) =>
    out.columns.map((col) => (col.kind === 'categorical' ? -1 : col.values[r])),
  )
  assert.deepEqual(rows, [
    [1, 0, 0],
    [0, 0, 1],
    [0, 0, 1],
    [0, 0, 0],
  ])
  const ignore = new OneHotEncoder().fit(train)
  const unknown = ignore.transform(datasetFromRecords([{ c: 'zzz' }]))
  assert.deepEqual(
    unknown.columns.map((col) => (col.kind === 'categorical' ? -1 : col.values[0])),
    [0, 0, 0, 0],
  )
  const ord = new OrdinalEncoder().fit(train).transform(datasetFromRecords([{ c: 'b' }, { c: 'zzz' }]))
  const o = ord.columns[0]!
  assert.ok(o.kind === 'numeric')
  assert.equal(o.values[0], 1)
  assert.ok(Number.isNaN(o.values[1]))
})

test('target encoding of training rows is out-of-fold; transform uses all training rows', () => {
  // Each level occurs once: in-fold encoding would leak the row's own target; out-of-fold cannot.
  const n = 200
  const ds = datasetFromRecords(Array.from({ length: n }, (_, i) => ({ id: `u${i}` })))
  const y = Float64Array.from({ length: n }, (_, i) => i % 2)
  const enc = new TargetEncoder({ smoothing: 1, folds: 5 })
  const { fitted, output } = enc.fitTransform(ds, y)
  const oof = output.columns[0]!
  assert.ok(oof.kind === 'numeric')
  // Unseen in the other folds -> every training row gets the prior of the other folds (~0.5).
  for (const v of oof.values) assert.ok(Math.abs(v - 0.5) < 0.05, `oof ${v}`)
  const full = fitted.transform(ds).columns[0]!
  assert.ok(full.kind === 'numeric')
  // Full-train statistics do see each row's own target: (y + 1*0.5) / 2.
  assert.equal(full.values[0], 0.25)
  assert.equal(full.values[1], 0.75)
  const again = new TargetEncoder({ smoothing: 1, folds: 5 }).fitTransform(ds, y).output.columns[0]!
  assert.ok(again.kind === 'numeric')
  assert.deepEqual([...again.values], [...oof.values])
  assert.equal(
    fitted.transform(selectRows(datasetFromRecords([{ id: 'new' }]), [0])).columns[0]!.kind,
    'numeric',
  )
})
