import type pg from 'pg'
import { importOptional } from '../core/index.js'

/**
 * The PostgreSQL channel every committed registry change is announced on; the payload is the model
 * name. Channels are database-wide, so registries in other schemas of the same database announce on
 * it too: a subscriber may see a name that did not change here, which costs one needless refresh.
 */
export const REGISTRY_CHANNEL = 'keel_registry'

/** A live subscription to registry changes. */
export interface RegistrySubscription {
  /** Stops listening and closes the connection; later changes are not reported. */
  close(): Promise<void>
}

/** Options of `subscribeRegistryChanges`. */
export interface SubscribeRegistryOptions {
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

/**
 * Calls `onChange` soon after each committed registry change: with the model's name for each
 * notification, and with `undefined` after every (re)connection that followed a lost or failed one
 * ("anything may have changed meanwhile": refresh everything). On PostgreSQL a dedicated connection
 * runs `LISTEN keel_registry` and reconnects with backoff when it drops (a database restart); on
 * SQLite (one machine, no notifications) it returns a subscription that never calls, and the
 * server's poll remains the only way changes are seen.
 *
 * Resolves once the first connection attempt has finished: listening when it succeeded, otherwise
 * retrying in the background (reported through `options.onError`).
 *
 * @param url the store URL, as for `openRegistry` (default `$KEEL_DATABASE_URL`, else SQLite).
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) for a PostgreSQL URL without the `pg` peer.
 * @example
 * const sub = await subscribeRegistryChanges(process.env.KEEL_DATABASE_URL, (name) => refresh(name))
 * await sub.close()
 */
export async function subscribeRegistryChanges(
  url: string | undefined,
  onChange: (name: string | undefined) => void,
  options: SubscribeRegistryOptions = {},
): Promise<RegistrySubscription> {
  const resolved = url ?? process.env.KEEL_DATABASE_URL ?? ''
  if (!resolved.startsWith('postgres://') && !resolved.startsWith('postgresql://')) {
    return { close: async () => {} }
  }
  const { default: driver } = await importOptional(
    'pg',
    'Registry change notifications (postgres:// URL)',
    () => import('pg'),
  )
  const listener = new Listener(driver, resolved, onChange, options)
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
    private readonly onChange: (name: string | undefined) => void,
    private readonly options: SubscribeRegistryOptions,
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
    client.on('end', () => onLost(new Error('registry notification connection ended')))
    client.on('notification', (message) => {
      if (message.channel !== REGISTRY_CHANNEL || this.#closed) return
      this.onChange(message.payload === undefined || message.payload === '' ? undefined : message.payload)
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${REGISTRY_CHANNEL}`)
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
