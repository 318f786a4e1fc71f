import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { keelHome, sha256 } from '../core/index.js'
import { chunkRagDocument, DEFAULT_CHUNK_OPTIONS, type RagChunkOptions } from './chunker.js'
import type { RagEmbedder, RagEmbedderSpec } from './embedder.js'
import { RagError } from './errors.js'
import { reciprocalRankFusion } from './fusion.js'
import { LanceRagStore } from './lance-store.js'
import { expandRagInputs, loadRagDocument, type RagSkippedInput, ragDocKind } from './loaders.js'
import { RagLsaEmbedder } from './lsa-embedder.js'
import { RagOnnxEmbedder } from './onnx-embedder.js'
import { RagOpenAiEmbedder } from './openai-embedder.js'
import { type RagDenseIndexOptions, type RagIndexRow, RagSearchIndex, ragIndexText } from './search-index.js'
import type { RagChunk, RagDocKind, RagFilter, RagHit, RagSearchMode } from './types.js'
import type { RagStoredChunk, RagVectorStore } from './vector-store.js'

/** Default collection name. */
export const DEFAULT_RAG_COLLECTION = 'default'

/** Options for opening a collection. */
export interface RagCollectionOptions {
  /** Folder holding all collections (default `$KEEL_HOME/rag`, i.e. `.keel/rag`). */
  readonly root?: string
  /** Embedder for a new collection (default LSA, 128 dimensions, seed 42). Existing collections keep theirs. */
  readonly embedder?: RagEmbedderSpec
  readonly chunking?: RagChunkOptions
  /** Store factory (default LanceDB in the collection folder). */
  readonly openStore?: (dir: string) => Promise<RagVectorStore>
  /** Environment for embedder credentials (default process.env). */
  readonly env?: NodeJS.ProcessEnv
  /** HNSW settings: construction ones apply when the index is (re)built, `efSearch` per query. */
  readonly denseIndex?: RagDenseIndexOptions
}

/** What happened to one input file during ingest. */
export interface RagIngestFileReport {
  readonly source: string
  readonly status: 'added' | 'updated' | 'unchanged' | 'failed'
  readonly chunks: number
  readonly error?: string
}

/** Result of `RagCollection.ingest`. */
export interface RagIngestReport {
  readonly collection: string
  readonly files: readonly RagIngestFileReport[]
  readonly chunksAdded: number
  readonly chunksTotal: number
  readonly embedder: string
  readonly elapsedMs: number
  /** Entries under the input folders that were not read (symbolic links outside the folder, …). */
  readonly skipped: readonly RagSkippedInput[]
  /** Where the time went: reading and chunking, embedding (LSA fit), the store write, the index. */
  readonly stagesMs: {
    readonly load: number
    readonly embed: number
    readonly store: number
    readonly index: number
  }
}

/** Search options. */
export interface RagSearchOptions {
  readonly k?: number
  readonly mode?: RagSearchMode
  readonly filter?: RagFilter
  /** How many candidates each list contributes to fusion (default max(50, 4k)). */
  readonly candidates?: number
}

interface ManifestFile {
  hash: string
  kind: RagDocKind
  title: string
  chunks: number
  ingestedAt: string
}

interface Manifest {
  format: 'keel-rag-collection'
  formatVersion: 1
  name: string
  embedder: RagEmbedderSpec
  embedderId: string
  dimensions: number
  chunking: RagChunkOptions
  files: Record<string, ManifestFile>
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** The directory that holds all collections. */
export function ragRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(keelHome(env), 'rag')
}

/** Source name for a file: relative to the working directory when inside it, `/` separators. */
export function ragSourceName(path: string, cwd: string = process.cwd()): string {
  const abs = resolve(cwd, path)
  const rel = relative(cwd, abs)
  const name = rel.startsWith('..') || rel === '' ? abs : rel
  return name.split(sep).join('/')
}

/**
 * A named document collection: a manifest (files and their hashes, embedder, chunking), the
 * vector store (the chunks and vectors of record), for LSA the fitted model, and the retrieval
 * index derived from the store (`index/`: BM25 postings and an HNSW graph), written at ingest and
 * read on open; it is rebuilt from the store when missing or behind it.
 */
