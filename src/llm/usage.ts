import { randomUUID } from 'node:crypto'
import { Counter, Histogram, type Registry } from 'prom-client'
import type { KeelDb } from '../store/index.js'
import { LLM_MIGRATIONS, type LlmTables } from './schema.js'
import type { LlmProviderName, LlmUsage } from './types.js'

/** USD per million tokens for one model. */
export interface LlmPrice {
  readonly inputUsdPerMTok: number
  readonly outputUsdPerMTok: number
}

/** Prices by model name (exact match first, then the longest matching prefix). */
export type LlmPriceTable = Readonly<Record<string, LlmPrice>>

/** Cost of one call in USD, or null when the model is not in the table. */
export function llmCost(prices: LlmPriceTable, model: string, usage: LlmUsage): number | null {
  let price = prices[model]
  if (price === undefined) {
    // Dated model ids (claude-x-20250101) should match their family's entry.
    const prefix = Object.keys(prices)
      .filter((p) => model.startsWith(p))
      .sort((a, b) => b.length - a.length)[0]
    price = prefix === undefined ? undefined : prices[prefix]
  }
  if (price === undefined) return null
  return (usage.inputTokens * price.inputUsdPerMTok + usage.outputTokens * price.outputUsdPerMTok) / 1_000_000
}

/** One accounted call, as logged to the store and metrics. */
export interface LlmCallRecord {
  readonly provider: LlmProviderName
  readonly model: string
  readonly usage: LlmUsage
  readonly latencyMs: number
  readonly retries: number
  readonly costUsd: number | null
  readonly cached: boolean
  readonly streamed: boolean
  readonly status: 'ok' | 'error'
  readonly errorCode: string | null
}

interface LlmMetrics {
  readonly requests: Counter<'provider' | 'model' | 'outcome'>
  readonly tokens: Counter<'provider' | 'model' | 'kind'>
  readonly latency: Histogram<'provider' | 'model'>
  readonly retries: Counter<'provider' | 'model'>
  readonly cost: Counter<'provider' | 'model'>
}

function getOrCreate<T>(registry: Registry, name: string, create: () => T): T {
  // Several clients may share one registry; prom-client throws on a second registration.
  return (registry.getSingleMetric(name) as T | undefined) ?? create()
}

function metricsOn(registry: Registry): LlmMetrics {
  const registers = [registry]
  return {
    requests: getOrCreate(
      registry,
      'keel_llm_requests_total',
      () =>
        new Counter({
          name: 'keel_llm_requests_total',
          help: 'LLM calls by outcome (ok, error, cache_hit).',
          labelNames: ['provider', 'model', 'outcome'] as const,
          registers,
        }),
    ),
    tokens: getOrCreate(
      registry,
      'keel_llm_tokens_total',
      () =>
        new Counter({
          name: 'keel_llm_tokens_total',
          help: 'Tokens billed by the provider (kind = input or output).',
          labelNames: ['provider', 'model', 'kind'] as const,
          registers,
        }),
    ),
    latency: getOrCreate(
      registry,
      'keel_llm_request_duration_seconds',
      () =>
        new Histogram({
          name: 'keel_llm_request_duration_seconds',
          help: 'Wall time of LLM calls including retries.',
          labelNames: ['provider', 'model'] as const,
          buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
          registers,
        }),
    ),
    retries: getOrCreate(
      registry,
      'keel_llm_retries_total',
      () =>
        new Counter({
          name: 'keel_llm_retries_total',
          help: 'Retries spent by the LLM retry layer.',
          labelNames: ['provider', 'model'] as const,
          registers,
        }),
    ),
    cost: getOrCreate(
      registry,
      'keel_llm_cost_usd_total',
      () =>
        new Counter({
          name: 'keel_llm_cost_usd_total',
          help: 'Estimated spend in USD from the configured price table.',
          labelNames: ['provider', 'model'] as const,
          registers,
        }),
    ),
  }
}

/**
 * Records every call to the store (namespace 'llm', table llm_calls) and to Prometheus metrics.
 * Either sink is optional. Recording never fails the call: store errors are reported through
 * `onError` (default: ignored) because losing one usage row must not lose the answer.
 * @internal
 */
export class LlmUsageRecorder {
  private readonly metrics: LlmMetrics | undefined
  private ready: Promise<void> | undefined

  constructor(
    private readonly db: KeelDb | undefined,
    registry: Registry | undefined,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.metrics = registry === undefined ? undefined : metricsOn(registry)
  }

  async record(call: LlmCallRecord): Promise<void> {
    const m = this.metrics
    if (m !== undefined) {
      const labels = { provider: call.provider, model: call.model }
      m.requests.inc({ ...labels, outcome: call.cached ? 'cache_hit' : call.status })
      if (!call.cached) {
        m.tokens.inc({ ...labels, kind: 'input' }, call.usage.inputTokens)
        m.tokens.inc({ ...labels, kind: 'output' }, call.usage.outputTokens)
        if (call.costUsd !== null) m.cost.inc(labels, call.costUsd)
      }
      m.latency.observe(labels, call.latencyMs / 1000)
      if (call.retries > 0) m.retries.inc(labels, call.retries)
    }
    if (this.db === undefined) return
    try {
      this.ready ??= this.db.migrate('llm', LLM_MIGRATIONS)
      await this.ready
      await this.db
        .typed<LlmTables>()
        .insertInto('llm_calls')
        .values({
          id: randomUUID(),
          at: new Date().toISOString(),
          provider: call.provider,
          model: call.model,
          input_tokens: call.usage.inputTokens,
          output_tokens: call.usage.outputTokens,
          latency_ms: call.latencyMs,
          retries: call.retries,
          cost_usd: call.costUsd,
          cached: call.cached ? 1 : 0,
          status: call.status,
          error_code: call.errorCode,
          streamed: call.streamed ? 1 : 0,
        })
        .execute()
    } catch (error) {
      this.onError(error)
    }
  }
}

/** Aggregated usage from the store, e.g. for `keel` reports. */
export interface LlmUsageSummary {
  readonly calls: number
  readonly errors: number
  readonly cacheHits: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
}

/** Sums the logged calls (optionally since an ISO timestamp). */
export async function llmUsageSummary(db: KeelDb, sinceIso?: string): Promise<LlmUsageSummary> {
  await db.migrate('llm', LLM_MIGRATIONS)
  let query = db
    .typed<LlmTables>()
    .selectFrom('llm_calls')
    .select(['status', 'cached', 'input_tokens', 'output_tokens', 'cost_usd'])
  if (sinceIso !== undefined) query = query.where('at', '>=', sinceIso)
  const rows = await query.execute()
  let errors = 0
  let cacheHits = 0
  let inputTokens = 0
  let outputTokens = 0
  let costUsd = 0
  for (const row of rows) {
    if (row.status === 'error') errors++
    if (Number(row.cached) === 1) cacheHits++
    inputTokens += Number(row.input_tokens)
    outputTokens += Number(row.output_tokens)
    costUsd += Number(row.cost_usd ?? 0)
  }
  return { calls: rows.length, errors, cacheHits, inputTokens, outputTokens, costUsd }
}
