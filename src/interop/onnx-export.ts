/**
 * Keel model bundles exported to ONNX, for runtimes outside Node (onnxruntime, Triton, ...).
 *
 * The exported graph takes ONE float tensor `input` of shape [N, p]: the bundle's features in
 * schema order (the encoder's order, `featureNames`), missing values as NaN, booleans as 0/1.
 * Keel's preprocessing is part of the graph, so the raw feature values go in:
 * - tree models (GBDT, random forest, decision tree; encoder 'codes' mode) read the values as they
 *   are, NaN following each split's learned missing direction;
 * - linear models and MLPs (encoder 'onehot' mode) replace a missing value (NaN or +-Inf) by the
 *   training median and append the 0/1 missing-indicator columns the encoder made, in the
 *   encoder's column order; the model's own standardisation is folded in (linear) or applied as
 *   Sub/Div (MLP).
 *
 * Outputs (what `keel predict` writes):
 * - binary classifiers: `probability` [N, 1] = P(positive class), and `label` [N, 1] (string: the
 *   class name at the bundle's decision threshold);
 * - multiclass: `probabilities` [N, k] (columns in the bundle's class order) and `label` [N, 1];
 * - regression: `value` [N, 1].
 *
 * Trees become `ai.onnx.ml` TreeEnsembleRegressor nodes (opset 3) producing margins (GBDT) or
 * averaged leaf values (forests), then Sigmoid/Softmax or a row renormalisation in the default
 * domain (opset 13). Linear models are one Gemm, MLPs MatMul/Add per layer with batch norm folded
 * to an affine map, ReLU or exact GELU (x/2 (1 + erf(x/sqrt 2))).
 *
 * Numeric precision: with the default `float32` input, values are rounded to float32 as they enter
 * the graph, and each tree threshold t is rounded to the nearest float32 the same way. Rounding is
 * monotone, so every x <= t still goes left (x = t included: Keel's thresholds are often training
 * values such as 59.34, which "largest float32 <= t" would send right); only an x > t within
 * half a float32 step (about 6e-8 relative) of t can go left instead. `precision: 'float64'`
 * makes the input tensor double and keeps thresholds double (`nodes_values_as_tensor`), deciding
 * every split exactly as Keel does.
 *
 * Categorical features are not exported (Keel maps levels to codes or one-hot columns from
 * strings, which this single numeric tensor cannot carry): such a bundle throws
 * {@link OnnxExportError} with `problem` 'EXPORT_UNSUPPORTED', naming the columns.
 */
import { AppError, decodeArray, LIBRARY_VERSION } from '../core/index.js'
import type { FittedModel, HasTrees, TreeEnsembleView, TreeView } from '../models/index.js'
import {
  FittedLinearRegression,
  FittedLogisticRegression,
  FittedMLPClassifier,
  FittedMLPRegressor,
  isClassifier,
} from '../models/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import {
  DataType,
  type DataTypeCode,
  encodeOnnxModel,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-proto.js'

/** Why an export failed. */
export type OnnxExportProblem = 'EXPORT_UNSUPPORTED'

/** A bundle that cannot be written as an ONNX graph; `problem` and `details` say why. */
export class OnnxExportError extends AppError {
  readonly problem: OnnxExportProblem

  constructor(problem: OnnxExportProblem, message: string, details: Record<string, unknown> = {}) {
    super(problem, message, { details: { problem, ...details } })
    this.problem = problem
  }
}

/** Options of {@link exportOnnx}. */
export interface OnnxExportOptions {
  /** Element type of the input tensor and of tree thresholds (default 'float32', ONNX `float`). */
  readonly precision?: 'float32' | 'float64'
  /** Add the `label` output to classifiers (default true). */
  readonly label?: boolean
  /** Graph name (default 'keel_<family>'). */
  readonly graphName?: string
}

/** An exported model: the ONNX bytes and how to feed and read them. */
export interface OnnxExport {
  readonly bytes: Uint8Array
  /** The one input tensor, [N, featureNames.length]. */
  readonly inputName: string
  /** The main output: 'probability' (binary), 'probabilities' (multiclass) or 'value'. */
  readonly outputName: string
  /** Input columns in order (the bundle's features in schema order). */
  readonly featureNames: readonly string[]
  /** What the conversion did, for the model card (preprocessing, precision, outputs). */
  readonly notes: readonly string[]
}

