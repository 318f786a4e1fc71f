/**
 * HTTP/1.1 framing of the predict fast path (fast-path.ts): which request heads it takes (exactly
 * the plain predict requests Node's parser would read the same way), and the bytes of its answers,
 * which match what Node's http layer and Fastify write for the same reply.
 */
import { STATUS_CODES } from 'node:http'
import type { FastRequestHead } from './fast-path-types.js'

export const MAX_HEAD_BYTES = 16 * 1024
const MAX_HEADERS = 100
/** Fastify's default `maxParamLength`. */
export const DEFAULT_MAX_NAME = 100
const REQUEST_PREFIX = 'POST /v1/models/'
const REQUEST_SUFFIX = '/predict HTTP/1.1'
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const JSON_TYPE = /^application\/json(?:\s*;\s*charset="?utf-8"?)?$/i
const DIGITS = /^\d{1,15}$/
export const CRLF2 = Buffer.from('\r\n\r\n')

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

/** An unreserved URL character (RFC 3986 2.3): what a `{name}` taken here is made of. */
function isNameChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x41 && c <= 0x5a) || // A-Z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2e || // .
    c === 0x5f || // _
    c === 0x7e || // ~
    c === 0x2d // -
  )
}

/**
 * The `{name}` of a predict request line taken here, or undefined: `POST /v1/models/{name}/predict
 * HTTP/1.1` with 1..maxName unreserved characters.
 */
export function requestLineName(line: string, maxName: number): string | undefined {
  const end = line.length - REQUEST_SUFFIX.length
  if (end <= REQUEST_PREFIX.length || end - REQUEST_PREFIX.length > maxName) return undefined
  if (!line.startsWith(REQUEST_PREFIX) || !line.endsWith(REQUEST_SUFFIX)) return undefined
  for (let i = REQUEST_PREFIX.length; i < end; i++) if (!isNameChar(line.charCodeAt(i))) return undefined
  return line.slice(REQUEST_PREFIX.length, end)
}

/** Whether `text` (a request line still arriving, no CR yet) can still become one taken here. */
export function couldBeRequestLine(text: string, maxName: number): boolean {
  if (text.length <= REQUEST_PREFIX.length) return REQUEST_PREFIX.startsWith(text)
  if (!text.startsWith(REQUEST_PREFIX)) return false
  let i = REQUEST_PREFIX.length
  while (i < text.length && isNameChar(text.charCodeAt(i))) i++
  if (i - REQUEST_PREFIX.length > maxName) return false
  if (i === text.length) return true
  // The name ended: what follows must be the start of the suffix, after at least one character.
  return i > REQUEST_PREFIX.length && REQUEST_SUFFIX.startsWith(text.slice(i))
}

export interface ParsedHead extends FastRequestHead {
  readonly headers: Record<string, string>
  readonly bodyStart: number
  readonly bodyLength: number
  readonly close: boolean
}

/** Parses a request head, or returns undefined when the request is not one this front takes. */
export function parseHead(buf: Buffer, headEnd: number, maxName: number): ParsedHead | undefined {
  const head = buf.toString('latin1', 0, headEnd)
  const lines = head.split('\r\n')
  const name = requestLineName(lines[0]!, maxName)
  if (name === undefined || lines.length - 1 > MAX_HEADERS) return undefined
  const headers: Record<string, string> = Object.create(null) as Record<string, string>
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!
    const colon = line.indexOf(':')
    if (colon <= 0) return undefined
    const key = line.slice(0, colon)
    if (!HEADER_NAME.test(key)) return undefined
    const value = trimOws(line.slice(colon + 1))
    if (hasControlCharacter(value)) return undefined
    const lower = key.toLowerCase()
    if (headers[lower] !== undefined) return undefined
    headers[lower] = value
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
  if (bodyLength === 0) return undefined
  const connection = headers.connection?.toLowerCase()
  if (connection?.includes('upgrade')) return undefined
  return {
    name,
    headers,
    bodyStart: headEnd + 4,
    bodyLength,
    close: connection !== undefined && /(?:^|,)\s*close\s*(?:,|$)/.test(connection),
  }
}

/** `keepAlive`: the connection header lines of a response that keeps the connection open. */
export function response(status: number, body: string, close: boolean, keepAlive: string): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n` +
    'content-type: application/json; charset=utf-8\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    `Date: ${httpDate()}\r\n` +
    (close ? 'Connection: close\r\n\r\n' : keepAlive) +
    body
  )
}

export const INTERNAL_ERROR = JSON.stringify({
  error: { code: 'SERVE_INTERNAL', message: 'Internal server error; retry, and report it if it persists.' },
})

/** An error as Node's http server passes it to `clientError` (same codes, so the same answers). */
export function clientError(code: 'ERR_HTTP_REQUEST_TIMEOUT' | 'HPE_INVALID_EOF_STATE'): Error {
  const error = new Error(
    code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'Request timeout' : 'Parse Error: Invalid EOF state',
  )
  ;(error as Error & { code: string }).code = code
  return error
}

/** What Node's http server writes for these errors when no `clientError` listener answers them. */
export const NODE_CLIENT_ERROR_RESPONSE = {
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
  HPE_INVALID_EOF_STATE: 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
} as const
