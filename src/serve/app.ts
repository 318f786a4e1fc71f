import { randomUUID } from 'node:crypto'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, {
  errorCodes,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify'
import { type Kysely, sql } from 'kysely'
import { AppError, formatConfigProblems, LIBRARY_VERSION, parseConfig, redactPaths } from '../core/index.js'
// Types only: the monitoring code (registry, tracking store, drift tests) is loaded on demand in
// createServer, so a server without a database does not load it, and serve and monitor (which
// reads serve's tables) do not import each other at load time.
import type { MonitoredModel } from '../monitor/api.js'
import type { DriftCheckResult } from '../monitor/check.js'
import type { MonitorSchedule } from '../monitor/scheduler.js'
import { type KeelDb, openDb } from '../store/index.js'
import { abReport } from './ab-report.js'
import { checkAdmin, checkApi } from './auth.js'
import {
  parseServeConfig,
  ragCollectionOf,
  type ServeConfig,
  type ServeConfigInput,
  servedModels,
} from './config.js'
import {
  closeWithDeadline,
  httpTimeoutOptions,
  lingerOnBodyTooLarge,
  trackConnections,
} from './connection-lifecycle.js'
import { isTransientDbError } from './db-faults.js'
import {
  BadRequestError,
  ExplainTooLargeError,
  ModelNotFoundError,
  ServeError,
  statusForCode,
} from './errors.js'
import { type Experiment, experimentSchema } from './experiments.js'
import { attachFastPath, type FastHandler, type FastPath } from './fast-path.js'
import { logWriteEpisodes, predictionLogSink } from './log-sink.js'
import { createServeMetrics, recordRequest, type ServeMetrics } from './metrics.js'
import { ModelManager } from './model-manager.js'
import { PredictionLog } from './prediction-log.js'
import {
  envelopeError,
  type PredictionResult,
  type RequestLabels,
  requestKeyOf,
  ServedModel,
} from './predictor.js'
import {
  errorSchema,
  experimentBodySchema,
  feedbackBodySchema,
  feedbackResponseSchema,
  idParamsSchema,
  MODEL_NAME_MAX_LENGTH,
  modelInfoSchema,
  nameParamsSchema,
  PREDICT_ROUTE,
  predictBodySchema,
  predictQuerySchema,
  predictResponseSchema,
  routeValidatedValue,
} from './schemas.js'
import type { ModelSource } from './servable.js'
import { migrateServeTables, type ServeTables } from './tables.js'

/** Options of `createServer`. */
export interface CreateServerOptions {
  /** Where models come from (the registry in production, `createMemoryModelSource` in tests). */
  readonly source: ModelSource
  /** Server config (models, experiments, limits); validated with `serveConfigSchema`. */
  readonly config?: ServeConfigInput | ServeConfig
  /** Database for the prediction log, feedback and experiments: an open db, a URL, or false for none. */
  readonly db?: KeelDb | string | false
  /** Admin bearer token; default `$KEEL_ADMIN_TOKEN`. Without one, admin endpoints answer 403. */
  readonly adminToken?: string
  /** Prediction bearer token; default `$KEEL_API_TOKEN`. Without one, prediction endpoints are open. */
  readonly apiToken?: string
  /** Fastify logger setting. Default: warnings and errors as JSON on stderr. */
  readonly logger?: boolean | { level: string }
  /** Metrics to use (default: a fresh registry with process metrics). */
  readonly metrics?: ServeMetrics
  /** Replaces the /metrics body, e.g. with the cluster-wide aggregate from the primary process. */
  readonly metricsText?: () => Promise<string>
  /**
   * Run the scheduled drift checks in this process (default true when `config.monitor.enabled` and a
   * database is configured). Cluster workers pass false: the primary runs the one schedule.
   */
  readonly monitorSchedule?: boolean
  /** Runs the drift checks on request elsewhere (a cluster worker asks the primary). */
  readonly runMonitorChecks?: (model?: string) => Promise<readonly DriftCheckResult[]>
  /** Store URL the drift checks open (default: `db` when it is a URL, else `config.databaseUrl`). */
  readonly storeUrl?: string
}

/**
 * False when a JSON text cannot hold a `__proto__` or `constructor` key: it has neither word and no
 * `\\u` escape that could spell them. Such a text parses to the same value with a plain
 * `JSON.parse` as with Fastify's poisoning checks, which scan it with two regular expressions.
 */
function mayHoldPoisonKeys(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')
}

/**
 * The parsed body when a plain `JSON.parse` gives what Fastify's parser would (see
 * `mayHoldPoisonKeys`); `undefined` when the text must go through Fastify's parser: possible
 * poisoning keys, and every parse error (empty body, BOM, bad JSON), which Fastify answers.
 */
function parsePlainJson(text: string): unknown {
  if (mayHoldPoisonKeys(text)) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The request-id header Fastify reads (and the fast path too); without one, an id is made. */
const REQUEST_ID_HEADER = 'x-request-id'
const newRequestId = (): string => randomUUID()

type PredictBody = {
  features?: Record<string, unknown>
  rows?: Record<string, unknown>[]
  requestKey?: string
}

/** Where the monitoring code finds the store (it opens its own connections). */
export function monitorStoreUrl(
  db: CreateServerOptions['db'],
  config: ServeConfig,
  explicit?: string,
): string | undefined {
  if (explicit !== undefined) return explicit
  if (typeof db === 'string') return db
  // An open db's URL is redacted when it holds a password, so it cannot be reopened from it.
  if (typeof db === 'object' && !db.url.includes('***')) return db.url
  return config.databaseUrl
}

/** Alert options from the config, falling back to `$KEEL_ALERT_WEBHOOK_URL` / `_SECRET`. */
export function monitorAlertOptions(config: ServeConfig): { webhookUrl?: string; webhookSecret?: string } {
  const url = config.monitor.webhookUrl ?? (process.env.KEEL_ALERT_WEBHOOK_URL || undefined)
  const secret = config.monitor.webhookSecret ?? (process.env.KEEL_ALERT_WEBHOOK_SECRET || undefined)
  return {
    ...(url === undefined ? {} : { webhookUrl: url }),
    ...(secret === undefined ? {} : { webhookSecret: secret }),
  }
}

/** A created (not yet listening) server and its parts. */
export interface KeelServer {
  readonly app: FastifyInstance
  readonly manager: ModelManager
  readonly metrics: ServeMetrics
  readonly log: PredictionLog | undefined
  readonly config: ServeConfig
  /** The scheduled drift checks when they run in this process (`runOnce` checks now). */
  readonly monitor: MonitorSchedule | undefined
  /** True once every configured model is loaded and warmed. */
  isReady(): boolean
  /** Resolves when ready, or rejects after `timeoutMs` naming the models still loading. */
  waitUntilReady(timeoutMs?: number): Promise<void>
  /** Listens (port 0 picks a free port) and returns the base URL. */
  listen(port?: number, host?: string): Promise<string>
  /**
   * Stops accepting, finishes in-flight requests (destroying connections still open after
   * `timeouts.shutdownMs`), flushes the prediction log, closes the database.
   */
  close(): Promise<void>
}

interface ExperimentBody {
  id: string
  model: string
}

/**
 * Builds the prediction server (Fastify) over a model source: predict, models, feedback, health,
 * readiness, metrics, OpenAPI/docs, admin (reload, experiments, A/B reports). Models load in the
 * background; `/ready` turns 200 once all are warmed.
 * @throws AppError `SERVE_CONFIG_INVALID` for a bad config, `STORE_UNAVAILABLE` when the database cannot open.
 */
export async function createServer(options: CreateServerOptions): Promise<KeelServer> {
  const config = parseServeConfig(options.config ?? {})
  const served = servedModels(config)
  const adminToken = options.adminToken ?? process.env.KEEL_ADMIN_TOKEN
  const apiToken = options.apiToken ?? process.env.KEEL_API_TOKEN
  const apiTokenRequired = apiToken !== undefined && apiToken !== ''
  const metrics = options.metrics ?? createServeMetrics()

  let db: KeelDb | undefined
  let ownsDb = false
  if (options.db !== false) {
    if (typeof options.db === 'object') db = options.db
    else {
      db = await openDb(options.db ?? config.databaseUrl)
      ownsDb = true
    }
  }
  const k: Kysely<ServeTables> | undefined = db === undefined ? undefined : await migrateServeTables(db)

  const app = Fastify({
    logger: options.logger ?? { level: 'warn' },
    bodyLimit: config.bodyLimitBytes,
    // Head and whole-request deadlines on node's http path (Fastify's default has none).
    ...httpTimeoutOptions(config.timeouts),
    genReqId: newRequestId,
    requestIdHeader: REQUEST_ID_HEADER,
    return503OnClosing: true,
    // Every name the serve config allows is routable (Fastify's default stops at 100 characters).
    routerOptions: { maxParamLength: MODEL_NAME_MAX_LENGTH },
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', allowUnionTypes: true } },
  })
  const warn = (message: string, error?: unknown): void => {
    app.log.warn({ err: error }, message)
  }
  // JSON bodies are parsed as before (Fastify's own parser and poisoning settings), and their text
  // is kept beside the request: the prediction log stores each row's own JSON text (raw-json.ts)
  // instead of stringifying every parsed row again.
  const bodyTextOf = new WeakMap<FastifyRequest, string>()
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  )
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // parseAs 'string' always hands over a string.
    const text = typeof body === 'string' ? body : body.toString('utf8')
    bodyTextOf.set(request, text)
    // The poisoning checks scan the whole text with two regular expressions (about 30 µs for a
    // 100-row body); a text that cannot hold such keys skips them. JSON text never parses to
    // `undefined`, so that value means "Fastify's parser decides".
    const parsed = parsePlainJson(text)
    if (parsed === undefined) parseJson(request, text, done)
    else done(null, parsed)
  })

  // One warning when log writes start failing and one when they recover, not one per retried batch.
  const logEpisodes = logWriteEpisodes((message, fields) => app.log.warn(fields, message))
  const log =
    db !== undefined && k !== undefined && config.predictionLog.enabled
      ? new PredictionLog(predictionLogSink(db, k), config.predictionLog, {
          onDepth: (d) => metrics.logQueueDepth.set(d),
          onDropped: (n) => {
            metrics.logDropped.inc(n)
            logEpisodes.dropped(n)
          },
          onWritten: (n) => {
            metrics.logWritten.inc(n)
            logEpisodes.written(n)
          },
          onError: (e) => {
            if ((e as { code?: unknown }).code !== 'SERVE_LOG_WRITE_FAILED')
              return warn('prediction log entry not logged', e)
            metrics.logWriteFailures.inc()
            logEpisodes.failed(e)
          },
        })
      : undefined

  const breakerByRef = new Map<string, { failureThreshold?: number; coolDownMs?: number }>()
  for (const s of served) {
    if (s.breaker === undefined) continue
    const b = {
      ...(s.breaker.failureThreshold === undefined ? {} : { failureThreshold: s.breaker.failureThreshold }),
      ...(s.breaker.coolDownMs === undefined ? {} : { coolDownMs: s.breaker.coolDownMs }),
    }
    for (const ref of [
      s.ref,
      ...(typeof s.fallback === 'string' ? [s.fallback] : []),
      ...(s.canary === undefined ? [] : [s.canary.ref]),
    ])
      breakerByRef.set(ref, b)
  }
  const manager = new ModelManager(options.source, {
    pollIntervalMs: config.pollIntervalMs,
    breakerFor: (ref) => breakerByRef.get(ref),
    onSwap: (ref, from, to) => {
      if (from !== undefined) metrics.swaps.inc({ model: to.model.name, ref })
      if (to.fallbackRef !== undefined && manager.get(to.fallbackRef) === undefined)
        void manager.track(to.fallbackRef).catch((e) => warn(`fallback ${to.fallbackRef} failed to load`, e))
    },
    // Once per failure episode, as one line: the message says what is wrong (a stack trace of a
    // missing reference says nothing more), and retries every poll would repeat it every second.
    onError: (ref, error) =>
      app.log.warn(
        { ref, error: error instanceof Error ? error.message : String(error) },
        `model ${ref} failed to load; retrying every poll, logged again once it has loaded`,
      ),
    onRecover: (ref) => app.log.warn({ ref }, `model ${ref} loaded; its load failures are over`),
    onBreakerChange: (m, open) =>
      metrics.breakerOpen.set({ model: m.name, version: String(m.version) }, open ? 1 : 0),
  })
  const deps = { manager, metrics, log, extraFields: config.extraFields, onWarn: warn }
  const byName = new Map<string, ServedModel>(served.map((s) => [s.name, new ServedModel(s, deps)]))
  const requiredRefs = new Set<string>()
  for (const s of byName.values()) for (const r of s.refs()) requiredRefs.add(r)
  for (const e of config.experiments) for (const v of e.variants) requiredRefs.add(v.ref)
  const knownNames = (): string[] => [...byName.keys()]

  // Experiments: config ones are stored (so reports find them); the table is the shared truth that
  // every worker re-reads, so admin changes reach all workers within one poll interval.
  const experiments = new Map<string, Experiment>()
  for (const e of config.experiments) experiments.set(e.id, e)
  if (k !== undefined) {
    for (const e of config.experiments) {
      const now = Date.now()
      await k
        .insertInto('serve_experiments')
        .values({
          id: e.id,
          model: e.model,
          config: JSON.stringify(e),
          status: e.status,
          created_at: now,
          updated_at: now,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute()
    }
  }
  const applyExperiments = (): void => {
    for (const s of byName.values()) s.experiment = undefined
    for (const e of experiments.values()) {
      if (e.status !== 'running') continue
      const s = byName.get(e.model)
      if (s === undefined) continue
      // An experiment starts in a worker only once all its variants serve there.
      if (!manager.isReady(e.variants.map((v) => v.ref))) {
        for (const v of e.variants)
          if (manager.get(v.ref) === undefined) void manager.track(v.ref).catch(() => undefined)
        continue
      }
      s.experiment = e
    }
  }
  const syncExperiments = async (): Promise<void> => {
    if (k === undefined) return
    const rows = await k.selectFrom('serve_experiments').selectAll().execute()
    for (const row of rows) {
      const parsed = experimentSchema.safeParse(JSON.parse(row.config))
      if (parsed.success)
        experiments.set(row.id, { ...parsed.data, status: row.status === 'running' ? 'running' : 'stopped' })
    }
    applyExperiments()
  }
  let expTimer: NodeJS.Timeout | undefined
  let expSyncing = false
  if (k !== undefined && config.pollIntervalMs > 0) {
    expTimer = setInterval(() => {
      if (expSyncing) return
      expSyncing = true
      syncExperiments()
        .catch((e) => warn('experiment sync failed', e))
        .finally(() => {
          expSyncing = false
        })
    }, config.pollIntervalMs)
    expTimer.unref()
  }

  const initialLoad = manager.trackAll([...requiredRefs]).then(async () => {
    await syncExperiments().catch((e) => warn('experiment sync failed', e))
    applyExperiments()
  })
  manager.start()
  const isReady = (): boolean => manager.isReady(requiredRefs)

  // Errors: one table maps codes to statuses; internal errors reveal nothing but the request id.
  // The predict fast path (fast-path.ts) answers its errors with the same function.
  const errorReply = (
    error: FastifyError | AppError | Error,
    requestId: string,
    logInternal: (error: unknown) => void,
  ): { status: number; body: { error: Record<string, unknown> } } => {
    const code = (error as { code?: string }).code
    let status = statusForCode(code)
    const fastifyStatus = (error as { statusCode?: number }).statusCode
    if (status === 500 && fastifyStatus !== undefined && fastifyStatus >= 400 && fastifyStatus < 500)
      status = fastifyStatus
    if (status >= 500 && status !== 503) {
      logInternal(error)
      return {
        status: 500,
        body: {
          error: {
            code: 'SERVE_INTERNAL',
            message: 'Internal server error; quote the request id when reporting it.',
            requestId,
          },
        },
      }
    }
    const body: { code: string; message: string; requestId: string; problems?: unknown[] } = {
      code: code ?? 'SERVE_BAD_REQUEST',
      // Messages are written for CLI users and may name files (a model artifact, a collection, the
      // database); a remote client gets them without the paths.
      message: redactPaths(error.message),
      requestId,
    }
    const validation = (error as FastifyError).validation
    if (validation !== undefined) {
      body.code = 'SERVE_BAD_REQUEST'
      body.problems = validation.map((v) => ({
        field:
          v.instancePath === ''
            ? String((v.params as { missingProperty?: string }).missingProperty ?? '(body)')
            : v.instancePath,
        code: 'INVALID_BODY',
        reason: v.message ?? 'is invalid',
      }))
    } else if (error instanceof AppError && Array.isArray(error.details.problems))
      body.problems = error.details.problems
    if (status === 413) body.code = 'SERVE_BODY_TOO_LARGE'
    return { status, body: { error: body } }
  }
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    const { status, body } = errorReply(error, request.id, (e) =>
      request.log.error({ err: e }, 'internal error'),
    )
    void reply.status(status).send(body)
  })
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: {
        code: 'SERVE_NOT_FOUND',
        message: `No route ${request.method} ${request.url.split('?')[0]}.`,
        requestId: request.id,
      },
    })
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Keel prediction server', version: LIBRARY_VERSION },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // Every protected route checks its token in `onRequest`: before the body is read, parsed or
  // validated, so a client without the token gets 401 and nothing else (no schema errors, no
  // parsing work on its body).
  const requireApi = async (request: FastifyRequest): Promise<void> => {
    checkApi(request.headers.authorization, apiToken, adminToken)
  }
  const requireAdmin = async (request: FastifyRequest): Promise<void> => {
    checkAdmin(request.headers.authorization, adminToken)
  }
  const errors = { 400: errorSchema, 401: errorSchema, 404: errorSchema, 422: errorSchema, 503: errorSchema }

  /**
   * The predict route's work, shared by the Fastify route and the fast path: route to the served
   * model (experiment variant, canary or primary), validate, predict with fallbacks, log.
   */
  const predictCore = async (
    name: string,
    headers: Readonly<Record<string, string | string[] | undefined>>,
    body: PredictBody,
    bodyText: string | undefined,
    explainTop: number | undefined,
    setLabels: (labels: RequestLabels) => void,
  ): Promise<PredictionResult | { predictions: PredictionResult[] }> => {
    const servedModel = byName.get(name)
    const labels: RequestLabels = {
      model: servedModel === undefined ? '_unknown' : name,
      version: '',
      variant: '',
    }
    setLabels(labels)
    if (servedModel === undefined) throw new ModelNotFoundError(name, knownNames())
    const hasFeatures = body.features !== undefined
    const hasRows = body.rows !== undefined
    if (hasFeatures === hasRows) throw envelopeError()
    if (explainTop !== undefined) {
      // Explanations run on the event loop: bound their work per request before any is done.
      const nRows = hasRows ? body.rows!.length : 1
      const nFeatures = explainFeatureCount(servedModel)
      if (nRows * nFeatures > config.explainBudget)
        throw new ExplainTooLargeError(nRows, nFeatures, config.explainBudget)
    }
    const experiment = servedModel.experiment
    const requestKey = requestKeyOf(
      headers,
      body,
      experiment?.keyHeader ?? config.requestKeyHeader,
      experiment?.keyField,
    )
    const results = await servedModel.predict(
      { rows: hasRows ? body.rows! : [body.features!], isBatch: hasRows, bodyText, requestKey, explainTop },
      labels,
    )
    return hasRows ? { predictions: results } : results[0]!
  }

  /**
   * Features an explanation of this model's request works over: the most of any model that may
   * answer it (primary, canary, experiment variants, fallback), so the budget holds whichever
   * answers. Models still loading count as the primary.
   */
  const explainFeatureCount = (servedModel: ServedModel): number => {
    let most = 0
    for (const ref of servedModel.refs()) most = Math.max(most, manager.get(ref)?.model.features.length ?? 0)
    for (const v of servedModel.experiment?.variants ?? [])
      most = Math.max(most, manager.get(v.ref)?.model.features.length ?? 0)
    return Math.max(1, most)
  }

  // Per-request metric labels live beside the request, not on it (no global type augmentation).
  const labelsOf = new WeakMap<FastifyRequest, RequestLabels>()
  // One schema object: the route validates with it, and the fast path with the validator Fastify
  // compiles from it, so the two cannot disagree on which bodies are valid.
  const predictBody = predictBodySchema(config.maxBatchRows)

  app.post<{
    Params: { name: string }
    Querystring: { explain?: boolean; top?: number }
    Body: PredictBody
  }>(
    PREDICT_ROUTE,
    {
      schema: {
        summary: 'Predict one row or a batch',
        tags: ['predict'],
        params: nameParamsSchema,
        querystring: predictQuerySchema,
        body: predictBody,
        response: { 200: predictResponseSchema, 413: errorSchema, ...errors },
        security: [{ bearer: [] }],
      },
      // Without an API token there is nothing to check: no hook at all on the hottest route.
      ...(apiTokenRequired ? { onRequest: requireApi } : {}),
      // Callback style: an async hook costs a promise and a microtask turn per request.
      onResponse: (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
        const labels = labelsOf.get(request)
        if (labels !== undefined) recordRequest(metrics, labels, reply.statusCode, reply.elapsedTime / 1000)
        done()
      },
    },
    async (request) =>
      predictCore(
        request.params.name,
        request.headers,
        request.body,
        bodyTextOf.get(request),
        request.query.explain === true ? (request.query.top ?? 5) : undefined,
        (labels) => labelsOf.set(request, labels),
      ),
  )

  const modelInfo = async (name: string, withAliases: boolean): Promise<Record<string, unknown>> => {
    const s = byName.get(name)
    if (s === undefined) throw new ModelNotFoundError(name, knownNames())
    const loaded = manager.get(s.config.ref)
    const fallback = s.config.fallback === false ? undefined : (s.config.fallback ?? loaded?.fallbackRef)
    const info: Record<string, unknown> = {
      name,
      ref: s.config.ref,
      status: loaded === undefined ? 'loading' : 'ready',
      hasDefault: s.config.default !== undefined,
      shadow: s.config.shadow.map((x) => x.ref),
    }
    const error = manager.errorOf(s.config.ref)
    if (error !== undefined) info.error = redactPaths(error)
    if (loaded !== undefined) {
      const m = loaded.model
      Object.assign(info, {
        model: m.name,
        version: m.version,
        task: m.task,
        features: m.features,
        explain: m.explain !== undefined,
      })
      if (m.classes !== undefined) info.classes = m.classes
      if (withAliases && options.source.aliasesOf !== undefined)
        info.aliases = await options.source.aliasesOf(m.name)
    }
    if (fallback !== undefined) info.fallback = fallback
    if (s.canary !== undefined)
      info.canary = {
        ref: s.canary.config.ref,
        weight: s.canary.config.weight,
        rolledBack: s.canary.rolledBack,
        ...(s.canary.rollbackReason === undefined ? {} : { reason: s.canary.rollbackReason }),
      }
    if (s.experiment !== undefined) info.experiment = s.experiment.id
    return info
  }

  app.get(
    '/v1/models',
    {
      schema: {
        summary: 'List served models',
        tags: ['models'],
        response: {
          200: { type: 'object', properties: { models: { type: 'array', items: modelInfoSchema } } },
        },
        security: [{ bearer: [] }],
      },
      onRequest: requireApi,
    },
    async () => ({ models: await Promise.all(knownNames().map((n) => modelInfo(n, false))) }),
  )

  app.get<{ Params: { name: string } }>(
    '/v1/models/:name',
    {
      schema: {
        summary: 'One served model: version, features, aliases, fallback, shadow, canary, experiment',
        tags: ['models'],
        params: nameParamsSchema,
        response: { 200: modelInfoSchema, 404: errorSchema },
        security: [{ bearer: [] }],
      },
      onRequest: requireApi,
    },
    async (request) => modelInfo(request.params.name, true),
  )

  app.post<{
    Body: {
      predictionId?: string
      outcome?: number | string | boolean
      items?: { predictionId: string; outcome: number | string | boolean }[]
    }
  }>(
    '/v1/feedback',
    {
      schema: {
        summary: 'Report true outcomes for prediction ids (one, or `items`)',
        tags: ['predict'],
        body: feedbackBodySchema(config.maxBatchRows),
        response: { 200: feedbackResponseSchema, ...errors },
        security: [{ bearer: [] }],
      },
      onRequest: requireApi,
    },
    async (request) => {
      if (k === undefined)
        throw new ServeError('SERVE_NOT_READY', 'Feedback needs a database; this server runs without one.')
      const b = request.body
      const items =
        b.items ??
        (b.predictionId !== undefined && b.outcome !== undefined
          ? [{ predictionId: b.predictionId, outcome: b.outcome }]
          : undefined)
      if (items === undefined || (b.items !== undefined && b.predictionId !== undefined))
        throw new BadRequestError('Send {"predictionId": ..., "outcome": ...} or {"items": [{...}, ...]}.')
      const now = Date.now()
      const rows = items.map((i) => ({
        prediction_id: i.predictionId,
        ts: now,
        outcome: JSON.stringify(i.outcome),
        outcome_value:
          typeof i.outcome === 'boolean'
            ? i.outcome
              ? 1
              : 0
            : typeof i.outcome === 'number' && Number.isFinite(i.outcome)
              ? i.outcome
              : null,
      }))
      // Feedback is written before the response, so an acknowledged outcome is durable; while the
      // database is unreachable the client gets a 503 it can retry, never a 2xx for a lost outcome.
      try {
        await k
          .insertInto('serve_feedback')
          .values(rows)
          .onConflict((oc) =>
            oc.column('prediction_id').doUpdateSet((eb) => ({
              ts: eb.ref('excluded.ts'),
              outcome: eb.ref('excluded.outcome'),
              outcome_value: eb.ref('excluded.outcome_value'),
            })),
          )
          .execute()
      } catch (error) {
        if (!isTransientDbError(error)) throw error
        throw new ServeError(
          'SERVE_DATABASE_UNAVAILABLE',
          `The database is unavailable (${(error as Error).message}); the feedback was not stored. Retry later.`,
          { cause: error },
        )
      }
      return { accepted: rows.length }
    },
  )

  /** Why the database cannot be used now (a failed or slow `select 1`), or undefined when it can. */
  const probeDb = async (): Promise<string | undefined> => {
    // SQLite is a local file the process holds open: nothing to reach.
    if (k === undefined || db?.dialect !== 'postgres') return undefined
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        sql`select 1`.execute(k),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 2000 ms')), 2000)
        }),
      ])
      return undefined
    } catch (error) {
      // /ready is unauthenticated: name the kind of failure, never the database's host, port or user.
      const code = (error as NodeJS.ErrnoException).code
      return typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)
        ? `database unreachable (${code})`
        : 'database unreachable'
    } finally {
      clearTimeout(timer)
    }
  }

  /** A model's load error for a reply: `{error}` without filesystem paths, or nothing. */
  const errorField = (error: string | undefined): { error?: string } =>
    error === undefined ? {} : { error: redactPaths(error) }

  app.get('/health', { schema: { summary: 'Liveness', tags: ['ops'] } }, async () => ({ status: 'ok' }))

  app.get(
    '/ready',
    { schema: { summary: 'Readiness: 200 once every configured model is loaded and warmed', tags: ['ops'] } },
    async (_request, reply) => {
      const loading = [...requiredRefs].filter((r) => manager.get(r) === undefined)
      // Predictions need no database, but feedback, experiments and the log do: a server that cannot
      // reach it is taken out of rotation until it can.
      const dbProblem = loading.length === 0 ? await probeDb() : undefined
      if (dbProblem !== undefined) {
        void reply.status(503)
        // /ready is unauthenticated: the driver's message goes out without filesystem paths.
        return { status: 'unavailable', reason: redactPaths(dbProblem) }
      }
      if (loading.length === 0) return { status: 'ready' }
      void reply.status(503)
      return {
        status: 'loading',
        loading: loading.map((ref) => ({
          ref,
          ...errorField(manager.errorOf(ref)),
        })),
      }
    },
  )

  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['ops'] } },
    async (_request, reply) => {
      const text =
        options.metricsText !== undefined ? await options.metricsText() : await metrics.registry.metrics()
      void reply.header('content-type', metrics.registry.contentType)
      return text
    },
  )

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())

  // Admin endpoints.
  app.post(
    '/v1/admin/reload',
    {
      schema: {
        summary: 'Re-resolve every model reference now',
        tags: ['admin'],
        security: [{ bearer: [] }],
      },
      onRequest: requireAdmin,
    },
    async () => {
      await manager.pollOnce()
      await syncExperiments()
      return { models: await Promise.all(knownNames().map((n) => modelInfo(n, false))) }
    },
  )

  const needDb = (): Kysely<ServeTables> => {
    if (k === undefined)
      throw new ServeError('SERVE_NOT_READY', 'Experiments need a database; this server runs without one.')
    return k
  }
  const parseExperiment = (input: unknown): Experiment => {
    // parseConfig names unknown keys with the nearest valid one ("did you mean 'weight'?").
    const parsed = parseConfig(experimentSchema, input)
    if (!parsed.success) {
      const problems = parsed.problems.map((p) => ({
        field: p.path,
        code: 'INVALID_BODY',
        reason: p.message,
      }))
      const summary = formatConfigProblems(parsed.problems).join('; ')
      throw new ServeError('SERVE_BAD_REQUEST', `Invalid experiment: ${summary}`, { details: { problems } })
    }
    const e = parsed.data
    if (!byName.has(e.model)) throw new ModelNotFoundError(e.model, knownNames())
    const names = new Set(e.variants.map((v) => v.name))
    if (names.size !== e.variants.length) throw new BadRequestError('Variant names must be unique.')
    if (e.defaultVariant !== undefined && !names.has(e.defaultVariant))
      throw new BadRequestError(`defaultVariant '${e.defaultVariant}' is not one of the variants.`)
    return e
  }
  const saveExperiment = async (e: Experiment, isNew: boolean): Promise<void> => {
    const kk = needDb()
    if (e.status === 'running') {
      for (const other of experiments.values())
        if (other.id !== e.id && other.model === e.model && other.status === 'running')
          throw new ServeError(
            'SERVE_CONFLICT',
            `Model '${e.model}' already runs experiment '${other.id}'; stop it first.`,
          )
      // Load every variant before the experiment starts, so no request meets an unloaded arm.
      for (const v of e.variants) {
        try {
          await manager.track(v.ref)
        } catch (error) {
          throw new ServeError(
            'SERVE_BAD_REQUEST',
            `Variant '${v.name}' (${v.ref}) cannot be loaded: ${(error as Error).message}`,
            {
              cause: error,
            },
          )
        }
      }
    }
    const now = Date.now()
    if (isNew) {
      const exists = await kk
        .selectFrom('serve_experiments')
        .select('id')
        .where('id', '=', e.id)
        .executeTakeFirst()
      if (exists !== undefined)
        throw new ServeError('SERVE_CONFLICT', `Experiment '${e.id}' exists; use PUT to change it.`)
      await kk
        .insertInto('serve_experiments')
        .values({
          id: e.id,
          model: e.model,
          config: JSON.stringify(e),
          status: e.status,
          created_at: now,
          updated_at: now,
        })
        .execute()
    } else {
      await kk
        .updateTable('serve_experiments')
        .set({ model: e.model, config: JSON.stringify(e), status: e.status, updated_at: now })
        .where('id', '=', e.id)
        .execute()
    }
    experiments.set(e.id, e)
    applyExperiments()
  }
  const getExperiment = (id: string): Experiment => {
    const e = experiments.get(id)
    if (e === undefined) throw new ServeError('SERVE_NOT_FOUND', `No experiment '${id}'.`)
    return e
  }
  const adminSchema = (summary: string, extra: Record<string, unknown> = {}) => ({
    schema: { summary, tags: ['admin'], security: [{ bearer: [] }], ...extra },
    onRequest: requireAdmin,
  })

  app.get('/v1/admin/experiments', adminSchema('List experiments'), async () => {
    await syncExperiments()
    return { experiments: [...experiments.values()] }
  })
  app.get<{ Params: { id: string } }>(
    '/v1/admin/experiments/:id',
    adminSchema('One experiment', { params: idParamsSchema }),
    async (request) => getExperiment(request.params.id),
  )
  app.post<{ Body: ExperimentBody }>(
    '/v1/admin/experiments',
    adminSchema('Create (and start) an experiment', { body: experimentBodySchema }),
    async (request, reply) => {
      const e = parseExperiment(request.body)
      await saveExperiment(e, true)
      void reply.status(201)
      return e
    },
  )
  app.put<{ Params: { id: string }; Body: ExperimentBody }>(
    '/v1/admin/experiments/:id',
    adminSchema('Replace an experiment (weights, status)', {
      params: idParamsSchema,
      body: experimentBodySchema,
    }),
    async (request) => {
      getExperiment(request.params.id)
      const e = parseExperiment({ ...request.body, id: request.params.id })
      await saveExperiment(e, false)
      return e
    },
  )
  app.delete<{ Params: { id: string } }>(
    '/v1/admin/experiments/:id',
    adminSchema('Stop an experiment (its logged data stays for reports)', { params: idParamsSchema }),
    async (request) => {
      const e = { ...getExperiment(request.params.id), status: 'stopped' as const }
      await saveExperiment(e, false)
      return e
    },
  )
  app.get<{ Params: { id: string }; Querystring: { goal?: 'increase' | 'decrease' } }>(
    '/v1/admin/experiments/:id/report',
    adminSchema(
      'A/B report: sizes, outcome rates, AUC, difference with CI, sequential test, SRM check, verdict',
      {
        params: idParamsSchema,
        querystring: {
          type: 'object',
          properties: { goal: { type: 'string', enum: ['increase', 'decrease'] } },
        },
      },
    ),
    async (request) => {
      if (db === undefined) needDb()
      return abReport(
        db!,
        request.params.id,
        request.query.goal === undefined ? {} : { goal: request.query.goal },
      )
    },
  )

  let closing: Promise<void> | undefined
  app.addHook('onClose', async () => {
    if (expTimer !== undefined) clearInterval(expTimer)
    await manager.stop()
    for (const s of byName.values()) await s.settleShadows()
    await log?.close()
    if (ownsDb) await db?.close()
  })

  // Monitoring: one schedule per deployment (here, unless a cluster primary runs it), the JSON API
  // and the dashboard.
  const storeUrl = monitorStoreUrl(options.db, config, options.storeUrl)
  const monitoredRefs = served.map((s) => s.ref)
  let monitor: MonitorSchedule | undefined
  if (db !== undefined && config.monitor.enabled && options.monitorSchedule !== false && served.length > 0) {
    const { startMonitorSchedule } = await import('../monitor/scheduler.js')
    monitor = startMonitorSchedule({
      models: monitoredRefs,
      intervalMs: config.monitor.intervalMs,
      windowMs: config.monitor.windowMs,
      minRows: config.monitor.minRows,
      drift: {
        rule: config.monitor.rule,
        ...(config.monitor.shareThreshold === undefined
          ? {}
          : { shareThreshold: config.monitor.shareThreshold }),
      },
      ...(storeUrl === undefined ? {} : { storeUrl }),
      alerts: { ...monitorAlertOptions(config), log: (line) => app.log.warn(JSON.parse(line), 'keel alert') },
      registry: metrics.registry,
      onError: (model, error) => {
        if ((error as { code?: string }).code !== 'MONITOR_EMPTY_WINDOW')
          warn(`drift check of ${model} failed`, error)
      },
    })
  }
  if (db !== undefined && config.monitor.dashboard) {
    const [{ monitorRoutes }, { runDriftCheck }, { dashboardRoutes }] = await Promise.all([
      import('../monitor/api.js'),
      import('../monitor/check.js'),
      import('../monitor/dashboard/index.js'),
    ])
    const monitoredModels = (): MonitoredModel[] =>
      [...byName.values()].map((s) => {
        const loaded = manager.get(s.config.ref)
        return loaded === undefined
          ? { name: s.name, ref: s.config.ref, status: 'loading' as const }
          : {
              name: s.name,
              ref: s.config.ref,
              model: loaded.model.name,
              version: loaded.model.version,
              task: loaded.model.task,
              status: 'ready' as const,
            }
      })
    const runChecks = async (model?: string): Promise<readonly DriftCheckResult[]> => {
      const wanted = (r: DriftCheckResult): boolean =>
        model === undefined || r.name === (byName.get(model)?.config.ref.split('@')[0] ?? model)
      if (monitor !== undefined) return (await monitor.runOnce()).filter(wanted)
      if (options.runMonitorChecks !== undefined) return options.runMonitorChecks(model)
      const out: DriftCheckResult[] = []
      for (const s of byName.values()) {
        if (model !== undefined && s.name !== model) continue
        out.push(
          await runDriftCheck({
            model: s.config.ref,
            current: { kind: 'window', windowMs: config.monitor.windowMs },
            minRows: config.monitor.minRows,
            ...(storeUrl === undefined ? {} : { storeUrl }),
            drift: {
              rule: config.monitor.rule,
              ...(config.monitor.shareThreshold === undefined
                ? {}
                : { shareThreshold: config.monitor.shareThreshold }),
            },
          }),
        )
      }
      return out
    }
    await app.register(monitorRoutes, {
      db,
      storeUrl,
      models: monitoredModels,
      adminToken,
      apiToken,
      runChecks,
      windowMs: config.monitor.windowMs,
    })
    await app.register(dashboardRoutes, { adminToken, apiToken })
  }
  const ragCollection = ragCollectionOf(config)
  if (ragCollection !== undefined) {
    // Loaded on demand: the vector store is only needed by servers that answer questions. The
    // route reads stored documents, so it is behind the prediction token, checked (as for predict)
    // before the body is read; the hook is scoped to the plugin's routes.
    const { ragRoutes } = await import('../rag/index.js')
    await app.register(async (scope) => {
      scope.addHook('onRequest', requireApi)
      await scope.register(ragRoutes, { collection: ragCollection, registry: metrics.registry })
    })
  }
  app.addHook('onClose', async () => {
    await monitor?.stop()
  })

  // The predict fast path (fast-path.ts): plain predict requests skip Node's http layer and
  // Fastify's request pipeline; everything else, and every request it declines, is Fastify's.
  let fast: FastPath | undefined
  app.addHook('preClose', (done) => {
    fast?.close()
    done()
  })
  // A 413 answered while the client still sends its body: close lingeringly so the client reads it.
  lingerOnBodyTooLarge(app)

  await app.ready()

  if (config.fastPath) {
    const logInternal = (error: unknown): void => app.log.error({ err: error }, 'internal error')
    // The route's body validator (Fastify's compiler, same options, same schema object): a body it
    // accepts here gets exactly the value, coercions included, that the route's handler would get.
    const validateBody = app.validatorCompiler?.({
      schema: predictBody,
      method: 'POST',
      url: PREDICT_ROUTE,
      httpPart: 'body',
    })
    // A request without the API token is Fastify's to refuse (401): `authorize` sees the head only,
    // so the front hands such a connection over before it reads the body.
    const authorize = (headers: Readonly<Record<string, string>>): boolean => {
      try {
        checkApi(headers.authorization, apiToken, adminToken)
        return true
      } catch {
        return false
      }
    }
    const fastHandler: FastHandler = (request) => {
      const text = request.body
      // Bodies the Fastify parser treats specially (possible prototype poisoning), bodies that do
      // not parse, and bodies the route schema rejects are Fastify's to answer.
      const parsed = parsePlainJson(text)
      const checked =
        parsed === undefined || validateBody === undefined
          ? undefined
          : routeValidatedValue(validateBody, parsed)
      if (checked === undefined) return undefined
      const body = checked.value as PredictBody
      const started = performance.now()
      let labels: RequestLabels | undefined
      const observe = (status: number): void => {
        if (labels !== undefined) recordRequest(metrics, labels, status, (performance.now() - started) / 1000)
      }
      return predictCore(request.name, request.headers, body, text, undefined, (l) => {
        labels = l
      }).then(
        (result) => {
          observe(200)
          return { status: 200, body: JSON.stringify(result) }
        },
        (error: unknown) => {
          const requestId = request.headers[REQUEST_ID_HEADER] || newRequestId()
          const reply = errorReply(
            error instanceof Error ? error : new Error(String(error)),
            requestId,
            logInternal,
          )
          observe(reply.status)
          return { status: reply.status, body: JSON.stringify(reply.body) }
        },
      )
    }
    const answered = metrics.fastPath.tally({ outcome: 'answered' })
    const handedOff = metrics.fastPath.tally({ outcome: 'handed_off' })
    fast = attachFastPath(app.server, {
      onAnswered: () => answered.inc(),
      onHandoff: () => handedOff.inc(),
      bodyLimit: config.bodyLimitBytes,
      // Names the route takes: its params schema's limit, and the router's.
      maxNameLength: Math.min(
        nameParamsSchema.properties.name.maxLength,
        app.initialConfig.routerOptions?.maxParamLength ?? MODEL_NAME_MAX_LENGTH,
      ),
      headersTimeoutMs: config.timeouts.headersMs,
      requestTimeoutMs: config.timeouts.requestMs,
      // Fastify's own 413 (its error, through the same error reply), answered before the body is read,
      // then the same lingering close as on the Fastify path (the fast path's default bounds).
      tooLarge: (head) => {
        const requestId = head.headers[REQUEST_ID_HEADER] || newRequestId()
        const reply = errorReply(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE(), requestId, logInternal)
        return { status: reply.status, body: JSON.stringify(reply.body) }
      },
      handler: fastHandler,
      ...(apiTokenRequired ? { authorize } : {}),
      onError: logInternal,
    })
  }

  // Every connection, on either path, for the shutdown deadline (added after the fast path: see there).
  const connections = trackConnections(app.server)

  return {
    app,
    manager,
    metrics,
    log,
    config,
    monitor,
    isReady,
    async waitUntilReady(timeoutMs = 30_000) {
      await initialLoad
      const deadline = Date.now() + timeoutMs
      while (!isReady()) {
        if (Date.now() > deadline) {
          const loading = [...requiredRefs].filter((r) => manager.get(r) === undefined)
          throw new ServeError(
            'SERVE_NOT_READY',
            `Models still loading after ${timeoutMs} ms: ${loading.join(', ')}.`,
            {
              details: { loading, errors: loading.map((r) => manager.errorOf(r) ?? null) },
            },
          )
        }
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async listen(port = 0, host = '127.0.0.1') {
      return app.listen({ port, host })
    },
    close() {
      closing ??= closeWithDeadline(
        () => app.close(),
        connections,
        config.timeouts.shutdownMs,
        (n) =>
          app.log.warn(
            { connections: n, shutdownMs: config.timeouts.shutdownMs },
            'shutdown deadline reached: closed connections still open',
          ),
      )
      return closing
    },
  }
}
