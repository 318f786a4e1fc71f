import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { datasetFromRecords, getColumn } from './dataset.js'
import {
  type Fold,
  groupKFold,
  groupSplit,
  kFold,
  randomSplit,
  splitDataset,
  stratifiedKFold,
  stratifiedSplit,
  type TrainTestSplit,
  timeSeriesFolds,
  timeSplit,
} from './split.js'

function assertPartition(n: number, parts: readonly Int32Array[]): void {
  const seen = new Uint8Array(n)
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      assert.ok(i === 0 || p[i]! > p[i - 1]!, 'indices ascending')
      assert.equal(seen[p[i]!], 0, `row ${p[i]} in two parts`)
      seen[p[i]!] = 1
    }
  }
  assert.ok(
    seen.every((v) => v === 1),
    'every row in some part',
  )
}

function assertFolds(n: number, folds: readonly Fold[]): void {
  const validated = new Uint8Array(n)
  for (const f of folds) {
    // Train and valid together cover every row, with no row in both.
    assertPartition(n, [f.train, f.valid])
    for (const r of f.valid) validated[r]!++
  }
  assert.ok(
    validated.every((v) => v === 1),
    'each row validated exactly once',
  )
}

function sample(seed: number): { y: number[]; groups: string[]; times: number[] } {
  const rng = new Rng(seed)
  const n = 300 + rng.int(400)
  const classes = 2 + rng.int(3)
  return {
    y: Array.from({ length: n }, () => Math.min(classes - 1, Math.floor(-Math.log(1 - rng.next()) * 1.3))),
    groups: Array.from({ length: n }, () => `g${rng.int(40)}`),
    times: Array.from({ length: n }, () => rng.int(200)),
  }
}

test('property: random and stratified splits partition the rows; strata keep their share', () => {
  for (let seed = 0; seed < 20; seed++) {
    const { y } = sample(seed)
    const n = y.length
    const r = randomSplit(n, { testSize: 0.2, validSize: 0.1, seed })
    assertPartition(n, [r.train, r.valid, r.test])
    assert.equal(r.test.length, Math.round(0.2 * n))
    assert.equal(r.valid.length, Math.round(0.1 * n))
    const s = stratifiedSplit(y, { testSize: 0.25, validSize: 0.15, seed })
    assertPartition(n, [s.train, s.valid, s.test])
    assert.equal(s.test.length, Math.round(0.25 * n))
    for (const cls of new Set(y)) {
      const total = y.filter((v) => v === cls).length
      const inTest = [...s.test].filter((i) => y[i] === cls).length
      const inValid = [...s.valid].filter((i) => y[i] === cls).length
      assert.ok(Math.abs(inTest - 0.25 * total) <= 1, `class ${cls}: ${inTest} of ${total} in test`)
      assert.ok(Math.abs(inValid - 0.15 * total) <= 1.5, `class ${cls}: ${inValid} of ${total} in valid`)
    }
  }
})

test('property: group splits and group folds never put a group on both sides', () => {
  for (let seed = 0; seed < 20; seed++) {
    const { groups } = sample(seed)
    const n = groups.length
    const s = groupSplit(groups, { testSize: 0.2, validSize: 0.1, seed })
    assertPartition(n, [s.train, s.valid, s.test])
    const owner = new Map<string, string>()
    for (const [name, part] of [
      ['train', s.train],
      ['valid', s.valid],
      ['test', s.test],
    ] as const) {
      for (const r of part) {
        const prev = owner.get(groups[r]!)
        assert.ok(prev === undefined || prev === name, `group ${groups[r]} in ${prev} and ${name}`)
        owner.set(groups[r]!, name)
      }
    }
    assert.ok(Math.abs(s.test.length - 0.2 * n) < 0.1 * n, 'test size near the request')
    const folds = groupKFold(groups, 5, seed)
    assertFolds(n, folds)
    for (const f of folds) {
      const trainGroups = new Set([...f.train].map((r) => groups[r]))
      for (const r of f.valid) assert.ok(!trainGroups.has(groups[r]), 'group in train and valid of one fold')
    }
  }
})

test('property: time splits and time-series folds train on the past only', () => {
  for (let seed = 0; seed < 20; seed++) {
    const { times } = sample(seed)
    const n = times.length
    const s = timeSplit(times, { testSize: 0.2, validSize: 0.1 })
    assertPartition(n, [s.train, s.valid, s.test])
    const max = (p: Int32Array): number => Math.max(...[...p].map((i) => times[i]!))
    const min = (p: Int32Array): number => Math.min(...[...p].map((i) => times[i]!))
    assert.ok(max(s.train) < min(s.valid), 'train before valid')
    assert.ok(max(s.valid) < min(s.test), 'valid before test')
    for (const f of timeSeriesFolds(times, 4, { gap: 5 }))
      assert.ok(max(f.train) < min(f.valid), 'fold trains on the past')
  }
})

test('folds cover every row once; same seed, same split; other seed, other split', () => {
  const { y } = sample(3)
  assertFolds(y.length, kFold(y.length, 5, 1))
  const strat = stratifiedKFold(y, 4, 1)
  assertFolds(y.length, strat)
  const share = y.filter((v) => v === 0).length / y.length
  for (const f of strat) {
    const s = [...f.valid].filter((i) => y[i] === 0).length / f.valid.length
    assert.ok(Math.abs(s - share) < 0.02, 'fold keeps the class share')
  }
  const same = (a: TrainTestSplit, b: TrainTestSplit): boolean =>
    a.test.join() === b.test.join() && a.valid.join() === b.valid.join()
  assert.ok(
    same(stratifiedSplit(y, { testSize: 0.2, seed: 5 }), stratifiedSplit(y, { testSize: 0.2, seed: 5 })),
  )
  assert.ok(
    !same(stratifiedSplit(y, { testSize: 0.2, seed: 5 }), stratifiedSplit(y, { testSize: 0.2, seed: 6 })),
  )
  assert.deepEqual(kFold(50, 5, 9), kFold(50, 5, 9))
})

test('splitDataset follows the task file and rejects unusable input', () => {
  const ds = datasetFromRecords(
    Array.from({ length: 40 }, (_, i) => ({
      y: i % 2 === 0 ? 'a' : 'b',
      g: `c${i % 8}`,
      ts: new Date(Date.UTC(2024, 0, 1 + i)),
    })),
  )
  const base = { testSize: 0.25, validSize: 0, seed: 1, folds: 5 }
  const strat = splitDataset(ds, { ...base, kind: 'stratified' }, { target: 'y' })
  assert.equal(strat.test.length, 10)
  const time = splitDataset(ds, { ...base, kind: 'time' }, { timestamp: 'ts' })
  assert.deepEqual([...time.test], [30, 31, 32, 33, 34, 35, 36, 37, 38, 39])
  const group = splitDataset(ds, { ...base, kind: 'group' }, { entity: 'g' })
  assertPartition(40, [group.train, group.valid, group.test])
  assert.throws(() => randomSplit(10, { testSize: 1.5 }), /share in \(0, 1\) or a whole number/)
  assert.throws(() => randomSplit(10, { testSize: 10 }), /no training rows/)
  assert.throws(() => timeSplit([1, Number.NaN, 3], { testSize: 0.3 }), /row 2 has none/)
  assert.throws(() => timeSplit(getColumn(ds, 'g'), { testSize: 0.3 }), /categorical/)
  assert.throws(() => kFold(3, 5), /5 folds for only 3/)
})
