/**
 * What does a load balancer in front of Keel replicas cost? Three `keel serve` replicas (one worker
 * each) over one PostgreSQL store serve a linear model trained by `keel train`; the same keep-alive
 * load (single-row predict POSTs from `--concurrency` connections) is sent for `--duration` seconds to:
 * - `direct`: one replica, no balancer (the baseline);
 * - `haproxy-1`, `haproxy-2`, `haproxy-3`: HAProxy (Debian's, config from
 *   test/e2e/replicas-helpers.ts: round robin, /ready checks every 200 ms) over 1, 2 and 3 replicas.
 * Every replica runs in every setting (idle ones only poll the registry), so the settings differ
 * only in where requests go. On a 2-core machine more replicas cannot add cores: the ratios against
 * `direct` measure the balancer's hop and the replicas' coordination, not scaling. The load
 * generator runs in this process, on the same cores.
 *
 * Run: KEEL_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
 *   node --import tsx bench/replicas.ts [--duration 10] [--concurrency 32]
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, sleep } from '../test/e2e/faults-helpers.js'
import {
  REGISTRY_ROW,
  type ServeProcess,
  startServe,
  stopServe,
  writeSeededCsv,
} from '../test/e2e/faults-registry-helpers.js'
import {
  type Backend,
  type Balancer,
  HAPROXY_PATH,
  startHaproxy,
  writeHaproxyConfig,
} from '../test/e2e/replicas-helpers.js'
import { runCli } from '../test/helpers/cli.js'
import { testBackends } from '../test/helpers/test-backends.js'

const { values } = parseArgs({
  options: { duration: { type: 'string' }, concurrency: { type: 'string' }, warmup: { type: 'string' } },
})
const durationS = Number(values.duration ?? 10)
const concurrency = Number(values.concurrency ?? 32)
const warmupS = Number(values.warmup ?? 2)

interface Result {
  readonly setting: string
  readonly rps: number
  readonly p50: number
  readonly p99: number
  readonly errors: number
  /** CPU milliseconds (replicas + HAProxy, not the load generator) per answered request. */
  readonly cpuMsPerRequest: number
}

/** CPU ticks (user + system, 1/100 s) of the given processes, from /proc. */
function cpuTicks(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // exited
    }
  }
  return ticks
}

/** Keep-alive load: `concurrency` loops each sending the next request once the last is answered. */
async function load(
  port: number,
  seconds: number,
): Promise<{ ok: number; errors: number; latencies: number[] }> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const body = JSON.stringify({ features: REGISTRY_ROW })
  const until = Date.now() + seconds * 1000
  let ok = 0
  let errors = 0
  const latencies: number[] = []
  const once = (): Promise<boolean> =>
    new Promise((resolve) => {
      const req = request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/models/m/predict',
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode === 200))
        },
      )
      req.on('error', () => resolve(false))
      req.end(body)
    })
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < until) {
        const t0 = performance.now()
        if (await once()) {
          ok++
          latencies.push(performance.now() - t0)
        } else errors++
      }
    }),
  )
  agent.destroy()
  return { ok, errors, latencies }
}

const quantile = (xs: number[], q: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN
}

async function measure(setting: string, port: number, pids: readonly number[]): Promise<Result> {
  await load(port, warmupS)
  const ticks0 = cpuTicks(pids)
  const started = performance.now()
  const r = await load(port, durationS)
  const elapsedS = (performance.now() - started) / 1000
  const cpuMs = (cpuTicks(pids) - ticks0) * 10
  const result = {
    setting,
    rps: r.ok / elapsedS,
    p50: quantile(r.latencies, 0.5),
    p99: quantile(r.latencies, 0.99),
    errors: r.errors,
    cpuMsPerRequest: cpuMs / Math.max(1, r.ok),
  }
  console.error(
    `${setting}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, errors ${r.errors}`,
  )
  return result
}

async function main(): Promise<void> {
  const postgres = testBackends().find((b) => b.name === 'postgres')!
  if (postgres.skip !== false) throw new Error(`bench/replicas.ts needs PostgreSQL: ${postgres.skip}`)
  const work = mkdtempSync(join(tmpdir(), 'keel-bench-replicas-'))
  const db = await postgres.database()
  const servers: ServeProcess[] = []
  const balancers: Balancer[] = []
  const loadBefore = loadavg()
  try {
    const env = { KEEL_HOME: join(work, 'home'), USER: 'bench', KEEL_DEBUG: '', KEEL_DATABASE_URL: db.url }
    const data = writeSeededCsv(work)
    for (const args of [
      ['train', '--data', data, '--target', 'y', '--model', 'linear', '--seed', '1', '--name', 'm'],
      ['models', 'promote', 'm', '1', '--to', 'production'],
    ]) {
      const r = await runCli(args, { cwd: work, env, timeoutMs: 180_000 })
      if (r.code !== 0) throw new Error(`keel ${args.join(' ')} failed:\n${r.stderr}`)
    }
    const backends: Backend[] = []
    for (const name of ['r0', 'r1', 'r2']) backends.push({ name, port: await freePort() })
    servers.push(
      ...(await Promise.all(
        backends.map((b) =>
          startServe(['--port', String(b.port), '--models', 'm@production', '--workers', '1'], {
            cwd: work,
            env,
          }),
        ),
      )),
    )
    const replicaPids = servers.map((s) => s.child.pid!)
    const results: Result[] = [await measure('direct', backends[0]!.port, replicaPids)]
    for (const n of [1, 2, 3]) {
      const port = await freePort()
      const balancer = await startHaproxy(
        HAPROXY_PATH,
        writeHaproxyConfig(work, port, backends.slice(0, n)),
        port,
      )
      balancers.push(balancer)
      // The health checks mark every server up (rise 1, every 200 ms) before the load starts.
      await sleep(500)
      results.push(await measure(`haproxy-${n}`, port, [...replicaPids, balancer.child.pid!]))
      await balancer.stop()
    }
    const base = results[0]!.rps
    const lines = [
      `Machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average before: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
      `Load: ${concurrency} keep-alive connections, ${durationS} s per setting after ${warmupS} s warm-up, single-row predict (linear model), generator in the bench process.`,
      '',
      '| setting | req/s | vs direct | p50 ms | p99 ms | errors | server CPU ms/req |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...results.map(
        (r) =>
          `| ${r.setting} | ${r.rps.toFixed(0)} | ${(r.rps / base).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.errors} | ${r.cpuMsPerRequest.toFixed(3)} |`,
      ),
    ]
    console.log(lines.join('\n'))
    writeFileSync(join(work, 'results.json'), JSON.stringify(results, null, 2))
  } finally {
    await Promise.all(balancers.map((b) => b.stop()))
    await Promise.all(servers.map((s) => stopServe(s)))
    await db.drop()
  }
}

await main()
