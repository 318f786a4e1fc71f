import { Rng } from '../core/index.js'
import { compileWasm, wasmDisabled } from '../runtime/index.js'
import { RagError } from './errors.js'
import { dotsWasm } from './wasm/dots.wasm.js'

/** Construction parameters of the dense index. */
export interface RagHnswParams {
  /** Links per node on the upper layers (layer 0 keeps 2m). */
  readonly m: number
  /** Candidate list size while inserting: larger builds a better graph, more slowly. */
  readonly efConstruction: number
  readonly seed: number
}

/** Defaults measured on LSA vectors (bench/rag.ts): recall@10 ≥ 0.95 at efSearch 96. */
export const DEFAULT_HNSW_PARAMS: RagHnswParams = { m: 16, efConstruction: 80, seed: 42 }

/** One neighbour by row: `similarity` is the dot product of unit vectors (cosine). */
export interface RagHnswHit {
  readonly row: number
  readonly similarity: number
}

/**
 * A binary min-heap of (key, value) pairs in typed arrays, reused across queries so that a search
 * allocates nothing per visited node (allocation is what gave the old store its p99 tail). @internal
 */
export class MinHeap {
  keys: Float64Array
  vals: Int32Array
  size = 0

  constructor(capacity: number) {
    this.keys = new Float64Array(capacity)
    this.vals = new Int32Array(capacity)
  }

  clear(): void {
    this.size = 0
  }

  push(key: number, val: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(this.keys.length * 2)
      keys.set(this.keys)
      const vals = new Int32Array(this.vals.length * 2)
      vals.set(this.vals)
      this.keys = keys
      this.vals = vals
    }
    const keys = this.keys
    const vals = this.vals
    let i = this.size++
    while (i > 0) {
      const parent = (i - 1) >> 1
      const pk = keys[parent] as number
      if (pk <= key) break
      keys[i] = pk
      vals[i] = vals[parent] as number
      i = parent
    }
    keys[i] = key
    vals[i] = val
  }

  /** Removes the smallest; read `keys[0]`/`vals[0]` first. */
  pop(): void {
    const keys = this.keys
    const vals = this.vals
    const n = --this.size
    if (n === 0) return
    const key = keys[n] as number
    const val = vals[n] as number
    let i = 0
    for (;;) {
      let child = 2 * i + 1
      if (child >= n) break
      if (child + 1 < n && (keys[child + 1] as number) < (keys[child] as number)) child++
      if ((keys[child] as number) >= key) break
      keys[i] = keys[child] as number
      vals[i] = vals[child] as number
      i = child
    }
    keys[i] = key
    vals[i] = val
  }
}

const MAGIC = 0x4b484e53 // "KHNS"
const FORMAT_VERSION = 1
const HEADER_INTS = 10

/** Layout of the kernel's memory: query, id list and results scratch, then the vectors. */
const Q_PTR = 0
const IDS_PTR = 16_384
const OUT_PTR = 20_480
const BASE = 65_536
/** Batch size of one kernel call (ids and results scratch are 4 KiB each). */
const BATCH = 1024
const PAGE = 65_536

type DotsFn = (base: number, rowBytes: number, q: number, ids: number, n: number, out: number) => void

let dotsModule: WebAssembly.Module | null | undefined

/** The SIMD kernel bound to a fresh memory, or undefined (no WebAssembly, KEEL_NO_WASM=1, odd widths). */
function simdKernel(dims: number, floats: number): { memory: WebAssembly.Memory; dots: DotsFn } | undefined {
  if (dims % 4 !== 0 || dims * 4 > IDS_PTR || wasmDisabled()) return undefined
  dotsModule ??= compileWasm(dotsWasm)
  if (dotsModule === null) return undefined
  try {
    const pages = Math.ceil((BASE + floats * 4) / PAGE)
    const memory = new WebAssembly.Memory({ initial: pages, maximum: 65_536 })
    const instance = new WebAssembly.Instance(dotsModule, { env: { mem: memory } })
    return { memory, dots: instance.exports.dots as DotsFn }
  } catch {
    // Recoverable by design (memory limits, a runtime without SIMD): the JavaScript loops answer.
    return undefined
  }
}

