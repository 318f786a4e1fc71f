/**
 * XGBoost JSON models (`Booster.save_model("model.json")`) converted into Keel's own GBDT, so they
 * score on Keel's WebAssembly scorer and explain with TreeSHAP. Routing is exact: XGBoost compares
 * float32(x) < t with float32 thresholds; each threshold becomes the float64 bound with the same
 * decision for every float64 input (`xgboostThreshold`).
 */
import { AppError } from '../core/index.js'
import { gbdtFromTrees, type TaskKind } from '../models/index.js'
import { CAT_WORDS, type Tree } from '../models/tree/index.js'
import type { ImportedModel } from './types.js'

/** Why an import failed: the file is not a valid model, or it uses what Keel cannot score exactly. */
export type XgboostImportProblem = 'IMPORT_INVALID' | 'IMPORT_UNSUPPORTED'

/**
 * An XGBoost model file that is malformed or uses what Keel cannot reproduce exactly.
 * `details.problem` says which; `details.field` names the JSON field (and `node` the tree node).
 */
export class XgboostImportError extends AppError {
  readonly problem: XgboostImportProblem

  constructor(problem: XgboostImportProblem, message: string, details: Record<string, unknown> = {}) {
    super(problem, message, { details: { problem, format: 'xgboost', ...details } })
    this.problem = problem
  }
}

/**
 * Objectives whose trees Keel scores exactly as XGBoost does: the task they import as, and how
 * XGBoost 1.7 turns `base_score` (stored in output space) into the starting margin.
 */
const OBJECTIVES: Readonly<Record<string, { task: TaskKind; link: 'logit' | 'identity' }>> = {
  'binary:logistic': { task: 'binary', link: 'logit' },
  // Same trees and margins as binary:logistic; XGBoost's predict() returns the margin itself.
  'binary:logitraw': { task: 'binary', link: 'logit' },
  'multi:softprob': { task: 'multiclass', link: 'identity' },
  'multi:softmax': { task: 'multiclass', link: 'identity' },
  'reg:squarederror': { task: 'regression', link: 'identity' },
  'reg:linear': { task: 'regression', link: 'identity' },
  'reg:squaredlogerror': { task: 'regression', link: 'identity' },
  'reg:pseudohubererror': { task: 'regression', link: 'identity' },
  'reg:absoluteerror': { task: 'regression', link: 'identity' },
}

/** Supported objectives, for error messages. */
export const XGBOOST_OBJECTIVES: readonly string[] = Object.keys(OBJECTIVES)

/** Largest category code a Keel categorical split holds (bitsets of CAT_WORDS 32-bit words). */
const MAX_CODE = 32 * CAT_WORDS - 1

/** ' (field x)' after a message about one field; nothing for the file as a whole. */
function fieldSuffix(field: string): string {
  return field === '(file)' ? '' : ` (field ${field})`
}

function invalid(message: string, field: string): XgboostImportError {
  return new XgboostImportError('IMPORT_INVALID', `XGBoost model: ${message}${fieldSuffix(field)}`, { field })
}

function unsupported(
  message: string,
  field: string,
  details: Record<string, unknown> = {},
): XgboostImportError {
  return new XgboostImportError('IMPORT_UNSUPPORTED', `XGBoost model: ${message}${fieldSuffix(field)}`, {
    field,
    ...details,
  })
}

const SAVE_JSON_HINT =
  "Load it in Python and save it as JSON: booster.load_model(path); booster.save_model('model.json') " +
  "(or model.get_booster().save_model('model.json') for the scikit-learn wrapper)."

/**
 * XGBoost writes non-finite floats as bare `NaN`, `Infinity` and `-Infinity` tokens (categorical
 * nodes' split_conditions are NaN), which JSON.parse rejects. Outside strings they become `null`
 * (read back as NaN) and `±1e999` (which JSON.parse reads as ±Infinity).
 */
