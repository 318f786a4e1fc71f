import { type ChildProcess, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const TSX_LOADER = import.meta.resolve('tsx')

/** A `keel worker` child process and its log. */
export interface WorkerProcess {
  readonly child: ChildProcess
  readonly exit: Promise<number | null>
  log(): string
  /** Resolves with the first match of `pattern` in the log (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>
}

/**
 * `keel worker --queue URL` from source. It runs the command module the CLI dispatches to (the same
 * code, argument parsing and signal handling), so the test does not depend on main.ts's table.
 * @internal test helper
 */
export function spawnWorker(cwd: string, env: NodeJS.ProcessEnv, queueUrl: string): WorkerProcess {
  const command = pathToFileURL(join(ROOT, 'src', 'cli', 'commands', 'worker.ts')).href
  const output = pathToFileURL(join(ROOT, 'src', 'cli', 'output.ts')).href
  const code = [
    `import { workerCommand } from ${JSON.stringify(command)}`,
    `import { reportError } from ${JSON.stringify(output)}`,
    `try { process.exitCode = await workerCommand.run(['--queue', process.env.TEST_QUEUE_URL]) }`,
    `catch (error) { process.exitCode = reportError(error) }`,
  ].join('\n')
  const child = spawn(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', code], {
    cwd,
    env: { ...process.env, ...env, TEST_QUEUE_URL: queueUrl },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  const listeners: (() => void)[] = []
  child.stderr!.on('data', (d: Buffer) => {
    log += d.toString()
    for (const listener of listeners) listener()
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker log never matched ${pattern}:\n${log}`)),
        timeoutMs,
      )
      const check = (): void => {
        const match = pattern.exec(log)
        if (match !== null) {
          clearTimeout(timer)
          resolve(match)
        }
      }
      listeners.push(check)
      check()
    })
  return { child, exit, log: () => log, waitFor }
}

/** Drops a test's pg-boss schema. @internal test helper */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const { default: driver } = await import('pg')
  const client = new driver.Client({ connectionString: url })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  } finally {
    await client.end()
  }
}
