import * as Plot from '@observablehq/plot'
import { parseHTML } from 'linkedom'
import { lowerBound } from '../../core/index.js'
import type {
  ReportCurves,
  ReportData,
  ReportImportance,
  ReportLearningCurve,
  ReportShap,
} from './report-data.js'

/**
 * Server-side charts: Observable Plot renders into a linkedom document and we keep the SVG
 * markup, so the report needs no JavaScript. This file is the only place that bridges
 * linkedom's DOM types to the browser DOM types Plot declares.
 */

export const COLORS = {
  accent: '#4f46e5',
  accentSoft: '#c7d2fe',
  second: '#0891b2',
  muted: '#94a3b8',
  good: '#15803d',
  bad: '#dc2626',
  ink: '#1e293b',
  low: '#2563eb',
  high: '#e11d48',
} as const

/** Palette for categorical series (learning curves); readable on white, colour-blind aware. */
export const SERIES_COLORS = ['#4f46e5', '#0891b2', '#d97706', '#059669', '#db2777', '#7c3aed', '#475569']

const CHART_STYLE = {
  fontSize: '11px',
  fontFamily: 'Inter, ui-sans-serif, system-ui, sans-serif',
  color: COLORS.ink,
  overflow: 'visible',
}

function render(options: Plot.PlotOptions): string {
  const { document } = parseHTML('<!doctype html><html><head></head><body></body></html>')
  const element = Plot.plot({ ...options, style: CHART_STYLE, document: document as unknown as Document })
  return (element as unknown as { outerHTML: string }).outerHTML
}

/** The frame of the curves on [0, 1] x [0, 1] (ROC, precision-recall, calibration): one look for all three. */
function unitSquare(xLabel: string, yLabel: string): Plot.PlotOptions {
  return {
    width: 520,
    height: 340,
    marginLeft: 48,
    marginBottom: 40,
    grid: true,
    x: { domain: [0, 1], label: xLabel, labelAnchor: 'center' },
    y: { domain: [0, 1], label: yLabel, labelAnchor: 'top' },
  }
}

interface Point {
  readonly x: number
  readonly y: number
}

/** Points from two arrays, thinned to at most `max` (keeping both ends) to keep the file small. */
export function toPoints(xs: ArrayLike<number>, ys: ArrayLike<number>, max = 600): Point[] {
  const n = Math.min(xs.length, ys.length)
  const stride = Math.max(1, Math.ceil(n / max))
  const out: Point[] = []
  for (let i = 0; i < n; i += stride) out.push({ x: xs[i]!, y: ys[i]! })
  if (n > 0 && (n - 1) % stride !== 0) out.push({ x: xs[n - 1]!, y: ys[n - 1]! })
  return out
}

const DIAGONAL: Point[] = [
  { x: 0, y: 0 },
  { x: 1, y: 1 },
]

/** ROC curve with the chance diagonal. */
export function rocChart(roc: NonNullable<ReportCurves['roc']>): string {
  const points = toPoints(roc.fpr, roc.tpr)
  return render({
    ...unitSquare('False positive rate →', '↑ True positive rate'),
    marks: [
      Plot.line(DIAGONAL, { x: 'x', y: 'y', stroke: COLORS.muted, strokeDasharray: '4,4' }),
      Plot.line(points, { x: 'x', y: 'y', stroke: COLORS.accent, strokeWidth: 2 }),
      Plot.frame({ stroke: '#cbd5e1' }),
    ],
  })
}

/** Precision-recall curve (step, as average precision integrates it) with the no-skill line. */
export function prChart(pr: NonNullable<ReportCurves['pr']>): string {
  const points = toPoints(pr.recall, pr.precision).sort((a, b) => a.x - b.x || b.y - a.y)
  const marks: Plot.Markish[] = [
    Plot.areaY(points, { x: 'x', y: 'y', fill: COLORS.second, fillOpacity: 0.08, curve: 'step-before' }),
    Plot.line(points, { x: 'x', y: 'y', stroke: COLORS.second, strokeWidth: 2, curve: 'step-before' }),
    Plot.frame({ stroke: '#cbd5e1' }),
  ]
  if (pr.prevalence !== undefined) {
    marks.splice(0, 0, Plot.ruleY([pr.prevalence], { stroke: COLORS.muted, strokeDasharray: '4,4' }))
  }
  return render({
    ...unitSquare('Recall →', '↑ Precision'),
    marks,
  })
}

