/**
 * Question answering over a document collection (the `rag` section of the serve config), mounted
 * behind the prediction token.
 */
import type { FastifyInstance } from 'fastify'
import type { ServeContext } from '../context.js'

/**
 * Registers the RAG routes for `collection` on `app`. Loaded on demand: the vector store is only
 * needed by servers that answer questions. The routes read stored documents, so they are behind the
 * prediction token, checked (as for predict) before the body is read; the hook is scoped to them.
 */
export async function mountRag(app: FastifyInstance, ctx: ServeContext, collection: string): Promise<void> {
  const { ragRoutes } = await import('../../rag/index.js')
  await app.register(async (scope) => {
    scope.addHook('onRequest', ctx.auth.requireApi)
    await scope.register(ragRoutes, { collection, registry: ctx.metrics.registry })
  })
}
