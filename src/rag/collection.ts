import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { keelHome, sha256 } from '../core/index.js'
import { RagBm25Index } from './bm25.js'
import { chunkRagDocument, DEFAULT_CHUNK_OPTIONS, type RagChunkOptions } from './chunker.js'
import type { RagEmbedder, RagEmbedderSpec } from './embedder.js'
import { RagError } from './errors.js'
import { reciprocalRankFusion } from './fusion.js'
import { LanceRagStore } from './lance-store.js'
import { expandRagInputs, loadRagDocument, type RagSkippedInput, ragDocKind } from './loaders.js'
import { RagLsaEmbedder } from './lsa-embedder.js'
import { RagOnnxEmbedder } from './onnx-embedder.js'
import { RagOpenAiEmbedder } from './openai-embedder.js'
import { ragTokenize } from './tokenize.js'
import type { RagChunk, RagDocKind, RagFilter, RagHit, RagSearchMode } from './types.js'
import { type RagStoredChunk, type RagVectorStore, ragFilterMatches } from './vector-store.js'

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
 * vector store, and for LSA the fitted model. Lexical search uses an in-memory BM25 index built
 * from the stored chunks on first use.
 */
export class RagCollection {
  private lexical: { index: RagBm25Index; chunks: RagChunk[]; byId: Map<string, RagChunk> } | undefined
  private embedderInstance: RagEmbedder | undefined

  private constructor(
    readonly name: string,
    readonly dir: string,
    private manifest: Manifest,
    private readonly store: RagVectorStore,
    private readonly env: NodeJS.ProcessEnv,
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
    return new RagCollection(name, dir, manifest, store, env)
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
    if (fresh.length > 0 || changedSources.length > 0) {
      await this.write(fresh, changedSources)
      this.manifest = { ...this.manifest, files: nextFiles }
      await this.saveManifest()
      this.lexical = undefined
    }
    return {
      collection: this.name,
      files: reports,
      chunksAdded: fresh.length,
      chunksTotal: await this.store.count(),
      embedder: this.manifest.embedderId,
      elapsedMs: performance.now() - started,
      skipped,
    }
  }

  private async write(fresh: readonly RagChunk[], changedSources: readonly string[]): Promise<void> {
    const spec = this.manifest.embedder
    if (spec.kind === 'lsa') {
      // LSA's space depends on the whole collection: refit on every chunk and rewrite all vectors.
      const changed = new Set(changedSources)
      const kept = (await this.store.chunks()).filter((c) => !changed.has(c.source))
      kept.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.ordinal - b.ordinal))
      const all = [...kept, ...fresh]
      const { embedder: lsa, vectors } = RagLsaEmbedder.fitTransform(all.map(indexText), {
        dimensions: spec.dimensions,
        seed: spec.seed,
      })
      await lsa.save(join(this.dir, 'lsa.json'), join(this.dir, 'lsa.bin'))
      const rows: RagStoredChunk[] = all.map((chunk, i) => ({ chunk, vector: vectors[i] as Float32Array }))
      await this.store.replaceAll(rows, lsa.dimensions)
      this.embedderInstance = lsa
      this.manifest = { ...this.manifest, embedderId: lsa.id, dimensions: lsa.dimensions }
      return
    }
    const embedder = await this.embedder()
    const vectors = await embedder.embed(fresh.map(indexText), 'document')
    await this.store.deleteSources(changedSources)
    await this.store.add(fresh.map((chunk, i) => ({ chunk, vector: vectors[i] as Float32Array })))
    this.manifest = { ...this.manifest, embedderId: embedder.id, dimensions: embedder.dimensions }
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

  private async lexicalIndex() {
    if (this.lexical === undefined) {
      const chunks = await this.store.chunks()
      chunks.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.ordinal - b.ordinal))
      const index = new RagBm25Index().build(chunks.map((c) => ragTokenize(indexText(c))))
      this.lexical = { index, chunks, byId: new Map(chunks.map((c) => [c.id, c])) }
    }
    return this.lexical
  }

  /** Lexical (BM25), dense (vector) or hybrid (both, fused by RRF) search. Best first. */
  async search(query: string, options: RagSearchOptions = {}): Promise<RagHit[]> {
    const k = options.k ?? 5
    if (!Number.isInteger(k) || k < 1 || k > 1000)
      throw new RagError('RAG_INVALID_ARGUMENT', `k must be an integer in [1, 1000], got ${k}.`)
    const mode = options.mode ?? 'hybrid'
    const candidates = options.candidates ?? Math.max(50, 4 * k)
    const lex = await this.lexicalIndex()
    const filter = options.filter
    const lexicalIds =
      mode === 'dense'
        ? []
        : lex.index
            .search(
              ragTokenize(query),
              mode === 'lexical' ? k : candidates,
              filter === undefined ? undefined : (i) => ragFilterMatches(lex.chunks[i] as RagChunk, filter),
            )
            .map((s) => (lex.chunks[s.index] as RagChunk).id)
    let denseIds: string[] = []
    if (mode !== 'lexical' && lex.chunks.length > 0) {
      const embedder = await this.embedder()
      const [vector] = await embedder.embed([query], 'query')
      const neighbours = await this.store.search(
        vector as Float32Array,
        mode === 'dense' ? k : candidates,
        filter,
      )
      denseIds = neighbours.filter((n) => n.distance < 0.999).map((n) => n.id)
    }
    const lexicalRank = new Map(lexicalIds.map((id, i) => [id, i + 1]))
    const denseRank = new Map(denseIds.map((id, i) => [id, i + 1]))
    const fused =
      mode === 'lexical'
        ? lexicalIds.map((id, i) => ({ id, score: 1 / (i + 1) }))
        : mode === 'dense'
          ? denseIds.map((id, i) => ({ id, score: 1 / (i + 1) }))
          : reciprocalRankFusion([lexicalIds, denseIds])
    const hits: RagHit[] = []
    for (const { id, score } of fused.slice(0, k)) {
      const chunk = lex.byId.get(id)
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

/** Text that is indexed for a chunk: title and heading path give short chunks their context. */
function indexText(chunk: RagChunk): string {
  return `${chunk.title}\n${chunk.headingPath.join(' > ')}\n${chunk.text}`
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