const INPUT_NAME = 'input'
const ML_DOMAIN = 'ai.onnx.ml'
const OPSET = 13
const ML_OPSET = 3
/** IR version of ONNX 1.12 (read by onnxruntime >= 1.12 and onnx.checker 1.12). */
const IR_VERSION = 8
/** Feature kinds the single numeric input carries as they are. */
const NUMERIC_KINDS = new Set(['numeric', 'boolean'])

/** Nodes and initializers of the graph being built, with unique tensor names. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = []
  readonly initializers: OnnxTensor[] = []
  private counter = 0

  constructor(readonly elem: DataTypeCode) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`
  }

  constant(
    prefix: string,
    dims: readonly number[],
    data: ArrayLike<number>,
    dataType?: DataTypeCode,
  ): string {
    const name = this.fresh(prefix)
    this.initializers.push({ name, dataType: dataType ?? this.elem, dims, data })
    return name
  }

  strings(prefix: string, values: readonly string[]): string {
    const name = this.fresh(prefix)
    this.initializers.push({ name, dataType: DataType.STRING, dims: [values.length], strings: values })
    return name
  }

  /** Adds a node and returns its (single) output name, `output` when given. */
  node(
    opType: string,
    inputs: readonly string[],
    attributes: readonly OnnxAttribute[] = [],
    options: { domain?: string; output?: string } = {},
  ): string {
    const out = options.output ?? this.fresh(opType.toLowerCase())
    this.nodes.push({
      opType,
      inputs,
      outputs: [out],
      name: `${opType}_${this.nodes.length}`,
      attributes,
      ...(options.domain === undefined ? {} : { domain: options.domain }),
    })
    return out
  }
}

/**
 * Exports a bundle trained on numeric and boolean features to ONNX; see the module comment for
 * the graph's input, outputs and precision. Throws {@link OnnxExportError} (EXPORT_UNSUPPORTED)
 * for categorical or datetime features, categorical tree splits, and model kinds without an
 * ONNX form (the baseline).
 */
