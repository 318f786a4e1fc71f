import { AppError } from '../../core/index.js'
import {
  findTaskFile,
  formatProblem,
  loadDataset,
  loadTaskFile,
  type TaskConfig,
  type TaskKindName,
  validateDataset,
} from '../../data/index.js'
import { flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'
import { loadOptionsFrom } from './inspect.js'

const USAGE = `Usage: keel validate --data FILE [--target COL] [--task binary|multiclass|regression] [--config keel.yaml] [--json]

Checks data against the task: target present and usable, required columns, declared types, allowed
levels, ranges, null policy, duplicate ids, minimum rows, constant columns, and leakage (a feature that
alone predicts the target, a copy of the target, ID-like columns, dates after the prediction time).

Exit codes: 0 when no errors (warnings are printed), 1 when problems were found, 2 when the file or
task file cannot be read.

Options:
  --data FILE          data to check (default: 'data' of the task file)
  --target COL         target column (default: from the task file)
  --task KIND          binary | multiclass | regression (default: from the task file)
  --config FILE        task file with validation rules (default: ./keel.yaml when present)
  --delimiter C        CSV delimiter (default: sniffed)
  --encoding E         CSV encoding (default utf-8)
  --json               print one JSON report on stdout`

const TASKS: readonly TaskKindName[] = ['binary', 'multiclass', 'regression']

/** `keel validate`. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check data against the task: target, rules, types, duplicates, leakage',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        data: { type: 'string' },
        target: { type: 'string' },
        task: { type: 'string' },
        config: { type: 'string' },
        delimiter: { type: 'string' },
        encoding: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
      { command: 'keel validate', maxPositionals: 1, positionalHint: 'pass one data file' },
    )
    const positional = args.positionals[0]
    if (positional !== undefined && stringOpt(args, 'data') !== undefined)
      throw new AppError(
        'CLI_USAGE',
        `Pass the data file once: got --data '${stringOpt(args, 'data')}' and '${positional}'.`,
      )
    const configPath = stringOpt(args, 'config') ?? findTaskFile()
    const config: TaskConfig | undefined = configPath === undefined ? undefined : loadTaskFile(configPath)
    const data = stringOpt(args, 'data') ?? positional ?? config?.data
    if (data === undefined)
      throw new AppError('CLI_USAGE', `Pass --data FILE (or a task file with 'data').\n${USAGE}`)
    const task = stringOpt(args, 'task')
    if (task !== undefined && !TASKS.includes(task as TaskKindName))
      throw new AppError('CLI_USAGE', `--task must be binary, multiclass or regression; got '${task}'.`)
    const target = stringOpt(args, 'target')
    if (task !== undefined && target === undefined && config === undefined)
      throw new AppError('CLI_USAGE', '--task needs --target (or a task file naming the target).')
    const ds = await loadDataset(data, loadOptionsFrom(args))
    const report = validateDataset(ds, {
      ...(target === undefined ? {} : { target }),
      ...(task === undefined ? {} : { task: task as TaskKindName }),
      ...(config === undefined ? {} : { config }),
    })
    if (flagOpt(args, 'json')) {
      printJson({ file: data, ...(configPath === undefined ? {} : { config: configPath }), ...report })
      return report.ok ? 0 : 1
    }
    const lines = [...report.errors, ...report.warnings].map(formatProblem)
    const shape = `${report.nRows} rows × ${report.nColumns} columns`
    const warnings = report.warnings.length > 0 ? `, ${report.warnings.length} warning(s)` : ''
    if (report.ok) lines.push(`OK: ${data} (${shape}) passed validation${warnings}.`)
    else lines.push(`FAILED: ${data} (${shape}): ${report.errors.length} error(s)${warnings}.`)
    process.stdout.write(`${lines.join('\n')}\n`)
    return report.ok ? 0 : 1
  },
}
