import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { main } from '../../src/cli/main.js'
import { type FakeLlmServer, startFakeLlmServer } from '../helpers/fake-llm-server.js'

const home = mkdtempSync(join(tmpdir(), 'keel-e2e-rag-'))
const LLM_VARS = [
  'KEEL_LLM_PROVIDER',
  'KEEL_LLM_MODEL',
  'KEEL_LLM_BASE_URL',
  'ANTHROPIC_API_KEY',
  'OPENAI_API_KEY',
  'KEEL_LLM_MAX_ATTEMPTS',
  'KEEL_LLM_BACKOFF_MS',
  'KEEL_LLM_TIMEOUT_MS',
  'KEEL_REDIS_URL',
  'KEEL_DATABASE_URL',
]
const saved = Object.fromEntries(LLM_VARS.map((k) => [k, process.env[k]]))

function clearLlmEnv() {
  for (const k of LLM_VARS) delete process.env[k]
}

/** Runs the CLI in-process and captures stdout. */
async function keel(...argv: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = ''
  const original = process.stdout.write.bind(process.stdout)
  // Only string writes are ours: under `node --test` the runner itself streams binary reports to stdout.
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk !== 'string')
      return (original as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest)
    stdout += chunk
    return true
  }) as typeof process.stdout.write
  try {
    const code = await main(argv)
    return { code, stdout }
  } finally {
    process.stdout.write = original
  }
}

interface AskJson {
  answer: string
  llmUsed: boolean
  fallbackReason?: string
  citations: { n: number; source: string; headingPath: string[]; start: number; end: number }[]
  sources: { n: number; source: string }[]
}

