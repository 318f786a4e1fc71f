import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import { DEFAULT_LINGER } from './connection-lifecycle.js'
import {
  CRLF2,
  clientError,
  couldBeRequestLine,
  DEFAULT_MAX_NAME,
  INTERNAL_ERROR,
  MAX_HEAD_BYTES,
  NODE_CLIENT_ERROR_RESPONSE,
  type ParsedHead,
  parseHead,
  requestLineName,
  response,
} from './fast-path-http.js'
import type { FastHandler, FastReply, FastRequest, FastRequestHead } from './fast-path-types.js'

export type { FastHandler, FastReply, FastRequest, FastRequestHead } from './fast-path-types.js'

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
 * a body the handler declines) hands the connection, with every unconsumed byte, to Node's own http
 * server, for good: Fastify then answers it exactly as it would have from the start, errors
 * included. A connection is never answered by both at once: the handoff waits until this front has
 * written its last response. A head arriving in pieces is handed over as soon as its bytes so far
 * cannot become a predict request; otherwise this front waits for the rest itself.
 *
 * Slow clients get what Node's parser gives them, through the server's own `clientError` handler
 * (Fastify's, so the bytes are the same on both paths): 408 when the head is not in within
 * `headersTimeoutMs` of the request's start (of the connection's, for its first request) or the
 * whole request within `requestTimeoutMs`; 400 when the client half-closes in the middle of a
 * request. A body over the limit gets its 413 here, and the connection closes lingeringly (the rest
 * of the body is read and dropped, within bounds) so that a client still sending reads the status.
 */

