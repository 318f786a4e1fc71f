import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { RagCollection } from './collection.js'
import { LanceRagStore } from './lance-store.js'
import type { RagLsaEmbedder } from './lsa-embedder.js'
import { ragTokenize } from './tokenize.js'
import type { RagChunk } from './types.js'
import type { RagStoredChunk, RagVectorStore } from './vector-store.js'

const home = mkdtempSync(join(tmpdir(), 'keel-rag-index-'))
process.env.KEEL_HOME = home
const docs = join(home, 'docs')
mkdirSync(docs)
const topics = {
  retries: 'retry backoff jitter deadline attempt timeout',
  boosting: 'boosting tree histogram split leaf gradient',
  refunds: 'refund payment return invoice money customer',
  drift: 'drift population stability kolmogorov psi monitor',
}
for (const [name, words] of Object.entries(topics)) {
  const sections = Array.from(
    { length: 6 },
    (_, i) =>
      `## ${name} part ${i}\n\n${words
        .split(' ')
        .slice(i % 3)
        .join(' ')} ${name} note ${i}.`,
  )
  writeFileSync(join(docs, `${name}.md`), `# ${name}\n\n${sections.join('\n\n')}\n`)
}

/** Counts how often the index had to be rebuilt from the store's rows. */
class CountingStore implements RagVectorStore {
  reads = 0
  constructor(private readonly inner: LanceRagStore) {}
  add(rows: readonly RagStoredChunk[]) {
    return this.inner.add(rows)
  }
  replaceAll(rows: readonly RagStoredChunk[], dimensions: number) {
    return this.inner.replaceAll(rows, dimensions)
  }
  deleteSources(sources: readonly string[]) {
    return this.inner.deleteSources(sources)
  }
  search(vector: Float32Array, k: number) {
    return this.inner.search(vector, k)
  }
  chunks(): Promise<RagChunk[]> {
    this.reads++
    return this.inner.chunks()
  }
  chunksWithVectors(): Promise<RagStoredChunk[]> {
    this.reads++
    return this.inner.chunksWithVectors()
  }
  count() {
    return this.inner.count()
  }
  version() {
    return this.inner.version()
  }
  close() {
    return this.inner.close()
  }
}

let lastStore: CountingStore | undefined
const counting = async (dir: string) => {
  lastStore = new CountingStore(await LanceRagStore.open(dir))
  return lastStore
}

/** An OpenAI-compatible /embeddings endpoint: hashed bag of words, so equal words point the same way. */
let server: Server
let baseUrl = ''
before(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => {
      body += c.toString()
    })
    req.on('end', () => {
      const request = JSON.parse(body) as { input: string[]; encoding_format?: string }
      const data = request.input.map((text, index) => {
        const v = new Float32Array(32)
        for (const term of ragTokenize(text)) {
          let h = 2166136261
          for (let i = 0; i < term.length; i++) h = Math.imul(h ^ term.charCodeAt(i), 16777619)
          v[(h >>> 0) % 32] = (v[(h >>> 0) % 32] as number) + 1
        }
        v[31] = (v[31] as number) + 0.01
        const embedding =
          request.encoding_format === 'base64' ? Buffer.from(v.buffer).toString('base64') : Array.from(v)
        return { object: 'embedding', index, embedding }
      })
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({ object: 'list', data, model: 'fake', usage: { prompt_tokens: 0, total_tokens: 0 } }),
      )
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
})
after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()))
  rmSync(home, { recursive: true, force: true })
})

test('the index is written at ingest and loaded on open, not rebuilt from the store', async () => {
  const collection = await RagCollection.open('persist', { create: true, openStore: counting })
  await collection.ingest([docs])
  assert.ok(existsSync(join(collection.dir, 'index', 'dense.bin')))
  assert.ok(existsSync(join(collection.dir, 'index', 'lexical.bin')))
  const before = await collection.search('histogram split', { k: 3 })
  await collection.close()

  const reopened = await RagCollection.open('persist', { openStore: counting })
  for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
    const hits = await reopened.search('histogram split', { k: 3, mode })
    assert.equal(hits[0]?.chunk.source.endsWith('boosting.md'), true, mode)
  }
  assert.deepEqual(
    (await reopened.search('histogram split', { k: 3 })).map((h) => h.chunk.id),
    before.map((h) => h.chunk.id),
  )
  assert.equal(lastStore?.reads, 0, 'no chunk was read back from the store')
  await reopened.close()
})

test('a missing or stale index is rebuilt from the store (an interrupted write is caught up)', async () => {
  const collection = await RagCollection.open('stale', { create: true, openStore: counting })
  await collection.ingest([docs])
  await collection.close()

  // The store moves on without the index: as if a process died between the two writes.
  const store = await LanceRagStore.open(join(home, 'rag', 'stale', 'vectors'))
  const [template] = await store.chunksWithVectors()
  assert.ok(template !== undefined)
  await store.add([
    {
      chunk: { ...template.chunk, id: 'extra-1', source: 'extra.md', text: 'zebra quagga okapi savanna' },
      vector: template.vector,
    },
  ])
  await store.close()
  const reopened = await RagCollection.open('stale', { openStore: counting })
  const hits = await reopened.search('quagga okapi', { k: 1, mode: 'lexical' })
  assert.equal(hits[0]?.chunk.id, 'extra-1')
  assert.equal(lastStore?.reads, 1, 'rebuilt once from the store')
  await reopened.close()

  // The rebuilt index was saved: the next open loads it.
  const third = await RagCollection.open('stale', { openStore: counting })
  assert.equal((await third.search('quagga okapi', { k: 1, mode: 'lexical' }))[0]?.chunk.id, 'extra-1')
  assert.equal(lastStore?.reads, 0)
  rmSync(join(third.dir, 'index'), { recursive: true })
  await third.close()
  const fourth = await RagCollection.open('stale', { openStore: counting })
  assert.equal((await fourth.search('quagga okapi', { k: 1 }))[0]?.chunk.id, 'extra-1')
  assert.equal(lastStore?.reads, 1)
  await fourth.close()
})

