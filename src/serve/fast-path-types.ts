/**
 * The request and reply types of the predict fast path, in a leaf module: fast-path.ts (the front
 * that reads sockets) and fast-path-http.ts (its HTTP/1.1 head parser) both use them, and neither
 * imports the other for them.
 */

/** The head of one predict request as the front parsed it. */
export interface FastRequestHead {
  /** The `{name}` path segment (only unreserved URL characters, so no decoding applies). */
  readonly name: string
  /** Header name (lower case) → value; every header appears once (duplicates are handed off). */
  readonly headers: Readonly<Record<string, string>>
}

/** One predict request as the front parsed it. */
export interface FastRequest extends FastRequestHead {
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
