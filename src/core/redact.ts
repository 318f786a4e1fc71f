/**
 * Filesystem paths in text meant for remote clients (HTTP error bodies): a path tells an attacker
 * where the server keeps its state, under which user, and what else to look for. Messages are
 * written for local CLI users, who need the path; servers pass them through `redactPaths` first.
 */

/** What a redacted path reads as. */
export const REDACTED_PATH = '<path>'

// `file:` URLs, Windows drive paths and `~/` paths, whole.
const FILE_URL = /\bfile:\/\/[^\s'"`<>]*/g
const WINDOWS_PATH = /(?<![\w])[A-Za-z]:\\[^\s'"`<>]*/g
const HOME_PATH = /(?<![\w.~/-])~\/[^\s'"`<>]*/g
// An absolute POSIX path of two or more segments (`/srv/keel/x`, `/tmp/a/`): it starts after a
// space, quote or bracket, so URL paths (`http://h:8080/v1/x`) and media types (`text/plain`) stay.
// One-segment names (`/health`) and the HTTP API's own routes (`/v1/...`) are left: a message that
// points the client at a route must keep it.
const POSIX_PATH = /(?<![\w.:/~-])\/(?!v\d+\/)(?:[^\s'"`<>/:,;()[\]{}]+\/)+[^\s'"`<>/:,;()[\]{}]*/g

/**
 * Replaces absolute filesystem paths in `text` with `<path>`.
 * @example redactPaths("No collection under /home/app/.keel/rag") // "No collection under <path>"
 */
export function redactPaths(text: string): string {
  if (!text.includes('/') && !text.includes('\\')) return text
  return text
    .replace(FILE_URL, REDACTED_PATH)
    .replace(WINDOWS_PATH, REDACTED_PATH)
    .replace(HOME_PATH, REDACTED_PATH)
    .replace(POSIX_PATH, REDACTED_PATH)
}
