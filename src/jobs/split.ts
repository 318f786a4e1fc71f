import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidArgumentError } from '../core/index.js'
import { cellValue, csvToParquet, type Dataset, type StreamColumn, streamDataset } from '../data/index.js'
import { CsvWriter, csvField } from '../train/index.js'

/** A contiguous range of input rows scored as one job. */
export interface PartRange {
  /** 0-based position of the part; parts are merged in this order. */
  readonly index: number
  /** 0-based first input row. */
  readonly rowStart: number
  readonly rowCount: number
}

/** A part whose rows have been written to a file of their own for a worker to score. */
export interface StagedPart extends PartRange {
  /** Parquet file holding exactly the part's rows, typed as the whole input is read. */
  readonly inputPath: string
}

/** What `stageParts` wrote. */
export interface StagedInput {
  readonly nRows: number
  /** The input's columns with the kinds the whole file is read as (what `keel predict` sees). */
  readonly columns: readonly StreamColumn[]
  readonly parts: readonly StagedPart[]
}

/**
 * Splits `totalRows` rows into consecutive ranges of `partRows` (the last one shorter): every row
 * falls in exactly one range, in order.
 * @throws InvalidArgumentError when a count is not a positive integer.
 */
export function planParts(totalRows: number, partRows: number): PartRange[] {
  if (!Number.isInteger(partRows) || partRows < 1)
    throw new InvalidArgumentError(`partRows must be a positive integer, got ${partRows}.`)
  if (!Number.isInteger(totalRows) || totalRows < 0)
    throw new InvalidArgumentError(`totalRows must be a non-negative integer, got ${totalRows}.`)
  const parts: PartRange[] = []
  for (let rowStart = 0, index = 0; rowStart < totalRows; rowStart += partRows, index++)
    parts.push({ index, rowStart, rowCount: Math.min(partRows, totalRows - rowStart) })
  return parts
}

/** File name of part `index` (zero-padded so a listing sorts in part order). */
export function partFileName(prefix: string, index: number, extension: string): string {
  return `${prefix}-${String(index).padStart(6, '0')}.${extension}`
}

/**
 * Reads `input` once, in order, through the same reader as `keel predict` (`streamDataset`: same
 * sniffing, same types, same values) and writes each range of `partRows` rows to a Parquet file of
 * its own in `dir`, with the column types the whole file is read as. A worker then scores a part
 * with `predictFile` exactly as the single-process run scores those rows: a part is not re-sniffed
 * on its own (where a text column of digits could turn numeric, say). Memory stays flat: rows pass
 * through a CSV per part, converted to Parquet once the whole input is read and the final kinds
 * are known.
 *
 * @throws DataError with the codes of `streamDataset` for an unreadable input; DATA_PARSE when a
 *   part cannot be written.
 */
export async function stageParts(
  input: string,
  dir: string,
  partRows: number,
  onStart?: (totalRows: number) => void,
): Promise<StagedInput> {
  if (!Number.isInteger(partRows) || partRows < 1)
    throw new InvalidArgumentError(`partRows must be a positive integer, got ${partRows}.`)
  const csvPaths: string[] = []
  let header: string[] = []
  let writer: CsvWriter | undefined
  let rowsInPart = 0

  const closePart = async (): Promise<void> => {
    if (writer === undefined) return
    await writer.close()
    writer = undefined
  }
  const discard = async (): Promise<void> => {
    await writer?.destroy()
    writer = undefined
    await Promise.all(csvPaths.map((path) => rm(path, { force: true })))
    csvPaths.length = 0
  }

  const sink = {
    async begin(columns: readonly StreamColumn[], totalRows: number): Promise<void> {
      // A second pass voids the first: start the parts over.
      await discard()
      header = columns.map((c) => c.name)
      rowsInPart = 0
      onStart?.(totalRows)
    },
    async write(chunk: Dataset): Promise<void> {
      let r = 0
      while (r < chunk.nRows) {
        if (writer === undefined || rowsInPart === partRows) {
          await closePart()
          const path = join(dir, partFileName('input', csvPaths.length, 'csv'))
          csvPaths.push(path)
          writer = new CsvWriter(path, header)
          await writer.opened()
          rowsInPart = 0
        }
        const take = Math.min(chunk.nRows - r, partRows - rowsInPart)
        const lines: string[] = []
        // Exactly the fields predictFile writes for these cells, read back with the final types.
        for (let i = r; i < r + take; i++)
          lines.push(chunk.columns.map((col) => csvField(cellValue(col, i))).join(','))
        await writer.writeLines(lines.join('\n'))
        rowsInPart += take
        r += take
      }
    },
  }

  try {
    const summary = await streamDataset(input, sink, { stagingDir: dir })
    await closePart()
    const ranges = planParts(summary.nRows, partRows)
    const types = summary.columns.map((c) => ({ name: c.name, type: c.kind }))
    const parts: StagedPart[] = []
    for (const range of ranges) {
      const csvPath = csvPaths[range.index]!
      const inputPath = join(dir, partFileName('input', range.index, 'parquet'))
      await csvToParquet(csvPath, inputPath, types)
      await rm(csvPath, { force: true })
      parts.push({ ...range, inputPath })
    }
    return { nRows: summary.nRows, columns: summary.columns, parts }
  } catch (error) {
    await discard()
    throw error
  }
}
