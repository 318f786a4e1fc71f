import assert from 'node:assert/strict'
import { randomBytes, randomUUID } from 'node:crypto'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { postgresGate } from '../../test/helpers/test-backends.js'
import { openJobQueue, parseQueueUrl } from './queue.js'

test('parseQueueUrl takes ?schema= off the URL and refuses other schemes', () => {
  assert.deepEqual(parseQueueUrl('postgres://u@h:5432/db?schema=jobs_a&sslmode=disable'), {
    connectionString: 'postgres://u@h:5432/db?sslmode=disable',
    schema: 'jobs_a',
  })
  assert.deepEqual(parseQueueUrl('postgresql://u@h/db'), {
    connectionString: 'postgresql://u@h/db',
    schema: undefined,
  })
  assert.throws(
    () => parseQueueUrl('redis://u:secret@h:6379'),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'INVALID_ARGUMENT')
      assert.ok(!error.message.includes('secret'), 'the password is not echoed')
      return true
    },
  )
})

const pg = postgresGate()

test('pg-boss queue: each job is handled once, results and failures are visible by id', {
  skip: pg.skip,
  timeout: 60_000,
}, async () => {
  const schema = `pgboss_test_${randomBytes(6).toString('hex')}`
  const url = `${pg.require()}?schema=${schema}`
  const coordinator = await openJobQueue(url, { maintenanceIntervalSeconds: 1 })
  const worker = await openJobQueue(url)
  try {
    const jobs = Array.from({ length: 12 }, (_, i) => ({
      id: randomUUID(),
      data: { n: i },
      retryLimit: i === 11 ? 1 : 0,
      expireInSeconds: 30,
    }))
    await coordinator.send('unit', jobs)
    const seen: number[] = []
    await worker.work('unit', { concurrency: 3, pollingIntervalSeconds: 0.5 }, async (job) => {
      const n = (job.data as { n: number }).n
      seen.push(n)
      if (n === 11) throw Object.assign(new Error('eleven is bad'), { code: 'DATA_PARSE' })
      return { double: n * 2 }
    })
    const ids = jobs.map((j) => j.id)
    let states = await coordinator.status('unit', ids)
    for (let i = 0; i < 100 && states.some((s) => s.state !== 'completed' && s.state !== 'failed'); i++) {
      await sleep(200)
      states = await coordinator.status('unit', ids)
    }
    const byId = new Map(states.map((s) => [s.id, s]))
    for (const [i, job] of jobs.entries()) {
      const state = byId.get(job.id)!
      if (i === 11) {
        assert.equal(state.state, 'failed')
        assert.equal(state.retryCount, 1, 'retried once, then failed')
        assert.match(JSON.stringify(state.output), /eleven is bad/)
        assert.match(JSON.stringify(state.output), /DATA_PARSE/)
      } else {
        assert.equal(state.state, 'completed')
        assert.deepEqual(state.output, { double: i * 2 })
      }
    }
    assert.deepEqual(
      seen.filter((n) => n !== 11).sort((a, b) => a - b),
      Array.from({ length: 11 }, (_, i) => i),
      'each job handled exactly once',
    )
    assert.equal(seen.filter((n) => n === 11).length, 2)
  } finally {
    await worker.close()
    await coordinator.close()
    const { default: driver } = await import('pg')
    const client = new driver.Client({ connectionString: pg.require() })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
  }
})
