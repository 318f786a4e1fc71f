import { didYouMean, LIBRARY_VERSION } from '../core/index.js'
import type { Command } from './command.js'
import { reportError } from './output.js'

/** A command's name and summary, with its module loaded only when it runs (keeps `keel` fast to start). */
interface CommandEntry {
  readonly name: string
  readonly summary: string
  load(): Promise<Command>
}

const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'quickstart',
    summary: 'make a churn dataset, train, register, promote and report (no server needed)',
    load: async () => (await import('./commands/quickstart.js')).quickstartCommand,
  },
  {
    name: 'inspect',
    summary: 'print the schema and a per-column summary of a data file',
    load: async () => (await import('./commands/inspect.js')).inspectCommand,
  },
  {
    name: 'validate',
    summary: 'check data against the task: every problem, with rows and examples',
    load: async () => (await import('./commands/validate.js')).validateCommand,
  },
  {
    name: 'train',
    summary: 'train a model (baselines first), record the run, register a version',
    load: async () => (await import('./commands/train.js')).trainCommand,
  },
  {
    name: 'predict',
    summary: 'score a file with a registered model (e.g. churn@production)',
    load: async () => (await import('./commands/predict.js')).predictCommand,
  },
  {
    name: 'import',
    summary: 'register a model trained elsewhere (XGBoost JSON, LightGBM text, ONNX)',
    load: async () => (await import('./commands/import.js')).importCommand,
  },
  {
    name: 'export',
    summary: 'write a registered model as an ONNX graph',
    load: async () => (await import('./commands/export.js')).exportCommand,
  },
  {
    name: 'optimize',
    summary: 'quantize, prune or distill a model into a new version, with the trade-off table',
    load: async () => (await import('./commands/optimize.js')).optimizeCommand,
  },
  {
    name: 'worker',
    summary: 'score parts of distributed batch predictions taken from a job queue',
    load: async () => (await import('./commands/worker.js')).workerCommand,
  },
  {
    name: 'runs',
    summary: 'list, show and compare tracked runs',
    load: async () => (await import('./commands/runs.js')).runsCommand,
  },
  {
    name: 'models',
    summary: 'list models, versions, aliases; promote and roll back',
    load: async () => (await import('./commands/models.js')).modelsCommand,
  },
  {
    name: 'report',
    summary: 'write a self-contained HTML report of a run',
    load: async () => (await import('./commands/report.js')).reportCommand,
  },
  {
    name: 'serve',
    summary: 'start the prediction server (A/B tests, shadow, fallbacks, metrics)',
    load: async () => (await import('./commands/serve.js')).serveCommand,
  },
  {
    name: 'ab',
    summary: 'A/B experiment reports from logged predictions and feedback',
    load: async () => (await import('./commands/ab.js')).abCommand,
  },
  {
    name: 'monitor',
    summary: 'drift and live performance of a model',
    load: async () => (await import('./commands/monitor.js')).monitorCommand,
  },
  {
    name: 'rag',
    summary: 'ingest documents, ask questions with citations, evaluate retrieval',
    load: async () => (await import('./commands/rag.js')).ragCommand,
  },
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
    // One line naming the mistake (and the nearest command): the full list is a `keel --help` away.
    const known = name.startsWith('-') ? ['--help', '--version'] : COMMANDS.map((c) => c.name)
    const what = name.startsWith('-') ? 'option' : 'command'
    const hint = didYouMean(name, known)
    process.stderr.write(
      `error [CLI_USAGE]: Unknown ${what} '${name}'${hint}. Run 'keel --help' for the list of commands.\n`,
    )
    return 2
  }
  try {
    const loaded = await command.load()
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${loaded.usage}\n`)
      return 0
    }
    return await loaded.run(rest)
  } catch (error) {
    return reportError(error)
  }
}
