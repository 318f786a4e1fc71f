import { AppError } from '../../core/index.js'
import { predictDistributed } from '../../jobs/index.js'
import { loadBundleByRef, predictFile } from '../../train/index.js'
import { flagOpt, parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'
import { makeRowProgress } from '../progress.js'

const USAGE = `Usage: keel predict --model REF --input FILE --output FILE [--distributed --queue URL]

Scores FILE with a registered model and writes the input's rows in order with their columns, a
column 'prediction', and for binary tasks 'probability' (of the positive class), for multiclass one
'proba_<label>' column per class. The input is streamed, so memory stays flat for any file size;
a progress bar is drawn on stderr when it is a terminal.

  --model REF     a registry reference: NAME, NAME@VERSION or NAME@ALIAS (e.g. churn@production)
  --input FILE    rows to score (CSV, Parquet, JSON lines; a glob reads several files in order)
  --output FILE   file to write: Parquet when it ends in .parquet, otherwise CSV. Written to a
                  temporary file first and renamed when complete, so a failed run leaves none.

Spread over machines (workers: keel worker --queue URL, on any machine that sees the files):
  --distributed     split the input into parts, send one job per part to the queue, merge the
                    scored parts in input order (identical to a single-process run)
  --queue URL       the job queue: postgres://... (pg-boss; default $KEEL_QUEUE_URL)
  --part-rows N     rows per part (default 50000)
  --job-timeout S   seconds before a part whose worker went silent is retried (default 900)`

/**
 * Rows per chunk, overridable for tests (tiny chunks exercise the chunk boundaries on small files).
 * Not a user setting: the default is sized for throughput at flat memory.
 */
function chunkRowsFromEnv(): number | undefined {
  const raw = process.env.KEEL_PREDICT_CHUNK_ROWS
  if (raw === undefined || raw === '') return undefined
  const n = Number(raw)
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** `keel predict`. */
export const predictCommand: Command = {
  name: 'predict',
  summary: 'score a file with a registered model (e.g. churn@production)',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        input: { type: 'string' },
        output: { type: 'string' },
        distributed: { type: 'boolean' },
        queue: { type: 'string' },
        'part-rows': { type: 'string' },
        'job-timeout': { type: 'string' },
      },
      USAGE,
      { command: 'keel predict', positionalHint: 'pass files with --input FILE and --output FILE' },
    )
    const ref = requireOption(stringOpt(args, 'model'), 'model', USAGE)
    const input = requireOption(stringOpt(args, 'input'), 'input', USAGE)
    const output = requireOption(stringOpt(args, 'output'), 'output', USAGE)
    if (flagOpt(args, 'distributed')) return runDistributed(args, ref, input, output)
    for (const flag of ['queue', 'part-rows', 'job-timeout'])
      if (stringOpt(args, flag) !== undefined)
        throw new AppError('CLI_USAGE', `--${flag} applies with --distributed. Run 'keel predict --help'.`)
    const { bundle, name, version } = await loadBundleByRef(ref)
    const progress = makeRowProgress()
    // Text inputs are staged before the first row is scored; say so rather than sit silent.
    progress.status(`reading ${input}...`)
    const chunkRows = chunkRowsFromEnv()
    try {
      const result = await predictFile(bundle, input, output, {
        ...(chunkRows === undefined ? {} : { chunkRows }),
        onStart: (totalRows) => progress.setTotal(totalRows),
        onProgress: (rowsDone) => progress.update(rowsDone),
      })
      progress.done()
      info(`Scored ${result.nRows} rows with ${name}@${version} -> ${output} (${result.format})`)
    } catch (error) {
      progress.done()
      throw error
    }
    return 0
  },
}

/** A positive whole number from a flag, or a usage error naming it. */
function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1)
    throw new AppError('CLI_USAGE', `--${flag} takes a positive whole number; got '${text}'.`)
  return n
}

/** `keel predict --distributed`: parts on the job queue, scored by `keel worker`s, merged in order. */
async function runDistributed(
  args: ReturnType<typeof parseCommandArgs>,
  ref: string,
  input: string,
  output: string,
): Promise<number> {
  const queueUrl = requireOption(stringOpt(args, 'queue') ?? process.env.KEEL_QUEUE_URL, 'queue', USAGE)
  const partRows = positiveInt(stringOpt(args, 'part-rows'), 'part-rows')
  const jobTimeoutSeconds = positiveInt(stringOpt(args, 'job-timeout'), 'job-timeout')
  const r = await predictDistributed({
    queueUrl,
    model: ref,
    input,
    output,
    ...(partRows === undefined ? {} : { partRows }),
    ...(jobTimeoutSeconds === undefined ? {} : { jobTimeoutSeconds }),
    onEvent: (e) => {
      if (e.kind === 'retry')
        info(
          `part ${e.part} (rows ${e.rowStart}+${e.rowCount}) try ${e.attempt} failed, retrying: ${e.error}`,
        )
      else if (e.kind === 'progress')
        info(
          `${e.partsDone}/${e.parts} parts, ${e.rowsDone}/${e.rows} rows, ${e.active} in progress${e.active === 0 && e.partsDone < e.parts ? ' (is a keel worker running?)' : ''}`,
        )
    },
  })
  info(
    `Scored ${r.nRows} rows with ${r.model} in ${r.parts} parts (${r.retries} retried) -> ${output} (${r.format})`,
  )
  return 0
}
