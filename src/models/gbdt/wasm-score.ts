/**
 * WebAssembly kernels for batch scoring with a PackedForest (numeric and categorical splits; one
 * output, vector leaves, or multiclass trees each adding to its class): the same lockstep walk of
 * four trees as PackedForest's JavaScript (leaves map to themselves, stop when no lane moves), the
 * same additions in the same order, so scores are identical bit for bit. Measured faster than
 * V8's code for the walk: no bounds checks, and comparisons compile to flag moves. The forest is
 * copied once into the kernel's own memory; rows are copied in per chunk.
 */
import { emitter, F64, type FunctionDef, I32, moduleBytes, op } from '../wasm/asm.js'
// Type-only: tree.ts imports this module at run time.
import type { PackedForestParts } from './tree.js'

// Parameters (byte addresses; STRIDE = bytes per input row).
const NODES = 0
const THR = 1
const VAL = 2
const ROOTS = 3
const DEPTH = 4
const T0 = 5 // trees [T0, T1)
const T1 = 6
const DATA = 7
const STRIDE = 8
const NROWS = 9
const OUT = 10
/** Outputs per row: 1 for the scalar kernels, nOutputs for the others (also values per leaf: vector). */
const WIDTH = 11
/** Categorical splits: each node's offset into the level bitsets (-1: none), and the bitsets. */
const CAT_OFFSET = 12
const CAT_BITS = 13
/** Multiclass forests: the output (class) each tree adds to. */
const OUTPUT_OF = 14
/** Info flag of a categorical split (tree.ts FLAG_CATEGORICAL). */
const FLAG_CATEGORICAL = 1 << 25
/** Rows walked together: two rows x four trees = eight independent walks in flight. */
const PAIR = 2
// i32 locals.
const R = 15
const T = R + 1
const D = R + 2
const LEVEL = R + 3
const INFO = R + 4
const MOVED = R + 5
const NEXT = R + 6
const ROW = R + 7 // ROW..ROW+PAIR-1: the rows' addresses
const N = ROW + PAIR // N..N+4*PAIR-1: the lanes' nodes (row p's tree k at N + 4p + k)
const OUT_ROW = N + 4 * PAIR // OUT_ROW..OUT_ROW+PAIR-1: the rows' output addresses (vector, multi)
const O = OUT_ROW + PAIR // the output index (vector leaves)
const RIGHT = O + 1 // a lane's step: 0 left, 1 right
const CODE = O + 2 // a categorical level
const I32_LOCALS = CODE + 1 - R
// f64 locals.
const V = R + I32_LOCALS
const ACC = V + 1 // ACC..ACC+PAIR-1

type Emit = (...p: (number | number[])[]) => void

/** The address of row (r + p)'s single output: OUT + 8 (r + p). */
const scalarOut = (p: number): number[] => [
  ...op.get(OUT),
  ...op.get(R),
  ...op.i32(p),
  ...op.add,
  ...op.i32(8),
  ...op.mul,
  ...op.add,
]

