import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { RagIvfIndex } from './ivf.js'

/** Seeded clustered vectors (the shape of real embeddings: topics, not uniform noise). */
function clustered(
  n: number,
  dims: number,
  clusters: number,
  seed: number,
  sampleSeed = seed,
): Float32Array[] {
  const noise = 0.5
  const centreRng = new Rng(seed)
  const centres = Array.from({ length: clusters }, () =>
    Float32Array.from({ length: dims }, () => centreRng.normal()),
  )
  const rng = new Rng(sampleSeed * 7919 + 1)
  return Array.from({ length: n }, () => {
    const c = centres[rng.int(clusters)] as Float32Array
    return Float32Array.from(c, (x) => x + noise * rng.normal())
  })
}

function recall(index: RagIvfIndex, queries: readonly Float32Array[], k: number, nprobe: number): number {
  let found = 0
  for (const q of queries) {
    const truth = new Set(index.exactSearch(q, k).map((h) => h.row))
    found += index.search(q, k, nprobe).filter((h) => truth.has(h.row)).length
  }
  return found / (queries.length * k)
}

test('IVF recall@10 against exact search on seeded clustered data; more probes never lose recall', () => {
  const dims = 32
  const data = clustered(8000, dims, 60, 1)
  const queries = clustered(100, dims, 60, 1, 2)
  const index = RagIvfIndex.build(data, dims, { seed: 3 })
  assert.equal(index.size, 8000)
  assert.equal(index.listCount, Math.round(Math.sqrt(8000)))
  const few = recall(index, queries, 10, 2)
  const many = recall(index, queries, 10, 16)
  assert.ok(many >= 0.95, `recall@10 with 16 probes = ${many}`)
  assert.ok(many >= few, `16 probes ${many} vs 2 probes ${few}`)
  assert.equal(recall(index, queries, 10, index.listCount), 1, 'probing every list is exact')
  const hits = index.search(queries[0] as Float32Array, 10, 16)
  for (let i = 1; i < hits.length; i++)
    assert.ok((hits[i - 1]?.similarity ?? 0) >= (hits[i]?.similarity ?? 0))
})

test('exact search equals a brute-force sort of cosine similarities', () => {
  const dims = 8
  const data = clustered(300, dims, 5, 4)
  const index = RagIvfIndex.build(data, dims)
  const q = clustered(1, dims, 5, 4, 5)[0] as Float32Array
  const norm = (v: Float32Array) => Math.hypot(...v)
  const sims = data
    .map((v, row) => ({
      row,
      s: v.reduce((acc, x, i) => acc + x * (q[i] as number), 0) / (norm(v) * norm(q)),
    }))
    .sort((a, b) => b.s - a.s)
  const hits = index.exactSearch(q, 7)
  assert.deepEqual(
    hits.map((h) => h.row),
    sims.slice(0, 7).map((x) => x.row),
  )
  for (const [i, h] of hits.entries()) assert.ok(Math.abs(h.similarity - (sims[i]?.s ?? 0)) < 1e-5)
})

test('persistence round-trip, inserts after reload, deletes and retraining', () => {
  const dims = 16
  const data = clustered(4000, dims, 30, 6)
  const queries = clustered(30, dims, 30, 6, 7)
  const index = RagIvfIndex.build(data, dims, { seed: 9 })
  index.markDeleted(5)
  const copy = RagIvfIndex.deserialize(index.serialize())
  assert.equal(copy.size, 4000)
  assert.equal(copy.deletedCount, 1)
  assert.equal(copy.listCount, index.listCount)
  for (const q of queries) assert.deepEqual(copy.search(q, 10, 8), index.search(q, 10, 8))
  // New rows join their nearest list and are found.
  const extra = clustered(500, dims, 30, 6, 8)
  for (const v of extra) copy.add(v)
  assert.equal(copy.size, 4500)
  assert.ok(recall(copy, queries, 10, 12) >= 0.95)
  const probe = extra[0] as Float32Array
  assert.equal(copy.search(probe, 1, 8)[0]?.row, 4000)
  // Deleted rows never come back, with or without probing.
  for (let r = 0; r < 4500; r += 2) copy.markDeleted(r)
  for (const q of queries) {
    assert.ok(copy.search(q, 10, 8).every((h) => h.row % 2 === 1))
    assert.ok(copy.exactSearch(q, 10).every((h) => h.row % 2 === 1))
  }
  // Growing far past the trained size asks for retraining; retraining keeps answers exact-ish.
  const small = RagIvfIndex.build(clustered(2100, dims, 30, 6, 10), dims)
  for (const v of clustered(7000, dims, 30, 6, 11)) small.add(v)
  assert.equal(small.needsRetraining, true)
  small.train()
  assert.equal(small.needsRetraining, false)
  assert.ok(small.listCount > 50)
  assert.ok(recall(small, queries, 10, 16) >= 0.95)
  // Damaged bytes are a typed error, not a wrong index.
  const bytes = index.serialize()
  for (const bad of [bytes.subarray(0, bytes.length - 3), Buffer.from('nope')])
    assert.throws(
      () => RagIvfIndex.deserialize(bad),
      (e: unknown) => (e as { code?: string }).code === 'RAG_COLLECTION_CORRUPT',
    )
})

test('filters restrict results; the SIMD kernel and the JavaScript loops agree', () => {
  const dims = 24
  const data = clustered(3000, dims, 20, 12)
  const queries = clustered(20, dims, 20, 12, 13)
  const simd = RagIvfIndex.build(data, dims, { seed: 1 })
  const saved = process.env.KEEL_NO_WASM
  process.env.KEEL_NO_WASM = '1'
  let plain: RagIvfIndex
  try {
    plain = RagIvfIndex.build(data, dims, { seed: 1 })
  } finally {
    if (saved === undefined) delete process.env.KEEL_NO_WASM
    else process.env.KEEL_NO_WASM = saved
  }
  assert.equal(plain.usesSimd, false)
  for (const q of queries) {
    const a = simd.exactSearch(q, 10)
    const b = plain.exactSearch(q, 10)
    assert.deepEqual(
      a.map((h) => h.row),
      b.map((h) => h.row),
    )
    const even = simd.search(q, 10, 8, (row) => row % 3 === 0)
    assert.ok(even.length > 0 && even.every((h) => h.row % 3 === 0))
  }
  assert.throws(
    () => simd.search(new Float32Array(3), 5),
    (e: unknown) => (e as { code?: string }).code === 'RAG_INVALID_ARGUMENT',
  )
})
