/**
 * Classifies database errors the server meets while serving: is the database (or its disk) unavailable
 * for a while, so the same write will succeed later, or is the write itself refused?
 */

/** SQLSTATE classes of PostgreSQL that mean "not now" rather than "never": 08 connection exception,
 * 53 insufficient resources (disk full, too many connections), 57 operator intervention (admin
 * shutdown, cannot connect now), 58 system error (I/O). */
const PG_TRANSIENT_CLASSES = new Set(['08', '53', '57', '58'])

/** Node socket errors of a database connection that went away or never came. */
const NET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
])

/**
 * SQLite result codes (better-sqlite3's `code`, extended codes included by prefix) that describe the
 * file's surroundings, not the rows: disk full, read-only file or folder, I/O error, lock contention.
 */
const SQLITE_TRANSIENT_PREFIXES = [
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_IOERR',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_CANTOPEN',
  'SQLITE_PROTOCOL',
]

/**
 * The store-level error code of `error` (a PostgreSQL SQLSTATE, a SQLite result code or a Node socket
 * code), looking through `cause` chains; undefined when there is none.
 */
export function dbErrorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code
    if (
      typeof code === 'string' &&
      (NET_CODES.has(code) || code.startsWith('SQLITE_') || /^[0-9A-Z]{5}$/.test(code))
    )
      return code
    e = (e as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * True when `error` says the database is unreachable or out of room for now (connection refused or
 * lost, server shutting down, disk full, read-only, I/O error, busy), so retrying the same write later
 * can succeed; false for errors about the write itself (a constraint, a type) and unknown errors.
 */
export function isTransientDbError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown }
    if (
      details !== null &&
      typeof details === 'object' &&
      (details as { transient?: unknown }).transient === true
    )
      return true
    if (typeof code === 'string') {
      if (NET_CODES.has(code)) return true
      if (SQLITE_TRANSIENT_PREFIXES.some((p) => code.startsWith(p))) return true
      if (/^[0-9A-Z]{5}$/.test(code) && PG_TRANSIENT_CLASSES.has(code.slice(0, 2))) return true
    }
    // node-postgres reports a connection that dropped mid-query without a code.
    if (
      typeof message === 'string' &&
      /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
        message,
      )
    )
      return true
    e = (e as { cause?: unknown }).cause
  }
  return false
}