describe('keel rag end to end on the sample corpus', () => {
  let fake: FakeLlmServer
  before(async () => {
    process.env.KEEL_HOME = home
    clearLlmEnv()
    // The fake cites the sources whose block mentions the alias command, like a grounded model would.
    fake = await startFakeLlmServer('anthropic', {
      respond: (body) => {
        const messages = body.messages as { content: string }[]
        const prompt = messages[0]?.content ?? ''
        const cited = [...prompt.matchAll(/^\[(\d+)\] (\S+)/gm)]
          .filter((m) => m[2]?.endsWith('tracking/registry.md'))
          .map((m) => `[${m[1]}]`)
        return `Point the production alias back at the previous version with keel models alias ${cited.join('')}.`
      },
    })
    const ingest = await keel('rag', 'ingest', 'examples/docs', '--collection', 'docs', '--json')
    assert.equal(ingest.code, 0)
    const report = JSON.parse(ingest.stdout) as { files: { status: string }[]; chunksTotal: number }
    assert.ok(report.files.length >= 30)
    assert.ok(report.files.every((f) => f.status === 'added'))
    assert.ok(report.chunksTotal > 100)
  })
  after(async () => {
    await fake.close()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
    rmSync(home, { recursive: true, force: true })
  })

  test('re-ingesting the unchanged corpus skips every file', async () => {
    const again = await keel('rag', 'ingest', 'examples/docs', '--collection', 'docs', '--json')
    const report = JSON.parse(again.stdout) as { files: { status: string }[]; chunksAdded: number }
    assert.ok(report.files.every((f) => f.status === 'unchanged'))
    assert.equal(report.chunksAdded, 0)
  })

  test('ask with the fake LLM: answer cites the right file', async () => {
    process.env.KEEL_LLM_PROVIDER = 'anthropic'
    process.env.ANTHROPIC_API_KEY = 'test-key'
    process.env.KEEL_LLM_BASE_URL = fake.baseUrl
    fake.requests.length = 0
    try {
      const { code, stdout } = await keel(
        'rag',
        'ask',
        'How do I roll back production to the previous model version?',
        '--collection',
        'docs',
        '--k',
        '5',
        '--json',
      )
      assert.equal(code, 0)
      const result = JSON.parse(stdout) as AskJson
      assert.equal(result.llmUsed, true)
      assert.equal(fake.requests.length, 1)
      assert.ok(result.citations.length >= 1)
      assert.ok(result.citations.every((c) => c.source === 'examples/docs/tracking/registry.md'))
      const c = result.citations[0]
      assert.ok(
        c !== undefined && c.end > c.start && c.headingPath[0] === 'Model registry: versions and aliases',
      )
      // The prompt was grounded: numbered sources and the question.
      const messages = (fake.requests[0]?.body.messages ?? []) as { content: string }[]
      const prompt = messages[0]?.content ?? ''
      assert.match(prompt, /^\[1\] examples\/docs\//m)
      assert.match(prompt, /Question: How do I roll back/)
    } finally {
      clearLlmEnv()
    }
  })

  test('ask with the LLM down: extractive answer after retries, never an error', async () => {
    process.env.KEEL_LLM_PROVIDER = 'anthropic'
    process.env.ANTHROPIC_API_KEY = 'test-key'
    process.env.KEEL_LLM_BASE_URL = fake.baseUrl
    process.env.KEEL_LLM_MAX_ATTEMPTS = '2'
    process.env.KEEL_LLM_BACKOFF_MS = '5'
    fake.fallback = { kind: 'status', status: 529 }
    fake.requests.length = 0
    try {
      const { code, stdout } = await keel(
        'rag',
        'ask',
        'Which statistical test is used for numeric columns when checking drift?',
        '--collection',
        'docs',
        '--json',
      )
      assert.equal(code, 0)
      const result = JSON.parse(stdout) as AskJson
      assert.equal(result.llmUsed, false)
      assert.match(result.fallbackReason ?? '', /LLM_OVERLOADED/)
      assert.equal(fake.requests.length, 2)
      assert.equal(result.citations[0]?.source, 'examples/docs/monitoring/drift.md')
      assert.match(result.answer, /\[1\]/)
    } finally {
      fake.fallback = { kind: 'ok' }
      clearLlmEnv()
    }
  })

  test('ask with an unreachable endpoint and with no LLM configured', async () => {
    process.env.KEEL_LLM_PROVIDER = 'openai'
    process.env.KEEL_LLM_BASE_URL = 'http://127.0.0.1:9/v1'
    process.env.KEEL_LLM_MAX_ATTEMPTS = '2'
    process.env.KEEL_LLM_BACKOFF_MS = '5'
    try {
      const down = JSON.parse(
        (await keel('rag', 'ask', 'What PSI value indicates drift?', '--collection', 'docs', '--json'))
          .stdout,
      ) as AskJson
      assert.equal(down.llmUsed, false)
      assert.match(down.fallbackReason ?? '', /LLM_CONNECTION/)
    } finally {
      clearLlmEnv()
    }
    const none = JSON.parse(
      (await keel('rag', 'ask', 'What PSI value indicates drift?', '--collection', 'docs', '--json')).stdout,
    ) as AskJson
    assert.equal(none.llmUsed, false)
    assert.match(none.fallbackReason ?? '', /not configured/)
    assert.equal(none.citations[0]?.source, 'examples/docs/monitoring/drift.md')
  })

  test('eval: hybrid recall@5 at least the better of lexical and dense', async () => {
    const { code, stdout } = await keel(
      'rag',
      'eval',
      'examples/docs/eval.jsonl',
      '--collection',
      'docs',
      '--json',
    )
    assert.equal(code, 0)
    const report = JSON.parse(stdout) as {
      questions: number
      modes: { mode: string; recall: Record<string, number>; mrr: number; ndcg10: number }[]
    }
    assert.ok(report.questions >= 30)
    const at5 = (mode: string) => report.modes.find((m) => m.mode === mode)?.recall['5'] ?? -1
    assert.ok(at5('hybrid') >= Math.max(at5('lexical'), at5('dense')), JSON.stringify(report.modes))
    assert.ok(at5('hybrid') >= 0.8)
    for (const m of report.modes) assert.ok(m.mrr > 0 && m.mrr <= 1 && m.ndcg10 > 0 && m.ndcg10 <= 1)
  })

  test('usage errors exit 2 with a message', async () => {
    assert.equal((await keel('rag', 'ask', '--collection', 'missing', 'question?')).code, 2)
    assert.equal((await keel('rag', 'ask', 'q', '--collection', 'docs', '--k', '0')).code, 2)
  })
})
