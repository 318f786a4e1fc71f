import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { datasetFromRecords, getColumn, selectRows } from './dataset.js'
import { openDuck, quoteLiteral } from './duckdb.js'
import { DataError } from './errors.js'
import { fingerprintDataset } from './fingerprint.js'
import { loadDataset } from './load.js'
import { inferSchema } from './schema.js'

const FIX = join(import.meta.dirname, '../../test/fixtures/data')

async function rejectsWith(path: string, code: string, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(loadDataset(path, options), (error: unknown) => {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`)
    assert.equal(error.code, code)
    assert.match(error.message, pattern)
    assert.ok(!error.message.includes('\n'), 'message is one line')
    return true
  })
}

test('bad files give typed one-line errors', async () => {
  await rejectsWith(join(FIX, 'missing.csv'), 'DATA_FILE_NOT_FOUND', /does not exist/)
  await rejectsWith(join(FIX, 'nothing-*.csv'), 'DATA_FILE_NOT_FOUND', /No files match/)
  await rejectsWith(join(FIX, 'empty.csv'), 'DATA_EMPTY', /empty/)
  await rejectsWith(join(FIX, 'header-only.csv'), 'DATA_HEADER_ONLY', /no data rows/)
  await rejectsWith(join(FIX, 'ragged.csv'), 'DATA_RAGGED_ROWS', /line 3 has 2 fields but the header has 3/)
  await rejectsWith(join(FIX, 'binary.csv'), 'DATA_BINARY', /binary/)
  await rejectsWith(join(FIX, 'semicolon.csv'), 'DATA_DELIMITER', /looks ';'-delimited/, { delimiter: ',' })
  await rejectsWith(join(FIX, 'colon.csv'), 'DATA_DELIMITER', /delimited by ':'/)
  await rejectsWith(join(FIX, 'not-parquet.parquet'), 'DATA_PARSE', /not a Parquet file/)
  await rejectsWith(join(FIX, 'latin1.csv'), 'DATA_ENCODING', /not valid UTF-8.*line 2.*latin-1/)
  await rejectsWith(join(FIX, 'utf16.csv'), 'DATA_ENCODING', /UTF-16/)
  await rejectsWith(FIX, 'DATA_FILE_NOT_FOUND', /directory/)
  await rejectsWith(
    join(FIX, 'broken.jsonl'),
    'DATA_PARSE',
    /Could not read 'broken.jsonl' as JSON.*Malformed JSON/,
  )
})

test('bad rows beyond the sniffed head are still caught by the parser', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-load-'))
  const good = Array.from({ length: 30000 }, (_, i) => `${i},${i * 2},x${i % 7}`).join('\n')
  writeFileSync(join(dir, 'late-ragged.csv'), `a,b,c\n${good}\n1,2,3,4\n`)
  await rejectsWith(join(dir, 'late-ragged.csv'), 'DATA_RAGGED_ROWS', /ragged rows on line/)
  writeFileSync(
    join(dir, 'late-latin1.csv'),
    Buffer.concat([Buffer.from(`a,b,c\n${good}\n`), Buffer.from([0x31, 0x2c, 0x32, 0x2c, 0xe9, 0x0a])]),
  )
  await rejectsWith(join(dir, 'late-latin1.csv'), 'DATA_ENCODING', /UTF-8/)
  // A text value late in a column sniffed as numeric: widened, not an error.
  writeFileSync(join(dir, 'late-text.csv'), `a,b,c\n${good}\nzzz,2,x1\n`)
  const ds = await loadDataset(join(dir, 'late-text.csv'))
  assert.equal(getColumn(ds, 'a').kind, 'categorical')
  assert.equal(ds.nRows, 30001)
})

test('latin-1 loads when the encoding is given', async () => {
  const ds = await loadDataset(join(FIX, 'latin1.csv'), { encoding: 'latin-1' })
  const name = getColumn(ds, 'name')
  assert.equal(name.kind, 'categorical')
  assert.ok(name.kind === 'categorical' && name.levels.includes('José'))
})

test('CSV types, quoting, missing values and sorted levels', async () => {
  const ds = await loadDataset(join(FIX, 'types.csv'))
  assert.equal(ds.nRows, 4)
  assert.deepEqual(
    ds.columns.map((c) => `${c.name}:${c.kind}`),
    [
      'id:numeric',
      'amount:numeric',
      'city:categorical',
      'active:boolean',
      'signup:datetime',
      'note:categorical',
    ],
  )
  const amount = getColumn(ds, 'amount')
  assert.ok(amount.kind === 'numeric')
  assert.deepEqual([...amount.values], [10.5, Number.NaN, 7, 3.25])
  const city = getColumn(ds, 'city')
  assert.ok(city.kind === 'categorical')
  assert.deepEqual(city.levels, ['Berlin', 'Paris'])
  assert.deepEqual([...city.codes], [1, 0, -1, 1])
  const active = getColumn(ds, 'active')
  assert.ok(active.kind === 'boolean')
  assert.deepEqual([...active.values], [1, 0, 1, Number.NaN])
  const signup = getColumn(ds, 'signup')
  assert.ok(signup.kind === 'datetime')
  assert.equal(signup.values[0], Date.UTC(2024, 0, 2))
  assert.ok(Number.isNaN(signup.values[2]))
  const note = getColumn(ds, 'note')
  assert.ok(note.kind === 'categorical')
  assert.deepEqual(note.levels, ['hello, world', 'multi\nline', 'plain', 'say "hi"'])
  const schema = inferSchema(ds)
  assert.deepEqual(
    schema.columns.map((c) => [c.name, c.missing, c.distinct]),
    [
      ['id', 0, 4],
      ['amount', 1, 3],
      ['city', 1, 2],
      ['active', 1, 2],
      ['signup', 1, 3],
      ['note', 0, 4],
    ],
  )
})

test('TSV is sniffed, kinds can be forced, columns selected', async () => {
  const ds = await loadDataset(join(FIX, 'tabbed.tsv'), {
    kinds: { id: 'categorical' },
    columns: ['city', 'id'],
  })
  assert.deepEqual(
    ds.columns.map((c) => `${c.name}:${c.kind}`),
    ['city:categorical', 'id:categorical'],
  )
  await assert.rejects(
    loadDataset(join(FIX, 'tabbed.tsv'), { kinds: { city: 'numeric' } }),
    /declared numeric/,
  )
  await assert.rejects(
    loadDataset(join(FIX, 'tabbed.tsv'), { columns: ['nope'] }),
    /Available columns: id, amount, city/,
  )
})

test('the same rows from CSV, Parquet, JSON lines and records share one fingerprint', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-fp-'))
  const csv = join(dir, 'd.csv')
  writeFileSync(csv, 'x,y,c,when\n1.5,0,b,2024-01-01 10:00:00\n,1,a,2024-01-02 00:00:00\n3,1,,\n')
  const duck = await openDuck()
  const parquet = join(dir, 'd.parquet')
  const jsonl = join(dir, 'd.jsonl')
  try {
    await duck.con.run(
      `COPY (SELECT * FROM read_csv(${quoteLiteral(csv)})) TO ${quoteLiteral(parquet)} (FORMAT parquet)`,
    )
  } finally {
    duck.close()
  }
  writeFileSync(
    jsonl,
    '{"x":1.5,"y":0,"c":"b","when":"2024-01-01 10:00:00"}\n{"x":null,"y":1,"c":"a","when":"2024-01-02 00:00:00"}\n{"x":3,"y":1,"c":null,"when":null}\n',
  )
  const a = await loadDataset(csv)
  const b = await loadDataset(parquet)
  const c = await loadDataset(jsonl)
  const d = datasetFromRecords(
    [
      { x: 1.5, y: 0, c: 'b', when: new Date(Date.UTC(2024, 0, 1, 10)) },
      { x: null, y: 1, c: 'a', when: new Date(Date.UTC(2024, 0, 2)) },
      { x: 3, y: 1, c: null, when: null },
    ],
    { when: 'datetime' },
  )
  const fp = fingerprintDataset(a)
  assert.equal(fingerprintDataset(b), fp)
  assert.equal(fingerprintDataset(c), fp)
  assert.equal(fingerprintDataset(d), fp)
  // A subset keeps unused levels but hashes like the same rows built fresh.
  assert.equal(fingerprintDataset(selectRows(a, [0, 2])), fingerprintDataset(selectRows(d, [0, 2])))
  assert.notEqual(fingerprintDataset(selectRows(a, [1, 0, 2])), fp)
})

test('a glob loads several files as one dataset', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-glob-'))
  writeFileSync(join(dir, 'part-1.csv'), 'a,b\n1,x\n2,y\n')
  writeFileSync(join(dir, 'part-2.csv'), 'a,b\n3,z\n')
  const ds = await loadDataset(join(dir, 'part-*.csv'))
  assert.equal(ds.nRows, 3)
  const b = getColumn(ds, 'b')
  assert.ok(b.kind === 'categorical')
  assert.deepEqual(b.levels, ['x', 'y', 'z'])
})

test('getColumn names the available columns', () => {
  const ds = datasetFromRecords([{ a: 1, b: 'x' }])
  assert.throws(() => getColumn(ds, 'zz'), /Column 'zz' not found. Available columns: a, b\./)
})
