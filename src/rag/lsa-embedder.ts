import { readFile, writeFile } from 'node:fs/promises'
import { normalize, type RagEmbedder } from './embedder.js'
import { RagError } from './errors.js'
import { type RagCsr, randomizedSvd } from './svd.js'
import { ragTokenize } from './tokenize.js'

/** Fitted LSA state: vocabulary, IDF weights and the term → concept projection. */
export interface RagLsaState {
  readonly vocabulary: readonly string[]
  readonly idf: Float32Array
  /** vocabulary.length × dimensions, row-major. */
  readonly components: Float32Array
  readonly dimensions: number
  readonly seed: number
  /**
   * Median coverage (see `embedWithCoverage`) of the texts the model was fitted on; absent in
   * models saved before it was recorded.
   */
  readonly medianCoverage?: number
}

/**
 * Latent semantic analysis embedder: TF-IDF (sublinear tf, smoothed idf, terms in at least
 * `minDf` documents) projected onto the top singular vectors of the collection's term matrix.
 * Needs no download; it is fitted on the collection at ingest time and saved beside it.
 */
export class RagLsaEmbedder implements RagEmbedder {
  readonly id: string
  readonly dimensions: number
  private readonly termIndex: Map<string, number>

  constructor(readonly state: RagLsaState) {
    this.dimensions = state.dimensions
    this.id = `lsa:${state.dimensions}:${state.seed}`
    this.termIndex = new Map(state.vocabulary.map((t, i) => [t, i]))
  }

  /**
   * Fits on the collection's texts.
   * @param dimensions target rank (capped by the number of texts and terms)
   */
  static fit(
    texts: readonly string[],
    options: { dimensions?: number; seed?: number; minDf?: number } = {},
  ): RagLsaEmbedder {
    return RagLsaEmbedder.fitTransform(texts, options).embedder
  }

  /**
   * Fits and returns the embeddings of the fitting texts too, reusing the TF-IDF rows instead of
   * tokenizing every text a second time (ingest embeds exactly the texts it fitted on).
   */
  static fitTransform(
    texts: readonly string[],
    options: { dimensions?: number; seed?: number; minDf?: number } = {},
  ): { embedder: RagLsaEmbedder; vectors: Float32Array[]; tokens: string[][] } {
    const seed = options.seed ?? 42
    const requested = options.dimensions ?? 128
    const minDf = options.minDf ?? (texts.length >= 50 ? 2 : 1)
    const tokenized = texts.map((t) => ragTokenize(t))
    const df = new Map<string, number>()
    for (const terms of tokenized) for (const term of new Set(terms)) df.set(term, (df.get(term) ?? 0) + 1)
    const vocabulary = [...df.entries()]
      .filter(([, n]) => n >= minDf)
      .map(([t]) => t)
      .sort()
    const termIndex = new Map(vocabulary.map((t, i) => [t, i]))
    const idf = new Float32Array(vocabulary.length)
    vocabulary.forEach((t, i) => {
      idf[i] = Math.log((1 + texts.length) / (1 + (df.get(t) ?? 0))) + 1
    })
    const csr = tfidfMatrix(tokenized, termIndex, idf)
    const dimensions = Math.max(1, Math.min(requested, texts.length, vocabulary.length))
    const svd = randomizedSvd(csr, dimensions, { seed, powerIterations: 2 })
    const k = svd.rank
    const vectors: Float32Array[] = []
    const coverage = new Float64Array(csr.rows)
    for (let r = 0; r < csr.rows; r++) {
      const out = new Float32Array(k)
      for (let p = csr.rowStart[r] as number; p < (csr.rowStart[r + 1] as number); p++) {
        const w = csr.values[p] as number
        const base = (csr.colIndex[p] as number) * k
        for (let c = 0; c < k; c++) out[c] = (out[c] as number) + w * (svd.components[base + c] as number)
      }
      let projected = 0
      for (let c = 0; c < k; c++) projected += (out[c] as number) ** 2
      coverage[r] = Math.sqrt(projected)
      vectors.push(normalize(out))
    }
    coverage.sort()
    const medianCoverage = csr.rows === 0 ? 0 : (coverage[Math.floor((csr.rows - 1) / 2)] as number)
    const embedder = new RagLsaEmbedder({
      vocabulary,
      idf,
      components: svd.components,
      dimensions: k,
      seed,
      medianCoverage,
    })
    return { embedder, vectors, tokens: tokenized }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    return texts.map((text) => this.embedOne(text))
  }

  /** Synchronous single embedding (the projection is pure arithmetic). */
  embedOne(text: string): Float32Array {
    return this.embedWithCoverage(text).vector
  }