/** Reliability diagram: observed positive rate per bin against mean predicted probability. */
export function calibrationChart(cal: NonNullable<ReportCurves['calibration']>): string {
  const points = Array.from({ length: Math.min(cal.probPred.length, cal.probTrue.length) }, (_, i) => ({
    x: cal.probPred[i]!,
    y: cal.probTrue[i]!,
    n: cal.counts?.[i] ?? 1,
  }))
  return render({
    ...unitSquare('Mean predicted probability →', '↑ Observed fraction positive'),
    r: { range: [3, 9] },
    marks: [
      Plot.line(DIAGONAL, { x: 'x', y: 'y', stroke: COLORS.muted, strokeDasharray: '4,4' }),
      Plot.line(points, { x: 'x', y: 'y', stroke: COLORS.accent, strokeWidth: 2 }),
      Plot.dot(points, { x: 'x', y: 'y', r: 'n', fill: COLORS.accent, stroke: 'white', strokeWidth: 1.5 }),
      Plot.frame({ stroke: '#cbd5e1' }),
    ],
  })
}

/** Confusion matrix as a heat map, coloured by the share of each true class. */
export function confusionChart(cm: NonNullable<ReportData['confusionMatrix']>): string {
  const cells: { truth: string; predicted: string; count: number; share: number }[] = []
  cm.matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0)
    row.forEach((count, j) => {
      cells.push({
        truth: cm.labels[i] ?? String(i),
        predicted: cm.labels[j] ?? String(j),
        count,
        share: total === 0 ? 0 : count / total,
      })
    })
  })
  const k = cm.labels.length
  const side = Math.min(360, Math.max(200, 70 * k))
  const label = (c: (typeof cells)[number]) => `${formatCount(c.count)}\n${(100 * c.share).toFixed(1)}%`
  return render({
    width: side + 90,
    height: side + 60,
    marginLeft: 80,
    marginBottom: 48,
    marginTop: 10,
    padding: 0.04,
    x: { domain: cm.labels as string[], label: 'Predicted →', labelAnchor: 'center', tickSize: 0 },
    y: { domain: cm.labels as string[], label: '↑ True', labelAnchor: 'top', tickSize: 0 },
    color: { type: 'linear', domain: [0, 1], range: ['#eef2ff', COLORS.accent] },
    marks: [
      Plot.cell(cells, { x: 'predicted', y: 'truth', fill: 'share', rx: 4 }),
      Plot.text(cells, {
        x: 'predicted',
        y: 'truth',
        text: label,
        fill: (c: (typeof cells)[number]) => (c.share > 0.55 ? 'white' : COLORS.ink),
        fontSize: 12,
        fontWeight: 600,
        lineHeight: 1.3,
      }),
    ],
  })
}

function formatCount(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1)
}

function labelMargin(names: readonly string[]): number {
  const longest = names.reduce((m, n) => Math.max(m, n.length), 0)
  return Math.min(220, Math.max(60, 8 + longest * 6.4))
}

/** Horizontal bars of the top features by importance, with error bars when given. */
export function importanceChart(imp: ReportImportance, top = 20): string {
  const rows = imp.features
    .map((feature, i) => ({ feature, value: imp.values[i] ?? 0, std: imp.std?.[i] ?? 0 }))
    .sort((a, b) => b.value - a.value)
    .slice(0, top)
  const marks: Plot.Markish[] = [
    Plot.barX(rows, { y: 'feature', x: 'value', fill: COLORS.accent, rx: 2 }),
    Plot.ruleX([0], { stroke: COLORS.ink }),
  ]
  if (imp.std !== undefined) {
    marks.push(
      Plot.ruleY(rows, {
        y: 'feature',
        x1: (d: (typeof rows)[number]) => d.value - d.std,
        x2: (d: (typeof rows)[number]) => d.value + d.std,
        stroke: COLORS.ink,
        strokeWidth: 1.2,
      }),
    )
  }
  return render({
    width: 520,
    height: 56 + rows.length * 22,
    marginLeft: labelMargin(rows.map((r) => r.feature)),
    marginRight: 16,
    marginBottom: 40,
    x: { grid: true, label: `${imp.kind} →`, labelAnchor: 'center' },
    y: { domain: rows.map((r) => r.feature), label: null, tickSize: 0 },
    marks,
  })
}

/**
 * SHAP summary: a beeswarm (one dot per sampled row and feature, coloured from low to high
 * feature value, jittered by a fixed sequence) when a sample is given, else mean |SHAP| bars.
 */
