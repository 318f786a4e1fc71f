import { UnknownMetricError } from '../errors.js'
import { type Direction, getMetric } from '../metric-registry.js'
import {
  calibrationChart,
  confusionChart,
  importanceChart,
  learningChart,
  learningSeries,
  prChart,
  predictionsChart,
  rocChart,
  SERIES_COLORS,
  shapChart,
} from './charts.js'
import type { ReportData, ReportMetric, ReportModelRow } from './report-data.js'
import { REPORT_CSS } from './styles.js'

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

const h = escapeHtml

/** Formats a metric value: 4 decimals below 10, fewer above, '—' when not finite. */
export function formatNumber(v: number | undefined, digits = 4): string {
  if (v === undefined || !Number.isFinite(v)) return '—'
  const abs = Math.abs(v)
  if (abs >= 1e5) return v.toLocaleString('en-US', { maximumFractionDigits: 0 })
  if (abs >= 100) return v.toLocaleString('en-US', { maximumFractionDigits: 2 })
  if (abs >= 10) return v.toFixed(Math.min(digits, 3))
  return v.toFixed(digits)
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 90) return `${s.toFixed(1)} s`
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB']
  let v = bytes
  let u = 0
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024
    u++
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}

function directionOf(name: string, metrics: readonly ReportMetric[]): Direction {
  const given = metrics.find((m) => m.name === name)?.direction
  if (given !== undefined) return given
  try {
    return getMetric(name).direction
  } catch (error) {
    // a custom metric the registry does not know: assume larger is better
    if (error instanceof UnknownMetricError) return 'higher'
    throw error
  }
}

function section(id: string, title: string, body: string, count?: string): string {
  return `<section id="${id}"><h2>${h(title)}${count === undefined ? '' : ` <span class="count">${h(count)}</span>`}</h2>${body}</section>`
}

function card(title: string, hint: string, body: string, chartName?: string): string {
  const inner =
    chartName === undefined ? body : `<figure class="chart" data-chart="${chartName}">${body}</figure>`
  return `<div class="card"><h3>${h(title)}</h3>${hint === '' ? '' : `<p class="hint">${h(hint)}</p>`}${inner}</div>`
}