export class RagCollection {
  private index: RagSearchIndex | undefined
  private stages = { load: 0, embed: 0, store: 0, index: 0 }
  private embedderInstance: RagEmbedder | undefined

  private constructor(
    readonly name: string,
    readonly dir: string,
    private manifest: Manifest,
    private readonly store: RagVectorStore,
    private readonly env: NodeJS.ProcessEnv,
    private readonly denseOptions: RagDenseIndexOptions,
  ) {}

  /**
   * Opens a collection, creating it when `create` is true.
   * @throws RagError RAG_COLLECTION_NOT_FOUND when it does not exist and `create` is false.
   */
  static async open(
    name: string,
    options: RagCollectionOptions & { create?: boolean } = {},
  ): Promise<RagCollection> {
    if (!NAME.test(name))
      throw new RagError(
        'RAG_INVALID_ARGUMENT',
        `Invalid collection name '${name}': use letters, digits, '-' and '_' (max 64).`,
      )
    const env = options.env ?? process.env
    const root = options.root ?? ragRoot(env)
    const dir = join(root, name)
    const manifestPath = join(dir, 'manifest.json')
    let manifest: Manifest
    if (existsSync(manifestPath)) {
      manifest = await readManifest(manifestPath)
    } else {
      if (options.create !== true) {
        const known = existsSync(root)
          ? (await readdir(root)).filter((d) => existsSync(join(root, d, 'manifest.json')))
          : []
        throw new RagError(
          'RAG_COLLECTION_NOT_FOUND',
          `No RAG collection '${name}' under ${root}${known.length > 0 ? ` (found: ${known.join(', ')})` : ''}. Run 'keel rag ingest DIR --collection ${name}' first.`,
          { details: { collection: name, root } },
        )
      }
      await mkdir(dir, { recursive: true })
      manifest = {
        format: 'keel-rag-collection',
        formatVersion: 1,
        name,
        embedder: options.embedder ?? { kind: 'lsa', dimensions: 128, seed: 42 },
        embedderId: '',
        dimensions: 0,
        chunking: options.chunking ?? DEFAULT_CHUNK_OPTIONS,
        files: {},
      }
    }
    const store = await (options.openStore ?? ((d: string) => LanceRagStore.open(d)))(join(dir, 'vectors'))
    return new RagCollection(name, dir, manifest, store, env, options.denseIndex ?? {})
  }

  /** Files in the collection with their hashes and chunk counts. */
  get files(): Readonly<Record<string, Readonly<ManifestFile>>> {
    return this.manifest.files
  }

  /** The embedder spec this collection was built with. */
  get embedderSpec(): RagEmbedderSpec {
    return this.manifest.embedder
  }

  /** Number of stored chunks. */
  count(): Promise<number> {
    return this.store.count()
  }

  /**
   * Ingests files and folders (recursively; by extension: .md .markdown .mdx .txt .html .htm .pdf).
   * Unchanged files (same SHA-256) are skipped; a changed file's chunks are replaced. A file that
   * fails to parse is reported and the rest still ingested.
   * @throws RagError RAG_INPUT_NOT_FOUND when a path does not exist.
   */
  async ingest(
    paths: readonly string[],
    onFile?: (report: RagIngestFileReport) => void,
  ): Promise<RagIngestReport> {
    const started = performance.now()
    this.stages = { load: 0, embed: 0, store: 0, index: 0 }
    const { files, skipped } = await expandRagInputs(paths)
    const reports: RagIngestFileReport[] = []
    const fresh: RagChunk[] = []
    const changedSources: string[] = []
    const nextFiles: Record<string, ManifestFile> = { ...this.manifest.files }
    for (const file of files) {
      const source = ragSourceName(file.path)
      try {
        // The resolved path, checked by expandRagInputs to be inside its input folder.
        const bytes = await readFile(file.realPath)
        const hash = sha256(bytes)
        const previous = this.manifest.files[source]
        if (previous !== undefined && previous.hash === hash) {
          const report = { source, status: 'unchanged' as const, chunks: previous.chunks }
          reports.push(report)
          onFile?.(report)
          continue
        }
        const doc = await loadRagDocument(
          file.realPath,
          source,
          ragDocKind(file.path) ?? ragDocKind(file.realPath),
        )
        const chunks = chunkRagDocument(doc, this.manifest.chunking)
        fresh.push(...chunks)
        if (previous !== undefined) changedSources.push(source)
        nextFiles[source] = {
          hash,
          kind: doc.kind,
          title: doc.title,
          chunks: chunks.length,
          ingestedAt: new Date().toISOString(),
        }
        const report = {
          source,
          status: previous === undefined ? ('added' as const) : ('updated' as const),
          chunks: chunks.length,
        }
        reports.push(report)
        onFile?.(report)
      } catch (error) {
        const report = { source, status: 'failed' as const, chunks: 0, error: (error as Error).message }
        reports.push(report)
        onFile?.(report)
      }
    }
    this.stages.load = performance.now() - started
    if (fresh.length > 0 || changedSources.length > 0) {
      await this.write(fresh, changedSources)
      this.manifest = { ...this.manifest, files: nextFiles }
      await this.saveManifest()
    }
    return {
      collection: this.name,
      files: reports,
      chunksAdded: fresh.length,
      chunksTotal: await this.store.count(),
      embedder: this.manifest.embedderId,
      elapsedMs: performance.now() - started,
      skipped,
      stagesMs: { ...this.stages },
    }
  }

