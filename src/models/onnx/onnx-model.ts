import {
  type AppError,
  type Artifact,
  ArtifactError,
  assertColumns,
  decodeArray,
  encodeArray,
  type Matrix,
  makeArtifact,
} from '../../core/index.js'
import type { FittedClassifier, FittedModel, TaskKind } from '../estimator.js'
import { argmaxRows, probabilitiesFromMargins } from '../estimator.js'
import { checkFormatVersion, stateRecord } from '../linear/model-io.js'
import { OnnxBridge, type OnnxBridgeOptions, OnnxRuntimeError } from './onnx-bridge.js'

/** Artifact kind of an ONNX graph served through onnxruntime-node: 'onnx-graph'. */
export const ONNX_GRAPH_KIND = 'onnx-graph'
const FORMAT_VERSION = 1
/** Rows per run: bounds the tensors copied between threads for a large batch. */
const RUN_CHUNK_ROWS = 8192

/**
 * How to read the graph's output. Binary models answer like Keel's own (probability of the
 * positive class): `probability` is one column P(positive), `logit` one column passed through the
 * sigmoid, `two-column` is [negative, positive]; `class-probabilities` is k columns in class-code
 * order; `logits` (two-column, class-probabilities) applies the softmax first. `value` is a
 * regression output (one column).
 */
export type OnnxOutputKind = 'probability' | 'logit' | 'two-column' | 'class-probabilities' | 'value'

/** The output the model reads and how. */
export interface OnnxOutputSpec {
  readonly kind: OnnxOutputKind
  /** Graph output name (for a TreeEnsembleClassifier: its probabilities tensor, not the labels). */
  readonly name: string
  /** Columns are raw scores to pass through the softmax (two-column, class-probabilities). */
  readonly logits: boolean
}

/** Everything an ONNX graph model is: the file and how to feed and read it. */
export interface OnnxGraphSpec {
  /** The .onnx file's bytes (a serialised ModelProto). */
  readonly model: Uint8Array
  readonly inputName: string
  readonly inputType: 'float32' | 'float64'
  /** 2: the input is [batch, F]; 1: it is [F] (one row per run). */
  readonly inputRank: 1 | 2
  /** The graph takes one row per run (rank 1, or a batch dimension fixed at 1). */
  readonly rowAtATime: boolean
  /** Feature columns in the tensor's column order. */
  readonly featureNames: readonly string[]
  readonly task: TaskKind
  /** Classes of a classifier (codes 0..k-1); 0 for regression. */
  readonly nClasses: number
  readonly output: OnnxOutputSpec
  /** Producer and version as the file states them (e.g. `pytorch 1.13.0`). */
  readonly producer: string
}

/** Runtime settings of an ONNX graph model (not part of what it predicts). */
export interface OnnxGraphParams {
  /** onnxruntime intra-op threads per model (default 1). */
  readonly threads: number
}

const DEFAULT_PARAMS: OnnxGraphParams = { threads: 1 }

/** Output columns the spec's output kind reads. */
export function outputColumns(output: OnnxOutputSpec, nClasses: number): number {
  switch (output.kind) {
    case 'probability':
    case 'logit':
    case 'value':
      return 1
    case 'two-column':
      return 2
    case 'class-probabilities':
      return nClasses
  }
}

/**
 * A model in an ONNX graph, run by onnxruntime-node on a worker thread (see OnnxBridge). Regressors
 * are this class; classifiers are {@link OnnxGraphClassifier}. Call `close()` when done with it:
 * it stops the worker (one per loaded model).
 */
export class OnnxGraphModel implements FittedModel {
  readonly kind = ONNX_GRAPH_KIND
  readonly task: TaskKind
  readonly nFeatures: number
  readonly featureNames: readonly string[]
  readonly spec: OnnxGraphSpec
  readonly params: OnnxGraphParams
  protected readonly bridge: OnnxBridge

  /** @internal Use `openOnnxGraph`, `loadModel` or `importOnnx`. */
  constructor(spec: OnnxGraphSpec, bridge: OnnxBridge, params: OnnxGraphParams = DEFAULT_PARAMS) {
    this.spec = spec
    this.task = spec.task
    this.featureNames = spec.featureNames
    this.nFeatures = spec.featureNames.length
    this.bridge = bridge
    this.params = params
  }

  /** Regression values, or class codes (argmax of `predictProba`) for classifiers. */
  predict(x: Matrix): Float64Array {
    if (this.task !== 'regression') return argmaxRows(toProbabilities(this.spec, this.raw(x), x.rows))
    return this.raw(x)
  }

