import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative } from 'node:path'
import { test } from 'node:test'

// Every installed package must run on the lowest Node version Keel declares: otherwise `npm install`
// warns EBADENGINE on a supported Node, or the package fails there at runtime.

const ROOT = join(import.meta.dirname, '..', '..')

interface Semver {
  minVersion(range: string): { version: string } | null
  satisfies(version: string, range: string): boolean
}

/** The `semver` package when installed (it is a transitive dependency), else a small range check. */
function loadSemver(): Semver {
  try {
    return createRequire(join(ROOT, 'package.json'))('semver') as Semver
  } catch {
    return fallbackSemver
  }
}

type Triple = [number, number, number]

function parseVersion(text: string): { parts: Triple; given: number } | undefined {
  const m = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?$/i.exec(text.trim())
  if (m === null) return undefined
  const raw = [m[1], m[2], m[3]]
  const given = raw.findIndex((p) => p === undefined || /[x*]/i.test(p))
  return {
    parts: raw.map((p) => (p === undefined || /[x*]/i.test(p) ? 0 : Number(p))) as Triple,
    given: given === -1 ? 3 : given,
  }
}

function compare(a: Triple, b: Triple): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2]
}

/** Enough of node-semver for `engines.node` ranges: comparators, ^, ~, x-ranges, A - B and ||. */
function satisfiesComparator(v: Triple, comparator: string): boolean {
  const m = /^(\^|~|>=|<=|>|<|=)?\s*(.+)$/.exec(comparator)
  if (m === null) return false
  const parsed = parseVersion(m[2]!)
  if (parsed === undefined) return false
  const { parts: p, given } = parsed
  const upper = (index: number): Triple =>
    index === 0 ? [p[0] + 1, 0, 0] : index === 1 ? [p[0], p[1] + 1, 0] : [p[0], p[1], p[2] + 1]
  switch (m[1]) {
    case '>=':
      return compare(v, p) >= 0
    case '>':
      return given < 3 ? compare(v, upper(given - 1)) >= 0 : compare(v, p) > 0
    case '<':
      return compare(v, p) < 0
    case '<=':
      return given < 3 ? compare(v, upper(given - 1)) < 0 : compare(v, p) <= 0
    case '^':
      return compare(v, p) >= 0 && compare(v, upper(p[0] > 0 || given === 1 ? 0 : p[1] > 0 ? 1 : 2)) < 0
    case '~':
      return compare(v, p) >= 0 && compare(v, upper(given === 1 ? 0 : 1)) < 0
    default:
      return given === 0 ? true : compare(v, p) >= 0 && compare(v, upper(given - 1)) < 0
  }
}

const fallbackSemver: Semver = {
  satisfies(version, range) {
    const v = parseVersion(version)?.parts
    if (v === undefined) return false
    return range.split('||').some((alternative) => {
      const hyphen = /^\s*(\S+)\s+-\s+(\S+)\s*$/.exec(alternative)
      const comparators =
        hyphen !== null ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : alternative.trim().split(/\s+(?![\d.x*])/)
      return comparators.every((c) => c === '' || c === '*' || satisfiesComparator(v, c.replace(/\s+/g, '')))
    })
  },
  minVersion(range) {
    const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range)
    return m === null ? null : { version: `${m[1]}.${m[2] ?? 0}.${m[3] ?? 0}` }
  },
}

interface InstalledPackage {
  readonly label: string
  readonly engine: string
}

/** Every package under node_modules (nested copies and scopes included) that declares engines.node. */
function installedEngines(dir: string, out: InstalledPackage[] = []): InstalledPackage[] {
  if (!existsSync(dir)) return out
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.name.startsWith('@')) {
      installedEngines(path, out)
      continue
    }
    const manifest = join(path, 'package.json')
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name?: string
        version?: string
        engines?: { node?: unknown }
      }
      if (typeof pkg.engines?.node === 'string')
        out.push({ label: `${pkg.name}@${pkg.version} (${relative(ROOT, path)})`, engine: pkg.engines.node })
    }
    installedEngines(join(path, 'node_modules'), out)
  }
  return out
}

const semver = loadSemver()
const keel = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string } }
const declared = keel.engines?.node

test('package.json declares a Node range that covers what Keel itself uses', () => {
  assert.ok(declared !== undefined, 'package.json has no engines.node')
  const lowest = semver.minVersion(declared)?.version
  assert.ok(lowest !== undefined, `cannot read a lowest version from engines.node '${declared}'`)
  // import.meta.dirname (tests and helpers) needs 20.11; --test-concurrency (scripts/run-tests.mjs) 20.10.
  assert.ok(semver.satisfies(lowest, '>=20.11.0'), `engines.node '${declared}' admits Node ${lowest} < 20.11`)
  assert.ok(semver.satisfies(lowest, '<21'), `engines.node '${declared}' drops Node 20 (lowest ${lowest})`)
})

test('every installed package supports the lowest Node version Keel declares', () => {
  const lowest = semver.minVersion(declared ?? '*')?.version ?? '0.0.0'
  const packages = installedEngines(join(ROOT, 'node_modules'))
  assert.ok(
    packages.length > 50,
    `expected many installed packages with engines.node, found ${packages.length}`,
  )
  const excluded = packages.filter((p) => !semver.satisfies(lowest, p.engine))
  assert.deepEqual(
    excluded.map((p) => `${p.label} needs node ${p.engine}`),
    [],
    `these packages exclude Node ${lowest} (package.json engines.node '${declared}'): pin a compatible ` +
      'version with "overrides" in package.json, or raise engines.node',
  )
})

test('the fallback range check agrees with semver on the forms packages use', () => {
  const cases: [string, string, boolean][] = [
    ['20.19.0', '>=20.19.0', true],
    ['20.11.0', '>=20.19.0', false],
    ['20.19.0', '>=22', false],
    ['20.19.0', '18 || 20 || >=22', true],
    ['20.19.0', '^18.17.0 || ^20.3.0 || >=21.0.0', true],
    ['20.19.0', '^16 || ^18', false],
    ['20.19.0', '20.x || 22.x', true],
    ['20.19.0', '>= 0.4', true],
    ['20.19.0', '*', true],
    ['20.19.0', '~20.18.0', false],
    ['20.19.0', '10.* || >= 12.*', true],
    ['20.19.0', '>=16 || 14 >=14.17', true],
  ]
  for (const [version, range, expected] of cases) {
    assert.equal(fallbackSemver.satisfies(version, range), expected, `${version} in '${range}' (fallback)`)
    assert.equal(semver.satisfies(version, range), expected, `${version} in '${range}'`)
  }
})
