import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import { InvalidArgumentError, NotFoundError, sha256, stableStringify } from '../core/index.js'
import type { KeelDb } from '../store/index.js'
import { currentHost, currentUser, defaultPackageVersions, detectGitCommit } from './environment.js'
import {
  AmbiguousRunIdError,
  ArtifactTamperedError,
  ConflictError,
  ExperimentNotFoundError,
  RunNotFoundError,
} from './errors.js'
import { parseMetricFilter } from './filter.js'
import type { TrackTables } from './migrations.js'
import type { TrackingStore } from './store.js'
import type {
  ArtifactInput,
  ArtifactRecord,
  ComparisonRow,
  CreateRunInput,
  ExperimentRecord,
  FinishRunInput,
  JsonValue,
  ListRunsQuery,
  MetricPoint,
  RunComparison,
  RunDetail,
  RunNote,
  RunRecord,
  RunStatus,
} from './types.js'

type Db = Kysely<TrackTables>
type RunRow = TrackTables['track_runs']

/** Rows per multi-row INSERT: far below SQLite's (32766) and PostgreSQL's (65535) parameter limits. */
const CHUNK = 500
/** Ids per IN list when loading records: few round trips, still under both parameter limits. */
const ID_CHUNK = 5000
const MAX_KEY_LENGTH = 250
/** Tag values are indexed; PostgreSQL btree entries must stay under ~2.7 kB. Long text goes in notes. */
const MAX_TAG_VALUE_LENGTH = 1000
const MIN_PREFIX_LENGTH = 6

const RUN_STATUSES: readonly RunStatus[] = ['running', 'finished', 'failed', 'killed']
const stringRecord = z.record(z.string(), z.string())
// JSON has no NaN: a NaN written anywhere reads back as null, so accept null rather than fail the run.
const numberRecord = z.record(
  z.string(),
  z
    .number()
    .or(z.null())
    .transform((v) => v ?? Number.NaN),
)

function* chunks<T>(items: readonly T[], size = CHUNK): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** JSON.parse output is JSON by construction; the cast only names that. */
function parseJson(text: string, what: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue
  } catch (error) {
    throw new InvalidArgumentError(
      `Stored ${what} is not valid JSON; the tracking database may be damaged.`,
      {
        cause: String(error),
      },
    )
  }
}

const parsedCache = new Map<string, unknown>()

/**
 * Parses a JSON column through a schema, remembering recent texts: most runs share the same
 * package versions, and listing 10k runs would otherwise parse the same text 10k times.
 */
function parseCached<T>(text: string, schema: z.ZodType<T>, what: string): T {
  // Keyed by column too: the same text must pass each column's own schema.
  const key = `${what}\u0000${text}`
  const cached = parsedCache.get(key)
  if (cached !== undefined) return cached as T
  const value = schema.parse(parseJson(text, what))
  if (parsedCache.size >= 1000) parsedCache.clear()
  parsedCache.set(key, value)
  return value
}

function toStored(value: number): number | null {
  return Number.isNaN(value) ? null : value
}

function fromStored(value: number | null): number {
  return value === null ? Number.NaN : Number(value)
}

function checkKey(key: string, what: string): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw new InvalidArgumentError(
      `A ${what} name must have 1 to ${MAX_KEY_LENGTH} characters; got '${key}'.`,
      {
        key,
      },
    )
  }
}

function checkNumber(value: unknown, key: string): number {
  if (typeof value !== 'number') {
    throw new InvalidArgumentError(`Metric '${key}' must be a number; got ${typeof value}.`, { key })
  }
  return value
}

function checkExperimentName(name: string): void {
  if (name.trim() === '' || name.length > 200) {
    throw new InvalidArgumentError(`An experiment name must have 1 to 200 characters; got '${name}'.`, {
      name,
    })
  }
}

/**
 * The tracking store on a Keel database (SQLite or PostgreSQL, through Kysely). Use
 * `openTrackingStore` rather than constructing it.
 */
export class SqlTrackingStore implements TrackingStore {
  readonly #keel: KeelDb
  readonly #db: Db
  readonly #ownsDb: boolean

  /** @param ownsDb whether `close()` closes `keel` too. */
  constructor(keel: KeelDb, ownsDb: boolean) {
    this.#keel = keel
    this.#db = keel.typed<TrackTables>()
    this.#ownsDb = ownsDb
  }

