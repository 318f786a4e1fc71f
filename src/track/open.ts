import { type KeelDb, openDb } from '../store/index.js'
import { migrateConcurrently } from './migrate.js'
import { TRACK_MIGRATIONS } from './migrations.js'
import { SqlTrackingStore } from './sql-store.js'
import type { TrackingStore } from './store.js'

/**
 * Opens the tracking store on `target`: a database URL (`postgres://…`, `sqlite:PATH`; default
 * `$KEEL_DATABASE_URL` or `.keel/keel.db`), or an already open `KeelDb` to share one connection
 * with the registry (then `close()` leaves it open). Applies the `track` migrations.
 */
export async function openTrackingStore(target?: string | KeelDb): Promise<TrackingStore> {
  const isShared = typeof target === 'object'
  const keel = isShared ? target : await openDb(target)
  try {
    await migrateConcurrently(keel, 'track', TRACK_MIGRATIONS)
  } catch (error) {
    if (!isShared) await keel.close()
    throw error
  }
  return new SqlTrackingStore(keel, !isShared)
}
