/**
 * Hybrid retrieval with distractors: the real sample corpus (examples/docs, 33 pages, with its
 * 30+ question eval set) alone, then with ~48,000 generated distractor chunks ingested beside it.
 * Reports recall@5 and latency per mode for both, so the drop that distractors cause is measured
 * on the same questions in the same run.
 *
 * Distractor kinds: `pseudo` (default): bench/rag.ts's topic model over 20k pseudo-words, which
 * shares no vocabulary with the questions; `english`: the same topic model over the sample
 * corpus's own words, which shares all of it (a harsher test for BM25 as well as LSA).
 *
 * Run: node --import tsx bench/rag-distractors.ts [--distractors 48000] [--kind pseudo|english]
 *        [--runs 3] [--out bench/rag-distractors-results.json]
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { Rng } from '../src/core/index.js'
import { percentile } from '../src/rag/eval.js'
import {
  RagCollection,
  type RagEvalReport,
  type RagLsaEmbedder,
  ragEvaluate,
  readRagEvalFile,
} from '../src/rag/index.js'

const { values } = parseArgs({
  options: {
    distractors: { type: 'string', default: '48000' },
    kind: { type: 'string', default: 'pseudo' },
    runs: { type: 'string', default: '3' },
    out: { type: 'string', default: join(import.meta.dirname, 'rag-distractors-results.json') },
  },
})
const N = Number(values.distractors)
const KIND = values.kind === 'english' ? 'english' : 'pseudo'
const RUNS = Number(values.runs)
const PER_FILE = 100
const root = join(import.meta.dirname, '..')
const corpus = 'examples/docs'
process.chdir(root)

const rng = new Rng(2026)
let vocab: string[]
if (KIND === 'english') {
  const words = new Set<string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.md'))
        for (const w of readFileSync(path, 'utf8')
          .toLowerCase()
          .match(/[a-z]{3,}/g) ?? [])
          words.add(w)
    }
  }
  walk(corpus)
  vocab = [...words].sort()
  // Shuffle so that Zipf's head is not alphabetical.
  for (let i = vocab.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[vocab[i], vocab[j]] = [vocab[j] as string, vocab[i] as string]
  }
} else {
  const syllables = 'ka lo mi ne ru ta vo shi den por gal bri sto qua fel zin'.split(' ')
  const seen = new Set<string>()
  vocab = []
  while (vocab.length < 20_000) {
    let w = ''
    const n = 2 + rng.int(3)
    for (let i = 0; i < n; i++) w += syllables[rng.int(syllables.length)]
    if (!seen.has(w)) {
      seen.add(w)
      vocab.push(w)
    }
  }
}
const topics = Array.from({ length: 300 }, () =>
  Array.from({ length: 120 }, () => vocab[rng.int(vocab.length)] as string),
)
const zipf = (n: number) => Math.min(n - 1, Math.floor(n * rng.next() ** 2.5))
const sentence = (topic: readonly string[], words: number) =>
  Array.from({ length: words }, () =>
    rng.next() < 0.6 ? (topic[zipf(topic.length)] as string) : (vocab[zipf(vocab.length)] as string),
  ).join(' ')

const work = mkdtempSync(join(tmpdir(), 'keel-bench-rag-distractors-'))
const distractors = join(work, 'distractors')
mkdirSync(distractors)
for (let f = 0; f < Math.ceil(N / PER_FILE); f++) {
  const topicId = rng.int(topics.length)
  const topic = topics[topicId] as string[]
  const parts = [`# ${sentence(topic, 3)} ${f}`]
  for (let s = 0; s < PER_FILE && f * PER_FILE + s < N; s++)
    parts.push(`## ${sentence(topic, 3)}\n\n${sentence(topic, 40)}.`)
  writeFileSync(join(distractors, `note-${String(f).padStart(5, '0')}.md`), `${parts.join('\n\n')}\n`)
}
const cases = await readRagEvalFile(join(corpus, 'eval.jsonl'))

interface Side {
  /** Coverage of each question in the collection's LSA space (see RagLsaEmbedder.embedWithCoverage). */
  coverage: { min: number; p50: number; max: number; chunkMedian: number | undefined }
  chunks: number
  ingestMs: number
  report: RagEvalReport
  hybridPasses: { p50Ms: number; p99Ms: number }[]
}

