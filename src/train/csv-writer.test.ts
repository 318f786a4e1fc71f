import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { CsvWriter, csvField } from './csv-writer.js'

const dir = mkdtempSync(join(tmpdir(), 'keel-csv-writer-'))
after(() => rmSync(dir, { recursive: true, force: true }))

test('csvField quotes only where RFC 4180 needs it', () => {
  assert.equal(csvField('plain'), 'plain')
  assert.equal(csvField('a,b'), '"a,b"')
  assert.equal(csvField('say "hi"'), '"say ""hi"""')
  assert.equal(csvField('two\nlines'), '"two\nlines"')
  assert.equal(csvField(Number.NaN), '')
  assert.equal(csvField(null), '')
  assert.equal(csvField(1.5), '1.5')
})

test('rows and preformatted lines land in order after the header', async () => {
  const path = join(dir, 'ok.csv')
  const writer = new CsvWriter(path, ['a', 'b'])
  await writer.opened()
  await writer.writeRows([
    [1, 'x,y'],
    [2, null],
  ])
  await writer.writeLines('3,z\n4,w')
  await writer.close()
  assert.equal(readFileSync(path, 'utf8'), 'a,b\n1,"x,y"\n2,\n3,z\n4,w\n')
})

test('an unopenable file is thrown by the next call, never an uncaught error event', async () => {
  const path = join(dir, 'no-such-dir', 'out.csv')
  const writer = new CsvWriter(path, ['a'])
  await assert.rejects(writer.opened(), /ENOENT/)
  const late = new CsvWriter(path, ['a'])
  await late.writeRows([[1]])
  await sleep(20)
  await assert.rejects(late.close(), /ENOENT/)
})

test('destroying with writes in flight closes the file without an uncaught error', async () => {
  const path = join(dir, 'abandoned.csv')
  const writer = new CsvWriter(path, ['a'])
  await writer.opened()
  // Two flushes queue two writes; the second is still pending when the stream is destroyed,
  // which Node reports as ERR_STREAM_DESTROYED on an 'error' event after the fact.
  await writer.writeLines('x'.repeat(1000))
  await writer.flush()
  await writer.writeLines('y'.repeat(1000))
  await writer.flush()
  await writer.destroy()
  await sleep(50)
  assert.ok(existsSync(path))
  await writer.destroy()
})
