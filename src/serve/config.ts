import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'
import { AppError, formatConfigProblems, parseConfig } from '../core/index.js'
import { parseModelRef } from '../pipeline/servable.js'
import { experimentSchema } from './experiments.js'

const outputSchema = z.strictObject({
  prediction: z.union([z.number(), z.string()]),
  probabilities: z.record(z.string(), z.number()).optional(),
})

/** Schema of one served model in the config. */
export const servedModelSchema = z.strictObject({
  /** Route name (`/v1/models/{name}/predict`); default: the name part of `ref`. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,200}$/)
    .optional(),
  /** Registry reference of the primary, e.g. `churn@production`. */
  ref: z.string().min(1),
  /** Time budget of one model call before the next fallback link answers. Default 1000 ms. */
  timeoutMs: z.number().positive().default(1000),
  /** Fallback model reference; default: the source's `fallbackOf`; `false` disables it. */
  fallback: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** Static answer when every model link failed (the last link of the chain). */
  default: outputSchema.optional(),
  /** Overrides the server-wide extra-field policy for this model. */
  extraFields: z.enum(['ignore', 'reject']).optional(),
  breaker: z
    .strictObject({
      failureThreshold: z.number().int().positive().optional(),
      coolDownMs: z.number().nonnegative().optional(),
    })
    .optional(),
  /** Models that get a copy of the traffic off the request path; their outputs are logged, never returned. */
  shadow: z
    .array(z.strictObject({ ref: z.string().min(1), sampleRate: z.number().min(0).max(1).default(1) }))
    .default([]),
  /** A small share of traffic to a new version, rolled back automatically on errors or latency. */
  canary: z
    .strictObject({
      ref: z.string().min(1),
      weight: z.number().min(0).max(1),
      maxErrorRate: z.number().min(0).max(1).optional(),
      maxLatencyMs: z.number().positive().optional(),
      minRequests: z.number().int().positive().optional(),
      windowSize: z.number().int().positive().optional(),
    })
    .optional(),
})

/**
 * Default `explainBudget` (rows × features per request). Measured TreeSHAP on the churn example
 * (18 features): a default GBDT costs 75-120 µs per row × feature on an idle core (the issue's
 * 1,000-row request took 2.2 s), 300 trees of depth 6 about 140 µs; 1,000 keeps one request near
 * 100-150 ms (about 55 rows of that model).
 */
export const EXPLAIN_BUDGET_DEFAULT = 1000

const MONITOR_DEFAULTS = {
  enabled: true,
  intervalMs: 300_000,
  windowMs: 86_400_000,
  minRows: 100,
  rule: 'any',
  dashboard: true,
} as const

/** Schema of the `monitor` section of the server config. */
export const monitorConfigSchema = z.strictObject({
  /** Run the scheduled drift checks (default true). */
  enabled: z.boolean().default(true),
  /** How often to check. Default 5 minutes. */
  intervalMs: z.number().int().positive().default(300_000),
  /** Window of logged predictions each check reads. Default 24 hours. */
  windowMs: z.number().int().positive().default(86_400_000),
  /**
   * A check with fewer logged predictions gives the verdict `insufficient_data` (recorded, shown on
   * the dashboard; no alert raised or cleared). Default 100.
   */
  minRows: z.number().int().nonnegative().default(100),
  /**
   * How a check reaches its drift verdict: `share` (plain share of drifted features), `weighted`
   * (share weighted by the model's importance), `prediction` (the scores drifted) or `any`
   * (default: `prediction` or `weighted`).
   */
  rule: z.enum(['share', 'weighted', 'prediction', 'any']).default('any'),
  /** Alert webhook (default `$KEEL_ALERT_WEBHOOK_URL`); POSTed once per episode, with retries. */
  webhookUrl: z.string().url().optional(),
  /** HMAC secret of the `X-Keel-Signature` header (default `$KEEL_ALERT_WEBHOOK_SECRET`). */
  webhookSecret: z.string().min(1).optional(),
  /** Dataset drift when this share of features drifts (default 0.5). */
  shareThreshold: z.number().min(0).max(1).optional(),
  /** Serve the web dashboard at `/` and the `/v1/monitor/*` JSON API (default true). */
  dashboard: z.boolean().default(true),
})

