/**
 * Monitoring in the prediction server: one drift-check schedule per deployment (here, unless a
 * cluster primary runs it), the monitoring JSON API and the dashboard. The monitoring code (registry,
 * tracking store, drift tests) is loaded on demand, so a server without a database never loads it.
 */
import type { FastifyInstance } from 'fastify'
// Types only: the modules themselves are imported on demand below.
import type { MonitoredModel } from '../../monitor/api.js'
import type { DriftCheckResult } from '../../monitor/check.js'
import type { MonitorSchedule } from '../../monitor/scheduler.js'
import type { ServeConfig } from '../config.js'
import type { ServeContext } from '../context.js'

/** Options of `mountMonitor`. */
export interface MountMonitorOptions {
  /** Store URL the drift checks open (they open their own connections). */
  readonly storeUrl: string | undefined
  /** Run the scheduled drift checks in this process (false in cluster workers). */
  readonly schedule: boolean
  /** Runs the drift checks on request elsewhere (a cluster worker asks the primary). */
  readonly runMonitorChecks?: ((model?: string) => Promise<readonly DriftCheckResult[]>) | undefined
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

/** The drift rule settings of the config. */
function driftOptions(config: ServeConfig) {
  return {
    rule: config.monitor.rule,
    ...(config.monitor.shareThreshold === undefined ? {} : { shareThreshold: config.monitor.shareThreshold }),
  }
}

/**
 * Starts the schedule (with `config.monitor.enabled`, a database and `schedule`) and registers the
 * monitoring API and dashboard (with `config.monitor.dashboard` and a database) on `app`. Returns
 * the schedule when it runs here; it stops when `app` closes.
 */
export async function mountMonitor(
  app: FastifyInstance,
  ctx: ServeContext,
  options: MountMonitorOptions,
): Promise<MonitorSchedule | undefined> {
  const { config, db, manager, models, metrics, auth } = ctx
  const { storeUrl } = options
  if (db === undefined) return undefined
  const served = [...models.values()]
  let monitor: MonitorSchedule | undefined
  if (config.monitor.enabled && options.schedule && served.length > 0) {
    const { startMonitorSchedule } = await import('../../monitor/scheduler.js')
    monitor = startMonitorSchedule({
      models: served.map((s) => s.config.ref),
      intervalMs: config.monitor.intervalMs,
      windowMs: config.monitor.windowMs,
      minRows: config.monitor.minRows,
      drift: driftOptions(config),
      ...(storeUrl === undefined ? {} : { storeUrl }),
      alerts: { ...monitorAlertOptions(config), log: (line) => app.log.warn(JSON.parse(line), 'keel alert') },
      registry: metrics.registry,
      onError: (model, error) => {
        if ((error as { code?: string }).code !== 'MONITOR_EMPTY_WINDOW')
          ctx.warn(`drift check of ${model} failed`, error)
      },
    })
  }
  if (config.monitor.dashboard) {
    const [{ monitorRoutes }, { runDriftCheck }, { dashboardRoutes }] = await Promise.all([
      import('../../monitor/api.js'),
      import('../../monitor/check.js'),
      import('../../monitor/dashboard/index.js'),
    ])
    const monitoredModels = (): MonitoredModel[] =>
      served.map((s) => {
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
        model === undefined || r.name === (models.get(model)?.config.ref.split('@')[0] ?? model)
      if (monitor !== undefined) return (await monitor.runOnce()).filter(wanted)
      if (options.runMonitorChecks !== undefined) return options.runMonitorChecks(model)
      const out: DriftCheckResult[] = []
      for (const s of served) {
        if (model !== undefined && s.name !== model) continue
        out.push(
          await runDriftCheck({
            model: s.config.ref,
            current: { kind: 'window', windowMs: config.monitor.windowMs },
            minRows: config.monitor.minRows,
            ...(storeUrl === undefined ? {} : { storeUrl }),
            drift: driftOptions(config),
          }),
        )
      }
      return out
    }
    await app.register(monitorRoutes, {
      db,
      storeUrl,
      models: monitoredModels,
      adminToken: auth.adminToken,
      apiToken: auth.apiToken,
      runChecks,
      windowMs: config.monitor.windowMs,
    })
    await app.register(dashboardRoutes, { adminToken: auth.adminToken, apiToken: auth.apiToken })
  }
  app.addHook('onClose', async () => {
    await monitor?.stop()
  })
  return monitor
}
