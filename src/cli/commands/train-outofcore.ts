import { basename, extname } from 'node:path'
import { AppError } from '../../core/index.js'
import type { TaskKind } from '../../models/index.js'
import { parseMemorySize, runOutOfCoreTraining } from '../../outofcore/index.js'
import { flagOpt, type ParsedArgs, stringOpt } from '../args.js'
import { info, printJson } from '../output.js'

/** The lines of `keel train --help` for out-of-core training. */
export const OUTOFCORE_TRAIN_USAGE = `
Data larger than memory (GBDT only; histograms are SQL aggregations):
  --out-of-core        train --data inside DuckDB, spilling to disk, instead of loading it
  --max-memory SIZE    DuckDB's memory cap with --out-of-core, e.g. 512MB or 4GB (default: 80% of RAM)
  --from URL           train inside PostgreSQL on a table: postgres://USER@HOST/DB?table=NAME
                       (implies --out-of-core; the rows never leave the database)`

/** Flags of `keel train` the out-of-core path does not take (they need every row in memory). */
const IN_MEMORY_ONLY = [
  'config',
  'valid',
  'folds',
  'subgroups',
  'report',
  'trials',
  'tune-minutes',
  'balance',
  'threshold-for',
  'fallback',
  'distributed',
] as const

/**
 * Runs `keel train --out-of-core` / `--from` when asked (returns the exit code), else undefined.
 * @throws AppError CLI_USAGE for --max-memory without --out-of-core, a bad size, a model other than
 *   gbdt, or a flag that needs the data in memory.
 */
export async function outOfCoreFromArgs(args: ParsedArgs): Promise<number | undefined> {
  const from = stringOpt(args, 'from')
  const maxMemory = stringOpt(args, 'max-memory')
  if (!flagOpt(args, 'out-of-core') && from === undefined) {
    if (maxMemory !== undefined)
      throw new AppError('CLI_USAGE', "--max-memory applies with --out-of-core. Run 'keel train --help'.")
    return undefined
  }
  const model = stringOpt(args, 'model') ?? 'gbdt'
  if (model !== 'gbdt')
    throw new AppError(
      'CLI_USAGE',
      `Out-of-core training grows gradient boosted trees only (--model gbdt); got --model ${model}.`,
    )
  for (const flag of IN_MEMORY_ONLY) {
    if (args.values[flag] !== undefined && args.values[flag] !== false)
      throw new AppError(
        'CLI_USAGE',
        `--${flag} needs the data in memory; leave it out with --out-of-core or --from.`,
      )
  }
  const data = stringOpt(args, 'data')
  if (from !== undefined && data !== undefined)
    throw new AppError(
      'CLI_USAGE',
      'Give the rows once: --data FILES (DuckDB) or --from postgres://... (PostgreSQL).',
    )
  if (from === undefined && data === undefined)
    throw new AppError(
      'CLI_USAGE',
      '--out-of-core needs --data FILES (a glob is fine) or --from postgres://...?table=T.',
    )
  if (from !== undefined && maxMemory !== undefined)
    throw new AppError(
      'CLI_USAGE',
      '--max-memory caps the local DuckDB; with --from the rows stay in PostgreSQL.',
    )
  const target = stringOpt(args, 'target')
  if (target === undefined || target === '')
    throw new AppError('CLI_USAGE', '--out-of-core needs --target COL.')
  let maxMemoryBytes: number | undefined
  if (maxMemory !== undefined) {
    maxMemoryBytes = parseMemorySize(maxMemory)
    if (maxMemoryBytes === undefined || maxMemoryBytes < 64 * 2 ** 20)
      throw new AppError(
        'CLI_USAGE',
        `--max-memory takes a size of at least 64MB, e.g. 512MB or 4GB; got '${maxMemory}'.`,
      )
  }
  const task = stringOpt(args, 'task')
  if (task !== undefined && task !== 'binary' && task !== 'regression' && task !== 'multiclass')
    throw new AppError('CLI_USAGE', `--task must be binary, multiclass or regression; got '${task}'.`)
  let params: Record<string, unknown> = {}
  const rawParams = stringOpt(args, 'params')
  if (rawParams !== undefined) {
    let parsed: unknown
    try {
      parsed = JSON.parse(rawParams)
    } catch (error) {
      throw new AppError('CLI_USAGE', `--params must be a JSON object (${(error as Error).message}).`)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new AppError('CLI_USAGE', `--params must be a JSON object, e.g. '{"nEstimators":300}'.`)
    params = parsed as Record<string, unknown>
  }
  const number = (flag: string, fallback: number): number => {
    const v = stringOpt(args, flag)
    if (v === undefined) return fallback
    const n = Number(v)
    if (!Number.isFinite(n)) throw new AppError('CLI_USAGE', `--${flag} must be a number, got '${v}'.`)
    return n
  }
  const testSize = number('test-size', 0.2)
  if (!(testSize >= 0 && testSize < 1))
    throw new AppError('CLI_USAGE', `--test-size must be in [0, 1), got ${testSize}.`)
  const table = from === undefined ? undefined : (/[?&]table=([^&]+)/.exec(from)?.[1] ?? 'table')
  const name =
    stringOpt(args, 'name') ??
    (data !== undefined
      ? basename(data, extname(data))
          .replace(/[*?]/g, '')
          .replace(/[^A-Za-z0-9_.-]/g, '_') || 'outofcore'
      : decodeURIComponent(table!).replace(/[^A-Za-z0-9_.-]/g, '_'))
  const quiet = flagOpt(args, 'quiet')
  const experiment = stringOpt(args, 'experiment')
  const result = await runOutOfCoreTraining({
    ...(data === undefined ? {} : { data }),
    ...(from === undefined ? {} : { from }),
    target,
    ...(task === undefined ? {} : { task: task as TaskKind }),
    params,
    seed: number('seed', 42),
    testSize,
    name,
    ...(experiment === undefined ? {} : { experiment }),
    ...(maxMemoryBytes === undefined ? {} : { maxMemoryBytes }),
    onProgress: quiet ? () => undefined : (message) => info(message),
  })
  if (flagOpt(args, 'json')) {
    printJson(result)
    return 0
  }
  const fmt = (m: Readonly<Record<string, number>> | undefined) =>
    Object.entries(m ?? {})
      .map(([k, v]) => `${k}=${v.toFixed(4)}`)
      .join('  ')
  process.stdout.write(`Task: ${result.task} (${result.taskReason})\n`)
  process.stdout.write(
    `Model: gbdt out of core in ${result.outOfCore.engine}, ${result.outOfCore.nRounds} rounds fitted in ${result.fitSeconds.toFixed(2)} s on ${result.trainRows} rows (${result.outOfCore.histogramQueries} histogram queries)\n`,
  )
  if (result.metrics.test !== undefined) {
    process.stdout.write(
      `Metrics on the test part (${result.testRows} held-out rows): ${fmt(result.metrics.test)}\n`,
    )
    process.stdout.write(`Baseline on the test part: ${fmt(result.baseline.test)}\n`)
  }
  if (result.outOfCore.skippedColumns.length > 0)
    process.stdout.write(
      `Columns left out (type not supported): ${result.outOfCore.skippedColumns.join(', ')}\n`,
    )
  process.stdout.write(`Run ${result.runId}; registered ${result.model}\n`)
  return 0
}
