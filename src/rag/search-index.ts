import { existsSync } from 'node:fs'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { RagBm25Index } from './bm25.js'
import { RagError } from './errors.js'
import { RagIvfIndex, type RagIvfParams } from './ivf.js'
import { ragTokenize } from './tokenize.js'
import type { RagChunk, RagFilter } from './types.js'
import { ragFilterMatches } from './vector-store.js'

/** Text that is indexed for a chunk: title and heading path give short chunks their context. */
export function ragIndexText(chunk: RagChunk): string {
  return `${chunk.title}\n${chunk.headingPath.join(' > ')}\n${chunk.text}`
}

/** One row to index: a chunk and, for the dense index, its vector. */
export interface RagIndexRow {
  readonly chunk: RagChunk
  readonly vector?: Float32Array | undefined
}

/** Dense index settings of a collection. */
export interface RagDenseIndexOptions extends Partial<RagIvfParams> {
  /** Lists scanned per query; recall rises with it. Default max(8, lists / 40). */
  readonly nprobe?: number
}

/** Above this share of tombstoned rows an update rebuilds the dense index from the live rows. */
const MAX_DELETED_SHARE = 0.25

/** Filtered queries that allow at most this many rows (or this share) scan them exactly. */
const EXACT_FILTER_ROWS = 20_000
const EXACT_FILTER_SHARE = 0.1

interface IndexMeta {
  format: 'keel-rag-index'
  formatVersion: 1
  /** The store's version and row count when the index was written. */
  key: string
  rows: number
  dense: boolean
}

/**
 * A collection's retrieval index, kept beside its store and derived from it: the chunks in row
 * order (a deleted row is `undefined`), a BM25 index over their text and, when the store can hand
 * back vectors, an inverted-file (IVF) index over them (ivf.ts). Rows are shared: row r is chunk
 * r, BM25 document r and dense row r. Saved as one folder replaced in a single rename, tagged with the store version it
 * was derived from, so a collection notices a stale or missing index and rebuilds it.
 */
export class RagSearchIndex {
  readonly byId: Map<string, number>
  private filterCache: { key: string; allowed: Uint8Array; count: number } | undefined

  private constructor(
    readonly chunks: (RagChunk | undefined)[],
    private lexicalIndex: RagBm25Index,
    private denseIndex: RagIvfIndex | undefined,
    private readonly denseOptions: RagDenseIndexOptions,
    public key: string,
  ) {
    this.byId = new Map()
    chunks.forEach((c, i) => {
      if (c !== undefined) this.byId.set(c.id, i)
    })
  }

  /**
   * Builds the index from rows (vectors may be absent: no dense index then). `tokens`, when given,
   * are the rows' `ragTokenize(ragIndexText(chunk))`, so an LSA fit that already tokenised every
   * chunk does not tokenise them again.
   */
  static build(
    rows: readonly RagIndexRow[],
    key: string,
    options: RagDenseIndexOptions = {},
    tokens?: readonly (readonly string[])[],
  ): RagSearchIndex {
    const chunks = rows.map((r) => r.chunk)
    const lexical = new RagBm25Index().build(tokens ?? chunks.map((c) => ragTokenize(ragIndexText(c))))
    const dims = rows[0]?.vector?.length ?? 0
    let dense: RagIvfIndex | undefined
    if (dims > 0 && rows.every((r) => r.vector !== undefined))
      dense = RagIvfIndex.build(
        rows.map((r) => r.vector as Float32Array),
        dims,
        options,
      )
    return new RagSearchIndex(chunks, lexical, dense, options, key)
  }

  /** Live chunks, in row order. */
  liveChunks(): RagChunk[] {
    return this.chunks.filter((c): c is RagChunk => c !== undefined)
  }

  /** Number of live chunks. */
  get size(): number {
    return this.byId.size
  }

  /** Whether dense queries are answered here (else by the store's own search). */
  get hasDense(): boolean {
    return this.denseIndex !== undefined
  }

