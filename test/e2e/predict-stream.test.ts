import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Rng } from '../../src/core/index.js'
import { cellValue, getColumn, loadDataset } from '../../src/data/index.js'
import { runCli, spawnCli } from '../helpers/cli.js'

/**
 * Writes `rows` seeded synthetic rows to `path`: numerics (two with missing cells), four
 * categoricals of 3 to 40 levels and a 0/1 label that depends on both, so the GBDT has something to
 * learn. Same arguments, same bytes; everything stays in the test's temporary directory.
 */
function makeData(path: string, rows: number, seed: number): void {
  const rng = new Rng(seed)
  const header = [
    'num_01',
    'num_02',
    'num_03',
    'num_04',
    'num_05',
    'cat_a',
    'cat_b',
    'cat_c',
    'cat_d',
    'label',
  ]
  const lines = [header.join(',')]
  for (let i = 0; i < rows; i++) {
    const x1 = rng.normal()
    const x2 = rng.normal() * 2 + 1
    const x3 = rng.next() * 10
    const x4 = Math.exp(rng.normal() * 0.5)
    const count = rng.int(20)
    const a = rng.int(3)
    const b = rng.int(7)
    const c = rng.int(40)
    const d = rng.int(12)
    const logit = 1.2 * x1 - 0.4 * x2 + (x3 > 6 ? 0.8 : -0.3) + 0.3 * (a - 1) + (c % 5 === 0 ? 0.7 : 0)
    const label = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0
    // Missing cells (empty fields) in 5% of num_02 and num_04, drawn after the row so every row
    // consumes the same number of draws.
    const missing2 = rng.next() < 0.05
    const missing4 = rng.next() < 0.05
    lines.push(
      [
        x1.toFixed(4),
        missing2 ? '' : x2.toFixed(4),
        x3.toFixed(4),
        missing4 ? '' : x4.toFixed(4),
        String(count),
        `a${a}`,
        `b${b}`,
        `c${String(c).padStart(2, '0')}`,
        `d${String(d).padStart(2, '0')}`,
        String(label),
      ].join(','),
    )
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

/** Trains a small GBDT on dir/train.csv through the CLI; returns the model reference. */
async function trainGbdt(dir: string, env: NodeJS.ProcessEnv, extra: string[] = []): Promise<string> {
  const args = ['train', '--data', 'train.csv', '--target', 'label', '--model', 'gbdt']
  const train = await runCli([...args, '--params', '{"nEstimators":20}', ...extra, '--json'], {
    cwd: dir,
    env,
  })
  assert.equal(train.code, 0, train.stderr)
  return (JSON.parse(train.stdout) as { model: string }).model
}

test('keel predict streams: tiny chunks = one chunk, order kept, Parquet readable, bad input leaves nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-predict-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  makeData(join(dir, 'train.csv'), 1500, 1)
  makeData(join(dir, 'score.csv'), 700, 2)
  const model = await trainGbdt(dir, env, ['--name', 'syn'])

  const predict = (output: string, chunkRows?: number, input = 'score.csv') =>
    runCli(['predict', '--model', model, '--input', input, '--output', output], {
      cwd: dir,
      env: chunkRows === undefined ? env : { ...env, KEEL_PREDICT_CHUNK_ROWS: String(chunkRows) },
    })

  const whole = await predict('whole.csv')
  assert.equal(whole.code, 0, whole.stderr)
  // stderr is a pipe here: no progress bar, only the closing line.
  assert.ok(!whole.stderr.includes('\r') && !whole.stderr.includes('\u001b'), whole.stderr)
  assert.match(whole.stderr, /Scored 700 rows/)
  const chunked = await predict('chunked.csv', 13)
  assert.equal(chunked.code, 0, chunked.stderr)
  const wholeText = readFileSync(join(dir, 'whole.csv'), 'utf8')
  assert.equal(readFileSync(join(dir, 'chunked.csv'), 'utf8'), wholeText, '13-row chunks give the same bytes')

  // Input rows in order, with their columns, then prediction and probability.
  const input = readFileSync(join(dir, 'score.csv'), 'utf8').trim().split('\n')
  const output = wholeText.trim().split('\n')
  assert.equal(output.length, input.length)
  assert.equal(output[0], `${input[0]},prediction,probability`)
  for (let i = 1; i < input.length; i++) {
    const fields = output[i]!.split(',')
    const inputFields = input[i]!.split(',')
    assert.deepEqual(
      fields.slice(0, inputFields.length).map((f) => (f === '' ? null : f)),
      inputFields.map((f) => (f === '' ? null : Number.isNaN(Number(f)) ? f : String(Number(f)))),
      `row ${i}`,
    )
    const p = Number(fields.at(-1))
    assert.ok(p >= 0 && p <= 1)
  }

  const parquet = await predict('scores.parquet', 50)
  assert.equal(parquet.code, 0, parquet.stderr)
  const fromParquet = await loadDataset(join(dir, 'scores.parquet'))
  const fromCsv = await loadDataset(join(dir, 'whole.csv'))
  assert.equal(fromParquet.nRows, 700)
  for (const name of ['prediction', 'probability']) {
    const a = getColumn(fromParquet, name)
    const b = getColumn(fromCsv, name)
    // Labels are text in Parquet (classes are names), while reading the CSV back sniffs 0/1 as numbers.
    for (let r = 0; r < 700; r++)
      assert.equal(String(cellValue(a, r)), String(cellValue(b, r)), `${name} row ${r}`)
  }

  const before = readdirSync(dir).sort()
  writeFileSync(join(dir, 'bad.csv'), 'num_01,num_02\n"unclosed,1\n')
  const bad = await predict('bad-out.csv', 13, 'bad.csv')
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /^error \[DATA_[A-Z_]+\]: .*bad\.csv/m)
  const missing = await predict('missing-out.parquet', 13, 'nope.csv')
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /DATA_FILE_NOT_FOUND.*nope\.csv/)
  assert.deepEqual(readdirSync(dir).sort(), [...before, 'bad.csv'].sort(), 'no output, no temporary file')
})

test('keel predict interrupted by SIGINT or SIGTERM leaves no temporary file and no output', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-predict-int-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  makeData(join(dir, 'train.csv'), 1500, 1)
  makeData(join(dir, 'big.csv'), 300_000, 3)
  const model = await trainGbdt(dir, env)
  const inputs = new Set(readdirSync(dir))
  const isTemp = (name: string) => !inputs.has(name) && name.startsWith('.') && name.includes('keel')
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // spawnCli runs Node itself (not the tsx wrapper), so the signal reaches the process that holds the files.
    const child = spawnCli(['predict', '--model', model, '--input', 'big.csv', '--output', 'out.csv'], {
      cwd: dir,
      env: { ...env, KEEL_PREDICT_CHUNK_ROWS: '2000' },
    })
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
      child.on('exit', (code, sig) => resolve(sig ?? code)),
    )
    let sawTemp = false
    for (let i = 0; i < 1500 && !sawTemp; i++) {
      await new Promise((r) => setTimeout(r, 20))
      sawTemp = readdirSync(dir).some(isTemp)
    }
    assert.ok(sawTemp, 'a temporary file appeared while predicting')
    child.kill(signal)
    const how = await exited
    assert.equal(how, signal, `predict ended by ${signal} (got ${String(how)})`)
    const left = readdirSync(dir).filter((n) => !inputs.has(n))
    assert.deepEqual(left, [], `after ${signal}: no temporary file, no partial output`)
  }
})
