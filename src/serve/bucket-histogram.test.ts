import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AggregatorRegistry, Histogram, Registry } from 'prom-client'
import { Rng } from '../core/index.js'
import { BucketHistogram } from './bucket-histogram.js'

const BUCKETS = [0.05, 0.1, 0.2, 0.5, 0.9, 1]

/** The same observations through prom-client's Histogram and through BucketHistogram. */
async function twins(values: readonly number[]): Promise<{ ours: Registry; theirs: Registry }> {
  const ours = new Registry()
  const theirs = new Registry()
  const config = { name: 'score', help: 'h', labelNames: ['model', 'variant'] as const, buckets: BUCKETS }
  const bucketed = new BucketHistogram({ ...config, registers: [ours] })
  const plain = new Histogram({ ...config, registers: [theirs] })
  for (const [i, v] of values.entries()) {
    const labels = { model: 'churn', variant: i % 3 === 0 ? 'a' : 'b' }
    bucketed.recorder(labels).observe(v)
    plain.labels(labels).observe(v)
  }
  return { ours, theirs }
}

test('exported exactly as prom-client exports the same observations (text and cluster aggregate)', async () => {
  const rng = new Rng(5)
  // Values on the bounds (inclusive buckets), above every bound, and random ones.
  const values = [0.05, 0.1, 1, 1.5, 0, ...Array.from({ length: 500 }, () => rng.next())]
  const { ours, theirs } = await twins(values)
  assert.equal(await ours.metrics(), await theirs.metrics(), 'same exposition text')
  const aggregate = async (r: Registry) =>
    JSON.stringify(
      await AggregatorRegistry.aggregate([await r.getMetricsAsJSON(), await r.getMetricsAsJSON()]).metrics(),
    )
  assert.equal(await aggregate(ours), await aggregate(theirs), 'same aggregate of two workers')
})

test('non-finite values are ignored; reset zeroes series and recorders keep working', async () => {
  const registry = new Registry()
  const h = new BucketHistogram({
    name: 's',
    help: 'h',
    labelNames: ['m'],
    buckets: BUCKETS,
    registers: [registry],
  })
  const recorder = h.recorder({ m: 'x' })
  recorder.observe(Number.NaN)
  recorder.observe(Number.POSITIVE_INFINITY)
  recorder.observe(0.3)
  assert.match(await registry.metrics(), /s_count\{m="x"\} 1\n/, 'one finite observation')
  registry.resetMetrics()
  assert.match(await registry.metrics(), /s_count\{m="x"\} 0\n/, 'zeroed')
  recorder.observe(0.7)
  assert.match(await registry.metrics(), /s_bucket\{le="0.9",m="x"\} 1\n/, 'recorded after reset')
})
