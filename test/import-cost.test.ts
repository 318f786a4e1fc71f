/**
 * What importing an entry point loads. `keel-ml/models` must stay pure JavaScript (no native addon:
 * better-sqlite3, DuckDB, LanceDB) and must not load a heavy SDK; the root entry must not load the
 * optional SDKs, which are imported on first use (src/core/optional-dependency.ts).
 *
 * Each check runs the import in a fresh `node` with test/helpers/module-trace.mjs, which records every
 * ES module resolved, every CommonJS module required and every native addon opened.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, describe, test } from 'node:test'
import { pathToFileURL } from 'node:url'

const ROOT = resolve(import.meta.dirname, '..')
const TRACE = join(ROOT, 'test/helpers/module-trace.mjs')
const dir = mkdtempSync(join(tmpdir(), 'keel-import-cost-'))
after(() => rmSync(dir, { recursive: true, force: true }))

interface Trace {
  readonly files: readonly string[]
  readonly natives: readonly string[]
  /** npm packages (by name) with at least one loaded file. */
  readonly packages: ReadonlySet<string>
}

/** The npm package a loaded file belongs to (the innermost node_modules folder), if any. */
function packageOf(file: string): string | undefined {
  const match = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)
  return match?.[1]
}

let traces = 0
/** Imports `entry` (a path under src/) in a fresh process and returns what it loaded. */
function traceImport(entry: string): Trace {
  const out = join(dir, `trace-${traces++}.json`)
  const url = pathToFileURL(join(ROOT, entry)).href
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--import',
      TRACE,
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(url)})`,
    ],
    { cwd: ROOT, env: { ...process.env, KEEL_MODULE_TRACE_OUT: out }, encoding: 'utf8' },
  )
  assert.equal(result.status, 0, `importing ${entry} failed:\n${result.stderr}`)
  const raw = JSON.parse(readFileSync(out, 'utf8')) as { files: string[]; natives: string[] }
  const packages = new Set(raw.files.flatMap((f) => packageOf(f) ?? []))
  return { files: raw.files, natives: raw.natives, packages }
}

/** Packages with a native addon, or big SDKs, that a pure-model import must not load. */
const HEAVY = [
  'better-sqlite3',
  '@duckdb/node-api',
  '@duckdb/node-bindings',
  '@lancedb/lancedb',
  'apache-arrow',
  'openai',
  '@anthropic-ai/sdk',
  'ioredis',
  'pg',
  'fastify',
  'kysely',
  'linkedom',
  '@observablehq/plot',
]
/** The optional peer dependencies: loaded on first use only, never by an import. */
const OPTIONAL_PEERS = ['@lancedb/lancedb', 'apache-arrow', 'openai', '@anthropic-ai/sdk', 'ioredis', 'pg']

describe('import cost', () => {
  test('the tracer sees what an import loads (sanity: a blind tracer would pass everything)', () => {
    const trace = traceImport('src/data/index.ts')
    assert.ok(trace.packages.has('@duckdb/node-api'), 'DuckDB not seen loading for keel-ml/data')
    assert.ok(
      trace.natives.some((f) => f.endsWith('.node')),
      `no native addon seen for keel-ml/data: ${trace.natives.join(', ')}`,
    )
    assert.ok(trace.files.some((f) => f.endsWith('src/data/index.ts')))
  })

  test('keel-ml/models loads no native module and no heavy SDK', () => {
    const trace = traceImport('src/models/index.ts')
    assert.ok(
      trace.files.some((f) => f.endsWith('src/models/index.ts')),
      'models entry not traced',
    )
    assert.deepEqual(trace.natives, [], 'keel-ml/models opened a native addon')
    assert.deepEqual(
      HEAVY.filter((p) => trace.packages.has(p)),
      [],
      'keel-ml/models loaded heavy packages',
    )
  })

  test('keel-ml (the root entry) does not load the optional SDKs or LanceDB', () => {
    const trace = traceImport('src/index.ts')
    assert.ok(trace.packages.has('fastify'), 'root entry not traced')
    assert.deepEqual(
      OPTIONAL_PEERS.filter((p) => trace.packages.has(p)),
      [],
      'the root entry loaded optional peers',
    )
    assert.deepEqual(
      trace.natives.filter((f) => f.includes('lancedb')),
      [],
    )
  })
})
