/**
 * Cheap checks on the first bytes of a data file, done before DuckDB sees it, so that common
 * mistakes (empty file, binary, wrong encoding, ragged rows, wrong delimiter) get a one-line,
 * actionable message instead of a parser dump. @internal
 */
import { isUtf8 } from 'node:buffer'
import { closeSync, openSync, readSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { DataError } from './errors.js'

/** File formats the loader reads. */
export type FileFormat = 'csv' | 'parquet' | 'json'

/** Text encodings the CSV reader accepts. */
export type TextEncoding = 'utf-8' | 'latin-1' | 'utf-16'

/** How many bytes of a file the checks look at. */
export const HEAD_BYTES = 256 * 1024

/** The first bytes of a file and whether that is all of it. @internal */
export interface FileHead {
  readonly path: string
  readonly bytes: Buffer
  readonly size: number
  readonly isWhole: boolean
}

/** Reads up to HEAD_BYTES from the start of a file. @internal */
export function readHead(path: string, size: number): FileHead {
  const fd = openSync(path, 'r')
  try {
    const bytes = Buffer.alloc(Math.min(size, HEAD_BYTES))
    const read = readSync(fd, bytes, 0, bytes.length, 0)
    return { path, bytes: bytes.subarray(0, read), size, isWhole: read >= size }
  } finally {
    closeSync(fd)
  }
}

function isCompressed(path: string): boolean {
  return /\.(gz|zst)$/i.test(path)
}

/** Picks the format: Parquet magic bytes win; otherwise the extension; otherwise CSV. @internal */
export function detectFormat(head: FileHead): FileFormat {
  if (head.bytes.subarray(0, 4).toString('latin1') === 'PAR1') return 'parquet'
  const ext = extname(head.path.replace(/\.(gz|zst)$/i, '')).toLowerCase()
  if (ext === '.parquet' || ext === '.pq') return 'parquet'
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'json'
  return 'csv'
}

function lineOfOffset(bytes: Buffer, offset: number): number {
  let line = 1
  for (let i = 0; i < offset && i < bytes.length; i++) if (bytes[i] === 0x0a) line++
  return line
}

/** Offset of the first byte that breaks UTF-8 (a simple scan, for the error message only). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0
  while (i < b.length) {
    const v = b[i]!
    if (v < 0x80) {
      i++
      continue
    }
    const extra = v >= 0xf0 && v < 0xf5 ? 3 : v >= 0xe0 && v < 0xf0 ? 2 : v >= 0xc2 && v < 0xe0 ? 1 : -1
    if (extra < 0) return i
    for (let k = 1; k <= extra; k++) if (i + k >= b.length || (b[i + k]! & 0xc0) !== 0x80) return i
    i += extra + 1
  }
  return 0
}

/** Throws DATA_EMPTY / DATA_ENCODING / DATA_BINARY for files that are not readable text. @internal */
export function checkText(head: FileHead, encoding: TextEncoding): void {
  const name = basename(head.path)
  if (head.size === 0)
    throw new DataError('DATA_EMPTY', `'${name}' is empty (0 bytes). Point to a file with data.`)
  if (isCompressed(head.path)) return
  const b = head.bytes
  if (encoding === 'utf-16') return
  const hasUtf16Bom = (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)
  let nul = 0
  let nulAtOdd = 0
  let control = 0
  for (let i = 0; i < b.length; i++) {
    const v = b[i]!
    if (v === 0) {
      nul++
      if (i % 2 === 1) nulAtOdd++
    } else if (v < 0x09 || (v > 0x0d && v < 0x20 && v !== 0x1b)) control++
  }
  const looksUtf16 = hasUtf16Bom || (nul > b.length / 4 && (nulAtOdd > nul * 0.9 || nulAtOdd < nul * 0.1))
  if (looksUtf16) {
    throw new DataError(
      'DATA_ENCODING',
      `'${name}' looks UTF-16 encoded; Keel reads UTF-8. Re-save it as UTF-8, or pass encoding 'utf-16' (--encoding utf-16).`,
      { details: { path: head.path, encoding: 'utf-16' } },
    )
  }
  if (nul > 0 || control > b.length * 0.01) {
    throw new DataError(
      'DATA_BINARY',
      `'${name}' is binary, not a text data file (found ${nul} NUL and ${control} control bytes in the first ${b.length} bytes). Point to a CSV, Parquet or JSON lines file.`,
      { details: { path: head.path } },
    )
  }
  if (encoding === 'utf-8') {
    // Ignore a multi-byte character cut off at the end of the head.
    let end = b.length
    if (!head.isWhole) {
      let back = 0
      while (back < 3 && end - back - 1 >= 0 && (b[end - back - 1]! & 0xc0) === 0x80) back++
      end = end - back - 1 >= 0 && b[end - back - 1]! >= 0xc0 ? end - back - 1 : end
    }
    const text = b.subarray(0, end)
    if (!isUtf8(text)) {
      const offset = firstInvalidUtf8(text)
      throw new DataError(
        'DATA_ENCODING',
        `'${name}' is not valid UTF-8 (byte 0x${text[offset]!.toString(16)} on line ${lineOfOffset(text, offset)}); it is probably Latin-1/Windows-1252. Re-save it as UTF-8, or pass encoding 'latin-1' (--encoding latin-1).`,
        { details: { path: head.path, line: lineOfOffset(text, offset) } },
      )
    }
  }
}

/** Decodes the head to a string in the given encoding. @internal */
export function headText(head: FileHead, encoding: TextEncoding): string {
  const text =
    encoding === 'latin-1'
      ? head.bytes.toString('latin1')
      : encoding === 'utf-16'
        ? head.bytes.toString('utf16le')
        : head.bytes.toString('utf8')
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

/** One parsed record of the head: where it starts and how many fields it has. @internal */
interface HeadRecord {
  readonly line: number
  readonly nFields: number
}

/**
 * Counts fields per record with RFC 4180 quoting ('"', doubled to escape). Only complete records
 * are returned; blank lines are skipped. At most `maxRecords`.
 */
function parseRecords(
  text: string,
  delimiter: string,
  isWhole: boolean,
  maxRecords: number,
): { records: HeadRecord[]; openQuoteLine: number | undefined } {
  const out: HeadRecord[] = []
  let line = 1
  let recordLine = 1
  let fields = 1
  let inQuotes = false
  let empty = true
  // A quote only opens a quoted field at the start of a field (RFC 4180); elsewhere, as in 12" pipe,
  // it is a plain character.
  let atFieldStart = true
  for (let i = 0; i < text.length && out.length < maxRecords; i++) {
    const ch = text[i]!
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') i++
        else inQuotes = false
      } else if (ch === '\n') line++
      continue
    }
    if (ch === '"' && atFieldStart) {
      inQuotes = true
      empty = false
      atFieldStart = false
    } else if (ch === delimiter) {
      fields++
      empty = false
      atFieldStart = true
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      if (!empty) out.push({ line: recordLine, nFields: fields })
      line++
      recordLine = line
      fields = 1
      empty = true
      atFieldStart = true
    } else if (ch === ' ') {
      // Leading spaces keep a field "at start" so that `a, "b"` still reads a quoted field.
    } else {
      empty = empty && ch === '\t' && delimiter === '\t'
      atFieldStart = false
    }
  }
  if (isWhole && !empty && !inQuotes && out.length < maxRecords)
    out.push({ line: recordLine, nFields: fields })
  return {
    records: out,
    openQuoteLine: isWhole && inQuotes && out.length < maxRecords ? recordLine : undefined,
  }
}