/**
 * Hierarchical navigable small world graph (Malkov & Yashunin 2018) over unit vectors, inner
 * product = cosine similarity. Rows are dense integers assigned in insertion order; deleting marks
 * a tombstone (the node still routes searches, as in hnswlib, but is never returned). Vectors live
 * in one Float32Array and links in Int32Arrays, so the index serialises as a few flat buffers.
 *
 * Distances are computed in batches (a node's unvisited neighbours at once) by a WebAssembly SIMD
 * kernel (wasm/dots.wat) over vectors kept in its memory, or by JavaScript loops with the same
 * results up to float rounding where WebAssembly is unavailable or KEEL_NO_WASM=1.
 */
export class RagHnswIndex {
  readonly dims: number
  readonly params: RagHnswParams
  private readonly m0: number
  private readonly levelMult: number
  private capacity: number
  private n = 0
  private vectors: Float32Array
  private levels: Uint8Array
  /** Layer 0: per row [count, link × m0]. */
  private links0: Int32Array
  /** Layers ≥ 1: per row with level L > 0, L blocks of [count, link × m]. */
  private upper: (Int32Array | undefined)[] = []
  private deletedFlags: Uint8Array
  private deleted = 0
  private entry = -1
  private maxLevel = -1
  private rng: Rng
  private visited: Uint32Array
  private epoch = 0
  private readonly candidates = new MinHeap(256)
  private readonly results = new MinHeap(256)
  private readonly kept = new MinHeap(64)
  private scratchIds = new Int32Array(1024)
  private scratchSims = new Float64Array(1024)
  private readonly pruneIds: Int32Array
  private readonly pruneSims: Float64Array
  private readonly skipped: Int32Array
  private simd: { memory: WebAssembly.Memory; dots: DotsFn } | undefined
  /** Batch scratch: the query, the rows to score and their scores (views of the kernel's memory). */
  private qBuf: Float32Array
  private batchIds: Int32Array
  private batchOut: Float32Array

  constructor(dims: number, params: Partial<RagHnswParams> = {}, capacity = 1024) {
    if (!Number.isInteger(dims) || dims < 1)
      throw new RagError(
        'RAG_INVALID_ARGUMENT',
        `Dense index dimensions must be a positive integer, got ${dims}.`,
      )
    this.dims = dims
    this.params = { ...DEFAULT_HNSW_PARAMS, ...params }
    if (this.params.m < 2 || this.params.m > 100)
      throw new RagError('RAG_INVALID_ARGUMENT', `HNSW m must be in [2, 100], got ${this.params.m}.`)
    this.m0 = 2 * this.params.m
    this.levelMult = 1 / Math.log(this.params.m)
    this.pruneIds = new Int32Array(this.m0 + 1)
    this.pruneSims = new Float64Array(this.m0 + 1)
    this.skipped = new Int32Array(2 * this.m0)
    this.rng = new Rng(this.params.seed)
    this.capacity = Math.max(16, capacity)
    this.simd = simdKernel(dims, this.capacity * dims)
    if (this.simd !== undefined) {
      const buffer = this.simd.memory.buffer
      this.vectors = new Float32Array(buffer, BASE, this.capacity * dims)
      this.qBuf = new Float32Array(buffer, Q_PTR, dims)
      this.batchIds = new Int32Array(buffer, IDS_PTR, BATCH)
      this.batchOut = new Float32Array(buffer, OUT_PTR, BATCH)
    } else {
      this.vectors = new Float32Array(this.capacity * dims)
      this.qBuf = new Float32Array(dims)
      this.batchIds = new Int32Array(BATCH)
      this.batchOut = new Float32Array(BATCH)
    }
    this.levels = new Uint8Array(this.capacity)
    this.links0 = new Int32Array(this.capacity * (this.m0 + 1))
    this.deletedFlags = new Uint8Array(this.capacity)
    this.visited = new Uint32Array(this.capacity)
  }

