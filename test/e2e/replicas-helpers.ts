// Helpers of test/e2e/replicas-balancer.test.ts and bench/replicas.ts (not a test itself): HAProxy
// found, configured and run in the foreground in front of `keel serve` replicas, and load drivers
// that record which replica acknowledged which prediction id, with which model version.
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { join } from 'node:path'
import { type ServiceGate, TestServiceMissingError } from '../helpers/test-backends.js'
import { sleep } from './faults-helpers.js'
import { REGISTRY_ROW } from './faults-registry-helpers.js'

/** Debian's HAProxy (`apt-get install haproxy`). */
export const HAPROXY_PATH = '/usr/sbin/haproxy'
/** Names "haproxy" so a runner summary can group it with the other gated services. */
export const HAPROXY_SKIP_REASON = `HAProxy not found at ${HAPROXY_PATH} (apt-get install haproxy)`

/**
 * HAProxy for the balancer tests, gated like PostgreSQL and Chromium (test/helpers/test-backends.ts),
 * except that with KEEL_TEST_REQUIRE_SERVICES=1 (CI) a missing HAProxy is not skipped: the test runs
 * and `require()` fails it loudly, so CI can never pass without the balancer test having run.
 */
export function haproxyGate(): ServiceGate {
  const present = existsSync(HAPROXY_PATH)
  const required = process.env.KEEL_TEST_REQUIRE_SERVICES === '1'
  return {
    skip: present || required ? false : HAPROXY_SKIP_REASON,
    require() {
      if (!present)
        throw new TestServiceMissingError(
          `${HAPROXY_SKIP_REASON}; KEEL_TEST_REQUIRE_SERVICES=1, so this fails instead of skipping.`,
        )
      return HAPROXY_PATH
    },
  }
}

/** One backend server of the balancer. */
export interface Backend {
  /** HAProxy's server name, sent back to clients in the `x-keel-replica` response header. */
  readonly name: string
  readonly port: number
}

/**
 * Writes an HAProxy config: a loopback frontend on `port`, round-robin over `backends`, each
 * health-checked on `/ready` every 200 ms and taken out (or back) after one failed (or passed)
 * check. A request whose connection to a server fails (a killed replica refuses connections) is
 * retried on another server (`retries` with `option redispatch`); one already sent is not retried
 * (HAProxy's default `retry-on conn-failure`), so only a killed replica's in-flight requests fail.
 * `retryOn` replaces that default: `conn-failure empty-response` also retries the requests a killed
 * replica dropped without answering (measured: no client sees a failure then), at the price of
 * re-sending a POST the dead replica may already have logged.
 */
export function writeHaproxyConfig(
  dir: string,
  port: number,
  backends: readonly Backend[],
  options: { readonly retryOn?: string } = {},
): string {
  const lines = [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  option http-keep-alive',
    '  timeout connect 1s',
    '  timeout client 30s',
    '  timeout server 30s',
    '  timeout http-keep-alive 30s',
    '  retries 3',
    '  option redispatch 1',
    ...(options.retryOn === undefined ? [] : [`  retry-on ${options.retryOn}`]),
    'frontend keel',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance roundrobin',
    '  option httpchk GET /ready',
    '  http-check expect status 200',
    // %s: the server that answered, so clients can tell the replicas apart.
    '  http-response set-header x-keel-replica %s',
    ...backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port} check inter 200 fall 1 rise 1`),
  ]
  const path = join(dir, `haproxy-${port}.cfg`)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** HAProxy running in the foreground as a child process. */
export interface Balancer {
  readonly child: ChildProcess
  readonly base: string
  output(): string
  stop(): Promise<void>
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > deadline) throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`)
    await sleep(50)
  }
}

/** Starts `haproxy -f CONFIG -db` (foreground, no daemon) and waits for its frontend port. */
export async function startHaproxy(haproxy: string, config: string, port: number): Promise<Balancer> {
  const child = spawn(haproxy, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  child.stderr!.on('data', (d: Buffer) => {
    output += d.toString()
  })
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGKILL')
    await exit
  }
  try {
    await Promise.race([
      waitForPort(port, 10_000),
      exit.then(() => {
        throw new Error(`haproxy exited before listening:\n${output}`)
      }),
    ])
  } catch (error) {
    await stop()
    throw error
  }
  return { child, base: `http://127.0.0.1:${port}`, output: () => output, stop }
}

/** One acknowledged prediction. */
export interface Ack {
  /** When the request was sent and when its answer arrived (epoch ms). */
  readonly sentAt: number
  readonly at: number
  readonly id: string
  readonly version: number
  /** The `x-keel-replica` header (HAProxy's server name), or the probe's own label. */
  readonly replica: string
}

/** A request that failed: a non-200 answer or a network error. */
export interface Failure {
  readonly sentAt: number
  readonly at: number
  readonly what: string
}

/** A running load: acknowledged predictions and failures so far, and how to stop it. */
export interface Load {
  readonly acks: Ack[]
  readonly failures: Failure[]
  stop(): Promise<void>
}

/** One predict request for {@link REGISTRY_ROW}; `replica` labels it when the header is absent. */
async function predictOnce(url: string, label: string): Promise<Ack | Failure> {
  const sentAt = Date.now()
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: REGISTRY_ROW }),
    })
    const text = await res.text()
    const at = Date.now()
    if (res.status !== 200) return { sentAt, at, what: `${res.status} ${text.slice(0, 200)}` }
    const body = JSON.parse(text) as { predictionId?: unknown; version?: unknown }
    if (typeof body.predictionId !== 'string' || typeof body.version !== 'number')
      return { sentAt, at, what: `200 without predictionId/version: ${text.slice(0, 200)}` }
    return {
      sentAt,
      at,
      id: body.predictionId,
      version: body.version,
      replica: res.headers.get('x-keel-replica') ?? label,
    }
  } catch (error) {
    return { sentAt, at: Date.now(), what: String((error as Error).cause ?? error) }
  }
}

/**
 * Sends predict requests for model `m` to `base` from `concurrency` loops, each waiting for its
 * answer before the next (fetch keeps the connections alive), until `stop()`.
 */
export function driveLoad(base: string, concurrency: number, label = 'direct'): Load {
  const acks: Ack[] = []
  const failures: Failure[] = []
  let stopped = false
  const url = `${base}/v1/models/m/predict`
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const r = await predictOnce(url, label)
      if ('id' in r) acks.push(r)
      else {
        failures.push(r)
        // A refused connection fails at once: do not spin.
        await sleep(5)
      }
    }
  })
  return {
    acks,
    failures,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}

/** Polls `condition` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(20)
  }
}
