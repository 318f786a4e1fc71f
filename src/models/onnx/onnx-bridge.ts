import { createRequire } from 'node:module'
import { pathToFileURL } from 'node:url'
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads'
import { AppError, MissingDependencyError } from '../../core/index.js'
import { workerModuleCode } from '../../runtime/index.js'

/** The onnxruntime-node version Keel is tested with (its optional peer dependency range). */
export const ONNXRUNTIME_NODE_VERSION = '1.30.0'

/** One input or output of a graph, as the session reports it (-1 for a symbolic dimension). */
export interface ValueInfo {
  readonly name: string
  readonly isTensor: boolean
  /** Tensor element type ('float32', 'int64', 'string', …), or 'non-tensor' (sequence, map). */
  readonly type: string
  readonly shape: readonly number[]
}

/** What the worker receives as `workerData`. @internal */
export interface WorkerInit {
  /** onnxruntime-node's entry point as the main thread resolved it (the worker imports that file). */
  readonly runtimeUrl: string
  readonly model: Uint8Array
  readonly threads: number
  readonly control: SharedArrayBuffer
  readonly port: MessagePort
}

/** One run, main thread to worker. @internal */
export interface BridgeRequest {
  readonly inputName: string
  readonly input: Float32Array | Float64Array
  readonly dims: readonly number[]
  readonly outputName: string
}

/** One answer, worker to main thread. @internal */
export type BridgeReply =
  | { readonly kind: 'ready'; readonly inputs: ValueInfo[]; readonly outputs: ValueInfo[] }
  | { readonly kind: 'result'; readonly data: Float64Array; readonly dims: number[] }
  | { readonly kind: 'error'; readonly reason: 'missing' | 'load' | 'run'; readonly message: string }

/** The ONNX runtime thread failed, stopped answering, or was used after `close()`. */
export class OnnxRuntimeError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}, cause?: unknown) {
    super('ONNX_RUNTIME_FAILED', message, { details, cause })
  }
}

/** Options of {@link OnnxBridge}. */
export interface OnnxBridgeOptions {
  /** onnxruntime intra-op threads (default 1: a server scales by processes, not by threads per call). */
  readonly threads?: number
  /** Longest wait for the worker to start and create the session (default 60 s). */
  readonly loadTimeoutMs?: number
  /** Longest wait for one run (default 60 s). */
  readonly runTimeoutMs?: number
  /**
   * Builds the error for a model onnxruntime refuses (the caller's code: ARTIFACT_INVALID for a
   * stored artifact, IMPORT_INVALID for a file being imported).
   */
  readonly loadError: (message: string) => AppError
  /** Start of the DEPENDENCY_MISSING message ("Serving an ONNX model"). */
  readonly feature?: string
}

const DEFAULT_TIMEOUT_MS = 60_000

/** Idle workers of models nobody closed are stopped when the model is garbage-collected. */
const ABANDONED = new FinalizationRegistry<Worker>((worker) => {
  void worker.terminate()
})

/**
 * A synchronous face over onnxruntime-node's asynchronous session: a worker thread owns the
 * InferenceSession; `run` posts the input, blocks on a shared counter (`Atomics.wait`, bounded by
 * a timeout) and takes the answer off a message port (`receiveMessageOnPort`), so `predict` stays
 * synchronous like every Keel model. The worker never keeps the process alive; `close()` stops it.
 */
