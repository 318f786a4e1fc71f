import { mkdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import type * as lancedb from '@lancedb/lancedb'
import { importOptional, lazyAsync } from '../core/index.js'
import { RagError } from './errors.js'
import type { RagChunk, RagDocKind, RagFilter } from './types.js'
import type { RagNeighbour, RagStoredChunk, RagVectorStore } from './vector-store.js'

/** LanceDB and the apache-arrow copy it uses. */
interface LanceModules {
  readonly lancedb: typeof lancedb
  readonly arrow: typeof import('apache-arrow')
}

/**
 * LanceDB (an optional peer dependency with a native addon) and apache-arrow, loaded by the first
 * `LanceRagStore.open`, so importing RAG (or keel-ml) does not load them.
 */
const loadLance = lazyAsync(async (): Promise<LanceModules> => {
  // LanceDB's native logger reads LANCEDB_LOG once, when the module loads; its default level prints
  // WARN lines (e.g. "No existing dataset … will be created") on every first write. Keel keeps
  // stderr for its own messages, so default to errors only unless the user chose a level.
  process.env.LANCEDB_LOG ??= 'error'
  const feature = 'The RAG vector store (LanceDB)'
  // apache-arrow must be the CommonJS copy LanceDB itself loads: an ESM import gives a second copy
  // whose classes LanceDB does not recognise (see shared/notes/deps.md). Loaded first because
  // LanceDB requires it too, so its absence is reported by name rather than from inside LanceDB.
  const arrow = await importOptional(
    'apache-arrow',
    feature,
    () => createRequire(import.meta.url)('apache-arrow') as typeof import('apache-arrow'),
  )
  const lance = await importOptional('@lancedb/lancedb', feature, () => import('@lancedb/lancedb'))
  return { lancedb: lance, arrow }
})

const TABLE = 'chunks'

/** Options of the LanceDB store. */
export interface LanceRagStoreOptions {
  /**
   * Build LanceDB's IVF-PQ index once the table has at least this many rows. Default: never, since
   * a collection searches its own HNSW index (src/rag/hnsw.ts) and uses the store's search only
   * for stores without one; LanceDB's index took 600 s at 100k rows for 18 ms queries.
   */
  readonly indexThreshold?: number
}

/** The embedded vector store: one LanceDB table of chunks and vectors in a folder. */
export class LanceRagStore implements RagVectorStore {
  private constructor(
    private readonly lance: LanceModules,
    private readonly db: lancedb.Connection,
    private table: lancedb.Table | undefined,
    private readonly options: LanceRagStoreOptions,
  ) {}

  /**
   * Opens (or prepares to create) the store in `dir`.
   * @throws MissingDependencyError (`DEPENDENCY_MISSING`) when `@lancedb/lancedb` or `apache-arrow`
   *   (optional peer dependencies) is not installed.
   */
  static async open(dir: string, options: LanceRagStoreOptions = {}): Promise<LanceRagStore> {
    const lance = await loadLance()
    mkdirSync(dir, { recursive: true })
    const db = await lance.lancedb.connect(dir)
    const names = await db.tableNames()
    const table = names.includes(TABLE) ? await db.openTable(TABLE) : undefined
    return new LanceRagStore(lance, db, table, options)
  }

  private schema(dimensions: number) {
    const { arrow } = this.lance
    return new arrow.Schema([
      new arrow.Field('id', new arrow.Utf8(), false),
      new arrow.Field('source', new arrow.Utf8(), false),
      new arrow.Field('title', new arrow.Utf8(), false),
      new arrow.Field('kind', new arrow.Utf8(), false),
      new arrow.Field('heading', new arrow.Utf8(), false),
      new arrow.Field('start', new arrow.Int32(), false),
      new arrow.Field('end', new arrow.Int32(), false),
      new arrow.Field('ordinal', new arrow.Int32(), false),
      new arrow.Field('text', new arrow.Utf8(), false),
      new arrow.Field(
        'vector',
        new arrow.FixedSizeList(dimensions, new arrow.Field('item', new arrow.Float32(), true)),
        false,
      ),
    ])
  }

  /**
   * One Arrow record batch built column by column from typed arrays. Row objects through
   * LanceDB's `makeArrowTable` cost about as much per row as the whole rest of ingest.
   */
  private batch(rows: readonly RagStoredChunk[], dimensions: number) {
    const { arrow } = this.lance
    const schema = this.schema(dimensions)
    const n = rows.length
    const encoder = new TextEncoder()
    const utf8 = (pick: (c: RagChunk) => string) => {
      const encoded = rows.map((r) => encoder.encode(pick(r.chunk)))
      const offsets = new Int32Array(n + 1)
      for (let i = 0; i < n; i++) offsets[i + 1] = (offsets[i] as number) + (encoded[i] as Uint8Array).length
      const data = new Uint8Array(offsets[n] as number)
      for (let i = 0; i < n; i++) data.set(encoded[i] as Uint8Array, offsets[i] as number)
      return arrow.makeData({ type: new arrow.Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data })
    }
    const int32 = (pick: (c: RagChunk) => number) =>
      arrow.makeData({
        type: new arrow.Int32(),
        length: n,
        nullCount: 0,
        data: Int32Array.from(rows, (r) => pick(r.chunk)),
      })
    const flat = new Float32Array(n * dimensions)
    rows.forEach((r, i) => {
      if (r.vector.length !== dimensions)
        throw new RagError(
          'RAG_INVALID_ARGUMENT',
          `Chunk ${r.chunk.id} has a ${r.vector.length}-dimensional vector; the store holds ${dimensions}.`,
        )
      flat.set(r.vector, i * dimensions)
    })
    const vectorField = schema.fields[9] as InstanceType<typeof arrow.Field>
    const vectors = arrow.makeData({
      type: vectorField.type as InstanceType<typeof arrow.FixedSizeList>,
      length: n,
      nullCount: 0,
      child: arrow.makeData({ type: new arrow.Float32(), length: n * dimensions, nullCount: 0, data: flat }),
    })
    const children = [
      utf8((c) => c.id),
      utf8((c) => c.source),
      utf8((c) => c.title),
      utf8((c) => c.kind),
      utf8((c) => JSON.stringify(c.headingPath)),
      int32((c) => c.start),
      int32((c) => c.end),
      int32((c) => c.ordinal),
      utf8((c) => c.text),
      vectors,
    ]
    const struct = arrow.makeData({
      type: new arrow.Struct(schema.fields),
      length: n,
      nullCount: 0,
      children,
    })
    return new arrow.Table(schema, [new arrow.RecordBatch(schema, struct)])
  }

  private dimensions = 0

  async add(rows: readonly RagStoredChunk[]): Promise<void> {
    if (rows.length === 0) return
    if (this.table === undefined) {
      await this.replaceAll(rows, rows[0]?.vector.length ?? 0)
      return
    }
    const dimensions = this.dimensions || (rows[0]?.vector.length ?? 0)
    for (let i = 0; i < rows.length; i += 50_000)
      await this.table.add(this.batch(rows.slice(i, i + 50_000), dimensions))
  }

  async replaceAll(rows: readonly RagStoredChunk[], dimensions: number): Promise<void> {
    this.dimensions = dimensions
    this.table = await this.db.createEmptyTable(TABLE, this.schema(dimensions), { mode: 'overwrite' })
    for (let i = 0; i < rows.length; i += 50_000)
      await this.table.add(this.batch(rows.slice(i, i + 50_000), dimensions))
    const threshold = this.options.indexThreshold ?? Number.POSITIVE_INFINITY
    if (rows.length >= threshold) await this.buildIndex(rows.length, dimensions)
  }

  /** The table's version: it changes with every write, so a derived index can tell it is stale. */
  async version(): Promise<string> {
    return this.table === undefined ? 'empty' : String(await this.table.version())
  }

  /** Every chunk with its vector, in storage order (to rebuild Keel's own index). */
  async chunksWithVectors(): Promise<RagStoredChunk[]> {
    if (this.table === undefined) return []
    const table = (await this.table.query().toArrow()) as import('apache-arrow').Table
    const chunks = rowsToChunks(table.toArray() as Record<string, unknown>[])
    const column = table.getChild('vector')
    const out: RagStoredChunk[] = []
    for (let row = 0; row < chunks.length; row++) {
      const list = column?.get(row) as { toArray(): Float32Array } | null | undefined
      if (list == null)
        throw new RagError('RAG_COLLECTION_CORRUPT', `Chunk ${chunks[row]?.id} has no vector in the store.`)
      out.push({ chunk: chunks[row] as RagChunk, vector: Float32Array.from(list.toArray()) })
    }
    return out
  }

  /** Builds the IVF-PQ index (cosine) sized for `n` rows. */
  async buildIndex(n: number, dimensions: number): Promise<void> {
    if (this.table === undefined) return
    const numSubVectors = [16, 8, 4, 2, 1].find((s) => dimensions % s === 0 && dimensions / s >= 4) ?? 1
    await this.table.createIndex('vector', {
      config: this.lance.lancedb.Index.ivfPq({
        distanceType: 'cosine',
        numPartitions: Math.max(1, Math.round(Math.sqrt(n))),
        numSubVectors,
      }),
      replace: true,
    })
  }

  async deleteSources(sources: readonly string[]): Promise<void> {
    if (this.table === undefined || sources.length === 0) return
    for (let i = 0; i < sources.length; i += 200)
      await this.table.delete(
        `source IN (${sources
          .slice(i, i + 200)
          .map(sqlString)
          .join(', ')})`,
      )
  }

  async search(vector: Float32Array, k: number, filter?: RagFilter): Promise<RagNeighbour[]> {
    if (this.table === undefined) return []
    let query = this.table
      .vectorSearch(Array.from(vector))
      .distanceType('cosine')
      .select(['id', '_distance'])
      .limit(k)
    const where = filterSql(filter)
    if (where !== undefined) query = query.where(where)
    // nprobes/refine trade speed for recall once an ANN index exists; ignored for flat search.
    query = query.nprobes(20).refineFactor(5)
    const rows = (await query.toArray()) as { id: string; _distance: number }[]
    return rows.map((r) => ({ id: r.id, distance: r._distance }))
  }

  async chunks(): Promise<RagChunk[]> {
    if (this.table === undefined) return []
    const rows = (await this.table
      .query()
      .select(['id', 'source', 'title', 'kind', 'heading', 'start', 'end', 'ordinal', 'text'])
      .toArray()) as Record<string, unknown>[]
    return rowsToChunks(rows)
  }

  async count(): Promise<number> {
    return this.table === undefined ? 0 : this.table.countRows()
  }

  async close(): Promise<void> {
    this.table?.close()
    this.db.close()
  }
}

function rowsToChunks(rows: readonly Record<string, unknown>[]): RagChunk[] {
  return rows.map((r) => {
    let headingPath: string[] = []
    try {
      const parsed: unknown = JSON.parse(String(r.heading))
      if (Array.isArray(parsed)) headingPath = parsed.map(String)
    } catch (error) {
      throw new RagError('RAG_COLLECTION_CORRUPT', `Chunk ${String(r.id)} has an unreadable heading path.`, {
        cause: error,
      })
    }
    return {
      id: String(r.id),
      source: String(r.source),
      title: String(r.title),
      kind: String(r.kind) as RagDocKind,
      headingPath,
      start: Number(r.start),
      end: Number(r.end),
      ordinal: Number(r.ordinal),
      text: String(r.text),
    }
  })
}

function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`
}

/** Translates a metadata filter into a LanceDB SQL predicate. @internal */
export function filterSql(filter: RagFilter | undefined): string | undefined {
  if (filter === undefined) return undefined
  const parts: string[] = []
  if (filter.source !== undefined) {
    const sources = typeof filter.source === 'string' ? [filter.source] : filter.source
    parts.push(sources.length === 0 ? 'false' : `source IN (${sources.map(sqlString).join(', ')})`)
  }
  if (filter.sourcePrefix !== undefined) {
    const escaped = filter.sourcePrefix.replace(/'/g, "''").replace(/[\\%_]/g, (c) => `\\${c}`)
    parts.push(`source LIKE '${escaped}%' ESCAPE '\\'`)
  }
  if (filter.kind !== undefined)
    parts.push(filter.kind.length === 0 ? 'false' : `kind IN (${filter.kind.map(sqlString).join(', ')})`)
  return parts.length === 0 ? undefined : parts.join(' AND ')
}
