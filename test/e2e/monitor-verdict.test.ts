import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runCli } from '../helpers/cli.js'

// Everything this test writes goes to a temp store (set before any Keel module reads it).
const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-monitor-verdict-'))
process.env.KEEL_HOME = join(dir, '.keel')
process.env.KEEL_DATABASE_URL = ''
delete process.env.KEEL_ALERT_WEBHOOK_URL

const { loadReference } = await import('../../src/monitor/index.js')
const { openRegistry } = await import('../../src/registry/index.js')
const { createServer, migrateServeTables } = await import('../../src/serve/index.js')
const { openDb } = await import('../../src/store/index.js')
const { buildChurnFeatures, createRegistryModelSource, makeChurnData, runTraining } = await import(
  '../../src/train/index.js'
)

type Row = Record<string, string | number | null>
interface Verdict {
  verdict: string
  datasetDrift: boolean
  predictionDrift: boolean
  driftedShare: number
  weightedShare: number
  currentRows: number
  minRows: number
  reason: string
  weights: Record<string, number>
  features: { feature: string; drifted: boolean }[]
}

/**
 * One trained churn model registered under one name per scenario, so each scenario has its own
 * prediction log window: the case (the top feature shifted by 1.2 SD and half the rows
 * moved to one plan), a shift in the feature the model uses least, a shift in the scores only,
 * no shift, and two rows.
 */
const SCENARIOS = ['top', 'ignored', 'scores', 'none', 'few'] as const
type Scenario = (typeof SCENARIOS)[number]
const EXPECTED: Record<Scenario, string> = {
  top: 'drift',
  ignored: 'no_drift',
  scores: 'drift',
  none: 'no_drift',
  few: 'insufficient_data',
}
const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }

