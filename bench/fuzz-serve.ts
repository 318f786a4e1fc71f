/**
 * HTTP fuzzer for the prediction server: malformed requests (random bodies, headers and framing:
 * random bytes, truncated heads, bad Content-Length, chunked garbage, oversized headers, pipelined
 * mixes, half-closes, stalls) against a real listening server, with the predict fast path on or off.
 * Every case is one connection; the server must answer it with no 5xx, not crash, and not hold the
 * connection past its limits: closed within `finHoldLimitMs` of the client's half-close, or, for a
 * client that stalls mid-request, within the request limit (the linger limit after a 413) plus slack.
 *
 * Seeded and reproducible: case i is drawn from its own generator (seed, i), so `--only i` replays it.
 *
 * Run: node --import tsx bench/fuzz-serve.ts [--count 10000] [--seed 1] [--path both|fast|fastify]
 *   [--concurrency 32] [--only i] [--verbose] [--db sqlite:PATH|postgres://URL (default: a temporary SQLite file)]
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Rng } from '../src/core/index.js'
import { createMemoryModelSource, createServer } from '../src/serve/index.js'
import { fakeModel, fakeRow } from '../test/helpers/serve-fixtures.js'

/** Options of `fuzzServe`. */
export interface FuzzOptions {
  /** Cases (connections) to run; each sends one or more requests. */
  readonly count: number
  readonly seed: number
  readonly fastPath: boolean
  /** Cases in flight at once (default 32). */
  readonly concurrency?: number
  /** Server limits (small, so stalled cases end quickly). */
  readonly headersMs?: number
  readonly requestMs?: number
  /** Longest a connection may stay open after the client's half-close (default 5000 ms). */
  readonly finHoldLimitMs?: number
  /** Added to the server's limit for stalled cases (default 3000 ms: check intervals, a loaded host). */
  readonly slackMs?: number
  /**
   * Database of the prediction log and feedback: a `sqlite:` or `postgres://` URL (default: a SQLite
   * file in a temporary folder).
   */
  readonly db?: string
  /** Run only these case indices (replay). */
  readonly only?: readonly number[]
  /** Called per finished case. */
  readonly onCase?: (result: CaseResult) => void
}

/** What one case did and got. */
export interface CaseResult {
  readonly index: number
  readonly kind: string
  readonly statuses: readonly number[]
  /** Bytes after the last complete response that do not parse as one. */
  readonly unparsed: boolean
  /** Ms the connection stayed open after the client finished (half-close, or start of the stall). */
  readonly holdMs: number
  readonly stalled: boolean
  /** The hold was over its limit (or the connection never closed). */
  readonly heldTooLong: boolean
  /** First bytes sent, for the report. */
  readonly sample: string
}

/** The figures of a run. */
export interface FuzzReport {
  readonly fastPath: boolean
  readonly cases: number
  /** Responses parsed, over all cases (pipelined cases have several). */
  readonly responses: number
  /** Status → count; `none`: cases closed without any response. */
  readonly statuses: Readonly<Record<string, number>>
  readonly serverErrors: number
  /** Uncaught exceptions and unhandled rejections in the process while the run lasted. */
  readonly crashes: number
  readonly heldTooLong: number
  readonly maxHoldAfterFinMs: number
  readonly maxHoldStalledMs: number
  /** The server still answered GET /health after the run. */
  readonly healthyAfter: boolean
  /** Up to 10 cases with a 5xx or an over-long hold, to replay with `only`. */
  readonly failures: readonly CaseResult[]
  readonly durationMs: number
}

const API_TOKEN = 'fuzz-token'
const BODY_LIMIT = 4096
const PREDICT = '/v1/models/churn/predict'
/** The fast path's linger after a 413 is bounded by this (the server default). */
const LINGER_MS = 10_000

type Piece = Buffer | { pause: number }

interface Case {
  readonly kind: string
  readonly pieces: Piece[]
  /** false: half-close after the last piece; true: stall (send nothing more, keep the connection). */
  readonly stall: boolean
}

