import { createHash, timingSafeEqual } from 'node:crypto'
import { ServeError } from './errors.js'

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest()
}

/**
 * Compares a presented bearer token with the expected one in constant time. Both are hashed first so
 * that neither the comparison time nor a length check reveals anything about the expected token.
 */
export function tokenMatches(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected))
}

/** Extracts the token from an `Authorization: Bearer …` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  return match?.[1]
}

/**
 * Checks an admin request. No configured token means admin endpoints are off (403); a missing or wrong
 * token is 401.
 */
export function checkAdmin(header: string | undefined, adminToken: string | undefined): void {
  if (adminToken === undefined || adminToken === '')
    throw new ServeError(
      'SERVE_ADMIN_DISABLED',
      'Admin endpoints are disabled: start the server with KEEL_ADMIN_TOKEN set to enable them.',
    )
  const token = bearerToken(header)
  if (token === undefined || !tokenMatches(token, adminToken))
    throw new ServeError(
      'SERVE_UNAUTHORIZED',
      'Missing or wrong admin token: send Authorization: Bearer <KEEL_ADMIN_TOKEN>.',
    )
}

/** Checks a prediction request when an API token is configured (the admin token is accepted too). */
export function checkApi(
  header: string | undefined,
  apiToken: string | undefined,
  adminToken: string | undefined,
): void {
  if (apiToken === undefined || apiToken === '') return
  const token = bearerToken(header)
  if (token !== undefined) {
    if (tokenMatches(token, apiToken)) return
    if (adminToken !== undefined && adminToken !== '' && tokenMatches(token, adminToken)) return
  }
  throw new ServeError(
    'SERVE_UNAUTHORIZED',
    'Missing or wrong API token: send Authorization: Bearer <KEEL_API_TOKEN>.',
  )
}
