import { once } from 'node:events'
import { createWriteStream, type WriteStream } from 'node:fs'

/** Formats one CSV field (RFC 4180 quoting only where needed). */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value)
  const s = String(value)
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

/**
 * A streaming CSV writer with back-pressure, for outputs larger than memory. A file error (the
 * directory is missing, the disk is full) is kept by a listener that is always attached, so a
 * write that fails while nobody awaits never becomes an uncaught 'error' event; it is thrown by
 * the next call instead.
 */
export class CsvWriter {
  private readonly stream: WriteStream
  private buffer: string[] = []
  private bufferedChars = 0
  private failure: unknown

  constructor(path: string, header: readonly string[]) {
    this.stream = createWriteStream(path)
    this.stream.on('error', (error) => {
      this.failure ??= error
    })
    this.buffer.push(header.map(csvField).join(','))
  }

  /** Resolves once the file is open, or throws why it could not be opened. */
  async opened(): Promise<void> {
    this.check()
    if (this.stream.pending) await once(this.stream, 'ready')
  }

  /** Adds a row; call `flush` from time to time (or rely on the size trigger in `writeRows`). */
  async writeRows(rows: readonly (readonly (string | number | boolean | null)[])[]): Promise<void> {
    for (const row of rows) this.push(row.map(csvField).join(','))
    if (this.bufferedChars > 1 << 20) await this.flush()
  }

  /** Adds lines that are already CSV (fields quoted, joined by commas and newlines, no final newline). */
  async writeLines(text: string): Promise<void> {
    this.push(text)
    if (this.bufferedChars > 1 << 20) await this.flush()
  }

  /** Writes buffered rows to the file, waiting for the stream to drain. */
  async flush(): Promise<void> {
    this.check()
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
    this.check()
  }

  /** Abandons the file; resolves once its descriptor is closed, so it can be removed cleanly. */
  async destroy(): Promise<void> {
    if (this.stream.closed) return
    const closed = once(this.stream, 'close').catch(() => undefined)
    this.stream.destroy()
    await closed
  }

  private push(line: string): void {
    this.buffer.push(line)
    this.bufferedChars += line.length
  }

  private check(): void {
    if (this.failure !== undefined) throw this.failure
  }
}
