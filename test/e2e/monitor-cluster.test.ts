import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-monitor-cluster-'))
process.env.KEEL_HOME = join(dir, '.keel')
process.env.KEEL_DATABASE_URL = ''
const { openRegistry } = await import('../../src/registry/index.js')
const { buildChurnFeatures, makeChurnData, runTraining } = await import('../../src/train/index.js')

const CHILD = fileURLToPath(new URL('./monitor-cluster-child.ts', import.meta.url))
const ADMIN = 'cluster-admin'

test('cluster: one drift schedule in the primary; a worker runs it on request; gauges reach /metrics', async () => {
  const raw = makeChurnData(dir, { customers: 600, seed: 5 })
  await buildChurnFeatures(raw, join(dir, 'churn.csv'))
  const { result } = await runTraining({
    dataPath: join(dir, 'churn.csv'),
    target: 'churned',
    task: 'binary',
    positiveClass: 'yes',
    idColumn: 'customer_id',
    model: 'gbdt',
    params: { nEstimators: 20 },
    seed: 1,
    testSize: 0.25,
    folds: 2,
    name: 'churn',
  })
  const registry = await openRegistry()
  await registry.promote('churn', result.version, 'production')
  await registry.close()

  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, KEEL_ADMIN_TOKEN: ADMIN, KEEL_ALERT_WEBHOOK_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let buffer = ''
      const timer = setTimeout(() => reject(new Error('cluster did not start in 90 s')), 90_000)
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString()
        const match = /LISTENING (\S+)/.exec(buffer)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match[1]!)
        }
      })
      child.once('exit', (code) => reject(new Error(`cluster exited early (${code})`)))
    })
    const [head, ...lines] = readFileSync(join(dir, 'churn.csv'), 'utf8').trim().split('\n')
    const names = head!.split(',')
    const rows = lines.slice(0, 120).map((line) => {
      const cells = line.split(',')
      const row: Record<string, string | number> = {}
      names.forEach((n, i) => {
        if (n === 'customer_id' || n === 'churned') return
        row[n] = n === 'plan' || n === 'region' ? cells[i]! : Number(cells[i])
      })
      row.spend_30d = (row.spend_30d as number) * 5
      return row
    })
    for (let i = 0; i < rows.length; i += 30) {
      const res = await fetch(`${base}/v1/models/churn/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ rows: rows.slice(i, i + 30) }),
      })
      assert.equal(res.status, 200)
    }
    // Wait (bounded) until the workers' logs are flushed (the traffic API reads the same table).
    let logged = -1
    for (let t = 0; t < 300 && logged !== rows.length; t++) {
      if (t > 0) await new Promise((r) => setTimeout(r, 100))
      const res = await fetch(`${base}/v1/monitor/traffic`, { headers: { authorization: `Bearer ${ADMIN}` } })
      const traffic = (await res.json()) as { models: { total: { count: number } }[] }
      assert.equal(res.status, 200, JSON.stringify(traffic))
      logged = traffic.models[0]?.total.count ?? -1
    }
    assert.equal(logged, rows.length, 'every prediction reached the log within 30 s')
    const res = await fetch(`${base}/v1/monitor/check`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}`, connection: 'close' },
      body: '{}',
    })
    const body = (await res.json()) as { checks: { name: string; currentRows: number; drifted: string[] }[] }
    assert.equal(res.status, 200, JSON.stringify(body))
    assert.equal(body.checks.length, 1)
    assert.equal(body.checks[0]!.currentRows, rows.length)
    assert.ok(body.checks[0]!.drifted.includes('spend_30d'), body.checks[0]!.drifted.join(','))

    // Any worker's /metrics: the workers' aggregate plus the primary's drift gauges (once each).
    const metrics = await (await fetch(`${base}/metrics`, { headers: { connection: 'close' } })).text()
    assert.match(metrics, /keel_drift_feature_drifted\{model="churn",feature="spend_30d"\} 1/)
    assert.equal(metrics.match(/^# TYPE keel_drift_share gauge$/gm)?.length, 1)
    assert.match(metrics, /keel_requests_total/)
    const drift = (await (
      await fetch(`${base}/v1/monitor/drift`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as {
      models: { history: { ts: number[] } }[]
    }
    assert.equal(drift.models[0]!.history.ts.length, 1, 'exactly one check recorded (one schedule)')
  } finally {
    child.kill('SIGTERM')
    assert.equal(await exit, 0)
  }
})