  private async write(fresh: readonly RagChunk[], changedSources: readonly string[]): Promise<void> {
    const spec = this.manifest.embedder
    const changed = new Set(changedSources)
    if (spec.kind === 'lsa') {
      // LSA's space depends on the whole collection: refit on every chunk and rewrite all vectors.
      let t = performance.now()
      const kept = (await this.existingChunks()).filter((c) => !changed.has(c.source))
      kept.sort(bySourceOrdinal)
      const all = [...kept, ...fresh]
      const {
        embedder: lsa,
        vectors,
        tokens,
      } = RagLsaEmbedder.fitTransform(all.map(ragIndexText), {
        dimensions: spec.dimensions,
        seed: spec.seed,
      })
      await lsa.save(join(this.dir, 'lsa.json'), join(this.dir, 'lsa.bin'))
      this.stages.embed += performance.now() - t
      t = performance.now()
      const rows: RagStoredChunk[] = all.map((chunk, i) => ({ chunk, vector: vectors[i] as Float32Array }))
      await this.store.replaceAll(rows, lsa.dimensions)
      this.stages.store += performance.now() - t
      t = performance.now()
      this.embedderInstance = lsa
      this.manifest = { ...this.manifest, embedderId: lsa.id, dimensions: lsa.dimensions }
      const dense = this.store.chunksWithVectors !== undefined
      this.index = RagSearchIndex.build(
        dense ? rows : rows.map((r) => ({ chunk: r.chunk })),
        await this.storeKey(),
        this.denseOptions,
        tokens,
      )
      await this.index.save(this.indexDir())
      this.stages.index += performance.now() - t
      return
    }
    let t = performance.now()
    const embedder = await this.embedder()
    const vectors = await embedder.embed(fresh.map(ragIndexText), 'document')
    this.stages.embed += performance.now() - t
    // The index as of the store's current state, updated in step with it below.
    const index = await this.searchIndex()
    t = performance.now()
    await this.store.deleteSources(changedSources)
    const rows = fresh.map((chunk, i) => ({ chunk, vector: vectors[i] as Float32Array }))
    await this.store.add(rows)
    this.stages.store += performance.now() - t
    t = performance.now()
    this.manifest = { ...this.manifest, embedderId: embedder.id, dimensions: embedder.dimensions }
    index.deleteSources(changed)
    index.append(this.store.chunksWithVectors !== undefined ? rows : rows.map((r) => ({ chunk: r.chunk })))
    index.key = await this.storeKey()
    await index.save(this.indexDir())
    this.stages.index += performance.now() - t
  }

  private indexDir(): string {
    return join(this.dir, 'index')
  }

  /** What the index records about the store it was derived from: its version and row count. */
  private async storeKey(): Promise<string> {
    const version = this.store.version === undefined ? 'unversioned' : await this.store.version()
    return `${version}:${await this.store.count()}`
  }

