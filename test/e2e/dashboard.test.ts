import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs'
import { createServer as createHttpServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'

// Everything this test writes goes to a temp store (set before any Keel module reads it).
const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-dashboard-'))
process.env.KEEL_HOME = join(dir, '.keel')
process.env.KEEL_DATABASE_URL = ''
delete process.env.KEEL_ALERT_WEBHOOK_URL
delete process.env.KEEL_ALERT_WEBHOOK_SECRET

const { signBody } = await import('../../src/monitor/index.js')
const { openRegistry } = await import('../../src/registry/index.js')
const { createServer } = await import('../../src/serve/index.js')
const { chromiumGate } = await import('../helpers/test-backends.js')
const { buildChurnFeatures, createRegistryModelSource, makeChurnData, runTraining } = await import(
  '../../src/train/index.js'
)

const ADMIN = 'dash-admin-token'
const adminHeaders = { authorization: `Bearer ${ADMIN}` }
const SECRET = 'hook-secret'
const ARTIFACTS = join(process.cwd(), 'test-artifacts')

type Json = Record<string, unknown>
type Row = Record<string, string | number>

function readRows(path: string): { rows: Row[]; outcomes: number[] } {
  const [head, ...lines] = readFileSync(path, 'utf8').trim().split('\n')
  const names = head!.split(',')
  const rows: Row[] = []
  const outcomes: number[] = []
  for (const line of lines) {
    const cells = line.split(',')
    const row: Row = {}
    names.forEach((n, i) => {
      if (n === 'customer_id' || n === 'churned') return
      const v = cells[i]!
      row[n] = n === 'plan' || n === 'region' ? v : Number(v)
    })
    rows.push(row)
    outcomes.push(cells[names.indexOf('churned')] === 'yes' ? 1 : 0)
  }
  return { rows, outcomes }
}

async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
  status = 200,
): Promise<Json> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as Json
  assert.equal(res.status, status, JSON.stringify(json))
  return json
}

