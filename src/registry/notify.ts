import { type SubscribeChannelOptions, subscribePgChannel } from '../store/index.js'

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

/** Options of `subscribeRegistryChanges`: reconnect backoff and the outage callback. */
export type SubscribeRegistryOptions = SubscribeChannelOptions

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
  return subscribePgChannel(resolved, REGISTRY_CHANNEL, 'Registry change notifications', onChange, options)
}
