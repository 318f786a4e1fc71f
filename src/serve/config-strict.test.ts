import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { z } from 'zod'
import { AppError } from '../core/index.js'
import { loadServeConfig, parseServeConfig, serveConfigSchema } from './config.js'
import { experimentSchema } from './experiments.js'

function configProblems(run: () => unknown): string[] {
  try {
    run()
  } catch (error) {
    assert.ok(error instanceof AppError)
    assert.equal(error.code, 'SERVE_CONFIG_INVALID')
    const problems = error.details.problems
    assert.ok(Array.isArray(problems))
    return problems as string[]
  }
  assert.fail('expected SERVE_CONFIG_INVALID')
}

test('serve config: unknown keys (once silently dropped) are errors naming path and nearest key', () => {
  const problems = configProblems(() =>
    parseServeConfig({
      models: ['churn@production'],
      pollIntervalMS: 500,
      predictionLog: { flushIntervalMS: 50 },
    }),
  )
  assert.deepEqual(problems.sort(), [
    "pollIntervalMS: unknown key; did you mean 'pollIntervalMs'?",
    "predictionLog.flushIntervalMS: unknown key; did you mean 'flushIntervalMs'?",
  ])
})

test('serve config: nested model entries and experiments are strict too (YAML file)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-serve-config-'))
  const path = join(dir, 'serve.yaml')
  writeFileSync(
    path,
    [
      'models:',
      '  - churn@production',
      '  - ref: churn@2',
      '    timeoutMS: 50',
      '    breaker: { failureThreshold: 3, cooldownMs: 100 }',
      '    shadow: [{ ref: churn@3, sampleRat: 0.5 }]',
      '    canary: { ref: churn@4, weight: 0.1, maxErrorRates: 0.2 }',
      'monitor: { intervalMs: 1000, webhookURL: "http://x" }',
      'experiments:',
      '  - id: e1',
      '    model: churn',
      '    keyfield: user_id',
      '    variants:',
      '      - { name: a, ref: churn@1, weight: 1 }',
      '      - { name: b, ref: churn@2, wieght: 1 }',
      '',
    ].join('\n'),
  )
  const problems = configProblems(() => loadServeConfig(path))
  for (const expected of [
    "models[1].timeoutMS: unknown key; did you mean 'timeoutMs'?",
    "models[1].breaker.cooldownMs: unknown key; did you mean 'coolDownMs'?",
    "models[1].shadow[0].sampleRat: unknown key; did you mean 'sampleRate'?",
    "models[1].canary.maxErrorRates: unknown key; did you mean 'maxErrorRate'?",
    "monitor.webhookURL: unknown key; did you mean 'webhookUrl'?",
    "experiments[0].keyfield: unknown key; did you mean 'keyField'?",
    "experiments[0].variants[1].wieght: unknown key; did you mean 'weight'?",
  ])
    assert.ok(problems.includes(expected), `missing '${expected}' in:\n${problems.join('\n')}`)
  // `weight` is required: the typo is reported once, not also as "weight: expected number".
  assert.ok(!problems.some((p) => p.startsWith('experiments[0].variants[1].weight:')), problems.join('\n'))
})

test('serve config: a valid config still parses with its defaults', () => {
  const config = parseServeConfig({ models: ['churn@production'], predictionLog: { flushIntervalMs: 50 } })
  assert.equal(config.pollIntervalMs, 1000)
  assert.equal(config.predictionLog.flushIntervalMs, 50)
  assert.equal(config.predictionLog.batchSize, 500)
})

interface DefView {
  readonly type: string
  readonly shape?: Readonly<Record<string, z.core.$ZodType>>
  readonly catchall?: z.core.$ZodType
  readonly innerType?: z.core.$ZodType
  readonly element?: z.core.$ZodType
  readonly options?: readonly z.core.$ZodType[]
  readonly valueType?: z.core.$ZodType
  readonly in?: z.core.$ZodType
  readonly out?: z.core.$ZodType
}

/** Paths of object schemas that would drop unknown keys silently (anything but z.strictObject). */
function lenientObjects(schema: z.core.$ZodType, path: string, out: string[]): string[] {
  const def = schema._zod.def as unknown as DefView
  if (def.type === 'object') {
    if (def.catchall === undefined || (def.catchall._zod.def as unknown as DefView).type !== 'never')
      out.push(path || '(top level)')
    for (const [key, child] of Object.entries(def.shape ?? {}))
      lenientObjects(child, path ? `${path}.${key}` : key, out)
  }
  for (const child of [def.innerType, def.element, def.valueType, def.in, def.out, ...(def.options ?? [])])
    if (child !== undefined) lenientObjects(child, def.element === child ? `${path}[]` : path, out)
  return out
}

test('every object in the serve config and experiment schemas is strict (guards keys added later)', () => {
  assert.deepEqual(lenientObjects(serveConfigSchema, '', []), [])
  assert.deepEqual(lenientObjects(experimentSchema, '', []), [])
})
