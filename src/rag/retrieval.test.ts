import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { RagBm25Index, topK } from './bm25.js'
import { reciprocalRankFusion } from './fusion.js'
import { RagLsaEmbedder } from './lsa-embedder.js'
import { jacobiEigen, randomizedSvd } from './svd.js'
import { ragTokenize, stem } from './tokenize.js'

test('tokenizer: stop words out, light stemming, identifiers split and kept', () => {
  assert.deepEqual(ragTokenize('The models are retrying'), ['model', 'retry'])
  assert.equal(stem('retries'), 'retry')
  assert.equal(stem('class'), 'class')
  const t = ragTokenize('Set KEEL_LLM_MODEL now')
  assert.ok(t.includes('keel_llm_model') && t.includes('llm') && t.includes('model'))
})

test('BM25 ranks the document with the rare query term first and honours filters', () => {
  const docs = [
    'the cat sat on the mat',
    'dogs chase cats in the park',
    'quantum retrieval with reciprocal rank fusion',
    'cats and dogs and more cats',
  ].map(ragTokenize)
  const index = new RagBm25Index().build(docs)
  const hits = index.search(ragTokenize('fusion of cats'), 4)
  assert.equal(hits[0]?.index, 2)
  assert.ok(hits.every((h, i) => i === 0 || (hits[i - 1]?.score ?? 0) >= h.score))
  const filtered = index.search(ragTokenize('fusion of cats'), 4, (i) => i !== 2)
  assert.ok(filtered.every((h) => h.index !== 2))
  assert.deepEqual(index.search(['unknownterm'], 3), [])
})

test('BM25 matches the textbook formula on a hand-computed case', () => {
  const index = new RagBm25Index({ k1: 1.2, b: 0.75 }).build([['a', 'b'], ['b', 'c', 'c'], ['d']])
  const [hit] = index.search(['c'], 1)
  const n = 3
  const df = 1
  const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5))
  const avg = 2
  const tf = 2
  const expected = idf * ((tf * 2.2) / (tf + 1.2 * (1 - 0.75 + (0.75 * 3) / avg)))
  assert.equal(hit?.index, 1)
  assert.ok(Math.abs((hit?.score ?? 0) - expected) < 1e-9)
})

test('topK equals a full sort', () => {
  const rng = new Rng(3)
  const items = Array.from({ length: 500 }, (_, index) => ({ index, score: Math.floor(rng.next() * 50) }))
  const expected = [...items].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, 7)
  assert.deepEqual(topK([...items], 7), expected)
})

test('RRF: an item found by both lists outranks items found by one', () => {
  const fused = reciprocalRankFusion([
    ['a', 'b', 'c'],
    ['d', 'b', 'e'],
  ])
  assert.equal(fused[0]?.id, 'b')
  assert.ok(Math.abs((fused[0]?.score ?? 0) - 2 / 62) < 1e-12)
})

test('Jacobi eigen-decomposition reconstructs a symmetric matrix', () => {
  const rng = new Rng(9)
  const n = 6
  const a = new Float64Array(n * n)
  for (let i = 0; i < n; i++)
    for (let j = i; j < n; j++) {
      const v = rng.normal()
      a[i * n + j] = v
      a[j * n + i] = v
    }
  const { values, vectors } = jacobiEigen(a, n)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let sum = 0
      for (let k = 0; k < n; k++)
        sum += (vectors[i * n + k] as number) * (values[k] as number) * (vectors[j * n + k] as number)
      assert.ok(Math.abs(sum - (a[i * n + j] as number)) < 1e-9)
    }
})

test('randomized SVD recovers the singular values of a low-rank matrix and is seeded', () => {
  // A = sum of 3 rank-one terms with singular values 10, 5, 2 on random orthogonal-ish vectors.
  const rng = new Rng(1)
  const rows = 40
  const cols = 30
  const dense = new Float64Array(rows * cols)
  for (const s of [10, 5, 2]) {
    const u = Array.from({ length: rows }, () => rng.normal())
    const v = Array.from({ length: cols }, () => rng.normal())
    const nu = Math.hypot(...u)
    const nv = Math.hypot(...v)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++)
        dense[r * cols + c] =
          (dense[r * cols + c] as number) + (s * (u[r] as number) * (v[c] as number)) / (nu * nv)
  }
  const rowStart = new Int32Array(rows + 1)
  const colIndex: number[] = []
  const values: number[] = []
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      colIndex.push(c)
      values.push(dense[r * cols + c] as number)
    }
    rowStart[r + 1] = colIndex.length
  }
  const csr = { rows, cols, rowStart, colIndex: Int32Array.from(colIndex), values: Float32Array.from(values) }
  // Exact singular values from the eigenvalues of AᵀA.
  const ata = new Float64Array(cols * cols)
  for (let i = 0; i < cols; i++)
    for (let j = 0; j < cols; j++) {
      let s = 0
      for (let r = 0; r < rows; r++) s += (dense[r * cols + i] as number) * (dense[r * cols + j] as number)
      ata[i * cols + j] = s
    }
  const exact = [...jacobiEigen(ata, cols).values].sort((a, b) => b - a).map((v) => Math.sqrt(Math.max(0, v)))
  const svd = randomizedSvd(csr, 3, { seed: 5 })
  for (let i = 0; i < 3; i++)
    assert.ok(
      Math.abs((svd.singularValues[i] as number) - (exact[i] as number)) < 1e-3 * (exact[i] as number),
      `σ${i}`,
    )
  assert.deepEqual(randomizedSvd(csr, 3, { seed: 5 }).components, svd.components)
})

test('LSA embeds documents on the same topic closer than documents on another topic', async () => {
  const texts = [
    'retry backoff jitter for rate limited requests',
    'rate limit retry after header backoff',
    'gradient boosting trees histogram split',
    'boosting trees leaf wise histogram growth',
  ]
  const lsa = RagLsaEmbedder.fit(texts, { dimensions: 2, seed: 1 })
  const [a, b, c] = await lsa.embed([texts[0] as string, texts[1] as string, texts[2] as string])
  const dot = (x?: Float32Array, y?: Float32Array) =>
    (x ?? new Float32Array()).reduce((s, v, i) => s + v * (y?.[i] ?? 0), 0)
  assert.ok(dot(a, b) > dot(a, c) + 0.3)
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5)
})
