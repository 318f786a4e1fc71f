import type { Server } from 'node:http'
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'

/**
 * A lean HTTP/1.1 front for the hottest route, POST /v1/models/{name}/predict, in front of the
 * Fastify server on the same port.
 *
 * Why: on a 2-core machine under load, Node's http layer plus Fastify's request pipeline cost more
 * CPU per single-row prediction than validating, scoring and logging it. This front takes over a
 * connection's plain, unambiguous predict requests (Content-Length framing, JSON, no query string)
 * and answers them with the same handler code and the same response bytes as the Fastify route.
 *
 * Anything else (another route or method, chunked bodies, `Expect`, duplicate or malformed headers,
 * a head split across packets, an oversize body, a body the handler declines) hands the connection,
 * with every unconsumed byte, to Node's own http server, for good: Fastify then answers it exactly
 * as it would have from the start, errors included. A connection is never answered by both at once:
 * the handoff waits until this front has written its last response.
 */

/** One predict request as the front parsed it. */
export interface FastRequest {
  /** The `{name}` path segment (only unreserved URL characters, so no decoding applies). */
  readonly name: string
  /** Header name (lower case) → value; every header appears once (duplicates are handed off). */
  readonly headers: Readonly<Record<string, string>>
  /** The body, decoded as UTF-8. */
  readonly body: string
}

/** The answer: status and JSON body text. */
export interface FastReply {
  readonly status: number
  readonly body: string
}

/**
 * Answers a request, or returns undefined to hand it (and the connection) to the Fastify server,
 * which must then be free to answer it from scratch: decline before any side effect.
 */
export type FastHandler = (request: FastRequest) => Promise<FastReply | undefined> | FastReply | undefined

/** Options of `attachFastPath`. */
export interface FastPathOptions {
  /** Largest body taken here; larger ones go to Fastify (which answers 413 over its own limit). */
  readonly bodyLimit: number
  readonly handler: FastHandler
  /** Called for an error thrown by the handler (the client gets a 500 without details). */
  readonly onError: (error: unknown) => void
  /** Called per request answered here. */
  readonly onAnswered?: () => void
  /** Called per connection handed to Node's http server. */
  readonly onHandoff?: () => void
}

/** The attached front: close its connections on shutdown. */
export interface FastPath {
  /**
   * Shutdown: idle connections close now; busy ones close after their response; requests that
   * arrive meanwhile go to Fastify (which answers 503 while closing).
   */
  close(): void
}

const MAX_HEAD_BYTES = 16 * 1024
const MAX_HEADERS = 100
const REQUEST_LINE = /^POST \/v1\/models\/([A-Za-z0-9._~-]{1,200})\/predict HTTP\/1\.1$/
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const JSON_TYPE = /^application\/json(?:\s*;\s*charset="?utf-8"?)?$/i
const DIGITS = /^\d{1,15}$/
const CRLF2 = Buffer.from('\r\n\r\n')

let dateSecond = -1
let dateText = ''
/** The Date header value, formatted once per second. */
function httpDate(): string {
  const now = Date.now()
  const second = Math.floor(now / 1000)
  if (second !== dateSecond) {
    dateSecond = second
    dateText = new Date(now).toUTCString()
  }
  return dateText
}

/** Strips optional whitespace (spaces and tabs only, as Node's parser does) around a field value. */
function trimOws(value: string): string {
  let start = 0
  let end = value.length
  while (start < end && (value.charCodeAt(start) === 0x20 || value.charCodeAt(start) === 0x09)) start++
  while (end > start && (value.charCodeAt(end - 1) === 0x20 || value.charCodeAt(end - 1) === 0x09)) end--
  return start === 0 && end === value.length ? value : value.slice(start, end)
}

/** Control characters other than tab are not allowed in a field value (RFC 9110 5.5). */
function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true
  }
  return false
}

interface ParsedHead {
  readonly name: string
  readonly headers: Record<string, string>
  readonly bodyStart: number
  readonly bodyLength: number
  readonly close: boolean
}