  /**
   * The embedding and its coverage: the length of the unit TF-IDF vector's projection onto the
   * LSA space, in [0, 1]. Near 1 the text's terms live in the space the collection's main topics
   * span; near 0 the projection kept little of the text (rare topics squeezed out by a large,
   * unrelated bulk of the collection), so the dense ranking says little about it.
   */
  embedWithCoverage(text: string): { vector: Float32Array; coverage: number } {
    const counts = new Map<number, number>()
    for (const term of ragTokenize(text)) {
      const id = this.termIndex.get(term)
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    const weights: [number, number][] = []
    let norm = 0
    for (const [id, tf] of counts) {
      const w = (1 + Math.log(tf)) * (this.state.idf[id] as number)
      weights.push([id, w])
      norm += w * w
    }
    norm = Math.sqrt(norm) || 1
    const k = this.dimensions
    const out = new Float32Array(k)
    for (const [id, w] of weights) {
      const base = id * k
      const scaled = w / norm
      for (let c = 0; c < k; c++)
        out[c] = (out[c] as number) + scaled * (this.state.components[base + c] as number)
    }
    let projected = 0
    for (let c = 0; c < k; c++) projected += (out[c] as number) ** 2
    return { vector: normalize(out), coverage: Math.min(1, Math.sqrt(projected)) }
  }

  /** Writes the fitted state: JSON header plus the float arrays in a little-endian sidecar. */
  async save(jsonPath: string, binPath: string): Promise<void> {
    const header = {
      format: 'keel-rag-lsa',
      formatVersion: 1,
      dimensions: this.state.dimensions,
      seed: this.state.seed,
      ...(this.state.medianCoverage === undefined ? {} : { medianCoverage: this.state.medianCoverage }),
      vocabulary: this.state.vocabulary,
    }
    const bin = Buffer.alloc((this.state.idf.length + this.state.components.length) * 4)
    Buffer.from(this.state.idf.buffer, this.state.idf.byteOffset, this.state.idf.byteLength).copy(bin, 0)
    Buffer.from(
      this.state.components.buffer,
      this.state.components.byteOffset,
      this.state.components.byteLength,
    ).copy(bin, this.state.idf.byteLength)
    await writeFile(binPath, bin)
    await writeFile(jsonPath, JSON.stringify(header))
  }

  /**
   * Loads a saved model.
   * @throws RagError RAG_COLLECTION_CORRUPT when the files do not match.
   */
  static async load(jsonPath: string, binPath: string): Promise<RagLsaEmbedder> {
    let header: {
      format?: unknown
      formatVersion?: unknown
      dimensions?: unknown
      seed?: unknown
      vocabulary?: unknown
      medianCoverage?: unknown
    }
    let bin: Buffer
    try {
      header = JSON.parse(await readFile(jsonPath, 'utf8')) as typeof header
      bin = await readFile(binPath)
    } catch (error) {
      throw new RagError(
        'RAG_COLLECTION_CORRUPT',
        `Cannot read the LSA model ${jsonPath}: ${(error as Error).message}. Re-ingest the collection.`,
        { cause: error },
      )
    }
    if (header.format !== 'keel-rag-lsa' || header.formatVersion !== 1)
      throw new RagError(
        'RAG_COLLECTION_CORRUPT',
        `${jsonPath} is not a version-1 Keel LSA model (format ${String(header.format)} v${String(header.formatVersion)}).`,
      )
    const vocabulary = header.vocabulary
    const dimensions = header.dimensions
    if (!Array.isArray(vocabulary) || typeof dimensions !== 'number' || typeof header.seed !== 'number')
      throw new RagError('RAG_COLLECTION_CORRUPT', `${jsonPath} lacks vocabulary/dimensions/seed.`)
    const nTerms = vocabulary.length
    if (bin.byteLength !== (nTerms + nTerms * dimensions) * 4)
      throw new RagError(
        'RAG_COLLECTION_CORRUPT',
        `${binPath} has ${bin.byteLength} bytes; expected ${(nTerms + nTerms * dimensions) * 4}. Re-ingest the collection.`,
      )
    const floats = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength))
    return new RagLsaEmbedder({
      vocabulary: vocabulary.map(String),
      idf: floats.slice(0, nTerms),
      components: floats.slice(nTerms),
      dimensions,
      seed: header.seed,
      ...(typeof header.medianCoverage === 'number' ? { medianCoverage: header.medianCoverage } : {}),
    })
  }
}

function tfidfMatrix(
  tokenized: readonly string[][],
  termIndex: Map<string, number>,
  idf: Float32Array,
): RagCsr {
  const rowStart = new Int32Array(tokenized.length + 1)
  const cols: number[] = []
  const values: number[] = []
  tokenized.forEach((terms, r) => {
    const counts = new Map<number, number>()
    for (const term of terms) {
      const id = termIndex.get(term)
      if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + 1)
    }
    let norm = 0
    const row: [number, number][] = []
    for (const [id, tf] of counts) {
      const w = (1 + Math.log(tf)) * (idf[id] as number)
      row.push([id, w])
      norm += w * w
    }
    norm = Math.sqrt(norm) || 1
    for (const [id, w] of row) {
      cols.push(id)
      values.push(w / norm)
    }
    rowStart[r + 1] = cols.length
  })
  return {
    rows: tokenized.length,
    cols: idf.length,
    rowStart,
    colIndex: Int32Array.from(cols),
    values: Float32Array.from(values),
  }
}
