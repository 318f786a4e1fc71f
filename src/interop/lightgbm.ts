/**
 * LightGBM text models (`model.txt`, as `save_model` and the CLI write them) converted into Keel's
 * own GBDT, so they score on Keel's WebAssembly scorer and explain with TreeSHAP. The conversion is
 * exact: every split routes every row as LightGBM's `Tree::Decision` does (for the inputs Keel's
 * encoder produces: numbers, NaN, integer category codes), and a split Keel cannot express exactly
 * is refused rather than approximated.
 */
import { AppError } from '../core/index.js'
import type { TaskKind } from '../models/index.js'
import { gbdtFromTrees } from '../models/index.js'
import { CAT_WORDS, type Tree } from '../models/tree/index.js'
import type { ImportedModel } from './types.js'

/** Why an import failed: the file is not a valid model, or it uses what Keel cannot reproduce. */
export type LightgbmImportProblem = 'IMPORT_INVALID' | 'IMPORT_UNSUPPORTED'

/**
 * A LightGBM model file that is malformed or uses a feature Keel's trees cannot express exactly.
 * `details.problem` says which; `details` also names the line, field, tree and node when known.
 */
export class LightgbmImportError extends AppError {
  readonly problem: LightgbmImportProblem

  constructor(problem: LightgbmImportProblem, message: string, details: Record<string, unknown> = {}) {
    super(problem, message, {
      details: { problem, ...details },
    })
    this.problem = problem
  }
}

/** LightGBM's kZeroThreshold (meta.h: `const double kZeroThreshold = 1e-35f`): |x| <= it is "zero". */
const ZERO_THRESHOLD = Math.fround(1e-35)
/** Category codes a Keel bitset holds: 0..255. */
const MAX_CODES = 32 * CAT_WORDS

/** Objectives whose prediction is the raw score itself. */
const IDENTITY_OBJECTIVES = new Set([
  'regression',
  'regression_l2',
  'l2',
  'mean_squared_error',
  'mse',
  'l2_root',
  'root_mean_squared_error',
  'rmse',
  'regression_l1',
  'l1',
  'mean_absolute_error',
  'mae',
  'huber',
  'fair',
  'quantile',
  'mape',
  'mean_absolute_percentage_error',
])
/** Ranking objectives: scores are raw margins, imported as a regression on them. */
const RANKING_OBJECTIVES = new Set([
  'lambdarank',
  'rank_xendcg',
  'xendcg',
  'xe_ndcg',
  'xe_ndcg_mart',
  'xendcg_mart',
])
/** Objectives whose output transform (exp, sigmoid per class, log1p(exp)) Keel's GBDT lacks. */
const TRANSFORMED_OBJECTIVES = new Set([
  'poisson',
  'gamma',
  'tweedie',
  'multiclassova',
  'multiclass_ova',
  'ova',
  'ovr',
  'cross_entropy_lambda',
  'xentlambda',
])

/** A `key=value` line of the file and where it was. */
interface Field {
  readonly value: string
  readonly line: number
}

/** One `Tree=N` block: its fields by key. */
interface TreeBlock {
  readonly index: number
  readonly line: number
  readonly fields: Map<string, Field>
}

interface ParsedFile {
  readonly header: Map<string, Field>
  /** Bare header words (no `=`), such as `average_output`. */
  readonly flags: Set<string>
  readonly trees: TreeBlock[]
  /** The `[categorical_feature: …]` training parameter (after the trees), when present. */
  readonly categoricalParam: string | null
}

function malformed(message: string, details: Record<string, unknown> = {}): LightgbmImportError {
  return new LightgbmImportError(
    'IMPORT_INVALID',
    `${message} Pass the model.txt file LightGBM wrote (save_model / task=train), unedited.`,
    details,
  )
}

function unsupported(message: string, details: Record<string, unknown> = {}): LightgbmImportError {
  return new LightgbmImportError('IMPORT_UNSUPPORTED', message, details)
}

