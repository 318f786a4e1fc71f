import type { Server } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** The `timeouts` section of the serve config. */
export interface ConnectionTimeouts {
  readonly headersMs: number
  readonly requestMs: number
  readonly shutdownMs: number
}

/**
 * Fastify options that bound how long node's http server waits for a request: the head within
 * `headersMs`, the whole request within `requestMs` (node answers 408 and closes). Fastify turns
 * node's request timeout off by default, so a body trickled byte by byte held a connection (and a
 * shutdown) for ever. Node checks the deadlines every `connectionsCheckingInterval` (30 s by
 * default, which would double a 30 s limit): check often enough that a limit holds within a quarter.
 * @internal
 */
export function httpTimeoutOptions(timeouts: ConnectionTimeouts): {
  requestTimeout: number
  http: { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number }
} {
  // Node refuses a head limit above the request limit; the request limit covers the head anyway.
  const headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs)
  const connectionsCheckingInterval = Math.max(
    25,
    Math.min(1000, Math.floor(Math.min(headersTimeout, timeouts.requestMs) / 4)),
  )
  return {
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout, requestTimeout: timeouts.requestMs, connectionsCheckingInterval },
  }
}

/** Every open connection of a server, on either HTTP path (the fast path or node's). */
export interface ConnectionSet {
  /** Connections open now. */
  readonly size: number
  /** Destroys every open connection; returns how many there were. */
  destroyAll(): number
}

/**
 * Tracks the sockets a server accepts. Register it after the fast path is attached: the fast path
 * takes over the `connection` listeners present when it attaches and calls them only on handoff,
 * while a listener added later sees every connection.
 * @internal
 */
export function trackConnections(server: Server): ConnectionSet {
  const open = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  })
  return {
    get size() {
      return open.size
    },
    destroyAll() {
      const n = open.size
      for (const socket of open) socket.destroy()
      open.clear()
      return n
    },
  }
}

/**
 * Runs a graceful close (stop accepting, finish in-flight requests, then the close hooks that write
 * the prediction log) with a deadline on the connections: whatever is still open `shutdownMs` after
 * the start (a stalled upload, a client that never reads its answer) is destroyed, so the server
 * closes and the hooks run. Nothing is acknowledged on a destroyed connection, so the durability
 * promise (everything acknowledged is logged) holds.
 * @internal
 */
export async function closeWithDeadline(
  close: () => Promise<void>,
  connections: ConnectionSet,
  shutdownMs: number,
  onForced: (destroyed: number) => void,
): Promise<void> {
  const timer = setTimeout(() => {
    const destroyed = connections.destroyAll()
    if (destroyed > 0) onForced(destroyed)
  }, shutdownMs)
  try {
    await close()
  } finally {
    clearTimeout(timer)
  }
}

/** Bounds of a lingering close: the most bytes read and discarded, and the longest wait. */
export interface LingerLimits {
  readonly maxBytes: number
  readonly maxMs: number
}

/** Default bounds: generous for an ordinary upload, small next to the cost of one connection. */
export const DEFAULT_LINGER: LingerLimits = { maxBytes: 64 * 1024 * 1024, maxMs: 10_000 }

/**
 * Closes the connection of a 413 (body over the limit) lingeringly. Fastify answers before reading
 * the body and closes the connection; closing a socket with unread input makes the kernel send a
 * reset, which reaches a client still sending its body before it reads the 413 (Python's urllib and
 * requests then report "Broken pipe" or "Connection reset" instead of the status). So: send the
 * answer, close our side only, keep reading and discarding until the client closes its side, and
 * destroy the socket when it has sent `maxBytes` more or after `maxMs`.
 *
 * Node's http server ends a connection whose response says `Connection: close` with
 * `socket.destroySoon()`; for these sockets that call is replaced by the lingering close.
 * @internal
 */
export function lingerOnBodyTooLarge(app: FastifyInstance, limits: LingerLimits = DEFAULT_LINGER): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    const socket = request.raw.socket as Socket | null
    // Only while the client may still be sending: a body read to its end leaves nothing to drain.
    if (reply.statusCode === 413 && socket !== null && !request.raw.complete && !socket.destroyed)
      socket.destroySoon = () => lingeringClose(socket, limits)
    done(null, payload)
  })
}

function lingeringClose(socket: Socket, limits: LingerLimits): void {
  // Our FIN follows the answer; node's parser goes on consuming (and discarding) what arrives.
  if (socket.writable) socket.end()
  const start = socket.bytesRead
  const deadline = Date.now() + limits.maxMs
  const timer = setInterval(() => {
    if (socket.bytesRead - start > limits.maxBytes || Date.now() >= deadline) socket.destroy()
  }, 50)
  timer.unref()
  // The client closed its side (it read the answer, or gave up): nothing more to drain.
  socket.once('end', () => socket.destroy())
  socket.once('close', () => clearInterval(timer))
  socket.resume()
}
