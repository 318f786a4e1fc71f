import type pg from 'pg'
import { importOptional } from '../core/index.js'

/** A live subscription to a PostgreSQL notification channel. */
export interface ChannelSubscription {
  /** Stops listening and closes the connection; later notifications are not reported. */
  close(): Promise<void>
}

/** Options of `subscribePgChannel`. */
export interface SubscribeChannelOptions {
  /** First reconnect delay after the connection drops; doubles per failed try. Default 100 ms. */
  readonly minBackoffMs?: number
  /** Longest reconnect delay. Default 5000 ms. */
  readonly maxBackoffMs?: number
  /**
   * The connection failed or dropped. Called once per outage (when the connection is lost or the
   * first try fails), not for every failed reconnect; the subscriber keeps retrying.
   */
  readonly onError?: (error: unknown) => void
}

/** Channel names are SQL identifiers here (LISTEN takes no parameter): plain lower-case words only. */
const CHANNEL_NAME = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Calls `onNotify` soon after each committed `pg_notify(channel, payload)`: with the payload (or
 * `undefined` when empty), and with `undefined` after every (re)connection that followed a lost or
 * failed one ("anything may have changed meanwhile": refresh everything). A dedicated connection
 * runs `LISTEN channel` and reconnects with backoff when it drops (a database restart). For a URL
 * that is not PostgreSQL (SQLite: one machine, no notifications) it returns a subscription that
 * never calls, and the caller's poll remains the only way changes are seen.
 *
 * Resolves once the first connection attempt has finished: listening when it succeeded, otherwise
 * retrying in the background (reported through `options.onError`).
 *
 * @param feature what the notifications are for, named in the missing-`pg` error.
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) for a PostgreSQL URL without the `pg` peer.
 * @example
 * const sub = await subscribePgChannel(url, 'keel_registry', 'Registry change notifications', (p) => refresh(p))
 * await sub.close()
 */
export async function subscribePgChannel(
  url: string,
  channel: string,
  feature: string,
  onNotify: (payload: string | undefined) => void,
  options: SubscribeChannelOptions = {},
): Promise<ChannelSubscription> {
  if (!url.startsWith('postgres://') && !url.startsWith('postgresql://')) return { close: async () => {} }
  if (!CHANNEL_NAME.test(channel)) throw new TypeError(`Invalid notification channel name '${channel}'.`)
  const { default: driver } = await importOptional('pg', `${feature} (postgres:// URL)`, () => import('pg'))
  const listener = new Listener(driver, url, channel, onNotify, options)
  await listener.connect()
  return { close: () => listener.close() }
}

/** Waits at most this long for the connection to end on close, so shutdown is never held up. */
const CLOSE_WAIT_MS = 500

class Listener {
  #client: pg.Client | undefined
  #timer: NodeJS.Timeout | undefined
  #closed = false
  #backoffMs: number
  /** True while an outage is being retried: the next successful connection reports a catch-up. */
  #missed = false
  readonly #minBackoffMs: number
  readonly #maxBackoffMs: number

  constructor(
    private readonly driver: typeof pg,
    private readonly url: string,
    private readonly channel: string,
    private readonly onChange: (payload: string | undefined) => void,
    private readonly options: SubscribeChannelOptions,
  ) {
    this.#minBackoffMs = options.minBackoffMs ?? 100
    this.#maxBackoffMs = options.maxBackoffMs ?? 5000
    this.#backoffMs = this.#minBackoffMs
  }

  async connect(): Promise<void> {
    if (this.#closed) return
    const client = new this.driver.Client({
      connectionString: this.url,
      // A dead peer (no FIN: a failover, a cut network) is noticed by TCP keepalive, not in hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      connectionTimeoutMillis: 5000,
    })
    this.#client = client
    let lost = false
    const onLost = (error: unknown): void => {
      // 'error' and 'end' both fire for one drop; handle it once, and ignore a client we replaced.
      if (lost || this.#client !== client) return
      lost = true
      this.#client = undefined
      if (this.#closed) return
      if (!this.#missed) this.options.onError?.(error)
      this.#missed = true
      this.#schedule()
    }
    client.on('error', onLost)
    client.on('end', () => onLost(new Error(`notification connection (${this.channel}) ended`)))
    client.on('notification', (message) => {
      if (message.channel !== this.channel || this.#closed) return
      this.onChange(message.payload === undefined || message.payload === '' ? undefined : message.payload)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${this.channel}`)
    } catch (error) {
      client.end().catch(() => undefined)
      onLost(error)
      return
    }
    if (this.#closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.#backoffMs = this.#minBackoffMs
    if (this.#missed) {
      this.#missed = false
      // Changes committed while nobody listened were not delivered: let the caller catch up.
      this.onChange(undefined)
    }
  }

  #schedule(): void {
    if (this.#closed || this.#timer !== undefined) return
    const delay = this.#backoffMs
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.#maxBackoffMs)
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.connect()
    }, delay)
    // Retrying must not keep a process alive that has nothing else to do.
    this.#timer.unref()
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    const client = this.#client
    this.#client = undefined
    if (client === undefined) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      client.end().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_WAIT_MS)
        timer.unref()
      }),
    ])
    clearTimeout(timer)
  }
}
