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
   * The `k` best documents for the query terms, best first; `allow` (by document index) applies a
   * metadata filter before ranking.
   */
  search(queryTerms: readonly string[], k: number, allow?: (index: number) => boolean): RagScored[] {
    if (this.nDocs === 0 || k <= 0) return []
    const { k1, b } = this.params
    const scores = new Float64Array(this.nDocs)
    const touched: number[] = []
    const weights = new Map<number, number>()
    for (const term of queryTerms) {
      const id = this.termIds.get(term)
      if (id !== undefined) weights.set(id, (weights.get(id) ?? 0) + 1)
    }
    // Hot loop: indices come from the CSR bounds, so the non-null reads are in range.
    for (const [id, queryTf] of weights) {
      const from = this.postingStart[id]!
      const to = this.postingStart[id + 1]!
      const df = to - from
      const idf = Math.log(1 + (this.nDocs - df + 0.5) / (df + 0.5))
      for (let p = from; p < to; p++) {
        const d = this.postingDocs[p]!
        const tf = this.postingTf[p]!
        const norm = k1 * (1 - b + (b * this.docLength[d]!) / (this.avgLength || 1))
        if (scores[d] === 0) touched.push(d)
        scores[d]! += queryTf * idf * ((tf * (k1 + 1)) / (tf + norm))
      }
    }
    const candidates: RagScored[] = []
    for (const d of touched) {
      const score = scores[d]!
      if (score > 0 && (allow === undefined || allow(d))) candidates.push({ index: d, score })
    }
    return topK(candidates, k)
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
