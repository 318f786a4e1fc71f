import { AppError } from '../../core/index.js'
import { datasetToRecords, loadDataset } from '../../data/index.js'
import { CsvWriter, loadBundleByRef } from '../../train/index.js'
import { parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'

const USAGE = `Usage: keel predict --model REF --input FILE --output FILE

Scores FILE with a registered model and writes a CSV with the input's rows in order, a column
'prediction', and for binary tasks 'probability' (of the positive class), for multiclass one
'proba_<label>' column per class.

  --model REF     a registry reference: NAME, NAME@VERSION or NAME@ALIAS (e.g. churn@production)
  --input FILE    rows to score (CSV, Parquet, JSON lines)
  --output FILE   CSV to write`

const BATCH_ROWS = 65_536

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
    const ds = await loadDataset(input)
    const missing = bundle.features
      .filter((f) => !ds.columns.some((c) => c.name === f.name))
      .map((f) => f.name)
    if (missing.length > 0) {
      throw new AppError(
        'DATA_MISSING_COLUMN',
        `Input lacks feature column(s) the model needs: ${missing.join(', ')}.`,
        { details: { missing } },
      )
    }
    const inputNames = ds.columns.map((c) => c.name)
    const extra =
      bundle.task === 'binary'
        ? ['probability']
        : bundle.task === 'multiclass'
          ? bundle.classes.map((c) => `proba_${c}`)
          : []
    const writer = new CsvWriter(output, [...inputNames, 'prediction', ...extra])
    const records = datasetToRecords(ds)
    for (let start = 0; start < records.length; start += BATCH_ROWS) {
      const chunk = records.slice(start, start + BATCH_ROWS)
      const out = bundle.predictRecords(chunk)
      const rows = chunk.map((record, i) => {
        const row: (string | number | boolean | null)[] = inputNames.map((n) => record[n] ?? null)
        row.push(out.labels[i]!)
        if (bundle.task === 'binary') row.push(out.positive![i]!)
        else if (bundle.task === 'multiclass')
          for (let c = 0; c < bundle.classes.length; c++)
            row.push(out.proba!.data[i * bundle.classes.length + c]!)
        return row
      })
      await writer.writeRows(rows)
      if (process.stderr.isTTY === true)
        process.stderr.write(
          `\rscored ${Math.min(start + BATCH_ROWS, records.length)}/${records.length} rows`,
        )
    }
    await writer.close()
    if (process.stderr.isTTY === true) process.stderr.write('\n')
    info(`Scored ${records.length} rows with ${name}@${version} -> ${output}`)
    return 0
  },
}
