import type { GrowData } from './grow-types.js'
import { statsStride } from './grow-types.js'
import type { NodeRows } from './partition.js'

// Hot kernels below index typed arrays inside loops whose bounds come from the same arrays'
// construction (node ranges within idx, codes within nBins), so non-null assertions are safe.

/** Nodes smaller than nBins / SORT_RATIO are split by sorting their codes instead of a histogram. */
const SORT_RATIO = 4
/** Nodes up to this size are sorted by insertion sort (no call into the engine's sort). */
const INSERTION_SORT_MAX = 24

/**
 * Per-node histograms of one feature: weighted class counts (or weight and w·y) and row counts per
 * bin, the missing rows in the slot after the real ones. Numeric features fill `hist`/`count`, one
 * feature at a time; for nodes much smaller than the bin count the node's codes are sorted instead
 * and equal codes share one slot (`compressed`, slot g holding code `groupCode[g]`), so the scan
 * visits only the codes present. One-vs-rest features keep a histogram each (`catHist`), built once
 * per node and shared by all their levels.
 * @internal
 */
export class NodeHistogram {
  /** Slot statistics, `stride` numbers per slot. */
  readonly hist: Float64Array
  /** Rows per slot. */
  readonly count: Int32Array
  /** When the last `build` compressed: the code of each slot. */
  readonly groupCode: Int32Array
  /** Whether the last `build` sorted the node's codes (slots are then codes present, in order). */
  compressed = false
  /** Per one-vs-rest feature: its full histogram over the current node (null for other features). */
  readonly catHist: readonly (Float64Array | null)[]
  readonly catCount: readonly (Int32Array | null)[]
  private readonly catStamp: Int32Array
  private nodeStamp = 0
  private readonly keys: Uint32Array
  private readonly data: GrowData
  private readonly rows: NodeRows
  private readonly k: number
  private readonly stride: number

  constructor(data: GrowData, rows: NodeRows) {
    this.data = data
    this.rows = rows
    this.k = data.nClasses
    this.stride = statsStride(data)
    let maxBins = 1
    for (let f = 0; f < data.d; f++) maxBins = Math.max(maxBins, data.nBins[f]!)
    this.hist = new Float64Array((maxBins + 1) * this.stride)
    this.count = new Int32Array(maxBins + 1)
    this.groupCode = new Int32Array(maxBins + 1)
    this.keys = new Uint32Array(Math.ceil(maxBins / SORT_RATIO) + 1)
    const catHist: (Float64Array | null)[] = []
    const catCount: (Int32Array | null)[] = []
    for (let f = 0; f < data.d; f++) {
      const one = data.oneVsRest[f] === 1
      catHist.push(one ? new Float64Array((data.nBins[f]! + 1) * this.stride) : null)
      catCount.push(one ? new Int32Array(data.nBins[f]! + 1) : null)
    }
    this.catHist = catHist
    this.catCount = catCount
    this.catStamp = new Int32Array(data.d).fill(-1)
  }

  /** Marks the one-vs-rest histograms stale: the next node's search rebuilds them on first use. */
  nextNode(): void {
    this.nodeStamp++
  }

  /**
   * Fills the (possibly compressed) histogram of numeric feature f over rows idx[start, end).
   * Returns the number of real slots; slot `nSlots` holds the missing rows.
   */
  build(f: number, start: number, end: number): number {
    const { n, codes, nBins } = this.data
    const nb = nBins[f]!
    const count = end - start
    const idx = this.rows.idx
    const pw = this.rows.pw
    const stride = this.stride
    const hist = this.hist
    const hc = this.count
    const base = f * n
    let nSlots: number // real slots; the missing slot follows them
    if (count * SORT_RATIO < nb) {
      // sort (code, position) keys; equal codes form one slot
      this.compressed = true
      const keys = this.keys
      for (let i = 0; i < count; i++) keys[i] = codes[base + idx[start + i]!]! * 65536 + i
      let view = keys
      if (count <= INSERTION_SORT_MAX) {
        for (let i = 1; i < count; i++) {
          const key = keys[i]!
          let j = i - 1
          while (j >= 0 && keys[j]! > key) {
            keys[j + 1] = keys[j]!
            j--
          }
          keys[j + 1] = key
        }
      } else view = keys.subarray(0, count).sort()
      let g = -1
      let prev = -1
      let missingSeen = false
      for (let i = 0; i < count; i++) {
        const key = view[i]!
        const code = Math.floor(key / 65536)
        if (code === nb) {
          if (!missingSeen) {
            missingSeen = true
            g++
            this.clearSlot(g)
            this.groupCode[g] = nb
          }
        } else if (code !== prev) {
          g++
          this.clearSlot(g)
          this.groupCode[g] = code
          prev = code
        }
        this.addRow(g, start + (key & 0xffff))
      }
      if (missingSeen) {
        nSlots = g
      } else {
        nSlots = g + 1
        this.clearSlot(nSlots)
      }
    } else {
      this.compressed = false
      nSlots = nb
      hist.fill(0, 0, (nb + 1) * stride)
      hc.fill(0, 0, nb + 1)
      if (this.k > 0) {
        const pc = this.rows.pc
        for (let i = start; i < end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * stride + pc[i]!]! += pw[i]!
          hc[b]!++
        }
      } else {
        const pwy = this.rows.pwy
        for (let i = start; i < end; i++) {
          const b = codes[base + idx[i]!]!
          hist[b * 2]! += pw[i]!
          hist[b * 2 + 1]! += pwy[i]!
          hc[b]!++
        }
      }
    }
    return nSlots
  }

  /** Fills `catHist[f]`/`catCount[f]` over rows idx[start, end), once per node. */
  buildLevels(f: number, start: number, end: number): void {
    if (this.catStamp[f] === this.nodeStamp) return
    this.catStamp[f] = this.nodeStamp
    const { n, codes } = this.data
    const stride = this.stride
    const hist = this.catHist[f]!
    const hc = this.catCount[f]!
    hist.fill(0)
    hc.fill(0)
    const idx = this.rows.idx
    const pw = this.rows.pw
    const base = f * n
    if (this.k > 0) {
      const pc = this.rows.pc
      for (let i = start; i < end; i++) {
        const b = codes[base + idx[i]!]!
        hist[b * stride + pc[i]!]! += pw[i]!
        hc[b]!++
      }
    } else {
      const pwy = this.rows.pwy
      for (let i = start; i < end; i++) {
        const b = codes[base + idx[i]!]!
        hist[b * 2]! += pw[i]!
        hist[b * 2 + 1]! += pwy[i]!
        hc[b]!++
      }
    }
  }

  private clearSlot(g: number): void {
    const stride = this.stride
    for (let c = 0; c < stride; c++) this.hist[g * stride + c] = 0
    this.count[g] = 0
  }

  /** Adds the row at idx position `i` to slot g. */
  private addRow(g: number, i: number): void {
    const stride = this.stride
    if (this.k > 0) this.hist[g * stride + this.rows.pc[i]!]! += this.rows.pw[i]!
    else {
      this.hist[g * 2]! += this.rows.pw[i]!
      this.hist[g * 2 + 1]! += this.rows.pwy[i]!
    }
    this.count[g]!++
  }
}
