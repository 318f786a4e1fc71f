import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { isAppError } from '../core/index.js'
import { cellValue, datasetToRecords, getColumn, loadDataset } from '../data/index.js'
import type { ModelBundle } from '../pipeline/index.js'
import { predictFile } from './batch-predict.js'
import { CsvWriter } from './csv-writer.js'
import { trainModelBundle } from './workflow.js'

/** Deterministic rows with every kind of column, missing values, quoting and a row id. */
function writeData(dir: string, name: string, nRows: number, seed: number, withTarget = true): string {
  let s = seed >>> 0
  const rand = (): number => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0
    return s / 2 ** 32
  }
  const lines = [`row_id,x1,x2,city,member,signup${withTarget ? ',y,species' : ''}`]
  for (let i = 0; i < nRows; i++) {
    const x1 = rand() * 10 - 5
    const x2 = rand() < 0.1 ? '' : (rand() * 100).toFixed(3)
    const city = ['Oslo', 'Paris', 'Lima, Peru', 'say "hi"', ''][Math.floor(rand() * 5)]!
    const cityField = /[",]/.test(city) ? `"${city.replaceAll('"', '""')}"` : city
    const member = rand() < 0.5 ? 'true' : 'False'
    const signup = `2023-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-15`
    const logit = x1 + (city === 'Paris' ? 1.5 : 0) + (member === 'true' ? -1 : 0.5)
    const y = rand() < 1 / (1 + Math.exp(-logit)) ? 'yes' : 'no'
    const species = ['ant', 'bee', 'cat'][(Math.floor(x1 + 5) + (city === 'Oslo' ? 1 : 0)) % 3]!
    lines.push(
      `${1000 + ((i * 7919) % nRows)},${x1.toFixed(4)},${x2},${cityField},${member},${signup}${withTarget ? `,${y},${species}` : ''}`,
    )
  }
  const path = join(dir, name)
  writeFileSync(path, `${lines.join('\n')}\n`)
  return path
}

/** The whole-file path `keel predict` took before streaming: load, records, predictRecords, CsvWriter. */
async function wholeFileReference(bundle: ModelBundle, input: string, output: string): Promise<void> {
  const ds = await loadDataset(input)
  const names = ds.columns.map((c) => c.name)
  const extra =
    bundle.task === 'binary'
      ? ['probability']
      : bundle.task === 'multiclass'
        ? bundle.classes.map((c) => `proba_${c}`)
        : []
  const writer = new CsvWriter(output, [...names, 'prediction', ...extra])
  const records = datasetToRecords(ds)
  const out = bundle.predictRecords(records)
  await writer.writeRows(
    records.map((record, i) => {
      const row: (string | number | boolean | null)[] = names.map((n) => record[n] ?? null)
      row.push(out.labels[i]!)
      if (bundle.task === 'binary') row.push(out.positive![i]!)
      else if (bundle.task === 'multiclass')
        for (let c = 0; c < bundle.classes.length; c++)
          row.push(out.proba!.data[i * bundle.classes.length + c]!)
      return row
    }),
  )
  await writer.close()
}

async function train(
  dataPath: string,
  target: string,
  model: 'gbdt' | 'linear',
  exclude: string[],
): Promise<ModelBundle> {
  const outcome = await trainModelBundle({
    dataPath,
    target,
    model,
    exclude: ['row_id', ...exclude],
    params: model === 'gbdt' ? { nEstimators: 15 } : {},
    seed: 1,
    testSize: 0,
    folds: 2,
  })
  return outcome.bundle
}

const dir = mkdtempSync(join(tmpdir(), 'keel-batch-predict-'))
const trainPath = writeData(dir, 'train.csv', 400, 1)
// Scoring rows come from another seed, so unseen categories and new values occur; no target columns.
const scorePath = writeData(dir, 'score.csv', 257, 2, false)
// An unseen level and a type mismatch: 'member' as 'maybe' (boolean feature, text input).
writeFileSync(
  join(dir, 'odd.csv'),
  'row_id,x1,x2,city,member,signup\n1,0.5,,Tokyo,maybe,2023-01-01\n2,,7,Oslo,,\n3,1e3,-2,Paris,true,2023-12-31\n',
)

test('streamed scoring equals the whole-file path byte for byte, for any chunk size (binary, gbdt)', async () => {
  const bundle = await train(trainPath, 'y', 'gbdt', ['species'])
  assert.equal(bundle.task, 'binary')
  for (const input of [scorePath, join(dir, 'odd.csv')]) {
    const expectedPath = join(dir, 'expected.csv')
    await wholeFileReference(bundle, input, expectedPath)
    const expected = readFileSync(expectedPath, 'utf8')
    for (const chunkRows of [1, 5, 64, undefined]) {
      const out = join(dir, `binary-${chunkRows ?? 'default'}.csv`)
      const result = await predictFile(bundle, input, out, chunkRows === undefined ? {} : { chunkRows })
      assert.equal(result.format, 'csv')
      assert.equal(readFileSync(out, 'utf8'), expected, `chunkRows ${chunkRows} on ${input}`)
    }
  }
  // Row order is the input's: the shuffled row ids come back in the same sequence.
  await predictFile(bundle, scorePath, join(dir, 'order.csv'), { chunkRows: 5 })
  const lines = readFileSync(join(dir, 'order.csv'), 'utf8').trim().split('\n').slice(1)
  const ids = (await loadDataset(scorePath)).columns[0]!
  assert.equal(lines.length, 257)
  for (const [i, line] of lines.entries()) assert.equal(Number(line.split(',')[0]), cellValue(ids, i))
  assert.ok(lines.every((line) => /,(yes|no),[0-9.e-]+$/.test(line)))
})