export function shapChart(shap: ReportShap, top = 15): string {
  const order = shap.features
    .map((feature, i) => ({ feature, i, meanAbs: shap.meanAbs[i] ?? 0 }))
    .sort((a, b) => b.meanAbs - a.meanAbs)
    .slice(0, top)
  if (shap.sample === undefined || shap.sample.values.length === 0) {
    return importanceChart(
      {
        kind: 'mean |SHAP value|',
        features: order.map((o) => o.feature),
        values: order.map((o) => o.meanAbs),
      },
      top,
    )
  }
  const { values, featureValues } = shap.sample
  const dots: { x: number; y: number; c: number }[] = []
  order.forEach((o, rank) => {
    // colour by rank of the feature value within the sample, so skewed features still spread
    const raw = featureValues.map((row) => row[o.i] ?? Number.NaN)
    const sorted = raw.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b)
    values.forEach((row, r) => {
      const v = raw[r]!
      const position = Number.isNaN(v)
        ? Number.NaN
        : sorted.length <= 1
          ? 0.5
          : lowerBound(sorted, v) / (sorted.length - 1)
      // golden-ratio jitter: deterministic, evenly spread within the row's band
      const jitter = (((r * 0.6180339887) % 1) - 0.5) * 0.6
      dots.push({ x: row[o.i] ?? 0, y: rank + jitter, c: position })
    })
  })
  return render({
    width: 520,
    height: 66 + order.length * 28,
    marginLeft: labelMargin(order.map((o) => o.feature)),
    marginRight: 16,
    marginBottom: 40,
    x: { grid: true, label: 'SHAP value (impact on model output) →', labelAnchor: 'center' },
    y: {
      domain: [order.length - 0.5, -0.5],
      ticks: order.map((_, i) => i),
      tickFormat: (i: number) => order[i]?.feature ?? '',
      label: null,
      tickSize: 0,
    },
    color: { type: 'linear', domain: [0, 1], range: [COLORS.low, COLORS.high], unknown: '#cbd5e1' },
    marks: [
      Plot.ruleX([0], { stroke: COLORS.muted }),
      Plot.dot(dots, { x: 'x', y: 'y', fill: 'c', r: 2.4, fillOpacity: 0.85 }),
    ],
  })
}

/** Series names of the learning-curve chart, in colour order. */
export function learningSeries(curves: readonly ReportLearningCurve[]): string[] {
  const names: string[] = []
  for (const c of curves) {
    names.push(`${c.model} · train`)
    if (c.points.some((p) => p.validLoss !== undefined)) names.push(`${c.model} · validation`)
  }
  return names
}

/** Train and validation loss per iteration, one colour per model, validation dashed. */
export function learningChart(curves: readonly ReportLearningCurve[]): string {
  const series = learningSeries(curves)
  const rows: { iteration: number; loss: number; series: string; isValid: boolean }[] = []
  const best: { iteration: number; loss: number; series: string }[] = []
  for (const c of curves) {
    for (const p of c.points) {
      rows.push({ iteration: p.iteration, loss: p.trainLoss, series: `${c.model} · train`, isValid: false })
      if (p.validLoss !== undefined)
        rows.push({
          iteration: p.iteration,
          loss: p.validLoss,
          series: `${c.model} · validation`,
          isValid: true,
        })
    }
    const hit =
      c.bestIteration === undefined ? undefined : c.points.find((p) => p.iteration === c.bestIteration)
    if (hit?.validLoss !== undefined)
      best.push({ iteration: hit.iteration, loss: hit.validLoss, series: `${c.model} · validation` })
  }
  const lossName = curves.find((c) => c.lossName !== undefined)?.lossName ?? 'loss'
  return render({
    width: 1100,
    height: 320,
    marginLeft: 56,
    marginBottom: 40,
    grid: true,
    x: { label: 'Iteration →', labelAnchor: 'center' },
    y: { label: `↑ ${lossName}`, labelAnchor: 'top' },
    color: { domain: series, range: series.map((_, i) => SERIES_COLORS[i % SERIES_COLORS.length]!) },
    marks: [
      Plot.line(
        rows.filter((r) => !r.isValid),
        { x: 'iteration', y: 'loss', stroke: 'series', strokeWidth: 2 },
      ),
      Plot.line(
        rows.filter((r) => r.isValid),
        { x: 'iteration', y: 'loss', stroke: 'series', strokeWidth: 2, strokeDasharray: '5,3' },
      ),
      Plot.dot(best, { x: 'iteration', y: 'loss', stroke: 'series', fill: 'white', r: 5, strokeWidth: 2 }),
      Plot.frame({ stroke: '#cbd5e1' }),
    ],
  })
}

/** Regression: predicted against actual values with the identity line. */
export function predictionsChart(p: NonNullable<ReportData['predictions']>): string {
  const points = toPoints(p.yTrue, p.yPred, 2000)
  let lo = Number.POSITIVE_INFINITY
  let hi = Number.NEGATIVE_INFINITY
  for (const q of points) {
    lo = Math.min(lo, q.x, q.y)
    hi = Math.max(hi, q.x, q.y)
  }
  return render({
    width: 420,
    height: 360,
    marginLeft: 56,
    marginBottom: 40,
    grid: true,
    x: { domain: [lo, hi], label: 'Actual →', labelAnchor: 'center' },
    y: { domain: [lo, hi], label: '↑ Predicted', labelAnchor: 'top' },
    marks: [
      Plot.line(
        [
          { x: lo, y: lo },
          { x: hi, y: hi },
        ],
        { x: 'x', y: 'y', stroke: COLORS.muted, strokeDasharray: '4,4' },
      ),
      Plot.dot(points, { x: 'x', y: 'y', fill: COLORS.accent, r: 2.2, fillOpacity: 0.5 }),
      Plot.frame({ stroke: '#cbd5e1' }),
    ],
  })
}