  /** The saved index when it matches the store, else undefined. */
  private async freshSavedIndex(): Promise<RagSearchIndex | undefined> {
    const saved = await RagSearchIndex.load(this.indexDir(), this.denseOptions)
    return saved !== undefined && saved.key === (await this.storeKey()) ? saved : undefined
  }

  /** Every stored chunk: from the index when it is current, else read from the store. */
  private async existingChunks(): Promise<RagChunk[]> {
    this.index ??= await this.freshSavedIndex()
    return this.index !== undefined ? this.index.liveChunks() : this.store.chunks()
  }

  /**
   * The retrieval index: in memory, else the saved one, else (missing, or behind the store after
   * an interrupted write) rebuilt from the store and saved.
   */
  private async searchIndex(): Promise<RagSearchIndex> {
    this.index ??= await this.freshSavedIndex()
    if (this.index !== undefined) return this.index
    const key = await this.storeKey()
    const rows: RagIndexRow[] =
      this.store.chunksWithVectors !== undefined
        ? await this.store.chunksWithVectors()
        : (await this.store.chunks()).map((chunk) => ({ chunk }))
    rows.sort((a, b) => bySourceOrdinal(a.chunk, b.chunk))
    const index = RagSearchIndex.build(rows, key, this.denseOptions)
    await index.save(this.indexDir())
    this.index = index
    return index
  }

  /** The collection's embedder (loaded or connected on first use). */
  async embedder(): Promise<RagEmbedder> {
    if (this.embedderInstance !== undefined) return this.embedderInstance
    const spec = this.manifest.embedder
    switch (spec.kind) {
      case 'lsa':
        this.embedderInstance = await RagLsaEmbedder.load(
          join(this.dir, 'lsa.json'),
          join(this.dir, 'lsa.bin'),
        )
        break
      case 'openai': {
        const apiKey =
          this.env.KEEL_EMBED_API_KEY ??
          this.env.OPENAI_API_KEY ??
          (spec.baseUrl !== undefined ? 'unused' : undefined)
        if (apiKey === undefined)
          throw new RagError(
            'RAG_EMBEDDER_UNAVAILABLE',
            `Collection '${this.name}' embeds with OpenAI (${spec.model}); set OPENAI_API_KEY or KEEL_EMBED_API_KEY.`,
          )
        this.embedderInstance = new RagOpenAiEmbedder({
          model: spec.model,
          apiKey,
          baseUrl: spec.baseUrl,
          ...(this.manifest.dimensions > 0 ? { dimensions: this.manifest.dimensions } : {}),
        })
        break
      }
      case 'onnx':
        this.embedderInstance = await RagOnnxEmbedder.load(spec.path)
        break
    }
    const embedder = this.embedderInstance as RagEmbedder
    if (this.manifest.embedderId !== '' && spec.kind !== 'openai' && embedder.id !== this.manifest.embedderId)
      throw new RagError(
        'RAG_EMBEDDER_MISMATCH',
        `Collection '${this.name}' was embedded with ${this.manifest.embedderId} but ${embedder.id} was loaded. Re-ingest the collection.`,
      )
    return embedder
  }

  /** The retrieval index (loaded or rebuilt on first use). @internal for benchmarks and tests. */
  retrievalIndex(): Promise<RagSearchIndex> {
    return this.searchIndex()
  }