function relaxNonFinite(text: string): string {
  if (!/NaN|Infinity/.test(text)) return text
  let out = ''
  let from = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34) inString = false
      continue
    }
    if (c === 34) inString = true
    else if (c === 78 && text.startsWith('NaN', i)) {
      out += `${text.slice(from, i)}null`
      i += 2
      from = i + 1
    } else if (c === 73 && text.startsWith('Infinity', i)) {
      out += `${text.slice(from, i)}1e999`
      i += 7
      from = i + 1
    }
  }
  return out + text.slice(from)
}

type Json = unknown
type JsonObject = Record<string, Json>

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function object(value: Json, field: string): JsonObject {
  if (!isObject(value)) throw invalid(`'${field}' must be an object.`, field)
  return value
}

function array(value: Json, field: string): Json[] {
  if (!Array.isArray(value)) throw invalid(`'${field}' must be an array.`, field)
  return value
}

/** XGBoost stores most params as strings ("5E-1", "30"); also accepts numbers and a 1-element "[..]". */
function numberParam(value: Json, field: string): number {
  let v = value
  if (typeof v === 'string') {
    const s = v.trim().replace(/^\[(.*)\]$/, '$1')
    v = s === '' ? Number.NaN : Number(s)
  }
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw invalid(`'${field}' must be a number, got ${JSON.stringify(value)}.`, field)
  return v
}

/** A vector param: XGBoost 2+ writes base_score as "[5E-1]" or "[a,b,c]"; 1.x as "5E-1". */
function numberList(value: Json, field: string): number[] {
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    const inner = value.trim().slice(1, -1)
    return inner.split(',').map((s) => numberParam(s, field))
  }
  return [numberParam(value, field)]
}

function intParam(value: Json, field: string, min = 0): number {
  const v = numberParam(value, field)
  if (!Number.isInteger(v) || v < min)
    throw invalid(`'${field}' must be an integer >= ${min}, got ${JSON.stringify(value)}.`, field)
  return v
}

/** Numbers of a numeric array; `null` entries (NaN in the file) read as NaN. */
function numbers(value: Json, field: string, length?: number): Float64Array {
  const a = array(value, field)
  if (length !== undefined && a.length !== length) {
    throw invalid(`'${field}' has ${a.length} entries, expected ${length}.`, field)
  }
  const out = new Float64Array(a.length)
  for (let i = 0; i < a.length; i++) {
    const v = a[i]
    if (v === null) out[i] = Number.NaN
    else if (typeof v === 'number') out[i] = v
    else throw invalid(`'${field}[${i}]' must be a number, got ${JSON.stringify(v)}.`, field)
  }
  return out
}

function ints(value: Json, field: string, length?: number): Int32Array {
  const a = numbers(value, field, length)
  const out = new Int32Array(a.length)
  for (let i = 0; i < a.length; i++) {
    const v = a[i]!
    // Root's parent is 2147483647 in XGBoost files; callers never read parents, but keep it exact.
    if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) {
      throw invalid(`'${field}[${i}]' must be an integer, got ${v}.`, field)
    }
    out[i] = v
  }
  return out
}

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)
const f64 = new Float64Array(1)
const u64 = new BigUint64Array(f64.buffer)

/** The float32 just below `t` (a float32), toward -Infinity. */
function float32Below(t: number): number {
  if (t === 0) return -(2 ** -149)
  f32[0] = t
  u32[0] = t > 0 ? u32[0]! - 1 : u32[0]! + 1
  return f32[0]!
}

/** The float64 just below `x` (finite), toward -Infinity. */
function float64Below(x: number): number {
  if (x === 0) return -Number.MIN_VALUE
  f64[0] = x
  u64[0] = x > 0 ? u64[0]! - 1n : u64[0]! + 1n
  return f64[0]!
}