export function exportOnnx(bundle: ModelBundle, options: OnnxExportOptions = {}): OnnxExport {
  const precision = options.precision ?? 'float32'
  const elem = precision === 'float64' ? DataType.DOUBLE : DataType.FLOAT
  const encoder = bundle.encoder
  const features = encoder.state.features
  const unsupported = features.filter((f) => !NUMERIC_KINDS.has(f.kind))
  if (unsupported.length > 0) {
    const names = unsupported.map((f) => `'${f.name}' (${f.kind})`).join(', ')
    throw new OnnxExportError(
      'EXPORT_UNSUPPORTED',
      `ONNX export needs numeric or boolean features; this model uses ${names}. Retrain without those columns (or encode them as numbers first) to export it.`,
      { columns: unsupported.map((f) => f.name) },
    )
  }
  const model = bundle.model
  const featureNames = features.map((f) => f.name)
  const g = new GraphBuilder(elem)
  const notes: string[] = [
    `Input '${INPUT_NAME}': ${precision === 'float64' ? 'double' : 'float'} [N, ${featureNames.length}], columns ${featureNames.join(', ')} (missing = NaN, booleans 0/1).`,
  ]

  // Keel's feature encoder, in the graph.
  let encoded = INPUT_NAME
  if (encoder.state.mode === 'onehot') {
    encoded = onehotPreprocessing(g, bundle)
    notes.push(
      "Preprocessing in the graph: missing (NaN or +-Inf) -> training median, plus a 0/1 missing-indicator column after each feature that had missing training values (Keel's one-hot encoder).",
    )
  } else {
    notes.push(
      'Tree model: feature values go to the trees as they are; NaN follows each split’s missing direction.',
    )
  }

  const label = options.label ?? true
  let margins: string
  let kind: 'margin' | 'proba'
  if (hasTrees(model)) {
    const view = model.treeEnsemble()
    margins = treeEnsembleNode(g, view, encoded, precision)
    kind = model.kind === 'rf-classifier' || model.kind === 'tree-classifier' ? 'proba' : 'margin'
    notes.push(
      `${view.trees.length} trees as ai.onnx.ml TreeEnsembleRegressor (opset ${ML_OPSET}); ${
        precision === 'float64'
          ? 'thresholds kept as doubles (nodes_values_as_tensor).'
          : 'thresholds rounded to the nearest float32, as the input values are (a value equal to a threshold still goes left).'
      }`,
    )
  } else if (model instanceof FittedLogisticRegression || model instanceof FittedLinearRegression) {
    const c = model.coefficients()
    const p = model.nFeatures
    const k = c.nOutputs
    // As linearMargins: z = (x - mean) / scale, then margin = z W^T + b (Gemm with transB).
    let z = g.node('Sub', [encoded, g.constant('linear_mean', [p], c.mean)])
    z = g.node('Div', [z, g.constant('linear_scale', [p], c.scale)])
    const w = g.constant('coef', [k, p], c.standardized.coef)
    const b = g.constant('intercept', [k], c.standardized.intercept)
    margins = g.node('Gemm', [z, w, b], [{ name: 'transB', kind: 'int', value: 1 }])
    kind = 'margin'
    notes.push('Linear model: the fitted standardisation (Sub, Div), then one Gemm.')
  } else if (model instanceof FittedMLPClassifier || model instanceof FittedMLPRegressor) {
    margins = mlpNodes(g, model, encoded)
    kind = 'margin'
    notes.push(
      'MLP as MatMul/Add per dense layer, batch norm as a per-column affine map, dropout omitted (identity at inference).',
    )
  } else {
    throw new OnnxExportError(
      'EXPORT_UNSUPPORTED',
      `Models of kind '${model.kind}' have no ONNX export; export a linear, rf, gbdt or mlp model.`,
      { kind: model.kind },
    )
  }

  // Outputs as `keel predict` writes them.
  const outputs: { name: string; elemType: DataTypeCode; shape: (number | string)[] }[] = []
  let outputName: string
  // Tree ensembles always output float; the other graphs compute in the input's type.
  const floatOut = (name: string): string =>
    hasTrees(model) || elem === DataType.FLOAT
      ? name
      : g.node('Cast', [name], [{ name: 'to', kind: 'int', value: DataType.FLOAT }])
  if (!isClassifier(model)) {
    outputName = 'value'
    g.node('Identity', [floatOut(margins)], [], { output: outputName })
    outputs.push({ name: outputName, elemType: DataType.FLOAT, shape: ['N', 1] })
    notes.push("Output 'value' float [N, 1]: the predicted value.")
  } else {
    const k = model.nClasses
    let proba: string
    // Whether `proba` has one column per class (else one column: P(positive)).
    const perClass = kind === 'proba' || k > 2
    if (kind === 'proba') {
      // Forest class frequencies, renormalised per row as FittedForestClassifier does.
      const axes = g.constant('axes', [1], [1], DataType.INT64)
      const sum = g.node('ReduceSum', [margins, axes], [{ name: 'keepdims', kind: 'int', value: 1 }])
      proba = g.node('Div', [margins, sum])
    } else if (k === 2) {
      proba = g.node('Sigmoid', [margins]) // one logit: P(positive)
    } else proba = g.node('Softmax', [margins], [{ name: 'axis', kind: 'int', value: 1 }])
    proba = floatOut(proba)
    if (k === 2) {
      outputName = 'probability'
      let positive = proba
      if (perClass) {
        const one = g.constant('positive', [1], [1], DataType.INT64)
        positive = g.node('Gather', [proba, one], [{ name: 'axis', kind: 'int', value: 1 }])
      }
      g.node('Identity', [positive], [], { output: outputName })
      outputs.push({ name: outputName, elemType: DataType.FLOAT, shape: ['N', 1] })
      notes.push(
        `Output 'probability' float [N, 1]: P(${bundle.classes[1]}), the positive class (column 'probability' of keel predict).`,
      )
      if (label) {
        const threshold = g.constant('threshold', [], [bundle.threshold], DataType.FLOAT)
        const ge = g.node('GreaterOrEqual', [outputName, threshold])
        const idx = g.node('Cast', [ge], [{ name: 'to', kind: 'int', value: DataType.INT64 }])
        const classes = g.strings('classes', bundle.classes)
        g.node('Gather', [classes, idx], [{ name: 'axis', kind: 'int', value: 0 }], { output: 'label' })
        outputs.push({ name: 'label', elemType: DataType.STRING, shape: ['N', 1] })
        notes.push(
          `Output 'label' string [N, 1]: '${bundle.classes[1]}' when probability >= ${bundle.threshold}, else '${bundle.classes[0]}'.`,
        )
      }
    } else {
      outputName = 'probabilities'
      g.node('Identity', [proba], [], { output: outputName })
      outputs.push({ name: outputName, elemType: DataType.FLOAT, shape: ['N', k] })
      notes.push(`Output 'probabilities' float [N, ${k}]: columns ${bundle.classes.join(', ')}.`)
      if (label) {
        const idx = g.node(
          'ArgMax',
          [outputName],
          [
            { name: 'axis', kind: 'int', value: 1 },
            { name: 'keepdims', kind: 'int', value: 1 },
          ],
        )
        const classes = g.strings('classes', bundle.classes)
        g.node('Gather', [classes, idx], [{ name: 'axis', kind: 'int', value: 0 }], { output: 'label' })
        outputs.push({ name: 'label', elemType: DataType.STRING, shape: ['N', 1] })
        notes.push("Output 'label' string [N, 1]: the most probable class (the first on ties).")
      }
    }
  }

  const bytes = encodeOnnxModel({
    irVersion: IR_VERSION,
    opsetImports: [
      { domain: '', version: OPSET },
      { domain: ML_DOMAIN, version: ML_OPSET },
    ],
    producerName: 'keel',
    producerVersion: LIBRARY_VERSION,
    docString: notes.join('\n'),
    graph: {
      name: options.graphName ?? `keel_${bundle.family}`,
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: INPUT_NAME, elemType: elem, shape: ['N', featureNames.length] }],
      outputs,
    },
    metadata: {
      'keel.task': bundle.task,
      'keel.target': bundle.target,
      'keel.family': bundle.family,
      'keel.features': JSON.stringify(featureNames),
      'keel.classes': JSON.stringify(bundle.classes),
      ...(bundle.task === 'binary' ? { 'keel.threshold': String(bundle.threshold) } : {}),
    },
  })
  return { bytes, inputName: INPUT_NAME, outputName, featureNames, notes }
}