  /** Whether distances run in the WebAssembly SIMD kernel. */
  get usesSimd(): boolean {
    return this.simd !== undefined
  }

  /** Rows inserted, tombstones included. */
  get size(): number {
    return this.n
  }

  /** Rows that can still be returned. */
  get liveSize(): number {
    return this.n - this.deleted
  }

  /** Tombstoned rows. */
  get deletedCount(): number {
    return this.deleted
  }

  isDeleted(row: number): boolean {
    return this.deletedFlags[row] === 1
  }

  /** The stored (unit-length) vector of a row: a view, valid until the next insert; do not modify. */
  vector(row: number): Float32Array {
    return this.vectors.subarray(row * this.dims, (row + 1) * this.dims)
  }

  private grow(min: number): void {
    let capacity = this.capacity
    while (capacity < min) capacity *= 2
    if (capacity === this.capacity) return
    const d = this.dims
    if (this.simd !== undefined) {
      // Growing the memory keeps its bytes; only the views must be remade.
      const memory = this.simd.memory
      const needed = Math.ceil((BASE + capacity * d * 4) / PAGE) - memory.buffer.byteLength / PAGE
      try {
        if (needed > 0) memory.grow(needed)
        const buffer = memory.buffer
        this.vectors = new Float32Array(buffer, BASE, capacity * d)
        this.qBuf = new Float32Array(buffer, Q_PTR, d)
        this.batchIds = new Int32Array(buffer, IDS_PTR, BATCH)
        this.batchOut = new Float32Array(buffer, OUT_PTR, BATCH)
      } catch {
        // Past WebAssembly's 4 GiB: continue in ordinary arrays with the JavaScript loops.
        const vectors = new Float32Array(capacity * d)
        vectors.set(new Float32Array(memory.buffer, BASE, this.n * d))
        this.vectors = vectors
        this.simd = undefined
        this.qBuf = new Float32Array(d)
        this.batchIds = new Int32Array(BATCH)
        this.batchOut = new Float32Array(BATCH)
      }
    } else {
      const vectors = new Float32Array(capacity * d)
      vectors.set(this.vectors.subarray(0, this.n * d))
      this.vectors = vectors
    }
    const levels = new Uint8Array(capacity)
    levels.set(this.levels.subarray(0, this.n))
    const links0 = new Int32Array(capacity * (this.m0 + 1))
    links0.set(this.links0.subarray(0, this.n * (this.m0 + 1)))
    const deletedFlags = new Uint8Array(capacity)
    deletedFlags.set(this.deletedFlags.subarray(0, this.n))
    this.levels = levels
    this.links0 = links0
    this.deletedFlags = deletedFlags
    this.visited = new Uint32Array(capacity)
    this.epoch = 0
    this.capacity = capacity
  }

  /** Reserves room for `total` rows (avoids repeated growth during a bulk build). */
  reserve(total: number): void {
    this.grow(total)
  }

  /**
   * batchOut[i] = <row batchIds[i], x> for i < count, where x is `qBuf` (row < 0) or stored `row`.
   */
  private batchDots(count: number, row: number): void {
    if (count === 0) return
    const d = this.dims
    if (this.simd !== undefined) {
      this.simd.dots(BASE, d * 4, row < 0 ? Q_PTR : BASE + row * d * 4, IDS_PTR, count, OUT_PTR)
      return
    }
    const v = this.vectors
    const x = row < 0 ? this.qBuf : v
    const xo = row < 0 ? 0 : row * d
    const ids = this.batchIds
    const out = this.batchOut
    for (let b = 0; b < count; b++) {
      let o = (ids[b] as number) * d
      let p = xo
      let s0 = 0
      let s1 = 0
      let s2 = 0
      let s3 = 0
      let i = 0
      // Four accumulators: V8 does not vectorise, but independent chains pipeline.
      for (; i + 3 < d; i += 4, o += 4, p += 4) {
        s0 += (v[o] as number) * (x[p] as number)
        s1 += (v[o + 1] as number) * (x[p + 1] as number)
        s2 += (v[o + 2] as number) * (x[p + 2] as number)
        s3 += (v[o + 3] as number) * (x[p + 3] as number)
      }
      for (; i < d; i++, o++, p++) s0 += (v[o] as number) * (x[p] as number)
      out[b] = s0 + s1 + s2 + s3
    }
  }

