import { readFile } from 'node:fs/promises'
import type { RagCollection } from './collection.js'
import { RagError } from './errors.js'
import type { RagSearchMode } from './types.js'

/** One evaluation question and the sources that answer it. */
export interface RagEvalCase {
  readonly question: string
  /** Relevant source paths; a retrieved source matches when it equals one or ends with `/` + it. */
  readonly relevant: readonly string[]
}

/** Metrics of one retrieval mode. */
export interface RagModeMetrics {
  readonly mode: RagSearchMode
  /** recall@k by k, averaged over questions (fraction of relevant sources in the top k). */
  readonly recall: Readonly<Record<string, number>>
  readonly mrr: number
  readonly ndcg10: number
  readonly latencyP50Ms: number
  readonly latencyP99Ms: number
}

/** Result of `ragEvaluate`. */
export interface RagEvalReport {
  readonly questions: number
  readonly ks: readonly number[]
  readonly modes: readonly RagModeMetrics[]
}

/**
 * Reads a JSONL evaluation file: one `{"question": …, "relevant": [paths]}` per line
 * (`relevant_sources`/`sources` are accepted too). Reports every bad line at once.
 * @throws RagError RAG_EVAL_FILE_INVALID
 */
export async function readRagEvalFile(path: string): Promise<RagEvalCase[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new RagError('RAG_EVAL_FILE_INVALID', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  const cases: RagEvalCase[] = []
  const problems: string[] = []
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(line)
    } catch (error) {
      problems.push(`line ${i + 1}: not JSON (${(error as Error).message})`)
      return
    }
    const v = value as Record<string, unknown>
    const relevant = v.relevant ?? v.relevant_sources ?? v.sources
    if (typeof v.question !== 'string' || v.question.trim() === '')
      problems.push(`line ${i + 1}: "question" must be a non-empty string`)
    else if (
      !Array.isArray(relevant) ||
      relevant.length === 0 ||
      !relevant.every((r) => typeof r === 'string')
    )
      problems.push(`line ${i + 1}: "relevant" must be a non-empty array of source paths`)
    else cases.push({ question: v.question, relevant: relevant as string[] })
  })
  if (problems.length > 0)
    throw new RagError(
      'RAG_EVAL_FILE_INVALID',
      `${path} has ${problems.length} invalid line(s):\n  ${problems.slice(0, 20).join('\n  ')}`,
      { details: { problems } },
    )
  if (cases.length === 0) throw new RagError('RAG_EVAL_FILE_INVALID', `${path} has no questions.`)
  return cases
}

function matches(source: string, relevant: string): boolean {
  const s = source.replace(/\\/g, '/')
  const r = relevant.replace(/\\/g, '/').replace(/^\.\//, '')
  return s === r || s.endsWith(`/${r}`)
}

/** Percentile by nearest rank. @internal */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

/**
 * Source-level retrieval metrics for each mode: chunks are retrieved, then collapsed to their
 * sources in rank order, and recall@k, MRR and nDCG@10 (binary gains) are computed on that list.
 */
export async function ragEvaluate(
  collection: RagCollection,
  cases: readonly RagEvalCase[],
  options: { ks?: readonly number[]; modes?: readonly RagSearchMode[]; chunkDepth?: number } = {},
): Promise<RagEvalReport> {
  const ks = options.ks ?? [1, 3, 5, 10]
  const modes = options.modes ?? ['lexical', 'dense', 'hybrid']
  const depth = options.chunkDepth ?? 50
  // Warm up: builds the lexical index and loads the embedder so latencies measure queries only.
  await collection.search(cases[0]?.question ?? 'warm up', { k: 1, mode: 'hybrid' })
  const results: RagModeMetrics[] = []
  for (const mode of modes) {
    const recallSums = new Map<number, number>(ks.map((k) => [k, 0]))
    let mrr = 0
    let ndcg = 0
    const latencies: number[] = []
    for (const c of cases) {
      const t0 = performance.now()
      const hits = await collection.search(c.question, { k: depth, mode })
      latencies.push(performance.now() - t0)
      const ranked: string[] = []
      for (const h of hits) if (!ranked.includes(h.chunk.source)) ranked.push(h.chunk.source)
      const isRelevant = ranked.map((s) => c.relevant.some((r) => matches(s, r)))
      for (const k of ks) {
        const found = c.relevant.filter((r) => ranked.slice(0, k).some((s) => matches(s, r))).length
        recallSums.set(k, (recallSums.get(k) ?? 0) + found / c.relevant.length)
      }
      const first = isRelevant.indexOf(true)
      mrr += first < 0 ? 0 : 1 / (first + 1)
      let dcg = 0
      for (let i = 0; i < Math.min(10, isRelevant.length); i++)
        if (isRelevant[i] === true) dcg += 1 / Math.log2(i + 2)
      let ideal = 0
      for (let i = 0; i < Math.min(10, c.relevant.length); i++) ideal += 1 / Math.log2(i + 2)
      ndcg += ideal === 0 ? 0 : dcg / ideal
    }
    const n = cases.length
    results.push({
      mode,
      recall: Object.fromEntries(ks.map((k) => [String(k), (recallSums.get(k) ?? 0) / n])),
      mrr: mrr / n,
      ndcg10: ndcg / n,
      latencyP50Ms: percentile(latencies, 50),
      latencyP99Ms: percentile(latencies, 99),
    })
  }
  return { questions: cases.length, ks, modes: results }
}
