/**
 * How fast can any Node.js server answer the serve bench's single-row request on this machine?
 * Starts three do-nothing JSON servers with the same worker count as bench/serve.ts (node:cluster,
 * 2 workers by default), each parsing the request body and answering a small JSON object:
 * - `fastify`: Fastify 5, one POST route, no schema (the framework's floor);
 * - `http`: bare `node:http` (the floor of Node's http layer);
 * - `net`: a bare `node:net` server that frames requests itself (the floor of Node's event loop and
 *   the loopback TCP stack).
 * and loads each with wrk exactly as bench/serve.ts loads Keel and FastAPI, next to the FastAPI GBDT
 * anchor (bench/serve_fastapi.py) and Keel's own server measured in the same run (`--keel`, default
 * on: the 100-tree GBDT of bench/serve.ts, prediction log on (SQLite), compiled build; `--src` runs
 * it from the sources). The ratios say how many times FastAPI's best throughput each server
 * reaches, and Keel's best against the empty `node:http` server's best (issue 18's serving row:
 * Keel validates, scores, logs and meters every request, and should keep >= 90 % of that floor).
 *
 * Run: node --import tsx bench/serve-ceiling.ts [--duration 5] [--workers 2] [--concurrency 2,4,8,16]
 *   [--no-keel] [--src] [--decompose] [--runs 1]
 *
 * `--decompose` adds Keel without the prediction log, and without the model as well (a constant
 * answer): the share of the empty server's throughput that each part of Keel's work costs.
 */

import { execFileSync } from 'node:child_process'
import cluster from 'node:cluster'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer as createHttpServer } from 'node:http'
import { createServer as createNetServer, type Socket } from 'node:net'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { GradientBoostingClassifier } from '../src/models/index.js'
import { makeData, N_FEATURES, NAMES, requestBodies, writeChurnCsv } from './lib/churn.js'
import { isClean, spawnFastapi, spawnReady, wrk } from './lib/wrk.js'

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    port: { type: 'string' },
    workers: { type: 'string' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    'no-keel': { type: 'boolean' },
    src: { type: 'boolean' },
    decompose: { type: 'boolean' },
    runs: { type: 'string' },
  },
})
const workers = Number(values.workers ?? availableParallelism())

/** The median of the finite values (NaN when there are none). */
function median(values: readonly number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (v.length === 0) return Number.NaN
  const m = Math.floor(v.length / 2)
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2
}

/** The answer each floor server sends: about the size of Keel's single-row answer. */
function answer(body: unknown): string {
  const n = typeof body === 'object' && body !== null ? Object.keys(body).length : 0
  return JSON.stringify({
    predictionId: '01a21876-d843-70bd-ad01-a128062af95d',
    prediction: 'no',
    probabilities: { no: 0.9602242937198571, yes: 0.03977570628014289 },
    model: 'churn',
    version: n,
    variant: 'default',
    servedBy: 'primary',
  })
}

function serveFloor(kind: string, port: number): void {
  if (kind === 'fastify') {
    const app = Fastify({ logger: false })
    // The answer goes out as the text it is, as the http and net floors send it: returning an object
    // would add a serialization those floors do not pay.
    app.post('/v1/models/:name/predict', (request, reply) => {
      reply.type('application/json; charset=utf-8').send(answer(request.body))
    })
    void app.listen({ port, host: '127.0.0.1' })
    return
  }
  if (kind === 'http') {
    createHttpServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const text = answer(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(text),
        })
        res.end(text)
      })
    }).listen(port, '127.0.0.1')
    return
  }
  createNetServer((socket: Socket) => {
    socket.setNoDelay(true)
    socket.on('error', () => undefined)
    let buf: Buffer | undefined
    socket.on('data', (chunk: Buffer) => {
      buf = buf === undefined ? chunk : Buffer.concat([buf, chunk])
      for (;;) {
        const headEnd: number = buf.indexOf('\r\n\r\n')
        if (headEnd < 0) return
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.toString('latin1', 0, headEnd))
        const end: number = headEnd + 4 + (m === null ? 0 : Number(m[1]))
        if (buf.length < end) return
        const text = answer(JSON.parse(buf.toString('utf8', headEnd + 4, end)))
        socket.write(
          `HTTP/1.1 200 OK\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\n` +
            `Date: ${new Date().toUTCString()}\r\nConnection: keep-alive\r\n\r\n${text}`,
        )
        buf = buf.length === end ? undefined : buf.subarray(end)
        if (buf === undefined) return
      }
    })
  }).listen(port, '127.0.0.1')
}

if (values.child !== undefined) {
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork()
    let up = 0
    cluster.on('listening', () => {
      if (++up === workers) process.stdout.write('READY\n')
    })
  } else {
    serveFloor(values.child, Number(values.port))
    if (workers <= 1) setTimeout(() => process.stdout.write('READY\n'), 300)
  }
} else await main()