  /** Puts the unit-length query into `qBuf`, so similarities are cosines whatever its length. */
  private setQuery(query: Float32Array): void {
    let norm = 0
    for (let i = 0; i < query.length; i++) norm += (query[i] as number) ** 2
    norm = Math.sqrt(norm) || 1
    for (let i = 0; i < query.length; i++) this.qBuf[i] = (query[i] as number) / norm
  }

  /** Similarity of one stored row to the query in `qBuf`. */
  private dotQuery(row: number): number {
    this.batchIds[0] = row
    this.batchDots(1, -1)
    return this.batchOut[0] as number
  }

  /** The link block of `row` at `level`: [array, offset of the count]. */
  private block(row: number, level: number): [Int32Array, number] {
    if (level === 0) return [this.links0, row * (this.m0 + 1)]
    return [this.upper[row] as Int32Array, (level - 1) * (this.params.m + 1)]
  }

  private nextEpoch(): number {
    this.epoch = (this.epoch + 1) >>> 0
    if (this.epoch === 0) {
      this.visited.fill(0)
      this.epoch = 1
    }
    return this.epoch
  }

  /** Greedy descent on one upper layer (query in `qBuf`): the closest node reachable from `start`. */
  private greedy(start: number, startSim: number, level: number): [number, number] {
    let best = start
    let bestSim = startSim
    const ids = this.batchIds
    const out = this.batchOut
    for (let changed = true; changed; ) {
      changed = false
      const [links, at] = this.block(best, level)
      const count = links[at] as number
      for (let j = 0; j < count; j++) ids[j] = links[at + 1 + j] as number
      this.batchDots(count, -1)
      for (let j = 0; j < count; j++) {
        const s = out[j] as number
        if (s > bestSim) {
          bestSim = s
          best = ids[j] as number
          changed = true
        }
      }
    }
    return [best, bestSim]
  }

  /**
   * Best-first search of one layer (Algorithm 2) for the query in `qBuf`. Leaves up to `ef` nodes
   * in `this.results` (a min-heap on similarity, worst on top). With `accept`, only accepted nodes
   * enter the results but every node routes the search (hnswlib's treatment of deleted nodes).
   */
  private searchLayer(
    start: number,
    startSim: number,
    ef: number,
    level: number,
    accept?: (row: number) => boolean,
  ): void {
    const visited = this.visited
    const epoch = this.nextEpoch()
    const cand = this.candidates
    const res = this.results
    const ids = this.batchIds
    const out = this.batchOut
    cand.clear()
    res.clear()
    visited[start] = epoch
    cand.push(-startSim, start)
    if (accept === undefined || accept(start)) res.push(startSim, start)
    const m1 = level === 0 ? this.m0 + 1 : this.params.m + 1
    while (cand.size > 0) {
      const sim = -(cand.keys[0] as number)
      const c = cand.vals[0] as number
      if (res.size >= ef && sim < (res.keys[0] as number)) break
      cand.pop()
      const links = level === 0 ? this.links0 : (this.upper[c] as Int32Array)
      const at = level === 0 ? c * m1 : (level - 1) * m1
      const count = links[at] as number
      let fresh = 0
      for (let j = 1; j <= count; j++) {
        const e = links[at + j] as number
        if (visited[e] === epoch) continue
        visited[e] = epoch
        ids[fresh++] = e
      }
      this.batchDots(fresh, -1)
      for (let j = 0; j < fresh; j++) {
        const s = out[j] as number
        if (res.size < ef || s > (res.keys[0] as number)) {
          const e = ids[j] as number
          cand.push(-s, e)
          if (accept === undefined || accept(e)) {
            res.push(s, e)
            if (res.size > ef) res.pop()
          }
        }
      }
    }
  }