function hasTrees(model: FittedModel): model is FittedModel & HasTrees {
  return typeof (model as Partial<HasTrees>).treeEnsemble === 'function'
}

/**
 * The one-hot encoder's numeric part: value columns with missing (non-finite) cells set to the
 * training median, then the indicator columns, gathered into the encoder's output order.
 */
function onehotPreprocessing(g: GraphBuilder, bundle: ModelBundle): string {
  const features = bundle.encoder.state.features
  const p = features.length
  const fill = g.constant(
    'fill',
    [p],
    features.map((f) => f.fill ?? 0),
  )
  const nan = g.node('IsNaN', [INPUT_NAME])
  const inf = g.node('IsInf', [INPUT_NAME])
  const missing = g.node('Or', [nan, inf])
  const filled = g.node('Where', [missing, fill, INPUT_NAME])
  const withIndicator = features.flatMap((f, i) => (f.hasMissingIndicator === true ? [i] : []))
  if (withIndicator.length === 0) return filled
  const flags = g.node('Cast', [missing], [{ name: 'to', kind: 'int', value: g.elem }])
  const which = g.constant('indicator_columns', [withIndicator.length], withIndicator, DataType.INT64)
  const indicators = g.node('Gather', [flags, which], [{ name: 'axis', kind: 'int', value: 1 }])
  const wide = g.node('Concat', [filled, indicators], [{ name: 'axis', kind: 'int', value: 1 }])
  // Column j of `wide` is value j (j < p) or indicator j - p; the encoder puts each indicator
  // right after its value.
  const order: number[] = []
  let next = p
  features.forEach((f, i) => {
    order.push(i)
    if (f.hasMissingIndicator === true) order.push(next++)
  })
  const perm = g.constant('encoder_order', [order.length], order, DataType.INT64)
  return g.node('Gather', [wide, perm], [{ name: 'axis', kind: 'int', value: 1 }])
}

function sameStructure(a: TreeView, b: TreeView): boolean {
  if (a.feature.length !== b.feature.length) return false
  for (let i = 0; i < a.feature.length; i++) {
    if (
      a.feature[i] !== b.feature[i] ||
      a.left[i] !== b.left[i] ||
      a.right[i] !== b.right[i] ||
      a.defaultLeft[i] !== b.defaultLeft[i] ||
      !Object.is(a.threshold[i], b.threshold[i])
    )
      return false
  }
  return true
}

/**
 * One TreeEnsembleRegressor over the whole ensemble: aggregate SUM of leaf value x treeWeight plus
 * baseScore, per output. Consecutive views of the same tree (a forest's per-class views) become
 * one ONNX tree whose leaves add to several targets.
 */
