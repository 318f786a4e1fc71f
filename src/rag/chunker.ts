import { sha256 } from '../core/index.js'
import { RagError } from './errors.js'
import { approxTokens } from './tokenize.js'
import type { RagChunk, RagDocument } from './types.js'

/** Chunking budget. */
export interface RagChunkOptions {
  /** Target upper bound per chunk, in approximate tokens. */
  readonly maxTokens: number
  /** Tokens carried over from the end of the previous chunk in the same section. */
  readonly overlapTokens: number
}

/** 220-token chunks with 40 tokens of overlap: small enough to cite precisely, big enough for context. */
export const DEFAULT_CHUNK_OPTIONS: RagChunkOptions = { maxTokens: 220, overlapTokens: 40 }

interface Span {
  readonly start: number
  readonly end: number
}

/**
 * Cuts a document into chunks that never cross a heading: each section is split into paragraphs
 * (blank-line separated), over-long paragraphs into sentences and then word windows, and the
 * pieces are packed greedily up to `maxTokens`, with the last `overlapTokens` of one chunk
 * repeated at the start of the next.
 */
export function chunkRagDocument(
  doc: RagDocument,
  options: RagChunkOptions = DEFAULT_CHUNK_OPTIONS,
): RagChunk[] {
  if (!(options.maxTokens >= 16))
    throw new RagError('RAG_INVALID_ARGUMENT', `maxTokens must be at least 16, got ${options.maxTokens}.`)
  if (!(options.overlapTokens >= 0 && options.overlapTokens < options.maxTokens / 2))
    throw new RagError(
      'RAG_INVALID_ARGUMENT',
      `overlapTokens must be in [0, maxTokens/2), got ${options.overlapTokens} with maxTokens ${options.maxTokens}.`,
    )
  const chunks: RagChunk[] = []
  for (const section of doc.sections) {
    const units = splitUnits(doc.text, section.start, section.end, options.maxTokens)
    let i = 0
    while (i < units.length) {
      let j = i
      let tokens = 0
      while (j < units.length) {
        const u = units[j] as Span
        const t = approxTokens(doc.text.slice(u.start, u.end))
        if (j > i && tokens + t > options.maxTokens) break
        tokens += t
        j++
      }
      const first = units[i] as Span
      const last = units[j - 1] as Span
      const text = doc.text.slice(first.start, last.end).trim()
      if (text !== '') {
        const ordinal = chunks.length
        chunks.push({
          id: sha256(`${doc.source}\u0000${ordinal}`).slice(0, 24),
          source: doc.source,
          title: doc.title,
          kind: doc.kind,
          headingPath: section.headingPath,
          start: first.start + leadingSpace(doc.text, first.start, last.end),
          end: last.end - trailingSpace(doc.text, first.start, last.end),
          ordinal,
          text,
        })
      }
      if (j >= units.length) break
      // Step back over trailing units for overlap, but always advance at least one unit.
      let back = j
      let carried = 0
      while (back - 1 > i) {
        const u = units[back - 1] as Span
        const t = approxTokens(doc.text.slice(u.start, u.end))
        if (carried + t > options.overlapTokens) break
        carried += t
        back--
      }
      if (back === j && j - 1 > i && options.overlapTokens > 0) {
        // No whole unit fits the overlap: carry the tail sentences of the last unit instead.
        const last = units[j - 1] as Span
        const tailStart = sentenceTailStart(doc.text, last, options.overlapTokens)
        if (tailStart !== undefined) {
          units[j - 1] = { start: tailStart, end: last.end }
          back = j - 1
        }
      }
      i = back
    }
  }
  return chunks
}

/** Earliest sentence start inside `span` whose tail fits in `budget` tokens, if any. */
function sentenceTailStart(text: string, span: Span, budget: number): number | undefined {
  const boundary = /[.!?]\s+(?=\S)/g
  const slice = text.slice(0, span.end)
  boundary.lastIndex = span.start
  for (let m = boundary.exec(slice); m !== null; m = boundary.exec(slice)) {
    const start = m.index + m[0].length
    if (approxTokens(text.slice(start, span.end)) <= budget) return start
  }
  return undefined
}

function leadingSpace(text: string, start: number, end: number): number {
  let n = 0
  while (start + n < end && /\s/.test(text[start + n] ?? '')) n++
  return n
}

function trailingSpace(text: string, start: number, end: number): number {
  let n = 0
  while (end - n > start && /\s/.test(text[end - n - 1] ?? '')) n++
  return n
}

/** Paragraph spans of [start, end), with paragraphs over budget split into sentences, then words. */
function splitUnits(text: string, start: number, end: number, maxTokens: number): Span[] {
  const units: Span[] = []
  const paragraph = /\n\s*\n/g
  paragraph.lastIndex = start
  let cursor = start
  const slice = text.slice(0, end)
  for (let m = paragraph.exec(slice); m !== null; m = paragraph.exec(slice)) {
    pushParagraph(text, cursor, m.index + m[0].length, maxTokens, units)
    cursor = m.index + m[0].length
  }
  if (cursor < end) pushParagraph(text, cursor, end, maxTokens, units)
  return units.filter((u) => text.slice(u.start, u.end).trim() !== '')
}

function pushParagraph(text: string, start: number, end: number, maxTokens: number, out: Span[]): void {
  if (approxTokens(text.slice(start, end)) <= maxTokens) {
    out.push({ start, end })
    return
  }
  const sentence = /[.!?](?=\s)|\n/g
  const slice = text.slice(0, end)
  sentence.lastIndex = start
  let cursor = start
  for (let m = sentence.exec(slice); m !== null; m = sentence.exec(slice)) {
    const stop = m.index + 1
    pushWords(text, cursor, stop, maxTokens, out)
    cursor = stop
  }
  if (cursor < end) pushWords(text, cursor, end, maxTokens, out)
}

function pushWords(text: string, start: number, end: number, maxTokens: number, out: Span[]): void {
  if (approxTokens(text.slice(start, end)) <= maxTokens) {
    out.push({ start, end })
    return
  }
  // A run-on "sentence" (a table, minified code): cut at whitespace near the budget.
  const maxChars = maxTokens * 4
  let cursor = start
  while (cursor < end) {
    let stop = Math.min(end, cursor + maxChars)
    if (stop < end) {
      const space = text.lastIndexOf(' ', stop)
      if (space > cursor + maxChars / 2) stop = space
    }
    out.push({ start: cursor, end: stop })
    cursor = stop
  }
}
