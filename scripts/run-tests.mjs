#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner through tsx.
// Node 20's --test does not expand globs, so we list the files here.
// Usage: node scripts/run-tests.mjs [path-filter ...]
//
// Tests that need PostgreSQL, Redis or Chromium are always registered and skipped with a reason
// when the service is missing (test/helpers/test-backends.ts). After the run this script prints which
// of those groups were skipped and why, from a TAP copy of the results. With
// KEEL_TEST_REQUIRE_SERVICES=1 (CI) a skipped group fails the run instead.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

function walk(dir, out) {
  let entries
  try {
    entries = readdirSync(dir)
  } catch {
    return out
  }
  for (const name of entries) {
    if (name === 'node_modules' || name.startsWith('.')) continue
    const path = join(dir, name)
    if (statSync(path).isDirectory()) walk(path, out)
    else if (name.endsWith('.test.ts')) out.push(path)
  }
  return out
}

/** The gated groups: how a skip reason names each one, and what makes it run. */
const GROUPS = [
  { name: 'PostgreSQL', match: /KEEL_TEST_DATABASE_URL/, needs: 'set KEEL_TEST_DATABASE_URL (.ci/run does)' },
  { name: 'Redis', match: /KEEL_TEST_REDIS_URL/, needs: 'set KEEL_TEST_REDIS_URL (.ci/run does)' },
  { name: 'Chromium (browser)', match: /chromium/i, needs: 'apt-get install chromium' },
  { name: 'HAProxy (balancer)', match: /haproxy/i, needs: 'apt-get install haproxy' },
]

/**
 * Skipped tests in a TAP stream: `ok N - title # SKIP reason` at any nesting depth, and `not ok`
 * ones too (a skipped test whose suite's hook failed is reported failed, but it was still gated).
 */
function skippedTests(tap) {
  const skipped = []
  for (const line of tap.split('\n')) {
    const match = /^\s*(?:not )?ok \d+ - (.*?) # SKIP(?: (.*))?$/.exec(line)
    if (match !== null)
      skipped.push({ title: match[1].replace(/\\#/g, '#'), reason: match[2] ?? '(no reason given)' })
  }
  return skipped
}

/** Prints the skipped groups with their reasons; returns how many gated tests were skipped. */
function summarise(skipped) {
  const lines = []
  let gated = 0
  const other = []
  const byGroup = new Map(GROUPS.map((g) => [g, []]))
  for (const s of skipped) {
    const group = GROUPS.find((g) => g.match.test(s.reason))
    if (group === undefined) other.push(s)
    else byGroup.get(group).push(s)
  }
  for (const [group, tests] of byGroup) {
    if (tests.length === 0) continue
    gated += tests.length
    const reasons = [...new Set(tests.map((t) => t.reason))].join('; ')
    lines.push(`  ${group.name}: ${tests.length} test(s) SKIPPED: ${reasons}; to run them: ${group.needs}`)
  }
  for (const s of other) lines.push(`  other: "${s.title}" SKIPPED: ${s.reason}`)
  if (lines.length === 0)
    console.log('\n# gated tests: none skipped (PostgreSQL, Redis and Chromium tests ran where selected)')
  else console.log(`\n# gated tests skipped (${skipped.length} in all):\n${lines.join('\n')}`)
  return gated
}

const filters = process.argv.slice(2)
const files = [...walk('src', []), ...walk('test', [])]
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// Files that stop or restart a shared service (PostgreSQL, Redis) for a fault test: they run after
// the rest, one at a time, so that no other test meets the outage they inject.
const EXCLUSIVE = ['test/e2e/faults-postgres.test.ts', 'test/e2e/faults-redis.test.ts']
const isExclusive = (f) => EXCLUSIVE.some((e) => f.replaceAll('\\', '/').endsWith(e))
const passes = [
  { files: files.filter((f) => !isExclusive(f)), concurrency: 2 },
  { files: files.filter(isExclusive), concurrency: 1 },
].filter((p) => p.files.length > 0)
const tapDir = mkdtempSync(join(tmpdir(), 'keel-run-tests-'))
let status = 0
try {
  let tap = ''
  for (const [i, pass] of passes.entries()) {
    const tapFile = join(tapDir, `results-${i}.tap`)
    if (i > 0) console.log(`\n# run alone (they stop shared services): ${pass.files.join(' ')}`)
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-concurrency=${pass.concurrency}`,
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tapFile}`,
        ...pass.files,
      ],
      { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
    )
    status = status || (result.status ?? 1)
    try {
      tap += readFileSync(tapFile, 'utf8')
    } catch (error) {
      console.error(`\n# could not read the TAP results for the skip summary: ${error.message}`)
      status = status || 1
    }
  }
  const gated = summarise(skippedTests(tap))
  if (gated > 0 && process.env.KEEL_TEST_REQUIRE_SERVICES === '1') {
    console.error(`# KEEL_TEST_REQUIRE_SERVICES=1: ${gated} gated test(s) were skipped; failing the run`)
    status = status || 1
  }
} finally {
  rmSync(tapDir, { recursive: true, force: true })
}
process.exit(status)
