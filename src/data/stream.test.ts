import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { cellValue, type Dataset } from './dataset.js'
import { DataError } from './errors.js'
import { loadDataset } from './load.js'
import { type StreamColumn, streamDataset } from './stream.js'

const FIX = join(import.meta.dirname, '../../test/fixtures/data')

interface Collected {
  readonly passes: (readonly StreamColumn[])[]
  readonly rows: Record<string, unknown>[]
  readonly chunkSizes: number[]
}

/** Streams a file and collects each row as plain values (what `cellValue` gives). */
async function collect(path: string, chunkRows: number): Promise<Collected & { summaryKinds: string[] }> {
  const passes: (readonly StreamColumn[])[] = []
  let rows: Record<string, unknown>[] = []
  let chunkSizes: number[] = []
  const summary = await streamDataset(
    path,
    {
      async begin(columns) {
        passes.push(columns)
        rows = []
        chunkSizes = []
      },
      async write(chunk: Dataset) {
        chunkSizes.push(chunk.nRows)
        for (let r = 0; r < chunk.nRows; r++) {
          const row: Record<string, unknown> = {}
          for (const col of chunk.columns) row[col.name] = cellValue(col, r)
          rows.push(row)
        }
      },
    },
    { chunkRows },
  )
  assert.equal(summary.nRows, rows.length)
  return { passes, rows, chunkSizes, summaryKinds: summary.columns.map((c) => `${c.name}:${c.kind}`) }
}

async function wholeFile(path: string): Promise<{ rows: Record<string, unknown>[]; kinds: string[] }> {
  const ds = await loadDataset(path)
  const rows: Record<string, unknown>[] = []
  for (let r = 0; r < ds.nRows; r++) {
    const row: Record<string, unknown> = {}
    for (const col of ds.columns) row[col.name] = cellValue(col, r)
    rows.push(row)
  }
  return { rows, kinds: ds.columns.map((c) => `${c.name}:${c.kind}`) }
}