/** Splits the text into the header, the tree blocks and nothing else (the trailing sections are ignored). */
function parseSections(text: string): ParsedFile {
  const lines = text.split(/\r?\n/)
  let i = 0
  while (i < lines.length && lines[i]!.trim() === '') i++
  if (i >= lines.length || lines[i]!.trim() !== 'tree') {
    throw malformed(
      `Line ${i + 1}: expected the first line of a LightGBM text model to be 'tree', got '${(lines[i] ?? '').trim().slice(0, 40)}'.`,
      { line: i + 1 },
    )
  }
  const header = new Map<string, Field>()
  const flags = new Set<string>()
  const trees: TreeBlock[] = []
  let current: Map<string, Field> = header
  let sawEnd = false
  for (i++; i < lines.length; i++) {
    const line = lines[i]!.trim()
    const lineNo = i + 1
    if (line === '') continue
    if (line === 'end of trees') {
      sawEnd = true
      break
    }
    const eq = line.indexOf('=')
    if (eq < 0) {
      if (current === header) {
        flags.add(line)
        continue
      }
      throw malformed(
        `Line ${lineNo}: expected 'key=value' inside tree ${trees.length - 1}, got '${line.slice(0, 40)}'.`,
        {
          line: lineNo,
        },
      )
    }
    const key = line.slice(0, eq)
    const value = line.slice(eq + 1)
    if (key === 'Tree') {
      const index = Number(value)
      if (!Number.isInteger(index) || index !== trees.length) {
        throw malformed(`Line ${lineNo}: expected 'Tree=${trees.length}', got '${line.slice(0, 40)}'.`, {
          line: lineNo,
        })
      }
      current = new Map()
      trees.push({ index, line: lineNo, fields: current })
      continue
    }
    if (current.has(key)) {
      throw malformed(`Line ${lineNo}: field '${key}' appears twice.`, { line: lineNo, field: key })
    }
    current.set(key, { value, line: lineNo })
  }
  if (!sawEnd) throw malformed("The file has no 'end of trees' line: it is truncated.")
  if (trees.length === 0) throw malformed('The file holds no trees (no Tree=0 block).')
  let categoricalParam: string | null = null
  for (i++; i < lines.length; i++) {
    const match = /^\[categorical_feature:(.*)\]$/.exec(lines[i]!.trim())
    if (match !== null) categoricalParam = match[1]!.trim()
  }
  return { header, flags, trees, categoricalParam }
}

/** Reads a number token as LightGBM writes doubles (%.17g, plus inf / nan spellings). */
function parseNumber(token: string): number {
  const t = token.toLowerCase()
  if (t === 'inf' || t === '+inf' || t === 'infinity' || t === '+infinity') return Number.POSITIVE_INFINITY
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY
  if (t === 'nan' || t === '-nan') return Number.NaN
  // Number('') is 0 and Number(' ') too: an empty token must not pass as zero.
  if (t === '') return Number.NaN
  return Number(t)
}

/** Where a field lives, for messages: "tree 3, line 120, field 'threshold'". */
function where(tree: TreeBlock | null, field: string, f: Field | undefined): string {
  const at =
    f === undefined ? (tree === null ? '' : ` (tree starting line ${tree.line})`) : ` (line ${f.line})`
  return tree === null ? `field '${field}'${at}` : `tree ${tree.index} field '${field}'${at}`
}

function requireField(fields: Map<string, Field>, key: string, tree: TreeBlock | null): Field {
  const f = fields.get(key)
  if (f === undefined) {
    throw malformed(`Missing ${where(tree, key, undefined)}.`, {
      field: key,
      ...(tree === null ? {} : { tree: tree.index }),
    })
  }
  return f
}