/** Pushes child(node) + right, right = (v > threshold) | (isNaN(v) & nanRightBit), v = row[feature]. */
function laneStep(emit: Emit, node: number, row: number, categorical: boolean): void {
  // info = nodes[2 * node]
  emit(op.get(NODES), op.get(node), op.i32(8), op.mul, op.add, op.i32Load(0), op.set(INFO))
  // v = row[info & 0xffffff]
  emit(
    op.get(row),
    op.get(INFO),
    op.i32(0xffffff),
    op.and,
    op.i32(8),
    op.mul,
    op.add,
    op.f64Load(),
    op.set(V),
  )
  // nodes[2 * node + 1] + right, right = (v > thr[node]) | ((v != v) & (info >>> 24))
  emit(op.get(NODES), op.get(node), op.i32(8), op.mul, op.add, op.i32Load(4))
  emit(op.get(V), op.get(THR), op.get(node), op.i32(8), op.mul, op.add, op.f64Load(), op.f64Gt)
  emit(op.get(V), op.get(V), op.f64Ne, op.get(INFO), op.i32(24), op.shrU, op.and, op.or)
  if (!categorical) {
    emit(op.add)
    return
  }
  emit(op.set(RIGHT))
  // A categorical split (as PackedForest.categoricalStep): NaN follows its flag; a value that is not
  // an integer code 0..255 goes right; a code goes left when its bit is set.
  emit(op.get(INFO), op.i32(FLAG_CATEGORICAL), op.geU, op.ifVoid)
  emit(op.get(V), op.get(V), op.f64Ne, op.ifVoid)
  emit(op.get(INFO), op.i32(24), op.shrU, op.i32(1), op.and, op.set(RIGHT))
  emit(op.else)
  emit(op.get(V), op.i32TruncSatF64S, op.tee(CODE), op.f64ConvertI32S, op.get(V), op.f64Ne)
  emit(op.get(CODE), op.i32(256), op.geU, op.or, op.ifVoid)
  emit(op.i32(1), op.set(RIGHT))
  emit(op.else)
  // bit (code & 31) of word catBits[catOffset[node] + (code >>> 5)], inverted
  emit(op.get(CAT_BITS), op.get(CAT_OFFSET), op.get(node), op.i32(4), op.mul, op.add, op.i32Load(0))
  emit(op.get(CODE), op.i32(5), op.shrU, op.add, op.i32(4), op.mul, op.add, op.i32Load(0))
  emit(op.get(CODE), op.i32(31), op.and, op.shrU, op.i32(1), op.and, op.i32(1), op.xor, op.set(RIGHT))
  emit(op.end, op.end, op.end)
  emit(op.get(RIGHT), op.add)
}

/**
 * How leaves add to a row's outputs: `scalar` (one output, kept in a local), `vector` (every tree
 * adds its leaf's `width` values to all outputs) or `multi` (each tree adds its one value to the
 * output outputOf[tree]: multiclass boosting).
 */
type LeafMode = 'scalar' | 'vector' | 'multi'

/**
 * Adds the leaves at locals `nodes` (trees t, t + 1, ... in order) to row p's outputs: the local
 * accumulator for scalar leaves, the row's outputs in memory otherwise.
 */
function emitLeafAdds(emit: Emit, mode: LeafMode, p: number, nodes: readonly number[]): void {
  if (mode === 'multi')
    nodes.forEach((n, k) => {
      emitTreeOutputAdd(emit, OUT_ROW + p, n, k)
    })
  else if (mode === 'vector') emitVectorAdd(emit, OUT_ROW + p, nodes)
  else {
    emit(op.get(ACC + p))
    for (const n of nodes) emit(op.get(VAL), op.get(n), op.i32(8), op.mul, op.add, op.f64Load(), op.f64Add)
    emit(op.set(ACC + p))
  }
}

/**
 * Scores rows `rows` at a time while at least that many remain: each group of four trees walks
 * the rows' lanes in lockstep (leaves map to themselves; stop when no lane moves), then the
 * leftover trees one by one at full depth. Each row gets its trees' values in tree order, as the
 * JavaScript walk adds them.
 */
