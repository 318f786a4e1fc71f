/** The database layer every stored capability shares: SQLite by default, PostgreSQL by URL. */

export type { DialectName, KeelDb, Migration, OpenDbOptions } from './db.js'
export { openDb } from './db.js'
export type { SqlCell, SqliteAppender } from './sqlite-appender.js'
export { openSqliteAppender } from './sqlite-appender.js'
export type { ServiceGate, TestBackend, TestDatabase } from './test-backends.js'
export {
  CHROMIUM_PATH,
  chromiumGate,
  postgresGate,
  redisGate,
  SKIP_REASONS,
  testBackends,
} from './test-backends.js'
