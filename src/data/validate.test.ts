import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { datasetFromRecords } from './dataset.js'
import { parseTaskConfig } from './task-file.js'
import { formatProblem, validateDataset } from './validate.js'

function codes(report: ReturnType<typeof validateDataset>, severity: 'errors' | 'warnings'): string[] {
  return report[severity].map((p) => `${p.code}:${p.column ?? ''}`).sort()
}

function clean(n = 200, seed = 1): Record<string, unknown>[] {
  const rng = new Rng(seed)
  return Array.from({ length: n }, (_, i) => {
    const x = rng.normal()
    return {
      id: `c${i}`,
      x,
      noise: rng.normal(),
      plan: rng.next() < 0.5 ? 'basic' : 'pro',
      y: rng.next() < 1 / (1 + Math.exp(-x)) ? 1 : 0,
    }
  })
}

test('clean data passes', () => {
  const ds = datasetFromRecords(clean())
  const report = validateDataset(ds, { config: parseTaskConfig({ task: 'binary', target: 'y', id: 'id' }) })
  assert.deepEqual(report.errors, [])
  assert.deepEqual(report.warnings, [])
  assert.equal(report.ok, true)
})

test('target problems: missing, one class, three classes, text regression target', () => {
  const records = clean()
  const ds = datasetFromRecords(records)
  assert.deepEqual(codes(validateDataset(ds, { target: 'nope', task: 'binary' }), 'errors'), [
    'TARGET_MISSING:nope',
  ])
  const one = datasetFromRecords(clean().map((r) => ({ ...r, y: 1 })))
  const r1 = validateDataset(one, { target: 'y', task: 'binary' })
  assert.deepEqual(codes(r1, 'errors'), ['TARGET_CLASSES:y'])
  assert.match(r1.errors[0]!.message, /exactly 2 classes; 'y' has 1/)
  const three = datasetFromRecords(clean().map((r, i) => ({ ...r, y: i % 3 })))
  assert.match(
    validateDataset(three, { target: 'y', task: 'binary' }).errors[0]!.message,
    /has 3 \("0", "1", "2"\)/,
  )
  const text = validateDataset(ds, { target: 'plan', task: 'regression' })
  assert.deepEqual(codes(text, 'errors'), ['TARGET_NOT_NUMERIC:plan'])
  assert.equal(text.errors[0]!.rows, 200)
  assert.deepEqual(text.errors[0]!.examples[0], { row: 1, value: records[0]!.plan })
})

test('task-file rules: required, types, levels, ranges, nulls, duplicates, min rows, constant', () => {
  const records = clean(50).map((r, i) => ({
    ...r,
    id: i === 7 ? 'c3' : r.id,
    plan: i === 4 ? 'gold' : r.plan,
    age: i === 9 ? -3 : i === 11 ? null : 30 + (i % 40),
    zip: i === 2 ? 'abc' : String(10000 + i),
    same: 'k',
  }))
  const config = parseTaskConfig({
    task: 'binary',
    target: 'y',
    id: 'id',
    features: { types: { zip: 'numeric' } },
    validation: {
      required_columns: ['income'],
      allowed_levels: { plan: ['basic', 'pro'] },
      ranges: { age: { min: 0, max: 120 } },
      nulls: { age: 'forbid' },
      min_rows: 100,
    },
  })
  const report = validateDataset(datasetFromRecords(records), { config })
  assert.deepEqual(codes(report, 'errors'), [
    'COLUMN_MISSING:income',
    'DUPLICATE_ID:id',
    'LEVEL_NOT_ALLOWED:plan',
    'NULLS_FORBIDDEN:age',
    'OUT_OF_RANGE:age',
    'TOO_FEW_ROWS:',
    'TYPE_MISMATCH:zip',
  ])
  const range = report.errors.find((p) => p.code === 'OUT_OF_RANGE')!
  assert.deepEqual(range.examples, [{ row: 10, value: -3 }])
  assert.deepEqual(report.errors.find((p) => p.code === 'DUPLICATE_ID')!.examples, [{ row: 8, value: 'c3' }])
  assert.deepEqual(report.errors.find((p) => p.code === 'TYPE_MISMATCH')!.examples, [
    { row: 3, value: 'abc' },
  ])
  assert.ok(codes(report, 'warnings').includes('CONSTANT_COLUMN:same'))
  assert.match(
    formatProblem(range),
    /^error \[OUT_OF_RANGE\] age: 1 value\(s\) fall outside \[0, 120\]\. \(e\.g\. row 10: -3\)$/,
  )
})

test('leakage: near-perfect single feature, target copy, ID-like column, future dates', () => {
  const records = clean(400).map((r, i) => ({
    ...r,
    leak: (r.y as number) * 10 + (i % 7) * 0.1,
    y_copy: r.y === 1 ? 'yes' : 'no',
    row_number: i,
    event: new Date(Date.UTC(2024, 0, 1 + (i % 30))),
    closed_at: new Date(Date.UTC(2024, 0, i % 5 === 0 ? 40 : 1)),
  }))
  const ds = datasetFromRecords(records)
  const warn = validateDataset(ds, {
    config: parseTaskConfig({
      task: 'binary',
      target: 'y',
      id: 'id',
      timestamp: 'event',
      split: { kind: 'time' },
    }),
  })
  assert.equal(warn.ok, true)
  assert.deepEqual(codes(warn, 'warnings'), [
    'LEAKAGE_FUTURE_DATE:closed_at',
    'LEAKAGE_ID_LIKE:row_number',
    'LEAKAGE_SINGLE_FEATURE:leak',
    'LEAKAGE_TARGET_COPY:y_copy',
  ])
  const strict = validateDataset(ds, {
    config: parseTaskConfig({
      task: 'binary',
      target: 'y',
      id: 'id',
      timestamp: 'event',
      split: { kind: 'time' },
      validation: { leakage: 'error' },
    }),
  })
  assert.equal(strict.ok, false)
  assert.equal(strict.errors.length, 4)
  // Regression: a feature that is 3*y+1 has R² 1; plain noise does not.
  const reg = datasetFromRecords(
    clean(300).map((r) => ({ x: r.x, noise: r.noise, t: (r.x as number) * 2, t3: (r.x as number) * 6 + 1 })),
  )
  assert.deepEqual(codes(validateDataset(reg, { target: 't', task: 'regression' }), 'warnings'), [
    'LEAKAGE_SINGLE_FEATURE:t3',
    'LEAKAGE_SINGLE_FEATURE:x',
  ])
})