function pick<T>(r: Rng, items: readonly T[]): T {
  return items[r.int(items.length)]!
}

function chance(r: Rng, p: number): boolean {
  return r.next() < p
}

const PRINTABLE =
  ' !"#$%&\'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~'

function randomText(r: Rng, n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += PRINTABLE[r.int(PRINTABLE.length)]
  return s
}

function randomBytes(r: Rng, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = r.int(256)
  return b
}

/** A random JSON value's text (sometimes deep, long, odd numbers, escapes, poison keys). */
function jsonValue(r: Rng, depth: number): string {
  const k = r.int(depth > 4 ? 6 : 9)
  switch (k) {
    case 0:
      return pick(r, ['null', 'true', 'false'])
    case 1:
      return pick(r, ['0', '-1', '1e400', '-0', '3.14', '1e-400', '12345678901234567890', '42'])
    case 2:
      return JSON.stringify(randomText(r, r.int(12)))
    case 3:
      return pick(r, ['"\\u0000"', '"\\ud800"', '"é"', '"\\"\\\\"', '"\\u005f_proto__"', '"NaN"', '"inf"'])
    case 4:
      return pick(r, ['"basic"', '"pro"', '"eu"', '"2024-01-02T03:04:05Z"', '"not a date"'])
    case 5:
      return String(r.int(200) - 50)
    case 6: {
      const n = r.int(4)
      return `[${Array.from({ length: n }, () => jsonValue(r, depth + 1)).join(',')}]`
    }
    default: {
      const keys = [
        'age',
        'tenure',
        'plan',
        'region',
        'active',
        'signup',
        'features',
        'rows',
        'requestKey',
        '__proto__',
        'constructor',
        'x',
      ]
      const n = r.int(5)
      const parts = Array.from(
        { length: n },
        () => `${JSON.stringify(pick(r, keys))}:${jsonValue(r, depth + 1)}`,
      )
      return `{${parts.join(',')}}`
    }
  }
}

/** A valid-ish row: fake features, some values swapped for odd ones. */
function row(r: Rng): Record<string, unknown> {
  const base = fakeRow()
  if (chance(r, 0.5)) return base
  const key = pick(r, [...Object.keys(base), 'extra'])
  return { ...base, [key]: JSON.parse(pick(r, ['null', '"x"', '1e308', '-5', 'true', '[1]', '{}', '"pro"'])) }
}

