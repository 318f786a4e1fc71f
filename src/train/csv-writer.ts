import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'

/** Formats one CSV field (RFC 4180 quoting only where needed). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value)
  const s = String(value)
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/** A streaming CSV writer with back-pressure, for outputs larger than memory. */
export class CsvWriter {
  private readonly stream: WriteStream
  private buffer: string[] = []
  private bufferedChars = 0

  constructor(path: string, header: readonly string[]) {
    this.stream = createWriteStream(path)
    this.buffer.push(header.map(csvField).join(','))
  }

  /** Adds a row; call `flush` from time to time (or rely on the size trigger in `writeRows`). */
  async writeRows(rows: readonly (readonly (string | number | boolean | null)[])[]): Promise<void> {
    for (const row of rows) {
      const line = row.map(csvField).join(',')
      this.buffer.push(line)
      this.bufferedChars += line.length
    }
    if (this.bufferedChars > 1 << 20) await this.flush()
  }

  /** Writes buffered rows to the file, waiting for the stream to drain. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return
    const text = `${this.buffer.join('\n')}\n`
    this.buffer = []
    this.bufferedChars = 0
    if (!this.stream.write(text)) await once(this.stream, 'drain')
  }

  /** Flushes and closes the file. */
  async close(): Promise<void> {
    await this.flush()
    this.stream.end()
    await once(this.stream, 'close')
  }
}