function table(headers: readonly { label: string; isNumeric?: boolean }[], rows: readonly string[]): string {
  const head = headers.map((c) => `<th${c.isNumeric ? ' class="num"' : ''}>${h(c.label)}</th>`).join('')
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`
}

function kpis(data: ReportData): string {
  const primary = data.run.primaryMetric
  const ordered = [...data.metrics].sort((a, b) => Number(b.name === primary) - Number(a.name === primary))
  const tiles = ordered.map((m) => {
    const ci =
      m.ci === undefined
        ? ''
        : `${Math.round(100 * (1 - (m.ci.alpha ?? 0.05)))}% CI ${formatNumber(m.ci.lower)} – ${formatNumber(m.ci.upper)}`
    const cv = m.cv === undefined ? '' : `cv ${formatNumber(m.cv.mean)} (${m.cv.folds} folds)`
    const sub = [m.split, ci, cv].filter((s) => s !== undefined && s !== '').join(' · ')
    const arrow = directionOf(m.name, data.metrics) === 'higher' ? '↑' : '↓'
    return `<div class="kpi${m.name === primary ? ' primary' : ''}"><div class="name">${h(m.name)} <span title="${arrow === '↑' ? 'higher is better' : 'lower is better'}">${arrow}</span></div><div class="value">${formatNumber(m.value)}</div><div class="sub">${h(sub)}</div></div>`
  })
  const where =
    data.evaluatedOn === undefined
      ? ''
      : `<p class="hint">Curves, confusion matrix, failures and subgroups below are computed on the ${h(data.evaluatedOn)}.</p>`
  return `<div class="kpis">${tiles.join('')}</div>${where}`
}

function comparisonSection(data: ReportData, rows: readonly ReportModelRow[]): string {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.metrics)))]
  const primary = data.run.primaryMetric ?? names[0] ?? ''
  const direction = directionOf(primary, data.metrics)
  const baseline = rows.find((r) => r.isBaseline)
  const hasFit = rows.some((r) => r.fitTimeMs !== undefined)
  const hasLatency = rows.some((r) => r.latencyMs !== undefined)
  const hasSize = rows.some((r) => r.sizeBytes !== undefined)
  const hasSplit = rows.some((r) => r.split !== undefined)
  const headers = [
    { label: 'Model' },
    ...(hasSplit ? [{ label: 'Scored on' }] : []),
    ...names.map((n) => ({ label: n === primary ? `${n} (primary)` : n, isNumeric: true })),
    ...(baseline === undefined ? [] : [{ label: `Δ ${primary} vs baseline`, isNumeric: true }]),
    ...(rows.some((r) => r.cvStd !== undefined) ? [{ label: 'CV std', isNumeric: true }] : []),
    ...(hasFit ? [{ label: 'Fit time', isNumeric: true }] : []),
    ...(hasLatency ? [{ label: 'Latency / row', isNumeric: true }] : []),
    ...(hasSize ? [{ label: 'Size', isNumeric: true }] : []),
  ]
  const body = rows.map((r) => {
    const badges = `${r.isBaseline ? ' <span class="badge base">baseline</span>' : ''}${r.isSelected ? ' <span class="badge sel">selected</span>' : ''}`
    const cells = [
      ...(hasSplit ? [`<td>${h(r.split ?? '—')}</td>`] : []),
      ...names.map((n) => `<td class="num">${formatNumber(r.metrics[n])}</td>`),
    ]
    if (baseline !== undefined) {
      const b = baseline.metrics[primary]
      const v = r.metrics[primary]
      if (r === baseline || b === undefined || v === undefined) cells.push('<td class="num">—</td>')
      else {
        const delta = v - b
        const isImprovement = direction === 'higher' ? delta > 0 : delta < 0
        const relative =
          b === 0 ? '' : ` (${delta >= 0 ? '+' : ''}${((100 * delta) / Math.abs(b)).toFixed(1)}%)`
        cells.push(
          `<td class="num"><span class="delta ${isImprovement ? 'up' : 'down'}">${delta >= 0 ? '+' : ''}${formatNumber(delta)}${relative}</span></td>`,
        )
      }
    }
    if (rows.some((x) => x.cvStd !== undefined))
      cells.push(`<td class="num">${r.cvStd === undefined ? '—' : `± ${formatNumber(r.cvStd)}`}</td>`)
    if (hasFit)
      cells.push(`<td class="num">${r.fitTimeMs === undefined ? '—' : formatDuration(r.fitTimeMs)}</td>`)
    if (hasLatency)
      cells.push(
        `<td class="num">${r.latencyMs === undefined ? '—' : `${formatNumber(r.latencyMs, 3)} ms`}</td>`,
      )
    if (hasSize)
      cells.push(`<td class="num">${r.sizeBytes === undefined ? '—' : formatBytes(r.sizeBytes)}</td>`)
    return `<tr${r.isSelected ? ' class="selected"' : ''}><td><b>${h(r.model)}</b>${badges}</td>${cells.join('')}</tr>`
  })
  let callout = ''
  const selected = rows.find((r) => r.isSelected)
  if (baseline !== undefined && selected !== undefined && selected !== baseline) {
    const b = baseline.metrics[primary]
    const v = selected.metrics[primary]
    if (b !== undefined && v !== undefined) {
      const better = direction === 'higher' ? v > b : v < b
      callout = `<p class="callout ${better ? 'good' : 'bad'}"><b>${h(selected.model)}</b> ${better ? 'beats' : 'does not beat'} the baseline <b>${h(baseline.model)}</b> on ${h(primary)}${selected.split === undefined ? '' : ` (${h(selected.split)})`}: ${formatNumber(v)} vs ${formatNumber(b)} (${v - b >= 0 ? '+' : ''}${formatNumber(v - b)}).</p>`
    }
  }
  return `<div class="card">${table(headers, body)}${callout === '' ? '' : `<div style="margin-top:12px">${callout}</div>`}</div>`
}

function constraintsSection(data: ReportData): string {
  const list = data.constraints ?? []
  const rows = list.map(
    (c) =>
      `<tr${c.passed ? '' : ' class="flagged"'}><td><b>${h(c.name)}</b></td><td>${c.isHard === false ? '<span class="badge soft">soft</span>' : '<span class="badge base">hard</span>'}</td><td>${h(c.target)}</td><td class="num">${h(c.measured)}</td><td>${c.passed ? '<span class="badge pass">PASS</span>' : '<span class="badge fail">FAIL</span>'}</td><td>${h(c.detail ?? '')}</td></tr>`,
  )
  const failedHard = list.filter((c) => !c.passed && c.isHard !== false)
  const verdict =
    failedHard.length === 0
      ? '<p class="callout good">All hard constraints pass: the model may be proposed for production.</p>'
      : `<p class="callout bad">${failedHard.length} hard constraint(s) fail: the model is not proposed for production.</p>`
  return `<div class="card">${table(
    [
      { label: 'Constraint' },
      { label: 'Kind' },
      { label: 'Target' },
      { label: 'Measured', isNumeric: true },
      { label: 'Result' },
      { label: 'Detail' },
    ],
    rows,
  )}<div style="margin-top:12px">${verdict}</div></div>`
}

function performanceSection(data: ReportData): string {
  const cards: string[] = []
  const { curves } = data
  if (curves?.roc !== undefined) {
    const auc = curves.roc.auc === undefined ? '' : `AUC ${formatNumber(curves.roc.auc)}. `
    cards.push(card('ROC curve', `${auc}Dashed line: random ranking.`, rocChart(curves.roc), 'roc'))
  }
  if (curves?.pr !== undefined) {
    const ap =
      curves.pr.averagePrecision === undefined
        ? ''
        : `Average precision ${formatNumber(curves.pr.averagePrecision)}. `
    const base =
      curves.pr.prevalence === undefined
        ? ''
        : `Dashed line: prevalence ${formatNumber(curves.pr.prevalence, 3)} (no skill).`
    cards.push(card('Precision–recall curve', `${ap}${base}`, prChart(curves.pr), 'pr'))
  }
  if (curves?.calibration !== undefined) {
    const method =
      curves.calibration.method === undefined ? '' : ` after ${curves.calibration.method} calibration`
    cards.push(
      card(
        'Calibration',
        `Observed vs predicted probability${method}; dot size = rows per bin. Diagonal = perfect.`,
        calibrationChart(curves.calibration),
        'calibration',
      ),
    )
  }
  if (data.confusionMatrix !== undefined) {
    const t = data.confusionMatrix.threshold
    const hint =
      t === undefined || t === null
        ? 'Counts and share of each true class.'
        : `At threshold ${formatNumber(t, 3)}; counts and share of each true class.`
    let body = confusionChart(data.confusionMatrix)
    body = `<figure class="chart" data-chart="confusion">${body}</figure>`
    if (data.classificationReport !== undefined) body += classificationTable(data)
    cards.push(card('Confusion matrix', hint, body))
  }
  if (data.predictions !== undefined) {
    cards.push(
      card(
        'Predicted vs actual',
        'Dashed line: perfect prediction.',
        predictionsChart(data.predictions),
        'predictions',
      ),
    )
  }
  return `<div class="grid">${cards.join('')}</div>`
}

function classificationTable(data: ReportData): string {
  const report = data.classificationReport!
  const labels = data.confusionMatrix?.labels
  const line = (name: string, p: number, r: number, f: number, s: number, strong = false) =>
    `<tr><td>${strong ? `<b>${h(name)}</b>` : h(name)}</td><td class="num">${formatNumber(p, 3)}</td><td class="num">${formatNumber(r, 3)}</td><td class="num">${formatNumber(f, 3)}</td><td class="num">${formatNumber(s, 0)}</td></tr>`
  const rows = report.classes.map((c) =>
    line(labels?.[c.label] ?? c.name, c.precision, c.recall, c.f1, c.support),
  )
  rows.push(
    line(
      'macro avg',
      report.macroAvg.precision,
      report.macroAvg.recall,
      report.macroAvg.f1,
      report.macroAvg.support,
      true,
    ),
  )
  rows.push(
    line(
      'weighted avg',
      report.weightedAvg.precision,
      report.weightedAvg.recall,
      report.weightedAvg.f1,
      report.weightedAvg.support,
      true,
    ),
  )
  return `<div style="margin-top:10px">${table(
    [
      { label: 'Class' },
      { label: 'Precision', isNumeric: true },
      { label: 'Recall', isNumeric: true },
      { label: 'F1', isNumeric: true },
      { label: 'Support', isNumeric: true },
    ],
    rows,
  )}<p class="hint" style="margin-top:6px">Accuracy ${formatNumber(report.accuracy)}</p></div>`
}

function explanationsSection(data: ReportData): string {
  const cards: string[] = []
  for (const [i, imp] of (data.importances ?? []).entries()) {
    cards.push(
      card(
        `Feature importance · ${imp.kind}`,
        imp.std === undefined ? 'Top features.' : 'Top features; bars show ± one std over repeats.',
        importanceChart(imp),
        `importance-${i}`,
      ),
    )
  }
  if (data.shap !== undefined) {
    const isSwarm = data.shap.sample !== undefined && data.shap.sample.values.length > 0
    const base =
      data.shap.expectedValue === undefined ? '' : ` Base value ${formatNumber(data.shap.expectedValue)}.`
    const hint = isSwarm
      ? `Each dot is one row: position = effect on the raw model output, colour = the feature's value.${base}`
      : `Mean |SHAP value| per feature (exact TreeSHAP).${base}`
    const legend = isSwarm
      ? '<div class="ramp"><span>Low</span><span class="bar"></span><span>High feature value</span></div>'
      : ''
    cards.push(
      card(
        'SHAP summary',
        hint,
        `<figure class="chart" data-chart="shap">${shapChart(data.shap)}</figure>${legend}`,
      ),
    )
  }
  return `<div class="grid">${cards.join('')}</div>`
}

