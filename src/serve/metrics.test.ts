import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AggregatorRegistry, Counter, Registry } from 'prom-client'
import { TallyCounter } from './metrics.js'

/** Exposition lines in a fixed order: series come out in the order their label sets were first used. */
const sorted = async (text: string | Promise<string>): Promise<string> =>
  (await text).split('\n').sort().join('\n')

test('a TallyCounter exports exactly what prom-client exports for the same increments', async () => {
  const ours = new Registry()
  const theirs = new Registry()
  const config = { name: 'reqs', help: 'h', labelNames: ['model', 'status'] as const }
  const tallied = new TallyCounter({ ...config, registers: [ours] })
  const plain = new Counter({ ...config, registers: [theirs] })
  const labelSets = [
    { model: 'churn', status: '200' },
    { model: 'churn', status: '422' },
    { model: 'other', status: '200' },
  ]
  const tallies = labelSets.map((l) => tallied.tally(l))
  tallies[2]!.inc(40)
  plain.labels(labelSets[2]!).inc(40)
  for (let i = 0; i < 250; i++) {
    tallies[i % 3 === 0 ? 0 : i % 7 === 0 ? 1 : 2]!.inc()
    plain.labels(labelSets[i % 3 === 0 ? 0 : i % 7 === 0 ? 1 : 2]!).inc()
  }
  assert.equal(await sorted(ours.metrics()), await sorted(theirs.metrics()), 'same exposition text')
  // Reading twice does not count twice; later increments are added.
  tallies[1]!.inc()
  plain.labels(labelSets[1]!).inc()
  assert.equal(await sorted(ours.metrics()), await sorted(theirs.metrics()), 'same text after a second read')
  const aggregate = async (r: Registry) =>
    sorted(AggregatorRegistry.aggregate([await r.getMetricsAsJSON(), await r.getMetricsAsJSON()]).metrics())
  assert.equal(await aggregate(ours), await aggregate(theirs), 'same aggregate of two workers')
  ours.resetMetrics()
  tallies[0]!.inc()
  assert.match(
    await ours.metrics(),
    /reqs\{model="churn",status="200"\} 1\n/,
    'counts again from zero after reset',
  )
})
