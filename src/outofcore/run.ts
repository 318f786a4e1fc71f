import { extname } from 'node:path'
import { performance } from 'node:perf_hooks'
import { AppError, matrix } from '../core/index.js'
import type { ColumnKind } from '../data/index.js'
import type { TaskKind } from '../models/index.js'
import { type BundleFeature, type EncodedFeature, FeatureEncoder, ModelBundle } from '../pipeline/index.js'
import { openRegistry } from '../registry/index.js'
import { openTrackingStore } from '../track/index.js'
import {
  computeMetrics,
  DEFAULT_TEST_SIZE,
  defaultMetrics,
  higherIsBetter,
  type MetricValues,
} from '../train/index.js'
import { openDuckEngine } from './duckdb-engine.js'
import { quoteIdent, quoteLiteral, type SourceColumn, type SqlEngine, sqlDouble, toNumber } from './engine.js'
import { openPostgresEngine, redactUrl } from './postgres-engine.js'
import { checkSqlParams, type OutOfCoreFeature, trainOutOfCore } from './trainer.js'

/** Categorical levels kept as codes (the in-memory encoder's MAX_CODES); rarer levels share one code. */
const MAX_LEVELS = 250

/** Options of `runOutOfCoreTraining` (`keel train --out-of-core` / `--from postgres://`). */
export interface OutOfCoreRunOptions {
  /** Files to train on (Parquet, CSV or JSON lines; a glob), read by DuckDB in this process. */
  readonly data?: string
  /** `postgres://...?table=T`: train inside PostgreSQL on table T. */
  readonly from?: string
  readonly target: string
  /** binary | regression (default: inferred from the target's values). */
  readonly task?: TaskKind
  readonly params?: Readonly<Record<string, unknown>>
  readonly seed: number
  /** Share of rows held out as the test part, chosen in SQL (default 0.2). */
  readonly testSize?: number
  /** Registry name of the model. */
  readonly name: string
  readonly experiment?: string
  /** DuckDB's memory limit (local data only). */
  readonly maxMemoryBytes?: number
  /** Tracking and registry store URL (default: $KEEL_DATABASE_URL or the embedded SQLite). */
  readonly storeUrl?: string
  readonly onProgress?: (message: string) => void
}

/** What `keel train --out-of-core --json` prints: `keel train`'s fields where they mean the same. */
export interface OutOfCoreRunResult {
  readonly runId: string
  readonly model: string
  readonly name: string
  readonly version: number
  readonly task: TaskKind
  readonly taskReason: string
  readonly family: 'gbdt'
  readonly primaryMetric: string
  readonly fitSeconds: number
  readonly trainRows: number
  readonly testRows: number
  readonly metrics: { readonly train: MetricValues; readonly test?: MetricValues }
  readonly baseline: { readonly train: MetricValues; readonly test?: MetricValues }
  readonly improvementOverBaseline: number
  readonly improvementSplit: 'test' | 'train'
  readonly candidates: readonly never[]
  readonly constraints: readonly never[]
  /** No constraints are checked out of core, so none can fail. */
  readonly eligibleForProduction: true
  readonly artifactBytes: number
  readonly outOfCore: {
    readonly engine: 'duckdb' | 'postgres'
    readonly source: string
    readonly nRounds: number
    readonly validRows: number
    readonly histogramQueries: number
    readonly maxMemoryBytes: number | null
    readonly skippedColumns: readonly string[]
  }
}

/**
 * Parses a memory size: bytes, or a number with KB/MB/GB/TB (powers of 1000) or KiB/MiB/GiB/TiB
 * (powers of 1024); `4G` means GiB. Returns undefined for anything else.
 */
