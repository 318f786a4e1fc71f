import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Rng } from './rng.js'

test('same seed gives the same sequence; different seeds differ', () => {
  const a = new Rng(42)
  const b = new Rng(42)
  const c = new Rng(43)
  const sa = Array.from({ length: 20 }, () => a.next())
  const sb = Array.from({ length: 20 }, () => b.next())
  const sc = Array.from({ length: 20 }, () => c.next())
  assert.deepEqual(sa, sb)
  assert.notDeepEqual(sa, sc)
  for (const v of sa) assert.ok(v >= 0 && v < 1)
})

test('normal draws have mean ~0 and variance ~1', () => {
  const r = new Rng(7)
  let s = 0
  let s2 = 0
  const n = 20000
  for (let i = 0; i < n; i++) {
    const v = r.normal()
    s += v
    s2 += v * v
  }
  assert.ok(Math.abs(s / n) < 0.03)
  assert.ok(Math.abs(s2 / n - 1) < 0.05)
})

test('permutation is a permutation', () => {
  const p = new Rng(1).permutation(100)
  assert.deepEqual(
    [...p].sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  )
})

test('fillUint32 continues the nextUint32 stream exactly', () => {
  const a = new Rng(5)
  const b = new Rng(5)
  a.nextUint32()
  b.nextUint32()
  const bulk = new Uint32Array(1000)
  a.fillUint32(bulk, 999)
  for (let i = 0; i < 999; i++) assert.equal(bulk[i], b.nextUint32(), `draw ${i}`)
  assert.equal(bulk[999], 0, 'only n values are written')
  assert.equal(a.nextUint32(), b.nextUint32(), 'the state moved on by n draws')
})
