/**
 * The thread that owns an onnxruntime InferenceSession for `OnnxBridge` (onnx-bridge.ts). It
 * creates the session from the model bytes in `workerData`, answers `ready` (or `error`) with the
 * graph's inputs and outputs, then runs one request per message. Every answer is posted on the reply
 * port *before* the shared counter is bumped and notified, so the blocked caller that wakes on the
 * counter always finds the answer waiting (`receiveMessageOnPort`).
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads'
import type { BridgeReply, BridgeRequest, ValueInfo, WorkerInit } from './onnx-bridge.js'

type Ort = typeof import('onnxruntime-node')
type Session = Awaited<ReturnType<Ort['InferenceSession']['create']>>

const init = workerData as WorkerInit
const ctrl = new Int32Array(init.control)
const replies: MessagePort = init.port

/** Posts an answer, then wakes the caller. */
function answer(reply: BridgeReply): void {
  replies.postMessage(reply)
  Atomics.add(ctrl, 0, 1)
  Atomics.notify(ctrl, 0)
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** True when the import failed because onnxruntime-node itself is not installed (not a broken install). */
function isMissing(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    /Cannot find (package|module) 'onnxruntime-node'/.test(messageOf(error))
  )
}

function describe(meta: Session['inputMetadata']): ValueInfo[] {
  return meta.map((m) =>
    m.isTensor
      ? {
          name: m.name,
          isTensor: true,
          type: m.type,
          shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)),
        }
      : { name: m.name, isTensor: false, type: 'non-tensor', shape: [] },
  )
}

/** Output values as float64 (int64 labels come back as BigInt64Array). */
function toFloat64(data: unknown): Float64Array {
  if (data instanceof Float64Array) return data
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array)
    return Float64Array.from(data)
  if (data instanceof BigInt64Array) return Float64Array.from(data, (v) => Number(v))
  throw new Error('The output is not a numeric tensor.')
}

async function start(): Promise<void> {
  let ort: Ort
  try {
    ort = (await import(init.runtimeUrl)) as Ort
  } catch (error) {
    answer({ kind: 'error', reason: isMissing(error) ? 'missing' : 'load', message: messageOf(error) })
    return
  }
  let session: Session
  try {
    session = await ort.InferenceSession.create(init.model, {
      intraOpNumThreads: init.threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    })
  } catch (error) {
    answer({ kind: 'error', reason: 'load', message: messageOf(error) })
    return
  }
  answer({
    kind: 'ready',
    inputs: describe(session.inputMetadata),
    outputs: describe(session.outputMetadata),
  })

  parentPort!.on('message', (request: BridgeRequest) => {
    void run(ort, session, request)
  })
}

async function run(ort: Ort, session: Session, request: BridgeRequest): Promise<void> {
  try {
    const type = request.input instanceof Float32Array ? 'float32' : 'float64'
    const feeds = { [request.inputName]: new ort.Tensor(type, request.input, [...request.dims]) }
    const result = await session.run(feeds, [request.outputName])
    const value = result[request.outputName]
    if (value === undefined) throw new Error(`The graph returned no output '${request.outputName}'.`)
    answer({ kind: 'result', data: toFloat64(value.data), dims: value.dims.map(Number) })
  } catch (error) {
    answer({ kind: 'error', reason: 'run', message: messageOf(error) })
  }
}

void start()