/** Parses a request head, or returns undefined when the request is not one this front takes. */
function parseHead(buf: Buffer, headEnd: number, bodyLimit: number): ParsedHead | undefined {
  const head = buf.toString('latin1', 0, headEnd)
  const lines = head.split('\r\n')
  const m = REQUEST_LINE.exec(lines[0]!)
  if (m === null || lines.length - 1 > MAX_HEADERS) return undefined
  const headers: Record<string, string> = Object.create(null) as Record<string, string>
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    const key = line.slice(0, colon)
    if (!HEADER_NAME.test(key)) return undefined
    const value = trimOws(line.slice(colon + 1))
    if (hasControlCharacter(value)) return undefined
    const name = key.toLowerCase()
    if (headers[name] !== undefined) return undefined
    headers[name] = value
  }
  if (
    headers.host === undefined ||
    headers['transfer-encoding'] !== undefined ||
    headers.expect !== undefined ||
    headers.upgrade !== undefined
  )
    return undefined
  const type = headers['content-type']
  const length = headers['content-length']
  if (type === undefined || !JSON_TYPE.test(type) || length === undefined || !DIGITS.test(length))
    return undefined
  const bodyLength = Number(length)
  if (bodyLength === 0 || bodyLength > bodyLimit) return undefined
  const connection = headers.connection?.toLowerCase()
  if (connection?.includes('upgrade')) return undefined
  return {
    name: m[1]!,
    headers,
    bodyStart: headEnd + 4,
    bodyLength,
    close: connection !== undefined && /(?:^|,)\s*close\s*(?:,|$)/.test(connection),
  }
}

/** `keepAlive`: the connection header lines of a response that keeps the connection open. */
function response(status: number, body: string, close: boolean, keepAlive: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `Date: ${httpDate()}\r\n` +
    (close ? 'Connection: close\r\n\r\n' : keepAlive) +
    body
  )
}

const INTERNAL_ERROR = JSON.stringify({
  error: { code: 'SERVE_INTERNAL', message: 'Internal server error; retry, and report it if it persists.' },
})

/**
 * Puts the predict front in front of `server` (Fastify's `app.server`, before it listens): every
 * accepted connection starts here and moves to the server's own connection handling at the first
 * request this front does not take.
 */
