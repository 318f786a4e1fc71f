import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import { redactPaths } from '../core/index.js'
import { checkAdmin, ServeError } from '../http/index.js'
import { binCounts, type ReferenceProfile, recordValues } from '../pipeline/index.js'
import { PredictionLogReader } from '../predlog/index.js'
import { openRegistry } from '../registry/index.js'
import type { KeelDb } from '../store/index.js'
import { abReport } from './ab-report.js'
import { AlertManager } from './alerts.js'
import {
  type AlertsQuery,
  alertsQuery,
  alertsResponse,
  type CheckBody,
  checkBody,
  checkResponse,
  type DriftQuery,
  driftQuery,
  driftResponse,
  experimentsResponse,
  type FeatureParams,
  type FeatureQuery,
  featureParams,
  featureQuery,
  featureResponse,
  modelsResponse,
  performanceResponse,
  security,
  trafficResponse,
  type WindowQuery,
  windowQuery,
} from './api-schemas.js'
import { type DriftCheckResult, loadReference, performanceOverTime, readPredictionWindow } from './check.js'
import type { DriftReport, FeatureDrift } from './drift.js'
import { migrateMonitorTables } from './tables.js'

/** A model the server serves, as the monitoring API sees it. */
export interface MonitoredModel {
  /** Route name (also the registry name unless renamed in the config). */
  readonly name: string
  /** Configured reference, e.g. `churn@production`. */
  readonly ref: string
  /** Registry name and version now serving, once loaded. */
  readonly model?: string
  readonly version?: number
  readonly task?: 'binary' | 'multiclass' | 'regression'
  readonly status: 'ready' | 'loading'
}

/** Options of the `monitorRoutes` Fastify plugin. */
export interface MonitorRoutesOptions {
  /** The server's database (prediction log, feedback, experiments, monitor tables, registry). */
  readonly db: KeelDb
  /** Store URL for the drift code that opens its own connections (undefined: the default store). */
  readonly storeUrl: string | undefined
  /** The served models, read on every request (versions change with hot swaps). */
  readonly models: () => readonly MonitoredModel[]
  /** Admin token; without one only local clients may read the monitoring API (see `checkDashboardAccess`). */
  readonly adminToken: string | undefined
  /** The prediction API token: when one is set, local clients need the admin token too. */
  readonly apiToken?: string | undefined
  /** Runs the drift checks now (the schedule's `runOnce` where it runs in this process). */
  readonly runChecks: (model?: string) => Promise<readonly DriftCheckResult[]>
  /** Default window of the drift detail and performance views (default 24 h). */
  readonly windowMs?: number
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])
/** Host header values that name this machine: localhost, 127.0.0.1 or [::1], with an optional port. */
const LOCAL_HOST = /^(?:localhost|127\.0\.0\.1|\[::1\])(?::\d{1,5})?$/i

/** Name of the cookie the dashboard's token form sets (sent with the page's API calls). */
export const DASHBOARD_TOKEN_COOKIE = 'keel_admin_token'

/**
 * The dashboard token cookie's value. A value that is not valid percent-encoding (`%E0%A4%A`) is
 * no token at all (so the request is refused with 401), never an exception.
 */
