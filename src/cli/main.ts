import { LIBRARY_VERSION } from '../core/index.js'
import type { Command } from './command.js'
import { abCommand } from './commands/ab.js'
import { inspectCommand } from './commands/inspect.js'
import { modelsCommand } from './commands/models.js'
import { monitorCommand } from './commands/monitor.js'
import { predictCommand } from './commands/predict.js'
import { quickstartCommand } from './commands/quickstart.js'
import { ragCommand } from './commands/rag.js'
import { reportCommand } from './commands/report.js'
import { runsCommand } from './commands/runs.js'
import { serveCommand } from './commands/serve.js'
import { trainCommand } from './commands/train.js'
import { validateCommand } from './commands/validate.js'
import { reportError } from './output.js'

const COMMANDS: readonly Command[] = [
  quickstartCommand,
  inspectCommand,
  validateCommand,
  trainCommand,
  predictCommand,
  runsCommand,
  modelsCommand,
  reportCommand,
  serveCommand,
  abCommand,
  monitorCommand,
  ragCommand,
]

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return [
    `keel ${LIBRARY_VERSION}: production machine learning for TypeScript`,
    '',
    'Usage: keel <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'keel <command> --help' for a command's options.",
  ].join('\n')
}

/** Entry point of the `keel` binary; returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${help()}\n`)
    return 0
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${LIBRARY_VERSION}\n`)
    return 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (command === undefined) {
    process.stderr.write(`error: unknown command '${name}'.\n\n${help()}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.usage}\n`)
    return 0
  }
  try {
    return await command.run(rest)
  } catch (error) {
    return reportError(error)
  }
}
