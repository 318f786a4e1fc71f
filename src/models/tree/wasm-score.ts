/**
 * WebAssembly kernels for batch scoring with a PackedForest (numeric and categorical splits; one
 * output, vector leaves, or multiclass trees each adding to its class): the same lockstep walk of
 * four trees as PackedForest's JavaScript (leaves map to themselves, stop when no lane moves), the
 * same additions in the same order, so scores are identical bit for bit. Measured faster than
 * V8's code for the walk: no bounds checks, and comparisons compile to flag moves. The forest is
 * copied once into the kernel's own memory; rows are copied in per chunk. Sources: wasm/score*.wat
 * (one module per leaf mode, with and without categorical splits), compiled by
 * scripts/build-wasm.mjs.
 */
import { compileWasm } from '../../runtime/index.js'
import { CAT_WORDS, FEATURE_MASK, NAN_RIGHT_SHIFT, type PackedForestParts } from './packed-parts.js'
import { scoreWasm } from './wasm/score.wasm.js'
import { scoreCatWasm } from './wasm/score_cat.wasm.js'
import { scoreMultiWasm } from './wasm/score_multi.wasm.js'
import { scoreMultiCatWasm } from './wasm/score_multi_cat.wasm.js'
import { scoreVectorWasm } from './wasm/score_vector.wasm.js'
import { scoreVectorCatWasm } from './wasm/score_vector_cat.wasm.js'

/**
 * How leaves add to a row's outputs: `scalar` (one output, kept in a local), `vector` (every tree
 * adds its leaf's `width` values to all outputs) or `multi` (each tree adds its one value to the
 * output outputOf[tree]: multiclass boosting).
 */
type LeafMode = 'scalar' | 'vector' | 'multi'

/** Kernel function names by leaf mode and categorical support (also the .wat files' names). */
function kernelName(mode: LeafMode, categorical: boolean): string {
  return `score${mode === 'scalar' ? '' : `_${mode}`}${categorical ? '_cat' : ''}`
}

/** Module bytes (base64) by kernel name: one module per kernel, each compiled on first use. */
const SOURCES: Readonly<Record<string, string>> = {
  score: scoreWasm,
  score_cat: scoreCatWasm,
  score_vector: scoreVectorWasm,
  score_vector_cat: scoreVectorCatWasm,
  score_multi: scoreMultiWasm,
  score_multi_cat: scoreMultiCatWasm,
}

type ScoreFn = (
  nodes: number,
  thr: number,
  val: number,
  roots: number,
  depth: number,
  t0: number,
  t1: number,
  data: number,
  stride: number,
  nRows: number,
  out: number,
  width: number,
  catOffset: number,
  catBits: number,
  outputOf: number,
) => void

/**
 * Compiled kernels by name (null: WebAssembly unavailable or the kernel rejected), each built on
 * first use: a forest needs one of the six, and building all of them made the first scorer of
 * every isolate several times slower.
 */
const compiled = new Map<string, WebAssembly.Module | null>()

function scoreModule(mode: LeafMode, categorical: boolean): WebAssembly.Module | null {
  const name = kernelName(mode, categorical)
  let module = compiled.get(name)
  if (module !== undefined) return module
  // Without the kernel (null) PackedForest's JavaScript walk gives the same scores.
  module = compileWasm(SOURCES[name]!)
  compiled.set(name, module)
  return module
}

/** Zero bytes before the tables, read by numeric nodes: their slot's low 9 bits are any number. */
const CAT_PAD_BYTES = 512

/**
 * For each feature of a categorical split, the codes its tables cover: one past the highest code
 * any of its nodes sends left (codes above it go right at every node, as non-codes do).
 */
function categoricalCodes(f: PackedForestParts): Map<number, number> {
  const codes = new Map<number, number>()
  for (let k = 0; k < f.catOffset.length; k++) {
    const co = f.catOffset[k]!
    if (co < 0) continue
    let top = 0
    for (let w = CAT_WORDS - 1; w >= 0 && top === 0; w--) {
      const word = f.catBits[co + w]!
      if (word !== 0) top = 32 * w + (32 - Math.clz32(word))
    }
    const feature = f.nodes[2 * k]! & FEATURE_MASK
    codes.set(feature, Math.max(codes.get(feature) ?? 0, top))
  }
  return codes
}

