import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { type AppError, isAppError, redactPaths } from '../core/index.js'
import type { LlmProvider } from '../llm/index.js'
import { ragAsk } from './answer.js'
import { DEFAULT_RAG_COLLECTION, RagCollection } from './collection.js'
import { openRagLlm } from './llm-setup.js'
import type { RagDocKind, RagFilter, RagSearchMode } from './types.js'

/** Options of the `ragRoutes` Fastify plugin. */
export interface RagRoutesOptions {
  /** Collection used when the request names none (default 'default'). */
  readonly collection?: string
  /** Folder of collections (default `$KEEL_HOME/rag`). */
  readonly root?: string
  /** LLM to answer with; `null` forces extractive answers; undefined builds one from the environment. */
  readonly llm?: LlmProvider | null
  /** Registry for the LLM metrics when the client is built from the environment. */
  readonly registry?: Registry
}

interface QueryBody {
  question: string
  k?: number
  collection?: string
  mode?: RagSearchMode
  filter?: { source?: string[]; sourcePrefix?: string; kind?: RagDocKind[] }
}

const QUERY_SCHEMA = {
  body: {
    type: 'object',
    required: ['question'],
    additionalProperties: false,
    properties: {
      question: { type: 'string', minLength: 1, maxLength: 4000 },
      k: { type: 'integer', minimum: 1, maximum: 50, default: 5 },
      collection: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
      mode: { type: 'string', enum: ['lexical', 'dense', 'hybrid'] },
      filter: {
        type: 'object',
        additionalProperties: false,
        properties: {
          source: { type: 'array', items: { type: 'string' }, maxItems: 100 },
          sourcePrefix: { type: 'string' },
          kind: { type: 'array', items: { type: 'string', enum: ['markdown', 'text', 'html', 'pdf'] } },
        },
      },
    },
  },
} as const

const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  RAG_COLLECTION_NOT_FOUND: 404,
  RAG_INVALID_ARGUMENT: 400,
  RAG_EMBEDDER_UNAVAILABLE: 503,
  RAG_EMBEDDER_MISMATCH: 409,
  RAG_COLLECTION_CORRUPT: 500,
}

/**
 * The body a client gets for a RAG error it can act on. Messages and details are written for local
 * CLI users (the not-found message names the folder of collections): here the message is the
 * route's own for an unknown collection, paths are redacted from the rest, and details keep only
 * the collection name.
 */
function clientError(
  error: AppError,
  collection: string,
): { code: string; message: string; details: Record<string, unknown> } {
  if (error.code === 'RAG_COLLECTION_NOT_FOUND')
    return {
      code: error.code,
      message: `No RAG collection '${collection}' on this server; ingest it first with 'keel rag ingest DIR --collection ${collection}'.`,
      details: { collection },
    }
  return { code: error.code, message: redactPaths(error.message), details: { collection } }
}

/**
 * Fastify plugin: `POST /v1/rag/query` with `{question, k?, collection?, mode?, filter?}` returns a
 * `RagAnswer` (LLM answer with citations, or the extractive fallback). Register with
 * `app.register(ragRoutes, { collection: 'docs' })`. The plugin has no access control of its own:
 * the app registering it adds it (`createServer` puts it behind the prediction token).
 */
export const ragRoutes: FastifyPluginAsync<RagRoutesOptions> = async (app, options) => {
  const collections = new Map<string, Promise<RagCollection>>()
  const root = options.root
  let llm: LlmProvider | undefined = options.llm ?? undefined
  let closeLlm: (() => Promise<void>) | undefined
  if (options.llm === undefined) {
    const handle = await openRagLlm(process.env, options.registry)
    llm = handle.llm
    closeLlm = () => handle.close()
  }
  const open = (name: string) => {
    let pending = collections.get(name)
    if (pending === undefined) {
      pending = RagCollection.open(name, root === undefined ? {} : { root })
      collections.set(name, pending)
      // A failed open (collection not ingested yet) must not be cached forever.
      pending.catch(() => collections.delete(name))
    }
    return pending
  }
  app.addHook('onClose', async () => {
    for (const pending of collections.values()) await (await pending.catch(() => undefined))?.close()
    await closeLlm?.()
  })
  app.post<{ Body: QueryBody }>('/v1/rag/query', { schema: QUERY_SCHEMA }, async (request, reply) => {
    const body = request.body
    const filter: RagFilter = {
      ...(body.filter?.source === undefined ? {} : { source: body.filter.source }),
      ...(body.filter?.sourcePrefix === undefined ? {} : { sourcePrefix: body.filter.sourcePrefix }),
      ...(body.filter?.kind === undefined ? {} : { kind: body.filter.kind }),
    }
    const name = body.collection ?? options.collection ?? DEFAULT_RAG_COLLECTION
    try {
      const collection = await open(name)
      return await ragAsk(collection, body.question, {
        k: body.k ?? 5,
        ...(body.mode === undefined ? {} : { mode: body.mode }),
        ...(Object.keys(filter).length === 0 ? {} : { filter }),
        llm,
      })
    } catch (error) {
      if (isAppError(error)) {
        const status = STATUS_BY_CODE[error.code] ?? 500
        request.log.warn({ err: error }, 'rag query failed')
        return reply
          .code(status)
          .send(
            status === 500
              ? { code: 'INTERNAL', message: 'RAG query failed.', requestId: request.id }
              : { ...clientError(error, name), requestId: request.id },
          )
      }
      request.log.error({ err: error }, 'rag query failed unexpectedly')
      return reply.code(500).send({ code: 'INTERNAL', message: 'RAG query failed.', requestId: request.id })
    }
  })
}
