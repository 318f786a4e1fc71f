/**
 * A minimal protobuf writer for the subset of ONNX's `ModelProto` that Keel's exporter emits
 * (graphs of plain nodes, initializers, typed inputs/outputs, metadata). Field numbers follow
 * onnx-ml.proto (ONNX 1.12, IR version 8). It only writes: reading ONNX files is `onnxruntime`'s
 * job. Repeated numeric fields are written packed, which every protobuf parser accepts for proto2
 * files too.
 */

/** `TensorProto.DataType` values the exporter uses. */
export const DataType = {
  FLOAT: 1,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const
export type DataTypeCode = (typeof DataType)[keyof typeof DataType]

/** A constant tensor (initializer or attribute value): numbers in `data`, or UTF-8 strings. */
export interface OnnxTensor {
  readonly name?: string
  readonly dataType: DataTypeCode
  readonly dims: readonly number[]
  /** Values row-major; stored as raw little-endian bytes in the tensor's own type. */
  readonly data?: ArrayLike<number>
  readonly strings?: readonly string[]
}

/** One node attribute; the variant sets the `AttributeProto.type`. */
export type OnnxAttribute =
  | { readonly name: string; readonly kind: 'float'; readonly value: number }
  | { readonly name: string; readonly kind: 'int'; readonly value: number }
  | { readonly name: string; readonly kind: 'string'; readonly value: string }
  | { readonly name: string; readonly kind: 'tensor'; readonly value: OnnxTensor }
  | { readonly name: string; readonly kind: 'floats'; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly kind: 'ints'; readonly value: ArrayLike<number> }
  | { readonly name: string; readonly kind: 'strings'; readonly value: readonly string[] }

export interface OnnxNode {
  readonly opType: string
  readonly inputs: readonly string[]
  readonly outputs: readonly string[]
  readonly name?: string
  /** '' (default ONNX domain) or e.g. 'ai.onnx.ml'. */
  readonly domain?: string
  readonly attributes?: readonly OnnxAttribute[]
}

/** A graph input or output: a tensor with a shape whose dims are sizes or symbolic names. */
export interface OnnxValueInfo {
  readonly name: string
  readonly elemType: DataTypeCode
  readonly shape: readonly (number | string)[]
  readonly docString?: string
}

export interface OnnxGraph {
  readonly name: string
  readonly nodes: readonly OnnxNode[]
  readonly initializers: readonly OnnxTensor[]
  readonly inputs: readonly OnnxValueInfo[]
  readonly outputs: readonly OnnxValueInfo[]
  readonly docString?: string
}

export interface OnnxModel {
  readonly irVersion: number
  readonly opsetImports: readonly { readonly domain: string; readonly version: number }[]
  readonly producerName: string
  readonly producerVersion: string
  readonly docString?: string
  readonly graph: OnnxGraph
  readonly metadata?: Readonly<Record<string, string>>
}

const VARINT = 0
const LENGTH = 2
const FIXED32 = 5

const utf8 = new TextEncoder()

/** A growable byte buffer with the protobuf primitives. */
class Writer {
  private buf = new Uint8Array(256)
  private len = 0
  private readonly view = (): DataView => new DataView(this.buf.buffer)

  private reserve(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  /** Unsigned varint; negative int64 values take the 10-byte two's-complement form. */
  varint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint ${value} is not a safe integer`)
    this.reserve(10)
    if (value < 0) {
      let v = BigInt.asUintN(64, BigInt(value))
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80
        v >>= 7n
      }
      this.buf[this.len++] = Number(v)
      return
    }
    let v = value
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.len++] = v
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire)
  }

  bytes(field: number, data: Uint8Array): void {
    this.tag(field, LENGTH)
    this.varint(data.length)
    this.reserve(data.length)
    this.buf.set(data, this.len)
    this.len += data.length
  }

  string(field: number, value: string): void {
    this.bytes(field, utf8.encode(value))
  }

  int(field: number, value: number): void {
    this.tag(field, VARINT)
    this.varint(value)
  }

  float(field: number, value: number): void {
    this.tag(field, FIXED32)
    this.reserve(4)
    this.view().setFloat32(this.len, value, true)
    this.len += 4
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): void {
    const data = new Uint8Array(values.length * 4)
    const view = new DataView(data.buffer)
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i]!, true)
    this.bytes(field, data)
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: ArrayLike<number>): void {
    const inner = new Writer()
    for (let i = 0; i < values.length; i++) inner.varint(values[i]!)
    this.bytes(field, inner.finish())
  }

  message(field: number, write: (w: Writer) => void): void {
    const inner = new Writer()
    write(inner)
    this.bytes(field, inner.finish())
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

/** Raw little-endian bytes of numeric tensor data in the tensor's element type. */
function rawData(type: DataTypeCode, data: ArrayLike<number>): Uint8Array {
  const width = type === DataType.DOUBLE || type === DataType.INT64 ? 8 : type === DataType.BOOL ? 1 : 4
  const out = new Uint8Array(data.length * width)
  const view = new DataView(out.buffer)
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!
    if (type === DataType.FLOAT) view.setFloat32(i * 4, v, true)
    else if (type === DataType.DOUBLE) view.setFloat64(i * 8, v, true)
    else if (type === DataType.INT64) view.setBigInt64(i * 8, BigInt(v), true)
    else if (type === DataType.BOOL) out[i] = v === 0 ? 0 : 1
    else throw new RangeError(`tensor data type ${type} has no raw encoding here`)
  }
  return out
}

function writeTensor(w: Writer, t: OnnxTensor): void {
  if (t.dims.length > 0) w.packedInts(1, t.dims) // dims
  w.int(2, t.dataType) // data_type
  if (t.strings !== undefined) for (const s of t.strings) w.string(6, s) // string_data
  if (t.name !== undefined) w.string(8, t.name) // name
  if (t.data !== undefined) w.bytes(9, rawData(t.dataType, t.data)) // raw_data
}

/** AttributeProto.AttributeType values. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7, strings: 8 } as const

function writeAttribute(w: Writer, a: OnnxAttribute): void {
  w.string(1, a.name)
  switch (a.kind) {
    case 'float':
      w.float(2, a.value)
      break
    case 'int':
      w.int(3, a.value)
      break
    case 'string':
      w.string(4, a.value)
      break
    case 'tensor':
      w.message(5, (m) => writeTensor(m, a.value))
      break
    case 'floats':
      w.packedFloats(7, a.value)
      break
    case 'ints':
      w.packedInts(8, a.value)
      break
    case 'strings':
      for (const s of a.value) w.string(9, s)
      break
  }
  w.int(20, ATTRIBUTE_TYPE[a.kind]) // type
}

function writeNode(w: Writer, n: OnnxNode): void {
  for (const i of n.inputs) w.string(1, i)
  for (const o of n.outputs) w.string(2, o)
  if (n.name !== undefined) w.string(3, n.name)
  w.string(4, n.opType)
  for (const a of n.attributes ?? []) w.message(5, (m) => writeAttribute(m, a))
  if (n.domain !== undefined && n.domain !== '') w.string(7, n.domain)
}

function writeValueInfo(w: Writer, v: OnnxValueInfo): void {
  w.string(1, v.name)
  // TypeProto { tensor_type = 1: Tensor { elem_type = 1, shape = 2: { dim = 1: { dim_value = 1 | dim_param = 2 } } } }
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType)
      tensor.message(2, (shape) => {
        for (const d of v.shape)
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)))
      })
    }),
  )
  if (v.docString !== undefined) w.string(3, v.docString)
}

function writeGraph(w: Writer, g: OnnxGraph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n))
  w.string(2, g.name)
  for (const t of g.initializers) w.message(5, (m) => writeTensor(m, t))
  if (g.docString !== undefined) w.string(10, g.docString)
  for (const v of g.inputs) w.message(11, (m) => writeValueInfo(m, v))
  for (const v of g.outputs) w.message(12, (m) => writeValueInfo(m, v))
}

/** Serialises a model to ONNX protobuf bytes (what `onnxruntime` and `onnx.load` read). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new Writer()
  w.int(1, model.irVersion)
  w.string(2, model.producerName)
  w.string(3, model.producerVersion)
  if (model.docString !== undefined) w.string(6, model.docString)
  w.message(7, (m) => writeGraph(m, model.graph))
  for (const o of model.opsetImports)
    w.message(8, (m) => {
      m.string(1, o.domain)
      m.int(2, o.version)
    })
  for (const [key, value] of Object.entries(model.metadata ?? {}))
    w.message(14, (m) => {
      m.string(1, key)
      m.string(2, value)
    })
  return w.finish()
}
