import { AppError } from '../core/index.js'

/** Stable codes of RAG failures. */
export type RagErrorCode =
  | 'RAG_INPUT_NOT_FOUND'
  | 'RAG_UNSUPPORTED_FILE'
  | 'RAG_PARSE_FAILED'
  | 'RAG_COLLECTION_NOT_FOUND'
  | 'RAG_COLLECTION_CORRUPT'
  | 'RAG_EMBEDDER_UNAVAILABLE'
  | 'RAG_EMBEDDER_MISMATCH'
  | 'RAG_EVAL_FILE_INVALID'
  | 'RAG_INVALID_ARGUMENT'

/** Any expected RAG failure; `code` is stable and `details` structured. */
export class RagError extends AppError {
  override readonly code: RagErrorCode

  constructor(
    code: RagErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(code, message, options)
    this.code = code
  }
}
