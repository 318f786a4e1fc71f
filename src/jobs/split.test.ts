import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { cellValue, loadDataset } from '../data/index.js'
import { mergeParts } from './merge.js'
import { planParts, stageParts } from './split.js'

test('planParts covers every row exactly once, in order', () => {
  for (const [total, size] of [
    [0, 5],
    [1, 5],
    [10, 5],
    [11, 5],
    [29_999, 2000],
    [7, 100],
  ] as const) {
    const parts = planParts(total, size)
    let next = 0
    for (const [i, part] of parts.entries()) {
      assert.equal(part.index, i)
      assert.equal(part.rowStart, next, `contiguous (${total}/${size})`)
      assert.ok(part.rowCount >= 1 && part.rowCount <= size)
      next += part.rowCount
    }
    assert.equal(next, total)
    assert.equal(parts.length, Math.ceil(total / size))
  }
  assert.throws(() => planParts(10, 0), /partRows must be a positive integer/)
})

test('stageParts writes each row range to its own file, typed as the whole file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-jobs-split-'))
  // 'code' is text overall (one value is not a number) but digits-only within the first part: a
  // part read on its own would turn it numeric and drop the zeros.
  const lines = ['id,code,x,when']
  for (let i = 0; i < 23; i++)
    lines.push(
      `${i},${i === 20 ? 'X1' : `00${i}`},${i === 5 ? '' : (i * 0.5).toString()},2024-01-${String((i % 28) + 1).padStart(2, '0')}`,
    )
  writeFileSync(join(dir, 'in.csv'), `${lines.join('\n')}\n`)
  const work = join(dir, 'work')
  const { mkdir } = await import('node:fs/promises')
  await mkdir(work)
  const staged = await stageParts(join(dir, 'in.csv'), work, 10)
  assert.equal(staged.nRows, 23)
  assert.deepEqual(
    staged.parts.map((p) => [p.rowStart, p.rowCount]),
    [
      [0, 10],
      [10, 10],
      [20, 3],
    ],
  )
  assert.deepEqual(readdirSync(work).sort(), [
    'input-000000.parquet',
    'input-000001.parquet',
    'input-000002.parquet',
  ])
  const whole = await loadDataset(join(dir, 'in.csv'))
  for (const part of staged.parts) {
    const ds = await loadDataset(part.inputPath)
    assert.equal(ds.nRows, part.rowCount)
    for (const [c, col] of ds.columns.entries()) {
      const wholeCol = whole.columns[c]!
      assert.equal(col.kind, wholeCol.kind, `${col.name} kind in part ${part.index}`)
      for (let r = 0; r < ds.nRows; r++)
        assert.deepEqual(
          cellValue(col, r),
          cellValue(wholeCol, part.rowStart + r),
          `${col.name} row ${part.rowStart + r}`,
        )
    }
  }
})

test('mergeParts keeps the header once and the parts in the order given; rejects an incomplete part', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-jobs-merge-'))
  const paths = ['p0.csv', 'p1.csv', 'p2.csv'].map((name) => join(dir, name))
  writeFileSync(paths[0]!, 'a,b\n1,x\n2,y\n')
  writeFileSync(paths[1]!, 'a,b\n3,"q,r"\n')
  writeFileSync(paths[2]!, 'a,b\n4,z\n5,w\n')
  await mergeParts([paths[0]!, paths[1]!, paths[2]!], join(dir, 'out.csv'), {
    header: ['a', 'b'],
    format: 'csv',
  })
  assert.equal(readFileSync(join(dir, 'out.csv'), 'utf8'), 'a,b\n1,x\n2,y\n3,"q,r"\n4,z\n5,w\n')
  await mergeParts([paths[2]!, paths[0]!], join(dir, 'swapped.csv'), { header: ['a', 'b'], format: 'csv' })
  assert.equal(readFileSync(join(dir, 'swapped.csv'), 'utf8'), 'a,b\n4,z\n5,w\n1,x\n2,y\n')

  await mergeParts(paths, join(dir, 'out.parquet'), {
    header: ['a', 'b'],
    format: 'parquet',
    columns: [
      { name: 'a', type: 'numeric' },
      { name: 'b', type: 'text' },
    ],
  })
  const back = await loadDataset(join(dir, 'out.parquet'))
  assert.deepEqual(
    Array.from({ length: back.nRows }, (_, r) => back.columns.map((c) => cellValue(c, r))),
    [
      [1, 'x'],
      [2, 'y'],
      [3, 'q,r'],
      [4, 'z'],
      [5, 'w'],
    ],
  )

  writeFileSync(join(dir, 'torn.csv'), 'a,')
  const before = readdirSync(dir).sort()
  await assert.rejects(
    mergeParts([paths[0]!, join(dir, 'torn.csv')], join(dir, 'bad.csv'), {
      header: ['a', 'b'],
      format: 'csv',
    }),
    /part 1 .* does not start with the expected header/,
  )
  assert.deepEqual(readdirSync(dir).sort(), before, 'no output and no temporary file left')
})
