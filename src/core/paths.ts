import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

/**
 * Where Keel keeps its embedded state: `$KEEL_HOME`, or `.keel/` in the working directory.
 * Holds the SQLite database (`keel.db`), artifacts and RAG collections.
 */
export function keelHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromEnv = env.KEEL_HOME
  return fromEnv !== undefined && fromEnv !== '' ? resolve(cwd, fromEnv) : join(cwd, '.keel')
}

/** `keelHome()` joined with `parts`, with the directory created if it does not exist. */
export function keelDir(...parts: string[]): string {
  const dir = join(keelHome(), ...parts)
  mkdirSync(dir, { recursive: true })
  return dir
}
