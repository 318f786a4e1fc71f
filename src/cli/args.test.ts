import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runCliInProcess } from '../../test/helpers/cli.js'
import { AppError } from '../core/index.js'
import { parseCommandArgs, unknownSubcommand } from './args.js'

const OPTIONS = {
  data: { type: 'string' },
  target: { type: 'string' },
  alpha: { type: 'string' },
  json: { type: 'boolean' },
} as const
const SHAPE = { command: 'keel train', positionalHint: 'pass the data file with --data FILE' }

function usageMessage(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`)
    assert.equal(error.code, 'CLI_USAGE')
    assert.ok(!error.message.includes('\n'), `one line expected: ${error.message}`)
    return error.message
  }
  assert.fail('expected a usage error')
}

test('parseCommandArgs: an unknown option is named with the nearest known one', () => {
  assert.equal(
    usageMessage(() => parseCommandArgs(['--data', 'd.csv', '--trget', 'y'], OPTIONS, '', SHAPE)),
    "Unknown option '--trget' for keel train (did you mean '--target'?). Run 'keel train --help' for its options.",
  )
  assert.equal(
    usageMessage(() => parseCommandArgs(['--zzz'], OPTIONS, '', SHAPE)),
    "Unknown option '--zzz' for keel train. Run 'keel train --help' for its options.",
  )
  assert.match(
    usageMessage(() => parseCommandArgs(['-t', 'y'], OPTIONS, '', SHAPE)),
    /Unknown option '-t'/,
  )
})

test('parseCommandArgs: unexpected positionals are rejected by name, up to maxPositionals', () => {
  assert.equal(
    usageMessage(() => parseCommandArgs(['data.csv', '--target', 'y'], OPTIONS, '', SHAPE)),
    "Unexpected argument 'data.csv': keel train takes no positional arguments; pass the data file with " +
      "--data FILE. Run 'keel train --help' for its options.",
  )
  const one = { command: 'keel inspect', maxPositionals: 1 }
  assert.deepEqual(parseCommandArgs(['a.csv', '--json'], OPTIONS, '', one).positionals, ['a.csv'])
  assert.match(
    usageMessage(() => parseCommandArgs(['a.csv', 'b.csv'], OPTIONS, '', one)),
    /^Unexpected argument 'b.csv': keel inspect takes at most 1 positional argument/,
  )
  // After `--` everything is positional, and still counted.
  assert.match(
    usageMessage(() => parseCommandArgs(['--', '--data'], OPTIONS, '', SHAPE)),
    /'--data'/,
  )
  // Without a shape (older callers) positionals are the command's business.
  assert.deepEqual(parseCommandArgs(['a', 'b'], OPTIONS, 'Usage: keel x').positionals, ['a', 'b'])
})

test('parseCommandArgs: flag values and missing values', () => {
  assert.match(
    usageMessage(() => parseCommandArgs(['--json=yes'], OPTIONS, '', SHAPE)),
    /'--json' is a flag/,
  )
  assert.match(
    usageMessage(() => parseCommandArgs(['--target'], OPTIONS, '', SHAPE)),
    /'--target' needs a value/,
  )
  assert.match(
    usageMessage(() => parseCommandArgs(['--target', '--json'], OPTIONS, '', SHAPE)),
    /'--target' needs a value/,
  )
  // A negative number after a string option is its value, not an option.
  assert.equal(parseCommandArgs(['--alpha', '-0.5'], OPTIONS, '', SHAPE).values.alpha, '-0.5')
  assert.deepEqual(
    { ...parseCommandArgs(['--target=y', '--json'], OPTIONS, '', SHAPE).values },
    {
      target: 'y',
      json: true,
    },
  )
})

test('unknownSubcommand suggests the nearest sub-command', () => {
  const error = unknownSubcommand('keel models', 'promot', ['list', 'show', 'promote', 'rollback'])
  assert.equal(error.code, 'CLI_USAGE')
  assert.equal(
    error.message,
    "Unknown sub-command 'promot' for keel models (did you mean 'promote'?). Use one of: list, show, promote, rollback.",
  )
  assert.match(unknownSubcommand('keel runs', undefined, ['list']).message, /needs a sub-command: list/)
})

/** Runs `main` in-process (stderr is what these tests read). */
const keel = runCliInProcess

test('keel: a mistyped command gets the nearest one, in one line, exit 2', async () => {
  const typo = await keel('trian', '--data', 'x.csv')
  assert.equal(typo.code, 2)
  assert.equal(
    typo.stderr,
    "error [CLI_USAGE]: Unknown command 'trian' (did you mean 'train'?). Run 'keel --help' for the list of commands.\n",
  )
  const far = await keel('frobnicate')
  assert.equal(far.code, 2)
  assert.match(far.stderr, /^error \[CLI_USAGE\]: Unknown command 'frobnicate'\. Run 'keel --help'/)
  const option = await keel('--verison')
  assert.equal(option.code, 2)
  assert.match(option.stderr, /Unknown option '--verison' \(did you mean '--version'\?\)/)
})

// Every command and sub-command rejects an option it does not know and a positional it does not use,
// before doing any work (so none of these touch a file or database).
const UNKNOWN_OPTION: readonly (readonly string[])[] = [
  ['quickstart'],
  ['inspect', 'a.csv'],
  ['validate'],
  ['train'],
  ['predict'],
  ['runs', 'list'],
  ['runs', 'show', 'abcdef'],
  ['runs', 'compare', 'a', 'b'],
  ['runs', 'tag', 'a', 'k=v'],
  ['runs', 'note', 'a', 'text'],
  ['models', 'list'],
  ['models', 'show', 'm'],
  ['models', 'history', 'm'],
  ['models', 'card', 'm'],
  ['models', 'promote', 'm', '1'],
  ['models', 'rollback', 'm'],
  ['report', 'run'],
  ['serve'],
  ['ab', 'report', 'e'],
  ['monitor', 'drift'],
  ['rag', 'ingest', 'docs'],
  ['rag', 'ask', 'why'],
  ['rag', 'eval', 'q.jsonl'],
]

test('keel: every command rejects an unknown option by name (exit 2, one line)', async () => {
  for (const argv of UNKNOWN_OPTION) {
    const r = await keel(...argv, '--bogus-flag')
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
    assert.match(
      r.stderr,
      /^error \[CLI_USAGE\]: Unknown option '--bogus-flag' for keel [a-z ]+\. Run 'keel /,
    )
    assert.equal(r.stderr.split('\n').length, 2, `one line for ${argv.join(' ')}: ${r.stderr}`)
  }
  const typo = await keel('runs', 'list', '--experimnt', 'x')
  assert.match(
    typo.stderr,
    /Unknown option '--experimnt' for keel runs list \(did you mean '--experiment'\?\)/,
  )
})

const EXTRA_POSITIONAL: readonly [readonly string[], string][] = [
  [['quickstart', 'extra'], 'extra'],
  [['inspect', 'a.csv', 'b.csv'], 'b.csv'],
  [['validate', 'a.csv', 'b.csv'], 'b.csv'],
  [['train', 'data.csv', '--target', 'y'], 'data.csv'],
  [['predict', 'in.csv'], 'in.csv'],
  [['runs', 'list', 'extra'], 'extra'],
  [['runs', 'show', 'abcdef', 'extra'], 'extra'],
  [['models', 'list', 'extra'], 'extra'],
  [['models', 'show', 'm', 'extra'], 'extra'],
  [['models', 'promote', 'm', '1', 'extra'], 'extra'],
  [['models', 'rollback', 'm', 'extra'], 'extra'],
  [['report', 'run', 'extra'], 'extra'],
  [['serve', 'churn@production'], 'churn@production'],
  [['ab', 'report', 'e', 'extra'], 'extra'],
  [['monitor', 'drift', 'extra', '--model', 'm'], 'extra'],
  [['rag', 'eval', 'q.jsonl', 'extra'], 'extra'],
]

test('keel: every command rejects a positional argument it does not use (exit 2, one line)', async () => {
  for (const [argv, extra] of EXTRA_POSITIONAL) {
    const r = await keel(...argv)
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.stderr}`)
    assert.ok(r.stderr.startsWith(`error [CLI_USAGE]: Unexpected argument '${extra}': keel `), r.stderr)
    assert.equal(r.stderr.split('\n').length, 2, `one line for ${argv.join(' ')}: ${r.stderr}`)
  }
})

test('keel: unknown sub-commands get the nearest one', async () => {
  for (const [argv, expected] of [
    [['models', 'promot', 'm', '1'], "'promote'"],
    [['runs', 'lsit'], "'list'"],
    [['monitor', 'drfit', '--model', 'm'], "'drift'"],
    [['ab', 'reprot', 'e'], "'report'"],
    [['rag', 'ingets', 'docs'], "'ingest'"],
  ] as const) {
    const r = await keel(...argv)
    assert.equal(r.code, 2, r.stderr)
    assert.ok(r.stderr.includes(`(did you mean ${expected}?)`), r.stderr)
  }
})

test('keel monitor: an option of the other sub-command is rejected, not ignored', async () => {
  const r = await keel('monitor', 'performance', '--model', 'm', '--current', 'x.csv')
  assert.equal(r.code, 2)
  assert.match(r.stderr, /Option '--current' does not apply to keel monitor performance/)
})

test('keel validate: --data and a positional file together are rejected', async () => {
  const r = await keel('validate', '--data', 'a.csv', 'b.csv')
  assert.equal(r.code, 2)
  assert.match(r.stderr, /Pass the data file once: got --data 'a.csv' and 'b.csv'/)
})
