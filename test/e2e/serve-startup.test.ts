// Start-up failures of `keel serve`: a port in use, an impossible port, an address the machine lacks,
// or a model reference that does not resolve make it exit non-zero at once with one line (no stack
// trace), with one worker or several, as a supervisor expects; --allow-degraded starts anyway and
// logs the problem once per worker.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { waitFor, within } from './serve-lifecycle-helpers.js'

const CHILD = fileURLToPath(new URL('./serve-startup-child.ts', import.meta.url))
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url))

interface Run {
  readonly code: number | null
  readonly stderr: string
  readonly stdout: string
}

/** Runs `keel serve ARGS` (the in-memory child, or the real CLI) and waits for it to exit. */
async function serve(
  args: readonly string[],
  options: { real?: boolean; limitMs?: number } = {},
): Promise<Run> {
  const entry =
    options.real === true
      ? [
          '-e',
          `import(${JSON.stringify(MAIN)}).then(async (m) => { process.exitCode = await m.main(['serve', ...process.argv.slice(1)]) })`,
          // The command's options are the script's, not node's.
          '--',
        ]
      : [CHILD]
  const child = spawn(process.execPath, ['--import', 'tsx', ...entry, ...args], {
    env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-home-')), KEEL_DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString()
  })
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString()
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  try {
    // Before the fix these stayed up (listening on nothing, or "still loading") until killed.
    const code = await within(exit, options.limitMs ?? 120_000, `keel serve ${args.join(' ')}`)
    return { code, stderr, stdout }
  } catch (error) {
    throw new Error(`${(error as Error).message}; stderr so far:\n${stderr}`)
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  }
}

/** The one error line: no stack trace, no per-worker repeats. */
function oneLine(run: Run, pattern: RegExp): string {
  const lines = run.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.equal(lines.length, 1, `expected one line, got:\n${run.stderr}`)
  assert.doesNotMatch(run.stderr, /^\s+at /m)
  // The server's JSON log (stdout) has no stack traces either.
  assert.doesNotMatch(run.stdout, /"stack"/)
  assert.match(lines[0]!, pattern)
  return lines[0]!
}

describe('keel serve exits non-zero at once when it cannot listen', () => {
  let taken: Server
  let port = 0
  before(async () => {
    taken = createServer()
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
    port = (taken.address() as { port: number }).port
  })
  after(() => taken.close())

  for (const workers of ['1', '2']) {
    test(`port in use, ${workers} worker(s)`, async () => {
      const run = await serve(['--models', 'churn@production', '--port', String(port), '--workers', workers])
      assert.equal(run.code, 2)
      oneLine(run, new RegExp(`SERVE_LISTEN_FAILED.*127\\.0\\.0\\.1:${port}.*already in use`))
      assert.doesNotMatch(run.stderr, /listening/)
    })

    test(`an address this machine lacks (10.255.255.1), ${workers} worker(s)`, async () => {
      const run = await serve([
        '--models',
        'churn@production',
        '--host',
        '10.255.255.1',
        '--port',
        '0',
        '--workers',
        workers,
      ])
      assert.equal(run.code, 2)
      oneLine(run, /SERVE_LISTEN_FAILED.*10\.255\.255\.1.*EADDRNOTAVAIL/)
    })
  }

  test('--port 99999 is a usage error', async () => {
    const run = await serve(['--models', 'churn@production', '--port', '99999', '--workers', '2'])
    assert.equal(run.code, 2)
    assert.match(
      run.stderr.split('\n')[0]!,
      /CLI_USAGE.*--port must be an integer from 0 to 65535, got '99999'/,
    )
  })
})

describe('keel serve refuses a model reference that does not resolve', () => {
  for (const workers of ['1', '2']) {
    test(`nosuch@production, ${workers} worker(s): one line naming it and what exists`, async () => {
      const run = await serve([
        '--models',
        'churn@production,nosuch@production',
        '--port',
        '0',
        '--workers',
        workers,
      ])
      assert.equal(run.code, 2)
      const line = oneLine(run, /SERVE_MODEL_UNRESOLVED/)
      assert.match(line, /'nosuch@production'/)
      assert.match(line, /churn/, 'names the models that exist')
      assert.match(line, /--allow-degraded/)
      assert.doesNotMatch(line, /'churn@production'/)
    })
  }

  test('an alias that does not exist names the aliases that do', async () => {
    const run = await serve(['--models', 'churn@staging', '--port', '0', '--workers', '1'])
    assert.equal(run.code, 2)
    oneLine(run, /SERVE_MODEL_UNRESOLVED.*'churn@staging'.*production/)
  })

  test('the registry-backed CLI (empty registry) refuses too', async () => {
    const run = await serve(['--models', 'nosuch@production', '--port', '0', '--workers', '1'], {
      real: true,
    })
    assert.equal(run.code, 2)
    oneLine(run, /SERVE_MODEL_UNRESOLVED.*'nosuch@production'.*none are registered/)
  })

  test('--allow-degraded starts, answers 503 for it, and logs the problem once per worker without a stack', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CHILD,
        '--models',
        'churn@production,nosuch@production',
        '--port',
        '0',
        '--workers',
        '2',
        '--allow-degraded',
      ],
      {
        env: { ...process.env, KEEL_HOME: mkdtempSync(join(tmpdir(), 'keel-home-')), KEEL_DATABASE_URL: '' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    // The server's JSON log goes to stdout.
    let stdout = ''
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    try {
      await waitFor('listening', () => /listening on (\S+) /.test(stderr), 240_000)
      const base = /listening on (\S+) /.exec(stderr)![1]!
      const ask = (model: string) =>
        fetch(`${base}/v1/models/${model}/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({
            features: { age: 42, tenure: 3, plan: 'basic', region: 'eu', active: true },
          }),
        })
      await waitFor('churn to serve', async () => (await ask('churn')).status === 200)
      assert.equal((await ask('nosuch')).status, 503)
      // Polling retries every second; before, each retry logged a warning with a stack trace.
      await new Promise((r) => setTimeout(r, 5000))
      const log = `${stdout}${stderr}`
      const warnings = log.split('\n').filter((l) => l.includes('nosuch@production'))
      // One per worker (each worker loads its own models).
      assert.ok(warnings.length >= 1 && warnings.length <= 2, `warnings:\n${warnings.join('\n')}`)
      assert.doesNotMatch(log, /"stack"|\n\s+at /)
      child.kill('SIGTERM')
      assert.equal(await within(exit, 60_000, 'the shutdown'), 0)
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })
})
