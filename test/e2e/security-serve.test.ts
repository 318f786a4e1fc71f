import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Worker } from 'node:worker_threads'

// Security of the prediction server: what a client without the token can reach, what error bodies
// reveal, and that no header or cookie a client sends gets a 500. Each server runs in this process.

const home = mkdtempSync(join(tmpdir(), 'keel-e2e-security-'))
process.env.KEEL_HOME = home
process.env.KEEL_DATABASE_URL = ''
for (const k of [
  'KEEL_API_TOKEN',
  'KEEL_ADMIN_TOKEN',
  'KEEL_LLM_PROVIDER',
  'KEEL_LLM_BASE_URL',
  'KEEL_LLM_MODEL',
])
  delete process.env[k]

const { RagCollection } = await import('../../src/rag/index.js')
const { createMemoryModelSource, createServer, parseServeConfig } = await import('../../src/serve/index.js')
const { ragCollectionOf } = await import('../../src/serve/config.js')
const { fakeModel, fakeRow } = await import('../helpers/serve-fixtures.js')
type KeelServer = Awaited<ReturnType<typeof createServer>>
type ServableModel = import('../../src/serve/index.js').ServableModel

const API = 'api-secret'
const ADMIN = 'admin-secret'
type Json = Record<string, unknown>

interface RawReply {
  status: number
  head: string
  body: string
}

/**
 * Sends raw bytes on a fresh connection and resolves with the first response (framed by its
 * Content-Length, else by the connection closing). Rejects when none comes within `timeoutMs`.
 */
function raw(base: string, data: string | Buffer, timeoutMs = 15_000): Promise<RawReply> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    let buf = Buffer.alloc(0)
    let settled = false
    const finish = (error?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) {
        reject(error ?? new Error(`no response head; got ${JSON.stringify(buf.toString('latin1'))}`))
        return
      }
      const head = buf.subarray(0, end).toString('latin1')
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0)
      resolve({ status, head, body: buf.subarray(end + 4).toString('utf8') })
    }
    const timer = setTimeout(() => finish(new Error(`no response within ${timeoutMs} ms`)), timeoutMs)
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString('latin1'))?.[1]
      if (length !== undefined && buf.length >= end + 4 + Number(length)) finish()
    })
    socket.on('end', () => finish())
    socket.on('error', (e) => finish(e))
    socket.write(data)
  })
}