/**
 * Keel's threshold for an XGBoost split `float32(x) < t` (t a float32): the largest float64 v with
 * Math.fround(v) < t, so that `x <= v` decides exactly as XGBoost does for every float64 x.
 * float32(x) < t holds for x below the midpoint m between t and the float32 p below it, and at m
 * itself when round-half-to-even takes m to p (p's last mantissa bit is 0); m is exact in float64.
 */
export function xgboostThreshold(t: number): number {
  if (Number.isNaN(t)) return t
  if (t === Number.NEGATIVE_INFINITY) return Number.NEGATIVE_INFINITY // nothing goes left
  if (t === Number.POSITIVE_INFINITY) return Number.MAX_VALUE // every finite x goes left
  const ft = Math.fround(t)
  if (ft !== t) throw new RangeError(`xgboostThreshold: ${t} is not a float32 value`)
  if (t === -3.4028234663852886e38) {
    // p is -Infinity: x rounds below t once it reaches the overflow midpoint (ties go to infinity).
    return -(2 ** 128 - 2 ** 103)
  }
  const p = float32Below(t)
  const m = (p + t) / 2
  f32[0] = p
  const pEven = (u32[0]! & 1) === 0
  return pEven ? m : float64Below(m)
}

/** XGBoost 1.7's ProbToMargin for the logit link, in float32 as it computes it: -log(1/b - 1). */
function logitFloat32(b: number): number {
  const inv = Math.fround(Math.fround(1 / Math.fround(b)) - 1)
  return Math.fround(-Math.log(inv))
}

interface TreeJson {
  readonly feature: Int32Array
  readonly left: Int32Array
  readonly right: Int32Array
  readonly defaultLeft: Int32Array
  readonly splitCondition: Float64Array
  readonly splitType: Int32Array
  readonly sumHessian: Float64Array
  readonly lossChange: Float64Array
  /** Node id -> categories listed for it (those XGBoost sends right). */
  readonly categories: Map<number, Int32Array>
}

function readTreeJson(value: Json, field: string): TreeJson {
  const t = object(value, field)
  const param = object(t.tree_param, `${field}.tree_param`)
  const n = intParam(param.num_nodes, `${field}.tree_param.num_nodes`, 1)
  if (
    param.size_leaf_vector !== undefined &&
    numberParam(param.size_leaf_vector, `${field}.tree_param.size_leaf_vector`) > 1
  ) {
    throw unsupported(
      `${field} has vector leaves (multi-target trees); Keel imports scalar-leaf trees only.`,
      `${field}.tree_param.size_leaf_vector`,
    )
  }
  const splitType =
    t.split_type === undefined ? new Int32Array(n) : ints(t.split_type, `${field}.split_type`, n)
  const categories = new Map<number, Int32Array>()
  if (splitType.some((s) => s !== 0)) {
    const cats = ints(t.categories, `${field}.categories`)
    const nodes = ints(t.categories_nodes, `${field}.categories_nodes`)
    const segments = ints(t.categories_segments, `${field}.categories_segments`, nodes.length)
    const sizes = ints(t.categories_sizes, `${field}.categories_sizes`, nodes.length)
    for (let k = 0; k < nodes.length; k++) {
      const begin = segments[k]!
      const size = sizes[k]!
      if (begin < 0 || size < 0 || begin + size > cats.length) {
        throw invalid(
          `categories_segments/sizes of node ${nodes[k]} run outside 'categories'.`,
          `${field}.categories_segments`,
        )
      }
      categories.set(nodes[k]!, cats.subarray(begin, begin + size))
    }
  }
  return {
    feature: ints(t.split_indices, `${field}.split_indices`, n),
    left: ints(t.left_children, `${field}.left_children`, n),
    right: ints(t.right_children, `${field}.right_children`, n),
    defaultLeft: ints(t.default_left, `${field}.default_left`, n),
    splitCondition: numbers(t.split_conditions, `${field}.split_conditions`, n),
    splitType,
    sumHessian: numbers(t.sum_hessian, `${field}.sum_hessian`, n),
    lossChange: numbers(t.loss_changes, `${field}.loss_changes`, n),
    categories,
  }
}

