/** Formats `keel rag ingest` reads. */
export type RagDocKind = 'markdown' | 'text' | 'html' | 'pdf'

/** A span of a document under one heading path. Offsets index `RagDocument.text`. */
export interface RagSection {
  readonly headingPath: readonly string[]
  readonly start: number
  readonly end: number
}

/** A loaded document: its extracted text and its heading structure. */
export interface RagDocument {
  /** Path as ingested (relative to the working directory when possible, `/` separators). */
  readonly source: string
  readonly title: string
  readonly kind: RagDocKind
  /**
   * The text chunks are cut from. For Markdown and plain text it is the file itself, so offsets
   * are character offsets into the file; for HTML and PDF it is the extracted text.
   */
  readonly text: string
  readonly sections: readonly RagSection[]
  /** SHA-256 of the file's bytes (re-ingest skips a file whose hash has not changed). */
  readonly hash: string
}

/** One retrievable passage. */
export interface RagChunk {
  /** Stable id: hash of source and ordinal. */
  readonly id: string
  readonly source: string
  readonly title: string
  readonly kind: RagDocKind
  readonly headingPath: readonly string[]
  /** Character offsets [start, end) into the document text. */
  readonly start: number
  readonly end: number
  /** Position of the chunk within its document. */
  readonly ordinal: number
  readonly text: string
}

/** Metadata filter applied to both lexical and dense search. All given fields must match. */
export interface RagFilter {
  /** Exact source path(s). */
  readonly source?: string | readonly string[]
  /** Source path prefix, e.g. a folder. */
  readonly sourcePrefix?: string
  readonly kind?: readonly RagDocKind[]
}

/** Retrieval mode. */
export type RagSearchMode = 'lexical' | 'dense' | 'hybrid'

/** One retrieved chunk with its fused score and the ranks it had in each list (1-based). */
export interface RagHit {
  readonly chunk: RagChunk
  readonly score: number
  readonly lexicalRank?: number
  readonly denseRank?: number
}
