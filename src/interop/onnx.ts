/**
 * ONNX models imported for serving: any graph with one numeric input tensor [batch, F] (a PyTorch
 * network from torch.onnx.export, an ai.onnx.ml tree ensemble, ...), run by onnxruntime-node.
 * Binary models answer like Keel's own: the probability of the positive class, read from a
 * one-column output (a probability, or a logit with `logits`) or a [negative, positive] pair.
 */
import { AppError } from '../core/index.js'
import type { TaskKind } from '../models/index.js'
import {
  OnnxBridge,
  OnnxGraphClassifier,
  OnnxGraphModel,
  type OnnxGraphSpec,
  type OnnxOutputSpec,
  type ValueInfo,
} from '../models/index.js'
import type { ImportedModel } from './types.js'

/** Why an ONNX file cannot be imported: malformed, or a graph Keel cannot serve. */
export type OnnxImportProblem = 'IMPORT_INVALID' | 'IMPORT_UNSUPPORTED'

/** An ONNX file Keel cannot import; `problem` (also `details.problem`) says why. */
export class OnnxImportError extends AppError {
  readonly problem: OnnxImportProblem

  constructor(problem: OnnxImportProblem, message: string, details: Record<string, unknown> = {}) {
    super(problem, message, { details: { problem, format: 'onnx', ...details } })
    this.problem = problem
  }
}

/** Options of {@link importOnnx}. */
export interface OnnxImportOptions {
  /** What the graph predicts; required when its output has one column (binary or regression). */
  readonly task?: TaskKind
  /** The output columns are logits (sigmoid for one column, softmax for several). */
  readonly logits?: boolean
  /** Classes of a classifier; checked against the output's columns. */
  readonly nClasses?: number
  /** Names of the input tensor's columns, in order (a schema sample's feature columns). */
  readonly featureNames?: readonly string[]
  /** The graph output to read, when several could be the prediction. */
  readonly outputName?: string
  /** Longest wait for onnxruntime to create the session (default 60 s). */
  readonly loadTimeoutMs?: number
}

/** What the ModelProto says about itself, read without onnxruntime. */
export interface OnnxModelHeader {
  readonly irVersion: number
  readonly producerName: string
  readonly producerVersion: string
  /** Operator sets: domain ('' is ai.onnx) to version. */
  readonly opsets: ReadonlyMap<string, number>
}

/**
 * Reads the top-level fields of an ONNX ModelProto (ir_version 1, producer_name 2,
 * producer_version 3, graph 7, opset_import 8) with a minimal protobuf reader: onnxruntime-node
 * does not expose the producer. Throws IMPORT_INVALID when the bytes are not a ModelProto.
 */
export function readOnnxHeader(bytes: Uint8Array): OnnxModelHeader {
  const notOnnx = (why: string): OnnxImportError =>
    new OnnxImportError(
      'IMPORT_INVALID',
      `The file is not an ONNX model (${why}). Pass the .onnx file written by torch.onnx.export, skl2onnx or onnx.save.`,
    )
  let irVersion = 0
  let producerName = ''
  let producerVersion = ''
  let hasGraph = false
  const opsets = new Map<string, number>()
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  for (const field of fields(bytes, notOnnx)) {
    if (field.number === 1 && field.varint !== undefined) irVersion = field.varint
    else if ((field.number === 2 || field.number === 3) && field.bytes !== undefined) {
      let value: string
      try {
        value = utf8.decode(field.bytes)
      } catch {
        throw notOnnx('the producer name is not UTF-8')
      }
      if (field.number === 2) producerName = value
      else producerVersion = value
    } else if (field.number === 7 && field.bytes !== undefined) hasGraph = true
    else if (field.number === 8 && field.bytes !== undefined) {
      let domain = ''
      let version = 0
      for (const f of fields(field.bytes, notOnnx)) {
        if (f.number === 1 && f.bytes !== undefined) domain = Buffer.from(f.bytes).toString('utf8')
        if (f.number === 2 && f.varint !== undefined) version = f.varint
      }
      opsets.set(domain, version)
    }
  }
  if (!hasGraph || irVersion === 0) throw notOnnx(hasGraph ? 'no ir_version' : 'no graph')
  return { irVersion, producerName, producerVersion, opsets }
}

