import { closeSync, openSync, readSync, statSync } from 'node:fs'
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

/**
 * A rough row count for the progress bar: the file size over the mean line length of its first
 * megabyte (CSV/JSON lines). Undefined for Parquet, globs and compressed files, where the bar shows
 * only the rows done and the rate.
 */
function estimateRows(path: string): number | undefined {
  if (/[*?[]/.test(path) || /\.(parquet|pq|gz|zst)$/i.test(path)) return undefined
  try {
    const size = statSync(path).size
    const head = Buffer.alloc(Math.min(size, 1 << 20))
    const fd = openSync(path, 'r')
    try {
      readSync(fd, head, 0, head.length, 0)
    } finally {
      closeSync(fd)
    }
    let lines = 0
    for (const byte of head) if (byte === 10) lines++
    if (lines < 2) return undefined
    return Math.max(1, Math.round(size / (head.length / lines)) - 1)
  } catch {
    // The estimate is cosmetic; predictFile reports a missing or unreadable file properly.
    return undefined
  }
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
    )
    const ref = requireOption(stringOpt(args, 'model'), 'model', USAGE)
    const input = requireOption(stringOpt(args, 'input'), 'input', USAGE)
    const output = requireOption(stringOpt(args, 'output'), 'output', USAGE)
    const { bundle, name, version } = await loadBundleByRef(ref)
    const isTty = process.stderr.isTTY === true
    const totalRows = isTty ? estimateRows(input) : undefined
    const progress = makeRowProgress({ isTty, ...(totalRows === undefined ? {} : { totalRows }) })
    const chunkRows = chunkRowsFromEnv()
    try {
      const result = await predictFile(bundle, input, output, {
        ...(chunkRows === undefined ? {} : { chunkRows }),
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
