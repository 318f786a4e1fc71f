import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makePdf } from '../../test/helpers/pdf-fixture.js'
import { chunkRagDocument } from './chunker.js'
import { htmlToText, markdownSections, parseRagDocument } from './loaders.js'

test('markdown sections follow headings and ignore # inside code fences', () => {
  const md =
    '# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n```bash\n# not a heading\n```\n\n### Linux\n\napt.\n\n## Use\n\nCall it.\n'
  const { sections, title } = markdownSections(md)
  assert.equal(title, 'Guide')
  assert.deepEqual(
    sections.map((s) => s.headingPath),
    [['Guide'], ['Guide', 'Install'], ['Guide', 'Install', 'Linux'], ['Guide', 'Use']],
  )
  // Sections tile the document: contiguous, covering everything after the first heading.
  for (let i = 1; i < sections.length; i++) assert.equal(sections[i]?.start, sections[i - 1]?.end)
  assert.ok(md.slice(sections[1]?.start, sections[1]?.end).includes('# not a heading'))
  // A bare heading (no body before the next heading) makes no section of its own.
  const bare = markdownSections('# Doc\n\n## Empty\n\n## Full\n\nBody.\n')
  assert.deepEqual(
    bare.sections.map((s) => s.headingPath),
    [['Doc', 'Full']],
  )
  assert.equal(markdownSections('# Only a title\n').sections.length, 1)
})

test('chunks respect the budget, keep offsets into the file, overlap and never cross sections', async () => {
  const para = (n: number) => `Paragraph ${n} talks about retries and caching in some detail. `.repeat(6)
  const md = `# Title\n\n${[1, 2, 3, 4, 5, 6].map(para).join('\n\n')}\n\n## Other\n\n${para(7)}\n`
  const doc = await parseRagDocument(Buffer.from(md), 'markdown', 'docs/x.md')
  const chunks = chunkRagDocument(doc, { maxTokens: 200, overlapTokens: 60 })
  assert.ok(chunks.length >= 3)
  for (const c of chunks) {
    assert.equal(md.slice(c.start, c.end), c.text, 'offsets index the original file')
    assert.ok(c.text.length / 4 <= 200 + 1, `chunk of ${c.text.length} chars over budget`)
    assert.equal(c.source, 'docs/x.md')
    assert.equal(c.title, 'Title')
  }
  const first = chunks.filter((c) => c.headingPath.length === 1)
  assert.ok(first.length >= 2)
  // Overlap: the second chunk starts before the first ends.
  assert.ok((first[1]?.start ?? 0) < (first[0]?.end ?? 0))
  const other = chunks.filter((c) => c.headingPath[1] === 'Other')
  assert.equal(other.length, 1)
  assert.ok(!other[0]?.text.includes('Paragraph 6'))
  assert.deepEqual(
    chunks.map((c) => c.ordinal),
    chunks.map((_, i) => i),
  )
})

test('HTML: boilerplate dropped, headings kept as sections', async () => {
  const html = `<html><head><title>Refund policy</title><script>var tracking = 1</script></head><body>
    <nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
    <main><h1>Refunds</h1><p>Refunds are issued within <b>14 days</b>.</p>
    <h2>Exceptions</h2><ul><li>Gift cards are final.</li><li>Sale items too.</li></ul></main>
    <footer>Copyright ACME</footer></body></html>`
  const { text } = htmlToText(html)
  assert.ok(!text.includes('tracking'))
  assert.ok(!text.includes('Pricing'))
  assert.ok(!text.includes('Copyright'))
  assert.ok(text.includes('Refunds are issued within 14 days.'))
  const doc = await parseRagDocument(Buffer.from(html), 'html', 'site/refunds.html')
  assert.equal(doc.title, 'Refund policy')
  assert.deepEqual(
    doc.sections.map((s) => s.headingPath),
    [['Refunds'], ['Refunds', 'Exceptions']],
  )
})

test('PDF: text layer extracted per page', async () => {
  const pdf = makePdf(['Keel invoices are archived for seven years.', 'Contact billing for copies.'])
  const doc = await parseRagDocument(pdf, 'pdf', 'policies/archive.pdf')
  assert.equal(doc.kind, 'pdf')
  assert.match(doc.text, /archived for seven years/)
  assert.deepEqual(doc.sections[0]?.headingPath, ['Page 1'])
  const chunks = chunkRagDocument(doc)
  assert.equal(chunks.length, 1)
  assert.match(chunks[0]?.text ?? '', /Contact billing/)
})

test('a PDF that is not a PDF fails with RAG_PARSE_FAILED', async () => {
  await assert.rejects(
    parseRagDocument(Buffer.from('not a pdf'), 'pdf', 'bad.pdf'),
    (e: unknown) => (e as { code?: string }).code === 'RAG_PARSE_FAILED',
  )
})