async function main(): Promise<void> {
  const duration = Number(values.duration ?? 5)
  const levels = (values.concurrency ?? '2,4,8,16').split(',').map(Number)
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-ceiling-'))
  // The serve bench's data and single-row request (bench/lib/churn.ts).
  const dataPath = join(dir, 'churn.csv')
  const train = makeData(5000, 7)
  writeChurnCsv(dataPath, train)
  const withKeel = values['no-keel'] !== true
  const keelServers: [string, number, () => Promise<{ kill(): Promise<void> }>][] = []
  if (withKeel) {
    if (values.src !== true) execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' })
    // bench/serve.ts's GBDT, served by its Keel child (same config: prediction log on, SQLite).
    const fitted = await new GradientBoostingClassifier({ nEstimators: 100, seed: 7, threads: 1 }).fit(
      { rows: 5000, cols: N_FEATURES, data: train.x },
      train.y,
      { featureNames: NAMES },
    )
    const artifact = join(dir, 'gbdt.json')
    writeFileSync(artifact, JSON.stringify(fitted.toArtifact()))
    const servePath = fileURLToPath(new URL('./serve.ts', import.meta.url))
    // The full server, then the same server without the prediction log (no database), then without
    // the model too (a constant answer after the same featurization): what each part costs.
    const variants: [string, string, string[]][] = [
      ['Keel GBDT, log on', `sqlite:${join(dir, 'keel.db')}`, []],
      ...(values.decompose === true
        ? ([
            ['Keel GBDT, log off', 'none', []],
            ['Keel constant model, log off', 'none', ['--constant-model']],
          ] as [string, string, string[]][])
        : []),
    ]
    for (const [i, [label, db, extra]] of variants.entries()) {
      const port = 19_600 + i * 10 + Math.floor(Math.random() * 10)
      keelServers.push([
        label,
        port,
        () =>
          spawnReady(
            process.execPath,
            [
              '--import',
              'tsx',
              servePath,
              '--child',
              'keel',
              '--artifact',
              artifact,
              '--port',
              String(port),
              '--workers',
              String(workers),
              '--db',
              db,
              ...extra,
              ...(values.src === true ? ['--src'] : []),
            ],
            {},
          ),
      ])
    }
  }
  const { single } = requestBodies()
  const self = fileURLToPath(import.meta.url)
  const basePort = 19_000 + Math.floor(Math.random() * 500)
  const servers: [string, number, () => Promise<{ kill(): Promise<void> }>][] = [
    [
      'FastAPI GBDT (anchor)',
      basePort,
      () => spawnFastapi({ dataPath, model: 'gbdt', port: basePort, workers }),
    ],
    ...(['fastify', 'http', 'net'] as const).map(
      (kind, i): [string, number, () => Promise<{ kill(): Promise<void> }>] => [
        `empty ${kind}`,
        basePort + 1 + i,
        () =>
          spawnReady(
            process.execPath,
            [
              '--import',
              'tsx',
              self,
              '--child',
              kind,
              '--port',
              String(basePort + 1 + i),
              '--workers',
              String(workers),
            ],
            {},
          ),
      ],
    ),
    ...keelServers,
  ]
  console.log(
    `# serve ceiling: ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, node ${process.version}, ${workers} workers each, ` +
      `${duration}s per point, wrk; load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  )
  const stops: { kill(): Promise<void> }[] = []
  const best: number[] = []
  try {
    for (const [, , launch] of servers) stops.push(await launch())
    await new Promise((r) => setTimeout(r, 1000))
    const runs = Number(values.runs ?? 1)
    // rps[server][level][run]: every run visits every level of every server, interleaved, so that
    // drifting load hits every server alike; a point is the median of its runs.
    const rps = servers.map(() => levels.map(() => [] as number[]))
    const p99 = servers.map(() => levels.map(() => [] as number[]))
    for (const [, port] of servers) wrk(`http://127.0.0.1:${port}/v1/models/churn/predict`, single, 4, 1, dir) // warm-up
    for (let run = 0; run < runs; run++)
      for (const [j, c] of levels.entries())
        for (const [i, [, port]] of servers.entries()) {
          const r = wrk(`http://127.0.0.1:${port}/v1/models/churn/predict`, single, c, duration, dir)
          rps[i]![j]!.push(isClean(r) ? r.rps : Number.NaN)
          p99[i]![j]!.push(isClean(r) ? r.p99 : Number.NaN)
        }
    const medRps = rps.map((perLevel) => perLevel.map(median))
    const medP99 = p99.map((perLevel) => perLevel.map(median))
    console.log(
      `| server | ${levels.map((c) => `c=${c} req/s`).join(' | ')} | best | best / FastAPI best |` +
        (runs > 1 ? ` (medians of ${runs} runs)` : ''),
    )
    console.log(`|---|${levels.map(() => '---:').join('|')}|---:|---:|`)
    for (const [i, [name]] of servers.entries()) {
      const b = Math.max(...medRps[i]!.filter(Number.isFinite))
      best.push(b)
      console.log(
        `| ${name} | ${medRps[i]!.map((r) => r.toFixed(0)).join(' | ')} | ${b.toFixed(0)} | ${(b / best[0]!).toFixed(1)}× |`,
      )
    }
    const http = servers.findIndex(([name]) => name === 'empty http')
    for (const [keel, [name]] of servers.entries()) {
      if (!name.startsWith('Keel') || http < 0) continue
      console.log(
        `\n${name}: best / empty node:http best: ${((best[keel]! / best[http]!) * 100).toFixed(1)} % (issue 18 target for the full server: >= 90 %); ` +
          `p99 ms per level: ${levels.map((c, j) => `c=${c} ${medP99[keel]![j]!.toFixed(2)}`).join(', ')} (target < 5 ms)`,
      )
    }
  } finally {
    for (const stop of stops) await stop.kill()
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}
