import type { RagChunk, RagFilter } from './types.js'

/** A chunk with its embedding, as stored. */
export interface RagStoredChunk {
  readonly chunk: RagChunk
  readonly vector: Float32Array
}

/** One nearest neighbour: chunk id and cosine distance (0 = same direction). */
export interface RagNeighbour {
  readonly id: string
  readonly distance: number
}

/**
 * Where a collection's chunks and vectors live. Small on purpose so that a server-based store
 * (Qdrant, PostgreSQL + pgvector) can implement it; `LanceRagStore` is the embedded default.
 */
export interface RagVectorStore {
  /** Adds chunks (ids must be new; replace a source with `deleteSources` first). */
  add(rows: readonly RagStoredChunk[]): Promise<void>
  /** Replaces everything (used when the embedder is refitted and every vector changes). */
  replaceAll(rows: readonly RagStoredChunk[], dimensions: number): Promise<void>
  deleteSources(sources: readonly string[]): Promise<void>
  /** The k nearest chunks by cosine distance among those passing `filter`. */
  search(vector: Float32Array, k: number, filter?: RagFilter): Promise<RagNeighbour[]>
  /** Every chunk without vectors (for the lexical index and the LSA refit). */
  chunks(): Promise<RagChunk[]>
  count(): Promise<number>
  close(): Promise<void>
  /**
   * Optional: a token that changes with every write. A collection stores it with its own index
   * and rebuilds the index when the store moved on without it (a crash between the two writes).
   * Without it the row count is the only check.
   */
  version?(): Promise<string>
  /**
   * Optional: every chunk with its vector. A store that has it gets Keel's HNSW index (rebuilt
   * from these rows when stale); one without it is searched through `search`.
   */
  chunksWithVectors?(): Promise<RagStoredChunk[]>
}

/** Whether a chunk passes a metadata filter (the JS twin of each store's native filter). */
export function ragFilterMatches(chunk: RagChunk, filter: RagFilter | undefined): boolean {
  if (filter === undefined) return true
  if (filter.source !== undefined) {
    const sources = typeof filter.source === 'string' ? [filter.source] : filter.source
    if (!sources.includes(chunk.source)) return false
  }
  if (filter.sourcePrefix !== undefined && !chunk.source.startsWith(filter.sourcePrefix)) return false
  if (filter.kind !== undefined && !filter.kind.includes(chunk.kind)) return false
  return true
}