  /**
   * Drains `this.results` into the scratch arrays, best first; returns the count.
   */
  private drainResults(): number {
    const res = this.results
    const n = res.size
    if (n > this.scratchIds.length) {
      this.scratchIds = new Int32Array(n)
      this.scratchSims = new Float64Array(n)
    }
    for (let i = n - 1; i >= 0; i--) {
      this.scratchIds[i] = res.vals[0] as number
      this.scratchSims[i] = res.keys[0] as number
      res.pop()
    }
    return n
  }

  /**
   * Heuristic neighbour selection (Algorithm 4): walk candidates best first and keep one only when
   * it is closer to the new node than to every node already kept, so links spread across clusters
   * instead of all pointing into the nearest one. Free slots are then filled with the closest
   * candidates the heuristic passed over (the paper's keepPrunedConnections): embeddings of a
   * collection come in tight clusters of near-duplicates, where the heuristic alone keeps one or
   * two links per cluster and the top 10 inside a cluster becomes hard to reach (measured on LSA
   * vectors at 100k: recall@10 stalled near 0.85 without the fill). Writes into `links` at `at`.
   */
  private selectNeighbours(
    ids: Int32Array,
    sims: Float64Array,
    count: number,
    max: number,
    links: Int32Array,
    at: number,
  ): void {
    let kept = 0
    const batch = this.batchIds
    const out = this.batchOut
    const skipped = this.skipped
    let nSkipped = 0
    for (let i = 0; i < count && kept < max; i++) {
      const c = ids[i] as number
      const sc = sims[i] as number
      // Similarities of the candidate to every node kept so far, in one batch.
      this.batchDots(kept, c)
      let good = true
      for (let j = 0; j < kept; j++) {
        if ((out[j] as number) > sc) {
          good = false
          break
        }
      }
      if (good) {
        links[at + 1 + kept] = c
        batch[kept++] = c
      } else if (nSkipped < skipped.length) skipped[nSkipped++] = c
    }
    for (let i = 0; i < nSkipped && kept < max; i++) links[at + 1 + kept++] = skipped[i] as number
    links[at] = kept
  }

  /** Adds `row → target` at `level`, pruning `row`'s list with the heuristic when it is full. */
  private link(row: number, target: number, level: number): void {
    const [links, at] = this.block(row, level)
    const max = level === 0 ? this.m0 : this.params.m
    const count = links[at] as number
    if (count < max) {
      links[at + 1 + count] = target
      links[at] = count + 1
      return
    }
    // Full: re-select among the old links and the new one, ordered by similarity to `row`.
    const batch = this.batchIds
    for (let j = 0; j < count; j++) batch[j] = links[at + 1 + j] as number
    batch[count] = target
    this.batchDots(count + 1, row)
    const kept = this.kept
    kept.clear()
    for (let j = 0; j <= count; j++) kept.push(-(this.batchOut[j] as number), batch[j] as number)
    const ids = this.pruneIds
    const sims = this.pruneSims
    let total = 0
    for (; kept.size > 0; total++) {
      ids[total] = kept.vals[0] as number
      sims[total] = -(kept.keys[0] as number)
      kept.pop()
    }
    this.selectNeighbours(ids, sims, total, max, links, at)
  }