/** A space-separated list of numbers; `integer` also requires whole numbers. */
function numberList(
  fields: Map<string, Field>,
  key: string,
  tree: TreeBlock | null,
  expectedLength: number | null,
  integer: boolean,
): Float64Array {
  const f = requireField(fields, key, tree)
  const tokens = f.value.trim() === '' ? [] : f.value.trim().split(/\s+/)
  if (expectedLength !== null && tokens.length !== expectedLength) {
    throw malformed(
      `${capitalise(where(tree, key, f))} has ${tokens.length} values; expected ${expectedLength}.`,
      {
        field: key,
        line: f.line,
        ...(tree === null ? {} : { tree: tree.index }),
      },
    )
  }
  const out = new Float64Array(tokens.length)
  for (let k = 0; k < tokens.length; k++) {
    const v = parseNumber(tokens[k]!)
    const bad = integer ? !Number.isInteger(v) : Number.isNaN(v) && !/^-?nan$/i.test(tokens[k]!)
    if (bad) {
      throw malformed(
        `${capitalise(where(tree, key, f))}: value ${k} is '${tokens[k]!.slice(0, 30)}', not ${integer ? 'an integer' : 'a number'}.`,
        { field: key, line: f.line, position: k, ...(tree === null ? {} : { tree: tree.index }) },
      )
    }
    out[k] = v
  }
  return out
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

function headerInteger(parsed: ParsedFile, key: string, fallback: number | null): number {
  const f = parsed.header.get(key)
  if (f === undefined) {
    if (fallback !== null) return fallback
    throw malformed(`Missing header field '${key}'.`, { field: key })
  }
  const v = Number(f.value.trim())
  if (f.value.trim() === '' || !Number.isInteger(v) || v < 0) {
    throw malformed(
      `Line ${f.line}: header field '${key}' must be a non-negative integer, got '${f.value.slice(0, 30)}'.`,
      {
        field: key,
        line: f.line,
      },
    )
  }
  return v
}

/** What the `objective=` line means for Keel: the task, classes and the margin scale. */
interface ObjectiveInfo {
  readonly task: TaskKind
  readonly nClasses: number
  /** Factor on every leaf value (LightGBM's sigmoid parameter for binary models). */
  readonly scale: number
  readonly notes: string[]
}

function readObjective(parsed: ParsedFile, numClass: number): ObjectiveInfo {
  const f = parsed.header.get('objective')
  if (f === undefined) {
    if (numClass > 1) {
      throw unsupported(
        `The model has ${numClass} outputs and no 'objective=' line (a custom objective): Keel cannot tell how its raw scores turn into predictions.`,
        { field: 'objective' },
      )
    }
    return {
      task: 'regression',
      nClasses: 1,
      scale: 1,
      notes: ["No 'objective=' line (custom objective): imported as a regression on LightGBM's raw score."],
    }
  }
  const [name = '', ...options] = f.value.trim().split(/\s+/)
  const option = (key: string): string | undefined =>
    options.find((o) => o.startsWith(`${key}:`))?.slice(key.length + 1)
  if (options.includes('sqrt')) {
    throw unsupported(
      `Line ${f.line}: objective '${f.value.trim()}' was trained on sqrt(label) and predicts its square; Keel's GBDT has no squaring output. Retrain without reg_sqrt.`,
      { field: 'objective', line: f.line },
    )
  }
  if (name === 'binary') {
    const sigmoid = option('sigmoid')
    const scale = sigmoid === undefined ? 1 : Number(sigmoid)
    if (!Number.isFinite(scale) || scale <= 0) {
      throw malformed(`Line ${f.line}: objective '${f.value.trim()}' has an invalid sigmoid parameter.`, {
        field: 'objective',
        line: f.line,
      })
    }
    const notes =
      scale === 1
        ? [
            'Binary objective with sigmoid:1: probability = 1 / (1 + exp(-margin)); margins are LightGBM raw scores.',
          ]
        : [
            `Binary objective with sigmoid:${sigmoid}: leaf values were multiplied by ${scale} so that probability = 1 / (1 + exp(-margin)); Keel's margins are LightGBM's raw scores times ${scale}.`,
          ]
    return { task: 'binary', nClasses: 2, scale, notes }
  }
  if (name === 'cross_entropy' || name === 'xentropy') {
    return {
      task: 'binary',
      nClasses: 2,
      scale: 1,
      notes: ['Cross-entropy objective: imported as binary; probability = 1 / (1 + exp(-margin)).'],
    }
  }
  if (name === 'multiclass' || name === 'softmax') {
    const k = Number(option('num_class') ?? numClass)
    if (!Number.isInteger(k) || k < 2 || k !== numClass) {
      throw malformed(`Line ${f.line}: objective '${f.value.trim()}' disagrees with num_class=${numClass}.`, {
        field: 'objective',
        line: f.line,
      })
    }
    return {
      task: 'multiclass',
      nClasses: k,
      scale: 1,
      notes: [`Multiclass softmax over ${k} classes: tree t adds to class t mod ${k}.`],
    }
  }
  if (IDENTITY_OBJECTIVES.has(name) || RANKING_OBJECTIVES.has(name)) {
    if (numClass !== 1) {
      throw malformed(`Line ${f.line}: objective '${name}' with num_class=${numClass}.`, {
        field: 'objective',
        line: f.line,
      })
    }
    const notes = RANKING_OBJECTIVES.has(name)
      ? [`Ranking objective '${name}': imported as a regression on the ranking score.`]
      : [`Objective '${name}': predictions are the raw score (identity output).`]
    return { task: 'regression', nClasses: 1, scale: 1, notes }
  }
  if (TRANSFORMED_OBJECTIVES.has(name)) {
    throw unsupported(
      `Line ${f.line}: objective '${name}' turns raw scores into predictions with a transform (exp, per-class sigmoid, log1p(exp)) that Keel's GBDT does not have. Supported: binary, multiclass (softmax), cross_entropy, and identity-output regression objectives.`,
      { field: 'objective', line: f.line, objective: name },
    )
  }
  throw unsupported(`Line ${f.line}: unknown objective '${name}'.`, {
    field: 'objective',
    line: f.line,
    objective: name,
  })
}

/**
 * Feature columns named by the `categorical_feature` training parameter: `name:a,b` or feature
 * indices. It also covers categorical columns no split used (feature_infos says `none` for them).
 */
function categoricalFromParam(parsed: ParsedFile, featureNames: readonly string[]): number[] {
  const param = parsed.categoricalParam
  if (param === null || param === '') return []
  const byName = param.startsWith('name:')
  const out: number[] = []
  for (const item of (byName ? param.slice(5) : param).split(',')) {
    const token = item.trim()
    const j = byName ? featureNames.indexOf(token) : Number(token)
    // Names or indices that match no feature (an ignored column) say nothing about the model.
    if (Number.isInteger(j) && j >= 0 && j < featureNames.length) out.push(j)
  }
  return out
}

/** Feature columns whose `feature_infos` entry is a category list (`-1:2:5:…`) rather than `[min:max]`. */
function categoricalFromInfos(parsed: ParsedFile, nFeatures: number): number[] {
  const f = parsed.header.get('feature_infos')
  if (f === undefined) return []
  const tokens = f.value.trim() === '' ? [] : f.value.trim().split(/\s+/)
  if (tokens.length !== nFeatures) {
    throw malformed(`Line ${f.line}: feature_infos has ${tokens.length} entries; expected ${nFeatures}.`, {
      field: 'feature_infos',
      line: f.line,
    })
  }
  const out: number[] = []
  tokens.forEach((t, j) => {
    if (t !== 'none' && !t.startsWith('[')) out.push(j)
  })
  return out
}

/** Options that apply to every tree's conversion. */
interface ConvertOptions {
  readonly nFeatures: number
  /** Factor on every leaf and internal value (sigmoid scale, 1/rounds for average_output). */
  readonly scale: number
}

/**
 * One LightGBM tree in Keel's layout. LightGBM keeps internal nodes and leaves in separate arrays
 * (a child < 0 is leaf ~child); Keel numbers both in one preorder, so children follow parents.
 */
function convertTree(block: TreeBlock, options: ConvertOptions): Tree {
  const fields = block.fields
  const t = block.index
  const numLeaves = numberList(fields, 'num_leaves', block, 1, true)[0]!
  if (numLeaves < 1)
    throw malformed(`Tree ${t}: num_leaves is ${numLeaves}; expected at least 1.`, { tree: t })
  const isLinear = fields.get('is_linear')
  if (isLinear !== undefined && isLinear.value.trim() !== '0') {
    throw unsupported(
      `Tree ${t} is a linear tree (is_linear=1, line ${isLinear.line}): its leaves hold linear models, which Keel's trees do not. Retrain with linear_tree=false.`,
      { tree: t, line: isLinear.line },
    )
  }
  const nInternal = numLeaves - 1
  const leafValue = numberList(fields, 'leaf_value', block, numLeaves, false)
  const nNodes = numLeaves + nInternal
  const feature = new Int32Array(nNodes).fill(-1)
  const threshold = new Float64Array(nNodes).fill(Number.NaN)
  const left = new Int32Array(nNodes).fill(-1)
  const right = new Int32Array(nNodes).fill(-1)
  const defaultLeft = new Uint8Array(nNodes)
  const value = new Float64Array(nNodes)
  const cover = new Float64Array(nNodes)
  const gain = new Float64Array(nNodes)
  const catIndex = new Int32Array(nNodes).fill(-1)
  const catWords: number[] = []
  const optional = (key: string, length: number, integer: boolean): Float64Array | null =>
    fields.has(key) ? numberList(fields, key, block, length, integer) : null
  // TreeSHAP's cover: LightGBM's own pred_contrib weighs children by data counts.
  const leafCover = optional('leaf_count', numLeaves, false) ?? optional('leaf_weight', numLeaves, false)
  if (nInternal === 0) {
    value[0] = leafValue[0]! * options.scale
    cover[0] = leafCover?.[0] ?? 0
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
      catBits: new Uint32Array(),
    }
  }
  const splitFeature = numberList(fields, 'split_feature', block, nInternal, true)
  const thresholds = numberList(fields, 'threshold', block, nInternal, false)
  const decisionType = numberList(fields, 'decision_type', block, nInternal, true)
  const leftChild = numberList(fields, 'left_child', block, nInternal, true)
  const rightChild = numberList(fields, 'right_child', block, nInternal, true)
  const splitGain = optional('split_gain', nInternal, false)
  const internalValue = optional('internal_value', nInternal, false)
  const internalCover =
    optional('internal_count', nInternal, false) ?? optional('internal_weight', nInternal, false)
  const numCat = fields.has('num_cat') ? numberList(fields, 'num_cat', block, 1, true)[0]! : 0
  const catBoundaries = numCat > 0 ? numberList(fields, 'cat_boundaries', block, numCat + 1, true) : null
  const catThreshold = numCat > 0 ? numberList(fields, 'cat_threshold', block, null, true) : null
  if (catBoundaries !== null && catThreshold !== null) {
    for (let c = 0; c <= numCat; c++) {
      const b = catBoundaries[c]!
      const previous = c === 0 ? 0 : catBoundaries[c - 1]!
      if (b < previous || b > catThreshold.length || (c === 0 && b !== 0)) {
        throw malformed(`Tree ${t}: cat_boundaries must rise from 0 to at most ${catThreshold.length}.`, {
          tree: t,
          field: 'cat_boundaries',
        })
      }
    }
  }

  // Preorder walk with an explicit stack (deep trees must not overflow the call stack). Each
  // entry is a LightGBM child reference (>= 0 internal node, < 0 leaf ~ref) and the Keel parent
  // slot that will point at it.
  const seenInternal = new Uint8Array(nInternal)
  const seenLeaf = new Uint8Array(numLeaves)
  const stack: { ref: number; parent: number; isLeft: boolean }[] = [{ ref: 0, parent: -1, isLeft: true }]
  let next = 0
  while (stack.length > 0) {
    const { ref, parent, isLeft } = stack.pop()!
    const k = next++
    if (parent >= 0) {
      if (isLeft) left[parent] = k
      else right[parent] = k
    }
    if (ref < 0) {
      const leaf = ~ref
      if (leaf >= numLeaves || seenLeaf[leaf] === 1) {
        throw malformed(
          `Tree ${t}: leaf ${leaf} is out of range or reached twice; the child arrays are corrupt.`,
          {
            tree: t,
            field: 'left_child',
          },
        )
      }
      seenLeaf[leaf] = 1
      value[k] = leafValue[leaf]! * options.scale
      cover[k] = leafCover?.[leaf] ?? 0
      continue
    }
    const node = ref
    if (node >= nInternal || seenInternal[node] === 1) {
      throw malformed(
        `Tree ${t}: node ${node} is out of range or reached twice; the child arrays are corrupt.`,
        {
          tree: t,
          field: 'left_child',
        },
      )
    }
    seenInternal[node] = 1
    const f = splitFeature[node]!
    if (f < 0 || f >= options.nFeatures) {
      throw malformed(
        `Tree ${t} node ${node} splits on feature ${f}; the model has ${options.nFeatures} features.`,
        {
          tree: t,
          node,
          field: 'split_feature',
        },
      )
    }
    feature[k] = f
    gain[k] = splitGain?.[node] ?? 0
    value[k] = (internalValue?.[node] ?? 0) * options.scale
    cover[k] = internalCover?.[node] ?? 0
    const dt = decisionType[node]!
    const isCategorical = (dt & 1) === 1
    const defaultLeftBit = ((dt >> 1) & 1) === 1
    const missingType = (dt >> 2) & 3
    if (dt < 0 || dt > 15 || missingType === 3) {
      throw malformed(`Tree ${t} node ${node}: decision_type ${dt} is not a valid LightGBM decision type.`, {
        tree: t,
        node,
        field: 'decision_type',
      })
    }
    if (isCategorical) {
      defaultLeft[k] = 0
      catIndex[k] = catWords.length / CAT_WORDS
      catWords.push(...categoryBitset(t, node, thresholds[node]!, numCat, catBoundaries, catThreshold))
    } else {
      const th = thresholds[node]!
      if (Number.isNaN(th)) {
        throw malformed(`Tree ${t} node ${node}: the threshold is NaN.`, {
          tree: t,
          node,
          field: 'threshold',
        })
      }
      threshold[k] = th
      defaultLeft[k] = numericDefaultLeft(t, node, th, missingType, defaultLeftBit) ? 1 : 0
    }
    // Right is pushed first so the left subtree is numbered first (plain preorder).
    stack.push({ ref: rightChild[node]!, parent: k, isLeft: false })
    stack.push({ ref: leftChild[node]!, parent: k, isLeft: true })
  }
  if (next !== nNodes) {
    throw malformed(
      `Tree ${t}: ${nNodes - next} nodes are not reachable from the root; the child arrays are corrupt.`,
      {
        tree: t,
      },
    )
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
    catBits: Uint32Array.from(catWords),
  }
}