const CANDIDATES = [',', '\t', ';', '|'] as const
const UNUSUAL = [':', '^', '~', '#', '!', '/'] as const

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `'${d}'`
}

/** Result of sniffing a CSV head. @internal */
export interface CsvSniff {
  readonly delimiter: string
  readonly nColumns: number
  /** Data records seen in the head (0 with a whole file means header only). */
  readonly nDataRecords: number
}

function consistentWith(records: readonly HeadRecord[]): number {
  const first = records[0]
  if (first === undefined) return 0
  return records.every((r) => r.nFields === first.nFields) ? first.nFields : 0
}

function raggedError(name: string, delimiter: string, records: readonly HeadRecord[]): DataError {
  const header = records[0]!
  const bad = records.find((r) => r.nFields !== header.nFields)!
  const nBad = records.filter((r) => r.nFields !== header.nFields).length
  return new DataError(
    'DATA_RAGGED_ROWS',
    `'${name}' has ragged rows: line ${bad.line} has ${bad.nFields} fields but the header has ${header.nFields} (delimiter ${describeDelimiter(delimiter)}; ${nBad} such line(s) in the first ${records.length}). Fix those lines or quote fields that contain the delimiter.`,
    { details: { line: bad.line, fields: bad.nFields, expected: header.nFields, delimiter } },
  )
}