interface Field {
  readonly number: number
  readonly varint?: number
  readonly bytes?: Uint8Array
}

/** The fields of one protobuf message (varint and length-delimited values; fixed ones skipped). */
function* fields(buf: Uint8Array, fail: (why: string) => Error): Generator<Field> {
  let pos = 0
  const varint = (): number => {
    let value = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw fail('truncated varint')
      const b = buf[pos++]!
      value += (b & 0x7f) * scale
      if ((b & 0x80) === 0) return value
      scale *= 128
    }
    throw fail('varint too long')
  }
  while (pos < buf.length) {
    const key = varint()
    const number = Math.floor(key / 8)
    const wire = key % 8
    if (number === 0) throw fail('field number 0')
    if (wire === 0) yield { number, varint: varint() }
    else if (wire === 2) {
      const length = varint()
      if (pos + length > buf.length) throw fail('a field runs past the end')
      yield { number, bytes: buf.subarray(pos, pos + length) }
      pos += length
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4
      if (pos > buf.length) throw fail('truncated fixed-width field')
    } else throw fail(`wire type ${wire}`)
  }
}

const FLOAT_TYPES = ['float32', 'float64'] as const

function unsupported(message: string, details: Record<string, unknown> = {}): OnnxImportError {
  return new OnnxImportError('IMPORT_UNSUPPORTED', message, details)
}

function invalid(message: string, details: Record<string, unknown> = {}): OnnxImportError {
  return new OnnxImportError('IMPORT_INVALID', message, details)
}

function describeValue(v: ValueInfo): string {
  return v.isTensor
    ? `${v.name}: ${v.type}[${v.shape.map((d) => (d < 0 ? '?' : d)).join(', ')}]`
    : `${v.name}: non-tensor`
}

/** How the input tensor is fed: its name, element type, rank, width and whether it takes one row per run. */
function inputLayout(
  inputs: readonly ValueInfo[],
  featureNames: readonly string[] | undefined,
): Pick<OnnxGraphSpec, 'inputName' | 'inputType' | 'inputRank' | 'rowAtATime' | 'featureNames'> {
  if (inputs.length !== 1) {
    throw unsupported(
      `The graph has ${inputs.length} inputs (${inputs.map(describeValue).join('; ')}); Keel feeds one numeric tensor [batch, features]. Export the model with a single input (concatenate the features inside the graph).`,
      { inputs: inputs.map((v) => v.name) },
    )
  }
  const input = inputs[0]!
  const type = FLOAT_TYPES.find((t) => t === input.type)
  if (!input.isTensor || type === undefined) {
    throw unsupported(
      `The graph's input ${describeValue(input)} is not a float tensor; Keel feeds float32 or float64 features. Export the model with a float input (e.g. FloatTensorType in skl2onnx) and encode strings before it.`,
      { input: input.name, type: input.type },
    )
  }
  const shape = input.shape
  if (shape.length > 2) {
    throw unsupported(
      `The graph's input ${describeValue(input)} has rank ${shape.length}; Keel feeds [batch, features] or [features].`,
    )
  }
  const width = shape.length === 0 ? -1 : shape[shape.length - 1]!
  if (shape.length === 2 && shape[0]! > 1) {
    throw unsupported(
      `The graph's input ${describeValue(input)} has a fixed batch of ${shape[0]} rows; export it with a dynamic batch axis (dynamic_axes={'${input.name}': {0: 'batch'}}) or a batch of 1.`,
    )
  }
  let names = featureNames
  if (names !== undefined && width > 0 && names.length !== width) {
    throw invalid(
      `The graph's input ${describeValue(input)} takes ${width} feature columns, but ${names.length} feature names were given (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}). Pass a schema whose feature columns are the tensor's columns, in order.`,
      { expected: width, got: names.length },
    )
  }
  if (names === undefined) {
    if (width <= 0) {
      throw invalid(
        `The graph's input ${describeValue(input)} does not fix its number of columns; pass the feature names (a schema sample) to set it.`,
      )
    }
    names = Array.from({ length: width }, (_, i) => `f${i}`)
  }
  if (names.length === 0) throw invalid('The ONNX model needs at least one feature column.')
  return {
    inputName: input.name,
    inputType: type,
    inputRank: shape.length === 1 ? 1 : 2,
    rowAtATime: shape.length === 1 || shape[0] === 1,
    featureNames: [...names],
  }
}