async function side(name: string, inputs: string[]): Promise<Side> {
  const collection = await RagCollection.open(name, { create: true })
  const ingest = await collection.ingest(inputs)
  const report = await ragEvaluate(collection, cases, { ks: [1, 3, 5, 10] })
  // Hybrid latency: three passes over the questions at the CLI's default k.
  const hybridPasses: { p50Ms: number; p99Ms: number }[] = []
  for (let pass = 0; pass < 3; pass++) {
    const times: number[] = []
    for (const c of cases) {
      const t = performance.now()
      await collection.search(c.question, { k: 5, mode: 'hybrid' })
      times.push(performance.now() - t)
    }
    hybridPasses.push({ p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) })
  }
  const lsa = (await collection.embedder()) as RagLsaEmbedder
  const cov = cases.map((c) => lsa.embedWithCoverage(c.question).coverage)
  const coverage = {
    min: Math.min(...cov),
    p50: percentile(cov, 50),
    max: Math.max(...cov),
    chunkMedian: lsa.state.medianCoverage,
  }
  await collection.drop()
  return { coverage, chunks: ingest.chunksTotal, ingestMs: ingest.elapsedMs, report, hybridPasses }
}

const runs: { load: number[]; clean: Side; withDistractors: Side }[] = []
for (let run = 0; run < RUNS; run++) {
  process.env.KEEL_HOME = join(work, `home-${run}`)
  const load = loadavg().map((x) => Math.round(x * 100) / 100)
  const clean = await side('clean', [corpus])
  const withDistractors = await side('mixed', [corpus, distractors])
  runs.push({ load, clean, withDistractors })
  console.error(`run ${run}: ${clean.chunks} vs ${withDistractors.chunks} chunks`)
}

const med = (xs: number[]) => percentile(xs, 50)
const summary = (pick: (r: (typeof runs)[number]) => Side) => {
  const modes = Object.fromEntries(
    ['lexical', 'dense', 'hybrid'].map((mode) => {
      const m = (r: (typeof runs)[number]) => pick(r).report.modes.find((x) => x.mode === mode)
      return [
        mode,
        {
          recallAt5: med(runs.map((r) => m(r)?.recall['5'] ?? Number.NaN)),
          recallAt10: med(runs.map((r) => m(r)?.recall['10'] ?? Number.NaN)),
          mrr: med(runs.map((r) => m(r)?.mrr ?? Number.NaN)),
          evalLatencyP50Ms: med(runs.map((r) => m(r)?.latencyP50Ms ?? Number.NaN)),
          evalLatencyP99Ms: med(runs.map((r) => m(r)?.latencyP99Ms ?? Number.NaN)),
        },
      ]
    }),
  )
  return {
    chunks: pick(runs[0] as (typeof runs)[number]).chunks,
    questionCoverage: pick(runs[0] as (typeof runs)[number]).coverage,
    ingestMs: med(runs.map((r) => pick(r).ingestMs)),
    modes,
    hybridK5: {
      p50Ms: med(runs.flatMap((r) => pick(r).hybridPasses.map((p) => p.p50Ms))),
      p99Ms: med(runs.flatMap((r) => pick(r).hybridPasses.map((p) => p.p99Ms))),
    },
  }
}
const clean = summary((r) => r.clean)
const mixed = summary((r) => r.withDistractors)
const result = {
  date: new Date().toISOString(),
  commit: (() => {
    try {
      return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })(),
  command: `node --import tsx bench/rag-distractors.ts ${process.argv.slice(2).join(' ')}`.trim(),
  distractorKind: KIND,
  distractors: N,
  questions: cases.length,
  runs: RUNS,
  loadAverages1m5m15m: runs.map((r) => r.load),
  clean,
  withDistractors: mixed,
  hybridRecallAt5Drop:
    (clean.modes.hybrid?.recallAt5 ?? Number.NaN) - (mixed.modes.hybrid?.recallAt5 ?? Number.NaN),
}
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`)
console.log(JSON.stringify(result, null, 2))
rmSync(work, { recursive: true, force: true })