/**
 * Where NaN goes at a numeric split, as LightGBM's NumericalDecision sends it: missing type None
 * turns NaN into 0.0 (so it goes where 0 goes), NaN uses the stored default direction, and Zero
 * sends NaN and every |x| <= kZeroThreshold the default way. Keel compares those tiny values
 * with the threshold, so a Zero split is exact only when the threshold already sends all of them
 * the default way; otherwise the model is refused.
 */
function numericDefaultLeft(
  tree: number,
  node: number,
  threshold: number,
  missingType: number,
  defaultLeftBit: boolean,
): boolean {
  switch (missingType) {
    case 0:
      return 0 <= threshold
    case 2:
      return defaultLeftBit
    default: {
      const exact = defaultLeftBit ? ZERO_THRESHOLD <= threshold : threshold < -ZERO_THRESHOLD
      if (!exact) {
        throw unsupported(
          `Tree ${tree} node ${node}: a missing_type=Zero split (zero_as_missing) sends zero and NaN ${defaultLeftBit ? 'left' : 'right'} while its threshold ${threshold} sends zero ${defaultLeftBit ? 'right' : 'left'}; Keel's trees route zero by the threshold and cannot express this. Retrain with zero_as_missing=false.`,
          { tree, node, field: 'decision_type' },
        )
      }
      return defaultLeftBit
    }
  }
}