describe('drift verdicts: importance-weighted, prediction drift, minimum rows', () => {
  let topFeature = ''
  let leastFeature = ''
  let server: Awaited<ReturnType<typeof createServer>>
  let source: Awaited<ReturnType<typeof createRegistryModelSource>>

  before(async () => {
    await buildChurnFeatures(
      makeChurnData(join(dir, 'train'), { customers: 1500, seed: 5 }),
      join(dir, 'churn.csv'),
    )
    await buildChurnFeatures(
      makeChurnData(join(dir, 'live'), { customers: 1000, seed: 11 }),
      join(dir, 'live.csv'),
    )
    const { result } = await runTraining({
      dataPath: join(dir, 'churn.csv'),
      target: 'churned',
      task: 'binary',
      positiveClass: 'yes',
      idColumn: 'customer_id',
      model: 'gbdt',
      params: { nEstimators: 40 },
      seed: 1,
      folds: 2,
      name: 'churn',
    })
    const { bundle, profile } = await loadReference(result.model)
    assert.ok(profile.importance !== undefined, 'training records global importance in the profile')
    const ranked = Object.entries(profile.importance).sort((a, b) => b[1] - a[1])
    topFeature = ranked[0]![0]
    leastFeature = ranked.at(-1)![0]
    assert.ok(ranked.at(-1)![1] < 0.02, `least important feature weighs ${ranked.at(-1)![1]}`)

    // The same version under one name per scenario (each reads its own slice of the log).
    const registry = await openRegistry()
    const { bytes } = await registry.loadArtifact(result.model)
    for (const name of SCENARIOS)
      await registry.registerVersion({ name, runId: result.runId, artifact: bytes, featureSchema: [] })
    await registry.close()

    // The current window: rows of a fresh churn sample, shifted per scenario, scored by the model
    // and written to the prediction log the server keeps.
    const liveRows = readRows(join(dir, 'live.csv'))
    const topProfile = profile.features.find((f) => f.name === topFeature)!
    const leastProfile = profile.features.find((f) => f.name === leastFeature)!
    const sd = (p: typeof topProfile): number => (p.kind === 'numeric' ? p.std : 0)
    const shiftRows = (scenario: Scenario): Row[] => {
      const rows = scenario === 'few' ? liveRows.slice(0, 2) : liveRows
      return rows.map((r, i) => {
        const out = { ...r }
        if (scenario === 'top' || scenario === 'few') {
          out[topFeature] = Number(r[topFeature]) + 1.2 * sd(topProfile)
          if (i % 2 === 0) out.plan = 'premium'
        }
        if (scenario === 'ignored') {
          out[leastFeature] =
            leastProfile.kind === 'numeric' ? Number(r[leastFeature]) + 3 * sd(leastProfile) : 'premium'
        }
        return out
      })
    }
    const db = await openDb()
    const k = await migrateServeTables(db)
    for (const scenario of SCENARIOS) {
      const rows = shiftRows(scenario)
      const scored = bundle.predictRecords(rows)
      const scores = scored.positive!
      const now = Date.now()
      await k
        .insertInto('serve_predictions')
        .values(
          rows.map((features, i) => ({
            id: randomUUID(),
            ts: now - i,
            model: scenario,
            version: 1,
            variant: 'primary',
            experiment_id: null,
            request_key: null,
            features: JSON.stringify(features),
            outputs: JSON.stringify({ prediction: null }),
            // Drift in the scores only: the inputs are unchanged but the model answers differently
            // (e.g. a broken feature pipeline upstream of the model).
            score: scenario === 'scores' ? Math.min(1, scores[i]! + 0.2) : scores[i]!,
            latency_ms: 1,
            served_by: 'test',
            shadow_of: null,
          })),
        )
        .execute()
    }
    await db.close()

    source = await createRegistryModelSource()
    server = await createServer({
      source,
      logger: false,
      config: {
        models: SCENARIOS.map((s) => `${s}@1`),
        predictionLog: { enabled: true, flushIntervalMs: 50, batchSize: 500, maxQueue: 10_000 },
        monitor: { minRows: 100, intervalMs: 3_600_000, rule: 'any' },
      },
    })
    await server.waitUntilReady(120_000)
  })

  after(async () => {
    await server?.close()
    await source?.close()
  })

  test('CLI: keel monitor drift gives the verdict per scenario (exit 1 only on drift)', async () => {
    const results = await Promise.all(
      SCENARIOS.map((s) =>
        runCli(['monitor', 'drift', '--model', `${s}@1`, '--window', '24h', '--json'], {
          cwd: dir,
          env,
          timeoutMs: 240_000,
        }),
      ),
    )
    for (const [i, scenario] of SCENARIOS.entries()) {
      const r = results[i]!
      assert.ok(r.code === 0 || r.code === 1, `${scenario}: exit ${r.code}\n${r.stderr}`)
      const report = JSON.parse(r.stdout) as Verdict
      const drifted = report.features.filter((f) => f.drifted).map((f) => f.feature)
      const summary = JSON.stringify({ reason: report.reason, drifted, weights: report.weights })
      assert.equal(report.verdict, EXPECTED[scenario], `${scenario}: ${summary}`)
      assert.equal(r.code, EXPECTED[scenario] === 'drift' ? 1 : 0, `${scenario}: exit code`)
      if (scenario === 'top') {
        assert.ok(drifted.includes(topFeature) && drifted.includes('plan'), drifted.join(','))
        assert.equal(report.predictionDrift, true)
        assert.ok(report.weightedShare > report.driftedShare, 'the top feature outweighs its plain share')
      }
      if (scenario === 'ignored') {
        assert.ok(drifted.includes(leastFeature), `${leastFeature} is still flagged: ${drifted.join(',')}`)
        assert.equal(report.predictionDrift, false)
      }
      if (scenario === 'scores') assert.deepEqual(drifted, [])
      if (scenario === 'few') {
        assert.equal(report.currentRows, 2)
        assert.equal(report.minRows, 100)
        assert.equal(report.datasetDrift, false)
      }
    }
    // The human-readable verdict names the counts instead of claiming drift or no drift.
    const text = await runCli(['monitor', 'drift', '--model', 'few@1', '--window', '24h'], {
      cwd: dir,
      env,
      timeoutMs: 240_000,
    })
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /Verdict: not enough data: 2 rows, at least 100 needed/)
    const bad = await runCli(['monitor', 'drift', '--model', 'top@1', '--rule', 'most'], { cwd: dir, env })
    assert.equal(bad.code === 0, false)
    assert.match(bad.stderr, /--rule must be one of share, weighted, prediction, any; got 'most'/)
  })

  test('server: the scheduled check and the dashboard badge state give the same verdicts', async () => {
    const checks = await server.monitor!.runOnce()
    const byName = new Map(checks.map((c) => [c.name, c.report]))
    for (const scenario of SCENARIOS)
      assert.equal(byName.get(scenario)?.verdict, EXPECTED[scenario], `scheduled check of ${scenario}`)
    const res = await server.app.inject({ method: 'GET', url: '/v1/monitor/drift' })
    assert.equal(res.statusCode, 200, res.body)
    const drift = res.json() as {
      models: {
        name: string
        latest: (Verdict & { datasetDrift: boolean }) | null
        history: { ts: number[] }
      }[]
    }
    for (const scenario of SCENARIOS) {
      const m = drift.models.find((x) => x.name === scenario)!
      assert.equal(m.latest?.verdict, EXPECTED[scenario], `badge of ${scenario}`)
      assert.equal(m.latest?.datasetDrift, EXPECTED[scenario] === 'drift')
    }
    const few = drift.models.find((x) => x.name === 'few')!
    assert.equal(few.latest!.currentRows, 2)
    assert.equal(few.latest!.minRows, 100)
    // No statistics to chart for an insufficient-data check.
    assert.equal(few.history.ts.length, 0)
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' })
    assert.match(metrics.body, /keel_drift_insufficient_data\{model="few"\} 1/)
    assert.match(metrics.body, /keel_drift_dataset\{model="top"\} 1/)
    assert.match(metrics.body, /keel_drift_dataset\{model="ignored"\} 0/)
  })
})

function readRows(path: string): Row[] {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  const names = head!.split(',')
  return lines.map((line) => {
    const cells = line.split(',')
    const row: Row = {}
    names.forEach((n, i) => {
      if (n === 'customer_id' || n === 'churned') return
      const v = cells[i]!
      row[n] = n === 'plan' || n === 'region' ? v : v === '' ? null : Number(v)
    })
    return row
  })
}
