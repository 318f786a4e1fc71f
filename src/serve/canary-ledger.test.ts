import assert from 'node:assert/strict'
import { test } from 'node:test'
import { testBackends } from '../../test/helpers/test-backends.js'
import { migrateServeTables } from '../predlog/tables.js'
import { CanaryLedger, type CanaryRollback } from './canary-ledger.js'
import { type CanaryConfig, CanaryMonitor, canaryRollbackReason } from './experiments.js'

const config: CanaryConfig = { ref: 'churn@2', weight: 0.5, minRequests: 10, maxErrorRate: 0.2 }

test('the decision on aggregated totals: minRequests first, then error rate, then latency', () => {
  // 9 calls, all errors: too few to decide.
  assert.equal(canaryRollbackReason(config, { calls: 9, errors: 9, latencySumMs: 0 }), undefined)
  assert.equal(canaryRollbackReason(config, { calls: 0, errors: 0, latencySumMs: 0 }), undefined)
  // At the threshold is healthy, above it rolls back.
  assert.equal(canaryRollbackReason(config, { calls: 10, errors: 2, latencySumMs: 0 }), undefined)
  assert.match(
    canaryRollbackReason(config, { calls: 10, errors: 3, latencySumMs: 0 }) ?? '',
    /^error rate 0\.300 > 0\.2 over 10 calls$/,
  )
  // Fractional totals (a window cutting a shared bucket) decide the same way.
  assert.match(
    canaryRollbackReason(config, { calls: 10.5, errors: 5.25, latencySumMs: 0 }) ?? '',
    /over 10\.5 calls/,
  )
  const slow = { ...config, maxLatencyMs: 50 }
  assert.equal(canaryRollbackReason(slow, { calls: 10, errors: 0, latencySumMs: 500 }), undefined)
  assert.match(
    canaryRollbackReason(slow, { calls: 10, errors: 0, latencySumMs: 510 }) ?? '',
    /^mean latency 51\.0 ms > 50 ms/,
  )
  // Defaults: 20 calls, 10% errors, no latency check.
  const plain: CanaryConfig = { ref: 'x', weight: 0.1 }
  assert.equal(canaryRollbackReason(plain, { calls: 19, errors: 19, latencySumMs: 1e9 }), undefined)
  assert.ok(canaryRollbackReason(plain, { calls: 20, errors: 3, latencySumMs: 0 }) !== undefined)
  assert.equal(canaryRollbackReason(plain, { calls: 20, errors: 2, latencySumMs: 1e9 }), undefined)
})

test('the per-process monitor decides from its own sliding window with the same function', () => {
  const monitor = new CanaryMonitor({ ...config, windowSize: 10 })
  for (let i = 0; i < 9; i++) assert.equal(monitor.record(true, 1), undefined)
  assert.match(monitor.record(true, 1) ?? '', /error rate 1\.000/)
  assert.equal(monitor.rolledBack, true)
  assert.equal(monitor.record(true, 1), undefined, 'decides once')
  // The window slides: old errors leave it.
  const sliding = new CanaryMonitor({ ...config, windowSize: 10, minRequests: 10 })
  for (let i = 0; i < 2; i++) sliding.observe(true, 1)
  for (let i = 0; i < 10; i++) sliding.observe(false, 1)
  assert.deepEqual(sliding.windowTotals(), { calls: 10, errors: 0, latencySumMs: 10 })
  assert.equal(sliding.rollBack('manual'), true)
  assert.equal(sliding.rollBack('again'), false)
  assert.equal(sliding.rollbackReason, 'manual')
})

