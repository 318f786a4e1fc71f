import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type ModelCard, parseModelCard, renderModelCard } from './index.js'

const CARD: ModelCard = {
  task: { kind: 'binary-classification', target: 'churned', positiveClass: 'yes' },
  data: {
    source: 'customers.csv',
    rows: 10000,
    columns: 12,
    splits: { train: 6000, validation: 2000, test: 2000 },
  },
  intendedUse: { primary: 'Rank customers by churn risk.', outOfScope: ['Credit decisions'] },
  model: { family: 'gbdt', params: { nEstimators: 200 } },
  metrics: { roc_auc: 0.9134, log_loss: 0.3 },
  baseline: { name: 'prior', metrics: { roc_auc: 0.5 } },
  confidenceIntervals: { roc_auc: { lower: 0.9, upper: 0.93, level: 0.95 } },
  metricsBySubgroup: [
    { column: 'plan', level: 'basic', count: 800, metrics: { roc_auc: 0.92 } },
    { column: 'plan', level: 'pro|max', count: 90, metrics: { roc_auc: 0.71 }, isFlagged: true },
  ],
  constraints: [
    { name: 'latency', passed: true, measured: 0.4, limit: 100, unit: 'ms' },
    { name: 'size', passed: false, hard: false, measured: 600, limit: 500, unit: 'MB' },
  ],
  limitations: ['Trained on 2025 data only.'],
}

test('renderModelCard writes every section as Markdown', () => {
  const md = renderModelCard(CARD, { name: 'churn', version: 3 })
  assert.match(md, /^# Model card: churn v3\n/)
  assert.match(md, /Binary classification of `churned` \(positive class: `yes`\)\./)
  assert.match(md, /- Splits: train 6000, validation 2000, test 2000/)
  assert.match(md, /- Credit decisions/)
  assert.match(md, /\| roc_auc \| 0\.9134 \| 0\.5 \| \+0\.4134 \| 0\.9 to 0\.93 \(95%\) \|/)
  assert.match(md, /\| plan \| pro\\\|max \| 90 \| 0\.71 \| below overall \|/)
  assert.match(md, /Flagged: plan=pro\|max/)
  assert.match(md, /\| size \| FAIL \| 600 MB \| 500 MB \| soft \|/)
  assert.match(md, /## Limitations\n\n- Trained on 2025 data only\./)
})

test('parseModelCard accepts a card and lists every problem of a bad one', () => {
  assert.deepEqual(parseModelCard(JSON.parse(JSON.stringify(CARD))), CARD)
  assert.throws(
    () => parseModelCard({ task: { kind: 'x' }, metrics: { auc: 'high' } }),
    (error: unknown) => {
      const e = error as { code: string; details: { problems: string[] } }
      assert.equal(e.code, 'MODEL_CARD_INVALID')
      assert.ok(e.details.problems.length >= 4, e.details.problems.join('\n'))
      return true
    },
  )
})
