/**
 * The prediction log from several replicas on one PostgreSQL: N writer processes (each what one
 * `keel serve` replica runs: a `PredictionLog` over the PostgreSQL sink, multi-row INSERT batches of
 * 500 rows, one transaction each) append as fast as the database takes them, for N = 1, 2, 3. It
 * reports the rows/s written in total and per writer, and how often a writer's connection was seen
 * waiting on a lock (`pg_stat_activity.wait_event_type = 'Lock'`, sampled every 20 ms): zero means
 * the replicas' batches do not contend.
 *
 * Run: node --import tsx bench/predlog-writers.ts [--url postgres://postgres@127.0.0.1:5432/test]
 *   [--seconds 8] [--writers 1,2,3]
 */
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { migrateServeTables, PredictionLog, predictionLogSink } from '../src/predlog/index.js'
import { openDb } from '../src/store/index.js'

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/test' },
    seconds: { type: 'string', default: '8' },
    writers: { type: 'string', default: '1,2,3' },
    child: { type: 'string' },
    schema: { type: 'string' },
    app: { type: 'string' },
  },
})
const seconds = Number(values.seconds)

/** One replica's log writer: appends entries until the time is up, keeping the queue fed. */
async function writer(url: string, schema: string, app: string, index: number): Promise<void> {
  const named = new URL(url)
  named.searchParams.set('application_name', app)
  const db = await openDb(named.toString(), { schema })
  const k = await migrateServeTables(db)
  let written = 0
  const log = new PredictionLog(
    predictionLogSink(db, k),
    { batchSize: 500, flushIntervalMs: 100, maxQueue: 20_000 },
    {
      onWritten: (n) => {
        written += n
      },
    },
  )
  const features = { tenure: 12, plan: 'pro', monthly: 71.5, region: 'eu', support_calls: 3 }
  const until = Date.now() + seconds * 1000
  let n = 0
  while (Date.now() < until) {
    // Keep a few batches queued: the writer is then limited by the database, not by this loop.
    while (log.depth < 2000) {
      log.append({
        id: `w${index}-${n++}`,
        ts: Date.now(),
        model: 'churn',
        version: 1,
        variant: 'default',
        experimentId: null,
        requestKey: null,
        features,
        output: { prediction: 'no', probabilities: { no: 0.9, yes: 0.1 } },
        score: 0.1,
        latencyMs: 0.4,
        servedBy: 'primary',
        shadowOf: null,
      })
    }
    await new Promise((r) => setTimeout(r, 2))
  }
  const writtenInTime = written
  await log.close()
  await db.close()
  process.send?.({ written: writtenInTime })
}

async function run(n: number, url: string): Promise<void> {
  const schema = `keel_bench_predlog_${process.pid}_${n}`
  const app = `keel_bench_predlog_${process.pid}_${n}`
  const setup = await openDb(url, { schema })
  await migrateServeTables(setup)
  await setup.close()
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  let samples = 0
  let lockWaits = 0
  let active = 0
  const lockEvents = new Map<string, number>()
  const sampler = setInterval(() => {
    admin
      .query<{ waits: string; active: string; events: string | null }>(
        `select count(*) filter (where wait_event_type = 'Lock') as waits,
                count(*) filter (where state = 'active') as active,
                string_agg(wait_event, ',') filter (where wait_event_type = 'Lock') as events
           from pg_stat_activity where application_name = $1`,
        [app],
      )
      .then((r) => {
        samples++
        lockWaits += Number(r.rows[0]!.waits)
        active += Number(r.rows[0]!.active)
        for (const e of r.rows[0]!.events?.split(',') ?? []) lockEvents.set(e, (lockEvents.get(e) ?? 0) + 1)
      })
      .catch(() => undefined)
  }, 20)
  const started = Date.now()
  const results = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        new Promise<number>((resolve, reject) => {
          const child = fork(fileURLToPath(import.meta.url), [
            '--child',
            String(i),
            '--url',
            url,
            '--schema',
            schema,
            '--app',
            app,
            '--seconds',
            String(seconds),
          ])
          child.on('message', (m: { written: number }) => resolve(m.written))
          child.on('exit', (code) => {
            if (code !== 0) reject(new Error(`writer ${i} exited ${code}`))
          })
        }),
    ),
  )
  const wall = (Date.now() - started) / 1000
  clearInterval(sampler)
  const total = results.reduce((a, b) => a + b, 0)
  const rows = await admin.query<{ n: string }>(`select count(*) as n from ${schema}.serve_predictions`)
  await admin.query(`drop schema ${schema} cascade`)
  await admin.end()
  console.log(
    `| ${n} | ${Math.round(total / seconds).toLocaleString('en-US')} | ${results
      .map((r) => Math.round(r / seconds).toLocaleString('en-US'))
      .join(
        ' / ',
      )} | ${Number(rows.rows[0]!.n).toLocaleString('en-US')} | ${samples} | ${lockWaits} | ${(active / Math.max(1, samples)).toFixed(2)} | ${[...lockEvents].map(([e, c]) => `${e} ${c}`).join(', ') || '-'} | ${wall.toFixed(1)} |`,
  )
}

if (values.child !== undefined) {
  await writer(values.url!, values.schema!, values.app!, Number(values.child))
  process.exit(0)
} else {
  console.log(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${seconds} s per setting`,
  )
  console.log(
    '| writers | rows/s written (total) | per writer | rows in table | samples | lock-wait samples | mean active writers | lock waits by event | wall s |',
  )
  console.log('|---:|---:|---|---:|---:|---:|---:|---|---:|')
  for (const n of values.writers!.split(',').map(Number)) await run(n, values.url!)
  console.log(
    `load average after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  )
}
