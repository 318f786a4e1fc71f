import { basename, extname } from 'node:path'
import { AppError } from '../../core/index.js'
import type { TaskKind } from '../../models/index.js'
import { parseFamily, resolveTaskSettings, runTraining } from '../../train/index.js'
import { flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info, printJson } from '../output.js'
import { makeProgressPrinter } from '../progress.js'

const USAGE = `Usage: keel train [--config keel.yaml] [--data FILE --target COL] [options]

Trains a model with baselines first, records the run and registers a new model version.

Options:
  --config FILE        task file (default: ./keel.yaml when present)
  --data FILE          training data (CSV, Parquet, JSON lines, or a glob)
  --target COL         target column
  --task KIND          binary | multiclass | regression (default: inferred from the target)
  --model NAME         auto | gbdt | rf | linear | mlp | baseline (default: auto with a task file, gbdt otherwise)
  --params JSON        model params, e.g. '{"nEstimators":300}'
  --valid FILE         validation rows for early stopping
  --seed N             random seed (default 42)
  --name NAME          registry model name (default: from the task file or data file name)
  --test-size F        share of rows held out as the test part (default 0.2 with a task file, 0 otherwise)
  --folds K            cross-validation folds for --model auto (default 5)
  --experiment NAME    experiment to record the run under (default: the model name)
  --subgroups A,B      break metrics down by these columns in the report
  --report FILE        also write the HTML report to FILE
  --trials N           random-search trials to tune the chosen family (cross-validated; kept only if better)
  --tune-minutes M     time budget for tuning
  --balance            weight classes inversely to their frequency (imbalanced targets)
  --threshold-for M    choose the decision threshold on held-out training rows to meet M,
                       e.g. precision_at_recall@0.9 (default: the task file's first such metric)
  --fallback REF       model that serves when this one fails or is too slow (e.g. churn-linear@1)
  --json               print one JSON object on stdout`

function parseNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n)) throw new AppError('CLI_USAGE', `--${flag} must be a number, got '${value}'.`)
  return n
}

