import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import type { Column, Dataset } from '../data/index.js'
import { buildReferenceProfile } from '../pipeline/index.js'
import { detectDrift } from './drift.js'

const LEVELS = ['a', 'b', 'c', 'd']

function sample(
  n: number,
  seed: number,
  shift: { mean?: number; newLevel?: boolean; missing?: number } = {},
): Dataset {
  const rng = new Rng(seed)
  const x = new Float64Array(n)
  const z = new Float64Array(n)
  const codes = new Int32Array(n)
  const flag = new Float64Array(n)
  const levels = shift.newLevel === true ? [...LEVELS, 'zz'] : LEVELS
  for (let i = 0; i < n; i++) {
    x[i] = rng.normal() * 2 + 10 + (shift.mean ?? 0)
    z[i] = rng.next()
    if ((shift.missing ?? 0) > 0 && rng.next() < shift.missing!) z[i] = Number.NaN
    const u = rng.next()
    codes[i] = shift.newLevel === true && u < 0.15 ? 4 : u < 0.4 ? 0 : u < 0.7 ? 1 : u < 0.9 ? 2 : 3
    flag[i] = rng.next() < 0.3 ? 1 : 0
  }
  const columns: Column[] = [
    { kind: 'numeric', name: 'x', values: x },
    { kind: 'numeric', name: 'z', values: z },
    { kind: 'categorical', name: 'cat', codes, levels },
    { kind: 'boolean', name: 'flag', values: flag },
  ]
  return { nRows: n, columns }
}

const reference = buildReferenceProfile(sample(5000, 1), ['x', 'z', 'cat', 'flag'])

test('reference profile is compact (kilobytes)', () => {
  assert.ok(JSON.stringify(reference).length < 64_000)
})

test('a mean shift in one feature is detected (small and large windows)', () => {
  for (const n of [500, 4000]) {
    const report = detectDrift(reference, { kind: 'dataset', dataset: sample(n, 99, { mean: 1 }) })
    const x = report.features.find((f) => f.feature === 'x')!
    assert.equal(x.drifted, true, `n=${n}: ${JSON.stringify(x)}`)
    assert.ok(report.features.filter((f) => f.drifted).length <= 2)
  }
})

test('a new category is reported on its own', () => {
  const report = detectDrift(reference, { kind: 'dataset', dataset: sample(800, 5, { newLevel: true }) })
  const cat = report.features.find((f) => f.feature === 'cat')!
  assert.deepEqual(cat.unseenCategories, ['zz'])
  assert.equal(cat.drifted, true)
})

test('more missing values are reported on their own', () => {
  const report = detectDrift(reference, { kind: 'dataset', dataset: sample(800, 6, { missing: 0.2 }) })
  const z = report.features.find((f) => f.feature === 'z')!
  assert.equal(z.missingShareChanged, true)
  assert.equal(z.drifted, true)
})

test('unshifted samples are rarely flagged: false-alarm rate over 100 seeded samples', () => {
  let alarms = 0
  let checks = 0
  let datasetAlarms = 0
  for (let seed = 1000; seed < 1100; seed++) {
    const report = detectDrift(reference, {
      kind: 'dataset',
      dataset: sample(seed % 2 === 0 ? 500 : 3000, seed),
    })
    for (const f of report.features) {
      checks++
      if (f.drifted) alarms++
    }
    if (report.datasetDrift) datasetAlarms++
  }
  const rate = alarms / checks
  // p < 0.05 tests alone would give ~5 %; distance thresholds are stricter on same-distribution data.
  assert.ok(rate < 0.08, `feature false-alarm rate ${rate}`)
  assert.ok(datasetAlarms <= 6, `dataset false alarms ${datasetAlarms}/100`)
  process.stderr.write(
    `drift false-alarm rate: features ${(rate * 100).toFixed(1)}% of ${checks} checks, datasets ${datasetAlarms}/100\n`,
  )
})
