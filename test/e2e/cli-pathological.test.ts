import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { reportError } from '../../src/cli/output.js'
import { type CliResult, runCli } from '../helpers/cli.js'

// The CLI as a new user runs it, with the data mistakes users make (issue 13): each case is an input,
// the exit code and a fragment of the one line that must name the problem. Before the fixes, the
// validate cases passed (exit 0) data that `keel train` then rejected or trained into nonsense, and
// the train cases crashed in the metrics (EVAL_INVALID_INPUT about ROC) or registered a model of a
// constant target with r2 = 1.

interface Case {
  readonly name: string
  readonly args: readonly string[]
  readonly code: number
  /** Where the message must appear: validate prints problems on stdout, errors go to stderr. */
  readonly stream: 'stdout' | 'stderr'
  readonly fragment: string
  /** KEEL_HOME relative to the data folder (default '.keel'). */
  readonly home?: string
}

function lines(header: string, rows: number, row: (i: number) => string): string {
  return `${[header, ...Array.from({ length: rows }, (_, i) => row(i))].join('\n')}\n`
}

function makeData(dir: string): void {
  const files: Record<string, string> = {
    'good.csv': lines(
      'id,amount,plan,region,churned',
      60,
      (i) =>
        `c${i},${(i * 7) % 50}.5,${['basic', 'pro', 'team'][i % 3]},${i % 2 === 0 ? 'n' : 's'},${(i * 3) % 2}`,
    ),
    'empty.csv': '',
    'one.csv': 'id,amount,churned\nc1,3.5,1\n',
    'const.csv': lines('a,b,y', 40, (i) => `${i % 4},${i % 3},1`),
    'allmiss.csv': lines('a,b,y', 40, (i) => `${i % 4},${i % 3},`),
    'rare.csv': lines('a,b,y', 40, (i) => `${i % 4},${i % 3},${i === 0 ? 'x' : i % 2 === 0 ? 'p' : 'q'}`),
  }
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  mkdirSync(join(dir, 'folder.csv'))
}

const CASES: readonly Case[] = [
  // Already right before issue 13; kept so that they stay right.
  {
    name: 'empty file',
    args: ['inspect', 'empty.csv'],
    code: 2,
    stream: 'stderr',
    fragment: 'error [DATA_EMPTY]',
  },
  {
    name: 'a directory as the data file',
    args: ['inspect', 'folder.csv'],
    code: 2,
    stream: 'stderr',
    fragment: "error [DATA_FILE_NOT_FOUND]: 'folder.csv' is a directory",
  },
  // validate without --task now infers it as train does, so the target checks run.
  {
    name: 'validate: constant regression target',
    args: ['validate', '--data', 'const.csv', '--target', 'y'],
    code: 1,
    stream: 'stdout',
    fragment: "error [TARGET_CONSTANT] y: Target 'y' holds a single value",
  },
  {
    name: 'validate: target all missing',
    args: ['validate', '--data', 'allmiss.csv', '--target', 'y'],
    code: 1,
    stream: 'stdout',
    fragment: 'error [TARGET_NULLS] y: Target has 40 missing value(s)',
  },
  {
    name: 'validate: multiclass target with a class of one row',
    args: ['validate', '--data', 'rare.csv', '--target', 'y'],
    code: 1,
    stream: 'stdout',
    fragment: 'error [TARGET_RARE_CLASS] y: Class(es) "x" occur only once',
  },
  {
    name: 'validate: one row',
    args: ['validate', '--data', 'one.csv', '--target', 'churned'],
    code: 1,
    stream: 'stdout',
    fragment: 'error [TOO_FEW_ROWS]: The data has 1 labelled row(s); training needs at least 10.',
  },
  {
    name: 'validate: misspelt target',
    args: ['validate', '--data', 'good.csv', '--target', 'churn'],
    code: 1,
    stream: 'stdout',
    fragment: "Target column 'churn' is not in the data (did you mean 'churned'?)",
  },
  {
    name: 'train: misspelt target',
    args: ['train', '--data', 'good.csv', '--target', 'churn'],
    code: 2,
    stream: 'stderr',
    fragment: "error [DATA_COLUMN_NOT_FOUND]: Column 'churn' not found (did you mean 'churned'?)",
  },
  {
    name: 'train: constant regression target',
    args: ['train', '--data', 'const.csv', '--target', 'y', '--model', 'linear'],
    code: 2,
    stream: 'stderr',
    fragment: "error [TARGET_UNUSABLE]: Target 'y' holds a single value (1)",
  },
  {
    name: 'train: multiclass target with a class of one row',
    args: ['train', '--data', 'rare.csv', '--target', 'y', '--model', 'linear'],
    code: 2,
    stream: 'stderr',
    fragment: "error [TARGET_UNUSABLE]: Class(es) 'x' of target 'y' occur in only one row",
  },
  {
    name: 'predict: registry version that does not exist',
    args: ['predict', '--model', 'churn@99', '--input', 'good.csv', '--output', 'out.csv'],
    code: 2,
    stream: 'stderr',
    fragment: "error [NOT_FOUND]: Model 'churn' has no version 99",
  },
  {
    name: 'predict: --output onto the input file',
    args: ['predict', '--model', 'churn@1', '--input', 'good.csv', '--output', 'good.csv'],
    code: 2,
    stream: 'stderr',
    fragment: "error [INVALID_ARGUMENT]: --output 'good.csv' is the input file",
  },
  {
    name: 'KEEL_HOME is a file',
    args: ['runs', 'list'],
    home: 'one.csv',
    code: 2,
    stream: 'stderr',
    fragment: "error [KEEL_HOME_UNUSABLE]: Cannot create Keel's folder",
  },
]

