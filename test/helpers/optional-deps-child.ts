/**
 * Child of test/optional-deps.test.ts: uses each named feature that needs an optional peer
 * dependency and prints how each failed as JSON ({ [feature]: { code, package, message } }). Run with test/helpers/hide-packages.mjs
 * to make the package look uninstalled. Every target is unreachable (port 9), so with the package
 * present each feature fails with its own connection error instead.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AnthropicProvider,
  createLlmClient,
  DEFAULT_RETRY_POLICY,
  OpenAiProvider,
  RedisLlmCache,
} from '../../src/llm/index.js'
import { LanceRagStore, RagOpenAiEmbedder } from '../../src/rag/index.js'
import { openDb } from '../../src/store/index.js'

const DEAD = '127.0.0.1:9'
const request = { messages: [{ role: 'user' as const, content: 'hi' }], temperature: 0 }
const once = { ...DEFAULT_RETRY_POLICY, maxAttempts: 1, timeoutMs: 2000, deadlineMs: 3000 }

/** One use of each feature, by name. */
const FEATURES: Record<string, () => Promise<unknown>> = {
  'openai-provider': () =>
    new OpenAiProvider({ apiKey: 'k', model: 'm', baseUrl: `http://${DEAD}/v1` }).complete(request),
  'anthropic-provider': () =>
    new AnthropicProvider({ apiKey: 'k', model: 'm', baseUrl: `http://${DEAD}` }).complete(request),
  'llm-client': async () => {
    const client = createLlmClient(
      {
        provider: 'openai',
        model: 'm',
        apiKey: 'k',
        baseUrl: `http://${DEAD}/v1`,
        retry: once,
        maxConcurrency: 1,
        prices: {},
        cacheTtlMs: 1000,
      },
      { cache: null },
    )
    return client.complete(request)
  },
  'redis-cache': () => new RedisLlmCache(`redis://${DEAD}`).get('key'),
  postgres: () => openDb(`postgres://postgres@${DEAD}/test`),
  'openai-embedder': () =>
    new RagOpenAiEmbedder({ apiKey: 'k', model: 'm', baseUrl: `http://${DEAD}/v1`, retry: once }).embed([
      'a',
    ]),
  'lance-store': async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-lance-'))
    try {
      const store = await LanceRagStore.open(dir)
      // With LanceDB present: a real use, then a deliberate failure to report.
      await store.chunks()
      throw Object.assign(new Error('LanceDB opened'), { code: 'LANCE_OPENED' })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  },
}

/** How one feature failed. */
interface Outcome {
  readonly code: unknown
  readonly package: unknown
  readonly message: string
}

// Features run one after another in this process, as named on the command line.
const outcomes: Record<string, Outcome> = {}
for (const name of process.argv.slice(2)) {
  const feature = FEATURES[name]
  if (feature === undefined) throw new Error(`unknown feature '${name}'`)
  try {
    await feature()
    outcomes[name] = { code: 'NO_ERROR', package: null, message: '' }
  } catch (error) {
    const e = error as Error & { code?: unknown; details?: { package?: unknown } }
    outcomes[name] = { code: e.code ?? e.name, package: e.details?.package ?? null, message: e.message }
  }
}
process.stdout.write(JSON.stringify(outcomes))
// The Redis client and the SDKs' HTTP agents may keep the loop alive; the answer is written.
process.exit(0)
