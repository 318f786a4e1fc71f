// Shared helpers of the fault-injection tests (test/e2e/faults-*.test.ts): start a real server in a
// child process, drive load at it, read Prometheus text, wait for conditions.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parsePrometheus } from '../helpers/prometheus.js'

const CHILD = fileURLToPath(new URL('./faults-child.ts', import.meta.url))

/** A server child process: its base URL, captured stderr, and its exit. */
export interface ServerChild {
  readonly child: ChildProcess
  readonly base: string
  /** Everything the child wrote to stdout and stderr so far (the server's JSON log lines go to stdout). */
  output(): string
  readonly exit: Promise<number | null>
}

/** Waits for a line `LISTENING <url>` on a child's stdout. */
export function listeningUrl(child: ChildProcess, timeoutMs = 90_000): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    let buffer = ''
    const timer = setTimeout(() => reject(new Error(`child did not listen in ${timeoutMs} ms`)), timeoutMs)
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const match = /(?:LISTENING|listening on) (http:\/\/\S+)/.exec(buffer)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`child exited early (${code}) before listening; stdout: ${buffer}`))
    })
  })
}

/** Starts faults-child.ts with the given FAULTS_* settings. */
export async function startFaultsChild(env: Record<string, string>): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
    env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-faults-home-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const collect = (chunk: Buffer): void => {
    output += chunk.toString()
  }
  child.stdout!.on('data', collect)
  child.stderr!.on('data', collect)
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const base = await listeningUrl(child)
  return { child, base, output: () => output, exit }
}

/** Kills a child (SIGKILL) unless it already exited, and waits for its exit. */
export async function killChild(server: { child: ChildProcess; exit: Promise<unknown> }): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL')
  await server.exit
}

/** A row the fake churn model accepts. */
export const ROW = { age: 42, tenure: 3, plan: 'basic', region: 'eu', active: true }

/** One answered request of `load`. */
export interface Acked {
  readonly id: string
  readonly at: number
  readonly probability: number
}

/**
 * Sends predict requests from `concurrency` loops until `stop()`, recording every acknowledged
 * prediction (id, time, probability of "yes") and every failure (status or network error).
 */
export function load(base: string, concurrency: number, model = 'churn', row: Record<string, unknown> = ROW) {
  const acked: Acked[] = []
  const failures: { at: number; what: string }[] = []
  let stopped = false
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      try {
        const res = await fetch(`${base}/v1/models/${model}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ features: row }),
        })
        const text = await res.text()
        const body = JSON.parse(text) as { predictionId?: string; probabilities?: Record<string, number> }
        if (res.status === 200 && body.predictionId !== undefined)
          acked.push({
            id: body.predictionId,
            at: Date.now(),
            probability: body.probabilities?.yes ?? Number.NaN,
          })
        else failures.push({ at: Date.now(), what: `${res.status} ${text.slice(0, 200)}` })
      } catch (error) {
        failures.push({ at: Date.now(), what: String((error as Error).cause ?? error) })
        await sleep(5)
      }
    }
  })
  return {
    acked,
    failures,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `condition` every 50 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await condition()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(50)
  }
}

/** The sum over all series of one metric on a server's /metrics (0 when absent). */
export async function metricSum(base: string, name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text()
  const metric = parsePrometheus(text).find((m) => m.name === name)
  return (metric?.metrics ?? []).reduce((s, m) => s + Number(m.value), 0)
}

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net')
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/** Pids of the Node.js children of `pid` (cluster workers of a primary; not tsx's esbuild service). */
export function childPids(pid: number): number[] {
  try {
    return (
      execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        // Zombies (stat Z: killed, not yet reaped by the primary) are gone for this purpose.
        .filter((f) => f[2] === 'node' && !f[1]?.startsWith('Z'))
        .map((f) => Number(f[0]))
        .filter((n) => Number.isInteger(n) && n > 0)
    )
  } catch {
    // ps exits 1 when there are none.
    return []
  }
}