  /**
   * The graph's output for each row as the spec reads it, row-major (rows × columns): before any
   * sigmoid or softmax.
   */
  raw(x: Matrix): Float64Array {
    assertColumns(x, this.nFeatures, 'ONNX model')
    const cols = outputColumns(this.spec.output, this.spec.nClasses)
    const out = new Float64Array(x.rows * cols)
    const step = this.spec.rowAtATime ? 1 : RUN_CHUNK_ROWS
    for (let from = 0; from < x.rows; from += step) {
      const to = Math.min(x.rows, from + step)
      const values = x.data.subarray(from * x.cols, to * x.cols)
      const input = this.spec.inputType === 'float32' ? Float32Array.from(values) : Float64Array.from(values)
      const dims = this.spec.inputRank === 1 ? [x.cols] : [to - from, x.cols]
      const result = this.bridge.run({
        inputName: this.spec.inputName,
        input,
        dims,
        outputName: this.spec.output.name,
      })
      if (result.data.length !== (to - from) * cols) {
        throw new OnnxRuntimeError(
          `The ONNX output '${this.spec.output.name}' has shape [${result.dims.join(', ')}] for ${to - from} row(s); expected ${cols} value(s) per row (${this.spec.output.kind}).`,
          { dims: result.dims, expectedColumns: cols },
        )
      }
      out.set(result.data, from * cols)
    }
    return out
  }

  /** A versioned, code-free artifact holding the .onnx bytes and how to read them. */
  toArtifact(): Artifact {
    const s = this.spec
    return makeArtifact({
      format: 'model',
      formatVersion: FORMAT_VERSION,
      kind: ONNX_GRAPH_KIND,
      params: { ...this.params },
      state: {
        model: encodeArray(s.model),
        inputName: s.inputName,
        inputType: s.inputType,
        inputRank: s.inputRank,
        rowAtATime: s.rowAtATime,
        task: s.task,
        nClasses: s.nClasses,
        output: { ...s.output },
        producer: s.producer,
      },
      featureNames: [...s.featureNames],
    })
  }

  /** True once `close()` ran (or the runtime thread failed); predictions fail afterwards. */
  get isClosed(): boolean {
    return this.bridge.isClosed
  }

  /** Stops the runtime thread. Idempotent. */
  close(): Promise<void> {
    return this.bridge.close()
  }
}

/** A classifier in an ONNX graph; `predictProba` columns follow class codes 0..k-1. */
export class OnnxGraphClassifier extends OnnxGraphModel implements FittedClassifier {
  declare readonly task: 'binary' | 'multiclass'
  readonly nClasses: number

  /** @internal Use `openOnnxGraph`, `loadModel` or `importOnnx`. */
  constructor(spec: OnnxGraphSpec, bridge: OnnxBridge, params?: OnnxGraphParams) {
    super(spec, bridge, params)
    this.nClasses = spec.nClasses
  }

  /** Rows × k class probabilities (binary: [P(negative), P(positive)]). */
  predictProba(x: Matrix): Matrix {
    return toProbabilities(this.spec, this.raw(x), x.rows)
  }
}

/** Class probabilities from the raw output columns, per the output kind. */
function toProbabilities(spec: OnnxGraphSpec, raw: Float64Array, rows: number): Matrix {
  const { kind, logits } = spec.output
  switch (kind) {
    case 'probability': {
      const data = new Float64Array(rows * 2)
      for (let i = 0; i < rows; i++) {
        data[2 * i] = 1 - raw[i]!
        data[2 * i + 1] = raw[i]!
      }
      return { rows, cols: 2, data }
    }
    case 'logit':
      return probabilitiesFromMargins(raw, rows, 2)
    case 'two-column':
    case 'class-probabilities': {
      const k = kind === 'two-column' ? 2 : spec.nClasses
      if (!logits) return { rows, cols: k, data: raw }
      if (k !== 2) return probabilitiesFromMargins(raw, rows, k)
      // the two-class softmax is the sigmoid of the score difference
      const margins = new Float64Array(rows)
      for (let i = 0; i < rows; i++) margins[i] = raw[2 * i + 1]! - raw[2 * i]!
      return probabilitiesFromMargins(margins, rows, 2)
    }
    case 'value':
      throw new OnnxRuntimeError('A regression ONNX model has no class probabilities.')
  }
}

/** Options of {@link openOnnxGraph}. */
export interface OpenOnnxGraphOptions extends Partial<Omit<OnnxBridgeOptions, 'threads'>> {
  readonly params?: Partial<OnnxGraphParams>
}

/**
 * Starts a runtime thread for `spec` and wraps it as a Keel model, checking the graph has the
 * spec's input and output. Blocks until the session is created (bounded by `loadTimeoutMs`).
 * @throws MissingDependencyError (`DEPENDENCY_MISSING`) when onnxruntime-node is not installed;
 *   ArtifactError (`ARTIFACT_INVALID`, or `options.loadError`'s) when the graph does not load or
 *   lacks the spec's input or output; OnnxRuntimeError on a timeout.
 */
