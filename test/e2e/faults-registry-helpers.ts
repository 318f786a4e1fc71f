// Helpers of test/e2e/faults-registry.test.ts (not a test itself): seeded training data, `keel serve`
// as a child process over the real registry, and a load driver that records which version answered.
import type { ChildProcess } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { spawnCli } from '../helpers/cli.js'
import { sleep } from './faults-helpers.js'

/** Writes a small seeded binary-classification CSV (numeric x1, x2, categorical plan; target y). */
export function writeSeededCsv(dir: string, rows = 240, seed = 7): string {
  let s = seed >>> 0
  // A linear congruential generator: the same file on every run, no dependency.
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return s / 4294967296
  }
  const lines = ['x1,x2,plan,y']
  for (let i = 0; i < rows; i++) {
    const x1 = rand()
    const x2 = rand()
    const plan = rand() < 0.5 ? 'basic' : 'pro'
    const score = x1 + 0.5 * x2 + (plan === 'pro' ? 0.2 : 0) + 0.3 * (rand() - 0.5)
    lines.push([x1.toFixed(4), x2.toFixed(4), plan, score > 0.9 ? 'yes' : 'no'].join(','))
  }
  const path = join(dir, 'customers.csv')
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** A request row the models trained on {@link writeSeededCsv} accept. */
export const REGISTRY_ROW = { x1: 0.42, x2: 0.7, plan: 'pro' }

/** A `keel serve` child process. */
export interface ServeProcess {
  readonly child: ChildProcess
  readonly base: string
  /** Everything it wrote to stdout and stderr so far. */
  output(): string
  readonly exit: Promise<number | null>
}

/** Runs `keel serve ARGS` and waits for its "listening on URL" line (on stderr). */
export async function startServe(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<ServeProcess> {
  const child = spawnCli(['serve', '--port', '0', ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const base = await new Promise<string>((resolve, reject) => {
    const timeoutMs = options.timeoutMs ?? 120_000
    const timer = setTimeout(() => {
      // Nothing is left running when the start fails.
      child.kill('SIGKILL')
      reject(new Error(`keel serve did not listen in ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const collect = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match !== null) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    }
    child.stdout!.on('data', collect)
    child.stderr!.on('data', collect)
    void exit.then((code) => {
      clearTimeout(timer)
      reject(new Error(`keel serve exited (${code}) before listening:\n${output}`))
    })
  })
  return { child, base, output: () => output, exit }
}

/**
 * Waits until every worker of a server answers /ready with 200. A server announces it listens when
 * its first worker does, and each worker loads its models after it listens (answering 503 until
 * then), so a load started at once can meet a worker still loading. Each probe is a new
 * connection, which the cluster hands to its workers in turn: `rounds` 200s in a row per worker.
 */
export async function waitWorkersReady(
  base: string,
  workers: number,
  timeoutMs = 60_000,
  rounds = 4,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let inARow = 0
  let last = ''
  while (inARow < rounds * workers) {
    if (Date.now() > deadline)
      throw new Error(`${base}: workers not ready after ${timeoutMs} ms (last: ${last})`)
    try {
      const res = await fetch(`${base}/ready`, { headers: { connection: 'close' } })
      last = `${res.status} ${(await res.text()).slice(0, 200)}`
      inARow = res.status === 200 ? inARow + 1 : 0
    } catch (error) {
      last = String(error)
      inARow = 0
    }
    if (inARow === 0) await sleep(50)
  }
}

/** SIGTERM (graceful: the cluster primary stops its workers), SIGKILL after `graceMs`; the exit code. */
export async function stopServe(server: ServeProcess, graceMs = 30_000): Promise<number | null> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.exit
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs)
  try {
    return await server.exit
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The server's log lines that report a problem: JSON log lines at `minLevel` or above (pino: 40 warn,
 * 50 error, 60 fatal), and any other line (the CLI's own messages) except the "listening on" one.
 */
export function problemLines(output: string, minLevel = 50): string[] {
  return output
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^keel serve: listening on /.test(line))
    .filter((line) => {
      try {
        const entry = JSON.parse(line) as { level?: unknown }
        return typeof entry.level !== 'number' || entry.level >= minLevel
      } catch {
        return true
      }
    })
}

/** One answered prediction. */
export interface Answer {
  /** When the answer arrived. */
  readonly at: number
  /** When its request was sent: a request already in flight when something changed may answer after it. */
  readonly sentAt: number
  readonly model: string
  readonly version: number
  readonly variant: string
  readonly servedBy: string
}

/** A running load: answers and failures so far, and how to stop it. */
export interface Load {
  readonly answers: Answer[]
  readonly failures: { at: number; what: string }[]
  stop(): Promise<void>
}

/**
 * Sends predict requests to one route from `concurrency` loops (each on its own keep-alive
 * connection, so a cluster spreads them over its workers) until `stop()`.
 */
export function driveLoad(base: string, route: string, concurrency: number): Load {
  const answers: Answer[] = []
  const failures: { at: number; what: string }[] = []
  let stopped = false
  const loops = Array.from({ length: concurrency }, async () => {
    while (!stopped) {
      const sentAt = Date.now()
      try {
        const res = await fetch(`${base}/v1/models/${route}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ features: REGISTRY_ROW }),
        })
        const text = await res.text()
        const body = JSON.parse(text) as Partial<Answer> & { predictionId?: string }
        if (res.status === 200 && typeof body.version === 'number' && body.predictionId !== undefined)
          answers.push({
            at: Date.now(),
            sentAt,
            model: String(body.model),
            version: body.version,
            variant: String(body.variant),
            servedBy: String(body.servedBy),
          })
        else failures.push({ at: Date.now(), what: `${res.status} ${text.slice(0, 300)}` })
      } catch (error) {
        failures.push({ at: Date.now(), what: String((error as Error).cause ?? error) })
        await sleep(5)
      }
    }
  })
  return {
    answers,
    failures,
    stop: async () => {
      stopped = true
      await Promise.all(loops)
    },
  }
}
