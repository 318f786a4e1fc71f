import type OpenAI from 'openai'
import { importOptional, lazyAsync } from '../core/index.js'
import { DEFAULT_RETRY_POLICY, type LlmRetryPolicy, withRetry } from '../llm/index.js'
import { normalize, type RagEmbedder } from './embedder.js'
import { RagError } from './errors.js'

/** Options of the OpenAI-compatible embedder. */
export interface RagOpenAiEmbedderOptions {
  readonly model: string
  readonly apiKey: string
  /** e.g. http://127.0.0.1:11434/v1 for Ollama. */
  readonly baseUrl?: string | undefined
  /** Known output size; probed with one request when omitted. */
  readonly dimensions?: number
  readonly batchSize?: number
  readonly retry?: LlmRetryPolicy
}

/**
 * Embeddings from any OpenAI-compatible `/embeddings` endpoint (OpenAI, Ollama, vLLM).
 *
 * `openai` is an optional peer dependency, imported by the first `embed` call.
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) from `embed` when it is not installed.
 */
export class RagOpenAiEmbedder implements RagEmbedder {
  readonly id: string
  /** The SDK client, created on the first `embed` (the SDK is an optional peer, loaded only then). */
  private readonly client: () => Promise<OpenAI>
  private dims: number | undefined

  constructor(private readonly options: RagOpenAiEmbedderOptions) {
    this.id = `openai:${options.model}`
    this.dims = options.dimensions
    this.client = lazyAsync(async () => {
      const { default: sdk } = await importOptional(
        'openai',
        'The OpenAI-compatible RAG embedder',
        () => import('openai'),
      )
      return new sdk({
        apiKey: options.apiKey,
        ...(options.baseUrl === undefined ? {} : { baseURL: options.baseUrl }),
        maxRetries: 0,
      })
    })
  }

  get dimensions(): number {
    if (this.dims === undefined)
      throw new RagError('RAG_EMBEDDER_UNAVAILABLE', 'Embedding size unknown until the first embed call.')
    return this.dims
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const client = await this.client()
    const out: Float32Array[] = []
    const batch = this.options.batchSize ?? 64
    for (let i = 0; i < texts.length; i += batch) {
      const input = texts.slice(i, i + batch)
      let result: { data: { embedding: number[] | string; index: number }[] }
      try {
        result = (
          await withRetry(
            ({ signal }) => client.embeddings.create({ model: this.options.model, input }, { signal }),
            this.options.retry ?? DEFAULT_RETRY_POLICY,
          )
        ).value
      } catch (error) {
        throw new RagError(
          'RAG_EMBEDDER_UNAVAILABLE',
          `Embedding request to ${this.options.baseUrl ?? 'api.openai.com'} (model ${this.options.model}) failed: ${(error as Error).message}`,
          { cause: error },
        )
      }
      const sorted = [...result.data].sort((a, b) => a.index - b.index)
      for (const item of sorted) {
        if (!Array.isArray(item.embedding))
          throw new RagError(
            'RAG_EMBEDDER_UNAVAILABLE',
            'Embedding endpoint returned base64 instead of float arrays.',
          )
        const v = normalize(Float32Array.from(item.embedding))
        this.dims ??= v.length
        out.push(v)
      }
    }
    return out
  }
}
