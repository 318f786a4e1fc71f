import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import Fastify from 'fastify'
import { makePdf } from '../../test/helpers/pdf-fixture.js'
import { ragAsk } from './answer.js'
import { RagCollection } from './collection.js'
import { RagOnnxEmbedder } from './onnx-embedder.js'
import { ragRoutes } from './routes.js'

const home = mkdtempSync(join(tmpdir(), 'keel-rag-coll-'))
process.env.KEEL_HOME = home
after(() => rmSync(home, { recursive: true, force: true }))

const docs = join(home, 'input')
mkdirSync(join(docs, 'policies'), { recursive: true })
writeFileSync(
  join(docs, 'retries.md'),
  '# Retries\n\nRate limited calls are retried with exponential backoff and jitter.\n\n## Deadline\n\nAn overall deadline bounds all attempts.\n',
)
writeFileSync(
  join(docs, 'boosting.md'),
  '# Boosting\n\nGradient boosting grows trees on histograms of binned features.\n',
)
writeFileSync(
  join(docs, 'policies', 'refunds.html'),
  '<html><head><title>Refunds</title></head><body><nav>Home | Shop</nav><h1>Refunds</h1><p>Refunds are paid back within fourteen days of the return.</p><footer>ACME</footer></body></html>',
)
writeFileSync(join(docs, 'policies', 'archive.pdf'), makePdf(['Invoices are archived for seven years.']))
writeFileSync(join(docs, 'notes.txt'), 'Notes\n\nThe cafeteria opens at eight.\n')
writeFileSync(join(docs, 'ignored.bin'), 'binary')

test('ingest, skip unchanged, replace changed, search with filters, ask extractively', async () => {
  const cwd = process.cwd()
  process.chdir(home)
  try {
    const collection = await RagCollection.open('t1', { create: true })
    const first = await collection.ingest(['input'])
    assert.deepEqual(
      first.files.map((f) => f.status),
      ['added', 'added', 'added', 'added', 'added'],
    )
    assert.ok(first.files.every((f) => f.chunks > 0))
    const total = await collection.count()

    const again = await collection.ingest(['input'])
    assert.ok(again.files.every((f) => f.status === 'unchanged'))
    assert.equal(again.chunksAdded, 0)
    assert.equal(await collection.count(), total)

    writeFileSync(
      join(docs, 'boosting.md'),
      '# Boosting\n\nLeaf-wise growth picks the leaf with the largest gain.\n',
    )
    const third = await collection.ingest(['input'])
    assert.equal(third.files.find((f) => f.source === 'input/boosting.md')?.status, 'updated')
    assert.equal(await collection.count(), total, 'old chunks of the changed file were replaced')
    const hits = await collection.search('histograms binned features', { k: 3, mode: 'lexical' })
    assert.ok(
      hits.every((h) => !h.chunk.text.includes('histograms')),
      'old text is gone',
    )
    const leaf = await collection.search('leaf with the largest gain', { k: 1 })
    assert.equal(leaf[0]?.chunk.source, 'input/boosting.md')

    const refunds = await collection.search('how long until my money comes back after a return', { k: 2 })
    assert.equal(refunds[0]?.chunk.source, 'input/policies/refunds.html')
    assert.ok(!refunds[0]?.chunk.text.includes('Home | Shop'))
    const pdf = await collection.search('how long are invoices kept', { k: 1 })
    assert.equal(pdf[0]?.chunk.source, 'input/policies/archive.pdf')
    assert.deepEqual(pdf[0]?.chunk.headingPath, ['Page 1'])

    for (const mode of ['lexical', 'dense', 'hybrid'] as const) {
      const filtered = await collection.search('retried backoff refunds invoices', {
        k: 10,
        mode,
        filter: { sourcePrefix: 'input/policies/' },
      })
      assert.ok(filtered.length > 0, mode)
      assert.ok(
        filtered.every((h) => h.chunk.source.startsWith('input/policies/')),
        mode,
      )
      const byKind = await collection.search('retried backoff refunds invoices', {
        k: 10,
        mode,
        filter: { kind: ['pdf'] },
      })
      assert.ok(
        byKind.every((h) => h.chunk.kind === 'pdf'),
        mode,
      )
    }

    const answer = await ragAsk(collection, 'How are rate limited calls retried?', { k: 3 })
    assert.equal(answer.llmUsed, false)
    assert.equal(answer.citations[0]?.source, 'input/retries.md')
    assert.match(answer.answer, /\[1\].*exponential backoff/s)
    await collection.close()

    // Reopening reads the manifest and the saved LSA model.
    const reopened = await RagCollection.open('t1')
    const again2 = await reopened.search('overall deadline attempts', { k: 1 })
    assert.deepEqual(again2[0]?.chunk.headingPath, ['Retries', 'Deadline'])
    await reopened.close()
  } finally {
    process.chdir(cwd)
  }
})

