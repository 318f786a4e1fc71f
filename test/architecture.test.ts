import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { dirname, join, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

/**
 * The layering of src/ (see .dependency-cruiser.cjs): no circle between capability folders, and no
 * import from a lower layer into a higher one. Runs the same dependency-cruiser check as
 * `npm run lint:deps`, so CI's `npm test` fails with the offending imports listed.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

interface CruiseViolation {
  readonly from: string
  readonly to: string
  readonly rule: { readonly name: string; readonly severity: 'error' | 'warn' | 'info' | 'ignore' }
  readonly cycle?: readonly { readonly name: string }[]
}

interface CruiseResult {
  readonly modules: readonly {
    readonly source: string
    readonly dependencies: readonly { readonly resolved: string }[]
  }[]
  readonly summary: { readonly violations: readonly CruiseViolation[] }
}

function cruise(): CruiseResult {
  // The package's bin, run by this Node: no shell, no npx lookup.
  const bin = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')
  const run = spawnSync(
    process.execPath,
    [bin, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  )
  // Exit status is the number of error-level violations; the JSON is printed either way.
  assert.ok(run.stdout.length > 0, `dependency-cruiser printed nothing: ${run.stderr}`)
  return JSON.parse(run.stdout) as CruiseResult
}

function describeViolation(v: CruiseViolation): string {
  const path =
    v.cycle === undefined ? `${v.from} → ${v.to}` : [v.from, ...v.cycle.map((c) => c.name)].join(' → ')
  return `${v.rule.name}: ${path}`
}

/** The capability folder of a src/ path (`src/serve/app.ts` → `serve`); undefined for src/index.ts. */
function folderOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined
}

/** Strongly connected components of more than one node (Tarjan). */
function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let counter = 0
  const index = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const out: string[][] = []
  const visit = (v: string): void => {
    index.set(v, counter)
    low.set(v, counter)
    counter++
    stack.push(v)
    onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!))
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        onStack.delete(w)
        component.push(w)
      } while (w !== v)
      if (component.length > 1) out.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!index.has(v)) visit(v)
  return out
}

test('src/ keeps its layering (dependency-cruiser rules, `npm run lint:deps`)', () => {
  const result = cruise()
  assert.ok(result.modules.length > 100, `only ${result.modules.length} modules cruised: is src/ there?`)
  const errors = result.summary.violations.filter((v) => v.rule.severity === 'error')
  assert.deepEqual(
    errors.map(describeViolation),
    [],
    'imports that break the layering (see the rule comments in .dependency-cruiser.cjs)',
  )

  // The folder graph itself, independently of how the rules are written: any import of folder B
  // by folder A (types included) is an edge A → B, and no set of folders may reach each other.
  const graph = new Map<string, Set<string>>()
  const edges = new Map<string, string>()
  for (const m of result.modules) {
    const from = folderOf(m.source)
    if (from === undefined || m.source.endsWith('.test.ts')) continue
    for (const d of m.dependencies) {
      const to = folderOf(d.resolved)
      if (to === undefined || to === from) continue
      const targets = graph.get(from) ?? new Set<string>()
      graph.set(from, targets)
      targets.add(to)
      edges.set(`${from} → ${to}`, `${m.source} → ${d.resolved}`)
    }
  }
  const circles = cycles(graph)
  assert.deepEqual(
    circles.map((c) => {
      const inCircle = [...edges].filter(
        ([k]) => c.some((a) => k.startsWith(`${a} →`)) && c.some((b) => k.endsWith(`→ ${b}`)),
      )
      return `${c.join(', ')}: ${inCircle.map(([k, example]) => `${k} (e.g. ${example})`).join('; ')}`
    }),
    [],
    'capability folders that import each other in a circle',
  )
})
