/**
 * Temporary files and folders that must not outlive an interrupted command. While any is tracked,
 * SIGINT, SIGTERM and SIGHUP first remove them, then take their usual course: the signal is raised
 * again with the default action (exit status 128 + n) unless another listener (a server's graceful
 * shutdown) handles it. A normal end or an error path untracks the paths itself.
 */
import { rmSync } from 'node:fs'

const pending = new Set<string>()
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  for (const path of pending) {
    try {
      // Recursive: a tracked folder (DuckDB's spill directory) goes with whatever is in it.
      rmSync(path, { recursive: true, force: true })
    } catch {
      // Nothing more can be done while exiting; the rest are still removed.
    }
  }
  pending.clear()
  uninstall()
  // This listener runs first (see install), so the other listeners, `once` ones included, are
  // still registered here: a count of zero means nobody else handles the signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function install(): void {
  if (installed) return
  installed = true
  // Prepended: a `process.once` listener registered earlier removes itself before it runs, so had
  // it run before this one, the count above would miss it and the re-raise would kill the process
  // in the middle of that listener's graceful shutdown.
  for (const s of SIGNALS) process.prependListener(s, onSignal)
}

function uninstall(): void {
  if (!installed) return
  installed = false
  for (const s of SIGNALS) process.off(s, onSignal)
}

/**
 * Removes `paths` (files, or folders with their contents) if the process is interrupted before the
 * returned function is called (call it once they are renamed into place or deleted).
 */
export function trackTempFiles(...paths: string[]): () => void {
  for (const p of paths) pending.add(p)
  install()
  return () => {
    for (const p of paths) pending.delete(p)
    if (pending.size === 0) uninstall()
  }
}
