import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** How the fake answers one request. */
export type FakeLlmBehaviour =
  | { readonly kind: 'ok' }
  | { readonly kind: 'slow'; readonly delayMs: number }
  | { readonly kind: 'status'; readonly status: number; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'drop' }

/** One request the fake received. */
export interface FakeLlmRequest {
  readonly path: string
  readonly body: Record<string, unknown>
}

/** A running fake provider. */
export interface FakeLlmServer {
  /** Base URL to give the SDK (`…/v1` for openai, the root for anthropic). */
  readonly baseUrl: string
  readonly requests: FakeLlmRequest[]
  /** Behaviours for the next requests, consumed in order; afterwards every request gets `fallback`. */
  script(...behaviours: FakeLlmBehaviour[]): void
  fallback: FakeLlmBehaviour
  close(): Promise<void>
}

/** Options of `startFakeLlmServer`. */
export interface FakeLlmServerOptions {
  /** Builds the answer text from the request body (default: "fake answer"). */
  readonly respond?: (body: Record<string, unknown>) => string
}

/**
 * A real HTTP server on 127.0.0.1 speaking the Anthropic Messages or OpenAI Chat Completions
 * wire format (JSON and SSE streaming), scriptable to fail in each way a provider fails.
 * For tests only.
 * @internal
 */
export async function startFakeLlmServer(
  flavour: 'anthropic' | 'openai',
  options: FakeLlmServerOptions = {},
): Promise<FakeLlmServer> {
  const queue: FakeLlmBehaviour[] = []
  const requests: FakeLlmRequest[] = []
  const respond = options.respond ?? (() => 'fake answer')
  const sockets = new Set<import('node:net').Socket>()
  const state: { fallback: FakeLlmBehaviour } = { fallback: { kind: 'ok' } }

  const handler = async (req: IncomingMessage, res: ServerResponse) => {
    // Count the request on arrival: a client that times out while sending still made the request.
    const record: { path: string; body: Record<string, unknown> } = { path: req.url ?? '', body: {} }
    requests.push(record)
    let raw = ''
    for await (const part of req) raw += String(part)
    let body: Record<string, unknown> = {}
    try {
      body = JSON.parse(raw) as Record<string, unknown>
    } catch {
      body = {}
    }
    record.body = body
    const behaviour = queue.shift() ?? state.fallback
    switch (behaviour.kind) {
      case 'drop':
        req.socket.destroy()
        return
      case 'status': {
        const errorBody =
          flavour === 'anthropic'
            ? {
                type: 'error',
                error: {
                  type: behaviour.status === 529 ? 'overloaded_error' : 'api_error',
                  message: `fake ${behaviour.status}`,
                },
              }
            : { error: { message: `fake ${behaviour.status}`, type: 'server_error' } }
        res.writeHead(behaviour.status, { 'content-type': 'application/json', ...(behaviour.headers ?? {}) })
        res.end(JSON.stringify(errorBody))
        return
      }
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end('{"id": "msg_1", "content": [ {"type": "text", "te')
        return
      case 'slow':
        await new Promise((resolve) => setTimeout(resolve, behaviour.delayMs))
        if (res.destroyed || req.socket.destroyed) return
        break
      case 'ok':
        break
    }
    const text = respond(body)
    const model = typeof body.model === 'string' ? body.model : 'fake-model'
    if (body.stream === true) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
      const pieces = text.match(/.{1,8}/gs) ?? ['']
      if (flavour === 'anthropic') {
        const send = (event: string, data: unknown) =>
          res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
        send('message_start', {
          type: 'message_start',
          message: {
            id: 'msg_fake',
            type: 'message',
            role: 'assistant',
            model,
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 11, output_tokens: 1 },
          },
        })
        send('content_block_start', {
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'text', text: '' },
        })
        for (const piece of pieces)
          send('content_block_delta', {
            type: 'content_block_delta',
            index: 0,
            delta: { type: 'text_delta', text: piece },
          })
        send('content_block_stop', { type: 'content_block_stop', index: 0 })
        send('message_delta', {
          type: 'message_delta',
          delta: { stop_reason: 'end_turn', stop_sequence: null },
          usage: { output_tokens: 7 },
        })
        send('message_stop', { type: 'message_stop' })
      } else {
        const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
          id: 'chatcmpl_fake',
          object: 'chat.completion.chunk',
          created: 1,
          model,
          choices: [{ index: 0, delta, finish_reason: finish }],
        })
        for (const piece of pieces) res.write(`data: ${JSON.stringify(chunk({ content: piece }, null))}\n\n`)
        res.write(`data: ${JSON.stringify(chunk({}, 'stop'))}\n\n`)
        res.write(
          `data: ${JSON.stringify({ id: 'chatcmpl_fake', object: 'chat.completion.chunk', created: 1, model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`,
        )
        res.write('data: [DONE]\n\n')
      }
      res.end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    if (flavour === 'anthropic') {
      res.end(
        JSON.stringify({
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model,
          content: [{ type: 'text', text }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: 11, output_tokens: 7 },
        }),
      )
    } else {
      res.end(
        JSON.stringify({
          id: 'chatcmpl_fake',
          object: 'chat.completion',
          created: 1,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
        }),
      )
    }
  }

  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => res.destroy())
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    baseUrl: flavour === 'openai' ? `http://127.0.0.1:${port}/v1` : `http://127.0.0.1:${port}`,
    requests,
    script: (...behaviours) => queue.push(...behaviours),
    get fallback() {
      return state.fallback
    },
    set fallback(value: FakeLlmBehaviour) {
      state.fallback = value
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
