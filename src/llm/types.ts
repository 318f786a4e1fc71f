/** Which provider family an adapter speaks. */
export type LlmProviderName = 'anthropic' | 'openai'

/** One chat turn. System instructions go in `LlmRequest.system`, not here. */
export interface LlmMessage {
  readonly role: 'user' | 'assistant'
  readonly content: string
}

/** A provider-neutral completion request. */
export interface LlmRequest {
  readonly messages: readonly LlmMessage[]
  readonly system?: string
  /** Overrides the client's configured model for this call. */
  readonly model?: string
  /** Upper bound on generated tokens (default 1024). */
  readonly maxTokens?: number
  /** Sampling temperature; 0 makes the request deterministic and therefore cacheable. */
  readonly temperature?: number
  readonly stopSequences?: readonly string[]
  /**
   * Cache policy: `undefined` caches only deterministic requests (temperature 0), `true` opts a
   * non-deterministic request in, `false` bypasses the cache entirely.
   */
  readonly cache?: boolean
  /** Cancels the call (and any retries) when aborted. */
  readonly signal?: AbortSignal
}

/** Token counts reported by the provider. */
export interface LlmUsage {
  readonly inputTokens: number
  readonly outputTokens: number
}

/** A finished completion plus its accounting. */
export interface LlmResponse {
  readonly text: string
  readonly provider: LlmProviderName
  readonly model: string
  readonly usage: LlmUsage
  readonly stopReason: string | null
  /** True when served from the response cache (no request reached the provider). */
  readonly cached: boolean
  /** Retries spent (0 when the first attempt succeeded). */
  readonly retries: number
  readonly latencyMs: number
  /** Cost in USD from the configured price table; null when the model has no price. */
  readonly costUsd: number | null
}

/** One streamed piece: text deltas, then exactly one `done` with the final usage. */
export type LlmChunk =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'done'
      readonly usage: LlmUsage
      readonly stopReason: string | null
      readonly model: string
    }

/** The small interface every provider adapter (and the reliable client on top) implements. */
export interface LlmProvider {
  readonly name: LlmProviderName
  readonly model: string
  complete(request: LlmRequest): Promise<LlmResponse>
  stream(request: LlmRequest): AsyncIterable<LlmChunk>
  /**
   * Loads what the provider needs before its first call (its SDK, an optional peer dependency).
   * The client awaits it before the retry loop, so loading never counts against a call's timeout.
   */
  prepare?(): Promise<void>
}
