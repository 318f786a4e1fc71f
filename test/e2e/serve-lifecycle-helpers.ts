// Helpers of the serving lifecycle tests (serve-shutdown, serve-connection-limits, serve-startup): a
// server in a child process, raw sockets, polling. Not a test itself.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SERVER_CHILD = fileURLToPath(new URL('./serve-shutdown-child.ts', import.meta.url))
export const ROW = { age: 42, tenure: 3, plan: 'basic', region: 'eu', active: true }
/** Longest a test client waits for one prediction (the slow model answers in seconds). */
const PREDICT_TIMEOUT_MS = 20_000
/** Start-up of a cluster under tsx takes long on a loaded machine. */
const START_TIMEOUT_MS = 240_000

export interface Child {
  readonly child: ChildProcess
  readonly base: string
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  readonly stderr: () => string
}

/** Starts `serve-shutdown-child.ts` with `env` and waits for its "LISTENING <url>" line. */
export async function startChild(env: Record<string, string>, detached = false): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER_CHILD], {
    env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so the test can signal the group as systemd, Docker and Kubernetes do.
    detached,
  })
  let err = ''
  child.stderr!.on('data', (chunk: Buffer) => {
    err += chunk.toString()
  })
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  )
  const base = await new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(
      () => reject(new Error(`child did not start in ${START_TIMEOUT_MS / 1000} s: ${err}`)),
      START_TIMEOUT_MS,
    )
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const match = /LISTENING (\S+)/.exec(buffer)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`child exited early (${code}): ${err}`))
    })
  })
  return { child, base, exit, stderr: () => err }
}

/** Kills a child (and its group when it has one) that a failed test left running. */
export function cleanup(c: Child | undefined, group = false): void {
  if (c === undefined || c.child.exitCode !== null || c.child.signalCode !== null) return
  try {
    if (group) process.kill(-c.child.pid!, 'SIGKILL')
    else {
      // A cluster's workers first: a primary killed alone can leave them holding the port.
      for (const worker of childPids(c.child.pid!)) process.kill(worker, 'SIGKILL')
      c.child.kill('SIGKILL')
    }
  } catch {
    // Already gone.
  }
}

/** Node child processes of `pid` (the workers of a cluster primary; not tsx's esbuild service). */
export function childPids(pid: number): number[] {
  const out = spawnSync('ps', ['-o', 'pid=,comm=', '--ppid', String(pid)], { encoding: 'utf8' }).stdout
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([, comm]) => comm === 'node')
    .map(([p]) => Number(p))
    .filter((n) => Number.isInteger(n) && n > 0)
}

/** True while any process of the group `pgid` exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch {
    return false
  }
}

/** Polls `check` every 25 ms until it holds; throws after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** `promise`, or a rejection naming `what` when it takes longer than `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

/** One prediction of `model`; its id when the server acknowledged it (200), else undefined. */
export async function predict(base: string, model = 'churn'): Promise<string | undefined> {
  return (await attempt(base, model)).id
}

/** One prediction: the id when acknowledged (200), else what happened instead (for diagnostics). */
async function attempt(base: string, model = 'churn'): Promise<{ id?: string; failure?: string }> {
  try {
    const res = await fetch(`${base}/v1/models/${model}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ features: ROW }),
      // A connection handed to a worker as it stops can go unanswered: the client gives up (not
      // acknowledged, so not owed) instead of stalling its load loop for the rest of the test.
      signal: AbortSignal.timeout(PREDICT_TIMEOUT_MS),
    })
    const body = (await res.json()) as { predictionId?: string }
    if (res.status === 200 && body.predictionId !== undefined) return { id: body.predictionId }
    return { failure: `HTTP ${res.status}` }
  } catch (error) {
    // Refused or reset while shutting down: not acknowledged, so not owed.
    const e = error as Error & { cause?: { code?: string; message?: string } }
    return { failure: `${e.name}: ${e.cause?.code ?? e.cause?.message ?? e.message}` }
  }
}

/**
 * One prediction on a connection of its own (node:http, no keep-alive pool), for diagnostics: tells
 * a server that answers new connections from a client whose pooled connections are stuck.
 */
export function probe(base: string, timeoutMs = 5000): Promise<string> {
  const started = Date.now()
  const body = JSON.stringify({ features: ROW })
  return new Promise((resolve) => {
    const req = httpRequest(
      `${base}/v1/models/churn/predict`,
      {
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: timeoutMs,
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(`HTTP ${res.statusCode} in ${Date.now() - started} ms`))
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', (error) => resolve(`${error.message} after ${Date.now() - started} ms`))
    req.end(body)
  })
}

/** Load loops and what they saw: see `load`. */
export interface Load {
  readonly acked: string[]
  stop(): Promise<void>
  /** Failures by kind since the loops started, and how long each loop's current request has run. */
  describe(): string
}

/** Prediction loops until `stop()`; records every acknowledged prediction id. */
export function load(base: string, concurrency: number): Load {
  const acked: string[] = []
  const failures = new Map<string, number>()
  const since: (number | undefined)[] = Array.from({ length: concurrency }, () => undefined)
  let stopped = false
  const loops = Array.from({ length: concurrency }, async (_, i) => {
    while (!stopped) {
      since[i] = Date.now()
      const { id, failure = 'unknown' } = await attempt(base)
      since[i] = undefined
      if (id !== undefined) acked.push(id)
      else {
        failures.set(failure, (failures.get(failure) ?? 0) + 1)
        await new Promise((r) => setTimeout(r, 5))
      }
    }
  })
  return {
    acked,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
    describe() {
      const now = Date.now()
      const kinds = [...failures].map(([k, n]) => `${k} x${n}`).join(', ') || 'none'
      const ages = since.map((t) => (t === undefined ? 'idle' : `${now - t} ms`)).join(', ')
      return `client failures: ${kinds}; current requests running for: ${ages}`
    },
  }
}

/** A raw TCP connection to the server of `base`, collecting what it answers. */
export interface RawConnection {
  readonly socket: Socket
  /** Everything received so far (latin1). */
  received(): string
  /** Resolves when the connection is closed (by either side), with the ms since it opened. */
  readonly closed: Promise<number>
}

export async function rawConnect(base: string): Promise<RawConnection> {
  const url = new URL(base)
  const socket = connect(Number(url.port), url.hostname)
  const opened = Date.now()
  let text = ''
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1')
  })
  // Resets are an outcome the tests look at, not a crash.
  socket.on('error', () => undefined)
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - opened)))
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return { socket, received: () => text, closed }
}

/** The status code of the first response in `text`, or undefined when none arrived. */
export function statusOf(text: string): number | undefined {
  const m = /^HTTP\/1\.1 (\d{3}) /.exec(text)
  return m === null ? undefined : Number(m[1])
}
