import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { main } from '../../src/cli/main.js'

// `keel rag ingest DIR` must never read outside DIR: a symbolic link under it that points out of it
// (`link.txt -> ../secret.txt`) is skipped and reported, not ingested (and later served).

const work = mkdtempSync(join(tmpdir(), 'keel-e2e-rag-links-'))
const savedHome = process.env.KEEL_HOME
const SECRET = 'zebracorn-launch-code-4471'

/** Runs the CLI in-process and captures what it writes to stdout and stderr. */
async function keel(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  // Only string writes are ours: under `node --test` the runner streams binary reports to stdout.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string') return (out as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest)
    stdout += chunk
    return true
  }) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')
    return true
  }) as typeof process.stderr.write
  try {
    return { code: await main(argv), stdout, stderr }
  } finally {
    process.stdout.write = out
    process.stderr.write = err
  }
}

interface IngestJson {
  files: { source: string; status: string }[]
  skipped: { path: string; reason: string; message: string }[]
}

describe('keel rag ingest never reads outside the folder', () => {
  const docs = join(work, 'docs')
  before(() => {
    process.env.KEEL_HOME = join(work, 'home')
    mkdirSync(join(docs, 'guide'), { recursive: true })
    writeFileSync(join(docs, 'guide', 'setup.md'), '# Setup\n\nInstall the package and run the server.\n')
    writeFileSync(join(work, 'secret.txt'), `Private notes\n\nThe code is ${SECRET}.\n`)
    mkdirSync(join(work, 'private'))
    writeFileSync(join(work, 'private', 'keys.md'), `# Keys\n\n${SECRET} again.\n`)
    // Out of the folder: a file link, a folder link, an absolute link.
    symlinkSync('../secret.txt', join(docs, 'link.txt'))
    symlinkSync('../private', join(docs, 'more'))
    symlinkSync(join(work, 'secret.txt'), join(docs, 'abs.md'))
    // Inside the folder: followed as before.
    symlinkSync('guide/setup.md', join(docs, 'setup-link.md'))
    // A link back to the folder itself must not loop, and a dangling one must not fail the run.
    symlinkSync('..', join(docs, 'guide', 'up'))
    symlinkSync('missing.md', join(docs, 'dangling.md'))
  })
  after(() => {
    if (savedHome === undefined) delete process.env.KEEL_HOME
    else process.env.KEEL_HOME = savedHome
    rmSync(work, { recursive: true, force: true })
  })

  test('links out of DIR are skipped and listed in --json; what is inside is ingested', async () => {
    const { code, stdout } = await keel('rag', 'ingest', docs, '--collection', 'links', '--json')
    assert.equal(code, 0, stdout)
    const report = JSON.parse(stdout) as IngestJson
    const sources = report.files.map((f) => f.source).sort()
    assert.ok(
      sources.every((s) => !s.includes('secret') && !s.endsWith('/abs.md') && !s.includes('/more/')),
      `ingested: ${sources.join(', ')}`,
    )
    assert.ok(sources.some((s) => s.endsWith('docs/guide/setup.md')))
    assert.ok(
      sources.some((s) => s.endsWith('docs/setup-link.md')),
      'a link inside DIR is still read',
    )
    const byName = new Map(report.skipped.map((s) => [s.path.split('/').pop(), s]))
    assert.equal(byName.get('link.txt')?.reason, 'outside')
    assert.equal(byName.get('more')?.reason, 'outside')
    assert.equal(byName.get('abs.md')?.reason, 'outside')
    assert.equal(byName.get('dangling.md')?.reason, 'broken')
    assert.equal(byName.get('up')?.reason, 'loop')
    assert.match(byName.get('link.txt')?.message ?? '', /outside/)

    // Nothing of the secret is in the collection: asking for it finds nothing that contains it.
    const ask = await keel('rag', 'ask', `What is the ${SECRET}?`, '--collection', 'links', '--json')
    assert.equal(ask.code, 0)
    const answer = JSON.parse(ask.stdout) as { sources: unknown[]; citations: unknown[] }
    assert.doesNotMatch(JSON.stringify([answer.sources, answer.citations]), new RegExp(SECRET))
  })

  test('the text output says what was skipped', async () => {
    const { code, stdout, stderr } = await keel('rag', 'ingest', docs, '--collection', 'links2')
    assert.equal(code, 0)
    assert.match(stdout, /, 5 skipped;/)
    assert.match(stderr, /skipped\s+\S*link\.txt: symbolic link to \S*secret\.txt, outside/)
  })

  test('a file named on the command line is read even through a link (the user chose it)', async () => {
    const { code, stdout } = await keel(
      'rag',
      'ingest',
      join(docs, 'link.txt'),
      '--collection',
      'explicit',
      '--json',
    )
    assert.equal(code, 0)
    const report = JSON.parse(stdout) as IngestJson
    assert.deepEqual(
      report.files.map((f) => f.status),
      ['added'],
    )
    assert.deepEqual(report.skipped, [])
  })
})