function treeEnsembleNode(
  g: GraphBuilder,
  view: TreeEnsembleView,
  input: string,
  precision: 'float32' | 'float64',
): string {
  const treeIds: number[] = []
  const nodeIds: number[] = []
  const featureIds: number[] = []
  const modes: string[] = []
  const values: number[] = []
  const trueIds: number[] = []
  const falseIds: number[] = []
  const missingTrue: number[] = []
  const tTree: number[] = []
  const tNode: number[] = []
  const tId: number[] = []
  const tWeight: number[] = []
  let onnxTree = -1
  let previous: TreeView | undefined
  // Outputs the current ONNX tree already adds to: a leaf lists each target once.
  let groupOutputs = new Set<number>()
  view.trees.forEach(({ tree, output }, index) => {
    if (tree.categorical?.some((c) => c === 1)) {
      throw new OnnxExportError(
        'EXPORT_UNSUPPORTED',
        `Tree ${index} has a categorical split; ONNX export needs numeric splits only.`,
        { tree: index },
      )
    }
    const merged = previous !== undefined && !groupOutputs.has(output) && sameStructure(previous, tree)
    if (!merged) {
      onnxTree++
      groupOutputs = new Set()
      for (let i = 0; i < tree.feature.length; i++) {
        const leaf = tree.left[i] === -1
        treeIds.push(onnxTree)
        nodeIds.push(i)
        featureIds.push(leaf ? 0 : tree.feature[i]!)
        modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
        const t = tree.threshold[i]!
        values.push(leaf ? 0 : precision === 'float64' ? t : Math.fround(t))
        trueIds.push(leaf ? 0 : tree.left[i]!)
        falseIds.push(leaf ? 0 : tree.right[i]!)
        missingTrue.push(leaf ? 0 : tree.defaultLeft[i]!)
      }
    }
    for (let i = 0; i < tree.feature.length; i++) {
      if (tree.left[i] !== -1) continue
      const w = tree.value[i]! * view.treeWeight
      if (w === 0) continue
      tTree.push(onnxTree)
      tNode.push(i)
      tId.push(output)
      tWeight.push(w)
    }
    groupOutputs.add(output)
    previous = tree
  })
  const k = view.nOutputs
  const attrs: OnnxAttribute[] = [
    { name: 'aggregate_function', kind: 'string', value: 'SUM' },
    { name: 'n_targets', kind: 'int', value: k },
    { name: 'nodes_treeids', kind: 'ints', value: treeIds },
    { name: 'nodes_nodeids', kind: 'ints', value: nodeIds },
    { name: 'nodes_featureids', kind: 'ints', value: featureIds },
    { name: 'nodes_modes', kind: 'strings', value: modes },
    { name: 'nodes_truenodeids', kind: 'ints', value: trueIds },
    { name: 'nodes_falsenodeids', kind: 'ints', value: falseIds },
    { name: 'nodes_missing_value_tracks_true', kind: 'ints', value: missingTrue },
    { name: 'post_transform', kind: 'string', value: 'NONE' },
    { name: 'target_treeids', kind: 'ints', value: tTree },
    { name: 'target_nodeids', kind: 'ints', value: tNode },
    { name: 'target_ids', kind: 'ints', value: tId },
  ]
  if (precision === 'float64') {
    const tensor = (name: string, data: readonly number[] | Float64Array): OnnxAttribute => ({
      name,
      kind: 'tensor',
      value: { dataType: DataType.DOUBLE, dims: [data.length], data },
    })
    attrs.push(
      tensor('nodes_values_as_tensor', values),
      tensor('target_weights_as_tensor', tWeight),
      tensor('base_values_as_tensor', view.baseScore),
    )
  } else {
    attrs.push(
      { name: 'nodes_values', kind: 'floats', value: values },
      { name: 'target_weights', kind: 'floats', value: tWeight },
      { name: 'base_values', kind: 'floats', value: view.baseScore },
    )
  }
  return g.node('TreeEnsembleRegressor', [input], attrs, { domain: ML_DOMAIN })
}

/** Decoded MLP weights from the model's own artifact (the fitted state is not public). */
interface MlpWeights {
  readonly mean: Float64Array
  readonly scale: Float64Array
  readonly yMean: number
  readonly yStd: number
  readonly tensors: readonly Float32Array[]
  readonly hiddenLayers: readonly number[]
  readonly batchNorm: boolean
  readonly activation: 'relu' | 'gelu'
  readonly outputWidth: number
}

