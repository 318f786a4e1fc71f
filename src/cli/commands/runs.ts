import { AppError } from '../../core/index.js'
import {
  type JsonValue,
  type ListRunsQuery,
  openTrackingStore,
  parseMetricFilter,
  parseTagFilter,
  parseTimeBound,
  type RunDetail,
  type RunRecord,
  type RunStatus,
  type TrackingStore,
} from '../../track/index.js'
import { flagOpt, type ParsedArgs, parseCommandArgs, runSubcommand, stringOpt, withOpened } from '../args.js'
import type { Command } from '../command.js'
import { formatTable, formatTime, formatValue, info, printJson } from '../output.js'

const USAGE = `Usage: keel runs <list|show|compare> [options]

Lists, shows, compares, tags and annotates recorded training runs.

  keel runs list [--experiment E] [--tag K=V]... [--filter 'METRIC>0.8']... [--since DATE] [--until DATE]
                 [--status S] [--order-by METRIC[:asc]] [--limit N] [--json]
  keel runs show RUN [--json]
  keel runs compare RUN RUN... [--json]
  keel runs tag RUN KEY=VALUE...
  keel runs note RUN TEXT [--author WHO]

RUN is a run id or a unique prefix of at least 6 characters (as shown by 'keel runs list').

Options:
  --experiment E     only runs of experiment E
  --tag K=V          only runs tagged K=V (repeatable)
  --filter EXPR      metric filter: METRIC OP NUMBER with OP one of > >= < <= = != (repeatable)
  --since DATE       runs started at or after DATE: 2026-11-01, 2026-11-01T12:00Z, or 12h / 7d / 2w ago
  --until DATE       runs started before DATE (same forms)
  --status S         running | finished | failed | killed
  --order-by M[:asc] order by metric M, best first (desc by default); default newest first
  --limit N          at most N runs (default 50; 0 for no limit)
  --json             machine-readable output on stdout

The database is $KEEL_DATABASE_URL (postgres://...) or the embedded SQLite file in $KEEL_HOME (default .keel/).`

const DEFAULT_LIMIT = 50
const MAX_METRIC_COLUMNS = 5
const STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'killed']

function formatDuration(ms: number | null): string {
  if (ms === null) return ''
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${String(Math.round(s % 60)).padStart(2, '0')}s`
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`
}

function formatParam(value: JsonValue | null | undefined): string {
  if (value === undefined || value === null) return value === null ? 'null' : ''
  return typeof value === 'string' ? value : JSON.stringify(value)
}

function multiOpt(args: ParsedArgs, name: string): string[] {
  const v = args.values[name]
  if (v === undefined) return []
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string')
}

function usageError(message: string): AppError {
  return new AppError('CLI_USAGE', `${message} See 'keel runs --help'.`)
}

function withStore<T>(body: (store: TrackingStore) => Promise<T>): Promise<T> {
  return withOpened(openTrackingStore, body)
}

/** Metric columns for a run list: the ones filtered or ordered on first, then the most common. */
function metricColumns(runs: readonly RunRecord[], preferred: readonly string[]): string[] {
  const counts = new Map<string, number>()
  for (const run of runs)
    for (const key of Object.keys(run.metrics)) counts.set(key, (counts.get(key) ?? 0) + 1)
  const rest = [...counts.entries()]
    .filter(([key]) => !preferred.includes(key))
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([key]) => key)
  return [...new Set(preferred), ...rest].slice(0, MAX_METRIC_COLUMNS)
}

/**
 * The columns a run list leads with when no filter or order names one: each run's primary metric
 * (its `primary_metric` tag) on the test part, then cross-validated. Runs recorded before the tag
 * existed fall back to the most common `test_*` metric.
 */
function headlineColumns(runs: readonly RunRecord[]): string[] {
  const primaries = [
    ...new Set(runs.map((r) => r.tags.primary_metric).filter((m): m is string => m !== undefined)),
  ]
  const present = new Map<string, number>()
  for (const run of runs)
    for (const key of Object.keys(run.metrics)) present.set(key, (present.get(key) ?? 0) + 1)
  if (primaries.length === 0) {
    const tested = [...present.entries()].filter(([k]) => k.startsWith('test_')).sort((a, b) => b[1] - a[1])
    return tested.slice(0, 1).map(([k]) => k)
  }
  return [...primaries.map((m) => `test_${m}`), ...primaries.map((m) => `cv_${m}`)].filter((k) =>
    present.has(k),
  )
}

