/**
 * The docs name only commands, flags, endpoints and metrics that exist. Commands and flags come from
 * the CLI's own command table and option specs (test/docs-scan.ts), endpoints from the route table
 * of a started server, metrics from the server's registry and the LLM client's; so a new flag or
 * route is picked up without editing this test, and a doc naming a removed one fails it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative, resolve } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { Registry } from 'prom-client'
import { ERROR_CODES, PROBLEM_CODES } from '../src/core/error-codes.js'
import { LlmUsageRecorder } from '../src/llm/usage.js'
import { createServer, type KeelServer } from '../src/serve/index.js'
import { createMemoryModelSource } from '../src/serve/memory-source.js'
import { type CliCommandSurface, cliSurface, REPO_ROOT, sourceFiles } from './docs-scan.js'
import { fakeModel } from './helpers/serve-fixtures.js'

/** What the docs are checked against. */
interface Surface {
  readonly commands: ReadonlyMap<string, CliCommandSurface>
  /** Route paths with `:param` segments, and their methods. */
  readonly routes: ReadonlyMap<string, ReadonlySet<string>>
  readonly metrics: ReadonlySet<string>
}

const CODES = new Set([...Object.keys(ERROR_CODES), ...Object.keys(PROBLEM_CODES)])
/** First words of catalogued codes (`DATA`, `SERVE`, …): a doc's `DATA_…` span must be a real code. */
const CODE_PREFIXES = new Set([...CODES].map((c) => c.split('_')[0]))
/**
 * Environment variables Keel and its test helpers read (`KEEL_HOME`, `KEEL_TEST_DATABASE_URL`, …):
 * named in docs, but not codes.
 */
const ENV_VARIABLES = new Set(
  [
    ...[...sourceFiles('src'), ...sourceFiles('test/helpers')].flatMap((f) => [
      ...readFileSync(resolve(REPO_ROOT, f), 'utf8').matchAll(/\bKEEL_[A-Z0-9_]+\b/g),
    ]),
  ]
    .map((m) => m[0])
    .filter((name) => !CODES.has(name)),
)

/** Flags every command takes (handled by src/cli/main.ts). */
const GLOBAL_FLAGS = new Set(['help', 'version'])
const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD']

/** Full paths and methods from Fastify's `printRoutes()` tree (one node per line, 4 columns per level). */
export function parseRouteTree(tree: string): Map<string, Set<string>> {
  const routes = new Map<string, Set<string>>()
  const stack: string[] = []
  for (const line of tree.split('\n')) {
    const at = Math.max(line.indexOf('├── '), line.indexOf('└── '))
    if (at < 0) continue
    const m = /^(\S+?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 4).trimEnd())
    if (m?.[1] === undefined) continue
    const depth = Math.floor(at / 4)
    stack.length = depth
    const path = `${stack.at(-1) ?? ''}${m[1]}`.replace(/\/\/+/g, '/')
    stack.push(path)
    if (m[2] !== undefined) {
      const methods = routes.get(path) ?? new Set<string>()
      for (const method of m[2].split(',')) methods.add(method.trim())
      routes.set(path, methods)
    }
  }
  return routes
}

/** Normalises a documented path: `{name}`/`:name` → `:param`, query and `[optional]` parts dropped. */
function normalisePath(path: string): string {
  return path
    .replace(/\[.*$/, '')
    .replace(/\?.*$/, '')
    .replace(/\{[^}]+\}|:[A-Za-z_]+/g, ':param')
    .replace(/(.)\/$/, '$1')
}

function routeMatches(routes: Surface['routes'], method: string | undefined, path: string): boolean {
  const wanted = normalisePath(path)
  if (wanted.endsWith('/*')) {
    const prefix = wanted.slice(0, -1)
    return [...routes.keys()].some((p) => p.startsWith(prefix))
  }
  const segments = wanted.split('/')
  // A route's `:param` segment matches any documented segment (`{name}`, or a value such as `churn`).
  const matches = (routePath: string): boolean => {
    const route = routePath.split('/')
    return (
      route.length === segments.length &&
      route.every((r, i) => r === segments[i] || (r.startsWith(':') && segments[i] !== ''))
    )
  }
  for (const [routePath, methods] of routes)
    if (matches(routePath) && (method === undefined || methods.has(method))) return true
  return false
}

