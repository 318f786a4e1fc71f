/**
 * Static readers of Keel's own source for the documentation tests: where error codes are raised,
 * and which commands, sub-commands and flags the CLI declares. They read the TypeScript AST (not
 * regular expressions over text), so a multi-line `new RagError(\n  'RAG_…',` or an option spec
 * spread from a shared constant is found the same way as a one-liner.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import ts from 'typescript'

/** Repository root (this file lives in test/). */
export const REPO_ROOT = resolve(import.meta.dirname, '..')

/** Every non-test `.ts` file under `dir`, sorted, as paths relative to the repository root. */
export function sourceFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path)
    }
  }
  walk(resolve(REPO_ROOT, dir))
  return out.map((p) => relative(REPO_ROOT, p))
}

function parse(path: string, text?: string): ts.SourceFile {
  const source = text ?? readFileSync(resolve(REPO_ROOT, path), 'utf8')
  return ts.createSourceFile(path, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
}

const CODE_LITERAL = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/
/** Node's own error codes (`ERR_HTTP_REQUEST_TIMEOUT`, llhttp's `HPE_…`), which Keel re-raises as Node would. */
const NODE_CODE = /^(?:ERR|HPE)_/

/** The string literals an expression can evaluate to, through `a ? 'X' : 'Y'`, `(…)`, `as`, `??`. */
function literalsOf(expr: ts.Expression | undefined): string[] {
  if (expr === undefined) return []
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return [expr.text]
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isSatisfiesExpression(expr))
    return literalsOf(expr.expression)
  if (ts.isConditionalExpression(expr)) return [...literalsOf(expr.whenTrue), ...literalsOf(expr.whenFalse)]
  if (
    ts.isBinaryExpression(expr) &&
    (expr.operatorToken.kind === ts.SyntaxKind.QuestionQuestionToken ||
      expr.operatorToken.kind === ts.SyntaxKind.BarBarToken)
  )
    return [...literalsOf(expr.left), ...literalsOf(expr.right)]
  return []
}

function nameOf(expr: ts.Expression): string | undefined {
  if (ts.isIdentifier(expr)) return expr.text
  if (ts.isPropertyAccessExpression(expr)) return expr.name.text
  return undefined
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** A literal or template message as a pattern (`${…}` matches anything); undefined for other expressions. */
function messagePattern(expr: ts.Expression): RegExp | undefined {
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr))
    return new RegExp(`^${escapeRegExp(expr.text)}$`)
  if (ts.isTemplateExpression(expr)) {
    const parts = [
      escapeRegExp(expr.head.text),
      ...expr.templateSpans.map((s) => `[\\s\\S]*${escapeRegExp(s.literal.text)}`),
    ]
    return new RegExp(`^${parts.join('')}$`)
  }
  return undefined
}

/** Where a code is raised: `error` for an error's own code, `field` for a `code` value in a body or problem. */
export interface CodeSite {
  readonly code: string
  readonly file: string
  readonly line: number
  readonly kind: 'error' | 'field'
  /**
   * For `new XError('CODE', message)` and `super('CODE', message)` with a literal or template
   * message: a pattern every message of this site matches (`${…}` parts match anything).
   */
  readonly message?: RegExp
}

/** Property and variable names that hold a code (`errorCode` is the LLM usage record's). */
const CODE_NAMES = new Set(['code', 'errorCode'])

/**
 * Every error or problem code raised in `text` (a TypeScript file): the first argument of
 * `new SomethingError(…)`, of `super(…)` in a class extending an `…Error`, a `code:` property, an
 * assignment to `code`/`x.code`, and an argument passed to a same-file function's parameter named
 * `code`. Only UPPER_SNAKE literals count. Comparisons (`code === 'X'`) and type unions do not:
 * they read codes, they do not raise them.
 */