/** A predict body: valid, schema-breaking, unparseable, huge or binary. */
function body(r: Rng): string | Buffer {
  switch (r.int(12)) {
    case 0:
    case 1:
    case 2:
      return JSON.stringify({ features: row(r) })
    case 3:
      return JSON.stringify({ rows: Array.from({ length: 1 + r.int(25) }, () => row(r)) })
    case 4:
      return jsonValue(r, 0)
    case 5: {
      const text = JSON.stringify({ features: row(r) })
      const at = r.int(text.length)
      return text.slice(0, at) + randomText(r, r.int(4)) + text.slice(at + r.int(3))
    }
    case 6:
      return randomBytes(r, 1 + r.int(200))
    case 7:
      return `${'['.repeat(500 + r.int(3000))}${']'.repeat(r.int(3000))}`
    case 8:
      return JSON.stringify({
        features: row(r),
        requestKey: pick(r, [7, 'k'.repeat(r.int(400)), null, [], {}]),
      })
    case 9:
      return `\ufeff${JSON.stringify({ features: row(r) })}`
    case 10:
      return JSON.stringify({ features: { ...row(r), note: 'x'.repeat(r.int(6000)) } })
    default:
      return Buffer.concat([
        Buffer.from('{"features":{"plan":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        Buffer.from('"}}'),
      ])
  }
}

type Headers = [string, string][]

function predictHeaders(r: Rng, length: number): Headers {
  const h: Headers = [
    ['host', '127.0.0.1'],
    ['content-type', 'application/json'],
    ['content-length', String(length)],
  ]
  if (!chance(r, 0.1)) h.push(['authorization', `Bearer ${API_TOKEN}`])
  return h
}

function serialize(requestLine: string, headers: Headers, payload: string | Buffer): Buffer {
  const head = `${requestLine}\r\n${headers.map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`
  return Buffer.concat([
    Buffer.from(head, 'latin1'),
    Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  ])
}

/** A well-framed predict request with a random body. */
function predictRequest(r: Rng): Buffer {
  const b = body(r)
  return serialize(`POST ${PREDICT} HTTP/1.1`, predictHeaders(r, Buffer.byteLength(b)), b)
}

/** A predict request whose headers are mangled. */
function headerCase(r: Rng): Buffer {
  const b = JSON.stringify({ features: row(r) })
  const h = predictHeaders(r, Buffer.byteLength(b))
  const mutations = 1 + r.int(3)
  for (let m = 0; m < mutations; m++) {
    switch (r.int(16)) {
      case 0:
        h.push(['x-junk', randomText(r, r.int(60))])
        break
      case 1:
        h.push([randomText(r, 1 + r.int(10)), randomText(r, r.int(10))])
        break
      case 2:
        h.push(['x-big', 'a'.repeat(r.int(20_000))])
        break
      case 3:
        for (let i = 0, n = r.int(3000); i < n; i++) h.push([`x-h${i}`, 'v'])
        break
      case 4:
        h.push(['host', 'other'])
        break
      case 5:
        h.splice(0, 1)
        break
      case 6:
        h[1] = [
          'content-type',
          pick(r, [
            'application/json; charset=latin1',
            'text/plain',
            'application/json;',
            'multipart/form-data; boundary=x',
            'application/jsonx',
            ' application/json',
            'APPLICATION/JSON; CHARSET="UTF-8"',
            '',
          ]),
        ]
        break
      case 7:
        h.push(['expect', pick(r, ['100-continue', 'nonsense'])])
        break
      case 8:
        h.push(['connection', pick(r, ['close', 'upgrade', 'keep-alive, upgrade', 'Close', 'junk'])])
        break
      case 9:
        h.push(['transfer-encoding', pick(r, ['gzip', 'chunked, gzip', 'identity', 'chunked'])])
        break
      case 10:
        h.push(['x-obs', 'a\r\n folded'])
        break
      case 11:
        h.push(['x-ctl', `a${String.fromCharCode(r.int(32))}b`])
        break
      case 12:
        h.push(['x-latin1', 'caf\u00e9 \u00ff'])
        break
      case 13:
        h.push([
          'authorization',
          pick(r, [
            'Bearer',
            'Bearer  x',
            'Basic Zm9vOmJhcg==',
            `Bearer ${'x'.repeat(5000)}`,
            'bearer fuzz-token',
            '\u00ff',
          ]),
        ])
        break
      case 14:
        h.push(['x-request-id', pick(r, ['', 'a'.repeat(2000), '../../etc', '\u00e9\u00e9'])])
        break
      default:
        h.push(['x-keel-request-key', pick(r, ['', 'k'.repeat(5000), 'a,b', '\u00e9'])])
    }
  }
  if (chance(r, 0.2)) r.shuffle(h)
  return serialize(`POST ${PREDICT} HTTP/1.1`, h, b)
}

/** A predict request whose Content-Length is wrong or odd. */
function contentLengthCase(r: Rng): Buffer {
  const b = JSON.stringify({ features: row(r) })
  const n = Buffer.byteLength(b)
  const h = predictHeaders(r, n)
  const value = pick(r, [
    '-1',
    '0x10',
    ` ${n} `,
    `${n},${n}`,
    `${n}, ${n + 1}`,
    '99999999999999999999',
    String(n - 1 - r.int(Math.max(1, n - 1))),
    String(n + 1 + r.int(50)),
    String(BODY_LIMIT + 1 + r.int(100_000_000)),
    '',
    'abc',
    '1e3',
    '+5',
  ])
  h[2] = ['content-length', value]
  if (chance(r, 0.2)) h.push(['content-length', String(n)])
  if (chance(r, 0.15)) h.push(['transfer-encoding', 'chunked'])
  return serialize(`POST ${PREDICT} HTTP/1.1`, h, b)
}

/** A chunked predict request with broken framing. */
function chunkedCase(r: Rng): Buffer {
  const b = JSON.stringify({ features: row(r) })
  const h: Headers = [
    ['host', 'x'],
    ['content-type', 'application/json'],
    ['transfer-encoding', 'chunked'],
    ['authorization', `Bearer ${API_TOKEN}`],
  ]
  let chunks = ''
  let at = 0
  while (at < b.length) {
    const n = 1 + r.int(40)
    const part = b.slice(at, at + n)
    at += n
    const size = chance(r, 0.15)
      ? pick(r, [
          'zz',
          '-1',
          'ffffffffffffffff',
          '',
          ' 5',
          `${part.length.toString(16)};ext=${randomText(r, 5)}`,
        ])
      : part.length.toString(16)
    chunks += `${size}\r\n${part}${chance(r, 0.05) ? '' : '\r\n'}`
  }
  chunks += pick(r, [
    '0\r\n\r\n',
    '0\r\n',
    '0\r\nx-trailer: 1\r\n\r\n',
    '',
    'garbage',
    `${'1'.repeat(20)}\r\n`,
  ])
  return serialize(`POST ${PREDICT} HTTP/1.1`, h, chunks)
}

/** An odd request line (method, target, version). */
function requestLineCase(r: Rng): Buffer {
  const method = pick(r, [
    'GET',
    'PUT',
    'DELETE',
    'OPTIONS',
    'HEAD',
    'PATCH',
    'post',
    'POST ',
    'PRI',
    'CONNECT',
    randomText(r, 3),
  ])
  const target = pick(r, [
    PREDICT,
    `${PREDICT}?explain=true&top=${pick(r, ['1', '0', '1000', 'x', '-1'])}`,
    `/v1/models/${'n'.repeat(r.int(400))}/predict`,
    '/v1/models/%zz/predict',
    '/v1/models/ch%75rn/predict',
    '//v1/models/churn/predict',
    'http://127.0.0.1/v1/models/churn/predict',
    '*',
    `/${randomText(r, r.int(40)).replace(/ /g, '')}`,
    '/v1/models/churn/predict#x',
    '/v1/models/../predict',
    '/v1/models/churn/predict/',
  ])
  const version = pick(r, ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1 ', 'http/1.1', 'HTTP/1', ''])
  const b = body(r)
  return serialize(`${method} ${target} ${version}`, predictHeaders(r, Buffer.byteLength(b)), b)
}

/** Bytes that are not HTTP at all. */
function garbageCase(r: Rng): Buffer {
  switch (r.int(4)) {
    case 0:
      return randomBytes(r, 1 + r.int(3000))
    case 1:
      return Buffer.from(randomText(r, 1 + r.int(500)))
    case 2:
      return Buffer.from('\r\n'.repeat(1 + r.int(20)))
    default:
      return Buffer.from(`POST ${PREDICT}${randomText(r, r.int(30))}`)
  }
}

/** Another route, with junk. */
function otherRouteCase(r: Rng): Buffer {
  const [method, path] = pick(r, [
    ['POST', '/v1/feedback'],
    ['GET', '/v1/models'],
    ['GET', '/v1/models/churn'],
    ['POST', '/v1/admin/reload'],
    ['POST', '/v1/admin/experiments'],
    ['GET', '/health'],
    ['GET', '/ready'],
    ['GET', '/metrics'],
    ['GET', '/openapi.json'],
    ['POST', '/v1/rag/query'],
  ] as const)
  const b = method === 'GET' ? '' : jsonValue(r, 0)
  const h = predictHeaders(r, Buffer.byteLength(b))
  if (chance(r, 0.3)) h.push(['cookie', pick(r, ['keel_admin_token=%E0%A4%A', 'a=b; ;;', '=='])])
  return serialize(`${method} ${path} HTTP/1.1`, h, b)
}

const KINDS: readonly [string, number, (r: Rng) => Buffer][] = [
  ['valid', 8, predictRequest],
  ['body', 18, predictRequest],
  ['headers', 16, headerCase],
  ['content-length', 10, contentLengthCase],
  ['chunked', 8, chunkedCase],
  ['request-line', 10, requestLineCase],
  ['garbage', 6, garbageCase],
  ['other-route', 6, otherRouteCase],
]
const FRAMED_KINDS = KINDS.filter(([kind]) => kind !== 'content-length' && kind !== 'garbage')

/** Splits bytes into 1-4 writes with short pauses (heads and bodies split across packets). */
function split(r: Rng, data: Buffer): Piece[] {
  const n = 1 + r.int(4)
  const cuts = Array.from({ length: n - 1 }, () => r.int(data.length + 1)).sort((a, b) => a - b)
  const pieces: Piece[] = []
  let at = 0
  for (const cut of [...cuts, data.length]) {
    if (cut > at) {
      pieces.push(data.subarray(at, cut))
      if (cut < data.length) pieces.push({ pause: r.int(6) })
    }
    at = cut
  }
  return pieces
}

/** Case i of a seed: its own generator, so any case replays alone. */
function makeCase(seed: number, index: number): Case {
  const r = new Rng((seed * 1_000_003 + index) >>> 0)
  const mode = r.int(100)
  if (mode < 8) {
    // Pipelined mixes: several requests of any kind in one stream.
    const n = 2 + r.int(4)
    const parts = Array.from({ length: n }, () => pickKind(r)[2](r))
    return { kind: 'pipelined', pieces: split(r, Buffer.concat(parts)), stall: false }
  }
  if (mode < 20) {
    // Truncated: a request cut anywhere (perhaps after a complete one), then a half-close or a stall.
    // Only kinds whose framing is right, so a cut request is never complete (a stalled client with
    // every request answered is an idle keep-alive connection, legitimately held).
    const full = pickKind(r, FRAMED_KINDS)[2](r)
    const cut = full.subarray(0, 1 + r.int(Math.max(1, full.length - 1)))
    const before = chance(r, 0.3) ? predictRequest(r) : Buffer.alloc(0)
    const stall = chance(r, 0.35)
    // A stalled head trickled in: a byte at a time for a while.
    if (stall && chance(r, 0.3)) {
      const pieces: Piece[] = [before]
      for (let i = 0; i < Math.min(cut.length, 40); i++) pieces.push(cut.subarray(i, i + 1), { pause: 20 })
      return { kind: 'trickled-stall', pieces, stall: true }
    }
    return {
      kind: stall ? 'truncated-stall' : 'truncated',
      pieces: split(r, Buffer.concat([before, cut])),
      stall,
    }
  }
  if (mode < 23) return { kind: 'garbage-stall', pieces: split(r, garbageCase(r)), stall: true }
  const [kind, , make] = pickKind(r)
  return { kind, pieces: split(r, make(r)), stall: false }
}

function pickKind(
  r: Rng,
  kinds: readonly (readonly [string, number, (r: Rng) => Buffer])[] = KINDS,
): readonly [string, number, (r: Rng) => Buffer] {
  let x = r.int(kinds.reduce((s, k) => s + k[1], 0))
  for (const k of kinds) {
    x -= k[1]
    if (x < 0) return k
  }
  return kinds[0]!
}

/**
 * Parses the HTTP responses at the start of `data` (Content-Length or chunked bodies): their
 * statuses, and whether bytes are left that do not form a complete response.
 */
export function parseResponses(data: Buffer): { statuses: number[]; unparsed: boolean } {
  const statuses: number[] = []
  let at = 0
  while (at < data.length) {
    const headEnd = data.indexOf('\r\n\r\n', at)
    if (headEnd < 0) break
    const lines = data.toString('latin1', at, headEnd).split('\r\n')
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)
    if (m === null) break
    let length = 0
    let chunked = false
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':')
      const key = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      if (key === 'content-length') length = Number(value)
      if (key === 'transfer-encoding' && /chunked/i.test(value)) chunked = true
    }
    let end = headEnd + 4
    if (chunked) {
      for (;;) {
        const lineEnd = data.indexOf('\r\n', end)
        if (lineEnd < 0) return { statuses, unparsed: true }
        const size = Number.parseInt(data.toString('latin1', end, lineEnd), 16)
        end = lineEnd + 2 + size + 2
        if (size === 0) break
      }
    } else end += length
    if (end > data.length) break
    statuses.push(Number(m[1]))
    at = end
  }
  return { statuses, unparsed: at < data.length }
}

