import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { DataError } from './errors.js'
import { findTaskFile, loadTaskFile, metricKey, parseTaskConfig } from './task-file.js'

function writeTask(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-task-'))
  const path = join(dir, 'keel.yaml')
  writeFileSync(path, text)
  return path
}

test('a full task file loads into camelCase config with defaults', () => {
  const path = writeTask(`
task: binary
data: data/*.csv
target: churned
id: customer_id
entity: customer_id
timestamp: event_time
positive_class: yes
features:
  exclude: [email]
  types: { zip: categorical }
  engineer:
    datetime_parts: [{ column: event_time, parts: [hour, dow, month] }]
    history: [{ column: amount, aggregates: [count, mean, days_since_last], window_days: 30 }]
    ratios: [{ name: amount_per_item, numerator: amount, denominator: items }]
metrics: [pr_auc, { precision_at_recall: 0.9 }]
constraints: { latency_ms: 20, interpretability: preferred }
split: { kind: time, test_size: 0.25, valid_size: 0.1, seed: 7 }
validation:
  required_columns: [amount]
  allowed_levels: { plan: [basic, pro] }
  ranges: { amount: { min: 0 } }
  nulls: { amount: forbid, plan: { max_fraction: 0.1 } }
  min_rows: 10
  leakage: error
`)
  const c = loadTaskFile(path)
  assert.equal(c.task, 'binary')
  assert.equal(c.data, join(path, '..', 'data/*.csv'))
  assert.equal(c.positiveClass, 'yes')
  assert.deepEqual(c.metrics.map(metricKey), ['pr_auc', 'precision_at_recall@0.9'])
  assert.deepEqual(c.split, {
    kind: 'time',
    testSize: 0.25,
    validSize: 0.1,
    seed: 7,
    folds: 5,
    group: 'customer_id',
  })
  assert.deepEqual(c.constraints, { latencyMs: 20, interpretability: 'preferred' })
  assert.deepEqual(c.validation.nulls, { amount: 'forbid', plan: { maxFraction: 0.1 } })
  assert.equal(c.validation.leakage, 'error')
  assert.deepEqual(c.features.engineer.history, [
    { column: 'amount', aggregates: ['count', 'mean', 'days_since_last'], windowDays: 30 },
  ])
  assert.equal(findTaskFile(join(path, '..')), path)
})

test('minimal file gets defaults', () => {
  const c = parseTaskConfig({ task: 'regression', target: 'price' })
  assert.deepEqual(c.metrics.map(metricKey), ['rmse', 'mae', 'r2'])
  assert.equal(c.split.kind, 'random')
  assert.equal(c.split.testSize, 0.2)
  assert.equal(c.constraints.interpretability, 'none')
})

test('bad keys give one message naming every key', () => {
  const expectProblems = (raw: unknown, ...patterns: RegExp[]): void => {
    assert.throws(
      () => parseTaskConfig(raw, 'keel.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof DataError)
        assert.equal(error.code, 'DATA_TASK_FILE')
        for (const p of patterns) assert.match(error.message, p)
        return true
      },
    )
  }
  expectProblems({ task: 'binary', target: 'y', trget: 'y' }, /unknown key 'trget'/)
  expectProblems({ task: 'ranking', target: 'y' }, /'task'/)
  expectProblems({ task: 'binary' }, /'target'/)
  expectProblems({ task: 'binary', target: 'y', split: { test_size: 1.5 } }, /'split.test_size' must be < 1/)
  expectProblems({ task: 'binary', target: 'y', metrics: ['rmse'] }, /not a binary metric/)
  expectProblems({ task: 'binary', target: 'y', metrics: ['precision_at_recall'] }, /needs a value/)
  expectProblems(
    { task: 'regression', target: 'y', split: { kind: 'stratified' } },
    /stratified needs a classification/,
  )
  expectProblems({ task: 'binary', target: 'y', split: { kind: 'time' } }, /needs the 'timestamp'/)
  expectProblems(
    { task: 'binary', target: 'y', constraints: { interpretability: 'maybe' } },
    /'constraints.interpretability'/,
  )
  expectProblems(
    { task: 'binary', target: 'y', features: { engineer: { history: [{ aggregates: ['mean'] }] } } },
    /needs both 'entity' and 'timestamp'/,
    /history\[0\].column' is required/,
  )
  expectProblems(['x'], /mapping/)
})

test('missing and malformed files', () => {
  assert.throws(() => loadTaskFile('/nonexistent/keel.yaml'), /does not exist/)
  assert.throws(() => loadTaskFile(writeTask('task: [binary\n')), /not valid YAML/)
  assert.equal(findTaskFile(mkdtempSync(join(tmpdir(), 'keel-empty-'))), undefined)
})

test('unknown keys name the nearest valid key, at any depth', () => {
  const message = (raw: unknown): string => {
    try {
      parseTaskConfig(raw, 'keel.yaml')
    } catch (error) {
      assert.ok(error instanceof DataError)
      return error.message
    }
    assert.fail('expected DATA_TASK_FILE')
  }
  assert.match(
    message({ task: 'binary', target: 'y', trget: 'y' }),
    /unknown key 'trget' \(did you mean 'target'\?\)/,
  )
  const nested = message({
    task: 'binary',
    target: 'y',
    split: { test_sise: 0.1 },
    features: { engineer: { history: [{ aggregates: ['count'], window_day: 3 }] } },
    validation: { nulls: { a: { max_fractoin: 0.1 } } },
  })
  assert.match(nested, /unknown key 'split.test_sise' \(did you mean 'test_size'\?\)/)
  assert.match(
    nested,
    /unknown key 'features.engineer.history\[0\].window_day' \(did you mean 'window_days'\?\)/,
  )
  assert.match(nested, /unknown key 'validation.nulls.a.max_fractoin' \(did you mean 'max_fraction'\?\)/)
  // The misspelt required key is reported once, as the typo.
  assert.doesNotMatch(nested, /max_fraction' Invalid input/)
  assert.match(
    message({ task: 'binary', target: 'y', metrics: ['roc_aux'] }),
    /'roc_aux', which is not a binary metric \(did you mean 'roc_auc'\?\)/,
  )
})