export function scanCodeSites(file: string, text?: string): CodeSite[] {
  const sf = parse(file, text)
  const sites: CodeSite[] = []
  const add = (
    expr: ts.Expression | undefined,
    kind: CodeSite['kind'],
    messageExpr?: ts.Expression,
  ): void => {
    if (expr === undefined) return
    const message = messageExpr === undefined ? undefined : messagePattern(messageExpr)
    for (const code of literalsOf(expr))
      if (CODE_LITERAL.test(code) && !NODE_CODE.test(code))
        sites.push({
          code,
          file,
          line: sf.getLineAndCharacterOfPosition(expr.getStart(sf)).line + 1,
          kind,
          ...(message === undefined ? {} : { message }),
        })
  }
  // Functions and methods of this file that take a parameter named `code`, by name → its index.
  const codeParams = new Map<string, number>()
  const collect = (node: ts.Node): void => {
    if (
      (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) &&
      node.name !== undefined &&
      ts.isIdentifier(node.name)
    ) {
      const index = node.parameters.findIndex((p) => ts.isIdentifier(p.name) && p.name.text === 'code')
      if (index >= 0) codeParams.set(node.name.text, index)
    }
    // `const add = (code, …) => …`: an arrow or function expression bound to a name counts too.
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.initializer !== undefined &&
      (ts.isArrowFunction(node.initializer) || ts.isFunctionExpression(node.initializer))
    ) {
      const index = node.initializer.parameters.findIndex(
        (p) => ts.isIdentifier(p.name) && p.name.text === 'code',
      )
      if (index >= 0) codeParams.set(node.name.text, index)
    }
    ts.forEachChild(node, collect)
  }
  collect(sf)
  const extendsError = (node: ts.Node): boolean => {
    let at: ts.Node | undefined = node
    while (at !== undefined && !ts.isClassLike(at)) at = at.parent
    if (at === undefined) return false
    return (at.heritageClauses ?? []).some(
      (h) =>
        h.token === ts.SyntaxKind.ExtendsKeyword &&
        h.types.some((t) => nameOf(t.expression)?.endsWith('Error') === true),
    )
  }
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && nameOf(node.expression)?.endsWith('Error') === true)
      add(node.arguments?.[0], 'error', node.arguments?.[1])
    else if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.SuperKeyword) {
        if (extendsError(node)) add(node.arguments[0], 'error', node.arguments[1])
      } else {
        const callee = nameOf(node.expression)
        const index = callee === undefined ? undefined : codeParams.get(callee)
        if (index !== undefined) add(node.arguments[index], 'field')
      }
    } else if (ts.isPropertyAssignment(node)) {
      const name = propertyName(node.name)
      if (name !== undefined && CODE_NAMES.has(name)) {
        // `{ code: 'X', message: '…' }`: the sibling message is this site's message.
        const sibling = ts.isObjectLiteralExpression(node.parent)
          ? node.parent.properties.find(
              (p): p is ts.PropertyAssignment =>
                ts.isPropertyAssignment(p) && propertyName(p.name) === 'message',
            )
          : undefined
        add(node.initializer, 'field', sibling?.initializer)
      }
    } else if (ts.isVariableDeclaration(node)) {
      if (ts.isIdentifier(node.name) && CODE_NAMES.has(node.name.text)) add(node.initializer, 'field')
    } else if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const target = nameOf(node.left)
      if (target !== undefined && CODE_NAMES.has(target)) add(node.right, 'field')
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return sites
}

/** `scanCodeSites` over every non-test source file under src/. */
export function scanSourceCodeSites(): CodeSite[] {
  return sourceFiles('src').flatMap((file) => scanCodeSites(file))
}

/** The capability folder of a source path: `src/serve/app.ts` → `serve`. */
export function capabilityOf(file: string): string {
  return file.split('/')[1] ?? file
}

/** One `keel` command as its own code declares it. */
export interface CliCommandSurface {
  readonly name: string
  /** The module that implements it, relative to the repository root. */
  readonly file: string
  /** Sub-commands it dispatches on (`models list`, `rag ask`, …); empty when it has none. */
  readonly subcommands: ReadonlySet<string>
  /** Long flags (without `--`) of every option spec in the module. */
  readonly flags: ReadonlySet<string>
}