export function parseMemorySize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text)
  if (m === null) return undefined
  const value = Number(m[1])
  const unit = m[2]!.toLowerCase()
  const suffix = m[3]!.toLowerCase()
  if (unit === '' && suffix !== '' && suffix !== 'b') return undefined
  const power = ['', 'k', 'm', 'g', 't'].indexOf(unit)
  const base = suffix === 'b' ? 1000 : 1024
  const bytes = Math.floor(value * base ** power)
  return bytes > 0 && Number.isFinite(bytes) ? bytes : undefined
}

const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|INT|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|REAL|DOUBLE|DECIMAL.*|NUMERIC.*|INT\d)$/
const TEXT_TYPE = /^(VARCHAR.*|TEXT|CHAR.*|STRING|ENUM.*)$/

/** A relation for DuckDB over files, by extension. */
function fileRelation(pattern: string): string {
  const ext = extname(pattern).toLowerCase()
  const lit = quoteLiteral(pattern)
  if (ext === '.parquet') return `read_parquet(${lit})`
  if (ext === '.csv' || ext === '.tsv' || ext === '.txt') return `read_csv_auto(${lit})`
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return `read_json_auto(${lit})`
  throw new AppError(
    'OUTOFCORE_SOURCE',
    `Cannot tell the format of '${pattern}' from its extension; use .parquet, .csv or .jsonl files.`,
  )
}

/** The engine and relation a run reads: DuckDB over files, or PostgreSQL on `?table=`. */
async function openSource(
  options: OutOfCoreRunOptions,
): Promise<{ engine: SqlEngine; relation: string; label: string }> {
  if (options.from !== undefined) {
    let url: URL
    try {
      url = new URL(options.from)
    } catch {
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `--from must be a postgres:// URL with ?table=NAME, got '${options.from}'.`,
      )
    }
    if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
      throw new AppError('OUTOFCORE_SOURCE', `--from must be a postgres:// URL, got '${url.protocol}//...'.`)
    const table = url.searchParams.get('table')
    if (table === null || table === '')
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `--from needs the table to train on: ${redactUrl(options.from)}?table=NAME.`,
      )
    url.searchParams.delete('table')
    const engine = await openPostgresEngine(url.toString())
    const relation = table.split('.').map(quoteIdent).join('.')
    return { engine, relation, label: `${redactUrl(url.toString())} table ${table}` }
  }
  if (options.data === undefined)
    throw new AppError(
      'OUTOFCORE_SOURCE',
      'Out-of-core training needs --data FILES or --from postgres://...?table=T.',
    )
  // The GBDT `threads` param sets DuckDB's threads too: with one, sums are added in row order and
  // a rerun gives the same trees bit for bit; with more, partial sums merge in varying order.
  const threads = options.params?.threads
  const engine = await openDuckEngine({
    ...(options.maxMemoryBytes === undefined ? {} : { memoryLimitBytes: options.maxMemoryBytes }),
    ...(typeof threads === 'number' && threads > 0 ? { threads } : {}),
  })
  return { engine, relation: fileRelation(options.data), label: options.data }
}

/** One input column as the model sees it, with the SQL that encodes it. */
interface PlannedFeature {
  readonly feature: OutOfCoreFeature
  readonly encoded: EncodedFeature
  readonly column: string
}

