/**
 * Writes docs/errors.md from the error-code catalogue (src/core/error-codes.ts).
 *
 *   node --import tsx scripts/gen-errors.ts           # rewrite docs/errors.md
 *   node --import tsx scripts/gen-errors.ts --check   # exit 1 when docs/errors.md is stale
 *
 * test/docs-errors.test.ts fails when the committed file differs from `renderErrorsMarkdown()`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  ERROR_CODES,
  type ErrorCodeInfo,
  PROBLEM_CODES,
  type ProblemCodeInfo,
} from '../src/core/error-codes.js'

/** Where the generated file lives, relative to the repository root. */
export const ERRORS_DOC_PATH = 'docs/errors.md'

/** A table cell: pipes escaped, line breaks kept visible. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', '<br>')
}

function sortedEntries<T>(table: Readonly<Record<string, T>>): [string, T][] {
  return Object.entries(table).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}

/** The full text of docs/errors.md. */
export function renderErrorsMarkdown(): string {
  const errors = sortedEntries<ErrorCodeInfo>(ERROR_CODES)
  const problems = sortedEntries<ProblemCodeInfo>(PROBLEM_CODES)
  const out = [
    '# Error codes',
    '',
    '<!-- Generated from src/core/error-codes.ts by `node --import tsx scripts/gen-errors.ts`; do not edit. -->',
    '',
    'Every error Keel raises on purpose is an `AppError` with a stable `code`, a message that says what',
    'happened, what was received and what to do, and structured `details`. The CLI prints',
    '`error [CODE]: message` on stderr and exits 2 (1 means a check such as `keel validate` found problems,',
    '3 an unexpected internal error; `KEEL_DEBUG=1` adds the stack trace). The server answers',
    '`{"error": {"code", "message", "requestId", "problems"?}}` with the HTTP status below; a code with no',
    'status is not expected over HTTP, so if one reaches a route the client gets 500 `SERVE_INTERNAL` with',
    'a generic message and the request id, and the details go to the server log only.',
    '',
    `## Error codes (${errors.length})`,
    '',
    '| code | HTTP | raised in | meaning | what to do | example message |',
    '|---|---|---|---|---|---|',
    ...errors.map(
      ([code, e]) =>
        `| \`${code}\` | ${e.httpStatus ?? '–'} | ${e.thrownIn.join(', ')} | ${cell(e.summary)} | ${cell(e.hint)} | ${cell(e.example)} |`,
    ),
    '',
    '### Notes',
    '',
    ...errors.flatMap(([code, e]) => (e.note === undefined ? [] : [`- \`${code}\`: ${e.note}`])),
    '',
    `## Problem codes (${problems.length})`,
    '',
    'A problem is one entry of a list, not an error of its own: `keel validate` prints each as',
    '`error [CODE] column: message` (or `warning`) and lists them under `errors`/`warnings` with `--json`;',
    'a 400 `SERVE_BAD_REQUEST` or 422 `SERVE_INVALID_FEATURES` body lists them as',
    '`problems: [{row?, field, code, reason}]`.',
    '',
    '| code | reported by | meaning | example |',
    '|---|---|---|---|',
    ...problems.map(
      ([code, p]) => `| \`${code}\` | ${p.reportedBy} | ${cell(p.summary)} | ${cell(p.example)} |`,
    ),
    '',
  ]
  return out.join('\n')
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)
if (isMain) {
  const path = resolve(import.meta.dirname, '..', ERRORS_DOC_PATH)
  const text = renderErrorsMarkdown()
  if (process.argv.includes('--check')) {
    const current = readFileSync(path, 'utf8')
    if (current !== text) {
      process.stderr.write(`${ERRORS_DOC_PATH} is stale: run node --import tsx scripts/gen-errors.ts\n`)
      process.exit(1)
    }
  } else {
    writeFileSync(path, text)
    process.stdout.write(
      `${ERRORS_DOC_PATH}: ${Object.keys(ERROR_CODES).length} error codes, ${Object.keys(PROBLEM_CODES).length} problem codes\n`,
    )
  }
}
