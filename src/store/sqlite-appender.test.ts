import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { openSqliteAppender } from './sqlite-appender.js'

function freshTable(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'keel-appender-')), 'keel.db')
  const db = new Database(path)
  db.exec('create table t (id text primary key, n integer, s text)')
  db.close()
  return path
}

test('appends any number of rows (multi-row statements and single-row remainders), in order', () => {
  const path = freshTable()
  const appender = openSqliteAppender(`sqlite:${path}`, 't', ['id', 'n', 's'])
  // 70 rows: two 32-row statements plus 6 single rows.
  const values = Array.from({ length: 70 }, (_, i) => [`r${i}`, i, i % 2 === 0 ? null : `s${i}`]).flat()
  appender.append(values)
  appender.append([])
  appender.close()
  const db = new Database(path, { readonly: true })
  const rows = db.prepare('select id, n, s from t order by n').all() as {
    id: string
    n: number
    s: string | null
  }[]
  db.close()
  assert.equal(rows.length, 70)
  assert.deepEqual(rows[69], { id: 'r69', n: 69, s: 's69' })
  assert.deepEqual(rows[40], { id: 'r40', n: 40, s: null })
})

test('a failing row rolls back the whole call; a ragged value list is refused with STORE_BAD_ROWS', () => {
  const path = freshTable()
  const appender = openSqliteAppender(path, 't', ['id', 'n', 's'])
  appender.append(['a', 1, null])
  const rows = Array.from({ length: 40 }, (_, i) => [`b${i}`, i, null]).flat()
  rows.push('a', 99, null) // duplicate primary key at the end
  assert.throws(() => appender.append(rows), /UNIQUE/)
  assert.throws(
    () => appender.append(['c', 1]),
    (e: Error & { code?: string }) => e.code === 'STORE_BAD_ROWS' && /multiple of 3/.test(e.message),
  )
  appender.close()
  const db = new Database(path, { readonly: true })
  const n = (db.prepare('select count(*) as n from t').get() as { n: number }).n
  db.close()
  assert.equal(n, 1)
})
