/**
 * Temporary files that must not outlive an interrupted command. While any is tracked, SIGINT,
 * SIGTERM and SIGHUP first remove them, then take their usual course: the signal is raised again
 * with the default action (exit status 128 + n) unless another listener (a server's graceful
 * shutdown) handles it. A normal end or an error path untracks the files itself.
 */
import { unlinkSync } from 'node:fs'

const pending = new Set<string>()
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

function onSignal(signal: NodeJS.Signals): void {
  for (const path of pending) {
    try {
      unlinkSync(path)
    } catch {
      // Not created yet, or already gone: nothing to remove.
    }
  }
  pending.clear()
  uninstall()
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

function install(): void {
  if (installed) return
  installed = true
  for (const s of SIGNALS) process.on(s, onSignal)
}

function uninstall(): void {
  if (!installed) return
  installed = false
  for (const s of SIGNALS) process.off(s, onSignal)
}

/**
 * Removes `paths` if the process is interrupted before the returned function is called (call it
 * once the files are renamed into place or deleted).
 */
export function trackTempFiles(...paths: string[]): () => void {
  for (const p of paths) pending.add(p)
  install()
  return () => {
    for (const p of paths) pending.delete(p)
    if (pending.size === 0) uninstall()
  }
}
