/**
 * RAG: ingest documents (Markdown, text, HTML, PDF), chunk them along headings, retrieve with
 * BM25 + dense vectors fused by reciprocal rank fusion, and answer with citations (or an
 * extractive answer when no LLM is reachable).
 *
 * @example
 * ```ts
 * import { RagCollection, ragAsk } from 'keel-ml'
 * const docs = await RagCollection.open('docs', { create: true })
 * await docs.ingest(['examples/docs'])
 * const answer = await ragAsk(docs, 'How do I serve a model?', { k: 5 })
 * console.log(answer.answer, answer.citations.map((c) => c.source))
 * await docs.close()
 * ```
 */

export {
  buildRagPrompt,
  extractiveAnswer,
  type RagAnswer,
  type RagAskOptions,
  type RagCitation,
  ragAsk,
} from './answer.js'
export { RagBm25Index, type RagBm25Params, type RagScored } from './bm25.js'
export { chunkRagDocument, DEFAULT_CHUNK_OPTIONS, type RagChunkOptions } from './chunker.js'
export {
  DEFAULT_RAG_COLLECTION,
  RagCollection,
  type RagCollectionOptions,
  type RagIngestFileReport,
  type RagIngestReport,
  type RagSearchOptions,
  ragRoot,
  ragSourceName,
} from './collection.js'
export type { RagEmbedder, RagEmbedderSpec, RagEmbedPurpose } from './embedder.js'
export { RagError, type RagErrorCode } from './errors.js'
export {
  type RagEvalCase,
  type RagEvalReport,
  type RagModeMetrics,
  ragEvaluate,
  readRagEvalFile,
} from './eval.js'
export { reciprocalRankFusion } from './fusion.js'
export { DEFAULT_HNSW_PARAMS, type RagHnswHit, RagHnswIndex, type RagHnswParams } from './hnsw.js'
export { LanceRagStore, type LanceRagStoreOptions } from './lance-store.js'
export { openRagLlm, type RagLlmHandle } from './llm-setup.js'
export { loadRagDocument, parseRagDocument, ragDocKind } from './loaders.js'
export { RagLsaEmbedder, type RagLsaState } from './lsa-embedder.js'
export { RagOnnxEmbedder } from './onnx-embedder.js'
export { RagOpenAiEmbedder, type RagOpenAiEmbedderOptions } from './openai-embedder.js'
export { type RagRoutesOptions, ragRoutes } from './routes.js'
export { type RagDenseIndexOptions, type RagIndexRow, RagSearchIndex, ragIndexText } from './search-index.js'
export { type RagCsr, type RagTruncatedSvd, randomizedSvd } from './svd.js'
export { approxTokens, ragTokenize } from './tokenize.js'
export type {
  RagChunk,
  RagDocKind,
  RagDocument,
  RagFilter,
  RagHit,
  RagSearchMode,
  RagSection,
} from './types.js'
export {
  type RagNeighbour,
  type RagStoredChunk,
  type RagVectorStore,
  ragFilterMatches,
} from './vector-store.js'
