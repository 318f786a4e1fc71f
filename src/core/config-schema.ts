import { z } from 'zod'
import { nearest } from './suggest.js'

/** One problem in a user-written config, at a path such as `models[1].breaker.coolDownMs`. */
export interface ConfigProblem {
  /** Dotted path of the bad value (`[i]` for list items); `''` for the top level. */
  readonly path: string
  /** `unknown_key` for a key the schema does not have, else zod's issue code (`invalid_type`, ...). */
  readonly code: string
  /** What is wrong, without the path (e.g. `unknown key; did you mean 'pollIntervalMs'?`). */
  readonly message: string
  /** For an unknown key: the nearest valid key, when one is close enough to be a typo. */
  readonly suggestion?: string
}

/** Result of `parseConfig`: the typed value, or every problem found. */
export type ConfigParseResult<T> =
  | { readonly success: true; readonly data: T }
  | { readonly success: false; readonly problems: readonly ConfigProblem[] }

/** Dotted path with `[i]` for list items: `['models', 1, 'ref']` → `models[1].ref`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}

/** Known keys listed in a message when no single one is close (more would be noise). */
const MAX_LISTED_KEYS = 12

/**
 * Validates user-written config against a zod schema and returns every problem with its path. Use
 * `z.strictObject` in config schemas: this turns zod's "unrecognized keys" issue into one problem per
 * unknown key, named with its full path and the nearest valid key (`pollIntervalMS` → "did you mean
 * 'pollIntervalMs'?"), and unwraps unions so that a typo inside an object entry of `string | object`
 * is reported as such rather than as "Invalid input".
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown): ConfigParseResult<z.output<S>> {
  // Zod's issue for unknown keys lists the keys but not the valid ones; the error map sees the object
  // schema that raised it, so record its keys per issue (the final issue keeps the same `keys` array).
  const knownKeys = new Map<readonly string[], readonly string[]>()
  const result = schema.safeParse(input, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys' && issue.inst instanceof z.ZodObject)
        knownKeys.set(issue.keys, Object.keys(issue.inst.shape))
      return undefined
    },
  })
  if (result.success) return { success: true, data: result.data }
  const problems: ConfigProblem[] = []
  collect(result.error.issues, [], knownKeys, problems)
  // `flushIntervalMS: 100` for a required `flushIntervalMs` also reads as "flushIntervalMs missing";
  // the unknown-key problem already says what to fix, so drop the echo.
  const suggested = new Set(
    problems.flatMap((p) =>
      p.suggestion === undefined ? [] : [`${p.path.slice(0, p.path.lastIndexOf('.') + 1)}${p.suggestion}`],
    ),
  )
  const kept = problems.filter(
    (p) => !(p.code === 'invalid_type' && /received undefined$/.test(p.message) && suggested.has(p.path)),
  )
  return { success: false, problems: kept }
}

function collect(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
  knownKeys: ReadonlyMap<readonly string[], readonly string[]>,
  out: ConfigProblem[],
): void {
  for (const issue of issues) {
    const path = [...prefix, ...issue.path]
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys.get(issue.keys) ?? []
      for (const key of issue.keys) {
        const suggestion = nearest(key, known)
        const hint =
          suggestion !== undefined
            ? `; did you mean '${suggestion}'?`
            : known.length > 0 && known.length <= MAX_LISTED_KEYS
              ? `; expected one of: ${known.join(', ')}`
              : ''
        out.push({
          path: formatConfigPath([...path, key]),
          code: 'unknown_key',
          message: `unknown key${hint}`,
          ...(suggestion === undefined ? {} : { suggestion }),
        })
      }
      continue
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch the user meant: the one that got furthest into the value. A branch that
      // failed only on the type at the union's own level (the string branch of `string | {ref}`
      // given an object) ranks lowest, one that only disliked the value (an enum) ranks next.
      const ranks = issue.errors.map(branchRank)
      const top = Math.max(...ranks)
      const meant = issue.errors.filter((_, i) => ranks[i] === top)
      if (meant.length === 1) {
        collect(meant[0]!, path, knownKeys, out)
        continue
      }
      if (top === 0) {
        const expected = [
          ...new Set(
            issue.errors.flatMap((branch) =>
              branch.map((i) => (i.code === 'invalid_type' ? i.expected : '')),
            ),
          ),
        ].filter((e) => e !== '')
        out.push({
          path: formatConfigPath(path),
          code: issue.code,
          message: `expected ${expected.join(' or ')}`,
        })
        continue
      }
    }
    out.push({ path: formatConfigPath(path), code: issue.code, message: issue.message })
  }
}

/** 0: wrong type at the union's level; 1: right type, wrong value; 2: failed deeper inside. */
function branchRank(branch: readonly z.core.$ZodIssue[]): number {
  if (branch.some((i) => i.path.length > 0 || (i.code !== 'invalid_type' && i.code !== 'invalid_value')))
    return 2
  return branch.some((i) => i.code === 'invalid_value') ? 1 : 0
}

/** One line per problem: `path: message` (`(top level)` for the root). */
export function formatConfigProblems(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => `${p.path === '' ? '(top level)' : p.path}: ${p.message}`)
}
