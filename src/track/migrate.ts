import type { KeelDb, Migration } from '../store/index.js'

const MAX_ATTEMPTS = 8

/**
 * Applies one namespace's migrations, tolerating a concurrent first start: when several processes
 * (server workers, replicas sharing PostgreSQL) open a fresh database at once, one may apply a
 * migration between another's "already applied?" check and its own transaction, which then fails
 * ("table already exists", a duplicate catalog key, or SQLite's lock). Each such failure means
 * another process committed progress, so retrying after a random pause (so the losers do not race
 * again in step) converges once everything is recorded.
 * @internal shared by the tracking store and the registry
 */
export async function migrateConcurrently(
  keel: KeelDb,
  namespace: string,
  migrations: readonly Migration[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await keel.migrate(namespace, migrations)
      return
    } catch (error) {
      // A genuine failure (bad SQL, lost connection) fails every attempt and propagates.
      if (attempt >= MAX_ATTEMPTS) throw error
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 250 * attempt))
    }
  }
}