  async createExperiment(name: string, description?: string): Promise<ExperimentRecord> {
    checkExperimentName(name)
    const existing = await this.#db
      .selectFrom('track_experiments')
      .select('name')
      .where('name', '=', name)
      .executeTakeFirst()
    if (existing !== undefined) {
      throw new ConflictError(`Experiment '${name}' already exists; use getOrCreateExperiment to reuse it.`, {
        name,
      })
    }
    const createdAtMs = Date.now()
    await this.#db
      .insertInto('track_experiments')
      .values({ name, description: description ?? null, created_at_ms: createdAtMs })
      .execute()
    return { name, description: description ?? null, createdAt: iso(createdAtMs), runCount: 0 }
  }

  async getOrCreateExperiment(name: string): Promise<ExperimentRecord> {
    checkExperimentName(name)
    await this.#ensureExperiment(this.#db, name)
    const found = (await this.listExperiments()).find((e) => e.name === name)
    if (found === undefined) throw new ExperimentNotFoundError(name)
    return found
  }

  async listExperiments(): Promise<readonly ExperimentRecord[]> {
    const rows = await this.#db
      .selectFrom('track_experiments as e')
      .leftJoin('track_runs as r', 'r.experiment', 'e.name')
      .select(({ fn }) => [
        'e.name',
        'e.description',
        'e.created_at_ms',
        fn.count<number>('r.id').as('run_count'),
      ])
      .groupBy(['e.name', 'e.description', 'e.created_at_ms'])
      .orderBy('e.name')
      .execute()
    return rows.map((r) => ({
      name: r.name,
      description: r.description,
      createdAt: iso(Number(r.created_at_ms)),
      runCount: Number(r.run_count),
    }))
  }