async function listRuns(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    {
      experiment: { type: 'string' },
      tag: { type: 'string', multiple: true },
      filter: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      status: { type: 'string' },
      'order-by': { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
    },
    USAGE,
    { command: 'keel runs list' },
  )
  const filters = multiOpt(args, 'filter').map(parseMetricFilter)
  const tags = Object.fromEntries(multiOpt(args, 'tag').map(parseTagFilter))
  const rawLimit = stringOpt(args, 'limit')
  const limit = rawLimit === undefined ? DEFAULT_LIMIT : Number(rawLimit)
  if (!Number.isInteger(limit) || limit < 0)
    throw usageError(`--limit must be a whole number, got '${rawLimit}'.`)
  const status = stringOpt(args, 'status')
  if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
    throw usageError(`--status must be one of ${STATUSES.join(', ')}; got '${status}'.`)
  }
  const orderBy = stringOpt(args, 'order-by')
  const [orderMetric, orderDirection] = orderBy === undefined ? [] : orderBy.split(':')
  if (orderDirection !== undefined && orderDirection !== 'asc' && orderDirection !== 'desc') {
    throw usageError(`--order-by takes METRIC or METRIC:asc or METRIC:desc; got '${orderBy}'.`)
  }
  const experiment = stringOpt(args, 'experiment')
  const since = stringOpt(args, 'since')
  const until = stringOpt(args, 'until')
  const query: ListRunsQuery = {
    metrics: filters,
    tags,
    ...(experiment === undefined ? {} : { experiment }),
    ...(status === undefined ? {} : { status: status as RunStatus }),
    ...(since === undefined ? {} : { since: parseTimeBound(since) }),
    ...(until === undefined ? {} : { until: parseTimeBound(until) }),
    ...(orderMetric === undefined || orderMetric === ''
      ? {}
      : { orderBy: { metric: orderMetric, direction: orderDirection ?? 'desc' } }),
    ...(limit === 0 ? {} : { limit }),
  }
  const runs = await withStore((store) => store.listRuns(query))
  if (flagOpt(args, 'json')) {
    printJson(runs)
    return 0
  }
  if (runs.length === 0) {
    process.stdout.write('No runs match.\n')
    return 0
  }
  const preferred = [
    ...(orderMetric === undefined || orderMetric === '' ? [] : [orderMetric]),
    ...filters.map((f) => f.metric),
    ...headlineColumns(runs),
  ]
  const metrics = metricColumns(runs, preferred)
  const rows = runs.map((r) => [
    r.id.slice(0, 8),
    r.experiment,
    r.name ?? '',
    r.status,
    formatTime(r.startedAt),
    formatDuration(r.durationMs),
    ...metrics.map((m) => formatValue(r.metrics[m])),
  ])
  process.stdout.write(
    `${formatTable(['RUN', 'EXPERIMENT', 'NAME', 'STATUS', 'STARTED (UTC)', 'DURATION', ...metrics], rows)}\n`,
  )
  if (limit !== 0 && runs.length === limit)
    info(`(showing the first ${limit} runs; use --limit N or --limit 0 for more)`)
  return 0
}

