import type Anthropic from '@anthropic-ai/sdk'
import { LlmError } from './errors.js'
import { callOptions, DEFAULT_MAX_TOKENS, lazySdkClient, SdkProvider } from './sdk-client.js'
import { mapSdkError } from './sdk-errors.js'
import type { LlmChunk, LlmProvider, LlmRequest, LlmResponse } from './types.js'

/** Options of the raw Anthropic adapter. */
export interface AnthropicProviderOptions {
  readonly apiKey: string
  readonly model: string
  readonly baseUrl?: string | undefined
}

/**
 * Raw Anthropic Messages API adapter: one request per call, no retries (the SDK's are off; the
 * reliable client adds ours), errors mapped to `LlmError`.
 *
 * `@anthropic-ai/sdk` is an optional peer dependency, imported on the first call.
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) from `complete`/`stream` when it is not installed.
 */
export class AnthropicProvider extends SdkProvider<typeof Anthropic, Anthropic> implements LlmProvider {
  readonly name = 'anthropic' as const

  constructor(options: AnthropicProviderOptions) {
    super(
      options.model,
      lazySdkClient(
        '@anthropic-ai/sdk',
        'The Anthropic LLM provider',
        () => import('@anthropic-ai/sdk'),
        options,
      ),
    )
  }

  private body(request: LlmRequest) {
    return {
      model: request.model ?? this.model,
      max_tokens: request.maxTokens ?? DEFAULT_MAX_TOKENS,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      ...(request.system === undefined ? {} : { system: request.system }),
      ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
      ...(request.stopSequences === undefined ? {} : { stop_sequences: [...request.stopSequences] }),
    }
  }

  async complete(request: LlmRequest): Promise<LlmResponse> {
    const started = performance.now()
    const { sdk, client } = await this.client()
    let message: Anthropic.Message
    try {
      message = await client.messages.create(
        { ...this.body(request), stream: false },
        callOptions(request.signal),
      )
    } catch (error) {
      throw mapSdkError(error, 'anthropic', sdk)
    }
    if (message === null || typeof message !== 'object' || !Array.isArray(message.content)) {
      throw new LlmError('LLM_BAD_RESPONSE', 'anthropic returned a response without a content array.', {
        retryable: true,
      })
    }
    const text = message.content.map((block) => (block.type === 'text' ? block.text : '')).join('')
    return {
      text,
      provider: 'anthropic',
      model: message.model ?? request.model ?? this.model,
      usage: {
        inputTokens: message.usage?.input_tokens ?? 0,
        outputTokens: message.usage?.output_tokens ?? 0,
      },
      stopReason: message.stop_reason ?? null,
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
      const events = await client.messages.create(
        { ...this.body(request), stream: true },
        callOptions(request.signal),
      )
      for await (const event of events) {
        switch (event.type) {
          case 'message_start':
            inputTokens = event.message.usage.input_tokens
            outputTokens = event.message.usage.output_tokens
            model = event.message.model
            break
          case 'content_block_delta':
            if (event.delta.type === 'text_delta') yield { kind: 'text', text: event.delta.text }
            break
          case 'message_delta':
            outputTokens = event.usage.output_tokens
            stopReason = event.delta.stop_reason ?? null
            break
          default:
            break
        }
      }
    } catch (error) {
      throw mapSdkError(error, 'anthropic', sdk)
    }
    yield { kind: 'done', usage: { inputTokens, outputTokens }, stopReason, model }
  }
}
