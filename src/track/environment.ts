import { execFileSync } from 'node:child_process'
import { hostname, userInfo } from 'node:os'
import { LIBRARY_VERSION } from '../core/index.js'

const gitCommitByDir = new Map<string, string | null>()

/**
 * The commit checked out in `cwd` (`git rev-parse HEAD`), or null outside a git repository or
 * without git. Cached per directory: a run records it once, and runs are created often in tests.
 */
export function detectGitCommit(cwd: string = process.cwd()): string | null {
  const cached = gitCommitByDir.get(cwd)
  if (cached !== undefined) return cached
  let commit: string | null
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
      encoding: 'utf8',
    }).trim()
    commit = /^[0-9a-f]{40,64}$/.test(out) ? out : null
  } catch {
    // Not a repository, no commits yet, or git not installed: the run simply has no commit.
    commit = null
  }
  gitCommitByDir.set(cwd, commit)
  return commit
}

/** Who is acting: `$USER`, else the OS account name, else 'unknown' (containers may have neither). */
export function currentUser(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.USER ?? env.USERNAME
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv
  try {
    return userInfo().username
  } catch {
    // userInfo throws when the uid has no passwd entry (common in containers).
    return 'unknown'
  }
}

/** Versions recorded on every run unless the caller passes its own. */
export function defaultPackageVersions(): Record<string, string> {
  return { 'keel-ml': LIBRARY_VERSION, node: process.version }
}

/** This machine's host name. */
export function currentHost(): string {
  return hostname()
}
