/**
 * RAG benchmark. Part 1: 100,000 generated chunks through the real ingest path (chunker, LSA fit,
 * LanceDB write, BM25 + IVF index build and save), reopen (the index is loaded, not rebuilt),
 * retrieval latency per mode, and the dense index's own query time and recall@10 against exact
 * search; on the same vectors, Keel's HNSW (the option not taken) and hnswlib / FAISS HNSW /
 * FAISS IVF-Flat (bench/rag_anchor.py, same parameters) in the same run. Part 2 (--synthetic N):
 * N clustered synthetic unit vectors straight into the IVF index, against the same anchors.
 *
 * Run: node --import tsx bench/rag.ts [--chunks 100000] [--queries 200] [--dims 64] [--runs 3]
 *        [--synthetic 1000000] [--synthetic-runs 1] [--nprobe N] [--ef 96] [--m 16] [--ef-construction 80]
 *        [--no-anchor] [--out bench/rag-results.json]
 * Every figure is the median over runs; per-run values are kept under `runs`.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Rng } from '../src/core/index.js'
import { percentile } from '../src/rag/eval.js'
import { RagHnswIndex } from '../src/rag/hnsw.js'
import { LanceRagStore, RagCollection, type RagLsaEmbedder } from '../src/rag/index.js'
import { RagIvfIndex } from '../src/rag/ivf.js'

const { values } = parseArgs({
  options: {
    chunks: { type: 'string', default: '100000' },
    queries: { type: 'string', default: '200' },
    dims: { type: 'string', default: '64' },
    runs: { type: 'string', default: '3' },
    synthetic: { type: 'string', default: '0' },
    'synthetic-runs': { type: 'string', default: '1' },
    'synthetic-dims': { type: 'string', default: '64' },
    ef: { type: 'string', default: '96' },
    nprobe: { type: 'string' },
    'synthetic-hnsw': { type: 'boolean', default: false },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '80' },
    out: { type: 'string', default: join(import.meta.dirname, 'rag-results.json') },
    'no-anchor': { type: 'boolean', default: false },
    /** Keep the first run's vectors and queries (float32 files) in this folder, for parameter sweeps. */
    dump: { type: 'string' },
  },
})
const N_CHUNKS = Number(values.chunks)
const N_QUERIES = Number(values.queries)
const DIMS = Number(values.dims)
const RUNS = Number(values.runs)
const SYNTHETIC = Number(values.synthetic)
const SYNTHETIC_RUNS = Number(values['synthetic-runs'])
const SYNTHETIC_DIMS = Number(values['synthetic-dims'])
const EF = Number(values.ef)
const M = Number(values.m)
const EF_CONSTRUCTION = Number(values['ef-construction'])
/** The collection's default probe count unless --nprobe is given. */
const nprobeFor = (lists: number) =>
  values.nprobe === undefined ? Math.max(8, Math.round(lists / 40)) : Number(values.nprobe)
const K = 10
const PER_FILE = 100

let peakRss = 0
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
}, 50)
sampler.unref()

const median = (xs: readonly number[]) => percentile(xs, 50)
const loads: number[][] = []
const noteLoad = () => loads.push(loadavg().map((x) => Math.round(x * 100) / 100))

// A topic model for text: 20k pseudo-words, 300 topics of 120 words, Zipf-like draws, so that
// lexical and dense retrieval both have real structure to find.
const rng = new Rng(2026)
const syllables = 'ka lo mi ne ru ta vo shi den por gal bri sto qua fel zin'.split(' ')
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
const input = join(work, 'input')
mkdirSync(input)
const nFiles = Math.ceil(N_CHUNKS / PER_FILE)
const queryTexts: string[] = []
if (N_CHUNKS > 0)
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

interface AnchorSide {
  params?: string
  build_s?: number
  p50_ms?: number
  p99_ms?: number
  recall_at_k?: number
  error?: string
}
type Anchor = Record<string, unknown> & { hnswlib?: AnchorSide; faiss_hnsw?: AnchorSide }

