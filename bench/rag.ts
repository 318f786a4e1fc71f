/**
 * RAG benchmark: 100,000 generated chunks through the real ingest path (chunker, BM25, LSA fit,
 * LanceDB write + IVF-PQ index), then retrieval latency, peak memory, and the dense index's
 * query time and recall@10 against exact brute force and against hnswlib/FAISS (bench/rag_anchor.py)
 * on the same vectors.
 *
 * Run: node --import tsx bench/rag.ts [--chunks 100000] [--queries 200] [--dims 64]
 * Writes bench/rag-results.json.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Rng } from '../src/core/index.js'
import { percentile } from '../src/rag/eval.js'
import { LanceRagStore, RagCollection, type RagLsaEmbedder } from '../src/rag/index.js'

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    dims: { type: 'string', default: '64' },
  },
})
const N_CHUNKS = Number(values.chunks)
const N_QUERIES = Number(values.queries)
const DIMS = Number(values.dims)
const K = 10
const PER_FILE = 100

let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)
sampler.unref()

// A topic model for text: 20k pseudo-words, 300 topics of 120 words, Zipf-like draws, so that
// lexical and dense retrieval both have real structure to find.
const rng = new Rng(2026)
const syllables = [
  'ka',
  'lo',
  'mi',
  'ne',
  'ru',
  'ta',
  'vo',
  'shi',
  'den',
  'por',
  'gal',
  'bri',
  'sto',
  'qua',
  'fel',
  'zin',
]
const vocab: string[] = []
const seen = new Set<string>()
while (vocab.length < 20_000) {
  let w = ''
  const n = 2 + rng.int(3)
  for (let i = 0; i < n; i++) w += syllables[rng.int(syllables.length)]
  if (!seen.has(w)) {
    seen.add(w)
    vocab.push(w)
  }
}
const topics = Array.from({ length: 300 }, () =>
  Array.from({ length: 120 }, () => vocab[rng.int(vocab.length)] as string),
)
const zipf = (n: number) => Math.min(n - 1, Math.floor(n * rng.next() ** 2.5))
function sentence(topic: readonly string[], words: number): string {
  const out: string[] = []
  for (let i = 0; i < words; i++)
    out.push(rng.next() < 0.6 ? (topic[zipf(topic.length)] as string) : (vocab[zipf(vocab.length)] as string))
  return out.join(' ')
}

const work = mkdtempSync(join(tmpdir(), 'keel-bench-rag-'))
process.env.KEEL_HOME = work
const input = join(work, 'input')
mkdirSync(input)
const nFiles = Math.ceil(N_CHUNKS / PER_FILE)
const queryTexts: string[] = []
for (let f = 0; f < nFiles; f++) {
  const topicId = rng.int(topics.length)
  const topic = topics[topicId] as string[]
  const parts = [`# Document ${f} about topic ${topicId}`]
  for (let s = 0; s < PER_FILE && f * PER_FILE + s < N_CHUNKS; s++)
    parts.push(`## Section ${s}\n\n${sentence(topic, 40)}.`)
  writeFileSync(join(input, `doc-${String(f).padStart(5, '0')}.md`), `${parts.join('\n\n')}\n`)
  if (queryTexts.length < N_QUERIES && f % Math.max(1, Math.floor(nFiles / N_QUERIES)) === 0)
    queryTexts.push(sentence(topic, 6))
}

const collection = await RagCollection.open('bench', {
  create: true,
  embedder: { kind: 'lsa', dimensions: DIMS, seed: 42 },
  openStore: (dir) => LanceRagStore.open(dir, { indexThreshold: Number.POSITIVE_INFINITY }),
})
const t0 = performance.now()
const report = await collection.ingest([input])
const ingestMs = performance.now() - t0
const chunks = report.chunksTotal
console.error(`ingested ${chunks} chunks in ${(ingestMs / 1000).toFixed(1)} s`)

// Build the ANN index separately so its cost is visible (the collection builds it itself above 50k rows by default).
const store = await LanceRagStore.open(join(collection.dir, 'vectors'))
const tIndex = performance.now()
await store.buildIndex(chunks, DIMS)
const indexMs = performance.now() - tIndex
console.error(`IVF-PQ index built in ${(indexMs / 1000).toFixed(1)} s`)
await collection.close()
const indexed = await RagCollection.open('bench')

// Retrieval latency per mode (first query of each mode warms up and is excluded).
const latency: Record<string, { p50Ms: number; p99Ms: number }> = {}
for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
  await indexed.search(queryTexts[0] as string, { k: K, mode })
  const times: number[] = []
  for (const q of queryTexts) {
    const s = performance.now()
    await indexed.search(q, { k: K, mode })
    times.push(performance.now() - s)
  }
  latency[mode] = { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) }
}

// Dense index vs exact search on the same vectors.
const lsa = (await indexed.embedder()) as RagLsaEmbedder
const all = await store.chunks()
const ids = all.map((c) => c.id)
const vectors = new Float32Array(all.length * DIMS)
all.forEach((c, i) => {
  vectors.set(lsa.embedOne(`${c.title}\n${c.headingPath.join(' > ')}\n${c.text}`), i * DIMS)
})
const queries = new Float32Array(queryTexts.length * DIMS)
queryTexts.forEach((q, i) => {
  queries.set(lsa.embedOne(q), i * DIMS)
})
const exactTimes: number[] = []
const truth: Set<string>[] = []
for (let qi = 0; qi < queryTexts.length; qi++) {
  const s = performance.now()
  const scores = new Float32Array(all.length)
  const qo = qi * DIMS
  for (let r = 0; r < all.length; r++) {
    let dot = 0
    const ro = r * DIMS
    for (let d = 0; d < DIMS; d++) dot += (vectors[ro + d] as number) * (queries[qo + d] as number)
    scores[r] = dot
  }
  const order = Array.from(scores.keys())
    .sort((a, b) => (scores[b] as number) - (scores[a] as number))
    .slice(0, K)
  exactTimes.push(performance.now() - s)
  truth.push(new Set(order.map((i) => ids[i] as string)))
}
const annTimes: number[] = []
let annRecall = 0
for (let qi = 0; qi < queryTexts.length; qi++) {
  const q = queries.slice(qi * DIMS, (qi + 1) * DIMS)
  const s = performance.now()
  const hits = await store.search(q, K)
  annTimes.push(performance.now() - s)
  annRecall += hits.filter((h) => truth[qi]?.has(h.id)).length / K
}
annRecall /= queryTexts.length

const vecPath = join(work, 'vectors.f32')
const queryPath = join(work, 'queries.f32')
writeFileSync(vecPath, Buffer.from(vectors.buffer))
writeFileSync(queryPath, Buffer.from(queries.buffer))
let anchor: Record<string, unknown> = {}
try {
  const out = execFileSync(
    '/usr/bin/python3',
    [join(import.meta.dirname, 'rag_anchor.py'), vecPath, queryPath, String(DIMS), String(K)],
    {
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  )
  anchor = JSON.parse(out) as Record<string, unknown>
} catch (error) {
  anchor = { error: (error as Error).message }
}
await indexed.close()
await store.close()

const lance = { p50Ms: percentile(annTimes, 50), p99Ms: percentile(annTimes, 99), recallAt10: annRecall }
const exact = { p50Ms: percentile(exactTimes, 50), p99Ms: percentile(exactTimes, 99) }
const hnsw = anchor.hnswlib as { p50_ms?: number; recall_at_k?: number } | undefined
const result = {
  date: new Date().toISOString(),
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
  data: {
    chunks,
    files: nFiles,
    queries: queryTexts.length,
    dims: DIMS,
    vocabulary: vocab.length,
    topics: topics.length,
  },
  ingest: { ms: ingestMs, chunksPerSecond: chunks / (ingestMs / 1000), ivfPqIndexMs: indexMs },
  retrieval: latency,
  peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
  dense: {
    lanceIvfPq: { ...lance, params: 'IVF-PQ partitions=sqrt(n) subvectors=16 nprobes=20 refine=5' },
    exactBruteForceJs: exact,
    anchor,
    ratios: {
      lanceVsExactJsTime: lance.p50Ms / exact.p50Ms,
      lanceVsHnswlibTime: hnsw?.p50_ms === undefined ? null : lance.p50Ms / hnsw.p50_ms,
      lanceVsHnswlibRecall: hnsw?.recall_at_k === undefined ? null : lance.recallAt10 / hnsw.recall_at_k,
    },
  },
}
writeFileSync(join(import.meta.dirname, 'rag-results.json'), `${JSON.stringify(result, null, 2)}\n`)
console.log(JSON.stringify(result, null, 2))
rmSync(work, { recursive: true, force: true })