  /** Inserts a vector (normalised on the way in) and returns its row. */
  add(vector: Float32Array): number {
    if (vector.length !== this.dims)
      throw new RagError(
        'RAG_INVALID_ARGUMENT',
        `Vector has ${vector.length} dimensions; the dense index has ${this.dims}.`,
      )
    const row = this.n
    this.grow(row + 1)
    const d = this.dims
    let norm = 0
    for (let i = 0; i < d; i++) norm += (vector[i] as number) ** 2
    norm = Math.sqrt(norm) || 1
    for (let i = 0; i < d; i++) this.vectors[row * d + i] = (vector[i] as number) / norm
    this.n++
    const level = Math.min(31, Math.floor(-Math.log(1 - this.rng.next()) * this.levelMult))
    this.levels[row] = level
    if (level > 0) this.upper[row] = new Int32Array(level * (this.params.m + 1))
    this.links0[row * (this.m0 + 1)] = 0
    if (this.entry < 0) {
      this.entry = row
      this.maxLevel = level
      return row
    }
    const q = this.vector(row)
    let ep = this.entry
    this.qBuf.set(q)
    let epSim = this.dotQuery(ep)
    for (let l = this.maxLevel; l > level; l--) [ep, epSim] = this.greedy(ep, epSim, l)
    for (let l = Math.min(level, this.maxLevel); l >= 0; l--) {
      // Pruning in the previous layer's `link` calls reused the batch scratch, not `qBuf`.
      this.searchLayer(ep, epSim, this.params.efConstruction, l)
      const count = this.drainResults()
      // Best first: the next layer starts from the closest node found here.
      ep = this.scratchIds[0] as number
      epSim = this.scratchSims[0] as number
      const [links, at] = this.block(row, l)
      this.selectNeighbours(this.scratchIds, this.scratchSims, count, this.params.m, links, at)
      const linked = links[at] as number
      for (let j = 1; j <= linked; j++) this.link(links[at + j] as number, row, l)
    }
    if (level > this.maxLevel) {
      this.maxLevel = level
      this.entry = row
    }
    return row
  }

  /** Tombstones a row: it keeps routing searches but is never returned. */
  markDeleted(row: number): void {
    if (row < 0 || row >= this.n || this.deletedFlags[row] === 1) return
    this.deletedFlags[row] = 1
    this.deleted++
  }

  /**
   * The `k` most similar live rows, best first. `ef` (≥ k) trades time for recall; `accept`
   * restricts results (a metadata filter) while every node still routes the search.
   */
  search(query: Float32Array, k: number, ef = 96, accept?: (row: number) => boolean): RagHnswHit[] {
    if (this.n === 0 || k <= 0) return []
    if (query.length !== this.dims)
      throw new RagError(
        'RAG_INVALID_ARGUMENT',
        `Query has ${query.length} dimensions; the dense index has ${this.dims}.`,
      )
    this.setQuery(query)
    let ep = this.entry
    let epSim = this.dotQuery(ep)
    for (let l = this.maxLevel; l > 0; l--) [ep, epSim] = this.greedy(ep, epSim, l)
    const flags = this.deletedFlags
    const live =
      this.deleted === 0
        ? accept
        : accept === undefined
          ? (r: number) => flags[r] === 0
          : (r: number) => flags[r] === 0 && accept(r)
    this.searchLayer(ep, epSim, Math.max(ef, k), 0, live)
    const count = this.drainResults()
    const out: RagHnswHit[] = []
    for (let i = 0; i < Math.min(k, count); i++)
      out.push({ row: this.scratchIds[i] as number, similarity: this.scratchSims[i] as number })
    return out
  }

  /** Exact top-k by scanning every live row (or the rows `accept` allows), best first. */
  exactSearch(query: Float32Array, k: number, accept?: (row: number) => boolean): RagHnswHit[] {
    if (this.n === 0 || k <= 0) return []
    if (query.length !== this.dims)
      throw new RagError(
        'RAG_INVALID_ARGUMENT',
        `Query has ${query.length} dimensions; the dense index has ${this.dims}.`,
      )
    this.setQuery(query)
    const res = this.results
    res.clear()
    const flags = this.deletedFlags
    const ids = this.batchIds
    const out = this.batchOut
    let count = 0
    const flush = () => {
      this.batchDots(count, -1)
      for (let j = 0; j < count; j++) {
        const s = out[j] as number
        if (res.size < k) res.push(s, ids[j] as number)
        else if (s > (res.keys[0] as number)) {
          res.pop()
          res.push(s, ids[j] as number)
        }
      }
      count = 0
    }
    for (let r = 0; r < this.n; r++) {
      if (flags[r] === 1 || (accept !== undefined && !accept(r))) continue
      ids[count++] = r
      if (count === BATCH) flush()
    }
    flush()
    const found = this.drainResults()
    const hits: RagHnswHit[] = []
    for (let i = 0; i < found; i++)
      hits.push({ row: this.scratchIds[i] as number, similarity: this.scratchSims[i] as number })
    return hits
  }

