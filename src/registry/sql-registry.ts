import { type Kysely, sql, type Transaction } from 'kysely'
import { z } from 'zod'
import { InvalidArgumentError, sha256 } from '../core/index.js'
import type { KeelDb } from '../store/index.js'
import { ArtifactTamperedError, currentUser, type JsonValue } from '../track/index.js'
import {
  AliasNotFoundError,
  ConstraintFailedError,
  ModelNotFoundError,
  RollbackUnavailableError,
  VersionNotFoundError,
} from './errors.js'
import type { RegistryTables } from './migrations.js'
import { parseConstraintChecks, parseModelCard } from './model-card.js'
import { REGISTRY_CHANNEL } from './notify.js'
import { checkAliasName, checkModelName, LATEST_ALIAS, parseModelRef } from './ref.js'
import type { ModelRegistry } from './store.js'
import type {
  AliasChange,
  AliasChangeOptions,
  AliasState,
  LoadedArtifact,
  ModelDetail,
  ModelRef,
  ModelSummary,
  ModelVersion,
  RegisterVersionInput,
  RegistryEvent,
  RegistryEventKind,
  ResolvedModel,
} from './types.js'

type Db = Kysely<RegistryTables>
type Trx = Transaction<RegistryTables>
type VersionRow = Omit<RegistryTables['registry_versions'], 'artifact'>
type EventRow = Omit<RegistryTables['registry_events'], 'id'> & { id: number }

const PRODUCTION = 'production'
const EVENT_KINDS: readonly RegistryEventKind[] = ['register', 'promote', 'rollback', 'remove-alias']
const metricsSchema = z.record(z.string(), z.number().or(z.null()))

/** Every version column except the artifact bytes, which only `loadArtifact` reads. */
const VERSION_COLUMNS = [
  'name',
  'version',
  'run_id',
  'created_at_ms',
  'created_by',
  'artifact_sha256',
  'artifact_size_bytes',
  'feature_schema',
  'metrics',
  'constraints',
  'model_card',
  'fallback',
  'description',
] as const

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

function parseJsonColumn(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new InvalidArgumentError(
      `Stored ${what} is not valid JSON; the registry database may be damaged.`,
      {
        cause: String(error),
      },
    )
  }
}

/** Metrics go through JSON, which has no NaN: keep NaN as null on the way in and back. */
function metricsToJson(metrics: Readonly<Record<string, number>>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, Number.isNaN(v) ? null : v])),
  )
}

function toVersion(row: VersionRow, aliases: readonly string[]): ModelVersion {
  const metrics = metricsSchema.parse(parseJsonColumn(row.metrics, 'metrics'))
  return {
    name: row.name,
    version: Number(row.version),
    runId: row.run_id,
    createdAt: iso(Number(row.created_at_ms)),
    createdBy: row.created_by,
    artifactSha256: row.artifact_sha256,
    artifactSizeBytes: Number(row.artifact_size_bytes),
    // JSON.parse output is JSON by construction.
    featureSchema:
      row.feature_schema === null
        ? null
        : (parseJsonColumn(row.feature_schema, 'feature schema') as JsonValue),
    metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, v ?? Number.NaN])),
    constraints: parseConstraintChecks(parseJsonColumn(row.constraints, 'constraints')),
    modelCard: row.model_card === null ? null : parseModelCard(parseJsonColumn(row.model_card, 'model card')),
    fallback: row.fallback,
    description: row.description,
    aliases: [...aliases].sort(),
  }
}

function toEvent(row: EventRow): RegistryEvent {
  const kind = EVENT_KINDS.find((k) => k === row.kind)
  if (kind === undefined) {
    throw new InvalidArgumentError(`Registry event ${row.id} has unknown kind '${row.kind}' in the database.`)
  }
  return {
    id: Number(row.id),
    name: row.name,
    kind,
    alias: row.alias,
    fromVersion: row.from_version === null ? null : Number(row.from_version),
    toVersion: row.to_version === null ? null : Number(row.to_version),
    actor: row.actor,
    at: iso(Number(row.at_ms)),
    reason: row.reason,
  }
}