/** Plans the features: numbers as they are, booleans as 0/1, text as codes of its sorted levels. */
async function planFeatures(
  engine: SqlEngine,
  relation: string,
  columns: readonly SourceColumn[],
  target: string,
): Promise<{ planned: PlannedFeature[]; skipped: string[] }> {
  const planned: PlannedFeature[] = []
  const skipped: string[] = []
  for (const col of columns) {
    if (col.name === target) continue
    const q = quoteIdent(col.name)
    if (NUMERIC_TYPE.test(col.type)) {
      planned.push({
        column: col.name,
        feature: { name: col.name, sql: q, categorical: false },
        encoded: { name: col.name, kind: 'numeric' },
      })
    } else if (col.type === 'BOOLEAN') {
      planned.push({
        column: col.name,
        feature: {
          name: col.name,
          sql: `CASE WHEN ${q} THEN 1 WHEN NOT ${q} THEN 0 END`,
          categorical: false,
        },
        encoded: { name: col.name, kind: 'boolean' },
      })
    } else if (TEXT_TYPE.test(col.type)) {
      const rows = await engine.query(
        `SELECT ${q}, COUNT(*) FROM ${relation} WHERE ${q} IS NOT NULL GROUP BY ${q} ORDER BY COUNT(*) DESC LIMIT ${MAX_LEVELS + 1}`,
      )
      const byFrequency = rows.map((r) => String(r[0]))
      const pooled = byFrequency.length > MAX_LEVELS
      // Sorted as the in-memory encoder sorts them (code i = levels[i]).
      const levels = byFrequency.slice(0, MAX_LEVELS).sort()
      const other = pooled ? String(levels.length) : 'NULL'
      const cases = levels.map((l, i) => `WHEN ${quoteLiteral(l)} THEN ${i}`).join(' ')
      planned.push({
        column: col.name,
        feature: {
          name: col.name,
          sql:
            levels.length === 0
              ? 'NULL'
              : `CASE WHEN ${q} IS NULL THEN NULL ELSE CASE ${q} ${cases} ELSE ${other} END END`,
          categorical: true,
        },
        encoded: {
          name: col.name,
          kind: 'categorical',
          levels,
          ...(pooled ? { otherCode: levels.length } : {}),
        },
      })
    } else {
      skipped.push(`${col.name} (${col.type})`)
    }
  }
  return { planned, skipped }
}

/** The task and the target's SQL: binary as 0/1 codes of the two sorted labels, regression as the value. */
async function planTarget(
  engine: SqlEngine,
  relation: string,
  col: SourceColumn,
  task: TaskKind | undefined,
): Promise<{ task: TaskKind; reason: string; sql: string; classes: readonly string[] }> {
  const q = quoteIdent(col.name)
  const numeric = NUMERIC_TYPE.test(col.type)
  const rows = await engine.query(
    `SELECT DISTINCT ${numeric ? `CAST(${q} AS DOUBLE PRECISION)` : `CAST(${q} AS VARCHAR)`} FROM ${relation} WHERE ${q} IS NOT NULL LIMIT 3`,
  )
  const distinct = rows.map((r) => r[0] ?? null)
  const inferred: TaskKind = distinct.length === 2 ? 'binary' : numeric ? 'regression' : 'multiclass'
  const chosen = task ?? inferred
  const reason =
    task !== undefined
      ? 'given'
      : inferred === 'binary'
        ? `target '${col.name}' has two distinct values`
        : `target '${col.name}' is numeric with more than two distinct values`
  if (chosen === 'multiclass')
    throw new AppError(
      'OUTOFCORE_UNSUPPORTED',
      `Out-of-core training does not support multiclass targets ('${col.name}' has more than two classes); train in memory, or give a binary or numeric target.`,
    )
  if (chosen === 'regression') {
    if (!numeric)
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `Target '${col.name}' is ${col.type}, not a number; a regression needs numbers.`,
      )
    return { task: chosen, reason, sql: `CAST(${q} AS DOUBLE PRECISION)`, classes: [] }
  }
  if (distinct.length !== 2)
    throw new AppError(
      'OUTOFCORE_SOURCE',
      `A binary target needs exactly two distinct values; '${col.name}' has ${distinct.length === 3 ? 'more than two' : distinct.length}.`,
    )
  if (numeric) {
    const [a, b] = distinct.map((v) => toNumber(v)).sort((x, y) => x - y) as [number, number]
    return {
      task: chosen,
      reason,
      sql: `CASE WHEN CAST(${q} AS DOUBLE PRECISION) = ${sqlDouble(b)} THEN 1 WHEN CAST(${q} AS DOUBLE PRECISION) = ${sqlDouble(a)} THEN 0 END`,
      classes: [String(a), String(b)],
    }
  }
  const [a, b] = distinct.map(String).sort() as [string, string]
  return {
    task: chosen,
    reason,
    sql: `CASE WHEN CAST(${q} AS VARCHAR) = ${quoteLiteral(b)} THEN 1 WHEN CAST(${q} AS VARCHAR) = ${quoteLiteral(a)} THEN 0 END`,
    classes: [a, b],
  }
}