function runAnchor(
  vectors: Float32Array,
  queries: Float32Array,
  dims: number,
  lists: number,
  nprobe: number,
): Anchor {
  if (values['no-anchor'] === true) return { error: 'skipped (--no-anchor)' }
  const vecPath = join(work, 'vectors.f32')
  const queryPath = join(work, 'queries.f32')
  writeFileSync(vecPath, Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength))
  writeFileSync(queryPath, Buffer.from(queries.buffer, queries.byteOffset, queries.byteLength))
  try {
    const out = execFileSync(
      '/usr/bin/python3',
      [
        join(import.meta.dirname, 'rag_anchor.py'),
        vecPath,
        queryPath,
        String(dims),
        String(K),
        String(M),
        String(EF_CONSTRUCTION),
        String(EF),
        String(lists),
        String(nprobe),
      ],
      {
        env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: '2' },
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      },
    )
    return JSON.parse(out) as Anchor
  } catch (error) {
    return { error: (error as Error).message }
  } finally {
    rmSync(vecPath, { force: true })
    rmSync(queryPath, { force: true })
  }
}

type Search = (q: Float32Array, k: number) => { row: number }[]

/** Query time (median over three passes) and recall@K of `search` against `exact`'s top K. */
function versusExact(search: Search, exact: Search, queries: Float32Array, dims: number) {
  const nq = queries.length / dims
  const exactTimes: number[] = []
  const truth: Set<number>[] = []
  for (let qi = 0; qi < nq; qi++) {
    const q = queries.subarray(qi * dims, (qi + 1) * dims)
    const s = performance.now()
    const hits = exact(q, K)
    exactTimes.push(performance.now() - s)
    truth.push(new Set(hits.map((h) => h.row)))
  }
  const passes: { p50Ms: number; p99Ms: number }[] = []
  let recall = 0
  for (let pass = 0; pass < 3; pass++) {
    const times: number[] = []
    recall = 0
    for (let qi = 0; qi < nq; qi++) {
      const q = queries.subarray(qi * dims, (qi + 1) * dims)
      const s = performance.now()
      const hits = search(q, K)
      times.push(performance.now() - s)
      recall += hits.filter((h) => truth[qi]?.has(h.row)).length / K
    }
    passes.push({ p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) })
  }
  return {
    p50Ms: median(passes.map((p) => p.p50Ms)),
    p99Ms: median(passes.map((p) => p.p99Ms)),
    recallAt10: recall / nq,
    exact: { p50Ms: percentile(exactTimes, 50), p99Ms: percentile(exactTimes, 99) },
  }
}

/** Keel's HNSW on the same vectors: build time, query time and recall (the option not taken). */
function hnswOnSame(vectors: Float32Array, queries: Float32Array, dims: number, exact: Search) {
  const n = vectors.length / dims
  const index = new RagHnswIndex(dims, { m: M, efConstruction: EF_CONSTRUCTION, seed: 42 }, n)
  const t0 = performance.now()
  for (let r = 0; r < n; r++) index.add(vectors.subarray(r * dims, (r + 1) * dims))
  const buildMs = performance.now() - t0
  const { exact: _, ...measured } = versusExact((q, k) => index.search(q, k, EF), exact, queries, dims)
  return { buildMs, ...measured }
}

