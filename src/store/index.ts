/** The database layer every stored capability shares: SQLite by default, PostgreSQL by URL. */

export type { DialectName, KeelDb, Migration, OpenDbOptions } from './db.js'
export { openDb } from './db.js'
/**
 * Classifies a database error: `isTransientDbError` is true when the same write can succeed later
 * (connection lost, disk full, read-only, busy); `dbErrorCode` names the store's code.
 * @example
 * if (isTransientDbError(error)) retryLater()
 */
export { dbErrorCode, isTransientDbError } from './db-faults.js'
export type { ChannelSubscription, SubscribeChannelOptions } from './pg-notify.js'
export { subscribePgChannel } from './pg-notify.js'
export type { SqlCell, SqliteAppender } from './sqlite-appender.js'
export { openSqliteAppender } from './sqlite-appender.js'