test('unknown collection and bad k give typed errors', async () => {
  await assert.rejects(
    RagCollection.open('nope'),
    (e: unknown) => (e as { code?: string }).code === 'RAG_COLLECTION_NOT_FOUND',
  )
  await assert.rejects(
    RagCollection.open('../evil', { create: true }),
    (e: unknown) => (e as { code?: string }).code === 'RAG_INVALID_ARGUMENT',
  )
  const c = await RagCollection.open('t2', { create: true })
  await assert.rejects(
    c.search('x', { k: 0 }),
    (e: unknown) => (e as { code?: string }).code === 'RAG_INVALID_ARGUMENT',
  )
  assert.deepEqual(await c.search('anything'), [])
  await c.close()
})

test('ONNX embedder: a typed error naming what is missing (the package, or the model files)', async () => {
  // @huggingface/transformers is an optional dependency of LanceDB: whether npm installed it depends
  // on the machine, so the test checks the error that fits the installed tree instead of assuming one.
  // A variable specifier: the package is not a dependency, so TypeScript must not resolve it.
  const optionalPackage: string = '@huggingface/transformers'
  const installed = await import(optionalPackage).then(
    () => true,
    () => false,
  )
  await assert.rejects(RagOnnxEmbedder.load(home), (e: unknown) => {
    const error = e as { code?: string; message?: string }
    const names = installed ? 'tokenizer.json' : '@huggingface/transformers'
    return error.code === 'RAG_EMBEDDER_UNAVAILABLE' && (error.message ?? '').includes(names)
  })
})

test('POST /v1/rag/query: extractive answer, 404 for unknown collection, 400 for bad body', async () => {
  const cwd = process.cwd()
  process.chdir(home)
  try {
    const collection = await RagCollection.open('web', { create: true })
    await collection.ingest(['input/retries.md', 'input/notes.txt'])
    await collection.close()
    const app = Fastify()
    await app.register(ragRoutes, { collection: 'web', llm: null })
    const ok = await app.inject({
      method: 'POST',
      url: '/v1/rag/query',
      payload: { question: 'When does the cafeteria open?', k: 2 },
    })
    assert.equal(ok.statusCode, 200)
    const body = ok.json() as { llmUsed: boolean; citations: { source: string }[] }
    assert.equal(body.llmUsed, false)
    assert.equal(body.citations[0]?.source, 'input/notes.txt')
    const missing = await app.inject({
      method: 'POST',
      url: '/v1/rag/query',
      payload: { question: 'x', collection: 'absent' },
    })
    assert.equal(missing.statusCode, 404)
    assert.equal((missing.json() as { code: string }).code, 'RAG_COLLECTION_NOT_FOUND')
    const bad = await app.inject({ method: 'POST', url: '/v1/rag/query', payload: { question: '', k: 500 } })
    assert.equal(bad.statusCode, 400)
    await app.close()
  } finally {
    process.chdir(cwd)
  }
})