/** `keel train`. */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train a model (baselines first), record the run, register a version',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        config: { type: 'string' },
        data: { type: 'string' },
        target: { type: 'string' },
        task: { type: 'string' },
        model: { type: 'string' },
        params: { type: 'string' },
        valid: { type: 'string' },
        seed: { type: 'string' },
        name: { type: 'string' },
        'test-size': { type: 'string' },
        folds: { type: 'string' },
        experiment: { type: 'string' },
        subgroups: { type: 'string' },
        report: { type: 'string' },
        fallback: { type: 'string' },
        balance: { type: 'boolean' },
        'threshold-for': { type: 'string' },
        trials: { type: 'string' },
        'tune-minutes': { type: 'string' },
        json: { type: 'boolean' },
        quiet: { type: 'boolean' },
      },
      USAGE,
    )
    const settings = await resolveTaskSettings({
      config: stringOpt(args, 'config'),
      data: stringOpt(args, 'data'),
      target: stringOpt(args, 'target'),
      task: stringOpt(args, 'task'),
    })
    const task = settings.task as TaskKind | undefined
    let params: Record<string, unknown> = {}
    const rawParams = stringOpt(args, 'params')
    if (rawParams !== undefined) {
      try {
        const parsed: unknown = JSON.parse(rawParams)
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object')
        params = parsed as Record<string, unknown>
      } catch (error) {
        throw new AppError(
          'CLI_USAGE',
          `--params must be a JSON object, e.g. '{"nEstimators":300}' (${(error as Error).message}).`,
        )
      }
    }
    const hasConfig = settings.configPath !== undefined
    const model = parseFamily(stringOpt(args, 'model') ?? (hasConfig ? 'auto' : 'gbdt'))
    const name =
      stringOpt(args, 'name') ??
      settings.name ??
      basename(settings.data, extname(settings.data)).replace(/[^A-Za-z0-9_.-]/g, '_')
    const json = flagOpt(args, 'json')
    const printer = makeProgressPrinter({ quiet: flagOpt(args, 'quiet') })
    const validPath = stringOpt(args, 'valid')
    const { result } = await runTraining({
      dataPath: settings.data,
      target: settings.target,
      ...(task === undefined ? {} : { task }),
      ...(settings.positiveClass === undefined ? {} : { positiveClass: settings.positiveClass }),
      ...(settings.include === undefined ? {} : { include: settings.include }),
      ...(settings.exclude === undefined ? {} : { exclude: settings.exclude }),
      ...(settings.idColumn === undefined ? {} : { idColumn: settings.idColumn }),
      ...(settings.splitKind === undefined ? {} : { splitKind: settings.splitKind }),
      ...(settings.groupColumn === undefined ? {} : { groupColumn: settings.groupColumn }),
      ...(settings.timeColumn === undefined ? {} : { timeColumn: settings.timeColumn }),
      ...(settings.metrics === undefined ? {} : { metrics: settings.metrics }),
      ...(settings.constraints === undefined ? {} : { constraints: settings.constraints }),
      ...(validPath === undefined ? {} : { validPath }),
      model,
      params,
      seed: parseNumber(stringOpt(args, 'seed'), 'seed', settings.seed ?? 42),
      testSize: parseNumber(
        stringOpt(args, 'test-size'),
        'test-size',
        settings.testSize ?? (hasConfig ? 0.2 : 0),
      ),
      folds: parseNumber(stringOpt(args, 'folds'), 'folds', settings.folds ?? 5),
      name,
      ...(stringOpt(args, 'experiment') === undefined ? {} : { experiment: stringOpt(args, 'experiment')! }),
      ...(stringOpt(args, 'subgroups') === undefined
        ? {}
        : {
            subgroups: stringOpt(args, 'subgroups')!
              .split(',')
              .map((s) => s.trim()),
          }),
      ...(stringOpt(args, 'report') === undefined ? {} : { reportPath: stringOpt(args, 'report')! }),
      ...(flagOpt(args, 'balance') ? { balance: true } : {}),
      ...(stringOpt(args, 'threshold-for') === undefined
        ? {}
        : { thresholdFor: stringOpt(args, 'threshold-for')! }),
      ...(stringOpt(args, 'trials') === undefined
        ? {}
        : { trials: parseNumber(stringOpt(args, 'trials'), 'trials', 0) }),
      ...(stringOpt(args, 'tune-minutes') === undefined
        ? {}
        : { tuneMinutes: parseNumber(stringOpt(args, 'tune-minutes'), 'tune-minutes', 0) }),
      ...(stringOpt(args, 'fallback') === undefined ? {} : { fallback: stringOpt(args, 'fallback')! }),
      onProgress: printer.onProgress,
    })
    printer.done()
    if (json) {
      printJson(result)
      return 0
    }
    const shown = result.metrics.test ?? result.metrics.train
    const baseShown = result.baseline.test ?? result.baseline.train
    const part = result.metrics.test === undefined ? 'train' : 'test'
    info('')
    process.stdout.write(`Task: ${result.task} (${result.taskReason})\n`)
    if (result.candidates.length > 0) {
      process.stdout.write(
        `Cross-validated ${result.primaryMetric}: ${result.candidates.map((c) => `${c.family} ${c.cvScore.toFixed(4)}`).join(', ')}\n`,
      )
    }
    process.stdout.write(
      `Model: ${result.family}, fitted in ${result.fitSeconds.toFixed(2)} s on ${result.trainRows} rows\n`,
    )
    process.stdout.write(
      `${part} metrics: ${Object.entries(shown)
        .map(([k, v]) => `${k}=${v.toFixed(4)}`)
        .join('  ')}\n`,
    )
    process.stdout.write(
      `baseline (${part}): ${Object.entries(baseShown)
        .map(([k, v]) => `${k}=${v.toFixed(4)}`)
        .join('  ')}\n`,
    )
    process.stdout.write(
      `Beats the baseline on ${result.primaryMetric} by ${result.improvementOverBaseline.toFixed(4)}\n`,
    )
    for (const c of result.constraints) {
      process.stdout.write(
        `constraint ${c.name}: ${c.passed ? 'PASS' : 'FAIL'} (measured ${c.measured}, limit ${c.limit}${c.hard ? '' : ', soft'})\n`,
      )
    }
    process.stdout.write(`Run ${result.runId}; registered ${result.model}\n`)
    return 0
  },
}
