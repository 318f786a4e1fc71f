import { Gauge, type Registry } from 'prom-client'
import { openDb } from '../store/index.js'
import { AlertManager, type AlertOptions } from './alerts.js'
import { type DriftCheckResult, runDriftCheck } from './check.js'
import { DEFAULT_MIN_ROWS, type DriftOptions } from './drift.js'

/** Options of the server's scheduled drift checks. */
export interface MonitorScheduleOptions {
  /** Model references to check, e.g. `churn@production`. */
  readonly models: readonly string[]
  /** How often to check (default 5 minutes). */
  readonly intervalMs?: number
  /** The window of logged predictions each check reads (default 24 hours). */
  readonly windowMs?: number
  /**
   * Checks need at least this many logged predictions (default 100); below it the check is
   * recorded with verdict `insufficient_data`, gauges and alerts are left as they were.
   */
  readonly minRows?: number
  readonly storeUrl?: string
  readonly drift?: DriftOptions
  readonly alerts?: AlertOptions
  /** Registry to export `keel_drift_*` gauges on (the server's /metrics registry). */
  readonly registry?: Registry
  readonly onCheck?: (result: DriftCheckResult) => void
  /**
   * A failed check. A model that fails again with the same message is reported once, not at every
   * interval, until one of its checks succeeds or fails otherwise.
   */
  readonly onError?: (model: string, error: unknown) => void
}

/** A running schedule; `runOnce` checks immediately (used at start and by tests). */
export interface MonitorSchedule {
  runOnce(): Promise<DriftCheckResult[]>
  stop(): Promise<void>
}

/**
 * Runs the drift checks of `keel monitor drift --window` on a schedule inside the server, records
 * each check, exports drift scores as Prometheus gauges and raises alerts once per episode.
 */
export function startMonitorSchedule(options: MonitorScheduleOptions): MonitorSchedule {
  const registers = options.registry === undefined ? [] : [options.registry]
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]): Gauge<L> =>
    new Gauge({ name, help, labelNames, registers })
  const featureScore = gauge(
    'keel_drift_feature_score',
    'Drift statistic per feature at the last check (test-specific; see the test label).',
    ['model', 'feature', 'test'],
  )
  const featureDrifted = gauge(
    'keel_drift_feature_drifted',
    '1 when the feature drifted at the last check.',
    ['model', 'feature'],
  )
  const share = gauge('keel_drift_share', 'Share of drifted features at the last check.', ['model'])
  const datasetDrift = gauge(
    'keel_drift_dataset',
    '1 when the last check found dataset drift (per the configured rule).',
    ['model'],
  )
  const weightedShare = gauge(
    'keel_drift_weighted_share',
    'Importance-weighted share of drifted features at the last check.',
    ['model'],
  )
  const insufficient = gauge(
    'keel_drift_insufficient_data',
    '1 when the last check had fewer logged predictions than monitor.minRows (no verdict).',
    ['model'],
  )
  let timer: NodeJS.Timeout | undefined
  let running: Promise<DriftCheckResult[]> | undefined
  let stopped = false
  const dbPromise = openDb(options.storeUrl)
  // The last failure reported per model: a lasting cause (a model the registry does not hold, a
  // database without a profile) would otherwise print the same line every interval for ever.
  const lastFailure = new Map<string, string>()
  const reportFailure = (model: string, error: unknown): void => {
    const message =
      error instanceof Error ? `${(error as { code?: string }).code ?? ''} ${error.message}` : String(error)
    if (lastFailure.get(model) === message) return
    lastFailure.set(model, message)
    options.onError?.(model, error)
  }

  const runOnce = async (): Promise<DriftCheckResult[]> => {
    const results: DriftCheckResult[] = []
    const alerts = new AlertManager(await dbPromise, options.alerts)
    for (const model of options.models) {
      try {
        const result = await runDriftCheck({
          model,
          current: { kind: 'window', windowMs: options.windowMs ?? 86_400_000 },
          ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
          ...(options.drift === undefined ? {} : { drift: options.drift }),
          minRows: options.minRows ?? DEFAULT_MIN_ROWS,
        })
        const name = result.name
        lastFailure.delete(model)
        insufficient.set({ model: name }, result.report.verdict === 'insufficient_data' ? 1 : 0)
        if (result.report.verdict === 'insufficient_data') {
          // No verdict: keep the gauges and any open alert episode as they were (a quiet hour
          // neither raises nor clears an alarm), but report the check so the dashboard says so.
          results.push(result)
          options.onCheck?.(result)
          continue
        }
        for (const f of result.report.features) {
          featureScore.set({ model: name, feature: f.feature, test: f.test }, f.statistic)
          featureDrifted.set({ model: name, feature: f.feature }, f.drifted ? 1 : 0)
        }
        share.set({ model: name }, result.report.driftedShare)
        weightedShare.set({ model: name }, result.report.weightedShare)
        datasetDrift.set({ model: name }, result.report.datasetDrift ? 1 : 0)
        const drifted = result.report.features.filter((f) => f.drifted).map((f) => f.feature)
        await alerts.update(
          name,
          'dataset_drift',
          result.report.datasetDrift,
          `${name}@${result.version}: ${result.report.datasetDrift ? 'drift' : 'no drift'} (rule ${result.report.rule}): ${result.report.reason}${drifted.length > 0 ? ` (${drifted.slice(0, 5).join(', ')})` : ''}`,
          {
            driftedShare: result.report.driftedShare,
            weightedShare: result.report.weightedShare,
            predictionDrift: result.report.predictionDrift,
            drifted,
          },
        )
        if (result.report.prediction !== undefined) {
          await alerts.update(
            name,
            'prediction_drift',
            result.report.prediction.drifted,
            `${name}@${result.version}: prediction scores drifted`,
          )
        }
        results.push(result)
        options.onCheck?.(result)
      } catch (error) {
        // An empty window or a model without a profile is not fatal for the server.
        reportFailure(model, error)
      }
    }
    return results
  }

  const tick = (): void => {
    if (stopped || running !== undefined) return
    running = runOnce().finally(() => {
      running = undefined
    })
  }
  timer = setInterval(tick, options.intervalMs ?? 300_000)
  timer.unref()
  return {
    runOnce,
    async stop() {
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      await running?.catch(() => undefined)
      await (await dbPromise).close()
      for (const name of [
        'keel_drift_feature_score',
        'keel_drift_feature_drifted',
        'keel_drift_share',
        'keel_drift_dataset',
        'keel_drift_weighted_share',
        'keel_drift_insufficient_data',
      ]) {
        options.registry?.removeSingleMetric(name)
      }
    },
  }
}