test('multiclass scoring (one-hot linear model) writes proba_<label> per class, equal to the whole-file path', async () => {
  const bundle = await train(trainPath, 'species', 'linear', ['y'])
  assert.equal(bundle.task, 'multiclass')
  const expectedPath = join(dir, 'expected-multi.csv')
  await wholeFileReference(bundle, scorePath, expectedPath)
  const out = join(dir, 'multi.csv')
  await predictFile(bundle, scorePath, out, { chunkRows: 7 })
  const text = readFileSync(out, 'utf8')
  assert.equal(text, readFileSync(expectedPath, 'utf8'))
  assert.match(text.split('\n')[0]!, /,prediction,proba_ant,proba_bee,proba_cat$/)
})

test('Parquet output holds the same rows and scores as the CSV output', async () => {
  const bundle = await train(trainPath, 'y', 'gbdt', ['species'])
  const csvOut = join(dir, 'same.csv')
  const parquetOut = join(dir, 'same.parquet')
  await predictFile(bundle, scorePath, csvOut, { chunkRows: 50 })
  const result = await predictFile(bundle, scorePath, parquetOut, { chunkRows: 50 })
  assert.equal(result.format, 'parquet')
  assert.equal(readFileSync(parquetOut).subarray(0, 4).toString('latin1'), 'PAR1')
  const fromParquet = await loadDataset(parquetOut)
  const fromCsv = await loadDataset(csvOut)
  assert.equal(fromParquet.nRows, 257)
  assert.deepEqual(
    fromParquet.columns.map((c) => c.name),
    fromCsv.columns.map((c) => c.name),
  )
  for (const name of ['row_id', 'x2', 'city', 'member', 'signup', 'prediction', 'probability']) {
    const a = getColumn(fromParquet, name)
    const b = getColumn(fromCsv, name)
    for (let r = 0; r < fromCsv.nRows; r++) assert.equal(cellValue(a, r), cellValue(b, r), `${name} row ${r}`)
  }
  assert.equal(getColumn(fromParquet, 'probability').kind, 'numeric')
  assert.ok(!readdirSync(dir).some((f) => f.includes('.keel-')), 'no staging files left')
})

test('bad input: typed error, no output and no temporary file left', async () => {
  const bundle = await train(trainPath, 'y', 'gbdt', ['species'])
  const errDir = mkdtempSync(join(tmpdir(), 'keel-batch-predict-bad-'))
  // Ragged only past DuckDB's 20480-row sniffing sample: a streaming read would stop there quietly.
  const [header, ...body] = readFileSync(scorePath, 'utf8').trim().split('\n')
  const many = [header!]
  while (many.length <= 21_000) many.push(...body)
  many.push('1,2,3')
  writeFileSync(join(errDir, 'ragged.csv'), `${many.join('\n')}\n`)
  const raggedCode = await loadDataset(join(errDir, 'ragged.csv')).then(
    () => 'none',
    (error: unknown) => (isAppError(error) ? error.code : String(error)),
  )
  assert.equal(raggedCode, 'DATA_RAGGED_ROWS', 'the whole-file path rejects it too')
  writeFileSync(join(errDir, 'no-city.csv'), 'row_id,x1,x2,member,signup\n1,1,1,true,2023-01-01\n')
  const cases: [string, string, string][] = [
    ['ragged.csv', 'out.csv', 'DATA_RAGGED_ROWS'],
    ['ragged.csv', 'out.parquet', 'DATA_RAGGED_ROWS'],
    ['missing.csv', 'out.csv', 'DATA_FILE_NOT_FOUND'],
    ['no-city.csv', 'out.csv', 'DATA_MISSING_COLUMN'],
  ]
  for (const [input, output, code] of cases) {
    await assert.rejects(
      predictFile(bundle, join(errDir, input), join(errDir, output), { chunkRows: 4096 }),
      (error: unknown) => {
        assert.ok(isAppError(error), String(error))
        assert.equal(error.code, code, `${input} -> ${output}`)
        return true
      },
    )
    assert.deepEqual(
      readdirSync(errDir).sort(),
      ['no-city.csv', 'ragged.csv'],
      `${input} -> ${output} leaves nothing`,
    )
  }
  // A failure after chunks were written (here: the progress callback) leaves no partial file either.
  let written = 0
  const stop = new Error('stopped after two chunks')
  for (const output of ['late.csv', 'late.parquet']) {
    await assert.rejects(
      predictFile(bundle, scorePath, join(errDir, output), {
        chunkRows: 16,
        onProgress: (n) => {
          written = n
          if (n >= 32) throw stop
        },
      }),
      (error: unknown) => error === stop,
    )
    assert.equal(written, 32)
    assert.deepEqual(readdirSync(errDir).sort(), ['no-city.csv', 'ragged.csv'])
  }
  await assert.rejects(
    predictFile(bundle, scorePath, join(errDir, 'no-such-dir', 'out.csv')),
    (error: unknown) => isAppError(error) && error.code === 'DATA_WRITE' && /no-such-dir/.test(error.message),
  )
})