export function openOnnxGraph(spec: OnnxGraphSpec, options: OpenOnnxGraphOptions = {}): OnnxGraphModel {
  const params = { ...DEFAULT_PARAMS, ...options.params }
  const loadError =
    options.loadError ??
    ((message: string): AppError =>
      new ArtifactError('ARTIFACT_INVALID', `The ONNX graph in this artifact does not load: ${message}`))
  const bridge = new OnnxBridge(spec.model, {
    ...options,
    threads: params.threads,
    loadError,
    feature: options.feature ?? 'Loading an ONNX model',
  })
  const input = bridge.inputs.find((v) => v.name === spec.inputName)
  const output = bridge.outputs.find((v) => v.name === spec.output.name)
  if (input === undefined || output === undefined) {
    void bridge.close()
    const missing = input === undefined ? `input '${spec.inputName}'` : `output '${spec.output.name}'`
    throw loadError(
      `the graph has no ${missing} (inputs: ${bridge.inputs.map((v) => v.name).join(', ')}; outputs: ${bridge.outputs.map((v) => v.name).join(', ')})`,
    )
  }
  return spec.task === 'regression'
    ? new OnnxGraphModel(spec, bridge, params)
    : new OnnxGraphClassifier(spec, bridge, params)
}

function invalid(message: string): ArtifactError {
  return new ArtifactError('ARTIFACT_INVALID', `Artifact of kind '${ONNX_GRAPH_KIND}': ${message}`)
}

function oneOf<T extends string | number>(value: unknown, allowed: readonly T[], key: string): T {
  if (!allowed.includes(value as T)) {
    throw invalid(`state.${key} is ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}.`)
  }
  return value as T
}

function text(value: unknown, key: string): string {
  if (typeof value !== 'string' || value === '') throw invalid(`state.${key} must be a non-empty string.`)
  return value
}

const OUTPUT_KINDS: readonly OnnxOutputKind[] = [
  'probability',
  'logit',
  'two-column',
  'class-probabilities',
  'value',
]

/** Checks an artifact's state and returns the spec it describes. @internal */
export function readOnnxGraphSpec(artifact: Artifact<unknown, unknown>): OnnxGraphSpec {
  checkFormatVersion(artifact, FORMAT_VERSION)
  const st = stateRecord(artifact)
  const task = oneOf<TaskKind>(st.task, ['binary', 'multiclass', 'regression'], 'task')
  const nClasses = st.nClasses
  const classesOk =
    typeof nClasses === 'number' &&
    Number.isInteger(nClasses) &&
    (task === 'regression' ? nClasses === 0 : task === 'binary' ? nClasses === 2 : nClasses >= 2)
  if (!classesOk) throw invalid(`state.nClasses ${String(nClasses)} does not fit task '${task}'.`)
  const rawOutput = st.output
  if (typeof rawOutput !== 'object' || rawOutput === null) throw invalid('state.output must be an object.')
  const o = rawOutput as Record<string, unknown>
  const output: OnnxOutputSpec = {
    kind: oneOf(o.kind, OUTPUT_KINDS, 'output.kind'),
    name: text(o.name, 'output.name'),
    logits: o.logits === true,
  }
  const fits =
    task === 'regression'
      ? output.kind === 'value'
      : task === 'binary'
        ? output.kind !== 'value' && output.kind !== 'class-probabilities'
        : output.kind === 'class-probabilities'
  if (!fits) throw invalid(`output kind '${output.kind}' does not fit task '${task}'.`)
  const featureNames = artifact.featureNames
  if (featureNames.length === 0 || !featureNames.every((n) => typeof n === 'string'))
    throw invalid('featureNames must name at least one column.')
  if (typeof st.rowAtATime !== 'boolean') throw invalid('state.rowAtATime must be a boolean.')
  if (typeof st.producer !== 'string') throw invalid('state.producer must be a string.')
  const model = decodeArray(st.model, 'u8')
  if (model.length === 0) throw invalid('state.model holds no bytes.')
  return {
    model,
    inputName: text(st.inputName, 'inputName'),
    inputType: oneOf(st.inputType, ['float32', 'float64'] as const, 'inputType'),
    inputRank: oneOf(st.inputRank, [1, 2] as const, 'inputRank'),
    rowAtATime: st.rowAtATime,
    featureNames,
    task,
    nClasses: nClasses as number,
    output,
    producer: st.producer,
  }
}

/** Reads an 'onnx-graph' artifact: starts its runtime thread (see `openOnnxGraph`). @internal */
export function readOnnxGraph(artifact: Artifact<unknown, unknown>): OnnxGraphModel {
  const spec = readOnnxGraphSpec(artifact)
  const p = artifact.params
  const threads =
    typeof p === 'object' && p !== null && typeof (p as { threads?: unknown }).threads === 'number'
      ? (p as { threads: number }).threads
      : DEFAULT_PARAMS.threads
  if (!Number.isInteger(threads) || threads < 0 || threads > 256)
    throw invalid(`params.threads ${threads} is invalid.`)
  return openOnnxGraph(spec, { params: { threads } })
}
