import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'
import { z } from 'zod'
import { type AppError, isAppError, redactPaths } from '../core/index.js'
import { jsonSchemaOf, statusForCode } from '../http/index.js'
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

/** Body of `POST /v1/rag/query`: the request validator, the handler's type and the OpenAPI document. */
const queryBody = z.strictObject({
  question: z.string().min(1).max(4000),
  k: z.int().min(1).max(50).default(5),
  collection: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/)
    .optional(),
  mode: z.enum(['lexical', 'dense', 'hybrid'] satisfies RagSearchMode[]).optional(),
  filter: z
    .strictObject({
      source: z.array(z.string()).max(100).optional(),
      sourcePrefix: z.string().optional(),
      kind: z.array(z.enum(['markdown', 'text', 'html', 'pdf'] satisfies RagDocKind[])).optional(),
    })
    .optional(),
})
type QueryBody = z.output<typeof queryBody>

const QUERY_SCHEMA = { body: jsonSchemaOf(queryBody) }

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
        // The status comes from the shared table (src/http/errors.ts), RAG codes only: any other
        // AppError reaching here (an LLM or core error) is this server's failure, answered 500. The
        // body keeps this route's own flat shape `{code, message, details, requestId}`.
        const status = error.code.startsWith('RAG_') ? statusForCode(error.code) : 500
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
