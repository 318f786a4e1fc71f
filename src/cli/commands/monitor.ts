import { AppError } from '../../core/index.js'
import { type CurrentSource, parseWindow, performanceOverTime, runDriftCheck } from '../../monitor/index.js'
import { flagOpt, parseCommandArgs, requireOption, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'

const USAGE = `Usage:
  keel monitor drift --model REF [--current FILE | --window 24h | --last N] [--json]
  keel monitor performance --model REF [--window 7d] [--buckets 7] [--json]

drift: compares the model's current inputs and scores with the reference profile recorded at
training time (per-feature test, threshold, verdict; dataset drift when half or more drift).
Exit code 0 when there is no dataset drift, 1 when there is.
performance: the model's metric per time bucket from logged predictions joined with feedback.`

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-'
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(4)
}

/** `keel monitor`. */
export const monitorCommand: Command = {
  name: 'monitor',
  summary: 'drift and live performance of a model',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        model: { type: 'string' },
        current: { type: 'string' },
        window: { type: 'string' },
        last: { type: 'string' },
        buckets: { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
    )
    const sub = args.positionals[0]
    const model = requireOption(stringOpt(args, 'model'), 'model', USAGE)
    if (sub === 'performance') {
      const { loadReference } = await import('../../monitor/index.js')
      const { name, bundle } = await loadReference(model)
      const points = await performanceOverTime({
        name,
        task: bundle.task,
        windowMs: parseWindow(stringOpt(args, 'window') ?? '7d'),
        buckets: Number(stringOpt(args, 'buckets') ?? 7),
      })
      if (flagOpt(args, 'json')) printJson(points)
      else if (points.length === 0)
        process.stdout.write(
          'No labelled predictions in the window yet (send outcomes to POST /v1/feedback).\n',
        )
      else
        for (const p of points)
          process.stdout.write(
            `${new Date(p.start).toISOString()}  n=${p.count}  ${p.metric} ${fmt(p.value)} [${fmt(p.lower)}, ${fmt(p.upper)}]\n`,
          )
      return 0
    }
    if (sub !== 'drift')
      throw new AppError('CLI_USAGE', `Unknown monitor sub-command '${sub ?? ''}'.\n${USAGE}`)
    const file = stringOpt(args, 'current')
    const window = stringOpt(args, 'window')
    const last = stringOpt(args, 'last')
    const given = [file, window, last].filter((v) => v !== undefined).length
    if (given > 1) throw new AppError('CLI_USAGE', 'Pass only one of --current, --window and --last.')
    const current: CurrentSource =
      file !== undefined
        ? { kind: 'file', path: file }
        : last !== undefined
          ? { kind: 'last', n: Number(last) }
          : { kind: 'window', windowMs: parseWindow(window ?? '24h') }
    const result = await runDriftCheck({ model, current })
    const report = result.report
    if (flagOpt(args, 'json')) {
      printJson({
        model: `${result.name}@${result.version}`,
        source: result.source,
        checkId: result.checkId,
        ...report,
      })
      return report.datasetDrift ? 1 : 0
    }
    const rows = [
      ...report.features,
      ...(report.prediction === undefined ? [] : [{ ...report.prediction, feature: '(prediction)' }]),
    ]
    const width = Math.max(12, ...rows.map((r) => r.feature.length))
    const lines = [
      `Drift of ${result.name}@${result.version} on ${result.source} (${report.currentRows} rows)`,
      '',
      `${'feature'.padEnd(width)}  ${'test'.padEnd(14)} ${'statistic'.padStart(10)} ${'p-value'.padStart(10)} ${'threshold'.padStart(9)} ${'psi'.padStart(7)}  drifted`,
      ...rows.map((r) => {
        const notes = [
          r.unseenCategories.length > 0 ? `new levels: ${r.unseenCategories.slice(0, 3).join(', ')}` : '',
          r.missingShareChanged
            ? `missing ${(r.referenceMissingShare * 100).toFixed(1)}% -> ${(r.currentMissingShare * 100).toFixed(1)}%`
            : '',
        ].filter((n) => n !== '')
        return `${r.feature.padEnd(width)}  ${r.test.padEnd(14)} ${fmt(r.statistic).padStart(10)} ${fmt(r.pValue).padStart(10)} ${fmt(r.threshold).padStart(9)} ${fmt(r.psi).padStart(7)}  ${r.drifted ? 'YES' : 'no'}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`
      }),
      '',
      `Verdict: ${report.datasetDrift ? 'DRIFT' : 'no drift'}: ${(report.driftedShare * 100).toFixed(0)}% of features drifted (threshold ${(report.shareThreshold * 100).toFixed(0)}%).`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    return report.datasetDrift ? 1 : 0
  },
}