test('an external embedder updates the index in place: a changed file replaces its chunks', async () => {
  const input = join(home, 'incremental')
  mkdirSync(input)
  for (const [name, words] of Object.entries(topics))
    writeFileSync(join(input, `${name}.md`), `# ${name}\n\n${words}\n`)
  const collection = await RagCollection.open('incremental', {
    create: true,
    embedder: { kind: 'openai', model: 'fake', baseUrl },
    openStore: counting,
  })
  const first = await collection.ingest([input])
  assert.equal(first.chunksTotal, 4)
  writeFileSync(join(input, 'boosting.md'), '# boosting\n\nsaxophone trumpet clarinet orchestra\n')
  const second = await collection.ingest([input])
  assert.equal(second.files.find((f) => f.source.endsWith('boosting.md'))?.status, 'updated')
  assert.equal(second.chunksTotal, 4)
  const index = await collection.retrievalIndex()
  assert.equal(index.size, 4)
  assert.equal(index.dense?.deletedCount, 1, 'the old chunk is a tombstone in the graph')
  for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
    const hits = await collection.search('histogram gradient leaf', { k: 4, mode })
    assert.ok(
      hits.every((h) => !h.chunk.text.includes('histogram')),
      `${mode}: the replaced text is gone`,
    )
    const music = await collection.search('trumpet clarinet', { k: 1, mode })
    assert.equal(music[0]?.chunk.source.endsWith('boosting.md'), true, mode)
  }
  await collection.close()
  const reopened = await RagCollection.open('incremental', { openStore: counting })
  const music = await reopened.search('trumpet clarinet', { k: 1, mode: 'dense' })
  assert.equal(music[0]?.chunk.source.endsWith('boosting.md'), true)
  assert.equal(lastStore?.reads, 0, 'the updated index was saved')
  await reopened.close()
})

test('dense search through the collection equals exact search on its index; filters hold', async () => {
  const collection = await RagCollection.open('exact', { create: true })
  await collection.ingest([docs])
  const index = await collection.retrievalIndex()
  const lsa = (await collection.embedder()) as RagLsaEmbedder
  const dense = index.dense
  assert.ok(dense !== undefined)
  for (const q of ['backoff deadline', 'psi monitor', 'invoice refund customer']) {
    const exact = dense.exactSearch(lsa.embedOne(q), 24)
    const fifth = exact[4]?.similarity ?? 1
    // The graph finds the exact top 5 (ties at the cut may be either of the tied chunks).
    const allowed = new Set(
      exact.filter((h) => h.similarity >= fifth - 1e-6).map((h) => index.chunks[h.row]?.id),
    )
    const hits = await collection.search(q, { k: 5, mode: 'dense' })
    assert.equal(hits.length, 5)
    assert.ok(hits.every((h) => allowed.has(h.chunk.id)))
  }
  const driftSource = index.liveChunks().find((c) => c.source.endsWith('drift.md'))?.source
  assert.ok(driftSource !== undefined)
  const onlyDrift = await collection.search('note part', {
    k: 5,
    mode: 'hybrid',
    filter: { source: driftSource },
  })
  assert.ok(onlyDrift.length > 0 && onlyDrift.every((h) => h.chunk.source.endsWith('drift.md')))
  await collection.close()
})

test('hybrid search keeps its lexical answer when unrelated bulk claims the LSA space', async () => {
  const input = join(home, 'bulk')
  mkdirSync(input)
  for (const [name, words] of Object.entries(topics))
    writeFileSync(join(input, `${name}.md`), `# ${name}\n\n${words} ${name}\n`)
  // 3,000 chunks of pseudo-words on 40 topics: none of the questions' words, most of the variance.
  const syllables = 'ka lo mi ne ru ta vo shi den por gal bri'.split(' ')
  let seed = 7
  const next = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 2 ** 32
  }
  const vocab = Array.from({ length: 2000 }, () =>
    Array.from({ length: 3 }, () => syllables[Math.floor(next() * syllables.length)]).join(''),
  )
  for (let f = 0; f < 30; f++) {
    const topic = Array.from({ length: 30 }, () => vocab[Math.floor(next() * vocab.length)] as string)
    const sections = Array.from(
      { length: 100 },
      (_, s) =>
        `## ${topic[s % 30]}\n\n${Array.from({ length: 30 }, () => topic[Math.floor(next() * 30)]).join(' ')}.`,
    )
    writeFileSync(join(input, `bulk-${f}.md`), `# ${topic[0]}\n\n${sections.join('\n\n')}\n`)
  }
  const collection = await RagCollection.open('bulk', { create: true })
  await collection.ingest([input])
  const lsa = (await collection.embedder()) as RagLsaEmbedder
  const question = 'retry refund drift'
  const relative = lsa.embedWithCoverage(question).coverage / (lsa.state.medianCoverage ?? 1)
  assert.ok(relative < 0.5, `the question keeps ${relative} of a typical chunk's coverage`)
  // BM25 finds the three documents; the dense list is noise from the bulk. Unweighted RRF would
  // rank the dense list's first chunks level with BM25's, pushing bulk chunks into the top 3.
  const lexical = await collection.search(question, { k: 3, mode: 'lexical' })
  const hybrid = await collection.search(question, { k: 3, mode: 'hybrid' })
  assert.equal(lexical.length, 3)
  assert.deepEqual(
    hybrid.map((h) => h.chunk.id),
    lexical.map((h) => h.chunk.id),
  )
  await collection.close()
})