function emitRows(emit: Emit, rows: number, mode: LeafMode, categorical: boolean): void {
  // Vector and multi leaves add to the row's outputs in memory; scalar leaves to a local.
  const outInMemory = mode !== 'scalar'
  const lanes = 4 * rows
  emit(op.block, op.loop)
  emit(op.get(R), op.i32(rows), op.add, op.get(NROWS), op.gtU, op.brIf(1))
  for (let p = 0; p < rows; p++) {
    emit(op.get(DATA), op.get(R), op.i32(p), op.add, op.get(STRIDE), op.mul, op.add, op.set(ROW + p))
    if (outInMemory) {
      // out row (r + p) starts at OUT + (r + p) * width * 8
      emit(op.get(OUT), op.get(R), op.i32(p), op.add, op.get(WIDTH), op.mul, op.i32(8), op.mul, op.add)
      emit(op.set(OUT_ROW + p))
    } else emit(scalarOut(p), op.f64Load(), op.set(ACC + p))
  }
  // groups of four trees
  emit(op.get(T0), op.set(T))
  emit(op.block, op.loop)
  emit(op.get(T), op.i32(4), op.add, op.get(T1), op.gtU, op.brIf(1))
  for (let k = 0; k < 4; k++) {
    emit(op.get(ROOTS), op.get(T), op.i32(k), op.add, op.i32(4), op.mul, op.add, op.i32Load(0), op.set(N + k))
    for (let p = 1; p < rows; p++) emit(op.get(N + k), op.set(N + 4 * p + k))
  }
  // d = max(depthOf[t..t+3])
  emit(op.get(DEPTH), op.get(T), op.i32(4), op.mul, op.add, op.i32Load(0), op.set(D))
  for (let k = 1; k < 4; k++) {
    emit(op.get(DEPTH), op.get(T), op.i32(4), op.mul, op.add, op.i32Load(4 * k), op.set(INFO))
    emit(op.get(INFO), op.get(D), op.get(INFO), op.get(D), op.gtU, op.select, op.set(D))
  }
  emit(op.i32(0), op.set(LEVEL))
  emit(op.block, op.get(LEVEL), op.get(D), op.geU, op.brIf(0), op.loop)
  emit(op.i32(0), op.set(MOVED))
  for (let l = 0; l < lanes; l++) {
    // next = step(n); moved |= next != n; n = next
    laneStep(emit, N + l, ROW + (l >> 2), categorical)
    emit(op.tee(NEXT), op.get(N + l), op.ne, op.get(MOVED), op.or, op.set(MOVED))
    emit(op.get(NEXT), op.set(N + l))
  }
  emit(op.get(MOVED), op.eqz, op.brIf(1))
  emit(op.get(LEVEL), op.i32(1), op.add, op.tee(LEVEL), op.get(D), op.ltU, op.brIf(0))
  emit(op.end, op.end)
  // acc = acc + val[n0] + val[n1] + val[n2] + val[n3], per row (and per output for vector leaves)
  for (let p = 0; p < rows; p++) {
    const nodesOfRow = [0, 1, 2, 3].map((k) => N + 4 * p + k)
    emitLeafAdds(emit, mode, p, nodesOfRow)
  }
  emit(op.get(T), op.i32(4), op.add, op.set(T))
  emit(op.br(0), op.end, op.end)
  // remaining trees one by one, full depth (the rows' walks side by side)
  emit(op.block, op.get(T), op.get(T1), op.geU, op.brIf(0), op.loop)
  emit(op.get(ROOTS), op.get(T), op.i32(4), op.mul, op.add, op.i32Load(0), op.set(N))
  for (let p = 1; p < rows; p++) emit(op.get(N), op.set(N + 4 * p))
  emit(op.get(DEPTH), op.get(T), op.i32(4), op.mul, op.add, op.i32Load(0), op.set(D))
  emit(op.i32(0), op.set(LEVEL))
  emit(op.block, op.get(LEVEL), op.get(D), op.geU, op.brIf(0), op.loop)
  for (let p = 0; p < rows; p++) {
    laneStep(emit, N + 4 * p, ROW + p, categorical)
    emit(op.set(N + 4 * p))
  }
  emit(op.get(LEVEL), op.i32(1), op.add, op.tee(LEVEL), op.get(D), op.ltU, op.brIf(0))
  emit(op.end, op.end)
  for (let p = 0; p < rows; p++) emitLeafAdds(emit, mode, p, [N + 4 * p])
  emit(op.get(T), op.i32(1), op.add, op.tee(T), op.get(T1), op.ltU, op.brIf(0))
  emit(op.end, op.end)
  // out[r + p] = acc
  if (!outInMemory) for (let p = 0; p < rows; p++) emit(scalarOut(p), op.get(ACC + p), op.f64Store())
  emit(op.get(R), op.i32(rows), op.add, op.set(R))
  emit(op.br(0), op.end, op.end)
}

/**
 * For o in [0, width): out[o] = out[o] + val[n0 * width + o] + ... (the nodes' values in tree
 * order), out being the row's outputs at local `outRow`: the JavaScript walk's vector-leaf sums.
 */
function emitVectorAdd(emit: Emit, outRow: number, nodes: readonly number[]): void {
  emit(op.i32(0), op.set(O))
  emit(op.block, op.loop)
  emit(op.get(O), op.get(WIDTH), op.geU, op.brIf(1))
  // address of out[o], twice: one for the store, one for the load
  emit(op.get(outRow), op.get(O), op.i32(8), op.mul, op.add)
  emit(op.get(outRow), op.get(O), op.i32(8), op.mul, op.add, op.f64Load())
  for (const n of nodes) {
    emit(op.get(VAL), op.get(n), op.get(WIDTH), op.mul, op.get(O), op.add, op.i32(8), op.mul, op.add)
    emit(op.f64Load(), op.f64Add)
  }
  emit(op.f64Store())
  emit(op.get(O), op.i32(1), op.add, op.set(O))
  emit(op.br(0), op.end, op.end)
}

