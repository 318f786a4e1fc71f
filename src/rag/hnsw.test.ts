import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { RagBm25Index } from './bm25.js'
import { RagHnswIndex } from './hnsw.js'
import { ragTokenize } from './tokenize.js'

/** Seeded clustered unit vectors (the shape of real embeddings: topics, not uniform noise). */
function clustered(n: number, dims: number, clusters: number, seed: number): Float32Array[] {
  const rng = new Rng(seed)
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dims }, () => rng.normal()),
  )
  return Array.from({ length: n }, () => {
    const c = centres[rng.int(clusters)] as Float32Array
    return Float32Array.from(c, (x) => x + 0.7 * rng.normal())
  })
}

function recallAt(index: RagHnswIndex, queries: readonly Float32Array[], k: number, ef: number): number {
  let found = 0
  for (const q of queries) {
    const truth = new Set(index.exactSearch(q, k).map((h) => h.row))
    found += index.search(q, k, ef).filter((h) => truth.has(h.row)).length
  }
  return found / (queries.length * k)
}

test('HNSW recall@10 against exact search on seeded clustered data, and more ef never hurts much', () => {
  const dims = 24
  const data = clustered(4000, dims, 40, 1)
  const queries = clustered(100, dims, 40, 2)
  const index = new RagHnswIndex(dims, { m: 12, efConstruction: 60, seed: 3 })
  for (const v of data) index.add(v)
  assert.equal(index.size, 4000)
  const low = recallAt(index, queries, 10, 16)
  const high = recallAt(index, queries, 10, 96)
  assert.ok(high >= 0.95, `recall@10 at ef 96 = ${high}`)
  assert.ok(high >= low - 0.01, `ef 96 ${high} vs ef 16 ${low}`)
  // Results are best first and similarities are cosines of the stored unit vectors.
  const hits = index.search(queries[0] as Float32Array, 10, 96)
  assert.equal(hits.length, 10)
  for (let i = 1; i < hits.length; i++)
    assert.ok((hits[i - 1]?.similarity ?? 0) >= (hits[i]?.similarity ?? 0))
  assert.ok(hits.every((h) => h.similarity <= 1 + 1e-6 && h.similarity >= -1 - 1e-6))
})

test('exact search equals a brute-force sort', () => {
  const dims = 8
  const data = clustered(300, dims, 5, 4)
  const index = new RagHnswIndex(dims)
  for (const v of data) index.add(v)
  const q = clustered(1, dims, 5, 5)[0] as Float32Array
  const norm = (v: Float32Array) => Math.hypot(...v)
  const sims = data.map((v, row) => ({
    row,
    s: v.reduce((acc, x, i) => acc + x * (q[i] as number), 0) / (norm(v) * norm(q)),
  }))
  sims.sort((a, b) => b.s - a.s)
  assert.deepEqual(
    index.exactSearch(q, 7).map((h) => h.row),
    sims.slice(0, 7).map((x) => x.row),
  )
})

test('persistence round-trip: same answers after serialize/deserialize, and inserts continue', () => {
  const dims = 16
  const data = clustered(1500, dims, 20, 6)
  const queries = clustered(30, dims, 20, 7)
  const index = new RagHnswIndex(dims, { m: 8, efConstruction: 40, seed: 9 })
  for (const v of data) index.add(v)
  index.markDeleted(5)
  const copy = RagHnswIndex.deserialize(index.serialize())
  assert.equal(copy.size, index.size)
  assert.equal(copy.deletedCount, 1)
  for (const q of queries) assert.deepEqual(copy.search(q, 10, 50), index.search(q, 10, 50))
  const extra = clustered(200, dims, 20, 8)
  for (const v of extra) copy.add(v)
  assert.equal(copy.size, 1700)
  assert.ok(recallAt(copy, queries, 10, 80) >= 0.9)
  // A damaged file is a typed error, not a wrong index.
  const bytes = index.serialize()
  assert.throws(
    () => RagHnswIndex.deserialize(bytes.subarray(0, bytes.length - 3)),
    (e: unknown) => (e as { code?: string }).code === 'RAG_COLLECTION_CORRUPT',
  )
  bytes.writeInt32LE(0, 0)
  assert.throws(
    () => RagHnswIndex.deserialize(bytes),
    (e: unknown) => (e as { code?: string }).code === 'RAG_COLLECTION_CORRUPT',
  )
})

