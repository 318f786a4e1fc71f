import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { AggregatorRegistry, Registry } from 'prom-client'
import { AppError } from '../core/index.js'
import { ServeError } from '../http/index.js'
import type { DriftCheckResult } from '../monitor/check.js'
import type { MonitorSchedule } from '../monitor/scheduler.js'
import type { ModelSource } from '../pipeline/index.js'
import { migrateServeTables } from '../predlog/index.js'
import { openDb } from '../store/index.js'
import {
  type CreateServerOptions,
  createServer,
  type KeelServer,
  monitorAlertOptions,
  monitorStoreUrl,
} from './app.js'
import { parseServeConfig, type ServeConfig, servedModels } from './config.js'
import { createServeMetrics } from './metrics.js'

/** Options of `startServer`. */
export interface StartServerOptions extends Omit<CreateServerOptions, 'metrics' | 'metricsText'> {
  /** Default 8080; 0 picks a free port. */
  readonly port?: number
  /** Default 127.0.0.1. */
  readonly host?: string
  /** Worker processes (node:cluster). Default: the core count; 1 serves in this process. */
  readonly workers?: number
  /** Called once with the base URL when serving (in the primary for a cluster). */
  readonly onListening?: (url: string) => void
  /** Exit the process after a graceful shutdown on SIGTERM/SIGINT. Default true. */
  readonly exitOnSignal?: boolean
}

/** The `code` of an `AppError` (a catalogued error code). */
type ErrorCode = AppError['code']

/** A running server (single process) or cluster primary. */
export interface RunningServer {
  readonly url: string
  /** The in-process server; undefined in a cluster primary. */
  readonly server: KeelServer | undefined
  /** Graceful stop: stop accepting, finish in-flight requests, flush the log (every worker). */
  close(): Promise<void>
}

interface WorkerMessage {
  type?: string
  url?: string
  id?: number
  text?: string
  model?: string
  results?: DriftCheckResult[]
  error?: string
  code?: string
}

/**
 * How long the primary waits for a worker past the shutdown deadline (`timeouts.shutdownMs`) before
 * it kills it: the worker destroys its last connections at the deadline and then still writes its
 * prediction log, which must not be cut short by an ordinary database pause.
 */
const WORKER_FLUSH_GRACE_MS = 30_000

/**
 * Starts the prediction server. With `workers > 1` the calling script is re-run in each worker by
 * node:cluster (so every worker builds its own `ModelSource` from the same options), workers share
 * the port, and `/metrics` answers the cluster-wide aggregate.
 *
 * Shutdown: the first SIGTERM or SIGINT (to the primary, to a worker, or to the whole process group,
 * as systemd, Docker and Kubernetes send it) stops gracefully: stop accepting, finish in-flight
 * requests, destroy connections still open after `timeouts.shutdownMs`, write the prediction log,
 * exit 0. Later signals are ignored, so a second one never cuts a log flush short; the primary kills
 * a worker only when it is still running well after the deadline. A worker stopped alone is
 * replaced.
 *
 * Start-up fails fast (it rejects, and in a cluster no worker keeps running) when a configured model
 * reference does not resolve (unless `config.allowDegraded`), or when the address cannot be listened
 * on; in a cluster worker a start-up error is reported to the primary and the worker exits.
 * @throws ServeError `SERVE_MODEL_UNRESOLVED`, `SERVE_LISTEN_FAILED`, `SERVE_START_FAILED`;
 *   AppError `SERVE_CONFIG_INVALID` for a bad config or port.
 * @example
 * await startServer({ source, config: { models: ['churn@production'] }, port: 8080, workers: 2 })
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const port = options.port ?? 8080
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppError('SERVE_CONFIG_INVALID', `port must be an integer from 0 to 65535, got ${port}.`)
  const workers = options.workers ?? availableParallelism()
  // The primary (or the single process) checks once; workers re-run the script after it passed.
  if (!cluster.isWorker) {
    const config = parseServeConfig(options.config ?? {})
    if (!config.allowDegraded) await checkModelRefs(options.source, config)
  }
  if (workers > 1 && cluster.isPrimary) return startPrimary(options, workers)
  return startWorker(options)
}

/** Every model reference the config names: served models, fallbacks, shadows, canaries, variants. */
function configuredRefs(config: ServeConfig): string[] {
  const refs = new Set<string>()
  for (const s of servedModels(config)) {
    refs.add(s.ref)
    if (typeof s.fallback === 'string') refs.add(s.fallback)
    for (const shadow of s.shadow) refs.add(shadow.ref)
    if (s.canary !== undefined) refs.add(s.canary.ref)
  }
  for (const e of config.experiments) for (const v of e.variants) refs.add(v.ref)
  return [...refs]
}