export class OnnxBridge {
  readonly inputs: readonly ValueInfo[]
  readonly outputs: readonly ValueInfo[]
  private readonly worker: Worker
  private readonly port: MessagePort
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4))
  private readonly runTimeoutMs: number
  /** Answers taken so far; the worker's counter runs ahead by one while a request is pending. */
  private answered = 0
  /**
   * Why the bridge can no longer run (closed, timed out, worker died). A separate object, so the
   * worker's error listener does not reference the bridge (which would keep it from being collected).
   */
  private readonly status: { broken?: string } = {}

  /**
   * Starts the worker and waits until it created the session.
   * @throws MissingDependencyError (`DEPENDENCY_MISSING`) when onnxruntime-node is not installed;
   *   `options.loadError(message)` when onnxruntime refuses the model; OnnxRuntimeError
   *   (`ONNX_RUNTIME_FAILED`) when the worker does not answer within `loadTimeoutMs`.
   */
  constructor(model: Uint8Array, options: OnnxBridgeOptions) {
    const runtimeUrl = resolveRuntime(options.feature ?? 'Running an ONNX model')
    this.runTimeoutMs = options.runTimeoutMs ?? DEFAULT_TIMEOUT_MS
    const channel = new MessageChannel()
    this.port = channel.port1
    this.port.unref()
    const init: WorkerInit = {
      runtimeUrl,
      model,
      threads: options.threads ?? 1,
      control: this.ctrl.buffer as SharedArrayBuffer,
      port: channel.port2,
    }
    this.worker = new Worker(workerModuleCode('onnx-worker', import.meta.url), {
      eval: true,
      workerData: init,
      transferList: [channel.port2],
    })
    // Idle sessions must never keep the process alive; a crash is seen as a timeout by the caller.
    this.worker.unref()
    const status = this.status
    this.worker.on('error', (error) => {
      status.broken ??= `the ONNX runtime thread failed: ${error.message}`
    })
    ABANDONED.register(this, this.worker, this)
    let reply: BridgeReply
    try {
      reply = this.await(options.loadTimeoutMs ?? DEFAULT_TIMEOUT_MS, 'create the ONNX session')
    } catch (error) {
      this.stop()
      throw error
    }
    if (reply.kind !== 'ready') {
      this.stop()
      if (reply.kind === 'error' && reply.reason === 'missing') {
        throw new OnnxRuntimeMissingError(options.feature ?? 'Running an ONNX model', reply.message)
      }
      throw options.loadError(
        reply.kind === 'error' ? reply.message : 'unexpected answer from the ONNX runtime thread',
      )
    }
    this.inputs = reply.inputs
    this.outputs = reply.outputs
  }

  /** True once `close()` ran or a failure stopped the worker. */
  get isClosed(): boolean {
    return this.status.broken !== undefined
  }

  /**
   * Runs the graph on one input tensor and returns one output as float64.
   * @throws OnnxRuntimeError (`ONNX_RUNTIME_FAILED`) when onnxruntime fails the run, the worker does
   *   not answer within the run timeout, or the bridge was closed.
   */
  run(request: BridgeRequest): { data: Float64Array; dims: readonly number[] } {
    if (this.status.broken !== undefined) {
      throw new OnnxRuntimeError(`Cannot run the ONNX model: ${this.status.broken}. Load the model again.`)
    }
    this.worker.postMessage(request)
    const reply = this.await(this.runTimeoutMs, 'run the ONNX model')
    if (reply.kind === 'result') return reply
    const message = reply.kind === 'error' ? reply.message : 'unexpected answer from the ONNX runtime thread'
    throw new OnnxRuntimeError(`onnxruntime failed to run the model: ${message}`, {
      output: request.outputName,
    })
  }

  /** Stops the worker and releases the session. Idempotent; `run` fails afterwards. */
  async close(): Promise<void> {
    this.status.broken ??= 'it was closed'
    ABANDONED.unregister(this)
    this.port.close()
    await this.worker.terminate()
  }

  /** Blocks until the worker's next answer, at most `timeoutMs`. */
  private await(timeoutMs: number, what: string): BridgeReply {
    const target = this.answered + 1
    const deadline = performance.now() + timeoutMs
    for (;;) {
      const seen = Atomics.load(this.ctrl, 0)
      if (seen >= target) break
      const left = deadline - performance.now()
      if (left <= 0) {
        this.status.broken ??= `it did not answer within ${timeoutMs} ms`
        this.stop()
        throw new OnnxRuntimeError(
          `The ONNX runtime thread did not ${what} within ${timeoutMs} ms; it was stopped. Load the model again (a very large batch may need a longer timeout).`,
          { timeoutMs },
        )
      }
      Atomics.wait(this.ctrl, 0, seen, left)
    }
    this.answered = target
    const message = receiveMessageOnPort(this.port)
    if (message === undefined)
      throw new OnnxRuntimeError('The ONNX runtime thread signalled an answer it did not send.')
    return message.message as BridgeReply
  }

  private stop(): void {
    this.status.broken ??= 'it was stopped'
    ABANDONED.unregister(this)
    this.port.close()
    void this.worker.terminate()
  }
}

/**
 * Where onnxruntime-node is installed, found from Keel's own location (as a peer dependency is).
 * Resolved here rather than in the worker so a missing package fails before any thread starts.
 */
function resolveRuntime(feature: string): string {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('onnxruntime-node')).href
  } catch (error) {
    const code = (error as { code?: unknown }).code
    if (
      code === 'MODULE_NOT_FOUND' &&
      String((error as Error).message).includes("Cannot find module 'onnxruntime-node'")
    )
      throw new OnnxRuntimeMissingError(feature, error)
    throw error
  }
}

/**
 * onnxruntime-node is not installed. Its install script downloads GPU providers unless told not to,
 * so the message names `ONNXRUNTIME_NODE_INSTALL=skip` with the install command.
 */
export class OnnxRuntimeMissingError extends MissingDependencyError {
  constructor(feature: string, cause?: unknown) {
    super('onnxruntime-node', ONNXRUNTIME_NODE_VERSION, feature, cause)
    this.message = `${feature} needs the optional package 'onnxruntime-node', which is not installed. Install it: ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@${ONNXRUNTIME_NODE_VERSION}`
  }
}
