/**
 * The published package's shape: one subpath export per capability index, a `sideEffects` list that
 * covers every module whose import does something (a bundler may drop the others), a build that
 * leaves tests and test helpers out of dist/, and no declared runtime dependency that src/ never
 * imports.
 */
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { describe, test } from 'node:test'
import ts from 'typescript'
import { REPO_ROOT, sourceFiles } from './docs-scan.js'

interface PackageJson {
  readonly exports: Readonly<Record<string, string | { types: string; import: string }>>
  readonly sideEffects: readonly string[] | false
  readonly dependencies: Readonly<Record<string, string>>
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson

/** Capability folders with a public index (cli is the command line, not an import surface). */
function capabilities(): string[] {
  return readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
    .filter(
      (d) => d.isDirectory() && d.name !== 'cli' && existsSync(join(REPO_ROOT, 'src', d.name, 'index.ts')),
    )
    .map((d) => d.name)
    .sort()
}

/** A package.json glob (`*` within a path segment, `**` across segments) as a RegExp. */
function globToRegExp(glob: string): RegExp {
  let out = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders.
      out += glob[i + 2] === '/' ? '(?:.*/)?' : '.*'
      i += glob[i + 2] === '/' ? 2 : 1
    } else if (c === '*') out += '[^/]*'
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${out}$`)
}

/** Top-level statements that run code when the module is imported (not declarations). */
function sideEffectLines(file: string): number[] {
  const sf = ts.createSourceFile(
    file,
    readFileSync(join(REPO_ROOT, file), 'utf8'),
    ts.ScriptTarget.ES2022,
    true,
  )
  const lines: number[] = []
  for (const s of sf.statements) {
    const effect =
      ts.isExpressionStatement(s) ||
      (ts.isImportDeclaration(s) && s.importClause === undefined) ||
      ts.isIfStatement(s) ||
      ts.isForStatement(s) ||
      ts.isForOfStatement(s) ||
      ts.isForInStatement(s) ||
      ts.isWhileStatement(s) ||
      ts.isDoStatement(s) ||
      ts.isBlock(s) ||
      ts.isTryStatement(s) ||
      ts.isThrowStatement(s)
    if (effect) lines.push(sf.getLineAndCharacterOfPosition(s.getStart()).line + 1)
  }
  return lines
}

describe('package.json exports', () => {
  test('one subpath per capability index, pointing at its built index and types', () => {
    const expected = ['.', ...capabilities().map((c) => `./${c}`), './package.json'].sort()
    assert.deepEqual(Object.keys(pkg.exports).sort(), expected)
    for (const c of capabilities())
      assert.deepEqual(pkg.exports[`./${c}`], {
        types: `./dist/${c}/index.d.ts`,
        import: `./dist/${c}/index.js`,
      })
    assert.deepEqual(pkg.exports['.'], { types: './dist/index.d.ts', import: './dist/index.js' })
  })

  test('sideEffects covers every module with top-level effects (model readers, worker entry points)', () => {
    assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects must list the modules with effects')
    const patterns = (pkg.sideEffects as readonly string[]).map(globToRegExp)
    const found: string[] = []
    const uncovered: string[] = []
    for (const file of sourceFiles('src')) {
      const lines = sideEffectLines(file)
      if (lines.length === 0) continue
      found.push(file)
      const built = `./dist/${file.slice('src/'.length).replace(/\.ts$/, '.js')}`
      if (!patterns.some((p) => p.test(built))) uncovered.push(`${file}:${lines.join(',')}`)
    }
    // Sanity: the scan sees the registration in models/linear/index.ts.
    assert.ok(found.includes('src/models/linear/index.ts'), `scan found only: ${found.join(', ')}`)
    assert.deepEqual(uncovered, [], 'add these to "sideEffects" in package.json (or make them effect-free)')
  })

  test('the glob reader matches like a bundler', () => {
    assert.ok(globToRegExp('./dist/**/*worker*.js').test('./dist/models/gbdt/hist-worker.js'))
    assert.ok(globToRegExp('./dist/**/*worker*.js').test('./dist/worker.js'))
    assert.ok(globToRegExp('./dist/models/*/index.js').test('./dist/models/nn/index.js'))
    assert.ok(!globToRegExp('./dist/models/*/index.js').test('./dist/models/nn/wasm/index.js'))
    assert.ok(!globToRegExp('./dist/models/*/index.js').test('./dist/models/index.js'))
  })
})

describe('build contents', () => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, 'tsconfig.build.json'),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d.messageText)) },
  )
  const inputs = (parsed?.fileNames ?? []).map((f) => relative(REPO_ROOT, f))

  test('tsconfig.build.json compiles library sources only: no tests, no test helpers', () => {
    assert.ok(inputs.includes('src/models/index.ts'), 'build inputs not read')
    assert.deepEqual(
      inputs.filter((f) => f.endsWith('.test.ts') || !f.startsWith('src/')),
      [],
    )
  })

  test('no library source imports a test helper', () => {
    const bad = sourceFiles('src').filter((file) =>
      /from '(?:\.\.\/)+test\/|import\('(?:\.\.\/)+test\//.test(readFileSync(join(REPO_ROOT, file), 'utf8')),
    )
    assert.deepEqual(bad, [])
  })
})

describe('dependencies', () => {
  test('every runtime dependency is imported by src/', () => {
    const text = sourceFiles('src')
      .map((f) => readFileSync(resolve(REPO_ROOT, f), 'utf8'))
      .join('\n')
    const unused = Object.keys(pkg.dependencies).filter(
      (name) => !text.includes(`'${name}'`) && !text.includes(`'${name}/`),
    )
    assert.deepEqual(unused, [], 'remove these from dependencies, or use them')
  })
})