/** Whether no feature of `codes` (categorical splits) also has numeric splits. */
function categoricalDisjoint(f: PackedForestParts, codes: ReadonlyMap<number, number>): boolean {
  for (let k = 0; k < f.catOffset.length; k++) {
    // Leaves have info 0 and a self-pointing child; they read no feature.
    if (f.nodes[2 * k + 1] === k) continue
    if (f.catOffset[k]! < 0 && codes.has(f.nodes[2 * k]! & FEATURE_MASK)) return false
  }
  return true
}

/** Rows copied into the kernel's memory per call. */
const CHUNK_ROWS = 4096
/**
 * Rows and trees per kernel call: a block of rows meets a slice of trees whose nodes stay in L2
 * (the whole model does not). Slices are multiples of four trees, so every row still gets groups
 * of four in tree order and the leftover trees last, as the JavaScript walk.
 */
const BLOCK_ROWS = 64
const MAX_SLICE_TREES = 32
/** Bytes of tree arrays a slice may hold: deep forests (random forests) get slices of fewer trees. */
const SLICE_BYTES = 192 * 1024

/** Batch scorer for one forest in its own WebAssembly memory (one per thread). */
export class WasmScorer {
  private readonly run: ScoreFn
  private readonly memory: WebAssembly.Memory
  private readonly at: {
    nodes: number
    thr: number
    val: number
    roots: number
    depth: number
    catOffset: number
    catBits: number
    outputOf: number
    data: number
  }
  private readonly nTrees: number
  private readonly width: number
  /** Features of categorical splits: their values are stored as codes in the rows' slots. */
  private readonly catFeatures: Int32Array
  /** Codes covered by each of catFeatures' tables. */
  private readonly catCodes: Int32Array
  /** Trees per kernel call (a multiple of four), so a slice's nodes stay in cache. */
  private readonly sliceTrees: number
  /** A float64 view of the whole memory, renewed when the memory grows. */
  private heap: Float64Array
  /** An int32 view of the same memory (categorical codes are written through it), renewed with heap. */
  private words: Int32Array

