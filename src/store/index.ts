/** The database layer every stored capability shares: SQLite by default, PostgreSQL by URL. */

export type { DialectName, KeelDb, Migration, OpenDbOptions } from './db.js'
export { openDb } from './db.js'
export type { SqlCell, SqliteAppender } from './sqlite-appender.js'
export { openSqliteAppender } from './sqlite-appender.js'
export { testBackends } from './test-backends.js'
