/**
 * Tracking store benchmark: list 10,000 runs with a metric filter.
 *
 *   node --import tsx bench/track.ts [--runs 10000] [--url sqlite:/tmp/x.db | postgres://...]
 *
 * With a PostgreSQL URL it works in a fresh schema and drops it at the end.
 *
 * Inserts N runs (8 params, 6 final metrics, 3 tags each, over 5 experiments) in bulk, then times
 * listRuns queries through the public API (median of 5 after one warm-up, wall and CPU time). Also times the normal
 * write path (createRun + logMetrics + finishRun) on 200 extra runs. Prints the data shape, machine
 * and commit with the figures.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import { Rng } from '../src/core/index.js'
import { openDb } from '../src/store/index.js'
import { type ListRunsQuery, openTrackingStore } from '../src/track/index.js'
import type { TrackTables } from '../src/track/migrations.js'

const { values } = parseArgs({ options: { runs: { type: 'string' }, url: { type: 'string' } } })
const nRuns = Number(values.runs ?? 10_000)
const url = values.url ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'keel-bench-track-')), 'keel.db')}`

function commit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

const isPostgres = url.startsWith('postgres')
// PostgreSQL: a throwaway schema, dropped at the end, so the benchmark leaves nothing behind.
const schema = `keel_bench_${process.pid}`
const db = await openDb(url, isPostgres ? { schema } : {})
const store = await openTrackingStore(db)
const k = db.typed<TrackTables>()
const rng = new Rng(42)
const experiments = ['churn', 'fraud', 'prices', 'ltv', 'ranking']
const families = ['gbdt', 'rf', 'linear', 'mlp']
const now = Date.now()

const insertStart = performance.now()
for (const experiment of experiments) await store.getOrCreateExperiment(experiment)
await k.transaction().execute(async (trx) => {
  const BATCH = 250
  for (let start = 0; start < nRuns; start += BATCH) {
    const runs: TrackTables['track_runs'][] = []
    const params: TrackTables['track_params'][] = []
    const metrics: TrackTables['track_metrics'][] = []
    const tags: TrackTables['track_tags'][] = []
    for (let i = start; i < Math.min(nRuns, start + BATCH); i++) {
      const id = `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`
      const startedAtMs = now - Math.floor(rng.next() * 90 * 86_400_000)
      const family = families[i % families.length]!
      runs.push({
        id,
        experiment: experiments[i % experiments.length]!,
        name: `${family}-${i}`,
        status: 'finished',
        started_at_ms: startedAtMs,
        finished_at_ms: startedAtMs + 1000 + Math.floor(rng.next() * 60_000),
        user_name: 'bench',
        host: 'bench-host',
        seed: i,
        dataset_fingerprint: 'f'.repeat(64),
        git_commit: null,
        package_versions: '{"keel-ml":"0.1.0"}',
        timings: '{"fit":1200}',
        error: null,
        schema_json: null,
      })
      const p: Record<string, unknown> = {
        family,
        nEstimators: 100 + (i % 5) * 100,
        learningRate: 0.05 + (i % 4) * 0.05,
        maxDepth: 3 + (i % 6),
        minSamplesLeaf: 20,
        subsample: 0.8,
        seed: i,
        hidden: [64, 32],
      }
      for (const [key, value] of Object.entries(p))
        params.push({ run_id: id, key, value: JSON.stringify(value) })
      const auc = 0.5 + rng.next() * 0.5
      const m: Record<string, number> = {
        roc_auc: auc,
        pr_auc: auc * 0.8,
        log_loss: 1 - auc,
        accuracy: 0.5 + auc / 3,
        f1: auc * 0.7,
        fit_seconds: rng.next() * 30,
      }
      for (const [key, value] of Object.entries(m)) metrics.push({ run_id: id, key, value })
      for (const [key, value] of Object.entries({
        family,
        stage: i % 10 === 0 ? 'candidate' : 'trial',
        owner: 'ml',
      })) {
        tags.push({ run_id: id, key, value })
      }
    }
    await trx.insertInto('track_runs').values(runs).execute()
    for (let j = 0; j < params.length; j += 500)
      await trx
        .insertInto('track_params')
        .values(params.slice(j, j + 500))
        .execute()
    for (let j = 0; j < metrics.length; j += 500)
      await trx
        .insertInto('track_metrics')
        .values(metrics.slice(j, j + 500))
        .execute()
    for (let j = 0; j < tags.length; j += 500)
      await trx
        .insertInto('track_tags')
        .values(tags.slice(j, j + 500))
        .execute()
  }
})
const insertMs = performance.now() - insertStart

const apiStart = performance.now()
const API_RUNS = 200
for (let i = 0; i < API_RUNS; i++) {
  const run = await store.createRun({
    experiment: 'churn',
    params: { family: 'gbdt', nEstimators: 200, seed: i },
    tags: { family: 'gbdt' },
    gitCommit: null,
  })
  await store.logMetrics(run.id, { roc_auc: 0.5 + rng.next() * 0.5, log_loss: 0.4 })
  await store.finishRun(run.id, { status: 'finished' })
}
const apiMsPerRun = (performance.now() - apiStart) / API_RUNS

async function time(label: string, query: ListRunsQuery): Promise<string> {
  await store.listRuns(query)
  const times: number[] = []
  const cpuTimes: number[] = []
  let count = 0
  for (let i = 0; i < 5; i++) {
    const t = performance.now()
    const cpu = process.cpuUsage()
    count = (await store.listRuns(query)).length
    const used = process.cpuUsage(cpu)
    times.push(performance.now() - t)
    cpuTimes.push((used.user + used.system) / 1000)
  }
  times.sort((a, b) => a - b)
  cpuTimes.sort((a, b) => a - b)
  return `| ${label} | ${count} | ${times[2]!.toFixed(0)} | ${times[4]!.toFixed(0)} | ${cpuTimes[2]!.toFixed(0)} |`
}

const rows = [
  await time("metrics: ['roc_auc>0.8'] (all matches, full records)", { metrics: ['roc_auc>0.8'] }),
  await time("metrics: ['roc_auc>0.8'], limit 50", { metrics: ['roc_auc>0.8'], limit: 50 }),
  await time("metrics: ['roc_auc>0.8'], orderBy roc_auc, limit 50", {
    metrics: ['roc_auc>0.8'],
    orderBy: { metric: 'roc_auc' },
    limit: 50,
  }),
  await time("experiment churn + tag family=gbdt + 'roc_auc>0.9' + since 30 days", {
    experiment: 'churn',
    tags: { family: 'gbdt' },
    metrics: ['roc_auc>0.9'],
    since: new Date(now - 30 * 86_400_000),
  }),
  await time('no filter (all runs, full records)', {}),
]

const cpu = cpus()
console.log(`keel tracking benchmark: commit ${commit()}, node ${process.version}, ${db.dialect} (${db.url})`)
console.log(
  `machine: ${cpu.length} x ${cpu[0]?.model ?? 'unknown cpu'}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
console.log(
  `data: ${nRuns} runs x (8 params, 6 metrics, 3 tags), 5 experiments; bulk insert ${(insertMs / 1000).toFixed(1)} s`,
)
console.log(
  `write path (createRun + logMetrics + finishRun): ${apiMsPerRun.toFixed(1)} ms per run (${API_RUNS} runs)`,
)
console.log('')
// CPU ms is this process's user+system time: on a shared, overloaded machine it shows the cost
// without the time spent waiting for a core (better-sqlite3 runs the query in this process).
console.log('| listRuns query | runs returned | median wall ms | max wall ms | median CPU ms |')
console.log('|---|---|---|---|---|')
for (const row of rows) console.log(row)
await store.close()
if (isPostgres) await sql.raw(`drop schema ${schema} cascade`).execute(db.typed<unknown>())
await db.close()