  /** Lexical (BM25), dense (vector) or hybrid (both, fused by RRF) search. Best first. */
  async search(query: string, options: RagSearchOptions = {}): Promise<RagHit[]> {
    const k = options.k ?? 5
    if (!Number.isInteger(k) || k < 1 || k > 1000)
      throw new RagError('RAG_INVALID_ARGUMENT', `k must be an integer in [1, 1000], got ${k}.`)
    const mode = options.mode ?? 'hybrid'
    const candidates = options.candidates ?? Math.max(50, 4 * k)
    const index = await this.searchIndex()
    const filter = options.filter
    const idOf = (row: number) => (index.chunks[row] as RagChunk).id
    const lexicalIds =
      mode === 'dense' ? [] : index.lexical(query, mode === 'lexical' ? k : candidates, filter).map(idOf)
    let denseIds: string[] = []
    let denseWeight = 1
    if (mode !== 'lexical' && index.size > 0) {
      const embedder = await this.embedder()
      let vector: Float32Array
      if (embedder instanceof RagLsaEmbedder) {
        const embedded = embedder.embedWithCoverage(query)
        vector = embedded.vector
        denseWeight = lsaFusionWeight(embedded.coverage, embedder.state.medianCoverage)
      } else [vector] = (await embedder.embed([query], 'query')) as [Float32Array]
      const n = mode === 'dense' ? k : candidates
      denseIds = index.hasDense
        ? index
            .denseSearch(vector, n, filter)
            .filter((h) => h.similarity > 0.001)
            .map((h) => idOf(h.row))
        : (await this.store.search(vector, n, filter)).filter((h) => h.distance < 0.999).map((h) => h.id)
    }
    const lexicalRank = new Map(lexicalIds.map((id, i) => [id, i + 1]))
    const denseRank = new Map(denseIds.map((id, i) => [id, i + 1]))
    const fused =
      mode === 'lexical'
        ? lexicalIds.map((id, i) => ({ id, score: 1 / (i + 1) }))
        : mode === 'dense'
          ? denseIds.map((id, i) => ({ id, score: 1 / (i + 1) }))
          : reciprocalRankFusion([lexicalIds, denseIds], 60, [1, denseWeight])
    const hits: RagHit[] = []
    for (const { id, score } of fused.slice(0, k)) {
      const row = index.byId.get(id)
      const chunk = row === undefined ? undefined : index.chunks[row]
      if (chunk === undefined) continue
      hits.push({
        chunk,
        score,
        ...(lexicalRank.has(id) ? { lexicalRank: lexicalRank.get(id) as number } : {}),
        ...(denseRank.has(id) ? { denseRank: denseRank.get(id) as number } : {}),
      })
    }
    return hits
  }

  /** Deletes the collection's folder. */
  async drop(): Promise<void> {
    await this.store.close()
    await rm(this.dir, { recursive: true, force: true })
  }

  async close(): Promise<void> {
    await this.store.close()
  }

  private async saveManifest(): Promise<void> {
    const path = join(this.dir, 'manifest.json')
    await writeFile(`${path}.tmp`, JSON.stringify(this.manifest, null, 2))
    await rename(`${path}.tmp`, path)
  }
}

function bySourceOrdinal(a: RagChunk, b: RagChunk): number {
  return a.source < b.source ? -1 : a.source > b.source ? 1 : a.ordinal - b.ordinal
}

/**
 * The dense list's weight in hybrid fusion for an LSA query: how much of the query the LSA space
 * represents, relative to the collection's typical chunk, squared so that the vote fades fast.
 * When a large unrelated bulk of the collection claims the space's dimensions, the query's
 * projection keeps almost nothing (measured on the sample corpus plus 48k distractor chunks:
 * question coverage 0.0005-0.04 against a chunk median of 0.44; without distractors 0.40-0.79
 * against 0.98), and its dense ranking is noise that RRF would otherwise count as much as BM25's.
 * Models saved before the median was recorded keep the unweighted fusion.
 */
function lsaFusionWeight(coverage: number, medianCoverage: number | undefined): number {
  if (medianCoverage === undefined || medianCoverage <= 0) return 1
  return Math.min(1, (coverage / medianCoverage / 0.5) ** 2)
}

async function readManifest(path: string): Promise<Manifest> {
  let value: unknown
  try {
    value = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new RagError(
      'RAG_COLLECTION_CORRUPT',
      `Cannot read ${path}: ${(error as Error).message}. Delete the collection folder and re-ingest.`,
      { cause: error },
    )
  }
  const m = value as Partial<Manifest> | null
  if (m === null || m.format !== 'keel-rag-collection')
    throw new RagError('RAG_COLLECTION_CORRUPT', `${path} is not a Keel RAG collection manifest.`)
  if (m.formatVersion !== 1)
    throw new RagError(
      'RAG_COLLECTION_CORRUPT',
      `${path} has formatVersion ${String(m.formatVersion)}; this Keel reads version 1.`,
    )
  if (typeof m.files !== 'object' || m.embedder === undefined || m.chunking === undefined)
    throw new RagError('RAG_COLLECTION_CORRUPT', `${path} lacks files/embedder/chunking.`)
  return m as Manifest
}