/** The output that holds the prediction: the only float tensor, or the one named like probabilities. */
function pickOutput(outputs: readonly ValueInfo[], wanted: string | undefined): ValueInfo {
  const listed = outputs.map(describeValue).join('; ')
  if (wanted !== undefined) {
    const found = outputs.find((v) => v.name === wanted)
    if (found === undefined) throw invalid(`The graph has no output '${wanted}' (outputs: ${listed}).`)
    if (!found.isTensor || !FLOAT_TYPES.some((t) => t === found.type)) throw zipmapOrType(found)
    return found
  }
  const floats = outputs.filter((v) => v.isTensor && FLOAT_TYPES.some((t) => t === v.type))
  if (floats.length === 0) {
    const nonTensor = outputs.find((v) => !v.isTensor)
    throw nonTensor === undefined
      ? unsupported(`The graph has no float output tensor to read predictions from (outputs: ${listed}).`)
      : zipmapOrType(nonTensor)
  }
  if (floats.length === 1) return floats[0]!
  const probabilities = floats.filter((v) => /prob/i.test(v.name))
  if (probabilities.length === 1) return probabilities[0]!
  throw unsupported(
    `The graph has ${floats.length} float outputs (${floats.map(describeValue).join('; ')}); name the one holding the prediction (outputName).`,
    { outputs: floats.map((v) => v.name) },
  )
}

function zipmapOrType(output: ValueInfo): OnnxImportError {
  if (!output.isTensor) {
    return unsupported(
      `The graph's output '${output.name}' is a sequence of maps (a ZipMap of class probabilities), which onnxruntime-node cannot return. Export the classifier without it: skl2onnx's to_onnx(model, ..., options={'zipmap': False}) (or id(model): {'zipmap': False}).`,
      { output: output.name },
    )
  }
  return unsupported(
    `The graph's output ${describeValue(output)} is not a float tensor; Keel reads float32 or float64 predictions.`,
  )
}

/** The task and how to read the output, from its width and the options. */
function readOutput(
  name: string,
  cols: number,
  sample: Float64Array,
  options: OnnxImportOptions,
): { task: TaskKind; nClasses: number; output: OnnxOutputSpec; note: string } {
  const logits = options.logits === true
  let task = options.task
  if (task === undefined) {
    if (cols === 1 && !logits) {
      throw invalid(
        `The output '${name}' has one column, which is either the probability of the positive class (binary) or a value (regression); pass the task (--task binary|regression), and --logits when it is a logit.`,
        { output: name, columns: 1 },
      )
    }
    task = cols <= 2 ? 'binary' : 'multiclass'
  }
  const fail = (why: string): OnnxImportError =>
    invalid(`The output '${name}' has ${cols} column(s); ${why}`, { output: name, columns: cols, task })
  const nClasses = task === 'regression' ? 0 : task === 'binary' ? 2 : cols
  if (options.nClasses !== undefined && options.nClasses !== nClasses && task !== 'regression') {
    throw fail(`that reads as ${nClasses} classes, but nClasses is ${options.nClasses}.`)
  }
  let output: OnnxOutputSpec
  if (task === 'regression') {
    if (cols !== 1) throw fail('Keel serves single-output regression (one column).')
    if (logits) throw fail('logits applies to classifiers, not regression.')
    return {
      task,
      nClasses,
      output: { kind: 'value', name, logits: false },
      note: `Output '${name}' read as the predicted value.`,
    }
  }
  if (task === 'binary') {
    if (cols > 2)
      throw fail(
        'a binary model answers one column (P(positive) or its logit) or two ([negative, positive]). Use task multiclass.',
      )
    output = {
      kind: cols === 1 ? (logits ? 'logit' : 'probability') : 'two-column',
      name,
      logits: cols === 2 && logits,
    }
  } else {
    if (cols < 2) throw fail('a multiclass model answers one column per class.')
    output = { kind: 'class-probabilities', name, logits }
  }
  if (!logits) checkProbabilities(name, cols, sample)
  const how =
    output.kind === 'probability'
      ? 'the probability of the positive class'
      : output.kind === 'logit'
        ? 'the logit of the positive class (sigmoid applied)'
        : output.kind === 'two-column'
          ? `[P(negative), P(positive)]${logits ? ' from logits (softmax applied)' : ''}`
          : `${cols} class probabilities${logits ? ' from logits (softmax applied)' : ''}`
  return { task, nClasses, output, note: `Output '${name}' read as ${how}.` }
}

