import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { describe, test } from 'node:test'
import ts from 'typescript'
import { renderErrorsMarkdown } from '../scripts/gen-errors.js'
import {
  ERROR_CODES,
  type ErrorCodeInfo,
  PROBLEM_CODES,
  type ProblemCodeInfo,
} from '../src/core/error-codes.js'
import {
  type CodeSite,
  capabilityOf,
  REPO_ROOT,
  scanCodeSites,
  scanSourceCodeSites,
  sourceFiles,
} from './docs-scan.js'

const errors: Readonly<Record<string, ErrorCodeInfo>> = ERROR_CODES
const problems: Readonly<Record<string, ProblemCodeInfo>> = PROBLEM_CODES

/** Sites whose code is not in the catalogue: an error's code must be an error code. */
function uncatalogued(sites: readonly CodeSite[]): string[] {
  const missing = sites.filter((s) =>
    s.kind === 'error'
      ? !Object.hasOwn(errors, s.code)
      : !Object.hasOwn(errors, s.code) && !Object.hasOwn(problems, s.code),
  )
  return [...new Set(missing.map((s) => `${s.code} (${s.file}:${s.line})`))].sort()
}

/** Catalogue entries that no site raises. */
function neverRaised(sites: readonly CodeSite[]): string[] {
  const raised = new Set(sites.map((s) => s.code))
  return [...Object.keys(errors), ...Object.keys(problems)].filter((c) => !raised.has(c)).sort()
}

