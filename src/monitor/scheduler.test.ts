import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { startMonitorSchedule } from './scheduler.js'

describe('drift schedule', () => {
  it('reports a lasting failure of a model once, not at every check', async () => {
    const storeUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-sched-')), 'keel.db')}`
    const failures: { model: string; message: string }[] = []
    const schedule = startMonitorSchedule({
      // Neither model is in this store's registry: every check of each fails the same way.
      models: ['churn', 'fraud'],
      intervalMs: 3_600_000,
      storeUrl,
      registry: new Registry(),
      onError: (model, error) => failures.push({ model, message: (error as Error).message }),
    })
    try {
      for (let i = 0; i < 3; i++) assert.deepEqual(await schedule.runOnce(), [])
      assert.deepEqual(
        failures.map((f) => f.model),
        ['churn', 'fraud'],
        JSON.stringify(failures),
      )
      assert.match(failures[0]!.message, /churn/)
    } finally {
      await schedule.stop()
    }
  })
})
