import { loadBundleByRef, predictFile } from '../../train/index.js'
import { parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'
import { makeRowProgress } from '../progress.js'

const USAGE = `Usage: keel predict --model REF --input FILE --output FILE

Scores FILE with a registered model and writes the input's rows in order with their columns, a
column 'prediction', and for binary tasks 'probability' (of the positive class), for multiclass one
'proba_<label>' column per class. The input is streamed, so memory stays flat for any file size;
a progress bar is drawn on stderr when it is a terminal.

  --model REF     a registry reference: NAME, NAME@VERSION or NAME@ALIAS (e.g. churn@production)
  --input FILE    rows to score (CSV, Parquet, JSON lines; a glob reads several files in order)
  --output FILE   file to write: Parquet when it ends in .parquet, otherwise CSV. Written to a
                  temporary file first and renamed when complete, so a failed run leaves none.`

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
      { model: { type: 'string' }, input: { type: 'string' }, output: { type: 'string' } },
      USAGE,
      { command: 'keel predict', positionalHint: 'pass files with --input FILE and --output FILE' },
    )
    const ref = requireOption(stringOpt(args, 'model'), 'model', USAGE)
    const input = requireOption(stringOpt(args, 'input'), 'input', USAGE)
    const output = requireOption(stringOpt(args, 'output'), 'output', USAGE)
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