function learningSection(data: ReportData): string {
  const curves = data.learningCurves ?? []
  const series = learningSeries(curves)
  const legend = series
    .map(
      (s, i) =>
        `<span style="color:${SERIES_COLORS[i % SERIES_COLORS.length]}"><span class="sw${s.endsWith('validation') ? ' dashed' : ''}" style="background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></span><span style="color:#334155">${h(s)}</span></span>`,
    )
    .join('')
  const best = curves
    .filter((c) => c.bestIteration !== undefined)
    .map((c) => `${c.model}: iteration ${c.bestIteration}`)
  const hint = `Training (solid) and validation (dashed) loss per iteration.${best.length === 0 ? '' : ` Circles: early-stopping choice (${best.join(', ')}).`}`
  return card(
    'Learning curves',
    hint,
    `<figure class="chart" data-chart="learning">${learningChart(curves)}</figure><div class="legend">${legend}</div>`,
  )
}

function subgroupSection(data: ReportData): string {
  const report = data.subgroups!
  const names = Object.keys(report.overall)
  const headers = [
    { label: 'Column' },
    { label: 'Level' },
    { label: 'Rows', isNumeric: true },
    ...names.map((n) => ({ label: n, isNumeric: true })),
    { label: 'Status' },
  ]
  const overall = `<tr><td><b>overall</b></td><td></td><td class="num"></td>${names.map((n) => `<td class="num"><b>${formatNumber(report.overall[n])}</b></td>`).join('')}<td></td></tr>`
  const rows = report.rows.map((r) => {
    const cells = names.map((n) => {
      const m = r.metrics[n]
      if (m === undefined) return '<td class="num">—</td>'
      const ci = Number.isFinite(m.lower)
        ? `<br><span class="ci">${formatNumber(m.lower, 3)} – ${formatNumber(m.upper, 3)}</span>`
        : ''
      return `<td class="num">${m.isFlagged ? '<b style="color:#b91c1c">' : ''}${formatNumber(m.value)}${m.isFlagged ? '</b>' : ''}${ci}</td>`
    })
    const status =
      r.flagged.length > 0
        ? `<span class="badge fail">below overall: ${h(r.flagged.join(', '))}</span>`
        : r.isTooSmall
          ? '<span class="badge warn">too few rows</span>'
          : '<span class="badge pass">ok</span>'
    return `<tr${r.flagged.length > 0 ? ' class="flagged"' : ''}><td>${h(r.column)}</td><td><b>${h(r.level)}</b></td><td class="num">${r.size.toLocaleString('en-US')}</td>${cells.join('')}<td>${status}</td></tr>`
  })
  const nFlagged = report.rows.filter((r) => r.flagged.length > 0).length
  const callout =
    nFlagged === 0
      ? '<p class="callout good">No subgroup falls significantly below the overall figures.</p>'
      : `<p class="callout bad">${nFlagged} subgroup(s) fall well below the overall figure (worse by the gap threshold and the bootstrap CI excludes the overall value).</p>`
  return `<div class="card">${table(headers, [overall, ...rows])}<div style="margin-top:12px">${callout}</div></div>`
}

