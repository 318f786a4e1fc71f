import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FAKE_FEATURES, fakeRow } from '../../test/helpers/serve-fixtures.js'
import type { FieldProblem } from '../http/errors.js'
import { compileRowValidator } from './validate.js'

test('a row sent exactly as the model needs it is returned itself; any change gives a clean copy', () => {
  const validate = compileRowValidator(FAKE_FEATURES, 'ignore', ['user_id'])
  const exact = fakeRow()
  assert.equal(validate(exact, undefined, []), exact, 'exact row: no copy')
  const withNull = fakeRow({ region: null })
  assert.equal(
    validate(withNull, undefined, []),
    withNull,
    'an explicit null of an optional field is as sent',
  )
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['extra field ignored', fakeRow({ extra: 1 }), fakeRow()],
    ['ignored key field', fakeRow({ user_id: 'u1' }), fakeRow()],
    ['missing optional field', (({ signup: _, ...rest }) => rest)(fakeRow()), fakeRow({ signup: null })],
    ['unknown level (missing)', fakeRow({ region: 'apac' }), fakeRow({ region: null })],
    ['numeric category', fakeRow({ region: 7 }), fakeRow({ region: null })],
  ]
  for (const [what, raw, clean] of cases) {
    const problems: FieldProblem[] = []
    const out = validate(raw, undefined, problems)
    assert.deepEqual(problems, [], `${what}: valid`)
    assert.notEqual(out, raw, `${what}: a copy`)
    assert.deepEqual(out, clean, `${what}: the clean row`)
  }
  const levels = compileRowValidator([{ name: 'code', kind: 'categorical' }], 'ignore')
  assert.deepEqual(levels({ code: 12 }, undefined, []), { code: '12' }, 'numbers become category strings')
})

test('invalid rows give every problem, in feature order then extras, and no row', () => {
  const validate = compileRowValidator(FAKE_FEATURES, 'reject')
  const problems: FieldProblem[] = []
  const raw = fakeRow({ age: 400, plan: 'gold', active: 'yes', tenure: null, zzz: 1 })
  assert.equal(validate(raw, 3, problems), undefined, 'no row')
  assert.deepEqual(
    problems.map((p) => [p.row, p.field, p.code]),
    [
      [3, 'age', 'OUT_OF_RANGE'],
      [3, 'tenure', 'MISSING'],
      [3, 'plan', 'UNKNOWN_LEVEL'],
      [3, 'active', 'WRONG_TYPE'],
      [3, 'zzz', 'UNEXPECTED_FIELD'],
    ],
    'all problems',
  )
})
