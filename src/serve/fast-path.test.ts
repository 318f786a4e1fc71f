import assert from 'node:assert/strict'
import { createServer as createHttpServer } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { fakeModel, fakeRow } from '../../test/helpers/serve-fixtures.js'
import { createServer, type KeelServer } from './app.js'
import { attachFastPath, type FastPath, type FastPathOptions } from './fast-path.js'
import { createMemoryModelSource } from './memory-source.js'

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
      // The route's validator coerces it to "7"; the fast path runs that same validator.
      JSON.stringify({ features: fakeRow(), requestKey: 7 }),
    ]
    const responses = await sameAnswers(
      bodies.map((b) => request(PREDICT, b)),
      bodies.length,
    )
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200, 422, 400, 200, 200],
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
      [request(PREDICT, JSON.stringify({ features: fakeRow(), requestKey: 'k'.repeat(201) })), 400],
      [request(`${PREDICT}?explain=true&top=2`, row), 200],
      [request(PREDICT, row, { 'content-type': 'text/plain' }), 400], // a string body fails the schema
      [request(PREDICT, row, { 'content-type': 'application/xml' }), 415],
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

  test('a body or a predict head split across packets is waited for; another head goes to Fastify', async () => {
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

    // A predict head in pieces (mid request line, mid header, between CR and LF) is waited for.
    for (const cut of [5, 30, raw.indexOf('\r\n') + 1, headEnd - 1]) {
      before = afterCounts
      const head = await exchange(fastPort, [raw.slice(0, cut), raw.slice(cut)], 1, 40)
      assert.equal(head.responses[0]!.status, 200)
      assert.equal((JSON.parse(head.responses[0]!.body) as { predictions: unknown[] }).predictions.length, 2)
      afterCounts = await fastCounts(fast)
      assert.deepEqual(
        afterCounts,
        { answered: before.answered + 1, handedOff: before.handedOff },
        `cut ${cut}`,
      )
    }

    // A head that can no longer be a predict request goes to Node's parser at once, whole or not.
    for (const first of [
      'GET /hea',
      'POST /v1/models/churn/predict?x',
      'POST /v1/models/churn/predict HTTP/1.1\n',
    ]) {
      before = afterCounts
      const socket = connect(fastPort, '127.0.0.1')
      socket.on('error', () => undefined)
      await new Promise((r) => socket.once('connect', r))
      socket.write(first)
      const deadline = Date.now() + 5000
      while ((await fastCounts(fast)).handedOff === before.handedOff && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10))
      socket.destroy()
      afterCounts = await fastCounts(fast)
      assert.equal(afterCounts.handedOff, before.handedOff + 1, first)
    }
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

/** What one raw connection saw: the bytes, and when (ms after connecting) the server closed it. */
interface RawOutcome {
  data: string
  closedAfterMs: number | undefined
  writeError: string | undefined
}

/**
 * Connects, then runs `script` (writes, pauses, half-close) and waits up to `waitMs` for the server
 * to close the connection.
 */
async function rawSession(
  port: number,
  script: (socket: Socket, sleep: (ms: number) => Promise<void>, closed: () => boolean) => Promise<void>,
  waitMs = 8000,
  allowHalfOpen = false,
): Promise<RawOutcome> {
  // allowHalfOpen: keep sending after the server's FIN, as blocking clients (urllib, requests) do.
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen })
  const started = Date.now()
  const outcome: RawOutcome = { data: '', closedAfterMs: undefined, writeError: undefined }
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      outcome.closedAfterMs ??= Date.now() - started
      resolve()
    }),
  )
  socket.on('data', (chunk: Buffer) => {
    outcome.data += chunk.toString('latin1')
  })
  socket.on('error', (error: NodeJS.ErrnoException) => {
    outcome.writeError ??= error.code ?? error.message
  })
  await new Promise((r) => socket.once('connect', r))
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
  await script(socket, sleep, () => outcome.closedAfterMs !== undefined)
  await Promise.race([closed, sleep(waitMs)])
  socket.destroy()
  return outcome
}

/** Writes and resolves once the data is handed to the kernel (how a blocking client sends). */
function writeAll(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())))
}