  async #ensureExperiment(db: Db | Transaction<TrackTables>, name: string): Promise<void> {
    // ON CONFLICT DO NOTHING keeps concurrent creators (two trainers, two replicas) from failing.
    await db
      .insertInto('track_experiments')
      .values({ name, description: null, created_at_ms: Date.now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute()
  }

  async createRun(input: CreateRunInput): Promise<RunRecord> {
    checkExperimentName(input.experiment)
    const id = randomUUID().replaceAll('-', '')
    const params = input.params ?? {}
    const tags = input.tags ?? {}
    for (const key of Object.keys(params)) checkKey(key, 'param')
    this.#checkTags(tags)
    const row: RunRow = {
      id,
      experiment: input.experiment,
      name: input.name ?? null,
      status: 'running',
      started_at_ms: (input.startedAt ?? new Date()).getTime(),
      finished_at_ms: null,
      user_name: input.user ?? currentUser(),
      host: input.host ?? currentHost(),
      seed: input.seed ?? null,
      dataset_fingerprint: input.datasetFingerprint ?? null,
      git_commit: input.gitCommit === undefined ? detectGitCommit() : input.gitCommit,
      package_versions: JSON.stringify(input.packageVersions ?? defaultPackageVersions()),
      timings: '{}',
      error: null,
      schema_json: input.schema === undefined ? null : JSON.stringify(input.schema),
    }
    await this.#db.transaction().execute(async (trx) => {
      await this.#ensureExperiment(trx, input.experiment)
      await trx.insertInto('track_runs').values(row).execute()
      await this.#upsertParams(trx, id, params)
      await this.#upsertTags(trx, id, tags)
    })
    return this.#toRecord(row, params, {}, tags)
  }

  async logParams(runId: string, params: Readonly<Record<string, JsonValue>>): Promise<void> {
    for (const key of Object.keys(params)) checkKey(key, 'param')
    const id = await this.#resolveRunId(runId)
    await this.#db.transaction().execute((trx) => this.#upsertParams(trx, id, params))
  }

  async logMetrics(runId: string, metrics: Readonly<Record<string, number>>): Promise<void> {
    const entries = Object.entries(metrics)
    for (const [key, value] of entries) {
      checkKey(key, 'metric')
      checkNumber(value, key)
    }
    const id = await this.#resolveRunId(runId)
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunks(entries)) {
        await trx
          .insertInto('track_metrics')
          .values(part.map(([key, value]) => ({ run_id: id, key, value: toStored(value) })))
          .onConflict((oc) =>
            oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
          )
          .execute()
      }
    })
  }

  async logMetricSeries(
    runId: string,
    key: string,
    points: ArrayLike<number> | readonly MetricPoint[],
    options: { readonly startStep?: number } = {},
  ): Promise<void> {
    checkKey(key, 'metric')
    const now = Date.now()
    const startStep = options.startStep ?? 0
    const rows: TrackTables['track_series'][] = []
    for (let i = 0; i < points.length; i++) {
      const point = points[i] as number | MetricPoint
      const step = typeof point === 'number' ? startStep + i : point.step
      const value = typeof point === 'number' ? point : point.value
      if (!Number.isInteger(step)) {
        throw new InvalidArgumentError(`Series '${key}' step must be an integer; got ${step}.`, { key, step })
      }
      checkNumber(value, key)
      const timestampMs = typeof point === 'number' ? now : (point.timestampMs ?? now)
      rows.push({ run_id: '', key, step, value: toStored(value), timestamp_ms: timestampMs })
    }
    const id = await this.#resolveRunId(runId)
    await this.#db.transaction().execute(async (trx) => {
      for (const part of chunks(rows)) {
        await trx
          .insertInto('track_series')
          .values(part.map((r) => ({ ...r, run_id: id })))
          .onConflict((oc) =>
            oc.columns(['run_id', 'key', 'step']).doUpdateSet((eb) => ({
              value: eb.ref('excluded.value'),
              timestamp_ms: eb.ref('excluded.timestamp_ms'),
            })),
          )
          .execute()
      }
    })
  }

  async setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    this.#checkTags(tags)
    const id = await this.#resolveRunId(runId)
    await this.#db.transaction().execute((trx) => this.#upsertTags(trx, id, tags))
  }

  async annotate(runId: string, text: string, options: { readonly author?: string } = {}): Promise<void> {
    if (text.trim() === '') throw new InvalidArgumentError('A note needs some text.')
    const id = await this.#resolveRunId(runId)
    await this.#db
      .insertInto('track_notes')
      .values({ run_id: id, text, author: options.author ?? currentUser(), created_at_ms: Date.now() })
      .execute()
  }

  async logArtifact(runId: string, artifact: ArtifactInput): Promise<ArtifactRecord> {
    checkKey(artifact.name, 'artifact')
    const id = await this.#resolveRunId(runId)
    let content: Uint8Array | null
    let path: string | null
    switch (artifact.kind) {
      case 'bytes':
        content = artifact.bytes
        path = null
        break
      case 'path':
        content = null
        path = artifact.path
        break
    }
    const bytes = content ?? (await readArtifactFile(artifact.name, path ?? ''))
    const createdAtMs = Date.now()
    const row: TrackTables['track_artifacts'] = {
      run_id: id,
      name: artifact.name,
      path,
      content: content === null ? null : Buffer.from(content.buffer, content.byteOffset, content.byteLength),
      sha256: sha256(bytes),
      size_bytes: bytes.byteLength,
      content_type: artifact.contentType ?? null,
      created_at_ms: createdAtMs,
    }
    await this.#db
      .insertInto('track_artifacts')
      .values(row)
      .onConflict((oc) =>
        oc.columns(['run_id', 'name']).doUpdateSet({
          path: row.path,
          content: row.content,
          sha256: row.sha256,
          size_bytes: row.size_bytes,
          content_type: row.content_type,
          created_at_ms: row.created_at_ms,
        }),
      )
      .execute()
    return artifactRecord(row)
  }

  async getArtifact(runId: string, name: string): Promise<Uint8Array> {
    const id = await this.#resolveRunId(runId)
    const row = await this.#db
      .selectFrom('track_artifacts')
      .selectAll()
      .where('run_id', '=', id)
      .where('name', '=', name)
      .executeTakeFirst()
    if (row === undefined) {
      throw new NotFoundError(
        `Run ${id} has no artifact '${name}'. 'keel runs show ${id}' lists its artifacts.`,
        {
          kind: 'artifact',
          runId: id,
          name,
        },
      )
    }
    const bytes =
      row.content === null ? await readArtifactFile(name, row.path ?? '') : new Uint8Array(row.content)
    const actual = sha256(bytes)
    if (actual !== row.sha256) {
      throw new ArtifactTamperedError(`artifact '${name}' of run ${id}`, row.sha256, actual, {
        runId: id,
        name,
      })
    }
    return bytes
  }

  async finishRun(runId: string, input: FinishRunInput): Promise<RunRecord> {
    // Callers without types (JSON, CLI) can still pass anything here.
    if (!(['finished', 'failed', 'killed'] as readonly string[]).includes(input.status)) {
      throw new InvalidArgumentError(
        `finishRun needs status 'finished', 'failed' or 'killed'; got '${String(input.status)}'.`,
      )
    }
    for (const [key, value] of Object.entries(input.timingsMs ?? {})) {
      if (!Number.isFinite(checkNumber(value, key))) {
        throw new InvalidArgumentError(
          `Timing '${key}' must be a finite number of milliseconds; got ${value}.`,
          {
            key,
          },
        )
      }
    }
    const id = await this.#resolveRunId(runId)
    await this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('track_runs')
        .select('timings')
        .where('id', '=', id)
        .executeTakeFirst()
      if (current === undefined) throw new RunNotFoundError(id)
      const timings = { ...numberRecord.parse(parseJson(current.timings, 'timings')), ...input.timingsMs }
      await trx
        .updateTable('track_runs')
        .set({
          status: input.status,
          finished_at_ms: (input.finishedAt ?? new Date()).getTime(),
          timings: JSON.stringify(timings),
          error: input.error ?? null,
        })
        .where('id', '=', id)
        .execute()
    })
    const [record] = await this.#loadRecords([id])
    if (record === undefined) throw new RunNotFoundError(id)
    return record
  }

  async getRun(runId: string): Promise<RunDetail> {
    const id = await this.#resolveRunId(runId)
    const [record] = await this.#loadRecords([id])
    if (record === undefined) throw new RunNotFoundError(runId)
    const [run, seriesRows, artifactRows, noteRows] = await Promise.all([
      this.#db.selectFrom('track_runs').select('schema_json').where('id', '=', id).executeTakeFirstOrThrow(),
      this.#db
        .selectFrom('track_series')
        .select(['key', 'step', 'value', 'timestamp_ms'])
        .where('run_id', '=', id)
        .orderBy('key')
        .orderBy('step')
        .execute(),
      this.#db
        .selectFrom('track_artifacts')
        .select(['run_id', 'name', 'path', 'sha256', 'size_bytes', 'content_type', 'created_at_ms'])
        .where('run_id', '=', id)
        .orderBy('name')
        .execute(),
      this.#db
        .selectFrom('track_notes')
        .select(['text', 'author', 'created_at_ms'])
        .where('run_id', '=', id)
        .orderBy('id')
        .execute(),
    ])
    const series: Record<string, MetricPoint[]> = {}
    for (const row of seriesRows) {
      const list = series[row.key] ?? []
      list.push({
        step: Number(row.step),
        value: fromStored(row.value),
        timestampMs: Number(row.timestamp_ms),
      })
      series[row.key] = list
    }
    const notes: RunNote[] = noteRows.map((n) => ({
      text: n.text,
      author: n.author,
      createdAt: iso(Number(n.created_at_ms)),
    }))
    return {
      ...record,
      schema: run.schema_json === null ? null : parseJson(run.schema_json, 'schema'),
      series,
      artifacts: artifactRows.map((a) => artifactRecord({ ...a, content: null })),
      notes,
    }
  }

  async listRuns(query: ListRunsQuery = {}): Promise<readonly RunRecord[]> {
    const filters = (query.metrics ?? []).map((f) => (typeof f === 'string' ? parseMetricFilter(f) : f))
    if (query.limit !== undefined && (!Number.isInteger(query.limit) || query.limit < 0)) {
      throw new InvalidArgumentError(`limit must be a non-negative integer; got ${query.limit}.`)
    }
    let q = this.#db.selectFrom('track_runs as r').select('r.id')
    if (query.experiment !== undefined) q = q.where('r.experiment', '=', query.experiment)
    if (query.status !== undefined) q = q.where('r.status', '=', query.status)
    if (query.since !== undefined) q = q.where('r.started_at_ms', '>=', query.since.getTime())
    if (query.until !== undefined) q = q.where('r.started_at_ms', '<', query.until.getTime())
    // Filters are uncorrelated IN subqueries: each is evaluated once from the (key, value) index.
    // A correlated EXISTS let SQLite scan that index range once per run (quadratic at 10k runs).
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      q = q.where('r.id', 'in', (eb) =>
        eb
          .selectFrom('track_tags as t')
          .select('t.run_id')
          .where('t.key', '=', key)
          .where('t.value', '=', value),
      )
    }
    for (const filter of filters) {
      if (!Number.isFinite(filter.value)) {
        throw new InvalidArgumentError(`Metric filter on '${filter.metric}' needs a finite number.`)
      }
      q = q.where('r.id', 'in', (eb) =>
        eb
          .selectFrom('track_metrics as m')
          .select('m.run_id')
          .where('m.key', '=', filter.metric)
          .where('m.value', filter.op === '!=' ? '<>' : filter.op, filter.value),
      )
    }
    if (query.orderBy !== undefined) {
      const { metric, direction = 'desc' } = query.orderBy
      q = q
        .leftJoin('track_metrics as om', (join) =>
          join.onRef('om.run_id', '=', 'r.id').on('om.key', '=', metric),
        )
        .orderBy('om.value', (ob) => (direction === 'asc' ? ob.asc().nullsLast() : ob.desc().nullsLast()))
    }
    q = q.orderBy('r.started_at_ms', 'desc').orderBy('r.id', 'desc')
    if (query.limit !== undefined) q = q.limit(query.limit)
    if (query.offset !== undefined) {
      // SQLite accepts OFFSET only after LIMIT.
      if (query.limit === undefined) q = q.limit(Number.MAX_SAFE_INTEGER)
      q = q.offset(query.offset)
    }
    const ids = (await q.execute()).map((r) => r.id)
    return this.#loadRecords(ids)
  }

  async compareRuns(runIds: readonly string[]): Promise<RunComparison> {
    if (runIds.length === 0) throw new InvalidArgumentError('compareRuns needs at least one run id.')
    const ids: string[] = []
    for (const runId of runIds) ids.push(await this.#resolveRunId(runId))
    const runs = await this.#loadRecords(ids)
    return {
      runs,
      params: comparisonRows(runs.map((r) => r.params)),
      metrics: comparisonRows(runs.map((r) => r.metrics)),
      tags: comparisonRows(runs.map((r) => r.tags)),
    }
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.#keel.close()
  }

  #checkTags(tags: Readonly<Record<string, string>>): void {
    for (const [key, value] of Object.entries(tags)) {
      checkKey(key, 'tag')
      if (typeof value !== 'string' || value.length > MAX_TAG_VALUE_LENGTH) {
        throw new InvalidArgumentError(
          `Tag '${key}' must be a string of at most ${MAX_TAG_VALUE_LENGTH} characters; put long text in a note (annotate).`,
          { key },
        )
      }
    }
  }

  async #upsertParams(
    trx: Transaction<TrackTables>,
    id: string,
    params: Readonly<Record<string, JsonValue>>,
  ) {
    const entries = Object.entries(params)
    for (const part of chunks(entries)) {
      await trx
        .insertInto('track_params')
        .values(part.map(([key, value]) => ({ run_id: id, key, value: JSON.stringify(value ?? null) })))
        .onConflict((oc) =>
          oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
        )
        .execute()
    }
  }

  async #upsertTags(trx: Transaction<TrackTables>, id: string, tags: Readonly<Record<string, string>>) {
    const entries = Object.entries(tags)
    for (const part of chunks(entries)) {
      await trx
        .insertInto('track_tags')
        .values(part.map(([key, value]) => ({ run_id: id, key, value })))
        .onConflict((oc) =>
          oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
        )
        .execute()
    }
  }

  /** An exact id, or the single run whose id starts with a prefix of at least 6 hex characters. */
  async #resolveRunId(idOrPrefix: string): Promise<string> {
    const exact = await this.#db
      .selectFrom('track_runs')
      .select('id')
      .where('id', '=', idOrPrefix)
      .executeTakeFirst()
    if (exact !== undefined) return exact.id
    if (idOrPrefix.length < MIN_PREFIX_LENGTH || !/^[0-9a-f]+$/.test(idOrPrefix)) {
      throw new RunNotFoundError(idOrPrefix)
    }
    const matches = await this.#db
      .selectFrom('track_runs')
      .select('id')
      .where('id', 'like', `${idOrPrefix}%`)
      .limit(11)
      .execute()
    if (matches.length === 0) throw new RunNotFoundError(idOrPrefix)
    if (matches.length > 1)
      throw new AmbiguousRunIdError(
        idOrPrefix,
        matches.map((m) => m.id),
      )
    return matches[0]!.id
  }

  /** Full records for `ids`, in the same order (unknown ids are skipped). */
  async #loadRecords(ids: readonly string[]): Promise<RunRecord[]> {
    const runs = new Map<string, RunRow>()
    const params = new Map<string, Record<string, JsonValue>>()
    const metrics = new Map<string, Record<string, number>>()
    const tags = new Map<string, Record<string, string>>()
    const bucket = <V>(map: Map<string, Record<string, V>>, id: string): Record<string, V> => {
      let found = map.get(id)
      if (found === undefined) {
        found = {}
        map.set(id, found)
      }
      return found
    }
    for (const part of chunks(ids, ID_CHUNK)) {
      const [runRows, paramRows, metricRows, tagRows] = await Promise.all([
        this.#db.selectFrom('track_runs').selectAll().where('id', 'in', part).execute(),
        this.#db.selectFrom('track_params').selectAll().where('run_id', 'in', part).execute(),
        this.#db.selectFrom('track_metrics').selectAll().where('run_id', 'in', part).execute(),
        this.#db.selectFrom('track_tags').selectAll().where('run_id', 'in', part).execute(),
      ])
      for (const row of runRows) runs.set(row.id, row)
      // Keys in sorted order, so records print the same way on both databases.
      paramRows.sort(byKey)
      metricRows.sort(byKey)
      tagRows.sort(byKey)
      for (const row of paramRows)
        bucket(params, row.run_id)[row.key] = parseJson(row.value, `param '${row.key}'`)
      for (const row of metricRows) bucket(metrics, row.run_id)[row.key] = fromStored(row.value)
      for (const row of tagRows) bucket(tags, row.run_id)[row.key] = row.value
    }
    const records: RunRecord[] = []
    for (const id of ids) {
      const row = runs.get(id)
      if (row === undefined) continue
      records.push(this.#toRecord(row, params.get(id) ?? {}, metrics.get(id) ?? {}, tags.get(id) ?? {}))
    }
    return records
  }

  #toRecord(
    row: RunRow,
    params: Readonly<Record<string, JsonValue>>,
    metrics: Readonly<Record<string, number>>,
    tags: Readonly<Record<string, string>>,
  ): RunRecord {
    const status = RUN_STATUSES.find((s) => s === row.status)
    if (status === undefined) {
      throw new InvalidArgumentError(`Run ${row.id} has unknown status '${row.status}' in the database.`)
    }
    const startedAtMs = Number(row.started_at_ms)
    const finishedAtMs = row.finished_at_ms === null ? null : Number(row.finished_at_ms)
    return {
      id: row.id,
      experiment: row.experiment,
      name: row.name,
      status,
      startedAt: iso(startedAtMs),
      finishedAt: finishedAtMs === null ? null : iso(finishedAtMs),
      durationMs: finishedAtMs === null ? null : finishedAtMs - startedAtMs,
      user: row.user_name,
      host: row.host,
      seed: row.seed === null ? null : Number(row.seed),
      datasetFingerprint: row.dataset_fingerprint,
      gitCommit: row.git_commit,
      packageVersions: parseCached(row.package_versions, stringRecord, 'package versions'),
      timingsMs: parseCached(row.timings, numberRecord, 'timings'),
      error: row.error,
      params,
      metrics,
      tags,
    }
  }
}

async function readArtifactFile(name: string, path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path))
  } catch (error) {
    throw new NotFoundError(`Cannot read artifact '${name}' at ${path}: ${(error as Error).message}`, {
      kind: 'artifact-file',
      name,
      path,
    })
  }
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

function artifactRecord(row: TrackTables['track_artifacts']): ArtifactRecord {
  return {
    name: row.name,
    path: row.path,
    sha256: row.sha256,
    sizeBytes: Number(row.size_bytes),
    contentType: row.content_type,
    isStored: row.path === null,
    createdAt: iso(Number(row.created_at_ms)),
  }
}

/** One row per key present in any of `maps`, values aligned with the maps' order. */
function comparisonRows<V extends JsonValue>(
  maps: readonly Readonly<Record<string, V>>[],
): ComparisonRow<V>[] {
  const keys = [...new Set(maps.flatMap((m) => Object.keys(m)))].sort()
  return keys.map((key) => {
    const values = maps.map((m) => (Object.hasOwn(m, key) ? (m[key] as V) : null))
    // NaN !== NaN, so compare the serialised form (NaN serialises as null, like a missing value).
    const first = stableStringify(values[0] ?? null)
    return { key, values, differs: values.some((v) => stableStringify(v ?? null) !== first) }
  })
}
