import type { ErrorCode } from '../core/error-codes.js'
import { isAppError } from '../core/index.js'

/** Writes one JSON document to stdout (machine output: nothing else may go to stdout with --json). */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

/** Human progress/info line on stderr so stdout stays clean for data. */
export function info(message: string): void {
  process.stderr.write(`${message}\n`)
}

/**
 * Turns any thrown value into a one-line message (no stack trace) and an exit code:
 * 2 for expected errors (bad input, missing files), 1 never (reserved for "checks failed"),
 * 3 for unexpected internal errors. Set KEEL_DEBUG=1 to see the stack.
 */
export function reportError(error: unknown): number {
  if (process.env.KEEL_DEBUG === '1' && error instanceof Error) process.stderr.write(`${error.stack ?? ''}\n`)
  if (isAppError(error)) {
    process.stderr.write(`error [${error.code}]: ${error.message}\n`)
    return 2
  }
  if (isSqliteBusy(error)) {
    // Another Keel process (a concurrent `keel train`, a server) held the SQLite write lock past the
    // busy timeout: an expected condition, not an internal error.
    const code: ErrorCode = 'STORE_UNAVAILABLE'
    process.stderr.write(
      `error [${code}]: The Keel database is locked by another Keel process (SQLite busy). Retry the command; ` +
        "'keel runs list' and 'keel models list' show what was already recorded.\n",
    )
    return 2
  }
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`error: ${message.split('\n')[0]}\n`)
  return 3
}

/** @internal Aligns rows under a header; columns whose cells are all numeric are right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const numeric = header.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^[-+]?[\d.]+(e[-+]?\d+)?$|^(n\/a)?$/.test(r[i] ?? '')),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric[i] === true ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** @internal A metric value for humans: fixed decimals, `n/a` for NaN. */
export function formatValue(value: number | undefined | null): string {
  if (value === undefined || value === null) return ''
  if (Number.isNaN(value)) return 'n/a'
  if (Number.isInteger(value)) return String(value)
  const abs = Math.abs(value)
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e7)) return value.toExponential(3)
  return abs >= 1000 ? value.toFixed(1) : value.toFixed(4)
}

/** @internal `2026-11-26 08:01` (UTC). */
export function formatTime(iso: string | null): string {
  return iso === null ? '' : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`
}

/** A better-sqlite3 `SqliteError` for a lock held by another connection (SQLITE_BUSY*, SQLITE_LOCKED*). */
function isSqliteBusy(error: unknown): boolean {
  const code = error instanceof Error ? (error as NodeJS.ErrnoException).code : undefined
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)
}
