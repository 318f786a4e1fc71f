// Connection limits on node's http path (Fastify): the head and the whole request must arrive within
// timeouts.headersMs / timeouts.requestMs (408, then closed), a request cut short by a half-close gets
// 400 at once, and a 413 for an oversize body reaches a client that is still sending it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { after, before, describe, test } from 'node:test'
import {
  type Child,
  cleanup,
  type RawConnection,
  rawConnect,
  startChild,
  statusOf,
  within,
} from './serve-lifecycle-helpers.js'

const HEAD = (path: string, length: number): string =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

describe('node http path: request deadlines and half-close', () => {
  let c: Child | undefined
  const open: RawConnection[] = []
  before(async () => {
    // The fast path off: every request goes through node's http server and Fastify.
    c = await startChild({ CHILD_FAST_PATH: '0', CHILD_HEADERS_MS: '1000', CHILD_REQUEST_MS: '2000' })
  })
  after(() => {
    for (const conn of open) conn.socket.destroy()
    cleanup(c)
  })

  test('a head that stops half-way gets 408 after headersMs and the connection closes', async () => {
    const conn = await rawConnect(c!.base)
    open.push(conn)
    conn.socket.write('POST /v1/models/churn/predict HTTP/1.1\r\nHost: x\r\nContent-Le')
    // Node's default is 60 s, checked every 30 s.
    const ms = await within(conn.closed, 20_000, 'closing a stalled head')
    assert.equal(statusOf(conn.received()), 408, conn.received())
    assert.ok(ms >= 900, `closed after ${ms} ms`)
  })

  test('a body trickled byte by byte gets 408 after requestMs and the connection closes', async () => {
    const conn = await rawConnect(c!.base)
    open.push(conn)
    conn.socket.write(HEAD('/v1/models/churn/predict', 1000))
    // One byte every 100 ms: never idle, never done. Fastify turned node's request limit off.
    const trickle = setInterval(() => conn.socket.writable && conn.socket.write(' '), 100)
    try {
      const ms = await within(conn.closed, 20_000, 'closing a trickled body')
      assert.equal(statusOf(conn.received()), 408, conn.received())
      assert.ok(ms >= 1900, `closed after ${ms} ms`)
    } finally {
      clearInterval(trickle)
    }
  })

  test('a request cut short by a half-close gets 400 at once', async () => {
    const conn = await rawConnect(c!.base)
    open.push(conn)
    conn.socket.end(`${HEAD('/v1/models/churn/predict', 100)}{"features":`)
    await within(conn.closed, 10_000, 'answering a half-closed request')
    assert.equal(statusOf(conn.received()), 400, conn.received())
  })
})

/**
 * Sends a head declaring `total` body bytes and then the body, without reading anything until it is
 * all written (or the connection fails), as Python's urllib and requests do; then reads. A connection
 * closed with unread input resets, and the reset discards the answer before it is read.
 */
async function sendOversize(
  base: string,
  path: string,
  total: number,
): Promise<{ status?: number; sent: number; text: string }> {
  const conn = await rawConnect(base)
  try {
    conn.socket.pause()
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    let sent = 0
    let failed = false
    conn.socket.once('error', () => {
      failed = true
    })
    conn.socket.write(HEAD(path, total))
    while (sent < total && !failed && !conn.socket.destroyed) {
      const ok = conn.socket.write(chunk)
      sent += chunk.length
      if (!ok)
        await new Promise<void>((resolve) => {
          const done = (): void => {
            conn.socket.off('drain', done)
            conn.socket.off('close', done)
            resolve()
          }
          conn.socket.on('drain', done)
          conn.socket.on('close', done)
        })
    }
    conn.socket.resume()
    if (!conn.socket.destroyed) conn.socket.end()
    await within(conn.closed, 30_000, 'the oversize request')
    const text = conn.received()
    return { ...(statusOf(text) === undefined ? {} : { status: statusOf(text)! }), sent, text }
  } finally {
    conn.socket.destroy()
  }
}

describe('413 for an oversize body reaches a client that is still sending', () => {
  let c: Child | undefined
  before(async () => {
    c = await startChild({ CHILD_FAST_PATH: '0', CHILD_BODY_LIMIT: String(64 * 1024) })
  })
  after(() => cleanup(c))

  for (const path of ['/v1/models/churn/predict', '/v1/feedback']) {
    test(`raw client writing 4 MiB to ${path} reads the 413`, async () => {
      const result = await sendOversize(c!.base, path, 4 * 1024 * 1024)
      assert.equal(
        result.status,
        413,
        `after ${result.sent} bytes: ${JSON.stringify(result.text.slice(0, 200))}`,
      )
      assert.match(result.text, /SERVE_BODY_TOO_LARGE/)
    })
  }

  test('Python urllib gets HTTPError 413, not a broken pipe', (t) => {
    const python = spawnSync('python3', ['-c', 'print(1)'], { encoding: 'utf8' })
    if (python.status !== 0) {
      t.skip('python3 is not installed')
      return
    }
    const script = [
      'import sys, urllib.request, urllib.error',
      `req = urllib.request.Request(sys.argv[1] + '/v1/models/churn/predict', data=b' ' * (4 * 1024 * 1024), headers={'Content-Type': 'application/json'})`,
      'try:',
      '    urllib.request.urlopen(req, timeout=60)',
      '    print("STATUS 200")',
      'except urllib.error.HTTPError as e:',
      '    print("STATUS", e.code)',
      'except Exception as e:',
      '    print("ERROR", type(e).__name__, e)',
    ].join('\n')
    const out = spawnSync('python3', ['-c', script, c!.base], { encoding: 'utf8', timeout: 120_000 })
    assert.match(out.stdout, /STATUS 413/, `${out.stdout}${out.stderr}`)
  })
})
