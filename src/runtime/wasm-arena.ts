/**
 * Buffers that live in a kernel's shared WebAssembly memory. The MLP keeps its activations in the
 * matrix kernel's memory (src/models/nn/wasm-gemm.ts), so the matrix products and the element-wise
 * kernels read and write them in place instead of copying every operand in and out of wasm memory
 * for each product.
 *
 * A first-fit allocator over the memory's byte range; a block is freed when the Float32Array view
 * that owns it is garbage-collected (FinalizationRegistry), so layers can drop and regrow buffers
 * like ordinary typed arrays. Growing a shared memory does not detach earlier views (it only adds
 * a new, longer SharedArrayBuffer object), so views stay valid across growth.
 *
 * Callers must not keep subarrays of an arena view beyond the view itself: a subarray does not
 * keep its parent view alive, so the block could be reused under it.
 */

/** Bytes between blocks and at the end of each: room for the products' padded reads. */
const SLACK_BYTES = 64
const ALIGN = 64
const PAGE = 65_536

interface Span {
  start: number
  end: number
}

/** Where a view lives in the memory and how many floats its block holds from its start. */
export interface ResidentSpan {
  readonly ptr: number
  readonly capacity: number
}

/** An allocator over one shared WebAssembly.Memory. @internal */
export class Arena {
  /** Free byte ranges, sorted by start, never adjacent (merged on free). */
  private readonly free: Span[] = []
  private readonly known = new WeakSet<ArrayBufferLike>()
  private readonly spans = new WeakMap<Float32Array, ResidentSpan>()
  private readonly registry = new FinalizationRegistry<Span>((span) => this.release(span))
  private top: number

  /** `reserved` bytes at the start of the memory are left to the caller (never handed out). */
  constructor(
    readonly memory: WebAssembly.Memory,
    reserved: number,
  ) {
    this.top = align(reserved)
    this.known.add(memory.buffer)
  }

  /**
   * A zeroed view of `length` floats whose block holds at least `capacity` floats (for the padded
   * rows a product may write), plus slack for padded reads.
   */
  alloc(length: number, capacity = length): Float32Array {
    const cap = Math.max(length, capacity)
    const bytes = align(cap * 4 + SLACK_BYTES)
    const start = this.take(bytes)
    const buffer = this.memory.buffer
    this.known.add(buffer)
    const view = new Float32Array(buffer, start, length)
    new Float32Array(buffer, start, bytes / 4).fill(0)
    this.spans.set(view, { ptr: start, capacity: cap })
    this.registry.register(view, { start, end: start + bytes })
    return view
  }

  /** The block behind a view from `alloc` (or undefined for any other array). */
  span(view: Float32Array): ResidentSpan | undefined {
    return this.spans.get(view)
  }

  /** True when `array` is a view of this memory (allocated here or not). */
  owns(array: ArrayBufferView): boolean {
    return this.known.has(array.buffer)
  }

  /** The memory's current buffer (a new object after each growth). */
  buffer(): ArrayBuffer {
    const b = this.memory.buffer
    this.known.add(b)
    return b
  }

  private take(bytes: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const s = this.free[i]!
      if (s.end - s.start >= bytes) {
        const start = s.start
        s.start += bytes
        if (s.start === s.end) this.free.splice(i, 1)
        return start
      }
    }
    const start = this.top
    const end = start + bytes
    const size = this.memory.buffer.byteLength
    if (end + SLACK_BYTES > size) this.memory.grow(Math.ceil((end + SLACK_BYTES - size) / PAGE))
    this.top = end
    return start
  }

  private release(span: Span): void {
    if (span.end === this.top) {
      this.top = span.start
      // The free range just below the top, if any, folds into the top as well.
      const last = this.free.at(-1)
      if (last !== undefined && last.end === this.top) {
        this.top = last.start
        this.free.pop()
      }
      return
    }
    let i = 0
    while (i < this.free.length && this.free[i]!.start < span.start) i++
    const prev = this.free[i - 1]
    const next = this.free[i]
    if (prev !== undefined && prev.end === span.start) {
      prev.end = span.end
      if (next !== undefined && next.start === prev.end) {
        prev.end = next.end
        this.free.splice(i, 1)
      }
    } else if (next !== undefined && next.start === span.end) next.start = span.start
    else this.free.splice(i, 0, { start: span.start, end: span.end })
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN
}
