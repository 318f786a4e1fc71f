import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from '../core/index.js'
import { featuresText, rowTexts } from './raw-json.js'

/** A random JSON value: nested containers, escapes, unicode, every number form. */
function randomValue(rng: Rng, depth: number): unknown {
  const pick = Math.floor(rng.next() * (depth > 2 ? 5 : 7))
  switch (pick) {
    case 0:
      return null
    case 1:
      return rng.next() < 0.5
    case 2: {
      const forms = [0, -0.5, 1e-7, 123456789.125, -1e21, 42, rng.next() * 1000 - 500]
      return forms[Math.floor(rng.next() * forms.length)]
    }
    case 3:
    case 4:
      return randomString(rng)
    case 5:
      return Array.from({ length: Math.floor(rng.next() * 4) }, () => randomValue(rng, depth + 1))
    default:
      return randomObject(rng, depth + 1)
  }
}

function randomString(rng: Rng): string {
  const parts = [
    'a',
    'b',
    '"',
    '\\',
    '\\"',
    '}',
    '{',
    ']',
    '[',
    ',',
    ':',
    ' ',
    '\n',
    'é',
    '😀',
    '\u0000',
    '\u2028',
  ]
  let s = ''
  const n = Math.floor(rng.next() * 6)
  for (let i = 0; i < n; i++) s += parts[Math.floor(rng.next() * parts.length)]
  return s
}

function randomObject(rng: Rng, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const n = Math.floor(rng.next() * 5)
  for (let i = 0; i < n; i++) out[rng.next() < 0.3 ? randomString(rng) : `f${i}`] = randomValue(rng, depth)
  return out
}

/** JSON text with random whitespace between tokens (JSON.stringify with a random indent, reflowed). */
function spaced(rng: Rng, value: unknown): string {
  const indent = [0, 1, 2, '\t', ' \r'][Math.floor(rng.next() * 5)]!
  return JSON.stringify(value, null, indent as number | string)
}

test('rowTexts: each element text parses to the parsed body row (random bodies, whitespace, escapes, duplicates)', () => {
  const rng = new Rng(11)
  for (let trial = 0; trial < 500; trial++) {
    const rows = Array.from({ length: 1 + Math.floor(rng.next() * 5) }, () => randomObject(rng, 0))
    const body: Record<string, unknown> = {}
    if (rng.next() < 0.3) body.requestKey = randomString(rng)
    body.rows = rows
    if (rng.next() < 0.3) body.other = randomValue(rng, 0)
    let text = spaced(rng, body)
    // A duplicate key: JSON.parse keeps the last value, and so must the scanner.
    if (rng.next() < 0.2) text = `{"rows":[{"stale":1}],${text.slice(1)}`
    const parsed = JSON.parse(text) as { rows: unknown[] }
    const texts = rowTexts(text)
    assert.ok(texts !== undefined, `trial ${trial}: rows found in ${text}`)
    assert.equal(texts.length, parsed.rows.length, `trial ${trial}: one text per row`)
    for (let i = 0; i < texts.length; i++)
      assert.deepEqual(JSON.parse(texts[i]!), parsed.rows[i], `trial ${trial} row ${i}: ${texts[i]}`)
  }
})

test('featuresText: the text parses to the parsed body features (random bodies)', () => {
  const rng = new Rng(12)
  for (let trial = 0; trial < 500; trial++) {
    const body: Record<string, unknown> = {}
    if (rng.next() < 0.5) body.requestKey = randomString(rng)
    body.features = randomObject(rng, 0)
    if (rng.next() < 0.5) body.zz = randomValue(rng, 0)
    const text = `\ufeff${spaced(rng, body)}`.slice(rng.next() < 0.5 ? 1 : 0)
    const parsed = JSON.parse(text.replace(/^\ufeff/, '')) as { features: unknown }
    const found = featuresText(text)
    assert.ok(found !== undefined, `trial ${trial}: features found in ${text}`)
    assert.deepEqual(JSON.parse(found), parsed.features, `trial ${trial}: ${found}`)
  }
})

test('the scanners give up (undefined) rather than guess', () => {
  // An escaped top-level key could spell the key JSON.parse sees.
  assert.equal(featuresText('{"\\u0066eatures":{"a":1}}'), undefined, 'escaped key')
  assert.equal(rowTexts('{"r\\u006fws":[{"a":1}]}'), undefined, 'escaped key')
  assert.equal(featuresText('{"rows":[]}'), undefined, 'absent')
  assert.equal(featuresText('{"features":[1]}'), undefined, 'not an object')
  assert.equal(rowTexts('{"rows":{"a":1}}'), undefined, 'not an array')
  assert.equal(rowTexts('[1]'), undefined, 'not an object body')
  assert.deepEqual(rowTexts('{"rows":[]}'), [], 'empty batch')
  // The last duplicate wins, as in JSON.parse, even when it is not an array.
  assert.equal(rowTexts('{"rows":[{"a":1}],"rows":3}'), undefined, 'last duplicate is not an array')
})

// Exponential backtracking on the nested value would hang here (and hit the timeout).
test('a nested value after a long run is scanned (no catastrophic backtracking)', { timeout: 30_000 }, () => {
  const row = `{"a":${'1'.repeat(200_000)},"b":{"c":[1,{"d":"}"}]}}`
  assert.deepEqual(rowTexts(`{"rows":[${row},${row}]}`), [row, row], 'both rows found')
})
