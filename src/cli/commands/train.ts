import { basename, extname } from 'node:path'
import { AppError } from '../../core/index.js'
import type { TaskKind } from '../../models/index.js'
import {
  MODEL_FAMILIES,
  type ModelFamily,
  makeEstimator,
  parseFamily,
  resolveTaskSettings,
  runTraining,
} from '../../train/index.js'
import { asUsage, flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info, printJson } from '../output.js'
import { makeProgressPrinter } from '../progress.js'
import { DISTRIBUTED_TRAIN_USAGE, trialRunnerFromArgs } from './train-distributed.js'
import { OUTOFCORE_TRAIN_USAGE, outOfCoreFromArgs } from './train-outofcore.js'

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
  --test-size F        share of rows held out as the test part (default 0.2, stratified for classification);
                       0 trains on all rows and reports the cross-validated score instead
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
  --json               print one JSON object on stdout
${DISTRIBUTED_TRAIN_USAGE}
${OUTOFCORE_TRAIN_USAGE}`

function parseNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!Number.isFinite(n)) throw new AppError('CLI_USAGE', `--${flag} must be a number, got '${value}'.`)
  return n
}

/**
 * Rejects params that would be ignored or fail only after the data is loaded: --params with
 * --model auto (each candidate family has other params), and keys the chosen family does not know.
 */
function checkParams(
  model: ModelFamily | 'auto',
  task: TaskKind | undefined,
  params: Record<string, unknown>,
): void {
  if (model === 'auto')
    throw new AppError(
      'CLI_USAGE',
      `--params sets the params of one model family, so it needs --model ${MODEL_FAMILIES.join('|')}; with --model auto (the default with a task file) they would be ignored.`,
    )
  // Before training starts: the estimator's own checks name an unknown key and suggest the nearest.
  // The task may still be inferred from the data, so params valid for either kind pass here.
  const tasks: readonly TaskKind[] = task === undefined ? ['binary', 'regression'] : [task]
  let firstError: unknown
  for (const t of tasks) {
    try {
      makeEstimator(model, t, params)
      return
    } catch (error) {
      firstError ??= error
    }
  }
  throw firstError
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
        distributed: { type: 'boolean' },
        queue: { type: 'string' },
        'job-timeout': { type: 'string' },
        'out-of-core': { type: 'boolean' },
        'max-memory': { type: 'string' },
        from: { type: 'string' },
      },
      USAGE,
      { command: 'keel train', positionalHint: 'pass the data file with --data FILE' },
    )
    const outOfCore = await outOfCoreFromArgs(args)
    if (outOfCore !== undefined) return outOfCore
    const settings = await asUsage(() =>
      resolveTaskSettings({
        config: stringOpt(args, 'config'),
        data: stringOpt(args, 'data'),
        target: stringOpt(args, 'target'),
        task: stringOpt(args, 'task'),
      }),
    )
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
    const model = asUsage(() => parseFamily(stringOpt(args, 'model') ?? (hasConfig ? 'auto' : 'gbdt')))
    if (rawParams !== undefined) checkParams(model, task, params)
    const name =
      stringOpt(args, 'name') ??
      settings.name ??
      basename(settings.data, extname(settings.data)).replace(/[^A-Za-z0-9_.-]/g, '_')
    const json = flagOpt(args, 'json')
    const printer = makeProgressPrinter({ quiet: flagOpt(args, 'quiet') })
    const validPath = stringOpt(args, 'valid')
    const distributed = trialRunnerFromArgs(args)
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
      // Without --test-size or a task file, the workflow's default holds out a test part.
      ...((stringOpt(args, 'test-size') ?? settings.testSize) === undefined
        ? {}
        : { testSize: parseNumber(stringOpt(args, 'test-size'), 'test-size', settings.testSize ?? 0) }),
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
      ...distributed,
    })
    printer.done()
    if (json) {
      printJson(result)
      return 0
    }
    const shown = result.metrics.test ?? result.metrics.train
    const baseShown = result.baseline.test ?? result.baseline.train
    const isHeldOut = result.metrics.test !== undefined
    // A training-set score is printed only under its train_ name, never as the model's metric.
    const prefix = isHeldOut ? '' : 'train_'
    const part = isHeldOut
      ? `test part (${result.testRows} held-out rows)`
      : 'training part (optimistic: nothing held out)'
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
      `Metrics on the ${part}: ${Object.entries(shown)
        .map(([k, v]) => `${prefix}${k}=${v.toFixed(4)}`)
        .join('  ')}\n`,
    )
    if (result.cv !== undefined)
      process.stdout.write(
        `Cross-validated ${result.cv.metric} of ${result.family} (${result.cv.folds} folds of the training part): ${result.cv.mean.toFixed(4)}\n`,
      )
    process.stdout.write(
      `Baseline on the ${part}: ${Object.entries(baseShown)
        .map(([k, v]) => `${prefix}${k}=${v.toFixed(4)}`)
        .join('  ')}\n`,
    )
    const gain = result.improvementOverBaseline
    process.stdout.write(
      isHeldOut
        ? `${gain > 0 ? 'Beats' : 'Does not beat'} the baseline on test ${result.primaryMetric} by ${gain.toFixed(4)}\n`
        : `On the training part (optimistic) the gain over the baseline in ${result.primaryMetric} is ${gain.toFixed(4)}; use --test-size 0.2 for a held-out comparison\n`,
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