/** Runs one case on a fresh connection. */
function runCase(
  port: number,
  index: number,
  c: Case,
  limits: { fin: number; stalled: number; lingered: number },
): Promise<CaseResult> {
  return new Promise((resolve) => {
    // allowHalfOpen: the client's half-close is its own choice, not a reaction to the server's.
    const socket: Socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const chunks: Buffer[] = []
    let finishedAt = 0
    let settled = false
    const settle = (closed: boolean): void => {
      if (settled) return
      settled = true
      clearTimeout(guard)
      socket.destroy()
      const holdMs = finishedAt === 0 ? 0 : Date.now() - finishedAt
      const { statuses, unparsed } = parseResponses(Buffer.concat(chunks))
      const limit = !c.stall ? limits.fin : statuses.includes(413) ? limits.lingered : limits.stalled
      const first = c.pieces.find((p): p is Buffer => Buffer.isBuffer(p))
      resolve({
        index,
        kind: c.kind,
        statuses,
        unparsed,
        holdMs,
        stalled: c.stall,
        heldTooLong: !closed || holdMs > limit,
        sample: (first ?? Buffer.alloc(0)).toString('latin1', 0, 120),
      })
    }
    // The client gives up well past any limit: that case counts as held too long.
    const guard = setTimeout(
      () => settle(false),
      Math.max(limits.fin, limits.stalled, limits.lingered) + 5000,
    )
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', () => undefined)
    // 'end': the server closed its side. A client that stalls may still hold its own side open.
    socket.on('end', () => settle(true))
    socket.on('close', () => settle(true))
    socket.once('connect', async () => {
      // For a stall, the server's clock starts at the connection (or the request's first byte).
      if (c.stall) finishedAt = Date.now()
      for (const piece of c.pieces) {
        if (socket.destroyed || settled) return
        if (Buffer.isBuffer(piece)) socket.write(piece)
        else if (piece.pause > 0) await new Promise((r) => setTimeout(r, piece.pause))
      }
      if (!c.stall && !socket.destroyed && !settled) {
        finishedAt = Date.now()
        socket.end()
      }
    })
  })
}

