import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const ENTRY = join(ROOT, 'scripts', 'keel-dev.ts')
// Resolved here: the CLI runs in a test's temporary folder, from which a bare 'tsx' would not resolve.
const TSX_LOADER = import.meta.resolve('tsx')

/** Result of one CLI invocation. */
export interface CliResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/**
 * Starts `keel ARGS` from source. Node itself runs the CLI (tsx as a loader, not the tsx wrapper
 * process), so a signal sent to the child reaches the process that holds the CLI's files.
 */
export function spawnCli(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; stdio?: StdioOptions },
): ChildProcess {
  return spawn(process.execPath, ['--import', TSX_LOADER, ENTRY, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: options.stdio ?? 'ignore',
  })
}

/** Runs `keel ARGS` from source in a child process (as a user would, but without a build). */
export function runCli(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, {
      cwd: options.cwd,
      ...(options.env === undefined ? {} : { env: options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, stdout, stderr })
    })
  })
}

/**
 * Runs `keel ARGS` in this process through the CLI's `main`, capturing what it writes as text to
 * stdout and stderr. Binary writes pass through: under `node --test` the runner streams its own
 * reports to stdout. `main` is imported on first use so that child-process callers don't load the CLI.
 */
export async function runCliInProcess(...argv: string[]): Promise<CliResult> {
  const { main } = await import('../../src/cli/main.js')
  let stdout = ''
  let stderr = ''
  const capture = (stream: NodeJS.WriteStream, append: (text: string) => void) => {
    const original = stream.write.bind(stream)
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string')
        return (original as (c: Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest)
      append(chunk)
      return true
    }) as typeof stream.write
    return () => {
      stream.write = original
    }
  }
  const restoreOut = capture(process.stdout, (t) => {
    stdout += t
  })
  const restoreErr = capture(process.stderr, (t) => {
    stderr += t
  })
  try {
    return { code: await main(argv), stdout, stderr }
  } finally {
    restoreOut()
    restoreErr()
  }
}
