import type Database from 'better-sqlite3'
import { AppError } from '../core/index.js'

/**
 * Opens the SQLite file of a `sqlite:` URL (or a bare path) with the pragmas every Keel connection
 * uses. The binding is passed in so that `db.ts` can keep loading it lazily, while the
 * prediction-log writer's thread (`sqlite-appender.ts`) imports it directly.
 *
 * @throws AppError `STORE_UNAVAILABLE` when the file cannot be opened.
 */
export function openSqliteFile(Sqlite: typeof Database, url: string): Database.Database {
  const path = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : url
  let database: Database.Database
  try {
    database = new Sqlite(path)
  } catch (error) {
    throw new AppError(
      'STORE_UNAVAILABLE',
      `Cannot open SQLite database ${path}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  // WAL lets server workers and CLI commands read while one writes; busy_timeout waits out short locks.
  database.pragma('journal_mode = WAL')
  database.pragma('busy_timeout = 5000')
  database.pragma('synchronous = NORMAL')
  return database
}