/** Runs the fuzzer against a fresh in-process server and returns its figures. */
export async function fuzzServe(options: FuzzOptions): Promise<FuzzReport> {
  const headersMs = options.headersMs ?? 1000
  const requestMs = options.requestMs ?? 2000
  const slack = options.slackMs ?? 3000
  const limits = {
    fin: options.finHoldLimitMs ?? 5000,
    stalled: requestMs + slack,
    lingered: LINGER_MS + slack,
  }
  let crashes = 0
  const onCrash = (error: unknown): void => {
    crashes++
    process.stderr.write(`fuzz: uncaught ${String((error as Error)?.stack ?? error)}\n`)
  }
  process.on('uncaughtException', onCrash)
  process.on('unhandledRejection', onCrash)
  const home = mkdtempSync(join(tmpdir(), 'keel-fuzz-'))
  const server = await createServer({
    source: createMemoryModelSource([fakeModel()]),
    config: {
      models: ['churn'],
      pollIntervalMs: 0,
      bodyLimitBytes: BODY_LIMIT,
      maxBatchRows: 20,
      fastPath: options.fastPath,
      timeouts: { headersMs, requestMs },
      // The monitoring routes load a lot of code at start and are not what this fuzzes.
      monitor: { enabled: false, dashboard: false },
    },
    // A database, so that feedback and the prediction log are fuzzed too (without one, feedback is a
    // deliberate 503).
    db: options.db ?? `sqlite:${join(home, 'fuzz.db')}`,
    apiToken: API_TOKEN,
    adminToken: 'fuzz-admin',
    logger: false,
  })
  const started = Date.now()
  const statuses: Record<string, number> = {}
  const failures: CaseResult[] = []
  let responses = 0
  let serverErrors = 0
  let heldTooLong = 0
  let maxFin = 0
  let maxStalled = 0
  let healthyAfter = false
  try {
    await server.waitUntilReady()
    const port = Number(new URL(await server.listen(0)).port)
    const indices = options.only ?? Array.from({ length: options.count }, (_, i) => i)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < indices.length) {
        const index = indices[next++]!
        const result = await runCase(port, index, makeCase(options.seed, index), limits)
        responses += result.statuses.length
        if (result.statuses.length === 0) statuses.none = (statuses.none ?? 0) + 1
        for (const s of result.statuses) statuses[s] = (statuses[s] ?? 0) + 1
        const bad = result.statuses.some((s) => s >= 500)
        if (bad) serverErrors += result.statuses.filter((s) => s >= 500).length
        if (result.heldTooLong) heldTooLong++
        if (result.stalled) maxStalled = Math.max(maxStalled, result.holdMs)
        else maxFin = Math.max(maxFin, result.holdMs)
        if ((bad || result.heldTooLong) && failures.length < 10) failures.push(result)
        options.onCase?.(result)
      }
    }
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker))
    const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
    healthyAfter = health?.status === 200
  } finally {
    await server.close()
    rmSync(home, { recursive: true, force: true })
    process.off('uncaughtException', onCrash)
    process.off('unhandledRejection', onCrash)
  }
  return {
    fastPath: options.fastPath,
    cases: options.only?.length ?? options.count,
    responses,
    statuses,
    serverErrors,
    crashes,
    heldTooLong,
    maxHoldAfterFinMs: maxFin,
    maxHoldStalledMs: maxStalled,
    healthyAfter,
    failures,
    durationMs: Date.now() - started,
  }
}