function mlpWeights(model: FittedMLPClassifier | FittedMLPRegressor): MlpWeights {
  const a = model.toArtifact()
  const st = a.state as Record<string, unknown>
  const tensors = (st.tensors as unknown[]).map((t) => decodeArray(t, 'f32'))
  const params = model.params
  return {
    mean: decodeArray(st.mean, 'f64'),
    scale: decodeArray(st.scale, 'f64'),
    yMean: Number(st.yMean),
    yStd: Number(st.yStd),
    tensors,
    hiddenLayers: params.hiddenLayers,
    batchNorm: params.batchNorm,
    activation: params.activation,
    outputWidth: model instanceof FittedMLPRegressor || model.nClasses === 2 ? 1 : model.nClasses,
  }
}

/**
 * The MLP's forward pass: standardise (non-finite z -> 0 cannot happen after the encoder's fill),
 * then per hidden layer Dense -> BatchNorm? -> activation, then the output Dense (logits or the
 * standardised regression value). Tensors come in `Network.snapshot()` order: each layer's
 * params (Dense weight [in, out] and bias, BatchNorm gamma and beta), then every batch norm's
 * running mean and variance.
 */
function mlpNodes(g: GraphBuilder, model: FittedMLPClassifier | FittedMLPRegressor, input: string): string {
  const m = mlpWeights(model)
  const p = m.mean.length
  let h = g.node('Sub', [input, g.constant('mlp_mean', [p], m.mean)])
  h = g.node('Div', [h, g.constant('mlp_scale', [p], m.scale)])
  let t = 0
  const nBn = m.batchNorm ? m.hiddenLayers.length : 0
  const runningStart = m.tensors.length - 2 * nBn
  let bnIndex = 0
  let width = p
  const dense = (out: number): void => {
    const w = m.tensors[t++]!
    const b = m.tensors[t++]!
    h = g.node('MatMul', [h, g.constant('dense_w', [width, out], w)])
    h = g.node('Add', [h, g.constant('dense_b', [out], b)])
    width = out
  }
  for (const units of m.hiddenLayers) {
    dense(units)
    if (m.batchNorm) {
      const gamma = m.tensors[t++]!
      const beta = m.tensors[t++]!
      const mean = m.tensors[runningStart + 2 * bnIndex]!
      const variance = m.tensors[runningStart + 2 * bnIndex + 1]!
      bnIndex++
      // Inference batch norm: x * s + (beta - mean * s), s = gamma / sqrt(var + eps), as BatchNorm.forward.
      const s = new Float64Array(units)
      const shift = new Float64Array(units)
      for (let j = 0; j < units; j++) {
        const invStd = Math.fround(1 / Math.sqrt(variance[j]! + 1e-5))
        s[j] = Math.fround(invStd * gamma[j]!)
        shift[j] = Math.fround(beta[j]! - mean[j]! * s[j]!)
      }
      h = g.node('Mul', [h, g.constant('bn_scale', [units], s)])
      h = g.node('Add', [h, g.constant('bn_shift', [units], shift)])
    }
    if (m.activation === 'relu') h = g.node('Relu', [h])
    else {
      // GELU, exact form: x * (1 + erf(x / sqrt 2)) / 2 (no GELU op before opset 20).
      let e = g.node('Mul', [h, g.constant('inv_sqrt2', [], [Math.SQRT1_2])])
      // onnxruntime implements Erf for float only; Keel's MLP computes in float32 anyway.
      if (g.elem === DataType.DOUBLE)
        e = g.node('Cast', [e], [{ name: 'to', kind: 'int', value: DataType.FLOAT }])
      e = g.node('Erf', [e])
      if (g.elem === DataType.DOUBLE)
        e = g.node('Cast', [e], [{ name: 'to', kind: 'int', value: DataType.DOUBLE }])
      const onePlus = g.node('Add', [e, g.constant('one', [], [1])])
      h = g.node('Mul', [g.node('Mul', [h, onePlus]), g.constant('half', [], [0.5])])
    }
  }
  dense(m.outputWidth)
  if (model instanceof FittedMLPRegressor) {
    // The regressor predicts the standardised target: value = out * yStd + yMean.
    h = g.node('Mul', [h, g.constant('y_std', [], [m.yStd])])
    h = g.node('Add', [h, g.constant('y_mean', [], [m.yMean])])
  }
  return h
}
