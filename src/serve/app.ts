import Fastify, { type FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { installErrorHandlers } from '../http/error-reply.js'
import { ServeError } from '../http/errors.js'
import type { DriftCheckResult } from '../monitor/check.js'
import type { MonitorSchedule } from '../monitor/scheduler.js'
import type { ModelSource } from '../pipeline/servable.js'
import { logWriteEpisodes, PredictionLog, predictionLogSink } from '../predlog/index.js'
import { migrateServeTables, type ServeTables } from '../predlog/tables.js'
import { type KeelDb, openDb } from '../store/index.js'
import { CanaryLedger } from './canary-ledger.js'
import { breakerSettingsByRef } from './circuit-breaker.js'
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
import { type ServeContext, serveAuth } from './context.js'
import { ExperimentBook, kyselyExperimentStore } from './experiment-store.js'
import { installJsonParser } from './json-body.js'
import { createServeMetrics, type ServeMetrics } from './metrics.js'
import { ModelManager } from './model-manager.js'
import { experimentRoutes } from './plugins/experiments.js'
import { modelRoutes } from './plugins/models.js'
import { mountMonitor } from './plugins/monitor.js'
import { operationRoutes, registerOpenApi } from './plugins/operations.js'
import { newRequestId, predictRoutes, REQUEST_ID_HEADER } from './plugins/predict.js'
import { mountRag } from './plugins/rag.js'
import { ServedModel } from './predictor.js'
import { MODEL_NAME_MAX_LENGTH } from './schemas.js'

export { monitorAlertOptions } from './plugins/monitor.js'

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

/** The prediction log over the serving tables, its health in the metrics and the server's log. */
function openPredictionLog(
  app: FastifyInstance,
  db: KeelDb,
  k: Kysely<ServeTables>,
  config: ServeConfig,
  metrics: ServeMetrics,
  warn: (message: string, error?: unknown) => void,
): PredictionLog {
  // One warning when log writes start failing and one when they recover, not one per retried batch.
  const episodes = logWriteEpisodes((message, fields) => app.log.warn(fields, message))
  return new PredictionLog(predictionLogSink(db, k), config.predictionLog, {
    onDepth: (d) => metrics.logQueueDepth.set(d),
    onDropped: (n) => {
      metrics.logDropped.inc(n)
      episodes.dropped(n)
    },
    onWritten: (n) => {
      metrics.logWritten.inc(n)
      episodes.written(n)
    },
    onError: (e) => {
      if ((e as { code?: unknown }).code !== 'SERVE_LOG_WRITE_FAILED')
        return warn('prediction log entry not logged', e)
      metrics.logWriteFailures.inc()
      episodes.failed(e)
    },
  })
}

/**
 * Builds the prediction server (Fastify) over a model source by composing its plugins: predict
 * (with the fast path), models and feedback, operations (health, readiness, metrics, OpenAPI/docs),
 * the experiments admin API, monitoring and RAG. Models load in the background; `/ready` turns 200
 * once all are warmed.
 * @throws AppError `SERVE_CONFIG_INVALID` for a bad config, `STORE_UNAVAILABLE` when the database cannot open.
 */
export async function createServer(options: CreateServerOptions): Promise<KeelServer> {
  const config = parseServeConfig(options.config ?? {})
  const served = servedModels(config)
  const auth = serveAuth(
    options.apiToken ?? process.env.KEEL_API_TOKEN,
    options.adminToken ?? process.env.KEEL_ADMIN_TOKEN,
  )
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
  const log =
    db !== undefined && k !== undefined && config.predictionLog.enabled
      ? openPredictionLog(app, db, k, config, metrics, warn)
      : undefined

  const breakers = breakerSettingsByRef(served)
  const manager = new ModelManager(options.source, {
    pollIntervalMs: config.pollIntervalMs,
    breakerFor: (ref) => breakers.get(ref),
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
    onChangeFeedError: (error) =>
      app.log.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'registry change notifications lost; reconnecting, and polling meanwhile',
      ),
    onBreakerChange: (m, open) =>
      metrics.breakerOpen.set({ model: m.name, version: String(m.version) }, open ? 1 : 0),
  })
  // Canary counts and rollbacks shared by every replica on this database (see canary-ledger.ts).
  const canaryLedger = k === undefined ? undefined : new CanaryLedger(k, { onWarn: warn })
  const deps = { manager, metrics, log, extraFields: config.extraFields, onWarn: warn, canaryLedger }
  const models = new Map<string, ServedModel>(served.map((s) => [s.name, new ServedModel(s, deps)]))
  const requiredRefs = new Set<string>()
  for (const s of models.values()) for (const r of s.refs()) requiredRefs.add(r)
  for (const e of config.experiments) for (const v of e.variants) requiredRefs.add(v.ref)

  const experiments = new ExperimentBook({
    store: k === undefined ? undefined : kyselyExperimentStore(k, db?.dialect === 'postgres'),
    models,
    manager,
    onWarn: warn,
  })
  await experiments.seed(config.experiments)
  experiments.startPolling(config.pollIntervalMs)
  // Replicas on one PostgreSQL hear each other's experiment changes at once (LISTEN/NOTIFY).
  if (db?.dialect === 'postgres') await experiments.subscribe(db.url)
  const initialLoad = manager.trackAll([...requiredRefs]).then(async () => {
    await experiments.sync().catch((e) => warn('experiment sync failed', e))
    experiments.apply()
  })
  manager.start()
  const isReady = (): boolean => manager.isReady(requiredRefs)

  // Root-level pieces first: every plugin context copies the parser, error handlers and hooks of
  // its parent when it is created, and the OpenAPI generator sees only routes added after it.
  const bodyTextOf = installJsonParser(app)
  installErrorHandlers(app)
  // A 413 answered while the client still sends its body: close lingeringly so the client reads it.
  lingerOnBodyTooLarge(app)
  await registerOpenApi(app)

  const ctx: ServeContext = {
    config,
    source: options.source,
    manager,
    metrics,
    models,
    requiredRefs,
    experiments,
    db,
    tables: k,
    auth,
    bodyTextOf,
    warn,
  }
  await app.register(predictRoutes, { ctx })
  await app.register(modelRoutes, { ctx })
  await app.register(operationRoutes, { ctx, metricsText: options.metricsText })
  await app.register(experimentRoutes, { ctx })

  let closing: Promise<void> | undefined
  app.addHook('onClose', async () => {
    experiments.stop()
    await canaryLedger?.stop()
    await manager.stop()
    for (const s of models.values()) await s.settleShadows()
    await log?.close()
    if (ownsDb) await db?.close()
  })

  const monitor = await mountMonitor(app, ctx, {
    storeUrl: monitorStoreUrl(options.db, config, options.storeUrl),
    schedule: options.monitorSchedule !== false,
    runMonitorChecks: options.runMonitorChecks,
  })
  const ragCollection = ragCollectionOf(config)
  if (ragCollection !== undefined) await mountRag(app, ctx, ragCollection)

  // The predict plugin starts the fast path in front of the server here (its onReady hook).
  await app.ready()
  // Every connection, on either path, for the shutdown deadline: added after the fast path, which
  // takes over the `connection` listeners present when it attaches and calls them only on handoff.
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