/** Inline code spans and code-block lines of a Markdown text, each with its line number and paragraph. */
function codeFragments(text: string): { text: string; line: number; paragraph: string; block: boolean }[] {
  const out: { text: string; line: number; paragraph: string; block: boolean }[] = []
  const lines = text.split('\n')
  const paragraphs: string[] = []
  let current: string[] = []
  let inBlock = false
  const paragraphOf: number[] = []
  for (const line of lines) {
    if (line.trim() === '' && !inBlock) {
      paragraphs.push(current.join('\n'))
      current = []
    }
    if (line.trimStart().startsWith('```')) inBlock = !inBlock
    current.push(line)
    paragraphOf.push(paragraphs.length)
  }
  paragraphs.push(current.join('\n'))
  inBlock = false
  lines.forEach((line, i) => {
    const paragraph = paragraphs[paragraphOf[i] ?? 0] ?? ''
    if (line.trimStart().startsWith('```')) {
      inBlock = !inBlock
      return
    }
    if (inBlock) out.push({ text: line, line: i + 1, paragraph, block: true })
    else
      for (const m of line.matchAll(/`([^`]+)`/g))
        out.push({ text: m[1] ?? '', line: i + 1, paragraph, block: false })
  })
  return out
}

/** Every mention in `text` (a Markdown file named `file`) of a command, flag, endpoint or metric that does not exist. */
export function checkDoc(file: string, text: string, surface: Surface): string[] {
  const problems: string[] = []
  const allFlags = new Set([...surface.commands.values()].flatMap((c) => [...c.flags]))
  const report = (line: number, what: string): void => {
    problems.push(`${file}:${line}: ${what}`)
  }
  for (const fragment of codeFragments(text)) {
    const { line } = fragment
    // Commands and their flags: `keel CMD [SUB] [--flag …]`, also after `npx`, `&&`, `;` or `|`.
    for (const segment of fragment.text.replace(/\s#.*$/, '').split(/&&|;|\|\|/)) {
      const m = /(?:^|\s)(?:npx\s+)?keel\s+([a-z][a-z-]*|--?[a-z-]+)(.*)$/.exec(segment)
      if (m === null) continue
      const name = m[1] ?? ''
      const rest = (m[2] ?? '').trim()
      if (name.startsWith('-')) {
        if (!GLOBAL_FLAGS.has(name.replace(/^-+/, ''))) report(line, `'keel ${name}': no such global flag`)
        continue
      }
      const command = surface.commands.get(name)
      if (command === undefined) {
        report(line, `'keel ${name}': no such command (commands: ${[...surface.commands.keys()].join(', ')})`)
        continue
      }
      const tokens = rest.split(/\s+/).filter((t) => t !== '')
      const first = tokens[0]
      if (command.subcommands.size > 0 && first !== undefined && /^<?[a-z]/.test(first)) {
        for (const sub of first.replace(/^<|>$/g, '').split(/[/|]/))
          if (sub !== '' && !command.subcommands.has(sub))
            report(
              line,
              `'keel ${name} ${sub}': no such sub-command (${[...command.subcommands].join(', ')})`,
            )
      }
      for (const token of tokens) {
        const flag = /^\[?--([a-z][a-z0-9-]*)/.exec(token)?.[1]
        if (flag !== undefined && !command.flags.has(flag) && !GLOBAL_FLAGS.has(flag))
          report(line, `'keel ${name} --${flag}': no such flag (flags: ${[...command.flags].join(', ')})`)
      }
    }
    // A flag on its own (`--json`): it must exist on a command the paragraph names, or on some command.
    const lone = /^--([a-z][a-z0-9-]*)/.exec(fragment.text.trim())?.[1]
    if (lone !== undefined && !fragment.block) {
      const named = [...fragment.paragraph.matchAll(/keel ([a-z][a-z-]*)/g)]
        .map((n) => surface.commands.get(n[1] ?? ''))
        .filter((c): c is CliCommandSurface => c !== undefined)
      const flags = named.length > 0 ? new Set(named.flatMap((c) => [...c.flags])) : allFlags
      if (!flags.has(lone) && !GLOBAL_FLAGS.has(lone))
        report(
          line,
          `'--${lone}': no such flag on ${named.length > 0 ? named.map((c) => `keel ${c.name}`).join(', ') : 'any command'}`,
        )
    }
    // Endpoints: `GET /path`, `GET/POST /path`, `/path`, and curl lines against localhost.
    const endpoint =
      /^((?:[A-Z]+\/)*[A-Z]+)\s+(\/\S*)$/.exec(fragment.text.trim()) ??
      (fragment.block ? null : /^()(\/[A-Za-z0-9_./{}:*?=&[\]-]*)$/.exec(fragment.text.trim()))
    if (endpoint !== null) {
      const methods = (endpoint[1] ?? '').split('/').filter((x) => METHODS.includes(x))
      const path = endpoint[2] ?? ''
      for (const method of methods.length > 0 ? methods : [undefined])
        if (!routeMatches(surface.routes, method, path))
          report(line, `'${method === undefined ? '' : `${method} `}${path}': no such route on the server`)
    }
    if (fragment.block && /\bcurl\b/.test(fragment.text)) {
      const url = /(?:localhost|127\.0\.0\.1):\d+(\/[^\s'"]*)/.exec(fragment.text)
      const method =
        /-X\s*([A-Z]+)/.exec(fragment.text)?.[1] ?? (/\s-d\s/.test(fragment.text) ? 'POST' : 'GET')
      if (url?.[1] !== undefined && !routeMatches(surface.routes, method, url[1]))
        report(line, `'${method} ${url[1]}': no such route on the server`)
    }
    // Error and problem codes: `SERVE_…`, `DATA_…` and the like must be in the catalogue.
    const code = fragment.block
      ? undefined
      : /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/.exec(fragment.text.trim())?.[0]
    if (
      code !== undefined &&
      CODE_PREFIXES.has(code.split('_')[0]) &&
      !CODES.has(code) &&
      !ENV_VARIABLES.has(code)
    )
      report(line, `'${code}': no such error or problem code (see docs/errors.md)`)
    // Metrics: `keel_…` (a trailing `*` is a prefix; labels in braces are ignored).
    for (const m of fragment.text.matchAll(/\bkeel_[a-z0-9_]+\*?/g)) {
      const name = m[0]
      const exists = name.endsWith('*')
        ? [...surface.metrics].some((metric) => metric.startsWith(name.slice(0, -1)))
        : surface.metrics.has(name)
      if (!exists) report(line, `'${name}': no such metric`)
    }
  }
  return problems
}

function markdownFiles(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(...markdownFiles(path))
    else if (name.endsWith('.md')) out.push(path)
  }
  return out
}

/** The documents checked: the sample corpus `keel rag ask` answers from, and the READMEs. */
const DOCS = [
  ...markdownFiles(resolve(REPO_ROOT, 'examples/docs')),
  resolve(REPO_ROOT, 'README.md'),
  resolve(REPO_ROOT, 'src/serve/README.md'),
]

describe('docs name only commands, flags, endpoints and metrics that exist', () => {
  let server: KeelServer
  let home: string
  let surface: Surface
  const previousHome = process.env.KEEL_HOME

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'keel-docs-'))
    process.env.KEEL_HOME = home
    const source = createMemoryModelSource([fakeModel()])
    // Every optional route group on: a database (feedback, experiments, monitor) and RAG.
    server = await createServer({
      source,
      config: { models: ['churn'], rag: { enabled: true, collection: 'docs' } },
      db: `sqlite:${join(home, 'keel.db')}`,
      logger: false,
    })
    const llmRegistry = new Registry()
    new LlmUsageRecorder(undefined, llmRegistry)
    const metricNames = [
      ...(await server.metrics.registry.getMetricsAsJSON()).map((m) => m.name),
      ...(await llmRegistry.getMetricsAsJSON()).map((m) => m.name),
    ]
    surface = {
      commands: cliSurface(),
      routes: parseRouteTree(server.app.printRoutes({ commonPrefix: false })),
      metrics: new Set(metricNames),
    }
  })
  after(async () => {
    await server?.close()
    if (previousHome === undefined) delete process.env.KEEL_HOME
    else process.env.KEEL_HOME = previousHome
    rmSync(home, { recursive: true, force: true })
  })

  test('the surface is read from the code (sanity: an empty surface would fail every doc)', () => {
    assert.ok(surface.commands.get('train')?.flags.has('target'))
    assert.ok(surface.commands.get('models')?.subcommands.has('rollback'))
    assert.ok(
      surface.routes.get('/v1/models/:name/predict')?.has('POST'),
      [...surface.routes.keys()].join(' '),
    )
    assert.ok(surface.routes.get('/health')?.has('GET'))
    assert.ok(surface.metrics.has('keel_requests_total'))
    assert.ok(surface.metrics.has('keel_llm_requests_total'))
  })

  for (const path of DOCS) {
    const name = relative(REPO_ROOT, path)
    test(name, () => {
      assert.deepEqual(checkDoc(name, readFileSync(path, 'utf8'), surface), [])
    })
  }

  test('a planted command, sub-command, flag, endpoint and metric are each reported', () => {
    const planted = [
      '# Planted',
      '',
      '`keel validate FILE --schema S` and `keel trian --data x.csv`.',
      '',
      '```bash',
      'keel models promot churn 2',
      'curl -X POST localhost:8080/v1/model/churn/predict -d "{}"',
      '```',
      '',
      '`GET /healthz`, `/readyz`, `keel_predictions_total` and `--jsn` with `keel runs`.',
      '`ARTIFACT_CORRUPT`, not `KEEL_HOME`.',
      '',
      'Fine: `keel validate --data d.csv --json`, `GET /v1/models/{name}`, `keel_drift_*`.',
    ].join('\n')
    assert.deepEqual(checkDoc('planted.md', planted, surface), [
      "planted.md:3: 'keel validate --schema': no such flag (flags: data, target, task, config, delimiter, encoding, json)".replace(
        '(flags: data, target, task, config, delimiter, encoding, json)',
        `(flags: ${[...(surface.commands.get('validate')?.flags ?? [])].join(', ')})`,
      ),
      `planted.md:3: 'keel trian': no such command (commands: ${[...surface.commands.keys()].join(', ')})`,
      `planted.md:6: 'keel models promot': no such sub-command (${[...(surface.commands.get('models')?.subcommands ?? [])].join(', ')})`,
      "planted.md:7: 'POST /v1/model/churn/predict': no such route on the server",
      "planted.md:10: 'GET /healthz': no such route on the server",
      "planted.md:10: '/readyz': no such route on the server",
      "planted.md:10: 'keel_predictions_total': no such metric",
      "planted.md:10: '--jsn': no such flag on keel runs",
      "planted.md:11: 'ARTIFACT_CORRUPT': no such error or problem code (see docs/errors.md)",
    ])
  })
})
