import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type CliResult, runCli } from '../helpers/cli.js'

// The CLI as a user runs it (a child process): misspelt or unused arguments and config keys fail
// with exit code 2 and a message naming the mistake, instead of being ignored.

function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-strict-'))
  const rows = ['id,amount,plan,churned']
  for (let i = 0; i < 40; i++) rows.push(`c${i},${(i * 7) % 50}.5,${i % 3 === 0 ? 'pro' : 'basic'},${i % 2}`)
  writeFileSync(join(dir, 'data.csv'), `${rows.join('\n')}\n`)
  return dir
}

async function keel(args: readonly string[], cwd: string): Promise<CliResult> {
  // Generous: the machine running the suite may be busy, and each run starts tsx.
  return runCli(args, { cwd, env: { KEEL_HOME: join(cwd, '.keel'), KEEL_DEBUG: '' }, timeoutMs: 180_000 })
}

test('keel CLI rejects unused arguments, misspelt commands, options, params and config keys', async () => {
  const dir = workdir()
  const withTask = workdir()
  writeFileSync(
    join(withTask, 'keel.yaml'),
    'task: binary\ndata: data.csv\ntarget: churned\nsplit: { tset_size: 0.3 }\n',
  )
  writeFileSync(
    join(dir, 'serve.yaml'),
    'models: [churn@production]\npollIntervalMS: 500\npredictionLog: { flushIntervalMS: 50 }\n',
  )
  const [positional, command, option, params, auto, serve, taskFile] = await Promise.all([
    keel(['train', 'data.csv', '--target', 'churned'], dir),
    keel(['trian', '--data', 'data.csv'], dir),
    keel(['train', '--data', 'data.csv', '--trget', 'churned'], dir),
    keel(['train', '--data', 'data.csv', '--target', 'churned', '--params', '{"nEstimator": 5}'], dir),
    keel(['train', '--data', 'data.csv', '--target', 'churned', '--model', 'auto', '--params', '{}'], dir),
    keel(['serve', '--config', 'serve.yaml'], dir),
    keel(['validate'], withTask),
  ])

  assert.equal(positional.code, 2, positional.stderr)
  assert.equal(
    positional.stderr,
    "error [CLI_USAGE]: Unexpected argument 'data.csv': keel train takes no positional arguments; pass the " +
      "data file with --data FILE. Run 'keel train --help' for its options.\n",
  )
  assert.equal(positional.stdout, '')

  assert.equal(command.code, 2, command.stderr)
  assert.equal(
    command.stderr,
    "error [CLI_USAGE]: Unknown command 'trian' (did you mean 'train'?). Run 'keel --help' for the list of commands.\n",
  )

  assert.equal(option.code, 2, option.stderr)
  assert.equal(
    option.stderr,
    "error [CLI_USAGE]: Unknown option '--trget' for keel train (did you mean '--target'?). Run 'keel train --help' for its options.\n",
  )

  // Rejected before any training starts: no run is recorded for a typo.
  assert.equal(params.code, 2, params.stderr)
  assert.match(
    params.stderr,
    /^error \[INVALID_ARGUMENT\]: Unknown GradientBoostingClassifier param 'nEstimator' \(did you mean 'nEstimators'\?\)\. Known params: /,
  )
  assert.doesNotMatch(params.stderr, /fitting|baseline/)

  assert.equal(auto.code, 2, auto.stderr)
  assert.match(auto.stderr, /--params sets the params of one model family, so it needs --model /)

  assert.equal(serve.code, 2, serve.stderr)
  assert.match(serve.stderr, /^error \[SERVE_CONFIG_INVALID\]: Invalid serve config:\n/)
  assert.match(serve.stderr, /\n {2}pollIntervalMS: unknown key; did you mean 'pollIntervalMs'\?\n/)
  assert.match(
    serve.stderr,
    /\n {2}predictionLog\.flushIntervalMS: unknown key; did you mean 'flushIntervalMs'\?\n/,
  )
  assert.doesNotMatch(serve.stderr, /listening/)

  assert.equal(taskFile.code, 2, taskFile.stderr)
  assert.match(taskFile.stderr, /unknown key 'split\.tset_size' \(did you mean 'test_size'\?\)/)
})