test('deleted rows are never returned and the rest stay reachable; filters restrict results', () => {
  const dims = 12
  const data = clustered(2000, dims, 10, 10)
  const index = new RagHnswIndex(dims, { m: 10, efConstruction: 50, seed: 1 })
  for (const v of data) index.add(v)
  // Delete every row of the first half: the graph still routes through them.
  for (let r = 0; r < 1000; r++) index.markDeleted(r)
  assert.equal(index.liveSize, 1000)
  const queries = clustered(40, dims, 10, 11)
  let found = 0
  for (const q of queries) {
    const hits = index.search(q, 10, 80)
    assert.equal(hits.length, 10)
    assert.ok(hits.every((h) => h.row >= 1000 && !index.isDeleted(h.row)))
    const truth = new Set(index.exactSearch(q, 10).map((h) => h.row))
    found += hits.filter((h) => truth.has(h.row)).length
  }
  assert.ok(found / 400 >= 0.9, `recall after deletes ${found / 400}`)
  const even = (row: number) => row % 2 === 0
  const filtered = index.search(queries[0] as Float32Array, 10, 80, even)
  assert.ok(filtered.length > 0 && filtered.every((h) => h.row % 2 === 0 && h.row >= 1000))
  assert.throws(
    () => index.search(new Float32Array(3), 5),
    (e: unknown) => (e as { code?: string }).code === 'RAG_INVALID_ARGUMENT',
  )
})

test('BM25 index: serialize round-trip gives identical rankings; repeated queries do not leak scores', () => {
  const rng = new Rng(12)
  const words = Array.from({ length: 60 }, (_, i) => `w${i}`)
  const docs = Array.from({ length: 500 }, () =>
    Array.from({ length: 5 + rng.int(20) }, () => words[Math.floor(60 * rng.next() ** 2)] as string).join(
      ' ',
    ),
  )
  const index = new RagBm25Index().build(docs.map(ragTokenize))
  const copy = RagBm25Index.deserialize(index.serialize())
  for (let i = 0; i < 20; i++) {
    const q = ragTokenize(`${words[rng.int(60)]} ${words[rng.int(60)]}`)
    const first = index.search(q, 10)
    assert.deepEqual(copy.search(q, 10), first)
    // The score buffer is reused between queries: a second run must give the same scores.
    assert.deepEqual(index.search(q, 10), first)
    // And the top 10 equals a full ranking's first 10 (score desc, index asc).
    const all = index.search(q, 500)
    assert.deepEqual(first, all.slice(0, 10))
    for (let j = 1; j < all.length; j++) {
      const a = all[j - 1] as { score: number; index: number }
      const b = all[j] as { score: number; index: number }
      assert.ok(a.score > b.score || (a.score === b.score && a.index < b.index))
    }
  }
  assert.throws(
    () => RagBm25Index.deserialize(Buffer.from('nope')),
    (e: unknown) => (e as { code?: string }).code === 'RAG_COLLECTION_CORRUPT',
  )
})

test('the WebAssembly SIMD kernel and the JavaScript loops agree', () => {
  const dims = 32
  const data = clustered(1200, dims, 12, 21)
  const queries = clustered(20, dims, 12, 22)
  const simd = new RagHnswIndex(dims, { m: 8, efConstruction: 40, seed: 2 })
  const saved = process.env.KEEL_NO_WASM
  process.env.KEEL_NO_WASM = '1'
  let plain: RagHnswIndex
  try {
    plain = new RagHnswIndex(dims, { m: 8, efConstruction: 40, seed: 2 })
  } finally {
    if (saved === undefined) delete process.env.KEEL_NO_WASM
    else process.env.KEEL_NO_WASM = saved
  }
  assert.equal(plain.usesSimd, false)
  for (const v of data) {
    simd.add(v)
    plain.add(v)
  }
  for (const q of queries) {
    const a = simd.exactSearch(q, 10)
    const b = plain.exactSearch(q, 10)
    assert.deepEqual(
      a.map((h) => h.row),
      b.map((h) => h.row),
    )
    for (const [i, h] of a.entries()) assert.ok(Math.abs(h.similarity - (b[i]?.similarity ?? 0)) < 1e-5)
  }
  assert.ok(recallAt(simd, queries, 10, 128) >= 0.95)
  assert.ok(recallAt(plain, queries, 10, 128) >= 0.95)
})
