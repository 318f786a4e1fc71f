import cluster, { type Worker } from 'node:cluster'
import { availableParallelism } from 'node:os'
import { AggregatorRegistry, Registry } from 'prom-client'
import type { DriftCheckResult } from '../monitor/check.js'
import type { MonitorSchedule } from '../monitor/scheduler.js'
import { openDb } from '../store/index.js'
import {
  type CreateServerOptions,
  createServer,
  type KeelServer,
  monitorAlertOptions,
  monitorStoreUrl,
} from './app.js'
import { parseServeConfig, servedModels } from './config.js'
import { createServeMetrics } from './metrics.js'
import { migrateServeTables } from './tables.js'

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
}

/**
 * Starts the prediction server. With `workers > 1` the calling script is re-run in each worker by
 * node:cluster (so every worker builds its own `ModelSource` from the same options), workers share
 * the port, and `/metrics` answers the cluster-wide aggregate. SIGTERM or SIGINT stops gracefully:
 * stop accepting, finish in-flight requests, flush the prediction log, exit 0.
 * @example
 * await startServer({ source, config: { models: ['churn@production'] }, port: 8080, workers: 2 })
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const workers = options.workers ?? availableParallelism()
  if (workers > 1 && cluster.isPrimary) return startPrimary(options, workers)
  return startWorker(options)
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
  const server = await createServer({
    ...createOptions,
    metrics,
    ...(metricsText === undefined ? {} : { metricsText }),
    ...(isWorker ? { monitorSchedule: false } : {}),
    ...(runMonitorChecks === undefined ? {} : { runMonitorChecks }),
  })
  const url = await server.listen(options.port ?? 8080, options.host ?? '127.0.0.1')
  if (isWorker) process.send?.({ type: 'keel:listening', url })
  else onListening?.(url)

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= server.close()
    return closing
  }
  const onSignal = (): void => {
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
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  if (isWorker) process.once('disconnect', onSignal)
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
      ...(config.monitor.shareThreshold === undefined
        ? {}
        : { drift: { shareThreshold: config.monitor.shareThreshold } }),
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
  let resolveUrl: (url: string) => void = () => undefined
  const urlReady = new Promise<string>((resolve) => {
    resolveUrl = resolve
  })
  let announced = false
  const onMessage = (worker: Worker, message: WorkerMessage): void => {
    if (message.type === 'keel:listening' && message.url !== undefined) {
      if (!announced) {
        announced = true
        options.onListening?.(message.url)
      }
      resolveUrl(message.url)
    } else if (message.type === 'keel:metrics-req' && message.id !== undefined) {
      const id = message.id
      Promise.all([aggregator.clusterMetrics(), primaryRegistry.metrics()]).then(
        ([text, own]) => worker.send({ type: 'keel:metrics-res', id, text: `${text.trimEnd()}\n${own}` }),
        () => worker.send({ type: 'keel:metrics-res', id, text: '' }),
      )
    } else if (message.type === 'keel:monitor-req' && message.id !== undefined) {
      const id = message.id
      const model = message.model
      const routeToModel = new Map(served.map((s) => [s.name, s.ref.split('@')[0]]))
      const run = monitor === undefined ? Promise.resolve([]) : monitor.runOnce()
      run.then(
        (results) =>
          worker.send({
            type: 'keel:monitor-res',
            id,
            results: results.filter(
              (r) => model === undefined || r.name === (routeToModel.get(model) ?? model),
            ),
          }),
        (error: unknown) => worker.send({ type: 'keel:monitor-res', id, error: (error as Error).message }),
      )
    }
  }
  cluster.on('message', onMessage)
  const fork = (): Worker => cluster.fork({ KEEL_SERVE_WORKER: '1' })
  cluster.on('exit', (worker, code, signal) => {
    if (shuttingDown) return
    process.stderr.write(
      `keel serve: worker ${worker.process.pid} exited (${signal ?? code}); starting a new one\n`,
    )
    fork()
  })
  for (let i = 0; i < count; i++) fork()
  const url = await urlReady

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      shuttingDown = true
      await monitor?.stop()
      const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined)
      await Promise.all(
        alive.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve()
              w.once('exit', () => resolve())
              w.process.kill('SIGTERM')
            }),
        ),
      )
    })()
    return closing
  }
  const onSignal = (): void => {
    void close().then(() => {
      if (options.exitOnSignal !== false) process.exit(0)
    })
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  return { url, server: undefined, close }
}
