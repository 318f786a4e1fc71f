import assert from 'node:assert/strict'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import { pathToFileURL } from 'node:url'
import { chromiumGate } from '../../../test/helpers/test-backends.js'
import { matrix, Rng } from '../../core/index.js'
import {
  averagePrecision,
  binaryReportParts,
  classificationReport,
  confusionMatrix,
  getMetric,
  prCurve,
  predictedLabels,
  type ReportData,
  reliabilityCurve,
  renderReport,
  rocAuc,
  rocCurve,
  shapReportPart,
  subgroupMetrics,
  topConfidentErrors,
  treeShap,
} from '../index.js'

const FEATURES = [
  'tenure_months',
  'monthly_spend',
  'support_tickets',
  'plan_premium',
  'days_since_last_txn',
  'txn_count_90d',
  'region_code',
]

/** A synthetic churn-like evaluation: everything the lead would fill in from a real run. */
function syntheticReport(): ReportData {
  const rng = new Rng(42)
  const n = 1200
  const y = new Float64Array(n)
  const score = new Float64Array(n)
  const x = matrix(n, FEATURES.length)
  const region: Record<string, number[]> = { north: [], south: [], east: [], islands: [] }
  for (let i = 0; i < n; i++) {
    for (let f = 0; f < FEATURES.length; f++) x.data[i * FEATURES.length + f] = rng.normal()
    const r = i % 17 === 0 ? 'islands' : (['north', 'south', 'east'] as const)[i % 3]!
    region[r]!.push(i)
    const z =
      1.4 * x.data[i * FEATURES.length]! - 0.9 * x.data[i * FEATURES.length + 2]! + 0.5 * rng.normal() - 0.8
    y[i] = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0
    const noise = r === 'east' ? 2.5 : 0.6
    score[i] = 1 / (1 + Math.exp(-(z + noise * rng.normal())))
  }
  const roc = rocCurve(y, score)
  const pr = prCurve(y, score)
  const cal = reliabilityCurve(y, score, { nBins: 10, strategy: 'quantile' })
  const yPred = predictedLabels(score, 0.5)
  const prevalence = y.reduce((a, b) => a + b, 0) / n
  const shapValues: number[][] = []
  const featureValues: number[][] = []
  for (let i = 0; i < 150; i++) {
    const row = Array.from(x.data.subarray(i * FEATURES.length, (i + 1) * FEATURES.length))
    featureValues.push(row)
    shapValues.push(row.map((v, f) => v * [1.4, 0.3, -0.9, 0.2, 0.5, 0.1, 0.05][f]! + 0.05 * rng.normal()))
  }
  const iterations = Array.from({ length: 120 }, (_, i) => ({
    iteration: i + 1,
    trainLoss: 0.25 + 0.45 * Math.exp(-i / 25),
    validLoss: 0.33 + 0.37 * Math.exp(-i / 22) + 0.0006 * i,
  }))
  const auc = rocAuc(y, score)
  return {
    run: {
      id: 'run_20261126_0815_a1b2c3',
      name: 'churn-gbdt',
      task: 'binary',
      modelKind: 'gbdt-classifier',
      createdAt: '2026-11-26T08:15:00Z',
      durationMs: 48_200,
      seed: 7,
      primaryMetric: 'roc_auc',
      datasetFingerprint: 'b3f1c9e2d4a6f8e0c1d2',
      gitCommit: '8160b35aa1c2d3e4f5',
      libraryVersion: '0.1.0',
      tags: { scenario: 'churn' },
    },
    metrics: [
      { name: 'roc_auc', value: auc, split: 'test', ci: { lower: auc - 0.021, upper: auc + 0.019 } },
      { name: 'pr_auc', value: averagePrecision(y, score), split: 'test' },
      {
        name: 'log_loss',
        value: getMetric('log_loss').compute({ yTrue: y, prediction: score }),
        split: 'test',
      },
      { name: 'brier', value: getMetric('brier').compute({ yTrue: y, prediction: score }), split: 'test' },
      { name: 'f1', value: getMetric('f1').compute({ yTrue: y, prediction: score }), split: 'test' },
    ],
    comparison: [
      {
        model: 'prior (baseline)',
        isBaseline: true,
        metrics: { roc_auc: 0.5, pr_auc: prevalence, log_loss: 0.62 },
        fitTimeMs: 2,
        latencyMs: 0.001,
        sizeBytes: 310,
      },
      {
        model: 'logistic regression',
        metrics: { roc_auc: auc - 0.031, pr_auc: 0.61, log_loss: 0.48 },
        cvStd: 0.008,
        fitTimeMs: 420,
        latencyMs: 0.004,
        sizeBytes: 1900,
      },
      {
        model: 'random forest',
        metrics: { roc_auc: auc - 0.012, pr_auc: 0.64, log_loss: 0.46 },
        cvStd: 0.01,
        fitTimeMs: 6100,
        latencyMs: 0.09,
        sizeBytes: 8_400_000,
      },
      {
        model: 'gbdt',
        isSelected: true,
        metrics: { roc_auc: auc, pr_auc: averagePrecision(y, score), log_loss: 0.44 },
        cvStd: 0.007,
        fitTimeMs: 9800,
        latencyMs: 0.03,
        sizeBytes: 640_000,
      },
    ],
    curves: {
      roc: { fpr: roc.fpr, tpr: roc.tpr, auc },
      pr: {
        precision: pr.precision,
        recall: pr.recall,
        averagePrecision: averagePrecision(y, score),
        prevalence,
      },
      calibration: { probTrue: cal.probTrue, probPred: cal.probPred, counts: cal.counts },
    },
    confusionMatrix: {
      labels: ['stays', 'churns'],
      matrix: confusionMatrix(y, yPred, { nClasses: 2 }),
      threshold: 0.5,
    },
    classificationReport: classificationReport(y, score, { classNames: ['stays', 'churns'] }),
    importances: [
      { kind: 'gain', features: FEATURES, values: [410, 95, 260, 40, 120, 30, 12] },
      {
        kind: 'permutation (roc_auc drop)',
        features: FEATURES,
        values: [0.18, 0.01, 0.09, 0.004, 0.02, 0.002, -0.001],
        std: [0.012, 0.003, 0.008, 0.002, 0.004, 0.001, 0.001],
      },
    ],
    shap: {
      features: FEATURES,
      meanAbs: FEATURES.map(
        (_, f) => shapValues.reduce((a, r) => a + Math.abs(r[f]!), 0) / shapValues.length,
      ),
      expectedValue: -0.81,
      sample: { values: shapValues, featureValues },
    },
    learningCurves: [{ model: 'gbdt', lossName: 'log loss', points: iterations, bestIteration: 64 }],
    subgroups: subgroupMetrics({
      yTrue: y,
      prediction: score,
      groups: { region },
      metrics: [getMetric('roc_auc'), getMetric('log_loss')],
      nBoot: 60,
      seed: 1,
    }),
    constraints: [
      { name: 'latency', isHard: true, target: '< 100 ms per row', measured: '0.03 ms', passed: true },
      { name: 'artifact size', isHard: true, target: '< 500 MB', measured: '625 KB', passed: true },
      {
        name: 'interpretability',
        isHard: true,
        target: 'tree/linear or explanations',
        measured: 'TreeSHAP available',
        passed: true,
      },
      {
        name: 'recall at 0.9 precision',
        isHard: false,
        target: '>= 0.40',
        measured: '0.31',
        passed: false,
        detail: 'soft target missed',
      },
    ],
    data: {
      source: 'churn_transactions.parquet',
      rows: 12000,
      columns: 9,
      target: 'churned',
      splits: { train: 8400, validation: 1800, test: 1800 },
      classBalance: { stays: 9300, churns: 2700 },
      features: FEATURES.map((name, i) => ({
        name,
        type: i === 3 ? 'boolean' : i === 6 ? 'categorical' : 'numeric',
        missingFraction: i === 4 ? 0.032 : 0,
        summary: i === 6 ? '4 levels' : 'mean 0.00, sd 1.00',
      })),
    },
    failures: topConfidentErrors(y, score, 8, { x, featureNames: FEATURES }).map((e) => ({
      row: e.row,
      trueLabel: e.trueClass === 1 ? 'churns' : 'stays',
      predictedLabel: e.predictedClass === 1 ? 'churns' : 'stays',
      confidence: e.confidence,
      ...(e.features === undefined ? {} : { features: e.features }),
    })),
    notes: ['Test part touched once, after model selection by 5-fold cross-validation.'],
  }
}