/**
 * Resolves every configured reference once. A server that starts with a reference that does not
 * exist only ever answers "still loading" for it, which a supervisor cannot tell from a slow start:
 * refuse instead, naming each reference and what the source said exists.
 */
async function checkModelRefs(source: ModelSource, config: ServeConfig): Promise<void> {
  const refs = configuredRefs(config)
  const problems: { ref: string; reason: string }[] = []
  await Promise.all(
    refs.map(async (ref) => {
      try {
        await source.resolve(ref)
      } catch (error) {
        problems.push({ ref, reason: error instanceof Error ? error.message : String(error) })
      }
    }),
  )
  if (problems.length === 0) return
  problems.sort((a, b) => refs.indexOf(a.ref) - refs.indexOf(b.ref))
  const list = problems.map((p) => `'${p.ref}' (${p.reason.replace(/\s*\n\s*/g, ' ')})`).join('; ')
  throw new ServeError(
    'SERVE_MODEL_UNRESOLVED',
    `Cannot serve ${problems.length === 1 ? 'model' : 'models'} ${list}. Fix the reference, or start with --allow-degraded (config allowDegraded: true) to serve the others meanwhile.`,
    { details: { problems } },
  )
}

/** One line naming the address and what to do, for an error of `listen`. */
function listenError(error: unknown, host: string, port: number): Error {
  if (error instanceof AppError) return error
  const code = (error as { code?: string }).code
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`
  const why =
    code === 'EADDRINUSE'
      ? 'the port is already in use (EADDRINUSE); stop the other server or choose another --port'
      : code === 'EADDRNOTAVAIL'
        ? 'this machine has no such address (EADDRNOTAVAIL); choose one of its addresses, or 0.0.0.0 for all'
        : code === 'EACCES'
          ? 'permission denied (EACCES); ports below 1024 need privileges, choose a higher --port'
          : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
            ? `the host name does not resolve (${code}); check --host`
            : `${error instanceof Error ? error.message : String(error)}${code === undefined ? '' : ` (${code})`}`
  return new ServeError('SERVE_LISTEN_FAILED', `Cannot listen on ${where}: ${why}.`, {
    cause: error,
    details: { host, port, ...(code === undefined ? {} : { errno: code }) },
  })
}

/**
 * A cluster worker that cannot start tells the primary (which reports it once and stops) and exits;
 * thrown instead, the error would be printed by every worker and the worker would linger, held by
 * its IPC channel.
 */
function reportStartFailure(error: unknown): Promise<never> {
  if (!cluster.isWorker || process.send === undefined) return Promise.reject(error)
  const message = error instanceof Error ? error.message : String(error)
  const code = error instanceof AppError ? error.code : undefined
  process.send({ type: 'keel:start-failed', error: message, ...(code === undefined ? {} : { code }) }, () =>
    process.exit(1),
  )
  return new Promise<never>(() => undefined)
}

async function startWorker(options: StartServerOptions): Promise<RunningServer> {
  const isWorker = cluster.isWorker
  const metrics = createServeMetrics()
  let metricsText: (() => Promise<string>) | undefined
  let runMonitorChecks: ((model?: string) => Promise<readonly DriftCheckResult[]>) | undefined
  if (isWorker) {
    // The primary aggregates every worker's registry; a worker asks it over IPC for the total.
    new AggregatorRegistry()
    AggregatorRegistry.setRegistries([metrics.registry])
    let next = 0
    const waiting = new Map<number, (text: string) => void>()
    const checks = new Map<number, { resolve: (r: DriftCheckResult[]) => void; reject: (e: Error) => void }>()
    process.on('message', (message: WorkerMessage) => {
      if (message.type === 'keel:metrics-res' && message.id !== undefined) {
        waiting.get(message.id)?.(message.text ?? '')
        waiting.delete(message.id)
      } else if (message.type === 'keel:monitor-res' && message.id !== undefined) {
        const pending = checks.get(message.id)
        checks.delete(message.id)
        if (message.error !== undefined) pending?.reject(new Error(message.error))
        else pending?.resolve(message.results ?? [])
      }
    })
    // The one drift schedule runs in the primary; a worker asked to check now asks it.
    runMonitorChecks = (model) =>
      new Promise<DriftCheckResult[]>((resolve, reject) => {
        const id = next++
        checks.set(id, { resolve, reject })
        process.send?.({ type: 'keel:monitor-req', id, ...(model === undefined ? {} : { model }) })
      })
    metricsText = () =>
      new Promise<string>((resolve) => {
        const id = next++
        const timer = setTimeout(() => {
          waiting.delete(id)
          void metrics.registry.metrics().then(resolve)
        }, 5000)
        waiting.set(id, (text) => {
          clearTimeout(timer)
          resolve(text)
        })
        process.send?.({ type: 'keel:metrics-req', id })
      })
  }
  const { port: _port, host: _host, workers: _w, onListening, exitOnSignal, ...createOptions } = options
  let server: KeelServer
  try {
    server = await createServer({
      ...createOptions,
      metrics,
      ...(metricsText === undefined ? {} : { metricsText }),
      ...(isWorker ? { monitorSchedule: false } : {}),
      ...(runMonitorChecks === undefined ? {} : { runMonitorChecks }),
    })
  } catch (error) {
    return reportStartFailure(error)
  }
  const port = options.port ?? 8080
  const host = options.host ?? '127.0.0.1'
  let url: string
  try {
    url = await server.listen(port, host)
  } catch (error) {
    // Release what the server holds (log writer thread, database, timers), or the process would
    // stay up with nothing listening.
    await server.close().catch(() => undefined)
    return reportStartFailure(listenError(error, host, port))
  }
  if (isWorker) process.send?.({ type: 'keel:listening', url })
  else onListening?.(url)

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= server.close()
    return closing
  }
  let stopping = false
  const onSignal = (): void => {
    // Idempotent: the first signal starts the shutdown; later ones (a group signal followed by the
    // primary's request, a second Ctrl-C) must not kill the process while it writes its log.
    if (stopping) return
    stopping = true
    void close().then(
      () => {
        if (exitOnSignal !== false || isWorker) process.exit(0)
      },
      (error: unknown) => {
        server.app.log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  if (isWorker) {
    // The primary asks over IPC (never with a signal a worker could already have had); a primary
    // that is gone disconnects.
    process.on('message', (message: WorkerMessage) => {
      if (message.type === 'keel:shutdown') onSignal()
    })
    process.once('disconnect', onSignal)
  }
  // A bug in one request must not take the worker down with every other in-flight request.
  process.on('unhandledRejection', (error) => server.app.log.error({ err: error }, 'unhandled rejection'))
  return { url, server, close }
}

async function startPrimary(options: StartServerOptions, count: number): Promise<RunningServer> {
  const config = parseServeConfig(options.config ?? {})
  // Migrate once here: workers starting together would otherwise race to create the same tables.
  if (options.db !== false && typeof options.db !== 'object') {
    const db = await openDb(options.db ?? config.databaseUrl)
    try {
      await migrateServeTables(db)
    } finally {
      await db.close()
    }
  }
  const aggregator = new AggregatorRegistry()
  // Drift gauges live in the primary (the one process running the schedule); /metrics appends them
  // to the workers' aggregate.
  const primaryRegistry = new Registry()
  const served = servedModels(config)
  let monitor: MonitorSchedule | undefined
  if (options.db !== false && config.monitor.enabled && served.length > 0) {
    const storeUrl = monitorStoreUrl(options.db, config, options.storeUrl)
    const { startMonitorSchedule } = await import('../monitor/scheduler.js')
    monitor = startMonitorSchedule({
      models: served.map((s) => s.ref),
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
      alerts: monitorAlertOptions(config),
      registry: primaryRegistry,
      onError: (model, error) => {
        if ((error as { code?: string }).code !== 'MONITOR_EMPTY_WINDOW')
          process.stderr.write(`keel serve: drift check of ${model} failed: ${(error as Error).message}\n`)
      },
    })
  }
  let shuttingDown = false
  let started = false
  let resolveUrl: (url: string) => void = () => undefined
  let rejectStart: (error: Error) => void = () => undefined
  const urlReady = new Promise<string>((resolve, reject) => {
    resolveUrl = resolve
    rejectStart = reject
  })
  let announced = false
  // Workers that listen (and so handle the shutdown request); others are still starting.
  const listening = new Set<number>()
  const onMessage = (worker: Worker, message: WorkerMessage): void => {
    if (message.type === 'keel:listening' && message.url !== undefined) {
      started = true
      listening.add(worker.id)
      if (!announced) {
        announced = true
        options.onListening?.(message.url)
      }
      resolveUrl(message.url)
    } else if (message.type === 'keel:start-failed') {
      const text = message.error ?? 'unknown error'
      if (!started) {
        // Codes come from the worker's AppError, so they are catalogued codes.
        rejectStart(
          message.code === undefined
            ? new ServeError('SERVE_START_FAILED', `A worker failed to start: ${text}`)
            : new AppError(message.code as ErrorCode, text),
        )
      } else {
        process.stderr.write(`keel serve: worker ${worker.process.pid} failed to start: ${text}\n`)
      }
    } else if (message.type === 'keel:metrics-req' && message.id !== undefined) {
      const id = message.id
      Promise.all([aggregator.clusterMetrics(), primaryRegistry.metrics()]).then(
        ([text, own]) => send(worker, { type: 'keel:metrics-res', id, text: `${text.trimEnd()}\n${own}` }),
        () => send(worker, { type: 'keel:metrics-res', id, text: '' }),
      )
    } else if (message.type === 'keel:monitor-req' && message.id !== undefined) {
      const id = message.id
      const model = message.model
      const routeToModel = new Map(served.map((s) => [s.name, s.ref.split('@')[0]]))
      const run = monitor === undefined ? Promise.resolve([]) : monitor.runOnce()
      run.then(
        (results) =>
          send(worker, {
            type: 'keel:monitor-res',
            id,
            results: results.filter(
              (r) => model === undefined || r.name === (routeToModel.get(model) ?? model),
            ),
          }),
        (error: unknown) => send(worker, { type: 'keel:monitor-res', id, error: (error as Error).message }),
      )
    }
  }
  cluster.on('message', onMessage)
  const fork = (): Worker => cluster.fork({ KEEL_SERVE_WORKER: '1' })
  const onExit = (worker: Worker, code: number, signal: string): void => {
    if (shuttingDown) return
    if (!started) {
      // Before any worker listens there is nothing to keep serving: a worker that dies now would
      // die again, so start-up fails. The wait lets the worker's own reason, sent just before it
      // exited, arrive first: it is the better message.
      const error = new ServeError(
        'SERVE_START_FAILED',
        `Worker ${worker.process.pid} exited during start-up (${signal ?? code}); see its output above.`,
      )
      setTimeout(() => rejectStart(error), 200)
      return
    }
    process.stderr.write(
      `keel serve: worker ${worker.process.pid} exited (${signal ?? code}); starting a new one\n`,
    )
    fork()
  }
  cluster.on('exit', onExit)

  /**
   * Asks every worker to stop and waits for them to exit: over IPC, never with a signal (a worker that
   * already had the group's SIGTERM would take a second one for its default action and die mid-flush).
   * A worker still running `WORKER_FLUSH_GRACE_MS` after the shutdown deadline is killed. Resolves
   * true when every worker exited cleanly.
   */
  const stopWorkers = async (): Promise<boolean> => {
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
    let clean = true
    const hardStop = setTimeout(() => {
      for (const w of alive) {
        if (w.isDead()) continue
        clean = false
        process.stderr.write(
          `keel serve: worker ${w.process.pid} still running ${WORKER_FLUSH_GRACE_MS / 1000} s after the shutdown deadline; killing it\n`,
        )
        w.process.kill('SIGKILL')
      }
    }, config.timeouts.shutdownMs + WORKER_FLUSH_GRACE_MS)
    try {
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve()
              const starting = !listening.has(w.id)
              w.once('exit', (code: number | null) => {
                // Ending a worker that was still starting is part of a clean stop.
                if (code !== 0 && !starting) clean = false
                resolve()
              })
              // A worker still starting (a replacement, or during a failed start) has acknowledged
              // nothing and does not handle the request yet: a signal ends it. One that listens
              // installed its handlers in the same tick, so a signal racing its message is handled.
              if (w.isConnected() && listening.has(w.id)) send(w, { type: 'keel:shutdown' })
              else w.process.kill('SIGTERM')
            }),
        ),
      )
    } finally {
      clearTimeout(hardStop)
    }
    return clean
  }

  for (let i = 0; i < count; i++) fork()
  let url: string
  try {
    url = await urlReady
  } catch (error) {
    shuttingDown = true
    await Promise.all([monitor?.stop(), stopWorkers()])
    cluster.off('message', onMessage)
    cluster.off('exit', onExit)
    throw error
  }

  let closing: Promise<boolean> | undefined
  const stop = (): Promise<boolean> => {
    closing ??= (async () => {
      shuttingDown = true
      const [, clean] = await Promise.all([monitor?.stop(), stopWorkers()])
      return clean
    })()
    return closing
  }
  let stopping = false
  const onSignal = (): void => {
    // Idempotent, as in the workers: a second signal never interrupts the shutdown under way.
    if (stopping) return
    stopping = true
    void stop().then((clean) => {
      if (options.exitOnSignal !== false) process.exit(clean ? 0 : 1)
    })
  }
  process.on('SIGTERM', onSignal)
  process.on('SIGINT', onSignal)
  return {
    url,
    server: undefined,
    close: async () => {
      await stop()
    },
  }
}

/** Sends a message to a worker; one that is exiting cannot receive it, which is not an error here. */
function send(worker: Worker, message: WorkerMessage): void {
  if (!worker.isConnected()) return
  worker.send(message, undefined, () => undefined)
}