/** Schema of a server config file (YAML or JSON) and of `createServer`'s `config`. */
export const serveConfigSchema = z.strictObject({
  /** Served models: a reference string or a full entry. */
  models: z.array(z.union([z.string().min(1), servedModelSchema])).default([]),
  experiments: z.array(experimentSchema).default([]),
  /** Most rows in one batch request. Default 1000. */
  maxBatchRows: z.number().int().positive().default(1000),
  /** Largest request body. Default 1 MiB; larger bodies get 413. */
  bodyLimitBytes: z.number().int().positive().default(1_048_576),
  /** Input fields the model does not know: ignored (default) or rejected with 422. */
  extraFields: z.enum(['ignore', 'reject']).default('ignore'),
  /** How often model references (and stored experiments) are re-read for hot swap. Default 1000 ms. */
  pollIntervalMs: z.number().int().nonnegative().default(1000),
  /** Header naming the request key when no experiment says otherwise. */
  requestKeyHeader: z.string().min(1).default('x-keel-request-key'),
  /**
   * Answer plain predict requests on a lean HTTP/1.1 path in front of Fastify (same handler, same
   * responses; anything unusual goes to Fastify). Default true; false sends every request through
   * Fastify.
   */
  fastPath: z.boolean().default(true),
  /**
   * Start even when a configured model reference does not resolve (default false: `startServer` and
   * `keel serve` refuse to start, naming it). The server then answers 503 for that model, keeps
   * retrying, and logs each failure episode once.
   */
  allowDegraded: z.boolean().default(false),
  /**
   * Connection time limits, on both HTTP paths. `headersMs`: the whole request head must arrive within
   * this (default 10 s). `requestMs`: the whole request, body included, must arrive within this
   * (default 30 s); a slower or stalled client gets 408 and the connection is closed. `shutdownMs`: a
   * graceful shutdown waits this long for in-flight requests, then destroys what is left (the
   * prediction log is flushed either way). Default 10 s.
   */
  timeouts: z
    .strictObject({
      headersMs: z.number().int().positive().default(10_000),
      requestMs: z.number().int().positive().default(30_000),
      shutdownMs: z.number().int().positive().default(10_000),
    })
    .default({ headersMs: 10_000, requestMs: 30_000, shutdownMs: 10_000 }),
  predictionLog: z
    .strictObject({
      enabled: z.boolean().default(true),
      flushIntervalMs: z.number().int().positive().default(200),
      batchSize: z.number().int().positive().default(500),
      maxQueue: z.number().int().positive().default(100_000),
    })
    .default({ enabled: true, flushIntervalMs: 200, batchSize: 500, maxQueue: 100_000 }),
  /** Database for the prediction log, feedback and experiments (default: the Keel store). */
  databaseUrl: z.string().optional(),
  /**
   * Monitoring: scheduled drift checks over the prediction log (run in one process: the cluster
   * primary), Prometheus drift gauges, alerts, and the dashboard at `/`.
   */
  monitor: monitorConfigSchema.default(MONITOR_DEFAULTS),
  /**
   * Question answering over ingested documents at `POST /v1/rag/query` (see `keel rag`), behind the
   * same API token as predict. Off unless configured: `collection` names the collection to answer
   * from (turns the route on), or `enabled: true` answers from the `default` collection. The LLM
   * comes from KEEL_LLM_* variables; without one, answers are extractive with citations.
   */
  rag: z
    .strictObject({
      // Optional (not defaulted) so the server can tell "configured" from "left out": the route
      // reads stored documents, so it must never be on just because nobody turned it off.
      enabled: z.boolean().optional(),
      collection: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'a collection name (letters, digits, _ and -)')
        .optional(),
    })
    .default({}),
  /**
   * Most explanation work one `?explain=true` request may ask for, in rows × model features (the
   * cost of TreeSHAP grows with both); over it the request gets 422 `SERVE_EXPLAIN_TOO_LARGE`.
   * The default keeps one request to roughly 100-200 ms of CPU on the event loop.
   */
  explainBudget: z.number().int().positive().default(EXPLAIN_BUDGET_DEFAULT),
})

/** A validated server config. */
export type ServeConfig = z.infer<typeof serveConfigSchema>
/** Input form of a server config (defaults optional). */
export type ServeConfigInput = z.input<typeof serveConfigSchema>
/** One served model with defaults applied and its route name set. */
export type ServedModelConfig = z.infer<typeof servedModelSchema> & { name: string }

/** Validates a config object, listing every problem. */
export function parseServeConfig(input: unknown): ServeConfig {
  const result = parseConfig(serveConfigSchema, input ?? {})
  if (!result.success) {
    const problems = formatConfigProblems(result.problems)
    throw new AppError('SERVE_CONFIG_INVALID', `Invalid serve config:\n  ${problems.join('\n  ')}`, {
      details: { problems, issues: result.problems },
    })
  }
  return result.data
}

/** Reads and validates a YAML or JSON config file. */
export function loadServeConfig(path: string): ServeConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new AppError(
      'SERVE_CONFIG_INVALID',
      `Cannot read serve config ${path}: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  let data: unknown
  try {
    data = parseYaml(text)
  } catch (error) {
    throw new AppError(
      'SERVE_CONFIG_INVALID',
      `Serve config ${path} is not valid YAML/JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    )
  }
  return parseServeConfig(data)
}

/**
 * The collection `POST /v1/rag/query` answers from, or undefined when the route is off: it is on
 * only when the config turned it on (`rag.collection`, or `rag.enabled: true` for the default
 * collection), and `rag.enabled: false` turns it off whatever else is set.
 */
export function ragCollectionOf(config: ServeConfig): string | undefined {
  const { enabled, collection } = config.rag
  if (enabled === false) return undefined
  if (collection !== undefined) return collection
  return enabled === true ? 'default' : undefined
}

/** Served model entries with defaults applied; duplicate route names are a config error. */
export function servedModels(config: ServeConfig): ServedModelConfig[] {
  const out: ServedModelConfig[] = []
  const seen = new Set<string>()
  for (const entry of config.models) {
    const base = typeof entry === 'string' ? servedModelSchema.parse({ ref: entry }) : entry
    const name = base.name ?? parseModelRef(base.ref).name
    if (seen.has(name))
      throw new AppError(
        'SERVE_CONFIG_INVALID',
        `Model name '${name}' is served twice; give one entry another name.`,
      )
    seen.add(name)
    out.push({ ...base, name })
  }
  return out
}
