import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { open, rename, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { AppError, trackTempFiles } from '../core/index.js'
import { csvToParquet, DataError, type ParquetColumn } from '../data/index.js'
import { csvField } from '../train/index.js'

/** Options of `mergeParts`. */
export interface MergeOptions {
  /** Column names of every part, in order: each part starts with this header line. */
  readonly header: readonly string[]
  /** CSV output: the parts' bytes, concatenated. Parquet: those rows, typed by `columns`. */
  readonly format: 'csv' | 'parquet'
  /** The Parquet column types (needed for `format: 'parquet'`). */
  readonly columns?: readonly ParquetColumn[]
}

/** Reads the first `length` bytes of a file. */
async function readPrefix(path: string, length: number): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    const { bytesRead } = await handle.read(buffer, 0, length, 0)
    return buffer.subarray(0, bytesRead).toString('utf8')
  } finally {
    await handle.close()
  }
}

/**
 * Concatenates scored part files (CSV with a header line each, as `predictFile` writes them) into
 * `output`, in the order given: the header once, then every part's rows. Each part must begin with
 * the expected header, so a file that is not a complete part fails the merge instead of slipping
 * in. The output is written to a temporary file beside it and renamed when complete; a CSV output
 * is byte for byte what one `predictFile` over the whole input writes.
 *
 * @throws AppError INTERNAL when a part does not start with the header; DataError DATA_WRITE when
 *   the output cannot be written.
 */
export async function mergeParts(
  partPaths: readonly string[],
  output: string,
  options: MergeOptions,
): Promise<void> {
  const headerLine = `${options.header.map(csvField).join(',')}\n`
  const headerBytes = Buffer.byteLength(headerLine)
  const tag = `.${basename(output)}.keel-merge-${process.pid}-${Date.now().toString(36)}`
  const csvPath = join(dirname(output), `${tag}.csv.tmp`)
  const parquetPath = join(dirname(output), `${tag}.parquet.tmp`)
  const untrack = trackTempFiles(csvPath, parquetPath)
  try {
    const sink = createWriteStream(csvPath)
    const opened = new Promise<void>((resolve, reject) => {
      sink.once('ready', () => resolve())
      sink.once('error', reject)
    })
    await opened.catch((error: unknown) => {
      throw writeError(output, error)
    })
    try {
      sink.write(headerLine)
      for (const [i, path] of partPaths.entries()) {
        const prefix = await readPrefix(path, headerBytes)
        if (prefix !== headerLine)
          throw new AppError(
            'JOB_FAILED',
            `Scored part ${i} ('${path}') does not start with the expected header; it is not a complete part. Run the command again.`,
            { details: { part: i, path } },
          )
        // Copied by hand rather than with pipeline(…, { end: false }), which leaves listeners on the
        // shared sink for every part.
        for await (const chunk of createReadStream(path, { start: headerBytes })) {
          if (!sink.write(chunk)) await once(sink, 'drain')
        }
      }
    } finally {
      await new Promise<void>((resolve, reject) => {
        sink.end((error?: Error | null) => (error ? reject(writeError(output, error)) : resolve()))
      })
    }
    if (options.format === 'csv') {
      await rename(csvPath, output).catch((error: unknown) => {
        throw writeError(output, error)
      })
    } else {
      if (options.columns === undefined)
        throw new AppError('JOB_FAILED', 'mergeParts needs the column types for a Parquet output.')
      await csvToParquet(csvPath, parquetPath, options.columns)
      await rename(parquetPath, output).catch((error: unknown) => {
        throw writeError(output, error)
      })
      await rm(csvPath, { force: true })
    }
  } catch (error) {
    await rm(csvPath, { force: true })
    await rm(parquetPath, { force: true })
    throw error
  } finally {
    untrack()
  }
}

function writeError(path: string, error: unknown): DataError {
  const reason = error instanceof Error ? error.message : String(error)
  return new DataError(
    'DATA_WRITE',
    `Could not write '${path}': ${reason}. Check that the directory exists and is writable.`,
    { cause: error, details: { path } },
  )
}