function sigmoidProba(margin: Float64Array): ReturnType<typeof matrix> {
  const out = new Float64Array(margin.length * 2)
  for (let i = 0; i < margin.length; i++) {
    const p = 1 / (1 + Math.exp(-margin[i]!))
    out[2 * i] = 1 - p
    out[2 * i + 1] = p
  }
  return matrix(margin.length, 2, out)
}

/**
 * `keel train --out-of-core`: trains a GBDT inside DuckDB (local files, spilling past
 * `maxMemoryBytes`) or PostgreSQL (`--from`), holds out a seeded test part in SQL and scores it
 * there, then records the run and registers the model bundle as a new version, like `keel train`.
 * Post-fit steps that need every row in memory (reference profile, report, threshold choice,
 * cross-validation) are left out.
 */
export async function runOutOfCoreTraining(options: OutOfCoreRunOptions): Promise<OutOfCoreRunResult> {
  const note = options.onProgress ?? (() => undefined)
  const startedAt = new Date()
  const started = performance.now()
  const testSize = options.testSize ?? DEFAULT_TEST_SIZE
  checkSqlParams(options.params ?? {})
  const { engine, relation, label } = await openSource(options)
  try {
    let columns: SourceColumn[]
    try {
      columns = await engine.columns(relation)
    } catch (error) {
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `Cannot read ${label}: ${(error as Error).message.split('\n')[0]}`,
        {
          cause: error,
        },
      )
    }
    const targetCol = columns.find((c) => c.name === options.target)
    if (targetCol === undefined)
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `Target column '${options.target}' is not in ${label} (columns: ${columns.map((c) => c.name).join(', ')}).`,
      )
    const target = await planTarget(engine, relation, targetCol, options.task)
    note(`task ${target.task} (${target.reason}); planning features`)
    const { planned, skipped } = await planFeatures(engine, relation, columns, options.target)
    if (planned.length === 0)
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `${label} has no numeric, boolean or text column besides the target.`,
      )
    const missing = await engine.query(
      `SELECT ${planned.map((f) => `CAST(COUNT(*) - COUNT(${quoteIdent(f.column)}) AS DOUBLE PRECISION)`).join(', ')} FROM ${relation}`,
    )
    const params = { seed: options.seed, ...(options.params ?? {}) }
    const result = await trainOutOfCore({
      engine,
      source: relation,
      features: planned.map((f) => f.feature),
      target: target.sql,
      objective: target.task === 'binary' ? 'logistic' : 'squared-error',
      params,
      testFraction: testSize,
      splitSeed: options.seed,
      onProgress: note,
    })
    const features: BundleFeature[] = planned.map((f, j) => ({
      name: f.encoded.name,
      kind: f.encoded.kind as ColumnKind,
      ...(f.encoded.levels === undefined ? {} : { levels: f.encoded.levels }),
      hadMissing: toNumber(missing[0]?.[j] ?? null) > 0,
    }))
    const bundle = new ModelBundle({
      task: target.task,
      target: options.target,
      classes: target.classes,
      features,
      encoder: FeatureEncoder.fromState({ mode: 'codes', features: planned.map((f) => f.encoded) }),
      model: result.model,
      threshold: 0.5,
      family: 'gbdt',
    })
    const names = defaultMetrics(target.task)
    const primary = names[0]!
    let test: MetricValues | undefined
    let baselineTest: MetricValues | undefined
    if (result.test !== null && result.test.y.length > 0) {
      const { y, margin } = result.test
      const base = result.model.treesInput().baseScore[0]!
      const constant = new Float64Array(y.length).fill(base)
      if (target.task === 'binary') {
        test = computeMetrics('binary', names, y, { proba: sigmoidProba(margin) })
        baselineTest = computeMetrics('binary', names, y, { proba: sigmoidProba(constant) })
      } else {
        test = computeMetrics('regression', names, y, { values: margin })
        baselineTest = computeMetrics('regression', names, y, { values: constant })
      }
    }
    const artifact = bundle.toBytes()
    const flat: Record<string, number> = { fit_seconds: result.fitSeconds }
    for (const [k, v] of Object.entries(test ?? {})) flat[`test_${k}`] = v
    for (const [k, v] of Object.entries(baselineTest ?? {})) flat[`baseline_test_${k}`] = v

    note('recording the run and registering the model')
    const store = await openTrackingStore(options.storeUrl)
    let runId: string
    let version: number
    try {
      const run = await store.createRun({
        experiment: options.experiment ?? options.name,
        name: `${options.name}-outofcore`,
        params: {
          model: 'gbdt',
          family: 'gbdt',
          seed: options.seed,
          testSize,
          outOfCore: true,
          engine: engine.dialect,
          ...(options.maxMemoryBytes === undefined ? {} : { maxMemoryBytes: options.maxMemoryBytes }),
          ...JSON.parse(JSON.stringify(options.params ?? {})),
        },
        tags: {
          task: target.task,
          family: 'gbdt',
          primary_metric: primary,
          source: 'outofcore',
          engine: engine.dialect,
        },
        seed: options.seed,
        startedAt,
        schema: { columns: columns.map((c) => ({ name: c.name, type: c.type })) },
      })
      runId = run.id
      await store.logMetrics(run.id, flat)
      if (result.validationLoss.length > 0)
        await store.logMetricSeries(run.id, 'valid_loss', result.validationLoss.slice(1))
      await store.logArtifact(run.id, {
        kind: 'bytes',
        name: 'model.keel',
        bytes: artifact,
        contentType: 'application/octet-stream',
      })
      const registry = await openRegistry(options.storeUrl)
      try {
        version = (
          await registry.registerVersion({
            name: options.name,
            runId: run.id,
            artifact,
            featureSchema: features.map((f) => ({ ...f })),
            metrics: test ?? {},
            description: `GBDT trained out of core in ${engine.dialect} on ${label}`,
          })
        ).version
      } finally {
        await registry.close()
      }
      await store.finishRun(run.id, {
        status: 'finished',
        timingsMs: { total: performance.now() - started, fit: result.fitSeconds * 1000 },
      })
    } finally {
      await store.close()
    }
    const model = test?.[primary] ?? Number.NaN
    const base = baselineTest?.[primary] ?? Number.NaN
    return {
      runId,
      model: `${options.name}@${version}`,
      name: options.name,
      version,
      task: target.task,
      taskReason: target.reason,
      family: 'gbdt',
      primaryMetric: primary,
      fitSeconds: result.fitSeconds,
      trainRows: result.trainRows,
      testRows: result.testRows,
      metrics: { train: {}, ...(test === undefined ? {} : { test }) },
      baseline: { train: {}, ...(baselineTest === undefined ? {} : { test: baselineTest }) },
      improvementOverBaseline: higherIsBetter(primary) ? model - base : base - model,
      improvementSplit: test === undefined ? 'train' : 'test',
      candidates: [],
      constraints: [],
      eligibleForProduction: true,
      artifactBytes: artifact.byteLength,
      outOfCore: {
        engine: engine.dialect,
        source: label,
        nRounds: result.nRounds,
        validRows: result.validRows,
        histogramQueries: result.histogramQueries,
        maxMemoryBytes: options.maxMemoryBytes ?? null,
        skippedColumns: skipped,
      },
    }
  } finally {
    await engine.close()
  }
}
