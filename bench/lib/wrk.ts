/** wrk runs and server processes for the serving benches (bench/serve.ts, bench/serve-ceiling.ts). */
import { execFileSync, spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One wrk run. */
export interface WrkResult {
  requests: number
  /** Server CPU milliseconds (all processes of the server) per completed request. */
  cpuMsPerRequest: number
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

function toMs(text: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(text)
  if (m === null) return Number.NaN
  const v = Number(m[1])
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v
}

/** CPU ticks (user + system, 1/100 s) of every process in a process group, from /proc. */
function groupCpuTicks(pgid: number): number {
  let ticks = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the parenthesised command: state ppid pgrp ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      if (Number(fields[2]) === pgid) ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // the process exited meanwhile
    }
  }
  return ticks
}

/**
 * Loads `url` with POSTs of `body` (JSON) from `concurrency` connections for `durationS` seconds. With
 * `pgid`, also measures the CPU time of that process group per completed request.
 */
export function wrk(
  url: string,
  body: string,
  concurrency: number,
  durationS: number,
  dir: string,
  pgid?: number,
): WrkResult {
  const ticksBefore = pgid === undefined ? 0 : groupCpuTicks(pgid)
  const script = join(dir, `post-${Math.random().toString(36).slice(2)}.lua`)
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.body = ${JSON.stringify(body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
  )
  const out = execFileSync(
    'wrk',
    [
      '-t',
      String(Math.min(2, concurrency)),
      '-c',
      String(concurrency),
      '-d',
      `${durationS}s`,
      '--latency',
      '--timeout',
      '5s',
      '-s',
      script,
      url,
    ],
    { encoding: 'utf8' },
  )
  const ticks = pgid === undefined ? Number.NaN : groupCpuTicks(pgid) - ticksBefore
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN)
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '')
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '')
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = sock === null ? 0 : sock.slice(1).reduce((s, v) => s + Number(v), 0)
  return {
    requests,
    cpuMsPerRequest: requests > 0 ? (ticks * 10) / requests : Number.NaN,
    rps,
    p50,
    p99,
    non2xx,
    errors,
  }
}

/** A result that counts: it answered, without socket errors or non-2xx responses. */
export function isClean(r: WrkResult | undefined): r is WrkResult {
  return r !== undefined && r.requests > 0 && r.non2xx + r.errors === 0
}

/** A started server process: its process group, its READY line, and a graceful stop. */
export interface ReadyProcess {
  readonly pgid: number
  readonly ready: string
  kill(): Promise<void>
}

/** Starts `command` in a process group of its own and resolves once it prints READY. */
export function spawnReady(
  command: string,
  args: string[],
  env: Record<string, string>,
): Promise<ReadyProcess> {
  const child = spawn(command, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
  })
  return new Promise((resolve, reject) => {
    let buffer = ''
    child.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString()
      if (buffer.includes('READY'))
        resolve({
          pgid: child.pid!,
          ready: buffer.slice(buffer.indexOf('READY')).split('\n')[0]!,
          kill: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done())
              try {
                process.kill(-child.pid!, 'SIGTERM')
              } catch {
                done()
              }
            }),
        })
    })
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before READY`)))
  })
}

/**
 * Starts the FastAPI anchor (bench/serve_fastapi.py) serving a `model` ('rf' or 'gbdt') trained on
 * the CSV at `dataPath`, with `workers` uvicorn workers, on 127.0.0.1:`port`.
 */
export function spawnFastapi(options: {
  dataPath: string
  model: string
  port: number
  workers: number
}): Promise<ReadyProcess> {
  return spawnReady(
    '/usr/bin/python3',
    [
      fileURLToPath(new URL('../serve_fastapi.py', import.meta.url)),
      '--data',
      options.dataPath,
      '--model',
      options.model,
      '--port',
      String(options.port),
      '--workers',
      String(options.workers),
    ],
    // One OpenMP thread per worker process, so the worker count alone sets the cores it uses; and idle
    // OpenMP threads sleep rather than spin, which would take CPU from the server measured beside it.
    { OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '1' },
  )
}