/**
 * The Keel bitset (CAT_WORDS words, codes 0..255) of categorical split `node`, whose threshold
 * indexes LightGBM's cat_boundaries / cat_threshold. Codes whose word lies beyond LightGBM's
 * bitset go right there and have a 0 bit here, so they go right in Keel too.
 */
function categoryBitset(
  tree: number,
  node: number,
  threshold: number,
  numCat: number,
  boundaries: Float64Array | null,
  words: Float64Array | null,
): number[] {
  const ci = threshold
  if (boundaries === null || words === null || !Number.isInteger(ci) || ci < 0 || ci >= numCat) {
    throw malformed(
      `Tree ${tree} node ${node}: categorical split points at bitset ${threshold}, but the tree has num_cat=${numCat}.`,
      { tree, node, field: 'threshold' },
    )
  }
  const start = boundaries[ci]!
  const end = boundaries[ci + 1]!
  const out = new Array<number>(CAT_WORDS).fill(0)
  for (let w = start; w < end; w++) {
    const word = words[w]!
    if (word < 0 || word > 0xffffffff) {
      throw malformed(
        `Tree ${tree} node ${node}: cat_threshold word ${word} is not a 32-bit unsigned integer.`,
        {
          tree,
          node,
          field: 'cat_threshold',
        },
      )
    }
    const slot = w - start
    if (slot >= CAT_WORDS) {
      if (word !== 0) {
        const lowest = slot * 32 + lowestBit(word)
        throw unsupported(
          `Tree ${tree} node ${node}: a categorical split sends code ${lowest} left; Keel's trees hold category codes 0..${MAX_CODES - 1}. Re-encode the column with at most ${MAX_CODES} levels (or max_cat_threshold) and retrain.`,
          { tree, node, field: 'cat_threshold', code: lowest },
        )
      }
      continue
    }
    out[slot] = word
  }
  return out
}