/** Runs `fn` over `items`, at most `limit` at a time (the suite shares two cores). */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

test('keel CLI answers pathological inputs with one clear error line', { timeout: 600_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-pathological-'))
  makeData(dir)
  const keel = (args: readonly string[], home = '.keel'): Promise<CliResult> =>
    // Generous: the machine running the suite may be busy, and each run starts tsx.
    runCli(args, { cwd: dir, env: { KEEL_HOME: join(dir, home), KEEL_DEBUG: '' }, timeoutMs: 240_000 })

  // One model (churn@1) for the predict cases.
  const trained = await keel([
    'train',
    '--data',
    'good.csv',
    '--target',
    'churned',
    '--model',
    'linear',
    '--name',
    'churn',
  ])
  assert.equal(trained.code, 0, trained.stderr)
  const goodBefore = readFileSync(join(dir, 'good.csv'), 'utf8')

  const results = await pool(CASES, 3, (c) => keel(c.args, c.home))
  const failures: string[] = []
  CASES.forEach((c, i) => {
    const r = results[i]!
    const text = c.stream === 'stdout' ? r.stdout : r.stderr
    if (r.code !== c.code || !text.includes(c.fragment))
      failures.push(
        `${c.name}: want exit ${c.code} and '${c.fragment}'; got exit ${r.code}\n${r.stdout}${r.stderr}`,
      )
    // Never a stack trace or the generic internal-error exit.
    if (/\n\s+at /.test(r.stderr) || r.code === 3) failures.push(`${c.name}: internal error\n${r.stderr}`)
  })
  assert.deepEqual(failures, [])
  // Nothing stored is lost: the refused --output left the input as it was.
  assert.equal(readFileSync(join(dir, 'good.csv'), 'utf8'), goodBefore)
})

test('a SQLite lock held by another Keel process is a typed error (exit 2), not an internal error', () => {
  // Concurrent `keel train` runs into one KEEL_HOME used to end with 'error: database is locked' and
  // exit 3 for the losers. Make a real SQLITE_BUSY: one connection holds the write lock, a second
  // one that does not wait tries to write.
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-pathological-busy-'))
  const path = join(dir, 'keel.db')
  const holder = new Database(path)
  holder.exec('create table t (x integer)')
  holder.exec('begin immediate')
  const other = new Database(path, { timeout: 0 })
  let busy: unknown
  try {
    other.exec('insert into t values (1)')
  } catch (error) {
    busy = error
  } finally {
    holder.exec('rollback')
    holder.close()
    other.close()
  }
  assert.ok(busy instanceof Error, 'the second connection should have hit SQLITE_BUSY')
  const written: string[] = []
  const write = process.stderr.write
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk))
    return true
  }) as typeof process.stderr.write
  let code: number
  try {
    code = reportError(busy)
  } finally {
    process.stderr.write = write
  }
  assert.equal(code, 2)
  assert.match(
    written.join(''),
    /(^|\n)error \[STORE_UNAVAILABLE\]: The Keel database is locked by another Keel process/,
  )
})
