import { type KeelDb, openDb } from '../store/index.js'
import { migrateConcurrently } from '../track/index.js'
import { REGISTRY_MIGRATIONS } from './migrations.js'
import { SqlModelRegistry } from './sql-registry.js'
import type { ModelRegistry } from './store.js'

/**
 * Opens the model registry on `target`: a database URL (`postgres://…`, `sqlite:PATH`; default
 * `$KEEL_DATABASE_URL` or `.keel/keel.db`), or an already open `KeelDb` shared with tracking
 * (then `close()` leaves it open). Applies the `registry` migrations.
 */
export async function openRegistry(target?: string | KeelDb): Promise<ModelRegistry> {
  const isShared = typeof target === 'object'
  const keel = isShared ? target : await openDb(target)
  try {
    await migrateConcurrently(keel, 'registry', REGISTRY_MIGRATIONS)
  } catch (error) {
    if (!isShared) await keel.close()
    throw error
  }
  return new SqlModelRegistry(keel, !isShared)
}
