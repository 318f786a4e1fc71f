/**
 * The server's JSON body parser: Fastify's own parser and poisoning settings, with two additions: the
 * body's text is kept beside the request (the prediction log stores each row's own JSON text, see
 * raw-json.ts, instead of stringifying every parsed row again), and a text that cannot hold a
 * poisoning key skips Fastify's poisoning scan.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'

/**
 * False when a JSON text cannot hold a `__proto__` or `constructor` key: it has neither word and no
 * `\\u` escape that could spell them. Such a text parses to the same value with a plain
 * `JSON.parse` as with Fastify's poisoning checks, which scan it with two regular expressions.
 */
function mayHoldPoisonKeys(text: string): boolean {
  return text.includes('__proto__') || text.includes('constructor') || text.includes('\\u')
}

/**
 * The parsed body when a plain `JSON.parse` gives what Fastify's parser would (see
 * `mayHoldPoisonKeys`); `undefined` when the text must go through Fastify's parser: possible
 * poisoning keys, and every parse error (empty body, BOM, bad JSON), which Fastify answers.
 */
export function parsePlainJson(text: string): unknown {
  if (mayHoldPoisonKeys(text)) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Replaces the `application/json` parser of `app` (call on the root instance, before the route
 * plugins, so every route gets it) and returns the lookup of a request's body text.
 */
export function installJsonParser(app: FastifyInstance): (request: FastifyRequest) => string | undefined {
  const bodyTextOf = new WeakMap<FastifyRequest, string>()
  const parseJson = app.getDefaultJsonParser(
    app.initialConfig.onProtoPoisoning ?? 'error',
    app.initialConfig.onConstructorPoisoning ?? 'error',
  )
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    // parseAs 'string' always hands over a string.
    const text = typeof body === 'string' ? body : body.toString('utf8')
    bodyTextOf.set(request, text)
    // The poisoning checks scan the whole text with two regular expressions (about 30 µs for a
    // 100-row body); a text that cannot hold such keys skips them. JSON text never parses to
    // `undefined`, so that value means "Fastify's parser decides".
    const parsed = parsePlainJson(text)
    if (parsed === undefined) parseJson(request, text, done)
    else done(null, parsed)
  })
  return (request) => bodyTextOf.get(request)
}