function failuresSection(data: ReportData): string {
  const failures = data.failures ?? []
  const featureNames = [...new Set(failures.flatMap((f) => Object.keys(f.features ?? {})))].slice(0, 8)
  const headers = [
    { label: 'Row', isNumeric: true },
    { label: 'True' },
    { label: 'Predicted' },
    { label: 'Confidence', isNumeric: true },
    ...featureNames.map((n) => ({ label: n, isNumeric: true })),
  ]
  const rows = failures.map((f) => {
    const feats = featureNames.map((n) => {
      const v = f.features?.[n]
      return `<td class="num">${v === undefined ? '—' : typeof v === 'number' ? formatNumber(v, 3) : h(v)}</td>`
    })
    return `<tr><td class="num">${f.row}</td><td>${h(f.trueLabel)}</td><td><b>${h(f.predictedLabel)}</b></td><td class="num">${(100 * f.confidence).toFixed(1)}%</td>${feats.join('')}</tr>`
  })
  return `<div class="card"><p class="hint">The most confident wrong predictions on the ${h(data.evaluatedOn ?? 'test part')}: look here for label noise, leakage or missing features.</p>${table(headers, rows)}</div>`
}

function dataSection(data: ReportData): string {
  const d = data.data!
  const kv = [
    ['Source', d.source],
    ['Target', d.target],
    ['Rows', d.rows.toLocaleString('en-US')],
    ['Columns', d.columns.toLocaleString('en-US')],
  ]
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<dt>${h(k!)}</dt><dd>${h(v!)}</dd>`)
    .join('')
  const parts = [`<dl class="kv">${kv}</dl>`]
  const stacked = (title: string, counts: Readonly<Record<string, number>>) => {
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    const entries = Object.entries(counts)
    const bars = entries
      .map(
        ([, n], i) =>
          `<span style="width:${total === 0 ? 0 : (100 * n) / total}%;background:${SERIES_COLORS[i % SERIES_COLORS.length]}"></span>`,
      )
      .join('')
    const legend = entries
      .map(
        ([k, n], i) =>
          `<span><span class="sw" style="background:${SERIES_COLORS[i % SERIES_COLORS.length]};height:8px;width:8px;border-radius:2px"></span>${h(k)}: ${n.toLocaleString('en-US')} (${total === 0 ? 0 : ((100 * n) / total).toFixed(1)}%)</span>`,
      )
      .join('')
    return `<h3 style="margin-top:14px">${h(title)}</h3><div class="bars">${bars}</div><div class="legend">${legend}</div>`
  }
  if (d.splits !== undefined) parts.push(stacked('Splits', d.splits))
  if (d.classBalance !== undefined) parts.push(stacked('Class balance', d.classBalance))
  const cards = [card('Dataset', '', parts.join(''))]
  if (d.features !== undefined && d.features.length > 0) {
    const rows = d.features.map(
      (f) =>
        `<tr><td><b>${h(f.name)}</b></td><td>${h(f.type)}</td><td class="num">${f.missingFraction === undefined ? '—' : `${(100 * f.missingFraction).toFixed(1)}%`}</td><td>${h(f.summary ?? '')}</td></tr>`,
    )
    cards.push(
      card(
        'Features',
        '',
        table(
          [
            { label: 'Feature' },
            { label: 'Type' },
            { label: 'Missing', isNumeric: true },
            { label: 'Summary' },
          ],
          rows,
        ),
      ),
    )
  }
  return `<div class="grid">${cards.join('')}</div>`
}

/**
 * Renders the evaluation report as ONE self-contained HTML document: inline CSS, charts as
 * inline SVG rendered here (Observable Plot), no scripts and no network references. The
 * output depends only on `data` (no clock, no randomness).
 * @example
 * writeFileSync('report.html', renderReport({ run: { id: 'r1', task: 'binary', modelKind: 'gbdt', createdAt: '2026-01-01T00:00:00Z' }, metrics: [{ name: 'roc_auc', value: 0.91 }] }))
 */
export function renderReport(data: ReportData): string {
  const { run } = data
  const title = data.title ?? `${run.name ?? run.id} · evaluation report`
  const sections: { id: string; label: string; html: string }[] = []
  const summaryParts = [kpis(data)]
  if (data.comparison !== undefined && data.comparison.length > 0)
    summaryParts.push(comparisonSection(data, data.comparison))
  sections.push({
    id: 'summary',
    label: 'Summary',
    html: section('summary', 'Summary', summaryParts.join('')),
  })
  if (data.constraints !== undefined && data.constraints.length > 0) {
    const failed = data.constraints.filter((c) => !c.passed).length
    sections.push({
      id: 'constraints',
      label: 'Constraints',
      html: section(
        'constraints',
        'Constraints',
        constraintsSection(data),
        failed === 0 ? 'all pass' : `${failed} failing`,
      ),
    })
  }
  if (data.curves !== undefined || data.confusionMatrix !== undefined || data.predictions !== undefined) {
    sections.push({
      id: 'performance',
      label: 'Performance',
      html: section('performance', 'Performance', performanceSection(data)),
    })
  }
  if ((data.importances?.length ?? 0) > 0 || data.shap !== undefined) {
    sections.push({
      id: 'explanations',
      label: 'Explanations',
      html: section('explanations', 'Explanations', explanationsSection(data)),
    })
  }
  if ((data.learningCurves?.length ?? 0) > 0) {
    sections.push({
      id: 'learning',
      label: 'Learning curves',
      html: section('learning', 'Learning curves', learningSection(data)),
    })
  }
  if (data.subgroups !== undefined && data.subgroups.rows.length > 0) {
    sections.push({
      id: 'subgroups',
      label: 'Subgroups',
      html: section('subgroups', 'Subgroups', subgroupSection(data), `${data.subgroups.rows.length} groups`),
    })
  }
  if ((data.failures?.length ?? 0) > 0) {
    sections.push({
      id: 'failures',
      label: 'Failure analysis',
      html: section('failures', 'Failure analysis', failuresSection(data), `top ${data.failures!.length}`),
    })
  }
  if (data.data !== undefined)
    sections.push({ id: 'data', label: 'Data', html: section('data', 'Data', dataSection(data)) })
  if ((data.notes?.length ?? 0) > 0) {
    sections.push({
      id: 'notes',
      label: 'Notes',
      html: section(
        'notes',
        'Notes',
        `<div class="card"><ul>${data.notes!.map((n) => `<li>${h(n)}</li>`).join('')}</ul></div>`,
      ),
    })
  }
  const meta = [
    ['Run', `<code>${h(run.id)}</code>`],
    ['Task', h(run.task)],
    ['Model', h(run.modelKind)],
    ['Created', h(run.createdAt)],
    ...(run.durationMs === undefined ? [] : [['Duration', h(formatDuration(run.durationMs))]]),
    ...(run.primaryMetric === undefined ? [] : [['Primary metric', h(run.primaryMetric)]]),
    ...(run.seed === undefined ? [] : [['Seed', String(run.seed)]]),
    ...(run.datasetFingerprint === undefined
      ? []
      : [['Data', `<code>${h(run.datasetFingerprint.slice(0, 12))}</code>`]]),
    ...(run.gitCommit === undefined ? [] : [['Commit', `<code>${h(run.gitCommit.slice(0, 10))}</code>`]]),
    ...Object.entries(run.tags ?? {}).map(([k, v]) => [h(k), h(v)]),
  ]
    .map(([k, v]) => `<span>${k}: <b>${v}</b></span>`)
    .join('')
  const nav = sections.map((s) => `<a href="#${s.id}">${h(s.label)}</a>`).join('')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Keel${run.libraryVersion === undefined ? '' : ` ${h(run.libraryVersion)}`}">
<title>${h(title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="top"><div class="brand">Keel · evaluation report</div><h1>${h(title)}</h1><div class="meta">${meta}</div></header>
<nav class="toc">${nav}</nav>
<main>
${sections.map((s) => s.html).join('\n')}
</main>
<footer>Generated by Keel${run.libraryVersion === undefined ? '' : ` ${h(run.libraryVersion)}`} · self-contained file: no scripts, no network; charts are inline SVG</footer>
</body>
</html>
`
}