/** Probabilities lie in [0, 1] (and sum to 1 over several columns): else they are likely logits. */
function checkProbabilities(name: string, cols: number, row: Float64Array): void {
  let sum = 0
  for (const v of row) {
    if (!(v >= -1e-6 && v <= 1 + 1e-6)) {
      throw invalid(
        `The output '${name}' gave ${v} for an all-zero row, which is not a probability; if the model outputs logits, pass --logits (logits: true).`,
        { output: name, value: v },
      )
    }
    sum += v
  }
  if (cols > 1 && Math.abs(sum - 1) > 1e-3) {
    throw invalid(
      `The output '${name}' gave columns summing to ${sum} for an all-zero row, not 1; if the model outputs logits, pass --logits (logits: true).`,
      { output: name, sum },
    )
  }
}

/**
 * Imports an ONNX model: checks the graph has exactly one float input tensor ([batch, F], [F]),
 * picks the output holding the prediction (a TreeEnsembleClassifier's probabilities, not its
 * labels), infers the task from the output's width (one column needs `task`), runs the graph once
 * on an all-zero row, and returns a model that serves it through onnxruntime-node.
 *
 * The returned model owns a worker thread: close it (`model.close()`) when done, or hand it to a
 * bundle that does.
 * @throws OnnxImportError (`INVALID_ARGUMENT`, `problem` IMPORT_INVALID or IMPORT_UNSUPPORTED);
 *   MissingDependencyError (`DEPENDENCY_MISSING`) when onnxruntime-node is not installed.
 */
export async function importOnnx(bytes: Uint8Array, options: OnnxImportOptions = {}): Promise<ImportedModel> {
  const header = readOnnxHeader(bytes)
  const bridge = new OnnxBridge(bytes, {
    loadError: (message) => invalid(`onnxruntime cannot load the model: ${message}`),
    feature: 'Importing an ONNX model',
    ...(options.loadTimeoutMs === undefined ? {} : { loadTimeoutMs: options.loadTimeoutMs }),
  })
  try {
    const layout = inputLayout(bridge.inputs, options.featureNames)
    const chosen = pickOutput(bridge.outputs, options.outputName)
    const width = layout.featureNames.length
    let smoke: { data: Float64Array; dims: readonly number[] }
    try {
      smoke = bridge.run({
        inputName: layout.inputName,
        input: layout.inputType === 'float32' ? new Float32Array(width) : new Float64Array(width),
        dims: layout.inputRank === 1 ? [width] : [1, width],
        outputName: chosen.name,
      })
    } catch (error) {
      throw invalid(
        `The graph fails on an all-zero row of ${width} features: ${error instanceof Error ? error.message : String(error)}`,
        { features: width },
      )
    }
    const cols = smoke.data.length
    if (cols === 0) throw invalid(`The output '${chosen.name}' is empty for one row.`)
    const read = readOutput(chosen.name, cols, smoke.data, options)
    const producer =
      [header.producerName, header.producerVersion].filter((s) => s !== '').join(' ') || 'unknown'
    const spec: OnnxGraphSpec = { model: new Uint8Array(bytes), ...layout, ...read, producer }
    const opsets = [...header.opsets].map(([domain, v]) => `${domain || 'ai.onnx'} ${v}`).join(', ')
    const notes = [
      `Input '${layout.inputName}' (${layout.inputType}) takes the ${width} feature columns in order${layout.rowAtATime ? ', one row per run' : ''}.`,
      read.note,
      `ONNX IR ${header.irVersion}, opsets ${opsets || 'none'}; run by onnxruntime-node.`,
    ]
    const model =
      read.task === 'regression' ? new OnnxGraphModel(spec, bridge) : new OnnxGraphClassifier(spec, bridge)
    return {
      format: 'onnx',
      producer,
      task: read.task,
      ...(read.task === 'regression' ? {} : { nClasses: read.nClasses }),
      featureNames: layout.featureNames,
      namedFeatures: false,
      categoricalFeatures: [],
      model,
      notes,
    }
  } catch (error) {
    await bridge.close()
    throw error
  }
}