/** A request head (and body) as raw bytes, so malformed values reach the server as sent. */
function request(
  method: string,
  path: string,
  headers: readonly (readonly [string, string | Buffer])[],
  body?: string | Buffer,
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\n`, 'latin1')]
  for (const [name, value] of headers)
    parts.push(
      Buffer.from(`${name}: `, 'latin1'),
      Buffer.from(value as string, 'latin1'),
      Buffer.from('\r\n'),
    )
  const bytes = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')
  if (bytes !== undefined) parts.push(Buffer.from(`Content-Length: ${bytes.length}\r\n`))
  parts.push(Buffer.from('Connection: close\r\n\r\n'))
  if (bytes !== undefined) parts.push(bytes)
  return Buffer.concat(parts)
}

async function call(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; text: string }> {
  const init: RequestInit = { method, headers: { ...headers } }
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body)
    ;(init.headers as Record<string, string>)['content-type'] = 'application/json'
  }
  const res = await fetch(url, init)
  const text = await res.text()
  let parsed: Json = {}
  try {
    parsed = JSON.parse(text) as Json
  } catch {
    parsed = {}
  }
  return { status: res.status, body: parsed, text }
}

const errorCode = (body: Json): unknown => (body.error as Json | undefined)?.code ?? body.code

/** Busy-waits: stands for the CPU an explanation (TreeSHAP) takes on the event loop. */
function burn(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

/** A 10-feature model whose explanation costs 0.3 ms per row × feature, like a large tree ensemble. */
function heavyModel(): ServableModel {
  const features = Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, kind: 'numeric' as const }))
  return {
    name: 'heavy',
    version: 1,
    task: 'regression',
    features,
    predict: (rows) => rows.map(() => ({ prediction: 0 })),
    explain(row, top) {
      burn(0.3 * features.length)
      return features.map((f) => ({ feature: f.name, contribution: Number(row[f.name] ?? 0) })).slice(0, top)
    },
  }
}
const heavyRow = (): Json => Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`f${i}`, i]))

/**
 * Polls /health from a worker thread (its own event loop, so a stalled server loop cannot also
 * stall the timer that sends the pings) while `work` runs; resolves with work's result and the
 * slowest /health answer.
 */
async function healthDuring<T>(
  base: string,
  work: () => Promise<T>,
): Promise<{ result: T; worstMs: number }> {
  const pinger = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads')
    let worst = 0
    let stop = false
    parentPort.on('message', () => { stop = true })
    ;(async () => {
      parentPort.postMessage({ started: true })
      while (!stop) {
        const t = performance.now()
        const res = await fetch(workerData + '/health')
        await res.text()
        worst = Math.max(worst, performance.now() - t)
        await new Promise((r) => setTimeout(r, 5))
      }
      parentPort.postMessage({ worst })
    })()`,
    { eval: true, workerData: base },
  )
  const messages: { started?: boolean; worst?: number }[] = []
  const next = () =>
    new Promise<{ started?: boolean; worst?: number }>((resolve, reject) => {
      const queued = messages.shift()
      if (queued !== undefined) return resolve(queued)
      pinger.once('message', resolve)
      pinger.once('error', reject)
    })
  try {
    await next() // started
    // Let a few pings go out before the work starts.
    await new Promise((r) => setTimeout(r, 50))
    const result = await work()
    pinger.postMessage('stop')
    const { worst } = await next()
    return { result, worstMs: worst ?? Number.NaN }
  } finally {
    await pinger.terminate()
  }
}

async function startServer(options: {
  tokens: boolean
  fastPath?: boolean
  rag?: Json
  explainBudget?: number
  failingSource?: boolean
}): Promise<{ server: KeelServer; base: string }> {
  const source = createMemoryModelSource([fakeModel({ version: 1 }), heavyModel()])
  source.setAlias('churn', 'production', 1)
  const failing = {
    ...source,
    resolve: source.resolve.bind(source),
    aliasesOf: source.aliasesOf?.bind(source),
    async load(name: string, version: number) {
      if (name === 'broken')
        throw new Error("ENOENT: no such file or directory, open '/srv/keel-secret/artifacts/broken.bin'")
      return source.load(name, version)
    },
  }
  if (options.failingSource === true) source.add(fakeModel({ name: 'broken' }))
  const dbDir = mkdtempSync(join(home, 'db-'))
  const server = await createServer({
    source: options.failingSource === true ? failing : source,
    config: {
      models: ['churn@production', 'heavy', ...(options.failingSource === true ? ['broken'] : [])],
      fastPath: options.fastPath ?? true,
      monitor: { enabled: false, dashboard: true },
      predictionLog: { flushIntervalMs: 20 },
      ...(options.rag === undefined ? {} : { rag: options.rag }),
      ...(options.explainBudget === undefined ? {} : { explainBudget: options.explainBudget }),
    },
    db: `sqlite:${join(dbDir, 'keel.db')}`,
    ...(options.tokens ? { apiToken: API, adminToken: ADMIN } : { apiToken: '', adminToken: '' }),
    logger: false,
  })
  if (options.failingSource !== true) await server.waitUntilReady()
  else await server.waitUntilReady(2_000).catch(() => undefined)
  return { server, base: await server.listen(0) }
}