const TIMEOUT_408 =
  /^HTTP\/1\.1 408 Request Timeout\r\n[\s\S]*\{"error":"Request Timeout","message":"Client Timeout","statusCode":408\}$/
const BAD_400 =
  /HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\{"error":"Bad Request","message":"Client Error","statusCode":400\}$/

describe('predict fast path: limits', () => {
  const HEADERS_MS = 400
  const REQUEST_MS = 1000
  let server: KeelServer
  let port: number
  const longName = `m${'x'.repeat(149)}`

  /** A listening server; `timeouts` short so that the deadlines can be watched. */
  const make = async (fastPath: boolean, delayMs?: number): Promise<{ server: KeelServer; port: number }> => {
    const s = await createServer({
      source: createMemoryModelSource([
        fakeModel(delayMs === undefined ? {} : { delayMs }),
        fakeModel({ name: longName }),
      ]),
      config: {
        models: ['churn', longName],
        pollIntervalMs: 0,
        bodyLimitBytes: 4000,
        fastPath,
        timeouts: { headersMs: HEADERS_MS, requestMs: REQUEST_MS },
      },
      db: false,
      logger: false,
    })
    await s.waitUntilReady()
    return { server: s, port: Number(new URL(await s.listen(0)).port) }
  }

  before(async () => {
    ;({ server, port } = await make(true))
  })
  after(async () => {
    await server.close()
  })

  test('model names up to 200 characters are served on both paths alike; longer ones get 414 on both', async () => {
    const { server: slow, port: slowPort } = await make(false)
    try {
      const body = JSON.stringify({ features: fakeRow() })
      const cases: [string, number][] = [
        [longName, 200], // a served 150-character name
        [`n${'y'.repeat(149)}`, 404], // an unknown one (the fast path said 404, Fastify 414)
        ['z'.repeat(200), 404],
        ['z'.repeat(201), 414],
      ]
      for (const [name, status] of cases) {
        const raw = request(`/v1/models/${name}/predict`, body)
        const before = await fastCounts(server)
        const a = await exchange(port, [raw], 1)
        const b = await exchange(slowPort, [raw], 1)
        assert.deepEqual(a.responses.map(comparable), b.responses.map(comparable), `name of ${name.length}`)
        assert.equal(a.responses[0]!.status, status, `name of ${name.length}`)
        const after = await fastCounts(server)
        // Names within the route's limit are answered here; longer ones are Fastify's.
        assert.equal(after.answered - before.answered, name.length <= 200 ? 1 : 0, `name of ${name.length}`)
      }
    } finally {
      await slow.close()
    }
  })

  test('a connection that sends nothing, or a head trickled or stalled, gets 408 at the head deadline', async () => {
    const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }))
    const headEnd = raw.indexOf('\r\n\r\n') + 4
    const before = await fastCounts(server)
    const scripts: [string, Parameters<typeof rawSession>[1]][] = [
      ['nothing', async () => undefined],
      [
        'head trickled',
        async (socket, sleep, closed) => {
          for (let i = 0; i < headEnd && !closed(); i++) {
            socket.write(raw[i]!)
            await sleep(25)
          }
        },
      ],
      ['head stalled', async (socket) => void socket.write(raw.slice(0, 40))],
    ]
    for (const [label, script] of scripts) {
      const outcome = await rawSession(port, script)
      assert.match(outcome.data, TIMEOUT_408, label)
      assert.ok(outcome.closedAfterMs !== undefined, `${label}: still open`)
      assert.ok(
        outcome.closedAfterMs >= HEADERS_MS - 50,
        `${label}: closed after ${outcome.closedAfterMs} ms`,
      )
      assert.ok(
        outcome.closedAfterMs < HEADERS_MS + 2000,
        `${label}: closed after ${outcome.closedAfterMs} ms`,
      )
    }
    // The front itself kept and timed them out (Node's parser never saw them).
    assert.equal((await fastCounts(server)).handedOff, before.handedOff)
  })

  test('a body trickled or stalled gets 408 at the request deadline', async () => {
    const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }))
    const headEnd = raw.indexOf('\r\n\r\n') + 4
    const scripts: [string, Parameters<typeof rawSession>[1]][] = [
      ['body stalled', async (socket) => void socket.write(raw.slice(0, headEnd + 10))],
      [
        'body trickled',
        async (socket, sleep, closed) => {
          socket.write(raw.slice(0, headEnd))
          for (let i = headEnd; i < raw.length && !closed(); i++) {
            socket.write(raw[i]!)
            await sleep(25)
          }
        },
      ],
    ]
    for (const [label, script] of scripts) {
      const outcome = await rawSession(port, script)
      assert.match(outcome.data, TIMEOUT_408, label)
      assert.ok(outcome.closedAfterMs !== undefined, `${label}: still open`)
      assert.ok(
        outcome.closedAfterMs >= REQUEST_MS - 50,
        `${label}: closed after ${outcome.closedAfterMs} ms`,
      )
      assert.ok(
        outcome.closedAfterMs < REQUEST_MS + 2000,
        `${label}: closed after ${outcome.closedAfterMs} ms`,
      )
    }
  })

  test('a keep-alive connection idle between requests is not held to the head deadline', async () => {
    const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }))
    const { responses } = await exchange(port, [raw, raw], 2, HEADERS_MS + 300)
    assert.deepEqual(
      responses.map((r) => r.status),
      [200, 200],
    )
  })

  test('a client that half-closes in the middle of a request gets 400 at once', async () => {
    const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }))
    const headEnd = raw.indexOf('\r\n\r\n') + 4
    for (const cut of [headEnd + 5, 30]) {
      const outcome = await rawSession(port, async (socket) => {
        socket.end(raw.slice(0, cut))
      })
      assert.match(outcome.data, BAD_400, `cut at ${cut}`)
      assert.ok(
        outcome.closedAfterMs !== undefined && outcome.closedAfterMs < HEADERS_MS,
        `cut at ${cut}: closed after ${outcome.closedAfterMs} ms`,
      )
    }
  })

  test('a half-close behind a request being answered: it is answered, then the rest is dealt with', async () => {
    const { server: slowModel, port: slowModelPort } = await make(true, 150)
    try {
      const raw = request(PREDICT, JSON.stringify({ features: fakeRow() }))
      const health = 'GET /health HTTP/1.1\r\nhost: x\r\n\r\n'
      // The half-close arrives while the first answer is computed; the second request then goes to
      // Node's http server with the end of the stream (Node drops requests behind a half-close, as
      // it does without the front), and the connection closes.
      const handedOff = await rawSession(slowModelPort, async (socket) => {
        socket.end(raw + health)
      })
      assert.match(handedOff.data, /^HTTP\/1\.1 200 OK\r\n/)
      assert.ok(handedOff.closedAfterMs !== undefined && handedOff.closedAfterMs < 3000, 'closed')
      // A cut-short request behind it gets 400 after the first answer.
      const cut = await rawSession(slowModelPort, async (socket) => {
        socket.end(raw + raw.slice(0, raw.length - 5))
      })
      assert.match(cut.data, /^HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 400 Bad Request/)
      assert.ok(
        cut.closedAfterMs !== undefined && cut.closedAfterMs < HEADERS_MS + 150,
        `${cut.closedAfterMs} ms`,
      )
    } finally {
      await slowModel.close()
    }
  })

  test('a body over the limit gets 413 before it is read, and a client still sending reads it', async () => {
    const { server: slow, port: slowPort } = await make(false)
    try {
      // Small enough to be sent at once: the same answer as Fastify's.
      const over = request(
        PREDICT,
        JSON.stringify({ rows: Array(19).fill(fakeRow({ note: 'x'.repeat(300) })) }),
      )
      const before = await fastCounts(server)
      const a = await exchange(port, [over], 1)
      const b = await exchange(slowPort, [over], 1)
      assert.deepEqual(a.responses.map(comparable), b.responses.map(comparable))
      assert.equal(a.responses[0]!.status, 413)
      assert.equal(JSON.parse(a.responses[0]!.body).error.code, 'SERVE_BODY_TOO_LARGE')
      assert.equal((await fastCounts(server)).answered - before.answered, 1)
    } finally {
      await slow.close()
    }
    // A client that sends the whole of a large body before it reads (as urllib and requests do),
    // then closes.
    const size = 512 * 1024
    const outcome = await rawSession(
      port,
      async (socket, sleep) => {
        await writeAll(
          socket,
          `POST ${PREDICT} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
        )
        const chunk = Buffer.alloc(16 * 1024, 0x20)
        for (let sent = 0; sent < size; sent += chunk.length) {
          await writeAll(socket, chunk)
          await sleep(1)
        }
        socket.end()
      },
      8000,
      true,
    )
    assert.equal(outcome.writeError, undefined)
    assert.match(outcome.data, /^HTTP\/1\.1 413 Payload Too Large\r\n/)
    assert.match(outcome.data, /"code":"SERVE_BODY_TOO_LARGE"/)
    assert.ok(outcome.closedAfterMs !== undefined, 'closed after the body')
  })
})

describe('attachFastPath', () => {
  /** A bare http server with the front attached (tiny limits, so bounds can be watched). */
  const bare = async (
    extra: Partial<FastPathOptions> = {},
  ): Promise<{ front: FastPath; port: number; close: () => Promise<void> }> => {
    const http = createHttpServer((_req, res) => res.end('fastify'))
    const front = attachFastPath(http, {
      bodyLimit: 100,
      handler: () => ({ status: 200, body: '{}' }),
      onError: () => undefined,
      tooLarge: () => ({ status: 413, body: '{"error":"too large"}' }),
      lingerBytes: 64 * 1024,
      lingerMs: 600,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 5000,
      ...extra,
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    const port = (http.address() as AddressInfo).port
    return {
      front,
      port,
      close: () =>
        new Promise<void>((r) => {
          front.destroyAll()
          http.closeAllConnections()
          http.close(() => r())
        }),
    }
  }
  const head = (length: number): string =>
    `POST ${PREDICT} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${length}\r\n\r\n`

  test('the lingering close after a 413 is bounded in bytes and in time', async () => {
    const { front, port, close } = await bare()
    /** Ms from `since` until the front has let go of every connection. */
    const released = async (since: number): Promise<number> => {
      while (front.connections > 0 && Date.now() - since < 8000) await new Promise((r) => setTimeout(r, 5))
      return Date.now() - since
    }
    try {
      // Sends far more than lingerBytes (64 KiB of a declared 100 MB): cut off once they are read.
      let started = Date.now()
      let sent = 0
      const flood = await rawSession(
        port,
        async (socket, sleep, closed) => {
          socket.write(head(100_000_000))
          const chunk = Buffer.alloc(16 * 1024, 0x20)
          for (let i = 0; i < 300 && !closed() && !socket.destroyed; i++) {
            socket.write(chunk)
            sent += chunk.length
            await sleep(2)
          }
        },
        3000,
        true,
      )
      assert.match(flood.data, /^HTTP\/1\.1 413 /)
      assert.ok(flood.closedAfterMs !== undefined, 'the flood was cut off')
      assert.ok(sent < 300 * 16 * 1024, `sent ${sent} bytes`)
      assert.ok((await released(started)) < 3000)
      // Sends nothing after the head: let go of after lingerMs.
      started = Date.now()
      const stalled = rawSession(port, async (socket) => void socket.write(head(100_000)), 3000, true)
      await new Promise((r) => setTimeout(r, 50))
      const heldMs = await released(started)
      assert.ok(heldMs >= 550 && heldMs < 2500, `stalled: held ${heldMs} ms`)
      assert.match((await stalled).data, /^HTTP\/1\.1 413 /)
    } finally {
      await close()
    }
  })

  test('destroyAll() ends every connection on the front, busy or mid-request', async () => {
    let release: () => void = () => undefined
    const { front, port, close } = await bare({
      handler: () => new Promise((resolve) => (release = () => resolve({ status: 200, body: '{}' }))),
    })
    try {
      const busy = rawSession(port, async (socket) => void socket.write(`${head(2)}{}`))
      const partial = rawSession(port, async (socket) => void socket.write(`${head(10)}{}`))
      const deadline = Date.now() + 5000
      while (front.connections < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
      assert.equal(front.connections, 2)
      assert.equal(front.destroyAll(), 2)
      const [a, b] = await Promise.all([busy, partial])
      assert.ok(a.closedAfterMs !== undefined && b.closedAfterMs !== undefined)
      assert.equal(a.data, '')
      assert.equal(front.connections, 0)
      release()
    } finally {
      await close()
    }
  })
})
