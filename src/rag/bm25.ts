import { RagError } from './errors.js'

/** BM25 parameters (Robertson & Zaragoza 2009; Lucene's defaults). */
export interface RagBm25Params {
  readonly k1: number
  readonly b: number
}

/** One scored document index. */
export interface RagScored {
  readonly index: number
  readonly score: number
}

/**
 * Okapi BM25 over an inverted index held in typed arrays. Documents are addressed by their
 * position in the list passed to `build`. IDF is Lucene's non-negative variant
 * log(1 + (N − df + 0.5) / (df + 0.5)), so very common terms score near zero instead of negative.
 */
export class RagBm25Index {
  private termIds = new Map<string, number>()
  private postingStart = new Int32Array(1)
  private postingDocs = new Int32Array(0)
  private postingTf = new Float32Array(0)
  private docLength = new Float32Array(0)
  private avgLength = 0
  private nDocs = 0
  /** Per-query scratch, kept between queries. */
  private scores = new Float64Array(0)
  private touched = new Int32Array(0)

  constructor(private readonly params: RagBm25Params = { k1: 1.2, b: 0.75 }) {}

  /** Number of indexed documents. */
  get size(): number {
    return this.nDocs
  }

  /** (Re)builds the index from each document's terms. */
  build(docs: readonly (readonly string[])[]): this {
    const termIds = new Map<string, number>()
    const df: number[] = []
    const perDoc: Map<number, number>[] = []
    const docLength = new Float32Array(docs.length)
    let totalLength = 0
    docs.forEach((terms, d) => {
      const counts = new Map<number, number>()
      for (const term of terms) {
        let id = termIds.get(term)
        if (id === undefined) {
          id = termIds.size
          termIds.set(term, id)
          df.push(0)
        }
        counts.set(id, (counts.get(id) ?? 0) + 1)
      }
      for (const id of counts.keys()) df[id] = (df[id] ?? 0) + 1
      perDoc.push(counts)
      docLength[d] = terms.length
      totalLength += terms.length
    })
    // Counting sort into CSR-style postings: term t's postings are [start[t], start[t+1]).
    const start = new Int32Array(termIds.size + 1)
    for (let t = 0; t < df.length; t++) start[t + 1] = (start[t] ?? 0) + (df[t] ?? 0)
    const fill = start.slice(0, termIds.size)
    const total = start[termIds.size] ?? 0
    const postingDocs = new Int32Array(total)
    const postingTf = new Float32Array(total)
    perDoc.forEach((counts, d) => {
      for (const [id, tf] of counts) {
        const at = fill[id] ?? 0
        postingDocs[at] = d
        postingTf[at] = tf
        fill[id] = at + 1
      }
    })
    this.termIds = termIds
    this.postingStart = start
    this.postingDocs = postingDocs
    this.postingTf = postingTf
    this.docLength = docLength
    this.nDocs = docs.length
    this.avgLength = docs.length === 0 ? 0 : totalLength / docs.length
    return this
  }

  /**
   * The `k` best documents for the query terms, best first (ties by lower index); `allow` (by
   * document index) applies a metadata filter before ranking. Scores accumulate in a buffer kept
   * between queries and the top k is a typed-array heap, so a query allocates O(k), not O(matches):
   * per-query garbage of the size of the collection is what gave the old path its p99 tail.
   */
  search(queryTerms: readonly string[], k: number, allow?: (index: number) => boolean): RagScored[] {
    if (this.nDocs === 0 || k <= 0) return []
    const { k1, b } = this.params
    if (this.scores.length !== this.nDocs) {
      this.scores = new Float64Array(this.nDocs)
      this.touched = new Int32Array(Math.min(this.nDocs, 1024))
    }
    const scores = this.scores
    let touched = this.touched
    let nTouched = 0
    const weights = new Map<number, number>()
    for (const term of queryTerms) {
      const id = this.termIds.get(term)
      if (id !== undefined) weights.set(id, (weights.get(id) ?? 0) + 1)
    }
    const avg = this.avgLength || 1
    // Hot loop: indices come from the CSR bounds, so the non-null reads are in range.
    for (const [id, queryTf] of weights) {
      const from = this.postingStart[id]!
      const to = this.postingStart[id + 1]!
      const df = to - from
      const idf = Math.log(1 + (this.nDocs - df + 0.5) / (df + 0.5))
      for (let p = from; p < to; p++) {
        const d = this.postingDocs[p]!
        const tf = this.postingTf[p]!
        const norm = k1 * (1 - b + (b * this.docLength[d]!) / avg)
        if (scores[d] === 0) {
          if (nTouched === touched.length) {
            const grown = new Int32Array(Math.min(this.nDocs, touched.length * 2))
            grown.set(touched)
            touched = grown
            this.touched = grown
          }
          touched[nTouched++] = d
        }
        scores[d]! += queryTf * idf * ((tf * (k1 + 1)) / (tf + norm))
      }
    }
    // Bounded min-heap on (score, -index): its root is the worst of the best k so far.
    const heapScore = new Float64Array(k)
    const heapIndex = new Int32Array(k)
    let size = 0
    const worse = (sa: number, ia: number, sb: number, ib: number) => sa < sb || (sa === sb && ia > ib)
    const siftDown = (i: number) => {
      for (;;) {
        let c = 2 * i + 1
        if (c >= size) return
        if (c + 1 < size && worse(heapScore[c + 1]!, heapIndex[c + 1]!, heapScore[c]!, heapIndex[c]!)) c++
        if (!worse(heapScore[c]!, heapIndex[c]!, heapScore[i]!, heapIndex[i]!)) return
        const ts = heapScore[i]!
        const ti = heapIndex[i]!
        heapScore[i] = heapScore[c]!
        heapIndex[i] = heapIndex[c]!
        heapScore[c] = ts
        heapIndex[c] = ti
        i = c
      }
    }
    for (let t = 0; t < nTouched; t++) {
      const d = touched[t]!
      const score = scores[d]!
      scores[d] = 0
      if (!(score > 0) || (allow !== undefined && !allow(d))) continue
      if (size < k) {
        let i = size++
        heapScore[i] = score
        heapIndex[i] = d
        while (i > 0) {
          const parent = (i - 1) >> 1
          if (!worse(heapScore[i]!, heapIndex[i]!, heapScore[parent]!, heapIndex[parent]!)) break
          const ts = heapScore[i]!
          const ti = heapIndex[i]!
          heapScore[i] = heapScore[parent]!
          heapIndex[i] = heapIndex[parent]!
          heapScore[parent] = ts
          heapIndex[parent] = ti
          i = parent
        }
      } else if (worse(heapScore[0]!, heapIndex[0]!, score, d)) {
        heapScore[0] = score
        heapIndex[0] = d
        siftDown(0)
      }
    }
    const out: RagScored[] = new Array(size)
    for (let i = size - 1; i >= 0; i--) {
      out[i] = { index: heapIndex[0]!, score: heapScore[0]! }
      heapScore[0] = heapScore[size - 1]!
      heapIndex[0] = heapIndex[size - 1]!
      size--
      siftDown(0)
    }
    return out
  }