/**
 * Finds the delimiter (or checks the given one) on the first records, and fails early on header-only
 * files, ragged rows and a delimiter that leaves one column where another clearly splits the data.
 * @internal
 */
export function sniffCsv(head: FileHead, text: string, delimiter: string | undefined): CsvSniff {
  const name = basename(head.path)
  const sample = (d: string): HeadRecord[] => parseRecords(text, d, head.isWhole, 200).records
  const openQuoteLine = parseRecords(text, ',', head.isWhole, Number.POSITIVE_INFINITY).openQuoteLine
  if (openQuoteLine !== undefined) {
    throw new DataError(
      'DATA_PARSE',
      `'${name}' has a quote opened on line ${openQuoteLine} that is never closed. Close the quote, or double quotes inside fields ("").`,
      { details: { line: openQuoteLine } },
    )
  }
  const firstRecords = sample(',')
  if (firstRecords.length === 0 && head.isWhole)
    throw new DataError('DATA_EMPTY', `'${name}' holds no rows (only blank lines).`)

  const alternatives = (except: string): { d: string; n: number } | undefined => {
    let best: { d: string; n: number } | undefined
    for (const d of [...CANDIDATES, ...UNUSUAL]) {
      if (d === except) continue
      const recs = sample(d)
      const n = consistentWith(recs)
      if (recs.length >= 1 && n > 1 && (best === undefined || n > best.n)) best = { d, n }
    }
    return best
  }

  let chosen: string
  let records: HeadRecord[]
  if (delimiter !== undefined) {
    chosen = delimiter
    records = sample(delimiter)
    if (records.length > 0 && records[0]!.nFields === 1) {
      const alt = alternatives(delimiter)
      if (alt !== undefined) {
        throw new DataError(
          'DATA_DELIMITER',
          `'${name}' has a single column with delimiter ${describeDelimiter(delimiter)}, but it looks ${describeDelimiter(alt.d)}-delimited (${alt.n} columns). Pass delimiter ${describeDelimiter(alt.d)} (--delimiter ${JSON.stringify(alt.d)}).`,
          { details: { delimiter, suggested: alt.d } },
        )
      }
    }
  } else {
    let best: { d: string; n: number; recs: HeadRecord[] } | undefined
    for (const d of CANDIDATES) {
      const recs = sample(d)
      const n = consistentWith(recs)
      if (n > 1 && (best === undefined || n > best.n)) best = { d, n, recs }
    }
    if (best !== undefined) {
      chosen = best.d
      records = best.recs
    } else {
      // No candidate splits every record the same way: either one column, or ragged rows.
      let ragged: { d: string; recs: HeadRecord[] } | undefined
      for (const d of CANDIDATES) {
        const recs = sample(d)
        if (
          (recs[0]?.nFields ?? 1) > 1 &&
          (ragged === undefined || recs[0]!.nFields > ragged.recs[0]!.nFields)
        )
          ragged = { d, recs }
      }
      if (ragged !== undefined) throw raggedError(name, ragged.d, ragged.recs)
      const alt = alternatives(',')
      if (alt !== undefined && (sample(alt.d)[0]?.nFields ?? 1) > 1 && UNUSUAL.includes(alt.d as never)) {
        throw new DataError(
          'DATA_DELIMITER',
          `'${name}' looks delimited by ${describeDelimiter(alt.d)} (${alt.n} columns on every line), which Keel does not guess. Pass delimiter ${describeDelimiter(alt.d)} (--delimiter ${JSON.stringify(alt.d)}) if that is right.`,
          { details: { suggested: alt.d } },
        )
      }
      chosen = ','
      records = firstRecords
    }
  }
  if (records.length > 0 && consistentWith(records) === 0) throw raggedError(name, chosen, records)
  const nDataRecords = Math.max(0, records.length - 1)
  if (head.isWhole && nDataRecords === 0) {
    throw new DataError(
      'DATA_HEADER_ONLY',
      `'${name}' has a header line but no data rows. Point to a file with at least one row.`,
      { details: { path: head.path } },
    )
  }
  return { delimiter: chosen, nColumns: records[0]?.nFields ?? 1, nDataRecords }
}