/** One report as text. */
export function formatFuzzReport(report: FuzzReport): string {
  const histogram = Object.entries(report.statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s}:${n}`)
    .join(' ')
  const lines = [
    `fast path ${report.fastPath ? 'on' : 'off'}: ${report.cases} connections, ${report.responses} responses in ${(report.durationMs / 1000).toFixed(1)} s`,
    `  statuses     ${histogram}`,
    `  5xx          ${report.serverErrors}`,
    `  crashes      ${report.crashes}`,
    `  held too long ${report.heldTooLong} (max hold after half-close ${report.maxHoldAfterFinMs} ms, stalled ${report.maxHoldStalledMs} ms)`,
    `  healthy after ${report.healthyAfter}`,
  ]
  for (const f of report.failures)
    lines.push(
      `  case ${f.index} (${f.kind}): ${f.statuses.join(',') || 'no response'}, held ${f.holdMs} ms: ${JSON.stringify(f.sample)}`,
    )
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      count: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      path: { type: 'string', default: 'both' },
      concurrency: { type: 'string', default: '32' },
      only: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      db: { type: 'string' },
    },
  })
  const paths = values.path === 'both' ? [true, false] : [values.path === 'fast']
  let failed = false
  for (const fastPath of paths) {
    const report = await fuzzServe({
      count: Number(values.count),
      seed: Number(values.seed),
      fastPath,
      concurrency: Number(values.concurrency),
      ...(values.db === undefined ? {} : { db: values.db }),
      ...(values.only === undefined ? {} : { only: values.only.split(',').map(Number) }),
      ...(values.verbose
        ? {
            onCase: (c: CaseResult) =>
              console.log(`${c.index} ${c.kind} ${c.statuses.join(',')} ${c.holdMs}ms`),
          }
        : {}),
    })
    console.log(formatFuzzReport(report))
    failed ||= report.serverErrors > 0 || report.crashes > 0 || report.heldTooLong > 0 || !report.healthyAfter
  }
  process.exit(failed ? 1 : 0)
}