function lowestBit(word: number): number {
  return 31 - Math.clz32(word & -word)
}

/**
 * Converts a LightGBM text model (`model.txt`) into a Keel GBDT with identical predictions: the
 * same routing of every numeric value, NaN and integer category code, the same leaf sums, and
 * LightGBM's output transform (sigmoid for binary, softmax for multiclass, identity for
 * regression). The init score is already folded into the first trees, so the base score is 0.
 * @param text The whole file as LightGBM wrote it.
 * @throws LightgbmImportError (INVALID_ARGUMENT, `problem` IMPORT_INVALID) for a file that is
 *   not a valid LightGBM text model, naming the line or tree and field.
 * @throws LightgbmImportError (`problem` IMPORT_UNSUPPORTED) for a model Keel cannot reproduce
 *   exactly: linear trees, category codes above 255, zero_as_missing splits whose threshold
 *   disagrees with the default direction, objectives with exp / per-class sigmoid outputs.
 * @example
 * ```ts
 * import { readFileSync } from 'node:fs'
 * const imported = importLightgbm(readFileSync('model.txt', 'utf8'))
 * imported.model.predict({ rows: 1, cols: imported.featureNames.length, data: new Float64Array(imported.featureNames.length) })
 * ```
 */
export function importLightgbm(text: string): ImportedModel {
  const parsed = parseSections(text)
  const maxFeatureIdx = headerInteger(parsed, 'max_feature_idx', null)
  const nFeatures = maxFeatureIdx + 1
  const numClass = Math.max(1, headerInteger(parsed, 'num_class', 1))
  const perIteration = Math.max(1, headerInteger(parsed, 'num_tree_per_iteration', numClass))
  if (perIteration !== numClass) {
    throw unsupported(
      `num_tree_per_iteration=${perIteration} differs from num_class=${numClass}; Keel expects one tree per class per round.`,
      { field: 'num_tree_per_iteration' },
    )
  }
  const objective = readObjective(parsed, numClass)
  const names = requireField(parsed.header, 'feature_names', null)
  const featureNames = names.value.trim() === '' ? [] : names.value.trim().split(/\s+/)
  if (featureNames.length !== nFeatures) {
    throw malformed(
      `Line ${names.line}: feature_names lists ${featureNames.length} names; max_feature_idx=${maxFeatureIdx} means ${nFeatures}.`,
      { field: 'feature_names', line: names.line },
    )
  }
  const nTrees = parsed.trees.length
  if (nTrees % numClass !== 0) {
    throw malformed(`The file has ${nTrees} trees, not a multiple of num_class=${numClass}.`, {
      field: 'Tree',
    })
  }
  const notes = [...objective.notes]
  let scale = objective.scale
  if (parsed.flags.has('average_output')) {
    // Random-forest mode: LightGBM divides the summed raw score by the rounds. Dividing each leaf
    // instead may differ in the last bit.
    const rounds = nTrees / numClass
    scale /= rounds
    notes.push(`average_output (random forest): leaf values divided by the ${rounds} rounds.`)
  }
  const trees = parsed.trees.map((block) => convertTree(block, { nFeatures, scale }))
  const treeOutput = new Int32Array(nTrees)
  if (objective.task === 'multiclass') for (let t = 0; t < nTrees; t++) treeOutput[t] = t % numClass
  const categorical = new Set([
    ...categoricalFromInfos(parsed, nFeatures),
    ...categoricalFromParam(parsed, featureNames),
  ])
  for (const tree of trees) {
    for (let i = 0; i < tree.feature.length; i++)
      if (tree.catIndex[i]! >= 0) categorical.add(tree.feature[i]!)
  }
  const categoricalFeatures = [...categorical].sort((a, b) => a - b)
  if (categoricalFeatures.length > 0) {
    notes.push(
      'Categorical columns take integer codes; a missing, negative or unseen code goes right, as in LightGBM. LightGBM truncates a fractional code; Keel sends it right.',
    )
  }
  notes.push(
    'TreeSHAP covers are LightGBM data counts (leaf_count / internal_count), as LightGBM pred_contrib uses.',
  )
  const version = parsed.header.get('version')?.value.trim()
  const model = gbdtFromTrees({
    task: objective.task,
    ...(objective.task === 'regression' ? {} : { nClasses: objective.nClasses }),
    featureNames,
    baseScore: new Float64Array(objective.task === 'multiclass' ? numClass : 1),
    trees,
    treeOutput,
    categoricalFeatures,
  })
  return {
    format: 'lightgbm',
    producer: version === undefined || version === '' ? 'LightGBM' : `LightGBM ${version}`,
    task: objective.task,
    ...(objective.task === 'regression' ? {} : { nClasses: objective.nClasses }),
    featureNames,
    namedFeatures: true,
    categoricalFeatures,
    model,
    notes,
  }
}