async function corpusRun(run: number) {
  const home = join(work, `home-${run}`)
  process.env.KEEL_HOME = home
  noteLoad()
  const collection = await RagCollection.open('bench', {
    create: true,
    embedder: { kind: 'lsa', dimensions: DIMS, seed: 42 },
  })
  // Process CPU time as well as wall time: on a shared machine the wall clock mostly measures the
  // neighbours, CPU seconds (all threads, LanceDB's included) what ingest itself costs.
  const cpu0 = process.cpuUsage()
  const report = await collection.ingest([input])
  const cpu = process.cpuUsage(cpu0)
  const ingestCpuMs = (cpu.user + cpu.system) / 1000
  const chunks = report.chunksTotal
  console.error(
    `run ${run}: ingested ${chunks} chunks in ${(report.elapsedMs / 1000).toFixed(1)} s ${JSON.stringify(report.stagesMs)}`,
  )
  await collection.close()
  const tOpen = performance.now()
  const indexed = await RagCollection.open('bench')
  await indexed.search(queryTexts[0] as string, { k: K, mode: 'lexical' })
  const openMs = performance.now() - tOpen

  // Three passes over the queries per mode; the median pass's p50 and p99 (one pass's p99 is its
  // second-worst query, which on a shared machine is often a neighbour's time slice).
  const latency: Record<string, { p50Ms: number; p99Ms: number }> = {}
  for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
    await indexed.search(queryTexts[0] as string, { k: K, mode })
    const passes: { p50: number; p99: number }[] = []
    for (let pass = 0; pass < 3; pass++) {
      const times: number[] = []
      for (const q of queryTexts) {
        const s = performance.now()
        await indexed.search(q, { k: K, mode })
        times.push(performance.now() - s)
      }
      passes.push({ p50: percentile(times, 50), p99: percentile(times, 99) })
    }
    latency[mode] = { p50Ms: median(passes.map((p) => p.p50)), p99Ms: median(passes.map((p) => p.p99)) }
  }

  const lsa = (await indexed.embedder()) as RagLsaEmbedder
  const index = (await indexed.retrievalIndex()).dense as RagIvfIndex
  const queries = new Float32Array(queryTexts.length * DIMS)
  queryTexts.forEach((q, i) => {
    queries.set(lsa.embedOne(q), i * DIMS)
  })
  const nprobe = nprobeFor(index.listCount)
  const exactSearch: Search = (q, k) => index.exactSearch(q, k)
  const ivf = versusExact((q, k) => index.search(q, k, nprobe), exactSearch, queries, DIMS)
  const vectorsForOthers = new Float32Array(index.size * DIMS)
  for (let r = 0; r < index.size; r++) vectorsForOthers.set(index.vector(r), r * DIMS)
  const hnsw = hnswOnSame(vectorsForOthers, queries, DIMS, exactSearch)
  const dense = {
    keelIvf: {
      lists: index.listCount,
      nprobe,
      p50Ms: ivf.p50Ms,
      p99Ms: ivf.p99Ms,
      recallAt10: ivf.recallAt10,
    },
    keelExactSimd: ivf.exact,
    keelHnsw: hnsw,
  }

  // LanceDB's own (flat, exact) search on the same table, a few queries: the old retrieval path.
  let lanceFlat: { p50Ms: number; p99Ms: number } | undefined
  if (run === 0) {
    const store = await LanceRagStore.open(join(indexed.dir, 'vectors'))
    const times: number[] = []
    for (let qi = 0; qi < Math.min(50, queryTexts.length); qi++) {
      const s = performance.now()
      await store.search(queries.subarray(qi * DIMS, (qi + 1) * DIMS), K)
      times.push(performance.now() - s)
    }
    await store.close()
    lanceFlat = { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) }
  }
  const vectors = vectorsForOthers
  if (values.dump !== undefined && run === 0) {
    mkdirSync(values.dump, { recursive: true })
    writeFileSync(join(values.dump, 'vectors.f32'), Buffer.from(vectors.buffer))
    writeFileSync(join(values.dump, 'queries.f32'), Buffer.from(queries.buffer))
  }
  await indexed.close()
  rmSync(home, { recursive: true, force: true })
  noteLoad()
  const anchor = runAnchor(vectors, queries, DIMS, index.listCount, nprobe)
  noteLoad()
  return {
    chunks,
    ingestMs: report.elapsedMs,
    chunksPerSecond: chunks / (report.elapsedMs / 1000),
    ingestCpuMs,
    chunksPerCpuSecond: chunks / (ingestCpuMs / 1000),
    stagesMs: report.stagesMs,
    openAndFirstQueryMs: openMs,
    latency,
    dense: { ...dense, ...(lanceFlat === undefined ? {} : { lanceFlat }) },
    anchor,
  }
}

/**
 * Embedding-like unit vectors: `clusters` topics, each a centre plus variation inside its own
 * 8-dimensional subspace plus a little isotropic noise, so that, as with real text embeddings,
 * the data is clustered and of low intrinsic dimension (isotropic Gaussian clusters in 64
 * dimensions defeat every index: hnswlib reached recall@10 0.35 on them at 1M).
 */