/**
 * One XGBoost tree in Keel's layout: nodes renumbered breadth first from the root (children after
 * their parent; unreachable, deleted nodes dropped), thresholds converted by `xgboostThreshold`,
 * categorical splits turned into bitsets of the codes that go LEFT (XGBoost lists the ones that go
 * right), leaf values scaled by `weight` (DART's weight_drop) in float32 as XGBoost does.
 */
function convertTree(
  json: TreeJson,
  field: string,
  nFeatures: number,
  weight: number,
  categorical: Set<number>,
  categoricalColumns: ReadonlySet<number>,
): Tree {
  const n = json.feature.length
  const order: number[] = [0]
  const seen = new Uint8Array(n)
  seen[0] = 1
  for (let head = 0; head < order.length; head++) {
    const i = order[head]!
    const l = json.left[i]!
    if (l === -1) continue
    const r = json.right[i]!
    for (const [side, child] of [
      ['left_children', l],
      ['right_children', r],
    ] as const) {
      if (child < 0 || child >= n || seen[child] === 1) {
        throw invalid(
          `node ${i} has ${side} = ${child}: not a fresh node of this tree (0..${n - 1}).`,
          `${field}.${side}`,
        )
      }
      seen[child] = 1
      order.push(child)
    }
  }
  const m = order.length
  const position = new Int32Array(n).fill(-1)
  for (let p = 0; p < m; p++) position[order[p]!] = p
  const feature = new Int32Array(m)
  const threshold = new Float64Array(m)
  const left = new Int32Array(m)
  const right = new Int32Array(m)
  const defaultLeft = new Uint8Array(m)
  const value = new Float64Array(m)
  const cover = new Float64Array(m)
  const gain = new Float64Array(m)
  const catIndex = new Int32Array(m).fill(-1)
  const catBits: number[] = []
  for (let p = 0; p < m; p++) {
    const i = order[p]!
    cover[p] = json.sumHessian[i]!
    if (json.left[i] === -1) {
      const leaf = Math.fround(json.splitCondition[i]!)
      if (!Number.isFinite(leaf)) throw invalid(`leaf ${i} has value ${leaf}.`, `${field}.split_conditions`)
      feature[p] = -1
      threshold[p] = Number.NaN
      left[p] = -1
      right[p] = -1
      value[p] = weight === 1 ? leaf : Math.fround(leaf * weight)
      continue
    }
    const f = json.feature[i]!
    if (f < 0 || f >= nFeatures) {
      throw invalid(
        `node ${i} splits on feature ${f}; the model has ${nFeatures} features.`,
        `${field}.split_indices`,
      )
    }
    feature[p] = f
    left[p] = position[json.left[i]!]!
    right[p] = position[json.right[i]!]!
    defaultLeft[p] = json.defaultLeft[i] === 0 ? 0 : 1
    gain[p] = json.lossChange[i]!
    const type = json.splitType[i]!
    if (type === 0) {
      if (categoricalColumns.has(f)) {
        throw unsupported(
          `node ${i} is a numeric split on categorical feature ${f}.`,
          `${field}.split_type`,
          { node: i },
        )
      }
      const t = Math.fround(json.splitCondition[i]!)
      if (Number.isNaN(t))
        throw invalid(`numeric node ${i} has a NaN split condition.`, `${field}.split_conditions`)
      threshold[p] = xgboostThreshold(t)
      continue
    }
    if (type !== 1)
      throw unsupported(
        `node ${i} has split_type ${type} (0 numeric, 1 categorical).`,
        `${field}.split_type`,
        { node: i },
      )
    const right_ = json.categories.get(i)
    if (right_ === undefined)
      throw invalid(`categorical node ${i} is missing from categories_nodes.`, `${field}.categories_nodes`)
    // XGBoost sends a listed category right and every other code left (verified against xgboost
    // 1.7.4's predict() on codes 0..300); Keel's bitset holds the codes that go left.
    const words = new Array<number>(CAT_WORDS).fill(0xffffffff)
    for (const code of right_) {
      if (code < 0 || code > MAX_CODE) {
        throw unsupported(
          `categorical node ${i} of ${field} lists category code ${code}; Keel's categorical splits hold codes 0..${MAX_CODE}.`,
          `${field}.categories`,
          { node: i, code },
        )
      }
      words[code >>> 5] = (words[code >>> 5]! & ~(1 << (code & 31))) >>> 0
    }
    catIndex[p] = catBits.length / CAT_WORDS
    catBits.push(...words)
    threshold[p] = Number.NaN
    categorical.add(f)
  }
  // Internal nodes hold the cover-weighted mean of their children (what the node would output as
  // a leaf over the training rows); children come after parents, so one backward pass fills them.
  for (let p = m - 1; p >= 0; p--) {
    if (feature[p]! < 0) continue
    const l = left[p]!
    const r = right[p]!
    const c = cover[l]! + cover[r]!
    value[p] = c > 0 ? (cover[l]! * value[l]! + cover[r]! * value[r]!) / c : (value[l]! + value[r]!) / 2
  }
  return {
    feature,
    threshold,
    left,
    right,
    defaultLeft,
    value,
    cover,
    gain,
    catIndex,
    catBits: Uint32Array.from(catBits),
  }
}