  /**
   * Serialises the index: a JSON header (parameters, vocabulary in id order) and the postings as
   * little-endian typed arrays, so opening a collection reads it instead of re-tokenising every chunk.
   */
  serialize(): Buffer {
    const vocabulary: string[] = new Array(this.termIds.size)
    for (const [term, id] of this.termIds) vocabulary[id] = term
    const header = Buffer.from(
      JSON.stringify({
        format: 'keel-rag-bm25',
        formatVersion: 1,
        params: this.params,
        nDocs: this.nDocs,
        avgLength: this.avgLength,
        postings: this.postingDocs.length,
        vocabulary,
      }),
    )
    const length = Buffer.alloc(4)
    length.writeUInt32LE(header.length)
    // Pad the header so the typed arrays that follow start 4-byte aligned.
    const pad = Buffer.alloc((4 - (header.length % 4)) % 4, 0x20)
    const arrays = [this.postingStart, this.postingDocs, this.postingTf, this.docLength]
    return Buffer.concat([
      length,
      header,
      pad,
      ...arrays.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength)),
    ])
  }

  /**
   * Reads `serialize`'s bytes.
   * @throws RagError RAG_COLLECTION_CORRUPT when they are not a version-1 BM25 index.
   */
  static deserialize(bytes: Uint8Array): RagBm25Index {
    const corrupt = (why: string) =>
      new RagError(
        'RAG_COLLECTION_CORRUPT',
        `The lexical index is unreadable (${why}). Re-ingest the collection.`,
      )
    if (bytes.byteLength < 4) throw corrupt('truncated')
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const headerLength = buf.readUInt32LE(0)
    let header: {
      format?: unknown
      formatVersion?: unknown
      params?: RagBm25Params
      nDocs?: number
      avgLength?: number
      postings?: number
      vocabulary?: string[]
    }
    try {
      header = JSON.parse(buf.subarray(4, 4 + headerLength).toString('utf8')) as typeof header
    } catch (error) {
      throw corrupt((error as Error).message)
    }
    const { params, nDocs, avgLength, postings, vocabulary } = header
    if (
      header.format !== 'keel-rag-bm25' ||
      header.formatVersion !== 1 ||
      params === undefined ||
      typeof nDocs !== 'number' ||
      typeof avgLength !== 'number' ||
      typeof postings !== 'number' ||
      !Array.isArray(vocabulary)
    )
      throw corrupt('not a version-1 Keel BM25 index')
    let at = 4 + headerLength + ((4 - (headerLength % 4)) % 4)
    const take = (count: number) => {
      if (at + count * 4 > buf.byteLength) throw corrupt('truncated body')
      const out = new ArrayBuffer(count * 4)
      new Uint8Array(out).set(buf.subarray(at, at + count * 4))
      at += count * 4
      return out
    }
    const index = new RagBm25Index(params)
    index.postingStart = new Int32Array(take(vocabulary.length + 1))
    index.postingDocs = new Int32Array(take(postings))
    index.postingTf = new Float32Array(take(postings))
    index.docLength = new Float32Array(take(nDocs))
    if (at !== buf.byteLength) throw corrupt('trailing bytes')
    index.termIds = new Map(vocabulary.map((t, i) => [t, i]))
    index.nDocs = nDocs
    index.avgLength = avgLength
    return index
  }
}

/** The k highest-scoring items, best first (ties by lower index, for determinism). @internal */
export function topK(items: RagScored[], k: number): RagScored[] {
  const byScore = (x: RagScored, y: RagScored) => y.score - x.score || x.index - y.index
  if (items.length <= k * 4) return items.sort(byScore).slice(0, k)
  // Partial selection: keep a sorted window of size k (k is small next to the candidates).
  const best = items.slice(0, k).sort(byScore)
  let floor = best[best.length - 1]?.score ?? Number.NEGATIVE_INFINITY
  for (let i = k; i < items.length; i++) {
    const item = items[i] as RagScored
    if (item.score < floor) continue
    let at = best.length - 1
    while (at >= 0 && byScore(item, best[at] as RagScored) < 0) at--
    if (at < best.length - 1) {
      best.splice(at + 1, 0, item)
      best.pop()
      floor = best[best.length - 1]?.score ?? floor
    }
  }
  return best
}