function syntheticVectors(
  n: number,
  dims: number,
  clusters: number,
  seed: number,
  sampleSeed = seed,
): Float32Array {
  const topicRng = new Rng(seed)
  const rank = 8
  const centres = new Float32Array(clusters * dims)
  for (let i = 0; i < centres.length; i++) centres[i] = topicRng.normal()
  const bases = new Float32Array(clusters * rank * dims)
  for (let i = 0; i < bases.length; i++) bases[i] = topicRng.normal() * 0.35
  const r = new Rng(sampleSeed * 7919 + 1)
  const out = new Float32Array(n * dims)
  const coef = new Float32Array(rank)
  for (let i = 0; i < n; i++) {
    const c = r.int(clusters)
    for (let j = 0; j < rank; j++) coef[j] = r.normal()
    let norm = 0
    for (let d = 0; d < dims; d++) {
      let v = (centres[c * dims + d] as number) + 0.1 * r.normal()
      for (let j = 0; j < rank; j++) v += (coef[j] as number) * (bases[(c * rank + j) * dims + d] as number)
      out[i * dims + d] = v
      norm += v * v
    }
    norm = Math.sqrt(norm)
    for (let d = 0; d < dims; d++) out[i * dims + d] = (out[i * dims + d] as number) / norm
  }
  return out
}

function syntheticRun(run: number) {
  const dims = SYNTHETIC_DIMS
  const data = syntheticVectors(SYNTHETIC, dims, 2000, 7)
  const queries = syntheticVectors(N_QUERIES, dims, 2000, 7, 1000 * (run + 1))
  noteLoad()
  const rows = Array.from({ length: SYNTHETIC }, (_, i) => data.subarray(i * dims, (i + 1) * dims))
  const t0 = performance.now()
  const index = RagIvfIndex.build(rows, dims, { seed: 42 })
  const buildMs = performance.now() - t0
  console.error(`synthetic run ${run}: IVF over ${SYNTHETIC} built in ${(buildMs / 1000).toFixed(1)} s`)
  const nprobe = nprobeFor(index.listCount)
  const exactSearch: Search = (q, k) => index.exactSearch(q, k)
  const ivf = versusExact((q, k) => index.search(q, k, nprobe), exactSearch, queries, dims)
  const hnsw = values['synthetic-hnsw'] === true ? hnswOnSame(data, queries, dims, exactSearch) : undefined
  noteLoad()
  const anchor = runAnchor(data, queries, dims, index.listCount, nprobe)
  noteLoad()
  return {
    n: SYNTHETIC,
    dims,
    buildMs,
    keelIvf: {
      lists: index.listCount,
      nprobe,
      p50Ms: ivf.p50Ms,
      p99Ms: ivf.p99Ms,
      recallAt10: ivf.recallAt10,
    },
    keelExactSimd: ivf.exact,
    ...(hnsw === undefined ? {} : { keelHnsw: hnsw }),
    anchor,
  }
}

const corpusRuns = []
for (let run = 0; run < (N_CHUNKS > 0 ? RUNS : 0); run++) corpusRuns.push(await corpusRun(run))
const syntheticRuns = []
for (let run = 0; run < (SYNTHETIC > 0 ? SYNTHETIC_RUNS : 0); run++) syntheticRuns.push(syntheticRun(run))

type Run = Record<string, unknown>
/** Median of a numeric field (dotted path) over runs. */
function med(runs: readonly Run[], path: string): number | null {
  const xs = runs
    .map((r) => path.split('.').reduce<unknown>((o, key) => (o as Run | undefined)?.[key], r))
    .filter((x): x is number => typeof x === 'number')
  return xs.length === 0 ? null : median(xs)
}
function anchorSummary(runs: readonly Run[]) {
  const out: Record<string, Record<string, number | null | string | undefined>> = {}
  for (const side of ['numpy_exact', 'hnswlib', 'faiss_hnsw', 'faiss_ivf_flat']) {
    const first = (runs[0]?.anchor as Anchor | undefined)?.[side] as AnchorSide | undefined
    out[side] = {
      params: first?.params,
      error: first?.error,
      buildS: med(runs, `anchor.${side}.build_s`),
      p50Ms: med(runs, `anchor.${side}.p50_ms`),
      p99Ms: med(runs, `anchor.${side}.p99_ms`),
      recallAt10: med(runs, `anchor.${side}.recall_at_k`),
    }
  }
  return out
}