export function cookieToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=')
    if (key !== DASHBOARD_TOKEN_COOKIE) continue
    try {
      return decodeURIComponent(rest.join('='))
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * True for a direct local client: a loopback peer, no proxy headers, and a Host header that names
 * localhost. The peer address alone is not enough: behind a reverse proxy on the same host every
 * visitor is a loopback peer, and a page on another site can reach a loopback server through DNS
 * rebinding (a name it controls resolving to 127.0.0.1), which the Host header gives away.
 */
export function isLoopbackRequest(request: FastifyRequest): boolean {
  const forwarded = request.headers['x-forwarded-for'] ?? request.headers.forwarded
  const host = request.headers.host
  return (
    forwarded === undefined &&
    typeof host === 'string' &&
    LOCAL_HOST.test(host) &&
    LOOPBACK.has(request.socket.remoteAddress ?? '')
  )
}

/** The admin credential a request carries: the bearer header, else the dashboard cookie. */
function adminCredential(request: FastifyRequest): string | undefined {
  if (request.headers.authorization !== undefined) return request.headers.authorization
  const fromCookie = cookieToken(request.headers.cookie)
  return fromCookie === undefined ? undefined : `Bearer ${fromCookie}`
}

/**
 * Access rule of the dashboard and the monitoring API. A server with no token configured (neither
 * admin nor API token) trusts local clients (`isLoopbackRequest`); otherwise every client needs the
 * admin token, as `Authorization: Bearer …` or the dashboard's token cookie, so setting a token
 * protects the dashboard from the same-host proxy and from rebinding pages too.
 * @throws ServeError `SERVE_ADMIN_DISABLED` (403) without a configured admin token, `SERVE_UNAUTHORIZED` (401).
 */
export function checkDashboardAccess(
  request: FastifyRequest,
  adminToken: string | undefined,
  apiToken?: string | undefined,
): void {
  const tokenConfigured = (adminToken ?? '') !== '' || (apiToken ?? '') !== ''
  if (!tokenConfigured && isLoopbackRequest(request)) return
  checkAdmin(adminCredential(request), adminToken)
}

/** Admin-only (mutating) monitoring endpoints: the admin token, as header or dashboard cookie. */
function checkMonitorAdmin(request: FastifyRequest, adminToken: string | undefined): void {
  checkAdmin(adminCredential(request), adminToken)
}

/** Latency percentile (nearest rank) of sorted values. */
function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}

function parseDuration(text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim())
  if (m === null) throw new ServeError('SERVE_BAD_REQUEST', `Window '${text}' is not like 30m, 24h or 7d.`)
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd']
  return Number(m[1]) * unit
}

function checkSummary(row: { id: string; ts: number; version: number; source: string; report: string }) {
  // Checks recorded before verdicts existed lack the newer fields: derive them from datasetDrift.
  const stored = JSON.parse(row.report) as Partial<DriftReport> &
    Pick<DriftReport, 'currentRows' | 'driftedShare' | 'shareThreshold' | 'datasetDrift' | 'features'>
  const report: DriftReport = {
    verdict: stored.datasetDrift ? 'drift' : 'no_drift',
    rule: 'share',
    weightedShare: stored.driftedShare,
    weighting: 'equal',
    weights: {},
    predictionDrift: stored.prediction?.drifted === true,
    reason: '',
    minRows: 0,
    ...stored,
  }
  return {
    checkId: row.id,
    ts: Number(row.ts),
    version: row.version,
    source: row.source,
    currentRows: report.currentRows,
    driftedShare: report.driftedShare,
    shareThreshold: report.shareThreshold,
    datasetDrift: report.datasetDrift,
    verdict: report.verdict,
    rule: report.rule,
    weightedShare: report.weightedShare,
    weighting: report.weighting,
    weights: report.weights,
    predictionDrift: report.predictionDrift,
    reason: report.reason,
    minRows: report.minRows,
    features: report.features,
    prediction: report.prediction ?? null,
  }
}

/**
 * Fastify plugin with the monitoring JSON API (`/v1/monitor/*`) the dashboard reads: models with
 * versions and aliases, live traffic, A/B verdicts, drift history and feature detail, performance
 * from feedback, alerts, and an admin POST that runs a drift check now.
 */
