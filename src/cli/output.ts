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
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`error: ${message.split('\n')[0]}\n`)
  return 3
}
