import { constants } from 'node:fs'
import { access, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { AppError, trackTempFiles } from '../core/index.js'
import {
  type Column,
  cellValue,
  csvToParquet,
  DataError,
  type Dataset,
  type ParquetColumn,
  type StreamColumn,
  streamDataset,
} from '../data/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import { CsvWriter, csvField } from './csv-writer.js'

/** Options for `predictFile`. */
export interface PredictFileOptions {
  /** Rows scored at a time (default 16,384); memory grows with it, not with the file. */
  readonly chunkRows?: number
  /** Called after each chunk with the rows written so far (restarts from 0 if the file is re-read). */
  readonly onProgress?: (rowsDone: number) => void
  /** Called once the input's row count is known, before the first chunk is scored. */
  readonly onStart?: (totalRows: number) => void
}

/** What `predictFile` wrote. */
export interface PredictFileResult {
  readonly nRows: number
  readonly format: 'csv' | 'parquet'
  readonly output: string
}

/** Output format from the file name: Parquet for `.parquet`/`.pq`, CSV for anything else. */
export function predictOutputFormat(output: string): 'csv' | 'parquet' {
  return /\.(parquet|pq)$/i.test(output) ? 'parquet' : 'csv'
}

function writeError(path: string, error: unknown): DataError {
  const reason = error instanceof Error ? error.message : String(error)
  return new DataError(
    'DATA_WRITE',
    `Could not write '${path}': ${reason}. Check that the directory exists and is writable.`,
    { cause: error, details: { path } },
  )
}

/**
 * Per column, a function giving the CSV field of row `r`: exactly `csvField(cellValue(col, r))`,
 * without the intermediate JS value (levels are quoted once per chunk, not once per row).
 */
function fieldFormatter(col: Column): (r: number) => string {
  switch (col.kind) {
    case 'categorical': {
      const fields = col.levels.map((l) => csvField(l))
      const codes = col.codes
      return (r) => {
        const c = codes[r]!
        return c < 0 ? '' : fields[c]!
      }
    }
    case 'numeric': {
      const values = col.values
      return (r) => {
        const v = values[r]!
        return Number.isNaN(v) ? '' : String(v)
      }
    }
    case 'boolean': {
      const values = col.values
      return (r) => {
        const v = values[r]!
        return Number.isNaN(v) ? '' : v === 1 ? 'true' : 'false'
      }
    }
    case 'datetime': {
      const values = col.values
      return (r) => {
        const v = values[r]!
        return Number.isNaN(v) ? '' : csvField(new Date(v).toISOString())
      }
    }
  }
}

/** Extra output columns after `prediction`, as the `keel predict` contract names them. */
function scoreColumns(bundle: ModelBundle): string[] {
  switch (bundle.task) {
    case 'binary':
      return ['probability']
    case 'multiclass':
      return bundle.classes.map((c) => `proba_${c}`)
    default:
      return []
  }
}

/**
 * Rows scored at a time by default: large enough that gradient boosting scores each chunk on
 * worker threads (above MIN_PARALLEL_PREDICT_ROWS), small enough to keep memory flat.
 */
const DEFAULT_PREDICT_CHUNK_ROWS = 65_536

/** Lines formatted before they are handed to the writer (which writes about a megabyte at a time). */
const LINES_PER_WRITE = 4096

async function removeQuietly(path: string): Promise<void> {
  try {
    await unlink(path)
  } catch {
    // Already gone or never created: nothing to clean up.
  }
}

/**
 * Scores a data file with a model bundle and writes the rows in input order with their inputs,
 * `prediction`, and `probability` (binary) or `proba_<label>` per class (multiclass), as CSV or,
 * for a `.parquet` output, Parquet. The input is streamed through DuckDB in chunks and each chunk
 * is encoded exactly as `bundle.predictRecords` would encode its rows, so memory stays flat for any
 * file size and predictions equal the in-memory path bit for bit. Output goes to a temporary file
 * beside `output` that is renamed only once complete: a failed run leaves no partial file.
 *
 * @example
 * const { bundle } = await loadBundleByRef('churn@production')
 * await predictFile(bundle, 'customers.parquet', 'scores.csv', { onProgress: (n) => console.error(n) })
 * @throws DataError for an unreadable input (codes of `loadDataset`) or output (DATA_WRITE);
 *   AppError DATA_MISSING_COLUMN when the input lacks a feature the model needs.
 *   AppError INVALID_ARGUMENT when the output is the input file.
 */
export async function predictFile(
  bundle: ModelBundle,
  input: string,
  output: string,
  options: PredictFileOptions = {},
): Promise<PredictFileResult> {
  // The output replaces its file on success: writing onto the input would replace the user's data.
  if (resolve(input) === resolve(output))
    throw new AppError(
      'INVALID_ARGUMENT',
      `--output '${output}' is the input file; scoring would replace your data with the scored copy. Write to another file.`,
    )
  const format = predictOutputFormat(output)
  const tag = `.${basename(output)}.keel-${process.pid}-${Date.now().toString(36)}`
  const csvPath = join(dirname(output), `${tag}.csv.tmp`)
  const parquetPath = join(dirname(output), `${tag}.parquet.tmp`)
  const extra = scoreColumns(bundle)
  const nClasses = bundle.classes.length
  const labelFields = new Map<string | number, string>()
  let lines: CsvWriter | undefined
  // File errors come back as one DATA_WRITE that names the file.
  const guard = (step: Promise<void>): Promise<void> =>
    step.catch((error: unknown) => {
      throw writeError(csvPath, error)
    })
  let rowsDone = 0

  const sink = {
    async begin(columns: readonly StreamColumn[], totalRows: number): Promise<void> {
      const names = new Set(columns.map((c) => c.name))
      const missing = bundle.features.filter((f) => !names.has(f.name)).map((f) => f.name)
      if (missing.length > 0) {
        throw new AppError(
          'DATA_MISSING_COLUMN',
          `Input lacks feature column(s) the model needs: ${missing.join(', ')}.`,
          { details: { missing } },
        )
      }
      // A second pass (a sniffed type did not hold) starts the file over.
      if (lines !== undefined) await guard(lines.close())
      lines = new CsvWriter(csvPath, [...columns.map((c) => c.name), 'prediction', ...extra])
      // An unwritable file fails now, before any rows are scored.
      await guard(lines.opened())
      rowsDone = 0
      options.onStart?.(totalRows)
    },
    async write(chunk: Dataset): Promise<void> {
      const byName = new Map(chunk.columns.map((c) => [c.name, c]))
      const x = bundle.encoder.encodeValues(chunk.nRows, (name) => {
        const col = byName.get(name)
        return col === undefined ? undefined : (r) => cellValue(col, r)
      })
      const out = bundle.predictMatrix(x)
      const fields = chunk.columns.map(fieldFormatter)
      const labelField = (label: string | number): string => {
        let field = labelFields.get(label)
        if (field === undefined) {
          field = csvField(label)
          if (typeof label === 'string') labelFields.set(label, field)
        }
        return field
      }
      let batch: string[] = []
      for (let r = 0; r < chunk.nRows; r++) {
        let line = ''
        for (const field of fields) line += `${field(r)},`
        line += labelField(out.labels[r]!)
        if (bundle.task === 'binary') line += `,${csvField(out.positive![r]!)}`
        else if (bundle.task === 'multiclass') {
          const proba = out.proba!.data
          for (let c = 0; c < nClasses; c++) line += `,${csvField(proba[r * nClasses + c]!)}`
        }
        batch.push(line)
        if (batch.length === LINES_PER_WRITE) {
          await guard(lines!.writeLines(batch.join('\n')))
          batch = []
        }
      }
      if (batch.length > 0) await guard(lines!.writeLines(batch.join('\n')))
      rowsDone += chunk.nRows
      options.onProgress?.(rowsDone)
    },
  }

  // Fail before reading anything when the output cannot be written (staging goes there too).
  await access(dirname(output) || '.', constants.W_OK).catch((error: unknown) => {
    throw writeError(output, error)
  })
  // Ctrl-C or a kill must not leave the temporary files beside the user's output either.
  const untrack = trackTempFiles(csvPath, parquetPath)
  try {
    // Staging goes beside the output, on the disk the user chose for it, not to a /tmp that may be
    // small or held in RAM.
    const summary = await streamDataset(input, sink, {
      stagingDir: dirname(output),
      chunkRows: options.chunkRows ?? DEFAULT_PREDICT_CHUNK_ROWS,
    })
    await guard(lines!.close())
    lines = undefined
    if (format === 'csv') {
      await rename(csvPath, output).catch((error: unknown) => {
        throw writeError(output, error)
      })
    } else {
      const columns: ParquetColumn[] = [
        ...summary.columns.map((c) => ({ name: c.name, type: c.kind })),
        { name: 'prediction', type: bundle.task === 'regression' ? 'double' : 'text' },
        ...extra.map((name): ParquetColumn => ({ name, type: 'double' })),
      ]
      await csvToParquet(csvPath, parquetPath, columns)
      await rename(parquetPath, output).catch((error: unknown) => {
        throw writeError(output, error)
      })
      await removeQuietly(csvPath)
    }
    return { nRows: summary.nRows, format, output }
  } catch (error) {
    await lines?.destroy()
    await removeQuietly(csvPath)
    await removeQuietly(parquetPath)
    throw error
  } finally {
    untrack()
  }
}