export const monitorRoutes: FastifyPluginAsync<MonitorRoutesOptions> = async (
  app: FastifyInstance,
  options: MonitorRoutesOptions,
) => {
  const { db } = options
  const log = await PredictionLogReader.open(db)
  const mon = await migrateMonitorTables(db)
  const defaultWindow = options.windowMs ?? 86_400_000
  // Checked in onRequest, before the query and body are read or validated: a client without access
  // learns nothing about the API, not even its schema errors.
  const access = async (request: FastifyRequest): Promise<void> =>
    checkDashboardAccess(request, options.adminToken, options.apiToken)
  const admin = async (request: FastifyRequest): Promise<void> =>
    checkMonitorAdmin(request, options.adminToken)
  const selected = (model: string | undefined): readonly MonitoredModel[] => {
    const all = options.models()
    if (model === undefined) return all
    const found = all.filter((m) => m.name === model)
    if (found.length === 0)
      throw new ServeError(
        'SERVE_MODEL_NOT_FOUND',
        `No served model '${model}'. Served: ${all.map((m) => m.name).join(', ') || '(none)'}.`,
      )
    return found
  }
  // Reference profiles are immutable per version: load each once.
  const references = new Map<string, Promise<ReferenceProfile>>()
  const referenceOf = (name: string, version: number): Promise<ReferenceProfile> => {
    const key = `${name}@${version}`
    let p = references.get(key)
    if (p === undefined) {
      p = loadReference(key, options.storeUrl).then((r) => r.profile)
      p.catch(() => references.delete(key))
      references.set(key, p)
    }
    return p
  }

  type Q = WindowQuery

  app.get<{ Querystring: { model?: string } }>(
    '/v1/monitor/models',
    {
      schema: {
        summary: 'Served models with their registry versions and aliases',
        tags: ['monitor'],
        querystring: windowQuery,
        response: { 200: modelsResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => {
      const registry = await openRegistry(db)
      const models = []
      for (const m of selected(request.query.model)) {
        const base = {
          name: m.name,
          ref: m.ref,
          status: m.status,
          servingVersion: m.version ?? null,
          task: m.task ?? null,
        }
        try {
          const detail = await registry.getModel(m.model ?? m.ref.split('@')[0]!)
          models.push({
            ...base,
            latestVersion: detail.latestVersion,
            aliases: detail.aliases,
            versions: [...detail.versions].reverse().map((v) => ({
              version: v.version,
              createdAt: v.createdAt,
              createdBy: v.createdBy,
              aliases: v.aliases,
              metrics: v.metrics,
              runId: v.runId,
              sizeBytes: v.artifactSizeBytes,
            })),
          })
        } catch {
          // Served from a source other than this registry (e.g. in memory): show what the server knows.
          models.push({ ...base, latestVersion: null, aliases: {}, versions: [] })
        }
      }
      return { models }
    },
  )

  app.get<{ Querystring: Q }>(
    '/v1/monitor/traffic',
    {
      schema: {
        summary: 'Live traffic per model: requests, latency p50/p95/p99 and fallback share per time bucket',
        tags: ['monitor'],
        querystring: windowQuery,
        response: { 200: trafficResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => {
      const windowMs = parseDuration(request.query.window, 3_600_000)
      const nBuckets = request.query.buckets ?? 30
      const end = Date.now()
      const start = end - windowMs
      const bucketMs = windowMs / nBuckets
      const models = []
      for (const m of selected(request.query.model)) {
        const rows = await log.traffic(m.model ?? m.name, start, 500_000)
        const lat: number[][] = Array.from({ length: nBuckets }, () => [])
        const fb = new Array<number>(nBuckets).fill(0)
        const df = new Array<number>(nBuckets).fill(0)
        const variants: Record<string, number> = {}
        for (const r of rows) {
          const b = Math.min(nBuckets - 1, Math.floor((Number(r.ts) - start) / bucketMs))
          if (b < 0) continue
          lat[b]!.push(r.latencyMs)
          if (r.servedBy.startsWith('fallback')) fb[b]!++
          else if (r.servedBy.startsWith('default')) df[b]!++
          variants[r.variant] = (variants[r.variant] ?? 0) + 1
        }
        const summarize = (l: number[], f: number, d: number, s: number) => {
          const sorted = l.sort((a, z) => a - z)
          return {
            start: s,
            count: sorted.length,
            p50: percentile(sorted, 0.5),
            p95: percentile(sorted, 0.95),
            p99: percentile(sorted, 0.99),
            fallbackShare: sorted.length === 0 ? null : f / sorted.length,
            defaultShare: sorted.length === 0 ? null : d / sorted.length,
          }
        }
        const buckets = lat.map((l, b) => summarize([...l], fb[b]!, df[b]!, start + b * bucketMs))
        const total = summarize(
          lat.flat(),
          fb.reduce((a, z) => a + z, 0),
          df.reduce((a, z) => a + z, 0),
          start,
        )
        models.push({ name: m.name, total, variants, buckets })
      }
      return { start, end, bucketMs, models }
    },
  )

  app.get(
    '/v1/monitor/experiments',
    {
      schema: {
        summary: 'A/B experiments with their current verdict',
        tags: ['monitor'],
        response: { 200: experimentsResponse },
        security,
      },
      onRequest: access,
    },
    async () => {
      const rows = await log.experiments()
      const experiments = []
      for (const row of rows) {
        try {
          // Churn-like outcomes (1 = bad) are the common case for the shipped model; the goal is
          // not stored with the experiment, so the report uses its default ('increase').
          const report = await abReport(db, row.id)
          experiments.push({
            id: row.id,
            model: row.model,
            status: row.status,
            verdict: report.verdict,
            report,
          })
        } catch (error) {
          experiments.push({
            id: row.id,
            model: row.model,
            status: row.status,
            verdict: null,
            report: null,
            // A database error can name the database file.
            error: redactPaths((error as Error).message),
          })
        }
      }
      return { experiments }
    },
  )

  app.get<{ Querystring: DriftQuery }>(
    '/v1/monitor/drift',
    {
      schema: {
        summary: 'Drift: latest check per model and the history of drifted share and per-feature statistics',
        tags: ['monitor'],
        querystring: driftQuery,
        response: { 200: driftResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => {
      const models = []
      for (const m of selected(request.query.model)) {
        const rows = await mon
          .selectFrom('monitor_checks')
          .selectAll()
          .where('model', '=', m.model ?? m.name)
          .orderBy('ts', 'desc')
          .limit(request.query.limit ?? 100)
          .execute()
        const recorded = rows.reverse().map(checkSummary)
        // The badge shows the latest check whatever its verdict; the history charts only checks that
        // ran the tests (an insufficient-data check has no statistics to plot).
        const checks = recorded.filter((c) => c.verdict !== 'insufficient_data')
        const features: Record<
          string,
          {
            test: string
            threshold: number
            statistic: (number | null)[]
            psi: (number | null)[]
            drifted: (boolean | null)[]
          }
        > = {}
        checks.forEach((c, i) => {
          for (const f of c.features) {
            let h = features[f.feature]
            if (h === undefined) {
              h = {
                test: f.test,
                threshold: f.threshold,
                statistic: new Array<number | null>(checks.length).fill(null),
                psi: new Array<number | null>(checks.length).fill(null),
                drifted: new Array<boolean | null>(checks.length).fill(null),
              }
              features[f.feature] = h
            }
            // The latest check's test names the series (tests switch with the sample size).
            h.test = f.test
            h.threshold = f.threshold
            h.statistic[i] = Number.isFinite(f.statistic) ? f.statistic : null
            h.psi[i] = Number.isFinite(f.psi) ? f.psi : null
            h.drifted[i] = f.drifted
          }
        })
        models.push({
          name: m.name,
          latest: recorded.at(-1) ?? null,
          history: {
            ts: checks.map((c) => c.ts),
            driftedShare: checks.map((c) => c.driftedShare),
            weightedShare: checks.map((c) => c.weightedShare),
            datasetDrift: checks.map((c) => c.datasetDrift),
            features,
          },
        })
      }
      return { models }
    },
  )

  app.get<{ Params: FeatureParams; Querystring: FeatureQuery }>(
    '/v1/monitor/drift/:name/features/:feature',
    {
      schema: {
        summary: 'One feature: reference histogram (training profile) vs current histogram on the same bins',
        tags: ['monitor'],
        params: featureParams,
        querystring: featureQuery,
        response: { 200: featureResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => {
      const m = selected(request.params.name)[0]!
      if (m.version === undefined)
        throw new ServeError('SERVE_NOT_READY', `Model '${m.name}' is still loading; retry shortly.`)
      const name = m.model ?? m.name
      let profile: ReferenceProfile
      try {
        profile = await referenceOf(name, m.version)
      } catch (error) {
        throw new ServeError('SERVE_NOT_FOUND', redactPaths((error as Error).message), { cause: error })
      }
      const fp = profile.features.find((f) => f.name === request.params.feature)
      if (fp === undefined)
        throw new ServeError(
          'SERVE_NOT_FOUND',
          `Model '${name}' has no profiled feature '${request.params.feature}'.`,
        )
      const windowText = request.query.window ?? `${Math.round(defaultWindow / 3_600_000)}h`
      const windowMs = parseDuration(request.query.window, defaultWindow)
      const logged = await readPredictionWindow(options.storeUrl, name, { windowMs, n: 20_000 })
      const values = recordValues(logged.features, fp)
      const latest = await mon
        .selectFrom('monitor_checks')
        .select(['report'])
        .where('model', '=', name)
        .orderBy('ts', 'desc')
        .limit(1)
        .executeTakeFirst()
      const drift =
        latest === undefined
          ? null
          : ((JSON.parse(latest.report) as DriftReport).features.find((f) => f.feature === fp.name) ?? null)
      const shares = (counts: readonly number[]): number[] => {
        const total = counts.reduce((a, b) => a + b, 0)
        return counts.map((c) => (total === 0 ? 0 : c / total))
      }
      const base = {
        model: name,
        version: m.version,
        feature: fp.name,
        kind: fp.kind,
        window: windowText,
        drift,
      }
      if (fp.kind === 'numeric' && values.kind === 'numeric') {
        const edges = fp.histogram.edges
        // Inner cut points of equal-width bins: the outer bins extend one width beyond (and catch
        // everything further out, as the counts do).
        const width = edges.length > 1 ? edges[1]! - edges[0]! : 1
        const lower = [edges[0]! - width, ...edges]
        const upper = [...edges, edges[edges.length - 1]! + width]
        const current = binCounts(edges, values.values)
        let missing = 0
        for (const v of values.values) if (!Number.isFinite(v)) missing++
        const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3))
        return {
          ...base,
          labels: lower.map((l, i) =>
            i === 0
              ? `< ${fmt(upper[0]!)}`
              : i === upper.length - 1
                ? `≥ ${fmt(l)}`
                : `${fmt(l)}–${fmt(upper[i]!)}`,
          ),
          lower,
          upper,
          reference: {
            rows: fp.count,
            missing: Math.round(fp.missingShare * fp.count),
            counts: fp.histogram.counts,
            shares: shares(fp.histogram.counts),
          },
          current: { rows: values.values.length, missing, counts: current, shares: shares(current) },
          unseen: [],
        }
      }
      if (fp.kind === 'numeric' || values.kind === 'numeric') throw new Error('unreachable: kinds differ')
      const levels = Object.keys(fp.frequencies)
      const currentCounts = new Map<string, number>()
      let missing = 0
      for (const v of values.values) {
        if (v === null) missing++
        else currentCounts.set(v, (currentCounts.get(v) ?? 0) + 1)
      }
      const unseen = [...currentCounts.keys()].filter((l) => !(l in fp.frequencies)).sort()
      const labels = [...levels, ...unseen]
      const refCounts = labels.map((l) => fp.frequencies[l] ?? 0)
      const curCounts = labels.map((l) => currentCounts.get(l) ?? 0)
      return {
        ...base,
        labels,
        lower: [],
        upper: [],
        reference: {
          rows: fp.count,
          missing: Math.round(fp.missingShare * fp.count),
          counts: refCounts,
          shares: shares(refCounts),
        },
        current: { rows: values.values.length, missing, counts: curCounts, shares: shares(curCounts) },
        unseen,
      }
    },
  )

  app.get<{ Querystring: Q }>(
    '/v1/monitor/performance',
    {
      schema: {
        summary: 'Performance over time from feedback (metric per bucket with a bootstrap CI) vs validation',
        tags: ['monitor'],
        querystring: windowQuery,
        response: { 200: performanceResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => {
      const windowMs = parseDuration(request.query.window, defaultWindow)
      const buckets = request.query.buckets ?? 12
      const end = Date.now()
      const models = []
      for (const m of selected(request.query.model)) {
        const name = m.model ?? m.name
        if (m.task === undefined) {
          models.push({
            name: m.name,
            metric: null,
            validation: null,
            validationSplit: null,
            labelled: 0,
            points: [],
          })
          continue
        }
        const points = await performanceOverTime({
          name,
          task: m.task,
          windowMs,
          buckets,
          ...(options.storeUrl === undefined ? {} : { storeUrl: options.storeUrl }),
        })
        const metric = m.task === 'binary' ? 'roc_auc' : m.task === 'regression' ? 'rmse' : 'accuracy'
        let validation: number | null = null
        let validationSplit: string | null = null
        if (m.version !== undefined) {
          const profile = await referenceOf(name, m.version).catch(() => undefined)
          // Only a held-out (test or cross-validated) score: profiles that do not say where their
          // metrics come from may hold training-set scores, which would flatter the model.
          if (profile?.metricsSplit !== undefined) {
            validation = profile.metrics?.[metric] ?? null
            validationSplit = validation === null ? null : profile.metricsSplit
          }
        }
        // Shadow copies count here as they always have (they rarely get feedback: their ids are
        // never returned to clients).
        const labelled = await log.labelledCount({
          model: name,
          since: Date.now() - windowMs,
          includeShadows: true,
        })
        models.push({
          name: m.name,
          metric,
          validation,
          validationSplit,
          labelled,
          points,
        })
      }
      return { start: end - windowMs, end, models }
    },
  )

  app.get<{ Querystring: AlertsQuery }>(
    '/v1/monitor/alerts',
    {
      schema: {
        summary: 'Recent alert episodes, newest first (open ones have closedAt null)',
        tags: ['monitor'],
        querystring: alertsQuery,
        response: { 200: alertsResponse },
        security,
      },
      onRequest: access,
    },
    async (request) => ({ alerts: await new AlertManager(db).recent(request.query.limit ?? 50) }),
  )

  app.post<{ Body: CheckBody | undefined }>(
    '/v1/monitor/check',
    {
      schema: {
        summary:
          'Run the drift check now (every served model, or one); records it, updates gauges and alerts',
        tags: ['admin', 'monitor'],
        body: checkBody,
        response: { 200: checkResponse },
        security,
      },
      onRequest: admin,
    },
    async (request) => {
      const model = request.body?.model
      if (model !== undefined) selected(model)
      const results = await options.runChecks(model)
      return {
        checks: results.map((r) => ({
          checkId: r.checkId,
          name: r.name,
          version: r.version,
          source: r.source,
          currentRows: r.report.currentRows,
          driftedShare: r.report.driftedShare,
          datasetDrift: r.report.datasetDrift,
          verdict: r.report.verdict,
          rule: r.report.rule,
          weightedShare: r.report.weightedShare,
          predictionDrift: r.report.predictionDrift,
          reason: r.report.reason,
          minRows: r.report.minRows,
          drifted: r.report.features.filter((f: FeatureDrift) => f.drifted).map((f) => f.feature),
        })),
      }
    },
  )
}
