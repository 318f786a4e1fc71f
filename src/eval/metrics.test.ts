import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { matrix } from '../core/index.js'
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  classificationReport,
  confusionMatrix,
  EvalInputError,
  f1,
  getMetric,
  isBetter,
  logLoss,
  mae,
  mape,
  prCurve,
  precision,
  precisionAtRecall,
  predictedLabels,
  r2,
  recall,
  recallAtPrecision,
  rmse,
  rocAuc,
  rocAucOvr,
  rocCurve,
  UnknownMetricError,
} from './index.js'

const TOL = 1e-9

interface ThresholdFixture {
  value: number
  threshold: number | 'inf'
}
interface Case {
  name: string
  kind: 'binary' | 'multiclass' | 'regression'
  yTrue: number[]
  score?: number[]
  proba?: number[]
  yPred?: number[]
  nClasses?: number
  sampleWeight: number[] | null
  threshold?: number
  expected: Record<string, unknown>
}

const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/eval/metrics.json', import.meta.url), 'utf8'),
) as { cases: Case[] }

function close(actual: number, expected: number, what: string, tol = TOL): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: got ${actual}, sklearn ${expected} (diff ${actual - expected})`,
  )
}

function closeArray(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < expected.length; i++) close(actual[i]!, expected[i]!, `${what}[${i}]`)
}

function num(e: Record<string, unknown>, key: string): number {
  const v = e[key]
  assert.equal(typeof v, 'number', `fixture key ${key}`)
  return v as number
}

const w = (c: Case) => (c.sampleWeight === null ? undefined : c.sampleWeight)
const sw = (c: Case) => (c.sampleWeight === null ? {} : { sampleWeight: c.sampleWeight })

describe('metrics vs scikit-learn fixtures (1e-9)', () => {
  for (const c of fixture.cases.filter((x) => x.kind === 'binary')) {
    it(c.name, () => {
      const e = c.expected
      const s = c.score!
      const yPred = predictedLabels(s, c.threshold ?? 0.5)
      close(rocAuc(c.yTrue, s, w(c)), num(e, 'roc_auc'), 'roc_auc')
      close(averagePrecision(c.yTrue, s, w(c)), num(e, 'average_precision'), 'average_precision')
      close(logLoss(c.yTrue, s, sw(c)), num(e, 'log_loss'), 'log_loss')
      close(brierScore(c.yTrue, s, w(c)), num(e, 'brier'), 'brier')
      close(accuracy(c.yTrue, yPred, w(c)), num(e, 'accuracy'), 'accuracy')
      close(balancedAccuracy(c.yTrue, yPred, w(c)), num(e, 'balanced_accuracy'), 'balanced_accuracy')
      close(precision(c.yTrue, yPred, sw(c)), num(e, 'precision'), 'precision')
      close(recall(c.yTrue, yPred, sw(c)), num(e, 'recall'), 'recall')
      close(f1(c.yTrue, yPred, sw(c)), num(e, 'f1'), 'f1')
      close(f1(c.yTrue, yPred, { ...sw(c), average: 'macro' }), num(e, 'f1_macro'), 'f1_macro')
      close(f1(c.yTrue, yPred, { ...sw(c), average: 'weighted' }), num(e, 'f1_weighted'), 'f1_weighted')
      const cm = confusionMatrix(c.yTrue, yPred, { nClasses: 2, ...sw(c) })
      closeArray(cm.flat(), (e.confusion_matrix as number[][]).flat(), 'confusion_matrix')

      const roc = rocCurve(c.yTrue, s, w(c))
      const eRoc = e.roc_curve as { fpr: number[]; tpr: number[]; thresholds: number[] }
      closeArray(roc.fpr, eRoc.fpr, 'fpr')
      closeArray(roc.tpr, eRoc.tpr, 'tpr')
      closeArray(roc.thresholds, eRoc.thresholds, 'roc thresholds')
      const pr = prCurve(c.yTrue, s, w(c))
      const ePr = e.pr_curve as { precision: number[]; recall: number[]; thresholds: number[] }
      closeArray(pr.precision, ePr.precision, 'precision curve')
      closeArray(pr.recall, ePr.recall, 'recall curve')
      closeArray(pr.thresholds, ePr.thresholds, 'pr thresholds')

      for (const [target, exp] of Object.entries(e.precision_at_recall as Record<string, ThresholdFixture>)) {
        const got = precisionAtRecall(c.yTrue, s, Number(target), w(c))
        close(got.value, exp.value, `precision_at_recall ${target}`)
        if (exp.threshold === 'inf') assert.equal(got.isAchieved, false)
        else close(got.threshold, exp.threshold, `precision_at_recall ${target} threshold`)
        close(
          getMetric({ precision_at_recall: Number(target) }).compute({
            yTrue: c.yTrue,
            prediction: s,
            ...sw(c),
          }),
          exp.value,
          'registry p@r',
        )
      }
      for (const [target, exp] of Object.entries(e.recall_at_precision as Record<string, ThresholdFixture>)) {
        const got = recallAtPrecision(c.yTrue, s, Number(target), w(c))
        close(got.value, exp.value, `recall_at_precision ${target}`)
        if (exp.threshold === 'inf') assert.equal(got.isAchieved, false)
        else close(got.threshold, exp.threshold, `recall_at_precision ${target} threshold`)
      }
      checkReport(c, classificationReport(c.yTrue, s, { threshold: c.threshold ?? 0.5, ...sw(c) }))

      // registry: same numbers through names, also from a 2-column probability matrix
      const twoCol = matrix(s.length, 2, Float64Array.from(s.flatMap((p) => [1 - p, p])))
      close(
        getMetric('roc_auc').compute({ yTrue: c.yTrue, prediction: twoCol, ...sw(c) }),
        num(e, 'roc_auc'),
        'registry roc_auc',
      )
      close(
        getMetric('pr_auc').compute({ yTrue: c.yTrue, prediction: s, ...sw(c) }),
        num(e, 'average_precision'),
        'registry pr_auc',
      )
      close(getMetric('f1').compute({ yTrue: c.yTrue, prediction: s, ...sw(c) }), num(e, 'f1'), 'registry f1')
      close(
        getMetric('log_loss').compute({ yTrue: c.yTrue, prediction: s, ...sw(c) }),
        num(e, 'log_loss'),
        'registry log_loss',
      )
    })
  }

  for (const c of fixture.cases.filter((x) => x.kind === 'multiclass')) {
    it(c.name, () => {
      const e = c.expected
      const k = c.nClasses!
      const proba = matrix(c.yTrue.length, k, Float64Array.from(c.proba!))
      const yPred = predictedLabels(proba)
      close(rocAucOvr(c.yTrue, proba, sw(c)), num(e, 'roc_auc_ovr_macro'), 'ovr macro')
      close(
        rocAucOvr(c.yTrue, proba, { ...sw(c), average: 'weighted' }),
        num(e, 'roc_auc_ovr_weighted'),
        'ovr weighted',
      )
      close(logLoss(c.yTrue, proba, sw(c)), num(e, 'log_loss'), 'log_loss')
      close(accuracy(c.yTrue, yPred, w(c)), num(e, 'accuracy'), 'accuracy')
      close(balancedAccuracy(c.yTrue, yPred, w(c)), num(e, 'balanced_accuracy'), 'balanced_accuracy')
      for (const avg of ['macro', 'weighted'] as const) {
        close(
          precision(c.yTrue, yPred, { ...sw(c), average: avg }),
          num(e, `precision_${avg}`),
          `precision_${avg}`,
        )
        close(recall(c.yTrue, yPred, { ...sw(c), average: avg }), num(e, `recall_${avg}`), `recall_${avg}`)
        close(f1(c.yTrue, yPred, { ...sw(c), average: avg }), num(e, `f1_${avg}`), `f1_${avg}`)
      }
      const cm = confusionMatrix(c.yTrue, yPred, { nClasses: k, ...sw(c) })
      closeArray(cm.flat(), (e.confusion_matrix as number[][]).flat(), 'confusion_matrix')
      checkReport(c, classificationReport(c.yTrue, proba, sw(c)))
      close(
        getMetric('roc_auc').compute({ yTrue: c.yTrue, prediction: proba, ...sw(c) }),
        num(e, 'roc_auc_ovr_macro'),
        'registry roc_auc',
      )
      close(
        getMetric('f1_weighted').compute({ yTrue: c.yTrue, prediction: proba, ...sw(c) }),
        num(e, 'f1_weighted'),
        'registry f1_weighted',
      )
    })
  }

  for (const c of fixture.cases.filter((x) => x.kind === 'regression')) {
    it(c.name, () => {
      const e = c.expected
      const p = c.yPred!
      close(rmse(c.yTrue, p, w(c)), num(e, 'rmse'), 'rmse')
      close(mae(c.yTrue, p, w(c)), num(e, 'mae'), 'mae')
      close(r2(c.yTrue, p, w(c)), num(e, 'r2'), 'r2')
      close(mape(c.yTrue, p, w(c)), num(e, 'mape'), 'mape')
      close(
        getMetric('rmse').compute({ yTrue: c.yTrue, prediction: p, ...sw(c) }),
        num(e, 'rmse'),
        'registry rmse',
      )
    })
  }
})

function checkReport(c: Case, report: ReturnType<typeof classificationReport>): void {
  const e = c.expected.classification_report as Record<string, Record<string, number> | number>
  for (const line of report.classes) {
    const exp = e[String(line.label)] as Record<string, number>
    close(line.precision, exp.precision!, `report ${line.label} precision`)
    close(line.recall, exp.recall!, `report ${line.label} recall`)
    close(line.f1, exp['f1-score']!, `report ${line.label} f1`)
    close(line.support, exp.support!, `report ${line.label} support`)
  }
  close(report.accuracy, e.accuracy as number, 'report accuracy')
  const macro = e['macro avg'] as Record<string, number>
  const weighted = e['weighted avg'] as Record<string, number>
  close(report.macroAvg.f1, macro['f1-score']!, 'report macro f1')
  close(report.macroAvg.precision, macro.precision!, 'report macro precision')
  close(report.weightedAvg.f1, weighted['f1-score']!, 'report weighted f1')
  close(report.weightedAvg.recall, weighted.recall!, 'report weighted recall')
}

describe('metric properties and errors', () => {
  it('AUC is 1 for perfect ranking, 0 for reversed, 0.5 for all-tied scores', () => {
    const y = [0, 0, 1, 1]
    assert.equal(rocAuc(y, [0.1, 0.2, 0.8, 0.9]), 1)
    assert.equal(rocAuc(y, [0.9, 0.8, 0.2, 0.1]), 0)
    assert.equal(rocAuc(y, [0.5, 0.5, 0.5, 0.5]), 0.5)
  })

  it('metrics stay in bounds on random inputs', () => {
    let seed = 1
    const rand = () => {
      seed = (seed * 16807) % 2147483647
      return seed / 2147483647
    }
    for (let t = 0; t < 20; t++) {
      const n = 5 + Math.floor(rand() * 30)
      const y = Array.from({ length: n }, (_, i) => (i < 2 ? i : rand() < 0.5 ? 1 : 0))
      const s = Array.from({ length: n }, () => Math.round(rand() * 5) / 5)
      for (const v of [rocAuc(y, s), averagePrecision(y, s), brierScore(y, s)]) assert.ok(v >= 0 && v <= 1)
      assert.ok(logLoss(y, s) >= 0)
    }
  })

  it('rejects one-class ROC, bad labels, length mismatch and unknown metrics with typed errors', () => {
    assert.throws(() => rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), EvalInputError)
    assert.throws(() => rocAuc([0, 2, 1], [0.1, 0.2, 0.3]), EvalInputError)
    assert.throws(() => accuracy([0, 1], [0]), EvalInputError)
    assert.throws(() => getMetric('auc_roc'), UnknownMetricError)
    assert.throws(() => getMetric({ precision_at_recall: 1.5 }), UnknownMetricError)
  })

  it('registry knows directions and parses operating points', () => {
    assert.equal(getMetric('log_loss').direction, 'lower')
    assert.equal(getMetric('roc_auc').direction, 'higher')
    assert.equal(getMetric('precision_at_recall@0.9').name, 'precision_at_recall@0.9')
    assert.equal(getMetric({ recall_at_precision: 0.8 }).name, 'recall_at_precision@0.8')
    assert.ok(isBetter('lower', 0.1, 0.2))
    assert.ok(!isBetter('higher', 0.1, 0.2))
  })

  it('r2 on a constant target follows sklearn force_finite', () => {
    assert.equal(r2([2, 2, 2], [2, 2, 2]), 1)
    assert.equal(r2([2, 2, 2], [1, 2, 3]), 0)
  })
})