/** Options of `attachFastPath`. */
export interface FastPathOptions {
  /** Largest body taken here; larger ones get `tooLarge`'s answer, or go to Fastify without it. */
  readonly bodyLimit: number
  readonly handler: FastHandler
  /**
   * Checks the request head (the token) before the body is waited for or read: false hands the
   * connection to Fastify, which refuses it (401) without reading the body either.
   */
  readonly authorize?: (headers: Readonly<Record<string, string>>) => boolean
  /**
   * Longest `{name}` taken here: the route's own limit (its params schema and the router's
   * `maxParamLength`, whichever is lower). Longer names go to Fastify, which answers them. Default 100,
   * Fastify's default `maxParamLength`.
   */
  readonly maxNameLength?: number
  /**
   * The whole head must be in within this many ms of the request's start (of the connection's, for
   * its first request), else 408 and the connection closes. 0 disables it. Default: the server's
   * `headersTimeout`, read when checked.
   */
  readonly headersTimeoutMs?: number
  /** The same for the whole request, body included. Default: the server's `requestTimeout`. */
  readonly requestTimeoutMs?: number
  /**
   * The answer to a request whose Content-Length is over `bodyLimit` (Fastify's 413), sent before
   * the body is read; the connection then closes lingeringly. Without it such requests go to Fastify.
   */
  readonly tooLarge?: (head: FastRequestHead) => FastReply
  /** Lingering close after a 413: the most body bytes read and dropped (default: the Fastify path's, DEFAULT_LINGER)... */
  readonly lingerBytes?: number
  /** ...and for how long at most (default: DEFAULT_LINGER), before the connection is destroyed. */
  readonly lingerMs?: number
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
  /**
   * Destroys every connection still on this front, busy or not (the shutdown deadline). Connections
   * handed to Node's http server are its own (`server.closeAllConnections()`). Returns how many.
   */
  destroyAll(): number
  /** Connections on this front now (handed-off ones not counted). */
  readonly connections: number
}

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
  const maxName = options.maxNameLength ?? DEFAULT_MAX_NAME
  const lingerBytes = options.lingerBytes ?? DEFAULT_LINGER.maxBytes
  const lingerMs = options.lingerMs ?? DEFAULT_LINGER.maxMs
  // Read when checked, so limits set on the server after attaching (before listening) apply.
  const headersMs = (): number => options.headersTimeoutMs ?? server.headersTimeout
  const requestMs = (): number => options.requestTimeoutMs ?? server.requestTimeout
  // Idle connections time out as Node's would, and the header says so in Node's words.
  const keepAliveMs = server.keepAliveTimeout
  const keepAlive =
    keepAliveMs > 0
      ? `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(keepAliveMs / 1000)}\r\n\r\n`
      : 'Connection: keep-alive\r\n\r\n'

  // One timer checks every connection's deadlines (as Node's connectionsCheckingInterval does), so a
  // request costs a clock read, not a timer. It runs while connections are open.
  let checker: NodeJS.Timeout | undefined
  const checkDeadlines = (): void => {
    const now = performance.now()
    const h = headersMs()
    const r = requestMs()
    for (const c of open) c.checkDeadline(now, h, r)
    if (open.size === 0 && checker !== undefined) {
      clearInterval(checker)
      checker = undefined
    }
  }
  const startChecker = (): void => {
    if (checker !== undefined) return
    const limits = [headersMs(), requestMs()].filter((ms) => ms > 0)
    if (limits.length === 0) return
    // A tenth of the shorter limit: a slow client is answered within 10 % past its deadline.
    const period = Math.min(1000, Math.max(5, Math.floor(Math.min(...limits) / 10)))
    checker = setInterval(checkDeadlines, period)
    checker.unref()
  }

  /** Answers a client error the way the server's `clientError` handler (Fastify's) does. */
  const failSocket = (socket: Socket, error: Error): void => {
    if (socket.destroyed) return
    if (server.listenerCount('clientError') > 0) {
      server.emit('clientError', error, socket)
      // A handler that answers without closing would leave the connection with no owner.
      if (!socket.destroyed) socket.destroySoon()
      return
    }
    const code = (error as Error & { code: keyof typeof NODE_CLIENT_ERROR_RESPONSE }).code
    if (socket.writable) socket.write(NODE_CLIENT_ERROR_RESPONSE[code])
    socket.destroy()
  }

  class Connection {
    private buf: Buffer | undefined
    /** Chunks of a body still arriving, joined once `need` bytes are in (not once per chunk). */
    private pending: Buffer[] = []
    private pendingBytes = 0
    private need = 0
    /** The head of the request whose body is still arriving. */
    private head: ParsedHead | undefined
    /** Bytes of the head still arriving that `couldBeHead` has checked. */
    private headChecked = 0
    /** When the request now arriving started (performance.now()); 0 while none is. */
    private requestStart: number
    private busy = false
    private pausedWhileBusy = false
    private done = false
    private lingering = false
    private readonly onData = (chunk: Buffer): void => {
      if (this.requestStart === 0) this.requestStart = performance.now()
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
      // Idle for the keep-alive timeout. A request still being answered keeps its connection (the
      // answer's write restarts the clock); one still arriving has its own deadlines when they are on.
      if (this.busy) return
      if (this.idle || (headersMs() <= 0 && requestMs() <= 0)) this.socket.destroy()
    }
    // The client will send nothing more: what is complete gets answered (answer() ends the socket
    // after the last one); a request cut short gets Node's 400; with nothing left, close our side.
    private readonly onEnd = (): void => {
      if (this.busy) return
      if (this.idle) this.socket.end()
      else this.fail(clientError('HPE_INVALID_EOF_STATE'))
    }
    private readonly onClose = (): void => {
      this.done = true
      open.delete(this)
    }

    constructor(readonly socket: Socket) {
      open.add(this)
      // Node's head clock starts with the connection: one that sends nothing gets 408 too.
      this.requestStart = performance.now()
      socket.on('data', this.onData)
      socket.on('end', this.onEnd)
      socket.on('close', this.onClose)
      // Errors (resets) end in 'close'; without a listener they would be thrown.
      socket.on('error', noop)
      socket.setTimeout(keepAliveMs, this.onTimeout)
      startChecker()
    }

    get idle(): boolean {
      return !this.busy && this.buf === undefined && this.pending.length === 0
    }

    closeIfIdle(): void {
      if (this.idle && !this.lingering) this.socket.end()
    }

    /** 408 once a request (head, or the whole of it) is not in by its deadline. */
    checkDeadline(now: number, headersLimit: number, requestLimit: number): void {
      if (this.busy || this.done || this.requestStart === 0) return
      const elapsed = now - this.requestStart
      if (
        (headersLimit > 0 && this.head === undefined && elapsed >= headersLimit) ||
        (requestLimit > 0 && elapsed >= requestLimit)
      )
        this.fail(clientError('ERR_HTTP_REQUEST_TIMEOUT'))
    }

    destroy(): void {
      this.done = true
      open.delete(this)
      this.socket.destroy()
    }

    /** Leaves this front: the server's client-error answer (408, 400), and the connection closes. */
    private fail(error: Error): void {
      this.done = true
      open.delete(this)
      this.socket.removeListener('data', this.onData)
      this.buf = undefined
      this.pending = []
      failSocket(this.socket, error)
    }

    /** Answers every complete request in the buffer, one at a time and in order. */
    private pump(): void {
      this.joinPending()
      while (!this.done && this.buf !== undefined && !this.busy) {
        const buf = this.buf
        if (closing) {
          this.handoff()
          return
        }
        let head = this.head
        if (head === undefined) {
          const headEnd = buf.indexOf(CRLF2)
          if (headEnd < 0) {
            // A head still arriving: wait for it while it can still be one taken here; anything
            // else is Node's parser's at once (its answers and its limits).
            if (buf.length <= MAX_HEAD_BYTES && this.couldBeHead(buf)) this.waitForMore()
            else this.handoff()
            return
          }
          const parsed = headEnd > MAX_HEAD_BYTES ? undefined : parseHead(buf, headEnd, maxName)
          if (
            parsed === undefined ||
            (options.authorize !== undefined && !options.authorize(parsed.headers))
          ) {
            this.handoff()
            return
          }
          if (parsed.bodyLength > options.bodyLimit) {
            if (options.tooLarge === undefined) this.handoff()
            else this.refuseTooLarge(parsed)
            return
          }
          head = parsed
          this.head = head
          this.headChecked = 0
        }
        const end = head.bodyStart + head.bodyLength
        if (buf.length < end) {
          this.need = end // wait for the rest of the body
          this.waitForMore()
          return
        }
        this.need = 0
        this.head = undefined
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
          const close = head.close
          ;(reply as Promise<FastReply | undefined>).then(
            (r) => this.finish(r, end, close),
            (error: unknown) => {
              options.onError(error)
              this.finish({ status: 500, body: INTERNAL_ERROR }, end, close)
            },
          )
          return
        }
        if (!this.answer(reply as FastReply | undefined, end, head.close)) return
      }
      // Everything answered and the client half-closed (say while its answers drained): close too.
      if (!this.done && this.idle && this.socket.readableEnded) this.socket.end()
    }

    /** A request is incomplete: wait for its rest, unless the client has said it sends no more. */
    private waitForMore(): void {
      if (this.socket.readableEnded) this.fail(clientError('HPE_INVALID_EOF_STATE'))
    }

    /**
     * Whether a head still arriving can become one taken here: a predict request line (so far), then
     * header lines made of field characters, each ending in CRLF. A bare LF, a control character or
     * another request line is Node's parser's to answer, now.
     */
    private couldBeHead(buf: Buffer): boolean {
      const lineEnd = buf.indexOf(0x0a)
      if (lineEnd < 0) {
        const cr = buf.indexOf(0x0d)
        const text = buf.toString('latin1', 0, cr < 0 ? Math.min(buf.length, 64 + maxName) : cr)
        return couldBeRequestLine(text, maxName) && (cr < 0 || cr === buf.length - 1)
      }
      if (lineEnd === 0 || buf[lineEnd - 1] !== 0x0d) return false
      if (requestLineName(buf.toString('latin1', 0, lineEnd - 1), maxName) === undefined) return false
      // Bytes before the last one were checked by an earlier call (the last may be a CR whose LF
      // had not arrived): a head trickled in byte by byte costs linear time, not quadratic.
      for (let i = Math.max(lineEnd + 1, this.headChecked); i < buf.length; i++) {
        const c = buf[i]!
        if (c === 0x0a) {
          if (buf[i - 1] !== 0x0d) return false
        } else if (c === 0x0d) {
          if (i + 1 < buf.length && buf[i + 1] !== 0x0a) return false
        } else if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false
      }
      this.headChecked = buf.length - 1
      return true
    }

    /**
     * Answers a body over the limit before reading it, then closes lingeringly: the rest of the
     * body is read and dropped (at most `lingerBytes`, for at most `lingerMs`) so that a client
     * still sending does not get a reset before it reads the status.
     */
    private refuseTooLarge(head: ParsedHead): void {
      const reply = options.tooLarge!(head)
      const socket = this.socket
      this.done = true
      this.lingering = true
      socket.removeListener('data', this.onData)
      socket.removeListener('end', this.onEnd)
      socket.setTimeout(0)
      socket.removeListener('timeout', this.onTimeout)
      this.joinPending()
      const received = this.buf === undefined ? 0 : this.buf.length - head.bodyStart
      this.buf = undefined
      socket.end(response(reply.status, reply.body, true, keepAlive))
      options.onAnswered?.()
      let left = Math.min(head.bodyLength - received, lingerBytes)
      const stop = (): void => {
        clearTimeout(timer)
        open.delete(this)
        socket.destroy()
      }
      // With nothing more to read, close once the answer is flushed (destroying earlier drops it).
      const stopWhenFlushed = (): void => {
        if (socket.writableFinished) stop()
        else socket.once('finish', stop)
      }
      const timer = setTimeout(stop, lingerMs)
      timer.unref()
      socket.on('close', () => clearTimeout(timer))
      if (left <= 0 || socket.readableEnded) {
        stopWhenFlushed()
        return
      }
      socket.on('data', (chunk: Buffer) => {
        left -= chunk.length
        if (left <= 0) stopWhenFlushed()
      })
      socket.on('end', stopWhenFlushed)
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
      // The next request's clock starts now if its first bytes are already here.
      this.requestStart = this.buf === undefined ? 0 : performance.now()
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
      const rest = this.buf
      this.buf = undefined
      this.head = undefined
      options.onHandoff?.()
      if (socket.readableEnded) {
        // The client half-closed while its earlier requests were answered here: the stream cannot
        // take the bytes back, so Node's parser gets them, and the end, as the events it listens to.
        for (const listener of httpListeners) listener.call(server, socket)
        if (rest !== undefined) socket.emit('data', rest)
        if (!socket.destroyed) socket.emit('end')
        return
      }
      if (rest !== undefined) socket.unshift(rest)
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
    destroyAll() {
      const all = [...open]
      for (const c of all) c.destroy()
      return all.length
    },
    get connections() {
      return open.size
    },
  }
}

function noop(): void {}