/** True for a node:util parseArgs option spec: `{ type: 'string' | 'boolean', … }`. */
function isOptionSpec(expr: ts.Expression): boolean {
  if (!ts.isObjectLiteralExpression(expr)) return false
  return expr.properties.some(
    (p) =>
      ts.isPropertyAssignment(p) &&
      propertyName(p.name) === 'type' &&
      literalsOf(p.initializer).some((v) => v === 'string' || v === 'boolean'),
  )
}

/** Flag names declared in a module: every property whose value is an option spec. */
function declaredFlags(sf: ts.SourceFile): Set<string> {
  const flags = new Set<string>()
  const visit = (node: ts.Node): void => {
    if (ts.isPropertyAssignment(node) && isOptionSpec(node.initializer)) {
      const name = propertyName(node.name)
      if (name !== undefined) flags.add(name)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return flags
}

const NOT_SUBCOMMANDS = new Set(['help', '--help', '-h'])

/**
 * Sub-commands: `case 'x':` of a `switch (sub)`, `sub === 'x'` / `sub !== 'x'` tests, and the keys of
 * the table given to `runSubcommand(command, argv, { x, y: run })` (src/cli/args.ts).
 */
function declaredSubcommands(sf: ts.SourceFile): Set<string> {
  const subs = new Set<string>()
  const isSub = (e: ts.Expression): boolean => ts.isIdentifier(e) && /^sub(command)?$/.test(e.text)
  const visit = (node: ts.Node): void => {
    if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'runSubcommand' &&
      node.arguments[2] !== undefined &&
      ts.isObjectLiteralExpression(node.arguments[2])
    ) {
      for (const p of node.arguments[2].properties) {
        const key = ts.isSpreadAssignment(p) || p.name === undefined ? undefined : propertyName(p.name)
        if (key !== undefined) subs.add(key)
      }
    } else if (ts.isSwitchStatement(node) && isSub(node.expression)) {
      for (const clause of node.caseBlock.clauses)
        if (ts.isCaseClause(clause)) for (const v of literalsOf(clause.expression)) subs.add(v)
    } else if (
      ts.isBinaryExpression(node) &&
      [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(
        node.operatorToken.kind,
      )
    ) {
      if (isSub(node.left)) for (const v of literalsOf(node.right)) subs.add(v)
      if (isSub(node.right)) for (const v of literalsOf(node.left)) subs.add(v)
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  for (const s of NOT_SUBCOMMANDS) subs.delete(s)
  return subs
}

/**
 * The CLI as declared by its code: the command table of src/cli/main.ts (each entry's `name` and
 * the module its `load` imports), and per command the sub-commands it dispatches on and the flags
 * of its option specs. New commands and flags are picked up without touching the docs tests.
 */
export function cliSurface(): Map<string, CliCommandSurface> {
  const mainFile = 'src/cli/main.ts'
  const sf = parse(mainFile)
  const commands = new Map<string, CliCommandSurface>()
  const visit = (node: ts.Node): void => {
    if (ts.isObjectLiteralExpression(node)) {
      let name: string | undefined
      let module: string | undefined
      for (const p of node.properties) {
        if (ts.isPropertyAssignment(p) && propertyName(p.name) === 'name') name = literalsOf(p.initializer)[0]
        const findImport = (n: ts.Node): void => {
          if (
            ts.isCallExpression(n) &&
            n.expression.kind === ts.SyntaxKind.ImportKeyword &&
            n.arguments[0] !== undefined
          )
            module = literalsOf(n.arguments[0])[0]
          ts.forEachChild(n, findImport)
        }
        if (!ts.isSpreadAssignment(p) && propertyName(p.name) === 'load') findImport(p)
      }
      if (name !== undefined && module !== undefined) {
        const file = relative(
          REPO_ROOT,
          resolve(REPO_ROOT, dirname(mainFile), module.replace(/\.js$/, '.ts')),
        )
        const commandSf = parse(file)
        commands.set(name, {
          name,
          file,
          subcommands: declaredSubcommands(commandSf),
          flags: declaredFlags(commandSf),
        })
        return
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  if (commands.size === 0) throw new Error(`No command table found in ${mainFile}.`)
  return commands
}