  /** The dense (IVF) index, for benchmarks and tests. */
  get dense(): RagIvfIndex | undefined {
    return this.denseIndex
  }

  /** Removes every chunk of the sources (tombstones in the dense index; `append` compacts them). */
  deleteSources(sources: ReadonlySet<string>): void {
    if (sources.size === 0) return
    this.chunks.forEach((c, row) => {
      if (c !== undefined && sources.has(c.source)) {
        this.chunks[row] = undefined
        this.byId.delete(c.id)
        this.denseIndex?.markDeleted(row)
      }
    })
    this.filterCache = undefined
  }

  /**
   * Appends rows and rebuilds the BM25 postings over the live chunks (re-tokenising them: ingest
   * already costs O(collection) for the store write). Rebuilds the dense index instead of inserting when
   * tombstones pass a quarter of it.
   */
  append(rows: readonly RagIndexRow[]): void {
    const dense = this.denseIndex
    const dims = rows[0]?.vector?.length ?? dense?.dims ?? 0
    if (dense !== undefined && dense.dims !== dims && rows.length > 0)
      throw new RagError(
        'RAG_EMBEDDER_MISMATCH',
        `New chunks have ${dims}-dimensional vectors; the collection's index has ${dense.dims}.`,
      )
    const deletedShare = dense === undefined ? 0 : dense.deletedCount / Math.max(1, dense.size)
    if (this.size === 0 || (dense !== undefined && deletedShare > MAX_DELETED_SHARE)) {
      const live: RagIndexRow[] = []
      this.chunks.forEach((c, row) => {
        if (c !== undefined) live.push({ chunk: c, vector: dense && new Float32Array(dense.vector(row)) })
      })
      const rebuilt = RagSearchIndex.build([...live, ...rows], this.key, this.denseOptions)
      this.chunks.length = 0
      for (const c of rebuilt.chunks) this.chunks.push(c)
      this.lexicalIndex = rebuilt.lexicalIndex
      this.denseIndex = rebuilt.denseIndex
    } else {
      if (dense !== undefined) {
        dense.reserve(dense.size + rows.length)
        for (const r of rows) {
          if (r.vector === undefined)
            throw new RagError(
              'RAG_INVALID_ARGUMENT',
              `Chunk ${r.chunk.id} has no vector for the dense index.`,
            )
          dense.add(r.vector)
        }
        // Lists trained on a quarter of today's rows no longer split them evenly.
        if (dense.needsRetraining) dense.train()
      }
      for (const r of rows) this.chunks.push(r.chunk)
      this.lexicalIndex = new RagBm25Index().build(
        this.chunks.map((c) => (c === undefined ? [] : ragTokenize(ragIndexText(c)))),
      )
    }
    this.byId.clear()
    this.chunks.forEach((c, i) => {
      if (c !== undefined) this.byId.set(c.id, i)
    })
    this.filterCache = undefined
  }

  /** Rows passing a filter, as a byte mask, cached for the last filter seen. */
  private allowed(filter: RagFilter): { allowed: Uint8Array; count: number } {
    const key = JSON.stringify(filter)
    if (this.filterCache?.key === key) return this.filterCache
    const allowed = new Uint8Array(this.chunks.length)
    let count = 0
    this.chunks.forEach((c, row) => {
      if (c !== undefined && ragFilterMatches(c, filter)) {
        allowed[row] = 1
        count++
      }
    })
    this.filterCache = { key, allowed, count }
    return this.filterCache
  }

  /** BM25 top `k` rows for a query, best first. */
  lexical(query: string, k: number, filter?: RagFilter): number[] {
    const mask = filter === undefined ? undefined : this.allowed(filter).allowed
    return this.lexicalIndex
      .search(ragTokenize(query), k, mask === undefined ? undefined : (row) => mask[row] === 1)
      .map((s) => s.index)
  }