function writeCsv(name: string, lines: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-stream-'))
  const path = join(dir, name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

test('chunks of any size concatenate to the rows and kinds loadDataset gives', async () => {
  const lines = ['id,x,city,flag,when,note']
  for (let i = 0; i < 53; i++) {
    const x = i % 7 === 0 ? '' : String((i * 0.37) % 5)
    const city = ['Oslo', 'Paris', '', 'Lima, Peru', 'a "b"'][i % 5]!
    const quoted = city.includes(',') || city.includes('"') ? `"${city.replaceAll('"', '""')}"` : city
    const flag = ['true', 'False', ''][i % 3]!
    const when = i % 11 === 0 ? '' : `2024-01-${String((i % 28) + 1).padStart(2, '0')}`
    lines.push(`${100 - i},${x},${quoted},${flag},${when},n${i % 4}`)
  }
  const path = writeCsv('mixed.csv', lines)
  const expected = await wholeFile(path)
  for (const chunkRows of [1, 3, 10, 53, 1000]) {
    const got = await collect(path, chunkRows)
    assert.deepEqual(got.rows, expected.rows, `chunkRows ${chunkRows}`)
    assert.deepEqual(got.summaryKinds, expected.kinds)
    assert.equal(got.passes.length, 1, 'no second pass needed')
    assert.equal(got.chunkSizes.length, Math.ceil(53 / chunkRows))
    assert.ok(got.chunkSizes.every((n) => n <= chunkRows))
  }
  assert.ok(expected.kinds.includes('flag:boolean'), 'true/false text reads as boolean')
})

test('fixture files (typed CSV, TSV, JSON lines) stream to the rows loadDataset gives', async () => {
  for (const file of ['types.csv', 'tabbed.tsv', 'rows.jsonl']) {
    const path = join(FIX, file)
    const expected = await wholeFile(path)
    const got = await collect(path, 2)
    assert.deepEqual(got.rows, expected.rows, file)
    assert.deepEqual(got.summaryKinds, expected.kinds, file)
  }
})

test('a true/false column that turns out to hold other text is read again as text', async () => {
  const lines = ['k,answer']
  for (let i = 0; i < 20; i++) lines.push(`${i},${i % 2 === 0 ? 'true' : 'false'}`)
  lines.push('20,maybe')
  const path = writeCsv('late-text.csv', lines)
  const expected = await wholeFile(path)
  assert.ok(expected.kinds.includes('answer:categorical'))
  const got = await collect(path, 4)
  assert.equal(got.passes.length, 2, 'the first pass handed out booleans, so it is redone')
  assert.deepEqual(got.rows, expected.rows)
  assert.deepEqual(got.summaryKinds, expected.kinds)
})

test('text after only missing values needs no second pass; an all-missing column stays text', async () => {
  const lines = ['k,answer,empty']
  for (let i = 0; i < 10; i++) lines.push(`${i},,`)
  lines.push('10,yes,')
  lines.push('11,true,')
  const path = writeCsv('late-text-after-missing.csv', lines)
  const expected = await wholeFile(path)
  const got = await collect(path, 4)
  assert.equal(got.passes.length, 1)
  assert.deepEqual(got.rows, expected.rows)
  assert.deepEqual(got.summaryKinds, expected.kinds)
})

test('a value the type sniffer did not expect, past its sample, is read as loadDataset reads it', async () => {
  // DuckDB samples the first 20480 rows to pick types; a text value after that forces a re-read
  // with the whole file sampled (while staging, before the sink sees a row).
  const lines = ['n,v']
  for (let i = 0; i < 25_000; i++) lines.push(`${i},${i % 10}`)
  lines.push('25000,oops')
  const path = writeCsv('late-type.csv', lines)
  const expected = await wholeFile(path)
  const got = await collect(path, 8192)
  assert.equal(got.passes.length, 1)
  assert.deepEqual(got.summaryKinds, expected.kinds)
  assert.ok(expected.kinds.includes('v:categorical'))
  assert.equal(got.rows.length, expected.rows.length)
  assert.deepEqual(got.rows.slice(-3), expected.rows.slice(-3))
  assert.deepEqual(got.rows.slice(0, 3), expected.rows.slice(0, 3))
})

test('an error past the sniffing sample is reported, not taken for the end of the file', async () => {
  // A streaming DuckDB read ends quietly at such an error; the staging copy must surface it.
  const lines = ['a,b,c']
  for (let i = 0; i < 25_000; i++) lines.push(`${i},${i},x${i}`)
  lines.push('1,2')
  const path = writeCsv('late-ragged.csv', lines)
  let rows = 0
  await assert.rejects(
    streamDataset(path, {
      begin: async () => undefined,
      write: async (chunk) => {
        rows += chunk.nRows
      },
    }),
    (error: unknown) =>
      error instanceof DataError && error.code === 'DATA_RAGGED_ROWS' && /25002/.test(error.message),
  )
  assert.equal(rows, 0)
})

test('bad files give the same typed errors as loadDataset', async () => {
  const sink = { begin: async () => undefined, write: async () => undefined }
  for (const [file, code] of [
    ['missing.csv', 'DATA_FILE_NOT_FOUND'],
    ['empty.csv', 'DATA_EMPTY'],
    ['header-only.csv', 'DATA_HEADER_ONLY'],
    ['ragged.csv', 'DATA_RAGGED_ROWS'],
    ['binary.csv', 'DATA_BINARY'],
    ['not-parquet.parquet', 'DATA_PARSE'],
  ] as const) {
    await assert.rejects(streamDataset(join(FIX, file), sink), (error: unknown) => {
      assert.ok(error instanceof DataError, `${file}: ${String(error)}`)
      assert.equal(error.code, code, file)
      return true
    })
  }
})

test("the sink's own errors pass through unchanged", async () => {
  const path = writeCsv('ok.csv', ['a,b', '1,2', '3,4'])
  const boom = new Error('sink failed')
  await assert.rejects(
    streamDataset(path, {
      begin: async () => undefined,
      write: async () => {
        throw boom
      },
    }),
    (error: unknown) => error === boom,
  )
})
