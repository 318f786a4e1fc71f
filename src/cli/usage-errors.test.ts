/**
 * One code per meaning: library parsers of CLI-shaped input throw `INVALID_ARGUMENT` (a library
 * caller passed a bad argument), and the CLI reports the same failure as `CLI_USAGE` (a bad flag).
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { runCliInProcess } from '../../test/helpers/cli.js'
import { AppError, InvalidArgumentError } from '../core/index.js'
import { parseWindow } from '../monitor/index.js'
import { parseFamily, resolveTaskSettings } from '../train/index.js'
import { asUsage } from './args.js'

const dir = mkdtempSync(join(tmpdir(), 'keel-usage-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('library parsers throw INVALID_ARGUMENT, not the CLI code', async () => {
  assert.throws(() => parseWindow('soon'), {
    code: 'INVALID_ARGUMENT',
    message: /Window 'soon' is not like 30m/,
  })
  assert.throws(() => parseFamily('svm'), { code: 'INVALID_ARGUMENT', message: /Unknown model 'svm'/ })
  await assert.rejects(resolveTaskSettings({ data: 'x.csv', target: 'y', task: 'binray' }), {
    code: 'INVALID_ARGUMENT',
    message: "--task must be binary, multiclass or regression; got 'binray'.",
  })
})

test('asUsage reports INVALID_ARGUMENT as CLI_USAGE (sync and async) and passes other errors through', async () => {
  assert.throws(
    () => asUsage(() => parseWindow('soon')),
    (e: unknown) =>
      e instanceof AppError && e.code === 'CLI_USAGE' && e.cause instanceof InvalidArgumentError,
  )
  await assert.rejects(
    asUsage(() => resolveTaskSettings({ data: 'x.csv', target: 'y', task: 'binray' })),
    { code: 'CLI_USAGE', message: /--task must be/ },
  )
  const other = new AppError('DATA_EMPTY', 'empty')
  assert.throws(
    () =>
      asUsage(() => {
        throw other
      }),
    (e: unknown) => e === other,
  )
  assert.equal(
    asUsage(() => parseWindow('2h')),
    7_200_000,
  )
})

/** Runs `main` in-process (stderr is what these tests read). */
const keel = runCliInProcess

test('keel train: a bad --task or --model is still a CLI_USAGE line, exit 2', async () => {
  const data = join(dir, 'd.csv')
  writeFileSync(data, 'a,y\n1,0\n2,1\n')
  const task = await keel('train', '--data', data, '--target', 'y', '--task', 'binray')
  assert.equal(task.code, 2)
  assert.equal(
    task.stderr,
    "error [CLI_USAGE]: --task must be binary, multiclass or regression; got 'binray'.\n",
  )
  const model = await keel('train', '--data', data, '--target', 'y', '--model', 'svm')
  assert.equal(model.code, 2)
  assert.match(model.stderr, /^error \[CLI_USAGE\]: Unknown model 'svm'\. Use one of: auto, /)
})