describe('serving security', () => {
  let open: { server: KeelServer; base: string }
  let locked: { server: KeelServer; base: string }
  let lockedSlow: { server: KeelServer; base: string }

  before(async () => {
    // A small collection for the RAG route.
    const docs = join(home, 'docs')
    mkdirSync(docs, { recursive: true })
    writeFileSync(
      join(docs, 'rollback.md'),
      '# Rollback\n\nMove the production alias back to roll back a model.\n',
    )
    const collection = await RagCollection.open('docs', { create: true })
    await collection.ingest([docs])
    await collection.close()

    open = await startServer({ tokens: false, explainBudget: 200 })
    locked = await startServer({ tokens: true, rag: { collection: 'docs' } })
    lockedSlow = await startServer({ tokens: true, fastPath: false, rag: { collection: 'docs' } })
  })
  after(async () => {
    await open?.server.close()
    await locked?.server.close()
    await lockedSlow?.server.close()
    rmSync(home, { recursive: true, force: true })
  })

  describe('RAG route', () => {
    test('is off unless the config turns it on', async () => {
      assert.equal(ragCollectionOf(parseServeConfig({})), undefined)
      assert.equal(ragCollectionOf(parseServeConfig({ rag: { enabled: true } })), 'default')
      assert.equal(ragCollectionOf(parseServeConfig({ rag: { collection: 'docs' } })), 'docs')
      assert.equal(
        ragCollectionOf(parseServeConfig({ rag: { collection: 'docs', enabled: false } })),
        undefined,
      )
      const res = await call(`${open.base}/v1/rag/query`, 'POST', { question: 'How do I roll back?' })
      assert.equal(res.status, 404)
      assert.equal(errorCode(res.body), 'SERVE_NOT_FOUND')
    })

    for (const which of ['fast path on', 'fast path off'] as const) {
      test(`needs the API token (${which})`, async () => {
        const { base } = which === 'fast path on' ? locked : lockedSlow
        const url = `${base}/v1/rag/query`
        const none = await call(url, 'POST', { question: 'How do I roll back?' })
        assert.equal(none.status, 401, none.text)
        assert.doesNotMatch(none.text, /Rollback|production alias/)
        const wrong = await call(url, 'POST', { question: 'x' }, { authorization: 'Bearer nope' })
        assert.equal(wrong.status, 401)
        // The token is checked before the body: no schema errors for a client without it.
        const invalid = await call(url, 'POST', { nope: 1 })
        assert.equal(invalid.status, 401)
        assert.doesNotMatch(invalid.text, /question|problems/)
        const ok = await call(
          url,
          'POST',
          { question: 'How do I roll back?' },
          { authorization: `Bearer ${API}` },
        )
        assert.equal(ok.status, 200, ok.text)
        assert.match(ok.text, /rollback\.md/)
      })
    }

    test('an unknown collection is a 404 that names no filesystem path', async () => {
      const res = await call(
        `${locked.base}/v1/rag/query`,
        'POST',
        { question: 'x', collection: 'nosuch' },
        { authorization: `Bearer ${API}` },
      )
      assert.equal(res.status, 404)
      assert.equal(res.body.code, 'RAG_COLLECTION_NOT_FOUND')
      assert.match(res.text, /nosuch/)
      assert.ok(!res.text.includes(home), res.text)
      assert.doesNotMatch(res.text, /\/tmp\/|\/rag\b|"root"/)
    })
  })

  describe('the token is checked before the body', () => {
    for (const which of ['fast path on', 'fast path off'] as const) {
      test(`a request without the token gets 401 before its body arrives (${which})`, async () => {
        const { base } = which === 'fast path on' ? locked : lockedSlow
        // Head only: a server that waited for (and parsed) the body would not answer at all.
        const head = (path: string) =>
          `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n{"rows": [`
        for (const path of [
          '/v1/models/churn/predict',
          '/v1/models/churn/predict?explain=true',
          '/v1/feedback',
          '/v1/rag/query',
          '/v1/admin/experiments',
          '/v1/monitor/check',
        ]) {
          const reply = await raw(base, head(path))
          assert.equal(reply.status, 401, `${path}: ${reply.head}\n${reply.body}`)
          assert.doesNotMatch(reply.body, /problems/)
        }
      })

      test(`invalid bodies without the token get 401, not the schema's errors (${which})`, async () => {
        const { base } = which === 'fast path on' ? locked : lockedSlow
        const cases: [string, string, unknown][] = [
          ['POST', '/v1/models/churn/predict', { rows: 'not an array' }],
          ['POST', '/v1/models/churn/predict', { features: fakeRow({ age: 'old' }) }],
          ['POST', '/v1/models/churn/predict?explain=true&top=1000', { rows: [] }],
          ['POST', '/v1/feedback', { items: 'x' }],
          ['POST', '/v1/admin/experiments', { id: 1 }],
          ['PUT', '/v1/admin/experiments/x', { nope: true }],
          ['POST', '/v1/monitor/check', { model: 5 }],
          ['GET', '/v1/monitor/drift?limit=0', undefined],
          ['GET', '/v1/models/churn', undefined],
          ['GET', '/v1/admin/experiments/x/report?goal=sideways', undefined],
        ]
        for (const [method, path, body] of cases) {
          const res = await call(`${base}${path}`, method, body)
          assert.equal(res.status, 401, `${method} ${path}: ${res.text}`)
          assert.doesNotMatch(res.text, /problems|INVALID_BODY/, `${method} ${path}`)
        }
        // With the token the same predict body gets its 400.
        const authed = await call(
          `${base}/v1/models/churn/predict`,
          'POST',
          { rows: 'not an array' },
          {
            authorization: `Bearer ${API}`,
          },
        )
        assert.equal(authed.status, 400)
      })
    }
  })

  describe('dashboard and monitoring API access', () => {
    test('no token configured: only local clients whose Host names localhost', async () => {
      const port = new URL(open.base).port
      const get = (host: string, extra: [string, string][] = []) =>
        raw(open.base, request('GET', '/v1/monitor/alerts', [['Host', host], ...extra]))
      for (const host of [
        `localhost:${port}`,
        `127.0.0.1:${port}`,
        'localhost',
        `[::1]:${port}`,
        `LOCALHOST:${port}`,
      ])
        assert.equal((await get(host)).status, 200, host)
      // DNS rebinding: the browser sends the attacker's name as Host.
      for (const host of [
        `evil.example:${port}`,
        'evil.example',
        `127.0.0.1.evil.example:${port}`,
        `localhost.evil:${port}`,
      ])
        assert.equal((await get(host)).status, 403, host)
      // A reverse proxy on this host: the peer is loopback, the visitor is not.
      assert.equal((await get(`localhost:${port}`, [['X-Forwarded-For', '203.0.113.9']])).status, 403)
      const page = await raw(open.base, request('GET', '/', [['Host', 'evil.example']]))
      assert.equal(page.status, 403)
      assert.doesNotMatch(page.body, /uPlot/)
    })

    test('a token configured: the admin token is needed even on loopback', async () => {
      const url = `${locked.base}/v1/monitor/alerts`
      assert.equal((await call(url, 'GET')).status, 401)
      assert.equal((await call(url, 'GET', undefined, { authorization: `Bearer ${API}` })).status, 401)
      assert.equal((await call(url, 'GET', undefined, { authorization: `Bearer ${ADMIN}` })).status, 200)
      assert.equal((await call(url, 'GET', undefined, { cookie: `keel_admin_token=${ADMIN}` })).status, 200)
      const page = await fetch(`${locked.base}/`)
      assert.equal(page.status, 401)
      assert.doesNotMatch(await page.text(), /uPlot/)
      const signedIn = await fetch(`${locked.base}/`, { headers: { cookie: `keel_admin_token=${ADMIN}` } })
      assert.equal(signedIn.status, 200)
    })
  })

  describe('no header or cookie gets a 500', () => {
    test('a malformed dashboard cookie is a 401 (403 without an admin token)', async () => {
      const bad = ['keel_admin_token=%E0%A4%A', 'keel_admin_token=%', 'a=1; keel_admin_token=%zz']
      for (const cookie of bad) {
        const check = await call(`${locked.base}/v1/monitor/check`, 'POST', {}, { cookie })
        assert.equal(check.status, 401, `${cookie}: ${check.text}`)
        for (const path of ['/v1/monitor/alerts', '/']) {
          const res = await fetch(`${locked.base}${path}`, { headers: { cookie } })
          assert.equal(res.status, 401, `${cookie} on ${path}`)
          // A remote client of a server without tokens: refused, not a 500.
          const remote = await open.server.app.inject({
            method: 'GET',
            url: path,
            headers: { cookie },
            remoteAddress: '10.1.2.3',
          })
          assert.equal(remote.statusCode, 403, `${cookie} on ${path} from a remote client`)
        }
      }
    })

    const LATIN1 = Buffer.from([0x66, 0xe9, 0xff, 0x80])
    const probes: [string, [string, string | Buffer][]][] = [
      ['authorization without a token', [['Authorization', 'Bearer']]],
      ['authorization basic', [['Authorization', 'Basic Zm9vOmJhcg==']]],
      ['authorization with spaces', [['Authorization', 'Bearer a b c']]],
      ['authorization 8 KB', [['Authorization', `Bearer ${'x'.repeat(8000)}`]]],
      ['authorization non-UTF-8', [['Authorization', Buffer.concat([Buffer.from('Bearer '), LATIN1])]]],
      ['cookie non-UTF-8', [['Cookie', Buffer.concat([Buffer.from('keel_admin_token='), LATIN1])]]],
      ['cookie bad escape', [['Cookie', 'keel_admin_token=%E0%A4%A']]],
      ['request key 10 KB', [['x-keel-request-key', 'k'.repeat(10_000)]]],
      ['request key non-UTF-8', [['x-keel-request-key', LATIN1]]],
      ['request key empty', [['x-keel-request-key', '']]],
      ['request id non-UTF-8', [['x-request-id', LATIN1]]],
      ['request id 8 KB', [['x-request-id', 'r'.repeat(8000)]]],
      ['huge header', [['x-filler', 'y'.repeat(20_000)]]],
      ['accept xml', [['Accept', 'application/xml']]],
      ['accept garbage', [['Accept', ';;q=zz, */*;q=-1']]],
      ['accept-encoding garbage', [['Accept-Encoding', 'gzip;q=zz, ;;']]],
      ['content-type text', [['Content-Type', 'text/plain']]],
      ['content-type latin1 charset', [['Content-Type', 'application/json; charset=latin1']]],
      ['content-type broken', [['Content-Type', 'application/json;;; =']]],
      ['content-type multipart', [['Content-Type', 'multipart/form-data']]],
      ['content-type non-UTF-8', [['Content-Type', LATIN1]]],
    ]
    const targets: [string, string, (token: boolean) => string | Buffer | undefined][] = [
      ['POST', '/v1/models/churn/predict', () => JSON.stringify({ features: fakeRow() })],
      ['POST', '/v1/feedback', () => JSON.stringify({ predictionId: 'x', outcome: 1 })],
      ['GET', '/v1/monitor/alerts', () => undefined],
      ['POST', '/v1/rag/query', () => JSON.stringify({ question: 'roll back' })],
    ]
    for (const which of ['open', 'locked, fast path on', 'locked, fast path off'] as const) {
      test(`header probes get 2xx/4xx, never 5xx (${which})`, async () => {
        const { base } = which === 'open' ? open : which === 'locked, fast path on' ? locked : lockedSlow
        const token = which !== 'open'
        for (const [label, headers] of probes)
          for (const [method, path, body] of targets) {
            const named = new Set(headers.map(([n]) => n.toLowerCase()))
            const all: [string, string | Buffer][] = [['Host', 'localhost'], ...headers]
            if (!named.has('content-type') && body(token) !== undefined)
              all.push(['Content-Type', 'application/json'])
            if (token && !named.has('authorization'))
              all.push(['Authorization', `Bearer ${path.includes('monitor') ? ADMIN : API}`])
            const reply = await raw(base, request(method, path, all, body(token)))
            assert.ok(
              reply.status >= 200 && reply.status < 500,
              `${label} → ${method} ${path}: ${reply.status}\n${reply.body.slice(0, 300)}`,
            )
          }
        // Non-UTF-8 bytes in the body and malformed framing too.
        const predict = '/v1/models/churn/predict'
        const auth: [string, string][] = token ? [['Authorization', `Bearer ${API}`]] : []
        const bodies: Buffer[] = [
          Buffer.concat([Buffer.from('{"features": {"plan": "'), LATIN1, Buffer.from('"}}')]),
          Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]),
          Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
        ]
        for (const b of bodies) {
          const reply = await raw(
            base,
            request(
              'POST',
              predict,
              [['Host', 'localhost'], ['Content-Type', 'application/json'], ...auth],
              b,
            ),
          )
          assert.ok(
            reply.status >= 400 && reply.status < 500,
            `${b.toString('hex')}: ${reply.status} ${reply.body}`,
          )
        }
        for (const length of ['abc', '-1', '1, 2'])
          assert.ok(
            (
              await raw(
                base,
                `POST ${predict} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{}`,
              )
            ).status < 500,
          )
      })
    }
  })

  describe('explanation work is bounded per request', () => {
    test('over the budget: 422 naming the limit, and /health stays responsive', async (t) => {
      const url = `${open.base}/v1/models/heavy/predict?explain=true&top=100`
      const rows = Array.from({ length: 1000 }, heavyRow)
      const { result, worstMs } = await healthDuring(open.base, () => call(url, 'POST', { rows }))
      t.diagnostic(`1000 rows: status ${result.status}, worst /health ${worstMs.toFixed(0)} ms`)
      assert.equal(result.status, 422, result.text.slice(0, 300))
      assert.equal(errorCode(result.body), 'SERVE_EXPLAIN_TOO_LARGE')
      assert.match(String((result.body.error as Json).message), /explainBudget of 200\b/)
      assert.match(String((result.body.error as Json).message), /1000 row\(s\) × 10 feature\(s\)/)
      // Without the budget this request spends ~3 s of CPU on the event loop.
      assert.ok(worstMs < 2_000, `/health took ${worstMs.toFixed(0)} ms`)
    })

    test('within the budget: explained, and /health stays responsive', async (t) => {
      const url = `${open.base}/v1/models/heavy/predict?explain=true&top=100`
      const rows = Array.from({ length: 20 }, heavyRow)
      const { result, worstMs } = await healthDuring(open.base, () => call(url, 'POST', { rows }))
      t.diagnostic(`20 rows: status ${result.status}, worst /health ${worstMs.toFixed(0)} ms`)
      assert.equal(result.status, 200, result.text.slice(0, 300))
      const predictions = result.body.predictions as { explanation: unknown[] }[]
      assert.equal(predictions.length, 20)
      // `top` above the feature count gives every feature once.
      assert.equal(predictions[0]!.explanation.length, 10)
      assert.ok(worstMs < 2_000, `/health took ${worstMs.toFixed(0)} ms`)
      // One row more is over the budget.
      const over = await call(url, 'POST', { rows: Array.from({ length: 21 }, heavyRow) })
      assert.equal(over.status, 422)
    })

    test('the default budget applies without config', () => {
      const config = parseServeConfig({})
      assert.ok(config.explainBudget >= 500 && config.explainBudget <= 5000, String(config.explainBudget))
    })
  })

  describe('no filesystem paths in replies', () => {
    test('a model that fails to load: /ready and /v1/models name no path', async () => {
      const s = await startServer({ tokens: false, failingSource: true })
      try {
        const deadline = Date.now() + 20_000
        let ready = await call(`${s.base}/ready`, 'GET')
        while (!ready.text.includes('ENOENT') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 50))
          ready = await call(`${s.base}/ready`, 'GET')
        }
        assert.equal(ready.status, 503)
        assert.match(ready.text, /ENOENT/)
        assert.doesNotMatch(ready.text, /keel-secret|\/srv\//)
        const info = await call(`${s.base}/v1/models/broken`, 'GET')
        assert.match(info.text, /ENOENT/)
        assert.doesNotMatch(info.text, /keel-secret|\/srv\//)
      } finally {
        await s.server.close()
      }
    })
  })
})