/** Every `STATUS_BY_CODE` object literal in src/ (the server's and the RAG route's), merged. */
function statusTables(): Map<string, { status: number; file: string }> {
  const out = new Map<string, { status: number; file: string }>()
  for (const file of sourceFiles('src')) {
    const text = readFileSync(resolve(REPO_ROOT, file), 'utf8')
    if (!text.includes('STATUS_BY_CODE')) continue
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true)
    const visit = (node: ts.Node): void => {
      if (
        ts.isVariableDeclaration(node) &&
        ts.isIdentifier(node.name) &&
        node.name.text === 'STATUS_BY_CODE' &&
        node.initializer !== undefined &&
        ts.isObjectLiteralExpression(node.initializer)
      ) {
        for (const p of node.initializer.properties) {
          if (!ts.isPropertyAssignment(p) || !ts.isNumericLiteral(p.initializer)) continue
          const code = ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : undefined
          if (code === undefined || code.startsWith('FST_')) continue
          const previous = out.get(code)
          const status = Number(p.initializer.text)
          assert.ok(
            previous === undefined || previous.status === status,
            `${code} maps to ${previous?.status} in ${previous?.file} but ${status} in ${file}`,
          )
          out.set(code, { status, file })
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return out
}

describe('error-code catalogue (src/core/error-codes.ts) against the source', () => {
  const sites = scanSourceCodeSites()

  test('the scanner sees the codes it must (sanity: a broken scanner would pass everything)', () => {
    const codes = new Set(sites.map((s) => s.code))
    for (const code of [
      'RAG_COLLECTION_NOT_FOUND',
      'NOT_FOUND',
      'SERVE_INVALID_FEATURES',
      'TARGET_NULLS',
      'MISSING',
    ])
      assert.ok(codes.has(code), `scanner missed ${code}`)
    assert.ok(codes.size > 80, `only ${codes.size} codes found`)
  })

  test('every code raised in src/ is catalogued', () => {
    assert.deepEqual(
      uncatalogued(sites),
      [],
      'add these to ERROR_CODES / PROBLEM_CODES in src/core/error-codes.ts, then run node --import tsx scripts/gen-errors.ts',
    )
  })

  test('a planted, uncatalogued code is reported (multi-line constructor, super, code field)', () => {
    const planted = scanCodeSites(
      'src/rag/planted.ts',
      [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: TypeScript source text with a template literal
        "throw new RagError(\n  'RAG_PLANTED_ONE',\n  `Planted ${x}.`,\n)",
        "class PlantedError extends AppError { constructor(m: string) { super('PLANTED_TWO', m) } }",
        "reply.send({ error: { code: ok ? 'SERVE_NOT_FOUND' : 'PLANTED_THREE' } })",
      ].join('\n'),
    )
    assert.deepEqual(uncatalogued(planted), [
      'PLANTED_THREE (src/rag/planted.ts:6)',
      'PLANTED_TWO (src/rag/planted.ts:5)',
      'RAG_PLANTED_ONE (src/rag/planted.ts:2)',
    ])
  })

  test('every catalogued code is raised somewhere (no dead entries)', () => {
    assert.deepEqual(neverRaised(sites), [], 'remove these from src/core/error-codes.ts, or raise them')
    // And the check is live: a catalogue entry with no site is reported.
    assert.ok(neverRaised(sites.filter((s) => s.code !== 'LLM_AUTH')).includes('LLM_AUTH'))
  })

  test('error codes are raised as errors, problem codes only in problem lists', () => {
    const wrong = sites
      .filter((s) => s.kind === 'error' && !Object.hasOwn(errors, s.code) && Object.hasOwn(problems, s.code))
      .map((s) => `${s.code} thrown as an error at ${s.file}:${s.line}`)
    assert.deepEqual(wrong, [])
  })

  test('thrownIn names exactly the capability folders that raise each code', () => {
    const where = new Map<string, Set<string>>()
    for (const s of sites) {
      const set = where.get(s.code) ?? new Set<string>()
      set.add(capabilityOf(s.file))
      where.set(s.code, set)
    }
    const wrong: string[] = []
    for (const [code, info] of [...Object.entries(errors), ...Object.entries(problems)]) {
      const actual = [...(where.get(code) ?? [])].sort().join(', ')
      const declared = [...info.thrownIn].sort().join(', ')
      if (actual !== declared)
        wrong.push(`${code}: catalogue says [${declared}], source raises it in [${actual}]`)
    }
    assert.deepEqual(wrong, [])
  })

  test('httpStatus agrees with the status tables (STATUS_BY_CODE) of the server and the RAG route', () => {
    const tables = statusTables()
    assert.ok(tables.get('SERVE_INVALID_FEATURES')?.status === 422, 'http/errors.ts table not found')
    assert.ok(tables.get('RAG_COLLECTION_NOT_FOUND')?.status === 404, 'rag/routes.ts table not found')
    const onlyInBodies = new Set(
      Object.keys(errors).filter((code) => !sites.some((s) => s.code === code && s.kind === 'error')),
    )
    const wrong: string[] = []
    for (const [code, info] of Object.entries(errors)) {
      const mapped = tables.get(code)
      if (mapped !== undefined) {
        if (info.httpStatus !== mapped.status)
          wrong.push(`${code}: catalogue ${info.httpStatus}, ${mapped.file} ${mapped.status}`)
      } else if (info.httpStatus !== null && !onlyInBodies.has(code))
        // A body code (SERVE_INTERNAL, SERVE_BODY_TOO_LARGE) gets its status from its route directly.
        wrong.push(`${code}: catalogue ${info.httpStatus}, but no status table maps it (so it answers 500)`)
    }
    for (const code of tables.keys())
      if (!Object.hasOwn(errors, code) && code !== 'SERVE_SHUTTING_DOWN')
        wrong.push(`${code} is in a status table but not in the catalogue`)
    assert.deepEqual(wrong, [])
  })

  test('example messages are messages, and match their thrower where the message is a literal', () => {
    const bad: string[] = []
    for (const [code, info] of [...Object.entries(errors), ...Object.entries(problems)]) {
      // The old generated table showed other codes' names and SQL fragments as "examples".
      if (/^[A-Z][A-Z0-9_]+$/.test(info.example) || /\b(SELECT|CAST)\b/.test(info.example))
        bad.push(`${code}: example is not a message: ${info.example}`)
      if (info.example.includes('${')) bad.push(`${code}: example has an unfilled placeholder`)
    }
    for (const [code, info] of Object.entries(errors)) {
      const raisers = sites.filter((s) => s.code === code)
      const patterns = raisers.flatMap((s) => (s.message === undefined ? [] : [s.message]))
      // Checked when every raiser's message is a literal or template (otherwise the example may
      // come from one built elsewhere, such as a Fastify validation message).
      if (
        patterns.length > 0 &&
        patterns.length === raisers.length &&
        !patterns.some((p) => p.test(info.example))
      )
        bad.push(
          `${code}: example matches none of its ${patterns.length} thrower message(s): ${info.example}`,
        )
    }
    assert.deepEqual(bad, [])
  })
})

describe('docs/errors.md', () => {
  test('equals the output of scripts/gen-errors.ts', () => {
    const committed = readFileSync(resolve(REPO_ROOT, 'docs/errors.md'), 'utf8')
    assert.equal(
      committed,
      renderErrorsMarkdown(),
      'docs/errors.md is stale: run node --import tsx scripts/gen-errors.ts',
    )
  })

  test('lists every catalogued code once', () => {
    const text = renderErrorsMarkdown()
    for (const code of [...Object.keys(errors), ...Object.keys(problems)]) {
      const rows = text.split('\n').filter((line) => line.startsWith(`| \`${code}\` |`))
      assert.equal(rows.length, 1, code)
    }
  })
})
