import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** What one `keel` invocation printed and returned. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const MAIN_URL = new URL('../../src/cli/main.ts', import.meta.url).href
const ROOT = fileURLToPath(new URL('../..', import.meta.url))

// Runs in a child process (never in the test process, whose stdout carries the test runner's
// report): reads one JSON request per line, runs main(argv) with stdout/stderr captured, and
// answers on fd 3 so captured output and answers never mix.
const DRIVER = `
import { createInterface } from 'node:readline'
import { writeSync } from 'node:fs'
import { main } from ${JSON.stringify(MAIN_URL)}
const realOut = process.stdout.write, realErr = process.stderr.write
for await (const line of createInterface({ input: process.stdin })) {
  const { argv, env } = JSON.parse(line)
  Object.assign(process.env, env)
  let stdout = '', stderr = '', code
  process.stdout.write = (chunk) => { stdout += String(chunk); return true }
  process.stderr.write = (chunk) => { stderr += String(chunk); return true }
  try { code = await main(argv) } catch (error) { code = 99; stderr += String(error && error.stack || error) }
  finally { process.stdout.write = realOut; process.stderr.write = realErr }
  writeSync(3, JSON.stringify({ code, stdout, stderr }) + '\\n')
}
`

/**
 * One child process that runs many `keel` commands in turn through src/cli/main.ts (bin/keel.js
 * needs dist/, and a process per command would cost a second of start-up each).
 * @internal test helper
 */
export class CliDriver {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #answers: Interface
  readonly #pending: ((line: string) => void)[] = []

  constructor() {
    this.#child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', DRIVER], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: { ...process.env, KEEL_DEBUG: '' },
    }) as ChildProcessWithoutNullStreams
    const fd3 = this.#child.stdio[3]
    if (fd3 === null || fd3 === undefined || !('on' in fd3)) throw new Error('driver has no answer pipe')
    this.#answers = createInterface({ input: fd3 as NodeJS.ReadableStream })
    this.#answers.on('line', (line) => this.#pending.shift()?.(line))
    this.#child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk))
  }

  /** Runs `keel ...argv` with `env` added to the driver's environment. */
  run(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const onExit = () => reject(new Error('keel CLI driver exited'))
      this.#child.once('exit', onExit)
      this.#pending.push((line) => {
        this.#child.off('exit', onExit)
        resolve(JSON.parse(line) as CliResult)
      })
      this.#child.stdin.write(`${JSON.stringify({ argv, env })}\n`)
    })
  }

  async close(): Promise<void> {
    const exited = new Promise((resolve) => this.#child.once('exit', resolve))
    this.#child.stdin.end()
    await exited
  }
}