  /** Serialises the index: a small Int32 header, then vectors, levels, links and tombstones. */
  serialize(): Buffer {
    const n = this.n
    const d = this.dims
    let upperInts = 0
    for (let r = 0; r < n; r++) upperInts += (this.levels[r] as number) * (this.params.m + 1)
    const header = new Int32Array([
      MAGIC,
      FORMAT_VERSION,
      d,
      this.params.m,
      this.params.efConstruction,
      this.params.seed,
      n,
      this.entry,
      this.maxLevel,
      upperInts,
    ])
    const upper = new Int32Array(upperInts)
    let at = 0
    for (let r = 0; r < n; r++) {
      const block = this.upper[r]
      if (block !== undefined) {
        upper.set(block, at)
        at += block.length
      }
    }
    const parts = [
      header,
      this.vectors.subarray(0, n * d),
      this.links0.subarray(0, n * (this.m0 + 1)),
      upper,
      this.levels.subarray(0, n),
      this.deletedFlags.subarray(0, n),
    ]
    return Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)))
  }

  /**
   * Reads a serialised index.
   * @throws RagError RAG_COLLECTION_CORRUPT when the bytes are not a version-1 index.
   */
  static deserialize(bytes: Uint8Array): RagHnswIndex {
    const corrupt = (why: string) =>
      new RagError(
        'RAG_COLLECTION_CORRUPT',
        `The dense index is unreadable (${why}). Re-ingest the collection.`,
      )
    if (bytes.byteLength < HEADER_INTS * 4) throw corrupt('truncated header')
    const copy = (start: number, length: number) => {
      if (start + length > bytes.byteLength) throw corrupt('truncated body')
      const out = new ArrayBuffer(length)
      new Uint8Array(out).set(bytes.subarray(start, start + length))
      return out
    }
    const header = new Int32Array(copy(0, HEADER_INTS * 4))
    const [magic, version, d, m, efC, seed, n, entry, maxLevel, upperInts] = Array.from(header) as number[]
    if (magic !== MAGIC || version !== FORMAT_VERSION) throw corrupt('not a version-1 Keel HNSW index')
    const index = new RagHnswIndex(
      d as number,
      { m: m as number, efConstruction: efC as number, seed: seed as number },
      n as number,
    )
    let at = HEADER_INTS * 4
    const take = (bytesLength: number) => {
      const buffer = copy(at, bytesLength)
      at += bytesLength
      return buffer
    }
    const nn = n as number
    const dd = d as number
    index.vectors.set(new Float32Array(take(nn * dd * 4)))
    index.links0.set(new Int32Array(take(nn * (index.m0 + 1) * 4)))
    const upper = new Int32Array(take((upperInts as number) * 4))
    index.levels.set(new Uint8Array(take(nn)))
    index.deletedFlags.set(new Uint8Array(take(nn)))
    if (at !== bytes.byteLength) throw corrupt('trailing bytes')
    let u = 0
    for (let r = 0; r < nn; r++) {
      const level = index.levels[r] as number
      if (level > 0) {
        const len = level * (index.params.m + 1)
        index.upper[r] = upper.slice(u, u + len)
        u += len
      }
      if (index.deletedFlags[r] === 1) index.deleted++
    }
    if (u !== upperInts) throw corrupt('link table size')
    index.n = nn
    index.entry = entry as number
    index.maxLevel = maxLevel as number
    // Continue the level sequence deterministically after a reload.
    index.rng = new Rng(((seed as number) + nn) >>> 0)
    return index
  }
}