function keyValues(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length))
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`.trimEnd()).join('\n')
}

function renderRun(run: RunDetail): string {
  const out: string[] = [`Run ${run.id}`]
  const timings = Object.entries(run.timingsMs)
    .map(([k, v]) => `${k} ${formatDuration(v)}`)
    .join(', ')
  const facts: [string, string][] = [
    ['name', run.name ?? ''],
    ['experiment', run.experiment],
    ['status', run.status],
    ['started', `${formatTime(run.startedAt)} UTC`],
    [
      'finished',
      run.finishedAt === null ? '' : `${formatTime(run.finishedAt)} UTC (${formatDuration(run.durationMs)})`,
    ],
    ['user', `${run.user} on ${run.host}`],
    ['seed', run.seed === null ? '' : String(run.seed)],
    ['dataset', run.datasetFingerprint ?? ''],
    ['git commit', run.gitCommit ?? ''],
    [
      'packages',
      Object.entries(run.packageVersions)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['timings', timings],
    ['error', run.error ?? ''],
  ]
  out.push(keyValues(facts.filter(([, v]) => v !== '')))
  const section = (title: string, rows: [string, string][]) => {
    if (rows.length > 0) out.push('', title, keyValues(rows))
  }
  section(
    'Params',
    Object.entries(run.params).map(([k, v]) => [k, formatParam(v)]),
  )
  section(
    'Metrics',
    Object.entries(run.metrics).map(([k, v]) => [k, formatValue(v)]),
  )
  section(
    'Series',
    Object.entries(run.series).map(([k, points]) => {
      const last = points.at(-1)
      return [k, `${points.length} steps; last ${formatValue(last?.value)} at step ${last?.step ?? ''}`]
    }),
  )
  section(
    'Tags',
    Object.entries(run.tags).map(([k, v]) => [k, v]),
  )
  if (run.artifacts.length > 0) {
    out.push(
      '',
      'Artifacts',
      formatTable(
        ['  NAME', 'SIZE', 'SHA256', 'WHERE'],
        run.artifacts.map((a) => [
          `  ${a.name}`,
          formatBytes(a.sizeBytes),
          a.sha256.slice(0, 16),
          a.path ?? 'stored in the database',
        ]),
      ),
    )
  }
  if (run.notes.length > 0) {
    out.push('', 'Notes', ...run.notes.map((n) => `  ${formatTime(n.createdAt)} ${n.author}: ${n.text}`))
  }
  if (run.schema !== null) out.push('', 'Schema: recorded (see --json)')
  return `${out.join('\n')}\n`
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

async function showRun(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, USAGE, {
    command: 'keel runs show',
    maxPositionals: 1,
  })
  const [id, ...extra] = args.positionals
  if (id === undefined) throw usageError('keel runs show needs a run id.')
  if (extra.length > 0) throw usageError(`Unexpected argument '${extra[0]}'.`)
  const run = await withStore((store) => store.getRun(id))
  if (flagOpt(args, 'json')) printJson(run)
  else process.stdout.write(renderRun(run))
  return 0
}

async function compareRuns(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, USAGE, {
    command: 'keel runs compare',
    maxPositionals: Number.POSITIVE_INFINITY,
  })
  if (args.positionals.length < 2) throw usageError('keel runs compare needs at least two run ids.')
  const comparison = await withStore((store) => store.compareRuns(args.positionals))
  if (flagOpt(args, 'json')) {
    printJson(comparison)
    return 0
  }
  const header = ['', 'KEY', ...comparison.runs.map((r) => r.id.slice(0, 8))]
  const rows: string[][] = [
    ['', 'name', ...comparison.runs.map((r) => r.name ?? '')],
    ['', 'experiment', ...comparison.runs.map((r) => r.experiment)],
    ['', 'status', ...comparison.runs.map((r) => r.status)],
  ]
  for (const row of comparison.params) {
    rows.push([
      row.differs ? '*' : '',
      `param ${row.key}`,
      ...row.values.map((v) => (v === null ? '' : formatParam(v))),
    ])
  }
  for (const row of comparison.metrics) {
    rows.push([row.differs ? '*' : '', `metric ${row.key}`, ...row.values.map((v) => formatValue(v))])
  }
  for (const row of comparison.tags) {
    rows.push([row.differs ? '*' : '', `tag ${row.key}`, ...row.values.map((v) => v ?? '')])
  }
  process.stdout.write(`${formatTable(header, rows)}\n`)
  info('(* marks values that differ between runs)')
  return 0
}

async function tagRun(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, USAGE, {
    command: 'keel runs tag',
    maxPositionals: Number.POSITIVE_INFINITY,
  })
  const [id, ...pairs] = args.positionals
  if (id === undefined || pairs.length === 0)
    throw usageError('keel runs tag needs a run id and KEY=VALUE pairs.')
  const tags = Object.fromEntries(pairs.map(parseTagFilter))
  await withStore((store) => store.setTags(id, tags))
  process.stdout.write(`Tagged ${id}: ${pairs.join(' ')}\n`)
  return 0
}

async function noteRun(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { author: { type: 'string' } }, USAGE, {
    command: 'keel runs note',
    maxPositionals: Number.POSITIVE_INFINITY,
  })
  const [id, ...words] = args.positionals
  if (id === undefined || words.length === 0) throw usageError('keel runs note needs a run id and some text.')
  const author = stringOpt(args, 'author')
  await withStore((store) => store.annotate(id, words.join(' '), author === undefined ? {} : { author }))
  process.stdout.write(`Noted on ${id}.\n`)
  return 0
}

/** `keel runs list|show|compare|tag|note`. */
export const runsCommand: Command = {
  name: 'runs',
  summary: 'list, show, compare, tag and annotate recorded training runs',
  usage: USAGE,
  async run(argv) {
    return runSubcommand('keel runs', argv, {
      list: listRuns,
      show: showRun,
      compare: compareRuns,
      tag: tagRun,
      note: noteRun,
    })
  },
}
