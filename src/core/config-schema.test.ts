import assert from 'node:assert/strict'
import { test } from 'node:test'
import { z } from 'zod'
import { formatConfigPath, formatConfigProblems, parseConfig } from './config-schema.js'

const schema = z.strictObject({
  pollIntervalMs: z.number().default(1000),
  log: z.strictObject({ flushIntervalMs: z.number().default(200) }).default({ flushIntervalMs: 200 }),
  models: z
    .array(z.union([z.string(), z.strictObject({ ref: z.string(), timeoutMs: z.number().optional() })]))
    .default([]),
  nulls: z.union([z.enum(['forbid', 'allow']), z.strictObject({ maxFraction: z.number() })]).optional(),
})

test('unknown keys are named with their full path and the nearest valid key', () => {
  const result = parseConfig(schema, {
    pollIntervalMS: 5,
    log: { flushIntervalMS: 100 },
    models: ['a@1', { ref: 'b@1', timeoutMS: 5 }],
    zzz: 1,
  })
  assert.equal(result.success, false)
  if (result.success) return
  assert.deepEqual(formatConfigProblems(result.problems).sort(), [
    "log.flushIntervalMS: unknown key; did you mean 'flushIntervalMs'?",
    "models[1].timeoutMS: unknown key; did you mean 'timeoutMs'?",
    "pollIntervalMS: unknown key; did you mean 'pollIntervalMs'?",
    'zzz: unknown key; expected one of: pollIntervalMs, log, models, nulls',
  ])
  const poll = result.problems.find((p) => p.path === 'pollIntervalMS')
  assert.deepEqual(poll, {
    path: 'pollIntervalMS',
    code: 'unknown_key',
    message: "unknown key; did you mean 'pollIntervalMs'?",
    suggestion: 'pollIntervalMs',
  })
})

test('a misspelt required key is reported once, as the typo', () => {
  const required = z.strictObject({ flushIntervalMs: z.number() })
  const result = parseConfig(required, { flushIntervalMS: 100 })
  assert.ok(!result.success)
  assert.deepEqual(formatConfigProblems(result.problems), [
    "flushIntervalMS: unknown key; did you mean 'flushIntervalMs'?",
  ])
  const missing = parseConfig(required, {})
  assert.ok(!missing.success)
  assert.equal(missing.problems[0]?.path, 'flushIntervalMs')
  assert.equal(missing.problems[0]?.code, 'invalid_type')
})

test('unions report the branch that was meant', () => {
  const wrongType = parseConfig(schema, { models: [3] })
  assert.ok(!wrongType.success)
  assert.deepEqual(formatConfigProblems(wrongType.problems), ['models[0]: expected string or object'])
  const badValue = parseConfig(schema, { nulls: 'forbidd' })
  assert.ok(!badValue.success)
  assert.match(formatConfigProblems(badValue.problems)[0]!, /^nulls: Invalid option: expected one of/)
  const objectTypo = parseConfig(schema, { nulls: { maxFractoin: 0.1 } })
  assert.ok(!objectTypo.success)
  assert.deepEqual(formatConfigProblems(objectTypo.problems), [
    "nulls.maxFractoin: unknown key; did you mean 'maxFraction'?",
  ])
})

test('valid input parses with defaults', () => {
  const result = parseConfig(schema, { models: ['a@1'] })
  assert.ok(result.success)
  assert.deepEqual(result.data, { pollIntervalMs: 1000, log: { flushIntervalMs: 200 }, models: ['a@1'] })
})

test('formatConfigPath writes list items in brackets', () => {
  assert.equal(formatConfigPath(['models', 1, 'breaker', 'coolDownMs']), 'models[1].breaker.coolDownMs')
  assert.equal(formatConfigPath([]), '')
  assert.equal(formatConfigPath([0, 'a']), '[0].a')
})
