import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { type Dataset, datasetFromRecords, getColumn } from './dataset.js'
import { type EngineerSpec, engineerFeatures } from './features.js'

const DAY = 86_400_000

interface Event {
  customer: string | null
  ts: Date
  amount: number
  items: number
}

function events(n: number, seed: number): Event[] {
  const rng = new Rng(seed)
  const start = Date.UTC(2024, 0, 1)
  return Array.from({ length: n }, () => ({
    customer: rng.next() < 0.03 ? null : `c${rng.int(6)}`,
    // Whole hours over 20 days, so that timestamp ties within a customer are common.
    ts: new Date(start + rng.int(20 * 24) * 3_600_000),
    amount: Math.round(rng.next() * 1000) / 10,
    items: rng.int(4),
  }))
}

const SPEC: EngineerSpec = {
  entity: 'customer',
  timestamp: 'ts',
  datetimeParts: [{ column: 'ts', parts: ['hour', 'dow', 'month'] }],
  history: [
    { column: 'amount', aggregates: ['count', 'sum', 'mean', 'std', 'days_since_last'] },
    { column: 'amount', aggregates: ['count', 'max'], windowDays: 3 },
  ],
  ratios: [{ name: 'amount_per_item', numerator: 'amount', denominator: 'items' }],
}

function values(ds: Dataset, name: string): Float64Array {
  const col = getColumn(ds, name)
  assert.ok(col.kind !== 'categorical', `${name} should be numeric`)
  return col.values
}

function close(a: number, b: number): boolean {
  return (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) < 1e-9 * Math.max(1, Math.abs(b))
}

test('history features use only rows strictly before each row (brute-force check)', async () => {
  const evs = events(300, 3)
  const ds = datasetFromRecords(evs as unknown as Record<string, unknown>[])
  const out = await engineerFeatures(ds, SPEC)
  assert.equal(out.nRows, 300)
  const count = values(out, 'hist_amount_count')
  const sum = values(out, 'hist_amount_sum')
  const mean = values(out, 'hist_amount_mean')
  const std = values(out, 'hist_amount_std')
  const since = values(out, 'hist_amount_days_since_last')
  const count3 = values(out, 'hist_amount_3d_count')
  const max3 = values(out, 'hist_amount_3d_max')
  for (const [i, e] of evs.entries()) {
    if (e.customer === null) {
      assert.ok(Number.isNaN(count[i]!))
      continue
    }
    const past = evs.filter((p) => p.customer === e.customer && p.ts.getTime() < e.ts.getTime())
    const amounts = past.map((p) => p.amount)
    const s = amounts.reduce((a, b) => a + b, 0)
    const m = s / amounts.length
    const sd =
      amounts.length < 2
        ? Number.NaN
        : Math.sqrt(amounts.reduce((a, b) => a + (b - m) ** 2, 0) / (amounts.length - 1))
    assert.equal(count[i], past.length, `row ${i}`)
    assert.ok(close(sum[i]!, past.length === 0 ? Number.NaN : s), `sum row ${i}: ${sum[i]} vs ${s}`)
    assert.ok(close(mean[i]!, past.length === 0 ? Number.NaN : m), `mean row ${i}`)
    assert.ok(close(std[i]!, sd), `std row ${i}: ${std[i]} vs ${sd}`)
    const last = Math.max(...past.map((p) => p.ts.getTime()))
    assert.ok(
      close(since[i]!, past.length === 0 ? Number.NaN : (e.ts.getTime() - last) / DAY),
      `since row ${i}`,
    )
    const recent = past.filter((p) => p.ts.getTime() >= e.ts.getTime() - 3 * DAY)
    assert.equal(count3[i], recent.length, `count3 row ${i}`)
    assert.ok(
      close(max3[i]!, recent.length === 0 ? Number.NaN : Math.max(...recent.map((p) => p.amount))),
      `max3 row ${i}`,
    )
  }
  const hour = values(out, 'ts_hour')
  const dow = values(out, 'ts_dow')
  assert.equal(hour[0], evs[0]!.ts.getUTCHours())
  assert.equal(dow[0], (evs[0]!.ts.getUTCDay() + 6) % 7)
  const ratio = values(out, 'amount_per_item')
  for (const [i, e] of evs.entries())
    assert.ok(close(ratio[i]!, e.items === 0 ? Number.NaN : e.amount / e.items))
})

test('no future row leaks: changing later rows leaves earlier features unchanged', async () => {
  const evs = events(200, 9)
  const cut = Date.UTC(2024, 0, 11)
  const base = await engineerFeatures(datasetFromRecords(evs as unknown as Record<string, unknown>[]), SPEC)
  // Rewrite everything at or after the cut: huge amounts, extra events.
  const future = evs.map((e) => (e.ts.getTime() >= cut ? { ...e, amount: e.amount * 1000 + 7 } : e))
  future.push({ customer: 'c1', ts: new Date(cut + DAY), amount: 1e6, items: 1 })
  const changed = await engineerFeatures(
    datasetFromRecords(future as unknown as Record<string, unknown>[]),
    SPEC,
  )
  for (const name of [
    'hist_amount_count',
    'hist_amount_sum',
    'hist_amount_mean',
    'hist_amount_std',
    'hist_amount_3d_max',
  ]) {
    const a = values(base, name)
    const b = values(changed, name)
    for (const [i, e] of evs.entries()) {
      // A row at the cut may see rows before the cut only, so it must not change either.
      if (e.ts.getTime() <= cut) assert.ok(close(a[i]!, b[i]!), `${name} row ${i} changed by future rows`)
    }
  }
})

test('runs on a file and rejects unknown columns', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-fe-'))
  const file = join(dir, 'e.csv')
  writeFileSync(
    file,
    'customer,ts,amount\na,2024-01-01 10:00:00,5\na,2024-01-02 10:00:00,7\nb,2024-01-02 11:00:00,1\na,2024-01-02 10:00:00,9\n',
  )
  const out = await engineerFeatures(file, {
    entity: 'customer',
    timestamp: 'ts',
    datetimeParts: [],
    history: [{ column: 'amount', aggregates: ['count', 'sum'] }],
    ratios: [],
  })
  assert.deepEqual([...values(out, 'hist_amount_count')], [0, 1, 0, 1])
  assert.deepEqual([...values(out, 'hist_amount_sum')], [Number.NaN, 5, Number.NaN, 5])
  await assert.rejects(
    engineerFeatures(file, {
      datetimeParts: [],
      history: [],
      ratios: [{ name: 'r', numerator: 'amount', denominator: 'nope' }],
    }),
    /ratio 'r' refers to column 'nope'/,
  )
})