/**
 * The versions an alias pointed at, oldest first, as rollbacks see them: a promotion pushes its
 * target, a rollback pops the current one, removing the alias forgets its past. The top is the
 * current version; the one below it is where a rollback goes.
 */
function aliasStack(events: readonly EventRow[]): number[] {
  const stack: number[] = []
  for (const event of events) {
    switch (event.kind) {
      case 'promote':
        if (event.to_version !== null && stack.at(-1) !== Number(event.to_version)) {
          stack.push(Number(event.to_version))
        }
        break
      case 'rollback':
        stack.pop()
        break
      case 'remove-alias':
        stack.length = 0
        break
    }
  }
  return stack
}

/**
 * The model registry on a Keel database (SQLite or PostgreSQL, through Kysely). Use
 * `openRegistry` rather than constructing it.
 */
export class SqlModelRegistry implements ModelRegistry {
  readonly #keel: KeelDb
  readonly #db: Db
  readonly #ownsDb: boolean

  /** @param ownsDb whether `close()` closes `keel` too. */
  constructor(keel: KeelDb, ownsDb: boolean) {
    this.#keel = keel
    this.#db = keel.typed<RegistryTables>()
    this.#ownsDb = ownsDb
  }

  async registerVersion(input: RegisterVersionInput): Promise<ModelVersion> {
    checkModelName(input.name)
    const bytes =
      typeof input.artifact === 'string' ? new TextEncoder().encode(input.artifact) : input.artifact
    if (bytes.byteLength === 0)
      throw new InvalidArgumentError(`Model '${input.name}' needs a non-empty artifact.`)
    if (input.fallback !== undefined && input.fallback !== null) parseModelRef(input.fallback)
    for (const [key, value] of Object.entries(input.metrics ?? {})) {
      if (typeof value !== 'number') {
        throw new InvalidArgumentError(`Metric '${key}' must be a number; got ${typeof value}.`, { key })
      }
    }
    const modelCard = input.modelCard === undefined ? null : parseModelCard(input.modelCard)
    const constraints = parseConstraintChecks(input.constraints ?? [])
    const actor = input.actor ?? currentUser()
    const now = Date.now()
    const version = await this.#db.transaction().execute(async (trx) => {
      await trx
        .insertInto('registry_models')
        .values({ name: input.name, created_at_ms: now, updated_at_ms: now, latest_version: 0 })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute()
      // The UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite) before reading the
      // counter, so concurrent registrations on several replicas get distinct numbers.
      const bumped = await trx
        .updateTable('registry_models')
        .set((eb) => ({ latest_version: eb('latest_version', '+', 1), updated_at_ms: now }))
        .where('name', '=', input.name)
        .returning('latest_version')
        .executeTakeFirstOrThrow()
      const next = Number(bumped.latest_version)
      await trx
        .insertInto('registry_versions')
        .values({
          name: input.name,
          version: next,
          run_id: input.runId ?? null,
          created_at_ms: now,
          created_by: actor,
          artifact: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          artifact_sha256: sha256(bytes),
          artifact_size_bytes: bytes.byteLength,
          feature_schema: input.featureSchema === undefined ? null : JSON.stringify(input.featureSchema),
          metrics: metricsToJson(input.metrics ?? {}),
          constraints: JSON.stringify(constraints),
          model_card: modelCard === null ? null : JSON.stringify(modelCard),
          fallback: input.fallback ?? null,
          description: input.description ?? null,
        })
        .execute()
      await this.#record(trx, {
        name: input.name,
        kind: 'register',
        alias: null,
        from_version: null,
        to_version: next,
        actor,
        at_ms: now,
        reason: null,
      })
      return next
    })
    return this.getVersion({ kind: 'version', name: input.name, version })
  }

  async resolve(ref: string | ModelRef): Promise<ResolvedModel> {
    const parsed = typeof ref === 'string' ? parseModelRef(ref) : ref
    const model = await this.#model(parsed.name)
    const done = (version: number, alias: string | null): ResolvedModel => ({
      name: parsed.name,
      version,
      alias,
      ref: `${parsed.name}@${version}`,
    })
    switch (parsed.kind) {
      case 'version': {
        const found = await this.#db
          .selectFrom('registry_versions')
          .select('version')
          .where('name', '=', parsed.name)
          .where('version', '=', parsed.version)
          .executeTakeFirst()
        if (found === undefined)
          throw new VersionNotFoundError(parsed.name, parsed.version, model.latest_version)
        return done(parsed.version, null)
      }
      case 'alias': {
        if (parsed.alias === LATEST_ALIAS) return done(Number(model.latest_version), null)
        const found = await this.#aliasVersion(parsed.name, parsed.alias)
        if (found === undefined) {
          throw new AliasNotFoundError(
            parsed.name,
            parsed.alias,
            Object.keys(await this.#aliases(parsed.name)),
          )
        }
        return done(found, parsed.alias)
      }
      case 'default': {
        const production = await this.#aliasVersion(parsed.name, PRODUCTION)
        return production === undefined
          ? done(Number(model.latest_version), null)
          : done(production, PRODUCTION)
      }
    }
  }

  async getVersion(ref: string | ModelRef): Promise<ModelVersion> {
    const { name, version } = await this.resolve(ref)
    const [row, aliases] = await Promise.all([
      this.#db
        .selectFrom('registry_versions')
        .select(VERSION_COLUMNS)
        .where('name', '=', name)
        .where('version', '=', version)
        .executeTakeFirstOrThrow(),
      this.#aliases(name),
    ])
    return toVersion(row, aliasesOf(aliases, version))
  }

  async loadArtifact(ref: string | ModelRef): Promise<LoadedArtifact> {
    const model = await this.getVersion(ref)
    const row = await this.#db
      .selectFrom('registry_versions')
      .select(['artifact', 'artifact_sha256'])
      .where('name', '=', model.name)
      .where('version', '=', model.version)
      .executeTakeFirstOrThrow()
    const bytes = new Uint8Array(row.artifact)
    const actual = sha256(bytes)
    if (actual !== row.artifact_sha256) {
      throw new ArtifactTamperedError(
        `the artifact of ${model.name}@${model.version}`,
        row.artifact_sha256,
        actual,
        {
          name: model.name,
          version: model.version,
        },
      )
    }
    return { model, bytes }
  }

  promote(
    name: string,
    version: number,
    alias = PRODUCTION,
    options: AliasChangeOptions = {},
  ): Promise<AliasChange> {
    return this.#moveAlias(name, alias, version, options)
  }

  setAlias(
    name: string,
    version: number,
    alias: string,
    options: AliasChangeOptions = {},
  ): Promise<AliasChange> {
    return this.#moveAlias(name, alias, version, options)
  }

  async removeAlias(name: string, alias: string, options: AliasChangeOptions = {}): Promise<AliasChange> {
    checkAliasName(alias)
    await this.#model(name)
    const actor = options.actor ?? currentUser()
    return this.#db.transaction().execute(async (trx) => {
      const now = await this.#lockModel(trx, name)
      const current = await this.#aliasVersion(name, alias, trx)
      if (current === undefined)
        throw new AliasNotFoundError(name, alias, Object.keys(await this.#aliases(name, trx)))
      await trx.deleteFrom('registry_aliases').where('name', '=', name).where('alias', '=', alias).execute()
      return this.#recordAliasChange(trx, 'remove-alias', name, alias, current, null, {
        actor,
        now,
        reason: options.reason ?? null,
      })
    })
  }

  async rollback(name: string, alias = PRODUCTION, options: AliasChangeOptions = {}): Promise<AliasChange> {
    checkAliasName(alias)
    await this.#model(name)
    const actor = options.actor ?? currentUser()
    return this.#db.transaction().execute(async (trx) => {
      const now = await this.#lockModel(trx, name)
      const current = (await this.#aliasVersion(name, alias, trx)) ?? null
      const events = await trx
        .selectFrom('registry_events')
        .selectAll()
        .where('name', '=', name)
        .where('alias', '=', alias)
        .orderBy('id')
        .execute()
      const stack = aliasStack(events)
      const target = stack.at(-2)
      if (current === null || target === undefined) throw new RollbackUnavailableError(name, alias, current)
      await this.#writeAlias(trx, name, alias, target, actor, now)
      return this.#recordAliasChange(trx, 'rollback', name, alias, current, target, {
        actor,
        now,
        reason: options.reason ?? null,
      })
    })
  }

  async listModels(): Promise<readonly ModelSummary[]> {
    const [models, counts, aliasRows] = await Promise.all([
      this.#db.selectFrom('registry_models').selectAll().orderBy('name').execute(),
      this.#db
        .selectFrom('registry_versions')
        .select(({ fn }) => ['name', fn.countAll<number>().as('count')])
        .groupBy('name')
        .execute(),
      this.#db.selectFrom('registry_aliases').select(['name', 'alias', 'version']).orderBy('alias').execute(),
    ])
    const countOf = new Map(counts.map((c) => [c.name, Number(c.count)]))
    return models.map((m) => ({
      name: m.name,
      createdAt: iso(Number(m.created_at_ms)),
      updatedAt: iso(Number(m.updated_at_ms)),
      latestVersion: Number(m.latest_version),
      versionCount: countOf.get(m.name) ?? 0,
      aliases: Object.fromEntries(
        aliasRows.filter((a) => a.name === m.name).map((a) => [a.alias, Number(a.version)]),
      ),
    }))
  }

  async getModel(name: string): Promise<ModelDetail> {
    const model = await this.#model(name)
    const [rows, aliases] = await Promise.all([
      this.#db
        .selectFrom('registry_versions')
        .select(VERSION_COLUMNS)
        .where('name', '=', name)
        .orderBy('version')
        .execute(),
      this.#aliases(name),
    ])
    return {
      name,
      createdAt: iso(Number(model.created_at_ms)),
      updatedAt: iso(Number(model.updated_at_ms)),
      latestVersion: Number(model.latest_version),
      versionCount: rows.length,
      aliases,
      versions: rows.map((row) => toVersion(row, aliasesOf(aliases, Number(row.version)))),
    }
  }

  async history(name: string): Promise<readonly RegistryEvent[]> {
    await this.#model(name)
    const rows = await this.#db
      .selectFrom('registry_events')
      .selectAll()
      .where('name', '=', name)
      .orderBy('id')
      .execute()
    return rows.map(toEvent)
  }

  async aliasState(name: string): Promise<AliasState> {
    const [model, aliases, cursor] = await Promise.all([
      this.#model(name),
      this.#aliases(name),
      this.#db
        .selectFrom('registry_events')
        .select(({ fn }) => fn.max('id').as('id'))
        .where('name', '=', name)
        .executeTakeFirst(),
    ])
    return { name, aliases, latestVersion: Number(model.latest_version), cursor: Number(cursor?.id ?? 0) }
  }

  async changeCursor(): Promise<number> {
    const row = await this.#db
      .selectFrom('registry_events')
      .select(({ fn }) => fn.max('id').as('id'))
      .executeTakeFirst()
    return Number(row?.id ?? 0)
  }

  async close(): Promise<void> {
    if (this.#ownsDb) await this.#keel.close()
  }

  async #moveAlias(
    name: string,
    alias: string,
    version: number,
    options: AliasChangeOptions,
  ): Promise<AliasChange> {
    checkAliasName(alias)
    if (alias === LATEST_ALIAS) {
      throw new InvalidArgumentError(`'${LATEST_ALIAS}' always means the newest version and cannot be set.`)
    }
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidArgumentError(`Version must be a positive integer; got ${version}.`, { version })
    }
    const target = await this.getVersion({ kind: 'version', name, version })
    const failed = target.constraints.filter((c) => !c.passed && c.hard !== false).map((c) => c.name)
    let reason = options.reason ?? null
    if (alias === PRODUCTION && failed.length > 0) {
      if (options.force !== true) throw new ConstraintFailedError(name, version, failed)
      reason = `forced past failed constraint(s) ${failed.join(', ')}${reason === null ? '' : `: ${reason}`}`
    }
    const actor = options.actor ?? currentUser()
    return this.#db.transaction().execute(async (trx) => {
      const now = await this.#lockModel(trx, name)
      const current = (await this.#aliasVersion(name, alias, trx)) ?? null
      if (current === version) {
        return { name, alias, fromVersion: current, toVersion: version, isChanged: false, event: null }
      }
      await this.#writeAlias(trx, name, alias, version, actor, now)
      return this.#recordAliasChange(trx, 'promote', name, alias, current, version, {
        actor,
        now,
        reason,
      })
    })
  }

  /** Serialises alias changes of one model across processes (row lock / SQLite write lock). */
  async #lockModel(trx: Trx, name: string): Promise<number> {
    const now = Date.now()
    await trx.updateTable('registry_models').set({ updated_at_ms: now }).where('name', '=', name).execute()
    return now
  }

  async #writeAlias(trx: Trx, name: string, alias: string, version: number, actor: string, now: number) {
    await trx
      .insertInto('registry_aliases')
      .values({ name, alias, version, updated_at_ms: now, updated_by: actor })
      .onConflict((oc) =>
        oc.columns(['name', 'alias']).doUpdateSet({ version, updated_at_ms: now, updated_by: actor }),
      )
      .execute()
  }

  /** Records an alias event (promote, rollback, removal) and returns it as the change made. */
  async #recordAliasChange(
    trx: Trx,
    kind: RegistryEventKind,
    name: string,
    alias: string,
    fromVersion: number | null,
    toVersion: number | null,
    by: { readonly actor: string; readonly now: number; readonly reason: string | null },
  ): Promise<AliasChange> {
    const event = await this.#record(trx, {
      name,
      kind,
      alias,
      from_version: fromVersion,
      to_version: toVersion,
      actor: by.actor,
      at_ms: by.now,
      reason: by.reason,
    })
    return { name, alias, fromVersion, toVersion, isChanged: true, event }
  }

  /** Every change is recorded here, so this is also where PostgreSQL replicas are told of it. */
  async #record(trx: Trx, event: Omit<EventRow, 'id'>): Promise<RegistryEvent> {
    const { id } = await trx
      .insertInto('registry_events')
      .values(event)
      .returning('id')
      .executeTakeFirstOrThrow()
    // Queued inside the transaction, so PostgreSQL delivers it on commit only (never for a rolled
    // back change, never before the new state is readable). SQLite has no notifications: one
    // machine, and the servers' poll sees the change.
    if (this.#keel.dialect === 'postgres')
      await sql`select pg_notify(${REGISTRY_CHANNEL}, ${event.name})`.execute(trx)
    return toEvent({ ...event, id: Number(id) })
  }

  async #model(name: string): Promise<RegistryTables['registry_models']> {
    checkModelName(name)
    const row = await this.#db
      .selectFrom('registry_models')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst()
    if (row === undefined) {
      const known = await this.#db
        .selectFrom('registry_models')
        .select('name')
        .orderBy('name')
        .limit(10)
        .execute()
      throw new ModelNotFoundError(
        name,
        known.map((k) => k.name),
      )
    }
    return row
  }

  async #aliasVersion(name: string, alias: string, db: Db | Trx = this.#db): Promise<number | undefined> {
    const row = await db
      .selectFrom('registry_aliases')
      .select('version')
      .where('name', '=', name)
      .where('alias', '=', alias)
      .executeTakeFirst()
    return row === undefined ? undefined : Number(row.version)
  }

  async #aliases(name: string, db: Db | Trx = this.#db): Promise<Record<string, number>> {
    const rows = await db
      .selectFrom('registry_aliases')
      .select(['alias', 'version'])
      .where('name', '=', name)
      .orderBy('alias')
      .execute()
    return Object.fromEntries(rows.map((r) => [r.alias, Number(r.version)]))
  }
}

function aliasesOf(aliases: Readonly<Record<string, number>>, version: number): string[] {
  return Object.entries(aliases)
    .filter(([, v]) => v === version)
    .map(([a]) => a)
}