/** out[outputOf[t + k]] += val[node] for the row at local `outRow` (tree t + k's leaf `node`). */
function emitTreeOutputAdd(emit: Emit, outRow: number, node: number, k: number): void {
  // address of out[outputOf[t + k]], twice: one for the store, one for the load
  for (let twice = 0; twice < 2; twice++) {
    emit(op.get(outRow), op.get(OUTPUT_OF), op.get(T), op.i32(4), op.mul, op.add, op.i32Load(4 * k))
    emit(op.i32(8), op.mul, op.add)
  }
  emit(
    op.f64Load(),
    op.get(VAL),
    op.get(node),
    op.i32(8),
    op.mul,
    op.add,
    op.f64Load(),
    op.f64Add,
    op.f64Store(),
  )
}

/** Kernel function names by leaf mode and categorical support. */
function kernelName(mode: LeafMode, categorical: boolean): string {
  return `score${mode === 'scalar' ? '' : `_${mode}`}${categorical ? '_cat' : ''}`
}

/** The kernel for one leaf mode, with or without categorical splits (numeric-only forests skip that code). */
function scoreFunction(mode: LeafMode, categorical: boolean): FunctionDef {
  const { code, emit } = emitter()
  emit(op.i32(0), op.set(R))
  emitRows(emit, PAIR, mode, categorical)
  emitRows(emit, 1, mode, categorical)
  return {
    name: kernelName(mode, categorical),
    params: new Array<number>(15).fill(I32),
    locals: [
      [I32_LOCALS, I32],
      [1 + PAIR, F64],
    ],
    body: code,
  }
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
  module = null
  if (typeof WebAssembly !== 'undefined') {
    try {
      const bytes = moduleBytes([scoreFunction(mode, categorical)], false)
      if (WebAssembly.validate(bytes)) module = new WebAssembly.Module(bytes)
    } catch {
      // Recoverable by design: PackedForest's JavaScript walk gives the same scores.
      module = null
    }
  }
  compiled.set(name, module)
  return module
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
  /** Trees per kernel call (a multiple of four), so a slice's nodes stay in cache. */
  private readonly sliceTrees: number
  /** A float64 view of the whole memory, renewed when the memory grows. */
  private heap: Float64Array

  private constructor(
    module: WebAssembly.Module,
    f: PackedForestParts,
    mode: LeafMode,
    categorical: boolean,
  ) {
    const align = (n: number) => Math.ceil(n / 8) * 8
    // Only the arrays the chosen kernel reads are copied: the numeric kernels never read the
    // categorical ones, nor the scalar and vector kernels outputOf. An array left out takes no
    // bytes (every load stays inside its own array, so regions need no padding between them).
    const catOffsetBytes = categorical ? f.catOffset.byteLength : 0
    const catBitsBytes = categorical ? f.catBits.byteLength : 0
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
    const b = this.memory.buffer
    new Int32Array(b, nodes, f.nodes.length).set(f.nodes)
    new Float64Array(b, thr, f.thresholds.length).set(f.thresholds)
    new Float64Array(b, val, f.values.length).set(f.values)
    new Int32Array(b, roots, f.roots.length).set(f.roots)
    new Int32Array(b, depth, f.depthOf.length).set(f.depthOf)
    if (categorical) {
      new Int32Array(b, catOffset, f.catOffset.length).set(f.catOffset)
      new Uint32Array(b, catBits, f.catBits.length).set(f.catBits)
    }
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
    const module = scoreModule(mode, categorical)
    if (module === null) return null
    try {
      return new WasmScorer(module, f, mode, categorical)
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

  /** Adds the forest's outputs of the row at data[offset .. offset+cols) onto out[outOffset ..]. */
  scoreRow(data: Float64Array, offset: number, cols: number, out: Float64Array, outOffset: number): void {
    const W = this.width
    const f = this.reserve(this.at.data + cols * 8 + W * 8)
    const base = this.at.data / 8
    for (let j = 0; j < cols; j++) f[base + j] = data[offset + j]!
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