  /** `codes`: categoricalCodes(f), or null for a forest without categorical splits. */
  private constructor(
    module: WebAssembly.Module,
    f: PackedForestParts,
    mode: LeafMode,
    codes: ReadonlyMap<number, number> | null,
  ) {
    const categorical = codes !== null
    const covered = codes ?? new Map<number, number>()
    const align = (n: number) => Math.ceil(n / 8) * 8
    // Only the arrays the chosen kernel reads are copied: the numeric kernels never read the
    // categorical ones, nor the scalar and vector kernels outputOf. An array left out takes no
    // bytes (every load stays inside its own array, so regions need no padding between them).
    // A table per categorical node: a byte per code its feature covers, then one for non-codes
    // and one for NaN.
    let tableBytes = 0
    if (categorical)
      for (let k = 0; k < f.catOffset.length; k++)
        if (f.catOffset[k]! >= 0) tableBytes += covered.get(f.nodes[2 * k]! & FEATURE_MASK)! + 2
    const catOffsetBytes = categorical ? f.catOffset.byteLength : 0
    const catBitsBytes = categorical ? CAT_PAD_BYTES + tableBytes : 0
    const outputOfBytes = mode === 'multi' ? f.outputOf.byteLength : 0
    const nodes = 0
    const thr = align(nodes + f.nodes.byteLength)
    const val = thr + f.thresholds.byteLength
    const roots = val + f.values.byteLength
    const depth = align(roots + f.roots.byteLength)
    const catOffset = align(depth + f.depthOf.byteLength)
    const catBits = catOffset + catOffsetBytes
    const outputOf = align(catBits + catBitsBytes)
    const data = align(outputOf + outputOfBytes)
    this.at = { nodes, thr, val, roots, depth, catOffset, catBits, outputOf, data }
    this.memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(data / 65536)) })
    this.heap = new Float64Array(this.memory.buffer)
    this.words = new Int32Array(this.memory.buffer)
    const b = this.memory.buffer
    new Int32Array(b, nodes, f.nodes.length).set(f.nodes)
    new Float64Array(b, thr, f.thresholds.length).set(f.thresholds)
    new Float64Array(b, val, f.values.length).set(f.values)
    new Int32Array(b, roots, f.roots.length).set(f.roots)
    new Int32Array(b, depth, f.depthOf.length).set(f.depthOf)
    if (categorical) {
      // The kernels OR a categorical node's answer into every step, with no branch: a byte of 1
      // sends the row right. A categorical node's offset is its table's address; its threshold is
      // NaN, so the numeric compare adds nothing. A numeric node's offset is the pad of zeros.
      const offsets = new Int32Array(b, catOffset, f.catOffset.length)
      const tables = new Uint8Array(b, catBits, CAT_PAD_BYTES + tableBytes)
      const thresholds = new Float64Array(b, thr, f.thresholds.length)
      let at = CAT_PAD_BYTES
      for (let k = 0; k < f.catOffset.length; k++) {
        const co = f.catOffset[k]!
        if (co < 0) {
          offsets[k] = catBits
          continue
        }
        const n = covered.get(f.nodes[2 * k]! & FEATURE_MASK)!
        offsets[k] = catBits + at
        for (let c = 0; c < n; c++) tables[at + c] = ((f.catBits[co + (c >>> 5)]! >>> (c & 31)) & 1) ^ 1
        tables[at + n] = 1
        tables[at + n + 1] = (f.nodes[2 * k]! >>> NAN_RIGHT_SHIFT) & 1
        thresholds[k] = Number.NaN
        at += n + 2
      }
    }
    this.catFeatures = Int32Array.from(covered.keys())
    this.catCodes = Int32Array.from(covered.values())
    if (mode === 'multi') new Int32Array(b, outputOf, f.outputOf.length).set(f.outputOf)
    this.nTrees = f.roots.length
    // Scalar: the one output; vector: nOutputs values per leaf; multi: nOutputs classes.
    this.width = f.nOutputs
    const treeBytes =
      (f.nodes.byteLength + f.thresholds.byteLength + f.values.byteLength) / Math.max(1, this.nTrees)
    this.sliceTrees = Math.max(4, Math.min(MAX_SLICE_TREES, Math.floor(SLICE_BYTES / treeBytes / 4) * 4))
    const instance = new WebAssembly.Instance(module, { env: { mem: this.memory } })
    this.run = instance.exports[kernelName(mode, categorical)] as ScoreFn
  }

  /**
   * A scorer for forest `f` (numeric and categorical splits; one output, vector leaves that every
   * tree adds to all outputs, or one value per leaf added to its tree's output as multiclass
   * boosting), or null for other leaf widths, without WebAssembly, or with KEEL_NO_WASM=1.
   */
  static create(f: PackedForestParts): WasmScorer | null {
    if (process.env.KEEL_NO_WASM === '1') return null
    const { nOutputs, valueWidth } = f
    if (valueWidth !== 1 && valueWidth !== nOutputs) return null
    const mode: LeafMode = nOutputs === 1 ? 'scalar' : valueWidth === 1 ? 'multi' : 'vector'
    // Only categorical splits have bitsets (fromTrees): numeric-only forests keep the lean kernel.
    const categorical = f.catBits.length > 0
    // The categorical kernels read a categorical feature's slot as a code: a feature that also
    // has numeric splits (no model here makes one) is left to the JavaScript walk.
    const codes = categorical ? categoricalCodes(f) : null
    if (codes !== null && !categoricalDisjoint(f, codes)) return null
    const module = scoreModule(mode, categorical)
    if (module === null) return null
    try {
      return new WasmScorer(module, f, mode, codes)
    } catch {
      return null
    }
  }

  /** Grows the memory to hold `bytes` (forest plus rows) and returns the float64 view of it. */
  private reserve(bytes: number): Float64Array {
    const have = this.memory.buffer.byteLength
    if (bytes > have) {
      this.memory.grow(Math.ceil((bytes - have) / 65536))
      this.heap = new Float64Array(this.memory.buffer)
      this.words = new Int32Array(this.memory.buffer)
    }
    return this.heap
  }

  /** Trees [t0, t1) onto the outputs at `out` of `rows` rows at `data` (byte addresses in the memory). */
  private runTrees(t0: number, t1: number, data: number, stride: number, rows: number, out: number): void {
    const { nodes, thr, val, roots, depth, catOffset, catBits, outputOf } = this.at
    this.run(
      nodes,
      thr,
      val,
      roots,
      depth,
      t0,
      t1,
      data,
      stride,
      rows,
      out,
      this.width,
      catOffset,
      catBits,
      outputOf,
    )
  }

  /**
   * Rewrites the categorical features of `rows` rows copied at float64 index `base` as the index
   * into their nodes' tables, in each slot's low 32 bits (high bits 0): the code when the tables
   * cover it, n (the feature's covered codes) for any other value (it goes right, as
   * PackedForest.categoricalStep), n + 1 for NaN (the node's missing direction).
   */
  private encodeCodes(base: number, rows: number, cols: number): void {
    const cats = this.catFeatures
    if (cats.length === 0) return
    const covered = this.catCodes
    const f = this.heap
    const words = this.words
    for (let r = 0; r < rows; r++) {
      const o = base + r * cols
      for (let j = 0; j < cats.length; j++) {
        const i = o + cats[j]!
        const v = f[i]!
        const n = covered[j]!
        const code = v | 0
        words[2 * i] = code === v && code >= 0 && code < n ? code : Number.isNaN(v) ? n + 1 : n
        words[2 * i + 1] = 0
      }
    }
  }

  /** Adds the forest's outputs of the row at data[offset .. offset+cols) onto out[outOffset ..]. */
  scoreRow(data: Float64Array, offset: number, cols: number, out: Float64Array, outOffset: number): void {
    const W = this.width
    const f = this.reserve(this.at.data + cols * 8 + W * 8)
    const base = this.at.data / 8
    for (let j = 0; j < cols; j++) f[base + j] = data[offset + j]!
    this.encodeCodes(base, 1, cols)
    for (let o = 0; o < W; o++) f[base + cols + o] = out[outOffset + o]!
    this.runTrees(0, this.nTrees, this.at.data, cols * 8, 1, this.at.data + cols * 8)
    for (let o = 0; o < W; o++) out[outOffset + o] = f[base + cols + o]!
  }

  /**
   * Adds the forest's outputs of rows [from, to) of a row-major matrix onto out (row-major, `width`
   * values per row: out[from * width .. to * width)).
   */
  score(data: Float64Array, cols: number, from: number, to: number, out: Float64Array): void {
    const stride = cols * 8
    const W = this.width
    for (let b = from; b < to; b += CHUNK_ROWS) {
      const m = Math.min(to, b + CHUNK_ROWS) - b
      const heap = this.reserve(this.at.data + m * stride + m * W * 8).buffer
      const outAt = this.at.data + m * stride
      new Float64Array(heap, this.at.data, m * cols).set(data.subarray(b * cols, (b + m) * cols))
      this.encodeCodes(this.at.data / 8, m, cols)
      const o = new Float64Array(heap, outAt, m * W)
      o.set(out.subarray(b * W, (b + m) * W))
      for (let rb = 0; rb < m; rb += BLOCK_ROWS) {
        const rows = Math.min(BLOCK_ROWS, m - rb)
        for (let t0 = 0; t0 < this.nTrees; t0 += this.sliceTrees) {
          const t1 = Math.min(this.nTrees, t0 + this.sliceTrees)
          this.runTrees(t0, t1, this.at.data + rb * stride, stride, rows, outAt + rb * W * 8)
        }
      }
      out.set(o, b * W)
    }
  }
}
