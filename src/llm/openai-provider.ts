import type OpenAI from 'openai'
import { LlmError } from './errors.js'
import { callOptions, DEFAULT_MAX_TOKENS, lazySdkClient, SdkProvider } from './sdk-client.js'
import { mapSdkError } from './sdk-errors.js'
import type { LlmChunk, LlmProvider, LlmRequest, LlmResponse } from './types.js'

/** Options of the raw OpenAI-compatible adapter. */
export interface OpenAiProviderOptions {
  readonly apiKey: string
  readonly model: string
  /** e.g. http://127.0.0.1:11434/v1 for Ollama; defaults to api.openai.com. */
  readonly baseUrl?: string | undefined
}

/**
 * Raw adapter for any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM,
 * LM Studio, llama.cpp server): one request per call, SDK retries off, errors mapped.
 *
 * `openai` is an optional peer dependency, imported on the first call.
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) from `complete`/`stream` when it is not installed.
 */
export class OpenAiProvider extends SdkProvider<typeof OpenAI, OpenAI> implements LlmProvider {
  readonly name = 'openai' as const

  constructor(options: OpenAiProviderOptions) {
    super(
      options.model,
      lazySdkClient('openai', 'The OpenAI-compatible LLM provider', () => import('openai'), options),
    )
  }

  private body(request: LlmRequest) {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = []
    if (request.system !== undefined) messages.push({ role: 'system', content: request.system })
    for (const m of request.messages) messages.push({ role: m.role, content: m.content })
    return {
      model: request.model ?? this.model,
      messages,
      // max_tokens (not max_completion_tokens) because most compatible servers only know it.
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.stopSequences === undefined ? {} : { stop: [...request.stopSequences] }),
    }
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const started = performance.now()
    const { sdk, client } = await this.client()
    let completion: OpenAI.Chat.ChatCompletion
    try {
      completion = await client.chat.completions.create(
        { ...this.body(request), stream: false },
        callOptions(request.signal),
      )
    } catch (error) {
      throw mapSdkError(error, 'openai', sdk)
    }
    if (completion === null || typeof completion !== 'object' || !Array.isArray(completion.choices)) {
      throw new LlmError('LLM_BAD_RESPONSE', 'openai-compatible endpoint returned no choices array.', {
        retryable: true,
      })
    }
    const choice = completion.choices[0]
    return {
      text: choice?.message?.content ?? '',
      provider: 'openai',
      model: completion.model ?? request.model ?? this.model,
      usage: {
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      },
      stopReason: choice?.finish_reason ?? null,
      cached: false,
      retries: 0,
      latencyMs: performance.now() - started,
      costUsd: null,
    }
  }

  async *stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    let inputTokens = 0
    let outputTokens = 0
    let stopReason: string | null = null
    let model = request.model ?? this.model
    const { sdk, client } = await this.client()
    try {
      const chunks = await client.chat.completions.create(
        { ...this.body(request), stream: true, stream_options: { include_usage: true } },
        callOptions(request.signal),
      )
      for await (const chunk of chunks) {
        if (chunk.model) model = chunk.model
        const choice = chunk.choices[0]
        const delta = choice?.delta?.content
        if (typeof delta === 'string' && delta !== '') yield { kind: 'text', text: delta }
        if (choice?.finish_reason) stopReason = choice.finish_reason
        if (chunk.usage) {
          inputTokens = chunk.usage.prompt_tokens
          outputTokens = chunk.usage.completion_tokens
        }
      }
    } catch (error) {
      throw mapSdkError(error, 'openai', sdk)
    }
    yield { kind: 'done', usage: { inputTokens, outputTokens }, stopReason, model }
  }
}
