import type { Kysely } from 'kysely'
import type { KeelDb } from '../store/index.js'
import { type ExperimentRow, migrateServeTables, type ServeTables } from './tables.js'

/** Which logged predictions a read covers. Every filter is optional; all given ones must hold. */
export interface PredictionFilter {
  /** The model name logged with the prediction (the registry name, or the served name). */
  readonly model?: string
  /** Predictions assigned by this A/B experiment. */
  readonly experimentId?: string
  /** Epoch milliseconds: only predictions logged at or after this time. */
  readonly since?: number
  /** Include shadow copies (rows with `shadow_of` set). Default false: only answered predictions. */
  readonly includeShadows?: boolean
}

/** Filter of the predictions-joined-with-feedback read. */
export interface FeedbackFilter extends PredictionFilter {
  /** Only predictions with a reported outcome (an inner join). Default false: outcome null when none. */
  readonly labelledOnly?: boolean
  /** 'asc' returns rows oldest first; default: the database's order (cheapest). */
  readonly order?: 'asc'
}

/** One logged prediction with its reported outcome, if any. */
export interface PredictionWithFeedback {
  readonly id: string
  /** Epoch milliseconds the prediction was logged. */
  readonly ts: number
  readonly variant: string
  readonly requestKey: string | null
  readonly score: number | null
  /** Numeric form of the outcome (booleans as 0/1); null without feedback or for a non-numeric one. */
  readonly outcomeValue: number | null
  /** Epoch milliseconds the outcome was reported; null without feedback. */
  readonly feedbackTs: number | null
}

/** One logged prediction's inputs and score, as the drift check reads a window. */
export interface LoggedInputs {
  readonly id: string
  /** JSON text of the feature row as logged. */
  readonly features: string
  readonly score: number | null
}

/** One logged prediction's serving figures, as the traffic view reads them. */
export interface LoggedTraffic {
  readonly ts: number
  readonly latencyMs: number
  /** Which link answered: `primary…`, `fallback…`, `default…` (see the predictor). */
  readonly servedBy: string
  readonly variant: string
}

/**
 * The read side of the prediction log: windows of inputs for drift checks, traffic for the live
 * view, predictions joined with their feedback for performance and A/B reports, and the stored
 * experiments. Monitoring and reporting read the log only through here, so the join of predictions
 * with feedback (and what "an answered prediction" means: not a shadow copy) is written once.
 */
export class PredictionLogReader {
  /** @param k the typed store (`db.typed<ServeTables>()`, or what `migrateServeTables` returns) */
  constructor(private readonly k: Kysely<ServeTables>) {}

  /** Creates or upgrades the log's tables, then reads them. */
  static async open(db: KeelDb): Promise<PredictionLogReader> {
    return new PredictionLogReader(await migrateServeTables(db))
  }

  /**
   * Inputs and scores of a model's answered predictions, newest first: the last `n` (default
   * 100 000), within the last `windowMs` when given.
   */
  async window(model: string, options: { windowMs?: number; n?: number } = {}): Promise<LoggedInputs[]> {
    let query = this.k
      .selectFrom('serve_predictions')
      .select(['id', 'features', 'score'])
      .where('model', '=', model)
      .where('shadow_of', 'is', null)
      .orderBy('ts', 'desc')
    if (options.windowMs !== undefined) query = query.where('ts', '>=', Date.now() - options.windowMs)
    return query.limit(options.n ?? 100_000).execute()
  }

  /** Serving figures of a model's answered predictions since `since`, newest first, at most `limit`. */
  async traffic(model: string, since: number, limit: number): Promise<LoggedTraffic[]> {
    const rows = await this.k
      .selectFrom('serve_predictions')
      .select(['ts', 'latency_ms', 'served_by', 'variant'])
      .where('model', '=', model)
      .where('shadow_of', 'is', null)
      .where('ts', '>=', since)
      .orderBy('ts', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({ ts: r.ts, latencyMs: r.latency_ms, servedBy: r.served_by, variant: r.variant }))
  }

  /** Logged predictions joined with their feedback (see `FeedbackFilter`). */
  async withFeedback(filter: FeedbackFilter): Promise<PredictionWithFeedback[]> {
    let query = this.joined(filter).select([
      'p.id as id',
      'p.ts as ts',
      'p.variant as variant',
      'p.request_key as requestKey',
      'p.score as score',
      'f.outcome_value as outcomeValue',
      'f.ts as feedbackTs',
    ])
    if (filter.order === 'asc') query = query.orderBy('p.ts', 'asc')
    return query.execute()
  }

  /** How many logged predictions matching `filter` have feedback. */
  async labelledCount(filter: PredictionFilter): Promise<number> {
    const row = await this.joined({ ...filter, labelledOnly: true })
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirst()
    return Number(row?.n ?? 0)
  }

  /** One stored experiment, or undefined. */
  async experiment(id: string): Promise<ExperimentRow | undefined> {
    return this.k.selectFrom('serve_experiments').selectAll().where('id', '=', id).executeTakeFirst()
  }

  /** Every stored experiment, most recently updated first. */
  async experiments(): Promise<ExperimentRow[]> {
    return this.k.selectFrom('serve_experiments').selectAll().orderBy('updated_at', 'desc').execute()
  }

  /** The one predictions ⟕ feedback query every joined read starts from. */
  private joined(filter: FeedbackFilter) {
    let query = this.k
      .selectFrom('serve_predictions as p')
      .leftJoin('serve_feedback as f', 'f.prediction_id', 'p.id')
    // `prediction_id` is the feedback's primary key, so "not null" is exactly the inner join (SQLite
    // and PostgreSQL both plan it as one).
    if (filter.labelledOnly === true) query = query.where('f.prediction_id', 'is not', null)
    if (filter.model !== undefined) query = query.where('p.model', '=', filter.model)
    if (filter.experimentId !== undefined) query = query.where('p.experiment_id', '=', filter.experimentId)
    if (filter.includeShadows !== true) query = query.where('p.shadow_of', 'is', null)
    if (filter.since !== undefined) query = query.where('p.ts', '>=', filter.since)
    return query
  }
}