for (const backend of testBackends()) {
  test(`${backend.name}: two replicas decide once from their summed counts and both follow`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      const clock = 1_000_000
      const now = () => clock
      const warnings: string[] = []
      const make = (id: string) => {
        const ledger = new CanaryLedger(k, {
          onWarn: (m) => warnings.push(m),
          replicaId: id,
          flushIntervalMs: 0,
          now,
        })
        const monitor = new CanaryMonitor({ ...config, windowSize: 20 })
        const rollbacks: CanaryRollback[] = []
        ledger.watch({ model: 'churn', monitor, onRollback: (r) => rollbacks.push(r) })
        return { ledger, monitor, rollbacks }
      }
      const a = make('replica-a')
      const b = make('replica-b')
      // 6 failing calls each: under minRequests (10) alone, 12 together.
      for (let i = 0; i < 6; i++) {
        a.ledger.record('churn', true, 2)
        b.ledger.record('churn', true, 4)
      }
      assert.equal(a.monitor.decide(a.monitor.windowTotals()), undefined, 'A alone would not roll back')
      assert.equal(b.monitor.decide(b.monitor.windowTotals()), undefined, 'B alone would not roll back')
      await a.ledger.tick()
      assert.equal(a.monitor.rolledBack, false, 'only A counted so far')
      await b.ledger.tick()
      assert.equal(b.monitor.rolledBack, true)
      assert.deepEqual(
        b.rollbacks.map((r) => [r.decidedBy, r.decidedHere]),
        [['replica-b', true]],
      )
      assert.match(b.rollbacks[0]!.reason, /error rate 1\.000 > 0\.2 over 12 calls/)
      await a.ledger.tick()
      assert.equal(a.monitor.rolledBack, true, 'A follows the cluster')
      assert.deepEqual(
        a.rollbacks.map((r) => [r.decidedBy, r.decidedHere]),
        [['replica-b', false]],
      )
      const states = await k.selectFrom('serve_canary_state').selectAll().execute()
      assert.equal(states.length, 1)
      assert.equal(states[0]!.decided_by, 'replica-b')
      // A replica started later follows the stored decision on its first tick.
      const c = make('replica-c')
      await c.ledger.tick()
      assert.equal(c.monitor.rolledBack, true)
      assert.equal(c.rollbacks[0]!.decidedHere, false)
      assert.deepEqual(warnings, [])
    } finally {
      await db.close()
    }
  })

  test(`${backend.name}: the window is the last windowSize calls over every replica's buckets`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      let clock = 5_000_000
      const ledger = new CanaryLedger(k, {
        onWarn: () => undefined,
        replicaId: 'r1',
        flushIntervalMs: 0,
        now: () => clock,
      })
      const other = new CanaryLedger(k, {
        onWarn: () => undefined,
        replicaId: 'r2',
        flushIntervalMs: 0,
        now: () => clock,
      })
      const watch = (l: CanaryLedger) =>
        l.watch({
          model: 'churn',
          monitor: new CanaryMonitor({ ...config, windowSize: 10, minRequests: 1000 }),
          onRollback: () => undefined,
        })
      watch(ledger)
      watch(other)
      // Oldest second: 10 errors (r1); next: 4 ok (r1) + 2 ok (r2); newest: 2 ok (r2).
      for (let i = 0; i < 10; i++) ledger.record('churn', true, 10)
      await ledger.tick()
      clock += 1000
      for (let i = 0; i < 4; i++) ledger.record('churn', false, 1)
      for (let i = 0; i < 2; i++) other.record('churn', false, 1)
      await ledger.tick()
      await other.tick()
      clock += 1000
      for (let i = 0; i < 2; i++) other.record('churn', false, 1)
      await other.tick()
      const totals = await ledger.windowTotals('churn', 'churn@2', 10)
      // 2 + 6 newest calls, then 2 of the 10 oldest (pro rata: 2 errors, 20 ms).
      assert.equal(totals.calls, 10)
      assert.equal(totals.full, true)
      assert.ok(Math.abs(totals.errors - 2) < 1e-9, String(totals.errors))
      assert.ok(Math.abs(totals.latencySumMs - (8 + 20)) < 1e-9, String(totals.latencySumMs))
      assert.equal(totals.oldestBucket, 5_000_000)
      const partial = await ledger.windowTotals('churn', 'churn@2', 100)
      assert.deepEqual([partial.calls, partial.errors, partial.full], [18, 10, false])
      // The same replica's bucket written twice adds up (upsert), it does not replace.
      ledger.record('churn', false, 1)
      await ledger.tick()
      ledger.record('churn', false, 1)
      await ledger.tick()
      const rows = await k
        .selectFrom('serve_canary_counts')
        .select(['calls'])
        .where('replica_id', '=', 'r1')
        .where('bucket', '=', 5_002_000)
        .execute()
      assert.deepEqual(
        rows.map((r) => Number(r.calls)),
        [2],
      )
      await ledger.stop()
      await other.stop()
    } finally {
      await db.close()
    }
  })
}

for (const backend of testBackends()) {
  test(`${backend.name}: a backlog of buckets is written in chunks, all of it`, {
    skip: backend.skip,
  }, async () => {
    const db = await backend.open()
    try {
      const k = await migrateServeTables(db)
      let clock = 0
      const ledger = new CanaryLedger(k, {
        onWarn: () => undefined,
        replicaId: 'r',
        flushIntervalMs: 0,
        now: () => clock,
      })
      const monitor = new CanaryMonitor({ ...config, minRequests: 1_000_000 })
      ledger.watch({ model: 'churn', monitor, onRollback: () => undefined })
      for (let i = 0; i < 1234; i++) {
        ledger.record('churn', i % 2 === 0, 1)
        clock += 1000
      }
      await ledger.tick()
      const row = await k
        .selectFrom('serve_canary_counts')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('errors').as('errors')])
        .executeTakeFirstOrThrow()
      assert.deepEqual([Number(row.n), Number(row.errors)], [1234, 617])
      await ledger.stop()
    } finally {
      await db.close()
    }
  })
}

test('while the ledger cannot be written, counts are kept and the process decides alone', async () => {
  const backend = testBackends()[0]!
  const db = await backend.open()
  const k = await migrateServeTables(db)
  const warnings: string[] = []
  const ledger = new CanaryLedger(k, { onWarn: (m) => warnings.push(m), replicaId: 'r', flushIntervalMs: 0 })
  const monitor = new CanaryMonitor({ ...config, windowSize: 20 })
  const rollbacks: CanaryRollback[] = []
  ledger.watch({ model: 'churn', monitor, onRollback: (r) => rollbacks.push(r) })
  await db.close()
  for (let i = 0; i < 12; i++) ledger.record('churn', true, 1)
  await ledger.tick()
  await ledger.tick()
  assert.equal(warnings.length, 1, warnings.join('\n'))
  assert.match(warnings[0]!, /canary ledger unreachable/)
  assert.equal(monitor.rolledBack, true)
  assert.match(rollbacks[0]!.reason, /canary ledger unreachable/)
})
