import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { AppError } from './errors.js'

/**
 * Where Keel keeps its embedded state: `$KEEL_HOME`, or `.keel/` in the working directory.
 * Holds the SQLite database (`keel.db`), artifacts and RAG collections.
 */
export function keelHome(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  const fromEnv = env.KEEL_HOME
  return fromEnv !== undefined && fromEnv !== '' ? resolve(cwd, fromEnv) : join(cwd, '.keel')
}

/**
 * `keelHome()` joined with `parts`, with the directory created if it does not exist.
 * @throws AppError KEEL_HOME_UNUSABLE when the directory cannot be created (KEEL_HOME is a file, or
 *   a folder without write permission), naming the path and KEEL_HOME.
 */
export function keelDir(...parts: string[]): string {
  const home = keelHome()
  const dir = join(home, ...parts)
  try {
    mkdirSync(dir, { recursive: true })
  } catch (error) {
    // A raw EEXIST/EACCES from mkdir says nothing about KEEL_HOME, which is what the user must fix.
    const reason =
      (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error))
    throw new AppError(
      'KEEL_HOME_UNUSABLE',
      `Cannot create Keel's folder '${dir}' (${reason === 'EEXIST' || reason === 'ENOTDIR' ? 'a file is in the way' : reason}). Set KEEL_HOME to a writable directory (now '${home}').`,
      { cause: error },
    )
  }
  return dir
}
