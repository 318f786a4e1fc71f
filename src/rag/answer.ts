import { LlmError, type LlmProvider, type LlmUsage } from '../llm/index.js'
import type { RagCollection } from './collection.js'
import { ragTokenize } from './tokenize.js'
import type { RagFilter, RagHit, RagSearchMode } from './types.js'

/** A citation: which chunk supports the answer, and where it is in its source. */
export interface RagCitation {
  /** The [n] number used in the answer text. */
  readonly n: number
  readonly chunkId: string
  readonly source: string
  readonly title: string
  readonly headingPath: readonly string[]
  readonly start: number
  readonly end: number
  readonly score: number
  /** The passage (trimmed to 600 characters). */
  readonly snippet: string
}

/** The result of `ragAsk`. */
export interface RagAnswer {
  readonly question: string
  readonly answer: string
  /** Sources the answer cites (for an extractive answer: the passages it quotes). */
  readonly citations: readonly RagCitation[]
  /** Every retrieved source, numbered as in the prompt. */
  readonly sources: readonly RagCitation[]
  /** False when the answer is extractive (no LLM configured, or it failed after retries). */
  readonly llmUsed: boolean
  readonly model?: string
  readonly usage?: LlmUsage
  readonly costUsd?: number | null
  /** Why no LLM answer was given, e.g. 'LLM not configured' or an LlmError code. */
  readonly fallbackReason?: string
  readonly retrievalMs: number
  readonly totalMs: number
}

/** Options of `ragAsk`. */
export interface RagAskOptions {
  readonly k?: number
  readonly mode?: RagSearchMode
  readonly filter?: RagFilter
  /** The LLM to answer with; undefined gives an extractive answer. */
  readonly llm?: LlmProvider | undefined
  readonly maxTokens?: number
  readonly signal?: AbortSignal
}

const SYSTEM_PROMPT = [
  'You answer questions using only the numbered sources provided.',
  'Cite every claim with the source number in square brackets, like [1] or [2][3].',
  'If the sources do not contain the answer, say that you cannot find it in the documents.',
  'Be concise. Do not invent facts, commands or options that the sources do not mention.',
].join(' ')

/** Builds the grounded prompt: numbered sources, then the question. @internal */
export function buildRagPrompt(question: string, sources: readonly RagCitation[]): string {
  const blocks = sources.map((s) => {
    const where = s.headingPath.length > 0 ? ` (${s.headingPath.join(' > ')})` : ''
    return `[${s.n}] ${s.source}${where}\n${s.snippet}`
  })
  return `Sources:\n\n${blocks.join('\n\n')}\n\nQuestion: ${question}\n\nAnswer with citations:`
}

function toCitation(hit: RagHit, n: number): RagCitation {
  const c = hit.chunk
  return {
    n,
    chunkId: c.id,
    source: c.source,
    title: c.title,
    headingPath: c.headingPath,
    start: c.start,
    end: c.end,
    score: hit.score,
    snippet: c.text.length > 600 ? `${c.text.slice(0, 600)}…` : c.text,
  }
}

/**
 * Retrieves, then answers with the LLM from a grounded prompt; citations are the [n] markers the
 * answer uses, mapped back to chunks. Without an LLM, or when it fails after its retries, returns
 * an extractive answer built from the best passages with `llmUsed: false`. Retrieval errors
 * (unknown collection, bad k) are thrown; LLM errors never are.
 */
export async function ragAsk(
  collection: RagCollection,
  question: string,
  options: RagAskOptions = {},
): Promise<RagAnswer> {
  const started = performance.now()
  const hits = await collection.search(question, {
    k: options.k ?? 5,
    mode: options.mode ?? 'hybrid',
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  })
  const retrievalMs = performance.now() - started
  const sources = hits.map((h, i) => toCitation(h, i + 1))
  const base = { question, sources, retrievalMs }
  if (sources.length === 0) {
    return {
      ...base,
      answer: 'No matching passages were found in the collection.',
      citations: [],
      llmUsed: false,
      fallbackReason: 'no passages retrieved',
      totalMs: performance.now() - started,
    }
  }
  if (options.llm === undefined) {
    return {
      ...base,
      ...extractiveAnswer(question, sources),
      llmUsed: false,
      fallbackReason: 'LLM not configured',
      totalMs: performance.now() - started,
    }
  }
  try {
    const response = await options.llm.complete({
      system: SYSTEM_PROMPT,
      messages: [{ role: 'user', content: buildRagPrompt(question, sources) }],
      temperature: 0,
      maxTokens: options.maxTokens ?? 700,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    })
    const cited = new Set<number>()
    for (const m of response.text.matchAll(/\[(\d{1,3})\]/g)) cited.add(Number(m[1]))
    const citations = sources.filter((s) => cited.has(s.n))
    return {
      ...base,
      answer: response.text.trim(),
      citations,
      llmUsed: true,
      model: response.model,
      usage: response.usage,
      costUsd: response.costUsd,
      totalMs: performance.now() - started,
    }
  } catch (error) {
    const reason =
      error instanceof LlmError
        ? `${error.code}: ${error.message}`
        : `LLM failed: ${(error as Error).message}`
    return {
      ...base,
      ...extractiveAnswer(question, sources),
      llmUsed: false,
      fallbackReason: reason,
      totalMs: performance.now() - started,
    }
  }
}

/**
 * The best sentences of the top passages, each cited. Sentences are scored by how many distinct
 * query terms they contain, so the answer quotes the lines that actually match the question.
 * @internal
 */
export function extractiveAnswer(
  question: string,
  sources: readonly RagCitation[],
): { answer: string; citations: RagCitation[] } {
  const queryTerms = new Set(ragTokenize(question))
  const used = sources.slice(0, 3)
  const lines = used.map((s) => {
    const sentences = s.snippet
      .replace(/^#+\s.*$/gm, '')
      .split(/(?<=[.!?])\s+|\n{2,}/)
      .map((x) => x.replace(/\s+/g, ' ').trim())
      .filter((x) => x.length > 20)
    const scored = sentences
      .map((text, i) => ({
        text,
        i,
        score: new Set(ragTokenize(text).filter((t) => queryTerms.has(t))).size,
      }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 2)
      .sort((a, b) => a.i - b.i)
    const quote = scored.length > 0 ? scored.map((x) => x.text).join(' ') : s.snippet.slice(0, 300)
    const where = s.headingPath.length > 0 ? ` › ${s.headingPath[s.headingPath.length - 1]}` : ''
    return `[${s.n}] ${quote} (${s.source}${where})`
  })
  return {
    answer: `No LLM answer is available, so here are the most relevant passages:\n\n${lines.join('\n\n')}`,
    citations: used,
  }
}