describe('monitoring dashboard over a real model and real traffic', () => {
  let server: Awaited<ReturnType<typeof createServer>>
  let source: Awaited<ReturnType<typeof createRegistryModelSource>>
  let base: string
  let hook: Server
  const deliveries: { body: string; signature: string | undefined; event: string | undefined }[] = []

  before(async () => {
    // Fake webhook receiver: counts POSTs and keeps their signature.
    hook = createHttpServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8')
      })
      req.on('end', () => {
        deliveries.push({
          body,
          signature: req.headers['x-keel-signature'] as string | undefined,
          event: req.headers['x-keel-event'] as string | undefined,
        })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve))
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`

    const raw = makeChurnData(dir, { customers: 1000, seed: 3 })
    await buildChurnFeatures(raw, join(dir, 'churn.csv'))
    const { result } = await runTraining({
      dataPath: join(dir, 'churn.csv'),
      target: 'churned',
      task: 'binary',
      positiveClass: 'yes',
      idColumn: 'customer_id',
      model: 'gbdt',
      params: { nEstimators: 30 },
      seed: 1,
      testSize: 0.25,
      folds: 2,
      name: 'churn',
    })
    const registry = await openRegistry()
    await registry.promote('churn', result.version, 'production', { actor: 'e2e', reason: 'dashboard test' })
    await registry.close()

    source = await createRegistryModelSource()
    server = await createServer({
      source,
      adminToken: ADMIN,
      logger: false,
      config: {
        models: ['churn@production'],
        predictionLog: { enabled: true, flushIntervalMs: 50, batchSize: 500, maxQueue: 100_000 },
        // A low dataset threshold: two clearly shifted features make a dataset-drift episode.
        monitor: {
          minRows: 50,
          intervalMs: 3_600_000,
          shareThreshold: 0.1,
          webhookUrl: hookUrl,
          webhookSecret: SECRET,
        },
      },
    })
    await server.waitUntilReady(60_000)
    base = await server.listen(0, '127.0.0.1')

    const { rows, outcomes } = readRows(join(dir, 'churn.csv'))
    const predictUrl = `${base}/v1/models/churn/predict`
    const ids: string[] = []
    // 1) Normal traffic, one row per request (gives the latency percentiles something to show).
    // A check over fewer than minRows (50) rows gives no verdict and no statistics to chart.
    for (const features of rows.slice(0, 8))
      ids.push((await post(predictUrl, { features })).predictionId as string)
    await server.log!.flush()
    const tooFew = await server.monitor!.runOnce()
    for (let i = 8; i < 120; i += 8) {
      const answers = await Promise.all(
        rows.slice(i, i + 8).map((features) => post(predictUrl, { features })),
      )
      for (const a of answers) ids.push(a.predictionId as string)
    }
    await server.log!.flush()
    const first = await server.monitor!.runOnce()
    assert.equal(first.length, 1)
    // Issue 14: a window below minRows is reported as 'insufficient_data' (with the counts), not skipped.
    assert.equal(tooFew.length, 1)
    assert.equal(tooFew[0]!.report.verdict, 'insufficient_data', 'fewer than minRows: no verdict')
    assert.equal(tooFew[0]!.report.currentRows, 8)
    // 2) Drifted traffic: spend_30d four times larger and a plan the model never saw.
    for (let i = 120; i < 420; i += 50) {
      const batch = rows.slice(i, i + 50).map((r, j) => ({
        ...r,
        spend_30d: (r.spend_30d as number) * 4,
        plan: j % 3 === 0 ? 'platinum' : r.plan!,
      }))
      const answer = await post(predictUrl, { rows: batch })
      for (const p of answer.predictions as Json[]) ids.push(p.predictionId as string)
    }
    await post(`${base}/v1/feedback`, {
      items: ids.map((predictionId, i) => ({ predictionId, outcome: outcomes[i]! })),
    })
    await server.log!.flush()
  })

  after(async () => {
    await server?.close()
    await source?.close()
    await new Promise((resolve) => hook?.close(resolve))
  })

  test('the admin check flags the shifted features, records it, exports gauges, alerts once per episode', async () => {
    // Remote callers need the admin token for the check; the loopback page cannot run it without one.
    const denied = await server.app.inject({ method: 'POST', url: '/v1/monitor/check', payload: {} })
    assert.equal(denied.statusCode, 401)
    const check = (await post(`${base}/v1/monitor/check`, {}, { authorization: `Bearer ${ADMIN}` })) as {
      checks: { name: string; currentRows: number; drifted: string[]; datasetDrift: boolean }[]
    }
    assert.equal(check.checks.length, 1)
    const c = check.checks[0]!
    assert.equal(c.name, 'churn')
    assert.equal(c.currentRows, 420)
    assert.ok(c.drifted.includes('spend_30d'), `drifted: ${c.drifted.join(', ')}`)
    assert.ok(c.drifted.includes('plan'), `drifted: ${c.drifted.join(', ')}`)
    assert.equal(c.datasetDrift, true)

    // A second check in the same episode sends nothing new.
    await server.monitor!.runOnce()
    const opened = deliveries.filter((d) => {
      const e = JSON.parse(d.body) as { state: string; kind: string }
      return e.state === 'open' && e.kind === 'dataset_drift'
    })
    assert.equal(opened.length, 1, `webhook deliveries: ${deliveries.map((d) => d.body).join('\n')}`)
    const event = JSON.parse(opened[0]!.body) as { kind: string; model: string }
    assert.equal(event.kind, 'dataset_drift')
    assert.equal(event.model, 'churn')
    assert.equal(opened[0]!.signature, signBody(opened[0]!.body, SECRET))
    assert.equal(opened[0]!.event, 'dataset_drift')

    const metrics = await (await fetch(`${base}/metrics`)).text()
    assert.match(metrics, /keel_drift_feature_drifted\{model="churn",feature="spend_30d"\} 1/)
    assert.match(metrics, /keel_drift_dataset\{model="churn"\} 1/)

    const alerts = (await (await fetch(`${base}/v1/monitor/alerts`, { headers: adminHeaders })).json()) as {
      alerts: { kind: string; closedAt: number | null }[]
    }
    assert.equal(alerts.alerts.filter((a) => a.kind === 'dataset_drift').length, 1)
    assert.equal(alerts.alerts[0]!.closedAt, null)
  })

  test('JSON APIs: drift history, feature histograms, traffic, performance, models; in OpenAPI', async () => {
    const get = async (path: string): Promise<Json> => {
      const res = await fetch(base + path, { headers: adminHeaders })
      assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`)
      return (await res.json()) as Json
    }
    const drift = (await get('/v1/monitor/drift')) as {
      models: {
        latest: { features: { feature: string; drifted: boolean }[] }
        history: { ts: number[]; features: Record<string, { statistic: (number | null)[] }> }
      }[]
    }
    const m = drift.models[0]!
    assert.equal(m.history.ts.length, 3, 'three charted checks (the 8-row one has no statistics)')
    assert.equal(m.history.features.spend_30d!.statistic.length, m.history.ts.length)
    assert.equal(m.latest.features.find((f) => f.feature === 'spend_30d')!.drifted, true)

    const num = (await get('/v1/monitor/drift/churn/features/spend_30d')) as {
      labels: string[]
      reference: { counts: number[]; shares: number[] }
      current: { counts: number[]; rows: number }
    }
    assert.equal(num.labels.length, num.reference.counts.length)
    assert.equal(num.current.counts.length, num.reference.counts.length)
    assert.equal(num.current.rows, 420)
    assert.ok(Math.abs(num.reference.shares.reduce((a, b) => a + b, 0) - 1) < 1e-9)
    // The server validates rows before logging them: an unknown level is logged as missing
    // (unknownLevel 'missing'), so the new plan shows up as a jump in the missing share.
    const cat = (await get('/v1/monitor/drift/churn/features/plan')) as {
      current: { missing: number }
      drift: { drifted: boolean; missingShareChanged: boolean }
    }
    assert.equal(cat.current.missing, 102)
    assert.equal(cat.drift.missingShareChanged, true)
    assert.equal(cat.drift.drifted, true)

    const traffic = (await get('/v1/monitor/traffic?window=1h&buckets=12')) as {
      models: { total: { count: number; p50: number; p99: number }; buckets: unknown[] }[]
    }
    assert.equal(traffic.models[0]!.total.count, 420)
    assert.equal(traffic.models[0]!.buckets.length, 12)
    assert.ok(traffic.models[0]!.total.p99 >= traffic.models[0]!.total.p50)

    const perf = (await get('/v1/monitor/performance?window=24h&buckets=4')) as {
      models: { metric: string; labelled: number; points: { value: number }[]; validation: number | null }[]
    }
    assert.equal(perf.models[0]!.metric, 'roc_auc')
    assert.equal(perf.models[0]!.labelled, 420)
    assert.equal(perf.models[0]!.points.length, 1)
    assert.ok(perf.models[0]!.validation !== null)

    const models = (await get('/v1/monitor/models')) as {
      models: { aliases: Record<string, number>; versions: { version: number }[]; servingVersion: number }[]
    }
    assert.deepEqual(models.models[0]!.aliases, { production: 1 })
    assert.equal(models.models[0]!.servingVersion, 1)
    // An experiment (both arms on v1 here) shows up with its report's verdict.
    await post(
      `${base}/v1/admin/experiments`,
      {
        id: 'churn-ab',
        model: 'churn',
        variants: [
          { name: 'A', ref: 'churn@production', weight: 1 },
          { name: 'B', ref: 'churn@1', weight: 1 },
        ],
      },
      { authorization: `Bearer ${ADMIN}` },
      201,
    )
    const experiments = (await get('/v1/monitor/experiments')) as {
      experiments: { id: string; verdict: string; report: { variants: unknown[] } }[]
    }
    assert.equal(experiments.experiments.length, 1)
    assert.equal(experiments.experiments[0]!.id, 'churn-ab')
    assert.equal(experiments.experiments[0]!.verdict, 'keep running')
    assert.equal(experiments.experiments[0]!.report.variants.length, 2)

    const openapi = (await get('/openapi.json')) as { paths: Record<string, unknown> }
    for (const path of [
      '/v1/monitor/models',
      '/v1/monitor/traffic',
      '/v1/monitor/experiments',
      '/v1/monitor/drift',
      '/v1/monitor/drift/{name}/features/{feature}',
      '/v1/monitor/performance',
      '/v1/monitor/alerts',
      '/v1/monitor/check',
    ])
      assert.ok(path in openapi.paths, `OpenAPI lacks ${path}`)
  })

  test('access: with a token configured, the admin token is required, from loopback too', async () => {
    // A loopback peer is not trusted once a token is set (a reverse proxy or a DNS-rebinding page
    // on this host would be loopback too): security-serve.test.ts covers the tokenless rule.
    const anonymous = await fetch(`${base}/`)
    assert.equal(anonymous.status, 401)
    assert.doesNotMatch(await anonymous.text(), /uPlot/)
    const page = await fetch(`${base}/`, { headers: adminHeaders })
    assert.equal(page.status, 200)
    const html = await page.text()
    assert.match(html, /var uPlot=/) // bundled, not fetched
    assert.doesNotMatch(html, /<script[^>]+src=/)
    const remote = { remoteAddress: '10.1.2.3' }
    const noToken = await server.app.inject({ method: 'GET', url: '/', ...remote })
    assert.equal(noToken.statusCode, 401)
    assert.doesNotMatch(noToken.body, /uPlot/)
    const api = await server.app.inject({ method: 'GET', url: '/v1/monitor/drift', ...remote })
    assert.equal(api.statusCode, 401)
    const wrong = await server.app.inject({
      method: 'GET',
      url: '/v1/monitor/drift',
      headers: { authorization: 'Bearer nope' },
      ...remote,
    })
    assert.equal(wrong.statusCode, 401)
    const bearer = await server.app.inject({
      method: 'GET',
      url: '/v1/monitor/drift',
      headers: { authorization: `Bearer ${ADMIN}` },
      ...remote,
    })
    assert.equal(bearer.statusCode, 200)
    const cookie = await server.app.inject({
      method: 'GET',
      url: '/',
      headers: { cookie: `keel_admin_token=${ADMIN}` },
      ...remote,
    })
    assert.equal(cookie.statusCode, 200)
    assert.match(cookie.body, /Keel · Monitoring/)
    // A request through a proxy on this host is not treated as local.
    const proxied = await fetch(`${base}/v1/monitor/alerts`, {
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    assert.equal(proxied.status, 401)
  })

  const browserGate = chromiumGate()
  test('in Chromium: drifted feature flagged, charts drawn, feature detail histograms', {
    skip: browserGate.skip,
  }, async () => {
    const { chromium } = await import('playwright-core')
    const browser = await chromium.launch({
      executablePath: browserGate.require(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } })
      const external: string[] = []
      const pageErrors: string[] = []
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) external.push(r.url())
      })
      page.on('pageerror', (e) => pageErrors.push(e.message))
      // Signed in as the page's token form would: the admin token cookie.
      await page.context().addCookies([{ name: 'keel_admin_token', value: ADMIN, url: base }])
      await page.goto(`${base}/`)
      await page.waitForSelector('body[data-state="ready"]', { timeout: 30_000 })
      await page.waitForSelector('tr.feature-row[data-feature="spend_30d"] .spark canvas', {
        timeout: 10_000,
      })
      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-overview.png'), fullPage: true })

      const row = page.locator('tr.feature-row[data-feature="spend_30d"]')
      assert.equal(await row.getAttribute('data-drifted'), 'true')
      assert.match((await row.textContent()) ?? '', /drift/i)
      assert.equal(
        await page.locator('tr.feature-row[data-feature="plan"]').getAttribute('data-drifted'),
        'true',
      )
      // Counts canvas pixels of one colour family: proves a series was drawn, not just axes.
      const coloured = (selector: string, kind: 'red' | 'slate' | 'blue') =>
        page.evaluate(
          ({ selector, kind }) => {
            const canvas = document.querySelector(selector) as HTMLCanvasElement | null
            if (canvas === null) return -1
            const ctx = canvas.getContext('2d')!
            const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data
            let n = 0
            for (let i = 0; i < d.length; i += 4) {
              const [r, g, b, a] = [d[i]!, d[i + 1]!, d[i + 2]!, d[i + 3]!]
              if (a < 100) continue
              if (kind === 'red' && r > 170 && g < 110 && b < 110) n++
              if (kind === 'slate' && b > 150 && b - r > 15 && b - r < 60 && r > 110 && r < 200) n++
              if (kind === 'blue' && b > 180 && r < 120) n++
            }
            return n
          },
          { selector, kind },
        )
      assert.ok(
        (await coloured('tr.feature-row[data-feature="spend_30d"] .spark canvas', 'red')) > 3,
        'spend_30d sparkline has drifted (red) points',
      )
      const trafficCanvases = await page.locator('#traffic-body canvas').count()
      assert.ok(trafficCanvases >= 3, `traffic charts: ${trafficCanvases}`)
      assert.ok((await coloured('#traffic-body canvas', 'blue')) > 20, 'request bars drawn')
      assert.ok((await page.locator('#performance-body canvas').count()) >= 1)
      assert.match((await page.locator('#models-body').textContent()) ?? '', /production → v1/)
      assert.match((await page.locator('#alerts-body').textContent()) ?? '', /dataset_drift/)
      assert.match((await page.locator('#experiments-body').textContent()) ?? '', /churn-ab.*keep running/)

      await row.click()
      await page.waitForSelector('#feature-detail[data-ready="true"][data-feature="spend_30d"]', {
        timeout: 15_000,
      })
      assert.ok((await coloured('#feature-detail .hist-ref canvas', 'slate')) > 100, 'reference bars')
      assert.ok((await coloured('#feature-detail .hist-cur canvas', 'red')) > 100, 'current bars')
      await page.locator('#drift').screenshot({ path: join(ARTIFACTS, 'dashboard-drift-detail.png') })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard-full.png'), fullPage: true })

      await page.locator('tr.feature-row[data-feature="plan"]').click()
      await page.waitForSelector('#feature-detail[data-ready="true"][data-feature="plan"]', {
        timeout: 15_000,
      })
      assert.match((await page.locator('#feature-detail').textContent()) ?? '', /102 missing/)

      assert.deepEqual(external, [], 'the page fetched nothing from outside the server')
      assert.deepEqual(pageErrors, [])
    } finally {
      await browser.close()
    }
  })
})
