import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { Rng } from '../../src/core/index.js'
import { FittedLinearRegression, FittedLogisticRegression } from '../../src/models/index.js'
import { openRegistry } from '../../src/registry/index.js'
import { ModelBundle } from '../../src/train/index.js'
import { runCli } from '../helpers/cli.js'

/** Two informative and six noise columns; a binary target `label` or a numeric one `value`. */
function writeData(path: string, target: 'label' | 'value'): void {
  const rng = new Rng(9)
  const lines = [`a,b,n1,n2,n3,n4,n5,n6,${target}`]
  for (let i = 0; i < 400; i++) {
    const row = Array.from({ length: 8 }, () => rng.normal())
    const m = 2 * row[0]! - 1.5 * row[1]!
    const y =
      target === 'label'
        ? rng.next() < 1 / (1 + Math.exp(-m))
          ? 'yes'
          : 'no'
        : (m + 0.3 * rng.normal()).toFixed(6)
    lines.push([...row.map((v) => v.toFixed(6)), y].join(','))
  }
  writeFileSync(path, `${lines.join('\n')}\n`)
}

test('keel train --model linear --params with penalty l1 / elasticnet fits sparse models', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-e2e-linear-l1-'))
  const env = { KEEL_HOME: join(dir, '.keel'), KEEL_DATABASE_URL: '' }
  writeData(join(dir, 'label.csv'), 'label')
  writeData(join(dir, 'value.csv'), 'value')
  const runs: [string, string, string][] = [
    ['label', 'clf', '{"penalty":"l1","l2":30}'],
    ['value', 'reg', '{"penalty":"elasticnet","l2":0.1,"l1Ratio":0.9}'],
  ]
  for (const [target, name, params] of runs) {
    const train = await runCli(
      [
        'train',
        '--data',
        `${target}.csv`,
        '--target',
        target,
        '--model',
        'linear',
        '--params',
        params,
        '--name',
        name,
        '--json',
      ],
      { cwd: dir, env },
    )
    assert.equal(train.code, 0, train.stderr)
    const result = JSON.parse(train.stdout) as { model: string; family: string }
    assert.equal(result.family, 'linear')
    process.env.KEEL_HOME = env.KEEL_HOME
    const registry = await openRegistry(`sqlite:${join(env.KEEL_HOME, 'keel.db')}`)
    const stored = await registry.loadArtifact(result.model)
    await registry.close()
    const model = ModelBundle.load(stored.bytes).model
    assert.ok(model instanceof FittedLogisticRegression || model instanceof FittedLinearRegression)
    assert.deepEqual({ ...model.params, ...JSON.parse(params) }, model.params, 'params kept')
    assert.ok(model.converged)
    const coef = model.coefficients()
    const at = (name: string): number => coef.standardized.coef[coef.featureNames.indexOf(name)]!
    assert.ok(
      at('a') !== 0 && at('b') !== 0,
      `informative features kept: ${coef.featureNames} ${coef.standardized.coef}`,
    )
    const zeros = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'].filter((f) => at(f) === 0).length
    assert.ok(zeros >= 4, `${zeros} of 6 noise features exactly zero`)
  }

  const bad = await runCli(
    [
      'train',
      '--data',
      'label.csv',
      '--target',
      'label',
      '--model',
      'linear',
      '--params',
      '{"penalty":"lasso"}',
    ],
    { cwd: dir, env },
  )
  assert.notEqual(bad.code, 0)
  assert.match(bad.stderr, /'penalty'/)
  assert.doesNotMatch(bad.stderr, /at .*\.ts:\d+/)
})