export function attachFastPath(server: Server, options: FastPathOptions): FastPath {
  // Node's http connection handling (and anything else listening for connections), called on handoff.
  const httpListeners = server.listeners('connection') as ((socket: Socket) => void)[]
  server.removeAllListeners('connection')
  const open = new Set<Connection>()
  let closing = false
  // Idle connections time out as Node's would, and the header says so in Node's words.
  const keepAliveMs = server.keepAliveTimeout
  const keepAlive =
    keepAliveMs > 0
      ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`
      : 'Connection: keep-alive\r\n\r\n'

  class Connection {
    private buf: Buffer | undefined
    /** Chunks of a body still arriving, joined once `need` bytes are in (not once per chunk). */
    private pending: Buffer[] = []
    private pendingBytes = 0
    private need = 0
    private busy = false
    private pausedWhileBusy = false
    private done = false
    private readonly onData = (chunk: Buffer): void => {
      if (this.buf === undefined && this.pending.length === 0) this.buf = chunk
      else {
        this.pending.push(chunk)
        this.pendingBytes += chunk.length
      }
      if (this.busy) {
        // A client pipelining while its request is answered: hold at most one more request's worth.
        if (this.pendingBytes > options.bodyLimit + MAX_HEAD_BYTES) {
          this.socket.pause()
          this.pausedWhileBusy = true
        }
        return
      }
      if (this.buf !== undefined && this.buf.length + this.pendingBytes < this.need) return
      this.pump()
    }
    private readonly onTimeout = (): void => {
      // Idle (or a body stalled) for the keep-alive timeout. A request still being answered keeps
      // its connection: the answer's write restarts the clock.
      if (!this.busy) this.socket.destroy()
    }
    // The client will send nothing more: what is complete gets answered (answer() ends the socket
    // after the last one); with nothing left, close our side now.
    private readonly onEnd = (): void => this.closeIfIdle()
    private readonly onClose = (): void => {
      this.done = true
      open.delete(this)
    }

    constructor(readonly socket: Socket) {
      open.add(this)
      socket.on('data', this.onData)
      socket.on('end', this.onEnd)
      socket.on('close', this.onClose)
      // Errors (resets) end in 'close'; without a listener they would be thrown.
      socket.on('error', noop)
      socket.setTimeout(keepAliveMs, this.onTimeout)
    }

    get idle(): boolean {
      return !this.busy && this.buf === undefined && this.pending.length === 0
    }

    closeIfIdle(): void {
      if (this.idle) this.socket.end()
    }

    /** Answers every complete request in the buffer, one at a time and in order. */
    private pump(): void {
      this.joinPending()
      while (!this.done && this.buf !== undefined && !this.busy) {
        const buf = this.buf
        const headEnd = buf.indexOf(CRLF2)
        if (closing || headEnd < 0 || headEnd > MAX_HEAD_BYTES) {
          // A head split across packets also goes to Node's parser, which has the timeouts that
          // guard against slow senders.
          this.handoff()
          return
        }
        const head = parseHead(buf, headEnd, options.bodyLimit)
        if (head === undefined) {
          this.handoff()
          return
        }
        const end = head.bodyStart + head.bodyLength
        if (buf.length < end) {
          this.need = end // wait for the rest of the body
          return
        }
        this.need = 0
        const request: FastRequest = {
          name: head.name,
          headers: head.headers,
          body: buf.toString('utf8', head.bodyStart, end),
        }
        let reply: Promise<FastReply | undefined> | FastReply | undefined
        try {
          reply = options.handler(request)
        } catch (error) {
          options.onError(error)
          reply = { status: 500, body: INTERNAL_ERROR }
        }
        if (reply !== undefined && typeof (reply as Promise<unknown>).then === 'function') {
          this.busy = true
          ;(reply as Promise<FastReply | undefined>).then(
            (r) => this.finish(r, end, head.close),
            (error: unknown) => {
              options.onError(error)
              this.finish({ status: 500, body: INTERNAL_ERROR }, end, head.close)
            },
          )
          return
        }
        if (!this.answer(reply as FastReply | undefined, end, head.close)) return
      }
    }

    private finish(reply: FastReply | undefined, end: number, close: boolean): void {
      this.busy = false
      if (this.pausedWhileBusy) {
        this.pausedWhileBusy = false
        this.socket.resume()
      }
      this.joinPending()
      if (this.answer(reply, end, close)) this.pump()
    }

    /** Joins chunks that arrived while a request was being answered onto the buffer. */
    private joinPending(): void {
      if (this.pending.length === 0) return
      this.buf =
        this.buf === undefined ? Buffer.concat(this.pending) : Buffer.concat([this.buf, ...this.pending])
      this.pending = []
      this.pendingBytes = 0
    }

    /** Writes the reply and consumes the request; false when the connection left this front. */
    private answer(reply: FastReply | undefined, end: number, close: boolean): boolean {
      if (this.done) return false
      if (reply === undefined) {
        this.handoff()
        return false
      }
      const last = close || closing
      this.socket.write(response(reply.status, reply.body, last, keepAlive))
      options.onAnswered?.()
      const rest = this.buf!
      this.buf = rest.length === end ? undefined : rest.subarray(end)
      if (last) {
        this.done = true
        open.delete(this)
        this.socket.end()
        return false
      }
      if (this.socket.writableNeedDrain) {
        // The client is not reading its answers: stop reading its requests until it does.
        this.busy = true
        this.socket.pause()
        this.socket.once('drain', () => {
          this.busy = false
          this.socket.resume()
          this.pump()
        })
        return false
      }
      if (this.buf === undefined && this.socket.readableEnded) this.socket.end()
      return true
    }

    /** Gives the connection, with its unconsumed bytes, to Node's http server for good. */
    private handoff(): void {
      this.done = true
      open.delete(this)
      const socket = this.socket
      socket.removeListener('data', this.onData)
      socket.removeListener('end', this.onEnd)
      socket.removeListener('close', this.onClose)
      socket.removeListener('error', noop)
      socket.setTimeout(0)
      socket.removeListener('timeout', this.onTimeout)
      socket.pause()
      this.joinPending()
      if (this.buf !== undefined) socket.unshift(this.buf)
      this.buf = undefined
      options.onHandoff?.()
      for (const listener of httpListeners) listener.call(server, socket)
      socket.resume()
    }
  }

  server.on('connection', (socket: Socket) => {
    if (closing) {
      for (const listener of httpListeners) listener.call(server, socket)
      return
    }
    new Connection(socket)
  })

  return {
    close() {
      closing = true
      for (const c of [...open]) c.closeIfIdle()
    },
  }
}

function noop(): void {}