const result = {
  date: new Date().toISOString(),
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })(),
  command: `node --import tsx bench/rag.ts ${process.argv.slice(2).join(' ')}`.trim(),
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    totalMemGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverages1m5m15m: loads,
  },
  params: {
    k: K,
    hnsw: { m: M, efConstruction: EF_CONSTRUCTION, efSearch: EF },
    nprobe: values.nprobe ?? 'max(8, lists/40)',
  },
  corpus:
    corpusRuns.length === 0
      ? null
      : {
          data: {
            chunks: corpusRuns[0]?.chunks,
            files: nFiles,
            queries: queryTexts.length,
            dims: DIMS,
            vocabulary: vocab.length,
            topics: topics.length,
          },
          runs: corpusRuns.length,
          median: {
            ingest: {
              ms: med(corpusRuns, 'ingestMs'),
              chunksPerSecond: med(corpusRuns, 'chunksPerSecond'),
              cpuMs: med(corpusRuns, 'ingestCpuMs'),
              chunksPerCpuSecond: med(corpusRuns, 'chunksPerCpuSecond'),
              stagesMs: Object.fromEntries(
                Object.keys(corpusRuns[0]?.stagesMs ?? {}).map((k) => [k, med(corpusRuns, `stagesMs.${k}`)]),
              ),
              openAndFirstQueryMs: med(corpusRuns, 'openAndFirstQueryMs'),
            },
            retrieval: Object.fromEntries(
              ['lexical', 'dense', 'hybrid'].map((mode) => [
                mode,
                {
                  p50Ms: med(corpusRuns, `latency.${mode}.p50Ms`),
                  p99Ms: med(corpusRuns, `latency.${mode}.p99Ms`),
                },
              ]),
            ),
            dense: {
              keelIvf: {
                lists: corpusRuns[0]?.dense.keelIvf.lists,
                nprobe: corpusRuns[0]?.dense.keelIvf.nprobe,
                p50Ms: med(corpusRuns, 'dense.keelIvf.p50Ms'),
                p99Ms: med(corpusRuns, 'dense.keelIvf.p99Ms'),
                recallAt10: med(corpusRuns, 'dense.keelIvf.recallAt10'),
              },
              keelExactSimd: {
                p50Ms: med(corpusRuns, 'dense.keelExactSimd.p50Ms'),
                p99Ms: med(corpusRuns, 'dense.keelExactSimd.p99Ms'),
              },
              keelHnsw: {
                params: `M=${M} efConstruction=${EF_CONSTRUCTION} ef=${EF}`,
                buildMs: med(corpusRuns, 'dense.keelHnsw.buildMs'),
                p50Ms: med(corpusRuns, 'dense.keelHnsw.p50Ms'),
                p99Ms: med(corpusRuns, 'dense.keelHnsw.p99Ms'),
                recallAt10: med(corpusRuns, 'dense.keelHnsw.recallAt10'),
              },
              lanceFlatRun1: corpusRuns[0]?.dense.lanceFlat,
              anchor: anchorSummary(corpusRuns),
            },
          },
          perRun: corpusRuns,
        },
  synthetic:
    syntheticRuns.length === 0
      ? null
      : {
          n: SYNTHETIC,
          dims: SYNTHETIC_DIMS,
          clusters: 2000,
          runs: syntheticRuns.length,
          median: {
            keelIvfBuildMs: med(syntheticRuns, 'buildMs'),
            keelIvf: {
              lists: syntheticRuns[0]?.keelIvf.lists,
              largestList: syntheticRuns[0]?.keelIvf.largestList,
              nprobe: syntheticRuns[0]?.keelIvf.nprobe,
              p50Ms: med(syntheticRuns, 'keelIvf.p50Ms'),
              p99Ms: med(syntheticRuns, 'keelIvf.p99Ms'),
              recallAt10: med(syntheticRuns, 'keelIvf.recallAt10'),
            },
            keelExactSimd: {
              p50Ms: med(syntheticRuns, 'keelExactSimd.p50Ms'),
              p99Ms: med(syntheticRuns, 'keelExactSimd.p99Ms'),
            },
            keelHnsw: {
              buildMs: med(syntheticRuns, 'keelHnsw.buildMs'),
              p50Ms: med(syntheticRuns, 'keelHnsw.p50Ms'),
              p99Ms: med(syntheticRuns, 'keelHnsw.p99Ms'),
              recallAt10: med(syntheticRuns, 'keelHnsw.recallAt10'),
            },
            anchor: anchorSummary(syntheticRuns),
          },
          perRun: syntheticRuns,
        },
  peakRssMiB: Math.round(Math.max(peakRss, process.resourceUsage().maxRSS * 1024) / 2 ** 20),
}
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`)
console.log(JSON.stringify({ corpus: result.corpus?.median, synthetic: result.synthetic?.median }, null, 2))
rmSync(work, { recursive: true, force: true })
