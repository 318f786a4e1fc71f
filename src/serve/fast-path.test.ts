import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { createServer, type KeelServer } from './app.js'
import { createMemoryModelSource } from './memory-source.js'
import { fakeModel, fakeRow } from './testing.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Parses `count` HTTP/1.1 responses (Content-Length framed) from the start of `data`. */
function parseResponses(data: Buffer, count: number): RawResponse[] | undefined {
  const out: RawResponse[] = []
  let at = 0
  while (out.length < count) {
    const headEnd = data.indexOf('\r\n\r\n', at)
    if (headEnd < 0) return undefined
    const lines = data.toString('latin1', at, headEnd).split('\r\n')
    const headers: Record<string, string> = {}
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
    }
    const length = Number(headers['content-length'] ?? 0)
    if (data.length < headEnd + 4 + length) return undefined
    out.push({
      status: Number(lines[0]!.split(' ')[1]),
      headers,
      body: data.toString('utf8', headEnd + 4, headEnd + 4 + length),
    })
    at = headEnd + 4 + length
  }
  return out
}

/**
 * Writes `parts` on one connection (pausing `gapMs` between them) and reads `count` responses.
 * Resolves with them and whether the server closed the connection afterwards.
 */
function exchange(
  port: number,
  parts: readonly (string | Buffer)[],
  count: number,
  gapMs = 0,
): Promise<{ responses: RawResponse[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let data = Buffer.alloc(0)
    let responses: RawResponse[] | undefined
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`timed out; got ${JSON.stringify(data.toString('latin1'))}`))
    }, 5000)
    const settle = (closed: boolean): void => {
      clearTimeout(timer)
      if (responses === undefined) reject(new Error(`closed early: ${data.toString('latin1')}`))
      else resolve({ responses, closed })
    }
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk])
      responses ??= parseResponses(data, count)
      // Give a Connection: close answer the time to close before resolving.
      if (responses !== undefined)
        setTimeout(() => {
          if (!socket.destroyed) {
            socket.destroy()
            settle(false)
          }
        }, 50)
    })
    socket.on('close', () => settle(true))
    socket.on('error', reject)
    void (async () => {
      for (let i = 0; i < parts.length; i++) {
        if (i > 0 && gapMs > 0) await new Promise((r) => setTimeout(r, gapMs))
        socket.write(parts[i]!)
      }
    })()
  })
}

function request(path: string, body: string, extra: Record<string, string> = {}, method = 'POST'): string {
  const headers: Record<string, string> = {
    host: '127.0.0.1',
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(body)),
    ...extra,
  }
  const head = Object.entries(headers)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')
  return `${method} ${path} HTTP/1.1\r\n${head}\r\n\r\n${body}`
}

const PREDICT = '/v1/models/churn/predict'
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g

/** A response with its ids and Date masked, for comparing two servers' answers. */
function comparable(r: RawResponse): { status: number; headers: Record<string, string>; body: string } {
  const { date: _date, ...headers } = r.headers
  return { status: r.status, headers, body: r.body.replace(UUID, '<id>') }
}

async function fastCounts(server: KeelServer): Promise<{ answered: number; handedOff: number }> {
  const values = (await server.metrics.fastPath.get()).values
  const of = (outcome: string): number => values.find((v) => v.labels.outcome === outcome)?.value ?? 0
  return { answered: of('answered'), handedOff: of('handed_off') }
}