function looksBinary(text: string): boolean {
  const head = text.slice(0, 64)
  // UBJSON opens with '{' then a length marker byte (e.g. 'L'), never '"'; legacy binary models
  // start with raw bytes. Both decode to NULs or U+FFFD replacement characters.
  if (head.includes('\u0000') || head.includes('\ufffd')) return true
  return /^\uFEFF?\s*\{\s*[^\s"}]/.test(head) || !/^\uFEFF?\s*[{[]/.test(head)
}

/**
 * Reads an XGBoost model saved as JSON (`Booster.save_model("model.json")`, XGBoost 1.x/2.x
 * gbtree or dart) into a Keel GBDT that predicts what XGBoost's `predict()` does: thresholds
 * converted so float64 inputs route as XGBoost's float32 comparison does, base_score converted
 * to a margin, categorical splits as bitsets. Throws IMPORT_INVALID for a malformed file and
 * IMPORT_UNSUPPORTED for a model Keel cannot score exactly (objective, booster, UBJSON).
 */
export function importXgboost(text: string): ImportedModel {
  if (text.trim() === '') throw invalid('the file is empty.', '(file)')
  if (looksBinary(text)) {
    throw unsupported(
      `this is not a JSON model (UBJSON or the legacy binary format). ${SAVE_JSON_HINT}`,
      '(file)',
    )
  }
  let root: Json
  try {
    root = JSON.parse(relaxNonFinite(text.replace(/^\uFEFF/, '')))
  } catch (error) {
    throw invalid(`the file is not valid JSON (${(error as Error).message}).`, '(file)')
  }
  const top = object(root, '(root)')
  const learner = object(top.learner, 'learner')
  const version = array(top.version ?? [], 'version')
    .map((v) => String(v))
    .join('.')
  const producer = version === '' ? 'xgboost' : `xgboost ${version}`
  const notes: string[] = []

  const objectiveName = object(learner.objective, 'learner.objective').name
  if (typeof objectiveName !== 'string')
    throw invalid("'learner.objective.name' must be a string.", 'learner.objective.name')
  const objective = OBJECTIVES[objectiveName]
  if (objective === undefined) {
    throw unsupported(
      `objective '${objectiveName}' is not supported. Supported: ${XGBOOST_OBJECTIVES.join(', ')}.`,
      'learner.objective.name',
      { objective: objectiveName, supported: XGBOOST_OBJECTIVES },
    )
  }

  const params = object(learner.learner_model_param, 'learner.learner_model_param')
  const nFeatures = intParam(params.num_feature, 'learner.learner_model_param.num_feature', 1)
  const numClass =
    params.num_class === undefined ? 0 : intParam(params.num_class, 'learner.learner_model_param.num_class')
  if (
    params.num_target !== undefined &&
    intParam(params.num_target, 'learner.learner_model_param.num_target') > 1
  ) {
    throw unsupported(
      'multi-target models (num_target > 1) are not supported.',
      'learner.learner_model_param.num_target',
    )
  }
  const task = objective.task
  if (task === 'multiclass' && numClass < 2) {
    throw invalid(
      `${objectiveName} needs num_class >= 2, got ${numClass}.`,
      'learner.learner_model_param.num_class',
    )
  }
  const nClasses = task === 'binary' ? 2 : task === 'multiclass' ? numClass : undefined
  const nOutputs = task === 'multiclass' ? numClass : 1

  // base_score is in output space; XGBoost starts every output's margin at ProbToMargin(base_score).
  const baseField = 'learner.learner_model_param.base_score'
  const baseList = params.base_score === undefined ? [0.5] : numberList(params.base_score, baseField)
  if (baseList.length !== 1 && baseList.length !== nOutputs) {
    throw invalid(`base_score has ${baseList.length} values for ${nOutputs} outputs.`, baseField)
  }
  const baseScore = new Float64Array(nOutputs)
  for (let k = 0; k < nOutputs; k++) {
    const b = Math.fround(baseList[baseList.length === 1 ? 0 : k]!)
    if (objective.link === 'logit') {
      if (!(b > 0 && b < 1))
        throw invalid(`base_score ${b} must lie in (0, 1) for ${objectiveName}.`, baseField)
      baseScore[k] = logitFloat32(b)
    } else baseScore[k] = b
  }
  notes.push(
    objective.link === 'logit'
      ? `base_score ${baseList.join(',')} (a probability) read as margin logit(base_score) = ${baseScore[0]}.`
      : `base_score ${baseList.join(',')} taken as the starting margin of ${nOutputs === 1 ? 'the output' : 'every class'} (identity link).`,
  )
  if (objectiveName === 'binary:logitraw') {
    notes.push(
      "binary:logitraw: XGBoost's predict() returns the margin; Keel reports sigmoid(margin) as probability.",
    )
  }
  if (objectiveName === 'multi:softmax') {
    notes.push(
      "multi:softmax: XGBoost's predict() returns the class; Keel reports softmax probabilities (same argmax).",
    )
  }

  // Feature names and types.
  const namesJson =
    learner.feature_names === undefined ? [] : array(learner.feature_names, 'learner.feature_names')
  const typesJson =
    learner.feature_types === undefined ? [] : array(learner.feature_types, 'learner.feature_types')
  if (namesJson.length !== 0 && namesJson.length !== nFeatures) {
    throw invalid(
      `feature_names has ${namesJson.length} names for ${nFeatures} features.`,
      'learner.feature_names',
    )
  }
  if (typesJson.length !== 0 && typesJson.length !== nFeatures) {
    throw invalid(
      `feature_types has ${typesJson.length} types for ${nFeatures} features.`,
      'learner.feature_types',
    )
  }
  const namedFeatures = namesJson.length > 0
  const featureNames = namedFeatures
    ? namesJson.map((name, i) => {
        if (typeof name !== 'string')
          throw invalid(`feature_names[${i}] must be a string.`, 'learner.feature_names')
        return name
      })
    : Array.from({ length: nFeatures }, (_, i) => `f${i}`)
  if (new Set(featureNames).size !== featureNames.length) {
    throw invalid('feature_names repeats a name.', 'learner.feature_names')
  }
  const categoricalColumns = new Set<number>()
  typesJson.forEach((type, i) => {
    if (type === 'c') categoricalColumns.add(i)
  })

  // Booster: gbtree, or dart (gbtree trees plus a weight per tree).
  const booster = object(learner.gradient_booster, 'learner.gradient_booster')
  let model: JsonObject
  let weights: Float64Array | null = null
  if (booster.name === 'gbtree') model = object(booster.model, 'learner.gradient_booster.model')
  else if (booster.name === 'dart') {
    const inner = object(booster.gbtree, 'learner.gradient_booster.gbtree')
    model = object(inner.model, 'learner.gradient_booster.gbtree.model')
    weights = numbers(booster.weight_drop, 'learner.gradient_booster.weight_drop')
    notes.push("dart booster: each tree's leaves are scaled by its weight_drop, as XGBoost's predict() does.")
  } else {
    throw unsupported(
      `booster '${String(booster.name)}' is not supported; Keel imports tree boosters (gbtree, dart).`,
      'learner.gradient_booster.name',
    )
  }
  const treesJson = array(model.trees, 'gradient_booster.model.trees')
  const treeInfo = ints(model.tree_info, 'gradient_booster.model.tree_info', treesJson.length)
  if (weights !== null && weights.length !== treesJson.length) {
    throw invalid(
      `weight_drop has ${weights.length} weights for ${treesJson.length} trees.`,
      'learner.gradient_booster.weight_drop',
    )
  }
  if (treesJson.length === 0) throw invalid('the model has no trees.', 'gradient_booster.model.trees')

  const categoricalSplit = new Set<number>()
  const trees: Tree[] = []
  const treeOutput = new Int32Array(treesJson.length)
  for (let t = 0; t < treesJson.length; t++) {
    const field = `trees[${t}]`
    const group = treeInfo[t]!
    if (group < 0 || group >= nOutputs) {
      throw invalid(
        `tree ${t} adds to output ${group}; the model has ${nOutputs}.`,
        'gradient_booster.model.tree_info',
      )
    }
    treeOutput[t] = group
    const weight = weights === null ? 1 : Math.fround(weights[t]!)
    trees.push(
      convertTree(
        readTreeJson(treesJson[t], field),
        field,
        nFeatures,
        weight,
        categoricalSplit,
        categoricalColumns,
      ),
    )
  }
  const categoricalFeatures = [...new Set([...categoricalColumns, ...categoricalSplit])].sort((a, b) => a - b)
  if (categoricalFeatures.length > 0) {
    notes.push(
      `categorical features (${categoricalFeatures.map((f) => featureNames[f]).join(', ')}) take XGBoost's integer category codes 0..${MAX_CODE} ` +
        '(pandas: the position in .cat.categories). Codes a split does not list go left in both; Keel sends negative, ' +
        'fractional and codes above 255 right, where XGBoost truncates fractions and sends out-of-range codes left or the missing way.',
    )
  }
  // Booster.predict() scores every tree; a recorded best_iteration (early stopping) is only noted.
  const attributes = learner.attributes
  const gbtreeParam = isObject(model.gbtree_model_param) ? model.gbtree_model_param : {}
  const perRound =
    nOutputs *
    (gbtreeParam.num_parallel_tree === undefined
      ? 1
      : intParam(gbtreeParam.num_parallel_tree, 'gbtree_model_param.num_parallel_tree', 1))
  if (isObject(attributes) && attributes.best_iteration !== undefined) {
    const best = intParam(attributes.best_iteration, 'learner.attributes.best_iteration')
    if ((best + 1) * perRound < treesJson.length) {
      notes.push(
        `the file records best_iteration=${best} (early stopping); all ${treesJson.length} trees are imported, as Booster.predict() uses them.`,
      )
    }
  }

  const fitted = gbdtFromTrees({
    task,
    ...(nClasses === undefined ? {} : { nClasses }),
    featureNames,
    baseScore,
    trees,
    treeOutput,
    categoricalFeatures,
  })
  return {
    format: 'xgboost',
    producer,
    task,
    ...(nClasses === undefined ? {} : { nClasses }),
    featureNames,
    namedFeatures,
    categoricalFeatures,
    model: fitted,
    notes,
  }
}