const CHARTS = ['roc', 'pr', 'calibration', 'confusion', 'importance-0', 'importance-1', 'shap', 'learning']

describe('renderReport', () => {
  const html = renderReport(syntheticReport())

  it('is one self-contained document: no scripts, no external references', () => {
    assert.ok(html.startsWith('<!doctype html>'))
    assert.ok(!/<script/i.test(html), 'no scripts')
    assert.ok(!/(src|href)\s*=\s*["']?(https?:)?\/\//i.test(html), 'no network references')
    assert.ok(!/@import|url\(\s*["']?https?:/i.test(html), 'no remote CSS')
    for (const chart of CHARTS) assert.ok(html.includes(`data-chart="${chart}"`), `chart ${chart} present`)
    for (const id of [
      'summary',
      'constraints',
      'performance',
      'explanations',
      'learning',
      'subgroups',
      'failures',
      'data',
    ]) {
      assert.ok(html.includes(`id="${id}"`), `section ${id}`)
    }
  })

  it('escapes user text and is deterministic', () => {
    const data = syntheticReport()
    const tricky = renderReport({ ...data, run: { ...data.run, name: '<img src=x onerror=alert(1)>' } })
    assert.ok(!tricky.includes('<img src=x'))
    assert.ok(tricky.includes('&#60;img src=x'))
    assert.equal(renderReport(data), html)
  })

  it('builds report parts from labels, scores and a TreeSHAP result', () => {
    const y = [0, 1, 0, 1, 1, 0, 1, 0]
    const s = [0.1, 0.8, 0.4, 0.35, 0.9, 0.2, 0.7, 0.6]
    const parts = binaryReportParts(y, s, { classNames: ['no', 'yes'] })
    assert.equal(parts.curves?.roc?.auc, rocAuc(y, s))
    assert.deepEqual(parts.confusionMatrix?.matrix, [
      [3, 1],
      [1, 3],
    ])
    const tree = {
      feature: Int32Array.of(0, -1, -1),
      threshold: Float64Array.of(0, 0, 0),
      left: Int32Array.of(1, -1, -1),
      right: Int32Array.of(2, -1, -1),
      defaultLeft: Uint8Array.of(1, 0, 0),
      value: Float64Array.of(0, -1, 1),
      cover: Float64Array.of(4, 2, 2),
    }
    const x = matrix(3, 2, Float64Array.of(-1, 5, 1, 5, 2, 5))
    const shap = shapReportPart(
      treeShap(
        { nOutputs: 1, baseScore: Float64Array.of(0), trees: [{ tree, output: 0 }], treeWeight: 1 },
        x,
      ),
      x,
      ['a', 'b'],
    )
    assert.deepEqual(Array.from(shap.meanAbs), [1, 0])
    assert.equal(shap.sample?.values.length, 3)
    assert.ok(renderReport({ ...syntheticReport(), ...parts, shap }).includes('data-chart="shap"'))
  })

  it('renders a minimal regression report', () => {
    const out = renderReport({
      run: { id: 'r2', task: 'regression', modelKind: 'linear', createdAt: '2026-11-26T00:00:00Z' },
      metrics: [{ name: 'rmse', value: 1.23 }],
      predictions: { yTrue: [1, 2, 3, 4], yPred: [1.1, 1.9, 3.2, 3.7] },
    })
    assert.ok(out.includes('data-chart="predictions"'))
    assert.ok(!out.includes('id="constraints"'))
  })

  const browserGate = chromiumGate()
  it('renders in headless Chromium with marks in every chart (screenshot in test-artifacts/)', {
    skip: browserGate.skip,
  }, async () => {
    const { chromium } = await import('playwright-core')
    const dir = mkdtempSync(join(tmpdir(), 'keel-report-'))
    const file = join(dir, 'report.html')
    writeFileSync(file, html)
    const browser = await chromium.launch({
      executablePath: browserGate.require(),
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
      const requests: string[] = []
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url())
      })
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' })
      const counts = await page.$$eval('figure.chart', (figures) =>
        figures.map((f) => ({
          name: f.getAttribute('data-chart'),
          marks: f.querySelectorAll('svg path, svg circle, svg rect').length,
          width: f.querySelector('svg')?.getBoundingClientRect().width ?? 0,
        })),
      )
      for (const chart of CHARTS) {
        const c = counts.find((x) => x.name === chart)
        assert.ok(c !== undefined, `chart ${chart} in the page`)
        assert.ok(c.marks > 0, `chart ${chart} has SVG marks`)
        assert.ok(c.width > 100, `chart ${chart} is laid out (${c.width}px)`)
      }
      assert.deepEqual(requests, [], 'the page made no network requests')
      mkdirSync('test-artifacts', { recursive: true })
      await page.screenshot({ path: 'test-artifacts/report.png', fullPage: true })
    } finally {
      await browser.close()
    }
  })
})