  /**
   * Dense top `k` rows with their cosine similarity, best first. A selective filter scans the
   * rows it allows exactly (probing lists would mostly meet rows it rejects); otherwise the probed
   * lists are scanned with the filter applied, and exactly when they hold fewer than `k` matches.
   */
  denseSearch(vector: Float32Array, k: number, filter?: RagFilter): { row: number; similarity: number }[] {
    const dense = this.denseIndex
    if (dense === undefined) return []
    const nprobe = this.denseOptions.nprobe ?? Math.max(8, Math.round(dense.listCount / 40))
    if (filter === undefined) return dense.search(vector, k, nprobe)
    const { allowed, count } = this.allowed(filter)
    if (count === 0) return []
    const accept = (row: number) => allowed[row] === 1
    if (count <= EXACT_FILTER_ROWS || count <= EXACT_FILTER_SHARE * dense.size)
      return dense.exactSearch(vector, k, accept)
    const hits = dense.search(vector, k, nprobe, accept)
    return hits.length >= Math.min(k, count) ? hits : dense.exactSearch(vector, k, accept)
  }

  /** Reads a saved index; undefined when there is none (never written, or lost mid-swap). */
  static async load(dir: string, options: RagDenseIndexOptions = {}): Promise<RagSearchIndex | undefined> {
    const metaPath = join(dir, 'meta.json')
    if (!existsSync(metaPath)) return undefined
    let meta: Partial<IndexMeta>
    let chunks: (RagChunk | null)[]
    try {
      meta = JSON.parse(await readFile(metaPath, 'utf8')) as Partial<IndexMeta>
      chunks = JSON.parse(await readFile(join(dir, 'chunks.json'), 'utf8')) as (RagChunk | null)[]
    } catch (error) {
      throw new RagError(
        'RAG_COLLECTION_CORRUPT',
        `Cannot read the retrieval index in ${dir}: ${(error as Error).message}. Delete that folder to rebuild it.`,
        { cause: error },
      )
    }
    if (meta.format !== 'keel-rag-index' || meta.formatVersion !== 1 || typeof meta.key !== 'string')
      return undefined
    const lexical = RagBm25Index.deserialize(await readFile(join(dir, 'lexical.bin')))
    const dense =
      meta.dense === true ? RagIvfIndex.deserialize(await readFile(join(dir, 'dense.bin'))) : undefined
    if (lexical.size !== chunks.length || (dense !== undefined && dense.size !== chunks.length))
      throw new RagError(
        'RAG_COLLECTION_CORRUPT',
        `The retrieval index in ${dir} has mismatched parts. Delete that folder to rebuild it.`,
      )
    return new RagSearchIndex(
      chunks.map((c) => c ?? undefined),
      lexical,
      dense,
      options,
      meta.key,
    )
  }

  /**
   * Writes the index into `dir`: every part into a sibling folder first, then one rename, so a
   * reader sees the old index, the new one, or none (and then rebuilds), never a mix.
   */
  async save(dir: string): Promise<void> {
    // A folder of its own per writer: two processes rebuilding a stale index at once do not mix.
    const next = `${dir}.next-${process.pid}-${Math.random().toString(36).slice(2, 10)}`
    await mkdir(next, { recursive: true })
    const meta: IndexMeta = {
      format: 'keel-rag-index',
      formatVersion: 1,
      key: this.key,
      rows: this.chunks.length,
      dense: this.denseIndex !== undefined,
    }
    await writeFile(join(next, 'chunks.json'), JSON.stringify(this.chunks.map((c) => c ?? null)))
    await writeFile(join(next, 'lexical.bin'), this.lexicalIndex.serialize())
    if (this.denseIndex !== undefined) await writeFile(join(next, 'dense.bin'), this.denseIndex.serialize())
    await writeFile(join(next, 'meta.json'), JSON.stringify(meta))
    await rm(dir, { recursive: true, force: true })
    try {
      await rename(next, dir)
    } catch (error) {
      // Another writer renamed its (equally current) index in between: keep theirs.
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error
      await rm(next, { recursive: true, force: true })
    }
  }
}