describe('predict fast path', () => {
  let fast: KeelServer
  let slow: KeelServer
  let fastPort: number
  let slowPort: number

  /** A listening server over the fake model (bodies up to 4000 bytes, batches up to 20 rows). */
  const make = async (
    options: { fastPath?: boolean; apiToken?: string; delayMs?: number } = {},
  ): Promise<{ server: KeelServer; port: number }> => {
    const server = await createServer({
      source: createMemoryModelSource([
        fakeModel(options.delayMs === undefined ? {} : { delayMs: options.delayMs }),
      ]),
      config: {
        models: ['churn'],
        pollIntervalMs: 0,
        bodyLimitBytes: 4000,
        maxBatchRows: 20,
        fastPath: options.fastPath ?? true,
      },
      db: false,
      logger: false,
      ...(options.apiToken === undefined ? {} : { apiToken: options.apiToken }),
    })
    await server.waitUntilReady()
    return { server, port: Number(new URL(await server.listen(0)).port) }
  }

  before(async () => {
    ;({ server: fast, port: fastPort } = await make())
    ;({ server: slow, port: slowPort } = await make({ fastPath: false }))
  })
  after(async () => {
    await fast.close()
    await slow.close()
  })

  /** The same requests on one connection to each server: the answers must match. */
  const sameAnswers = async (parts: readonly string[], count: number): Promise<RawResponse[]> => {
    const a = await exchange(fastPort, parts, count)
    const b = await exchange(slowPort, parts, count)
    assert.deepEqual(a.responses.map(comparable), b.responses.map(comparable))
    return a.responses
  }

  test('answers plain predict requests itself, with the bytes Fastify sends', async () => {
    const before = await fastCounts(fast)
    const bodies = [
      JSON.stringify({ features: fakeRow() }),
      JSON.stringify({ rows: [fakeRow(), fakeRow({ age: 70, plan: 'pro' })] }),
      JSON.stringify({ features: fakeRow({ age: 'old' }) }), // 422 from the model's validation
      JSON.stringify({ features: fakeRow(), rows: [fakeRow()] }), // 400: both envelopes
      JSON.stringify({ features: fakeRow(), requestKey: 'user-1' }),
    ]
    const responses = await sameAnswers(
      bodies.map((b) => request(PREDICT, b)),
      bodies.length,
    )
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 422, 400, 200],
    )
    assert.equal(responses[0]!.headers['content-type'], 'application/json; charset=utf-8')
    assert.equal(responses[0]!.headers.connection, 'keep-alive')
    // An unknown model is the handler's 404, also answered here.
    const [missing] = await sameAnswers([request('/v1/models/nope/predict', bodies[0]!)], 1)
    assert.equal(missing!.status, 404)
    const afterCounts = await fastCounts(fast)
    assert.equal(afterCounts.answered - before.answered, bodies.length + 1)
    assert.equal(afterCounts.handedOff - before.handedOff, 0)
  })

  test('hands everything else to Fastify, which answers it as it would have', async () => {
    const row = JSON.stringify({ features: fakeRow() })
    const cases: [string, number][] = [
      [request(PREDICT, '{"features": {"age": 1'), 400], // bad JSON
      [request(PREDICT, '{"features": {"__proto__": {"x": 1}}}'), 400], // poisoning
      [request(PREDICT, '{"features": [1, 2]}'), 400], // schema: not an object
      [request(PREDICT, '{"rows": []}'), 400], // schema: no rows
      [request(PREDICT, JSON.stringify({ rows: Array(21).fill(fakeRow()) })), 400], // over maxBatchRows
      [request(PREDICT, JSON.stringify({ features: fakeRow(), requestKey: 7 })), 200], // coerced to "7"
      [request(`${PREDICT}?explain=true&top=2`, row), 200],
      [request(PREDICT, row, { 'content-type': 'text/plain' }), 400], // a string body fails the schema
      [request(PREDICT, row, { 'content-type': 'application/xml' }), 415],
      [request(PREDICT, JSON.stringify({ rows: Array(19).fill(fakeRow({ note: 'x'.repeat(300) })) })), 413],
      [request(PREDICT, '', { 'content-length': '' }), 400], // no body
      [request(PREDICT, row, { 'x-dup': 'a', 'X-Dup': 'b' }), 200], // duplicate header
      [request('/v1/models/churn/predict/', row), 404],
      [request('/health', '', { 'content-length': '' }, 'GET'), 200],
    ]
    for (const [raw, status] of cases) {
      const before = await fastCounts(fast)
      const [response] = await sameAnswers([raw], 1)
      assert.equal(response!.status, status, raw.slice(0, 120))
      const afterCounts = await fastCounts(fast)
      assert.equal(afterCounts.handedOff - before.handedOff, 1, raw.slice(0, 120))
      assert.equal(afterCounts.answered, before.answered, raw.slice(0, 120))
    }
    // Chunked framing is Node's to decode.
    const chunked = `POST ${PREDICT} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n${row.length.toString(16)}\r\n${row}\r\n0\r\n\r\n`
    const [response] = await sameAnswers([chunked], 1)
    assert.equal(response!.status, 200)
  })

  test('a connection keeps its order across the handoff, pipelined or not', async () => {
    const body = JSON.stringify({ features: fakeRow() })
    const parts = [
      request(PREDICT, body),
      request('/health', '', { 'content-length': '' }, 'GET'),
      request(PREDICT, JSON.stringify({ features: fakeRow({ age: 80 }) })),
    ]
    for (const pipelined of [true, false]) {
      const before = await fastCounts(fast)
      const { responses } = await exchange(
        fastPort,
        pipelined ? [parts.join('')] : parts,
        3,
        pipelined ? 0 : 30,
      )
      assert.deepEqual(
        responses.map((r) => r.status),
        [200, 200, 200],
      )
      assert.equal(JSON.parse(responses[1]!.body).status, 'ok')
      const probs = responses.map(
        (r) => (JSON.parse(r.body) as { probabilities?: { yes: number } }).probabilities,
      )
      assert.ok(probs[2]!.yes > probs[0]!.yes, 'the third answer is the third request')
      const afterCounts = await fastCounts(fast)
      assert.equal(afterCounts.answered - before.answered, 1)
      assert.equal(afterCounts.handedOff - before.handedOff, 1)
    }
  })

  test('a body split across packets is waited for; a head split across packets goes to Fastify', async () => {
    const raw = request(PREDICT, JSON.stringify({ rows: [fakeRow(), fakeRow({ age: 30 })] }))
    const headEnd = raw.indexOf('\r\n\r\n') + 4
    let before = await fastCounts(fast)
    const split = await exchange(fastPort, [raw.slice(0, headEnd + 10), raw.slice(headEnd + 10)], 1, 40)
    assert.equal(split.responses[0]!.status, 200)
    let afterCounts = await fastCounts(fast)
    assert.deepEqual(afterCounts, { answered: before.answered + 1, handedOff: before.handedOff })

    // A body in many small pieces.
    before = afterCounts
    const pieces = [raw.slice(0, headEnd)]
    for (let at = headEnd; at < raw.length; at += 7) pieces.push(raw.slice(at, at + 7))
    const trickled = await exchange(fastPort, pieces, 1, 1)
    assert.equal(trickled.responses[0]!.status, 200)
    afterCounts = await fastCounts(fast)
    assert.deepEqual(afterCounts, { answered: before.answered + 1, handedOff: before.handedOff })

    before = afterCounts
    const head = await exchange(fastPort, [raw.slice(0, 30), raw.slice(30)], 1, 40)
    assert.equal(head.responses[0]!.status, 200)
    assert.equal((JSON.parse(head.responses[0]!.body) as { predictions: unknown[] }).predictions.length, 2)
    afterCounts = await fastCounts(fast)
    assert.deepEqual(afterCounts, { answered: before.answered, handedOff: before.handedOff + 1 })
  })

  test('Connection: close is honoured', async () => {
    const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }), { connection: 'close' })
    const { responses, closed } = await exchange(fastPort, [raw], 1)
    assert.equal(responses[0]!.status, 200)
    assert.equal(responses[0]!.headers.connection, 'close')
    assert.equal(closed, true)
  })

  test('with an API token: wrong or missing tokens get Fastify 401s, the right one is answered here', async () => {
    const { server: guarded, port } = await make({ apiToken: 'sesame' })
    try {
      const body = JSON.stringify({ features: fakeRow() })
      for (const auth of ['', 'Bearer wrong']) {
        const { responses } = await exchange(port, [request(PREDICT, body, { authorization: auth })], 1)
        assert.equal(responses[0]!.status, 401)
        assert.equal(JSON.parse(responses[0]!.body).error.code, 'SERVE_UNAUTHORIZED')
      }
      const before = await fastCounts(guarded)
      const { responses } = await exchange(
        port,
        [request(PREDICT, body, { authorization: 'Bearer sesame' })],
        1,
      )
      assert.equal(responses[0]!.status, 200)
      assert.equal((await fastCounts(guarded)).answered - before.answered, 1)
    } finally {
      await guarded.close()
    }
  })

  test('requests pipelined behind a slow answer wait their turn and keep their order', async () => {
    const { server, port } = await make({ delayMs: 40 })
    try {
      const ages = [20, 50, 80, 35]
      const raw = ages.map((age) => request(PREDICT, JSON.stringify({ features: fakeRow({ age }) })))
      // The first request alone, the others while it is being answered, one byte at a time.
      const rest = raw.slice(1).join('')
      const { responses } = await exchange(port, [raw[0]!, ...rest.split('')], ages.length)
      const yes = responses.map(
        (r) => (JSON.parse(r.body) as { probabilities: { yes: number } }).probabilities.yes,
      )
      const expected = ages.map((age) => 1 / (1 + Math.exp(-(0.03 * (age - 40) - 0.05 * 3 + 0.5 - 0.3))))
      for (let i = 0; i < ages.length; i++) assert.ok(Math.abs(yes[i]! - expected[i]!) < 1e-12, `answer ${i}`)
      assert.equal((await fastCounts(server)).answered, ages.length)
    } finally {
      await server.close()
    }
  })

  test('close() ends idle keep-alive connections at once and lets a busy one finish', async () => {
    const { server, port } = await make({ delayMs: 300 })
    const idle = connect(port, '127.0.0.1')
    const idleClosed = new Promise<void>((resolve) => idle.on('close', () => resolve()))
    idle.on('error', () => undefined)
    await new Promise((r) => idle.once('connect', r))
    const body = JSON.stringify({ features: fakeRow() })
    const busy = exchange(port, [request(PREDICT, body)], 1)
    await new Promise((r) => setTimeout(r, 100))
    const started = Date.now()
    await server.close()
    await idleClosed
    const { responses, closed } = await busy
    assert.equal(responses[0]!.status, 200)
    assert.equal(responses[0]!.headers.connection, 'close')
    assert.equal(closed, true)
    assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`)
  })
})
