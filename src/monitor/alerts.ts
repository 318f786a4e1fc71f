import { createHmac, randomUUID } from 'node:crypto'
import type { KeelDb } from '../store/index.js'
import { migrateMonitorTables } from './tables.js'

/** Where alerts go. */
export interface AlertOptions {
  /** Webhook URL that receives a JSON POST per opened (and resolved) episode. */
  readonly webhookUrl?: string
  /** Secret for the `X-Keel-Signature: sha256=<hmac>` header over the raw body. */
  readonly webhookSecret?: string
  /** Delivery attempts (default 4), with exponential backoff from `backoffMs` (default 500 ms). */
  readonly attempts?: number
  readonly backoffMs?: number
  readonly timeoutMs?: number
  /** Log sink (default: one JSON line on stderr). */
  readonly log?: (line: string) => void
}

/** What an alert says. */
export interface AlertEvent {
  readonly id: string
  readonly model: string
  readonly kind: string
  readonly state: 'open' | 'resolved'
  readonly at: string
  readonly message: string
  readonly details?: unknown
}

/** Result of one webhook delivery. */
export interface DeliveryResult {
  readonly delivered: boolean
  readonly attempts: number
  readonly status?: number
  readonly error?: string
}

/** Signs a webhook body so receivers can check it came from this Keel (HMAC-SHA256, hex). */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`
}

/** POSTs an event with retries and exponential backoff (with jitter); 4xx other than 429 is final. */
export async function deliverWebhook(event: AlertEvent, options: AlertOptions): Promise<DeliveryResult> {
  if (options.webhookUrl === undefined)
    return { delivered: false, attempts: 0, error: 'no webhook configured' }
  const body = JSON.stringify(event)
  const attempts = options.attempts ?? 4
  const backoff = options.backoffMs ?? 500
  let last: DeliveryResult = { delivered: false, attempts: 0 }
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-keel-event': event.kind,
      }
      if (options.webhookSecret !== undefined)
        headers['x-keel-signature'] = signBody(body, options.webhookSecret)
      const response = await fetch(options.webhookUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      })
      if (response.ok) return { delivered: true, attempts: attempt, status: response.status }
      last = { delivered: false, attempts: attempt, status: response.status }
      if (response.status >= 400 && response.status < 500 && response.status !== 429) return last
    } catch (error) {
      last = { delivered: false, attempts: attempt, error: (error as Error).message }
    }
    if (attempt < attempts) {
      const delay = backoff * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5)
      await new Promise((resolve) => setTimeout(resolve, delay))
    }
  }
  return last
}

/**
 * Turns a stream of check outcomes into alert episodes: one alert when a condition starts, one
 * resolution when it ends, nothing on the checks in between (no alert storms).
 */
export class AlertManager {
  constructor(
    private readonly db: KeelDb,
    private readonly options: AlertOptions = {},
  ) {}

  /** Reports the latest state of a condition; sends and records an alert only on a change. */
  async update(
    model: string,
    kind: string,
    isFiring: boolean,
    message: string,
    details?: unknown,
  ): Promise<AlertEvent | undefined> {
    const k = await migrateMonitorTables(this.db)
    const open = await k
      .selectFrom('monitor_alerts')
      .selectAll()
      .where('model', '=', model)
      .where('kind', '=', kind)
      .where('closed_at', 'is', null)
      .executeTakeFirst()
    const log = this.options.log ?? ((line: string) => process.stderr.write(`${line}\n`))
    if (isFiring && open === undefined) {
      const event: AlertEvent = {
        id: randomUUID(),
        model,
        kind,
        state: 'open',
        at: new Date().toISOString(),
        message,
        details,
      }
      log(JSON.stringify({ level: 'warn', msg: 'keel alert', ...event }))
      const delivery = await deliverWebhook(event, this.options)
      await k
        .insertInto('monitor_alerts')
        .values({
          id: event.id,
          model,
          kind,
          opened_at: Date.now(),
          closed_at: null,
          message,
          delivery: JSON.stringify(delivery),
        })
        .execute()
      return event
    }
    if (!isFiring && open !== undefined) {
      const event: AlertEvent = {
        id: open.id,
        model,
        kind,
        state: 'resolved',
        at: new Date().toISOString(),
        message: `resolved: ${open.message}`,
      }
      log(JSON.stringify({ level: 'info', msg: 'keel alert resolved', ...event }))
      await deliverWebhook(event, this.options)
      await k.updateTable('monitor_alerts').set({ closed_at: Date.now() }).where('id', '=', open.id).execute()
      return event
    }
    return undefined
  }

  /** Recent alerts, newest first. */
  async recent(
    limit = 50,
  ): Promise<
    { id: string; model: string; kind: string; openedAt: number; closedAt: number | null; message: string }[]
  > {
    const k = await migrateMonitorTables(this.db)
    const rows = await k
      .selectFrom('monitor_alerts')
      .selectAll()
      .orderBy('opened_at', 'desc')
      .limit(limit)
      .execute()
    return rows.map((r) => ({
      id: r.id,
      model: r.model,
      kind: r.kind,
      openedAt: r.opened_at,
      closedAt: r.closed_at,
      message: r.message,
    }))
  }
}
