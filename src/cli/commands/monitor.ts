import { AppError } from '../../core/index.js'
import {
  type CurrentSource,
  DEFAULT_DRIFT_RULE,
  DEFAULT_MIN_ROWS,
  DRIFT_RULES,
  type DriftReport,
  type DriftRule,
  parseWindow,
  performanceOverTime,
  runDriftCheck,
} from '../../monitor/index.js'
import { asUsage, flagOpt, parseCommandArgs, requireOption, stringOpt, unknownSubcommand } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'

const USAGE = `Usage:
  keel monitor drift --model REF [--current FILE | --window 24h | --last N]
                     [--rule any|weighted|share|prediction] [--share-threshold F] [--min-rows N] [--json]
  keel monitor performance --model REF [--window 7d] [--buckets 7] [--json]

drift: compares the model's current inputs and scores with the reference profile recorded at
training time (per-feature test, threshold, drifted or not), then gives one verdict by --rule:
  any         (default) the prediction scores drifted, or the importance-weighted share of
              drifted features reached the threshold
  weighted    the share of drifted features weighted by the model's global importance (recorded
              at training) reached the threshold: a feature the model ignores weighs ~0
  share       the plain share of drifted features reached the threshold (every feature counts 1)
  prediction  the prediction scores drifted (their test flags them and their PSI is at least 0.1)
  --share-threshold F   threshold of the shares (default 0.5)
  --min-rows N          fewest rows for a verdict (default ${DEFAULT_MIN_ROWS}, as the server's monitor.minRows);
                        fewer give the verdict "not enough data" and no tests are run
Exit code: 1 when the verdict is drift; 0 for no drift and for not enough data (--json gives
"verdict": "drift" | "no_drift" | "insufficient_data").
performance: the model's metric per time bucket from logged predictions joined with feedback.`

function pct(v: number): string {
  return `${(100 * v).toFixed(0)}%`
}

/** The verdict line of the drift report (plain share always shown beside the rule's figure). */
function verdictLine(report: DriftReport): string {
  if (report.verdict === 'insufficient_data')
    return `Verdict: not enough data: ${report.currentRows} row${report.currentRows === 1 ? '' : 's'}, at least ${report.minRows} needed (--min-rows); no drift tests were run.`
  return `Verdict: ${report.verdict === 'drift' ? 'DRIFT' : 'no drift'} (rule ${report.rule}): ${report.reason}.`
}

function fmt(v: number | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '-'
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.001 && v !== 0) ? v.toExponential(2) : v.toFixed(4)
}

const SUBCOMMANDS = ['drift', 'performance'] as const

/** Options each sub-command reads. */
const OPTIONS_OF: Readonly<Record<(typeof SUBCOMMANDS)[number], readonly string[]>> = {
  drift: ['model', 'current', 'window', 'last', 'rule', 'min-rows', 'share-threshold', 'json'],
  performance: ['model', 'window', 'buckets', 'json'],
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
        rule: { type: 'string' },
        'min-rows': { type: 'string' },
        'share-threshold': { type: 'string' },
        json: { type: 'boolean' },
      },
      USAGE,
      { command: 'keel monitor', maxPositionals: 1 },
    )
    const sub = args.positionals[0]
    if (sub !== 'drift' && sub !== 'performance') throw unknownSubcommand('keel monitor', sub, SUBCOMMANDS)
    // One option table parses both sub-commands; an option of the other one would be ignored.
    const misplaced = Object.keys(args.values).find((name) => !OPTIONS_OF[sub].includes(name))
    if (misplaced !== undefined)
      throw new AppError(
        'CLI_USAGE',
        `Option '--${misplaced}' does not apply to keel monitor ${sub}. Run 'keel monitor --help' for its options.`,
      )
    const model = requireOption(stringOpt(args, 'model'), 'model', USAGE)
    if (sub === 'performance') {
      const { loadReference } = await import('../../monitor/index.js')
      const { name, bundle } = await loadReference(model)
      const points = await performanceOverTime({
        name,
        task: bundle.task,
        windowMs: asUsage(() => parseWindow(stringOpt(args, 'window') ?? '7d')),
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
    const file = stringOpt(args, 'current')
    const window = stringOpt(args, 'window')
    const last = stringOpt(args, 'last')
    const given = [file, window, last].filter((v) => v !== undefined).length
    if (given > 1) throw new AppError('CLI_USAGE', 'Pass only one of --current, --window and --last.')
    if (last !== undefined && !(Number.isInteger(Number(last)) && Number(last) > 0))
      throw new AppError('CLI_USAGE', `--last must be a whole number of predictions, got '${last}'.`)
    const current: CurrentSource =
      file !== undefined
        ? { kind: 'file', path: file }
        : last !== undefined
          ? { kind: 'last', n: Number(last) }
          : { kind: 'window', windowMs: asUsage(() => parseWindow(window ?? '24h')) }
    const rule = (stringOpt(args, 'rule') ?? DEFAULT_DRIFT_RULE) as DriftRule
    if (!DRIFT_RULES.includes(rule))
      throw new AppError('CLI_USAGE', `--rule must be one of ${DRIFT_RULES.join(', ')}; got '${rule}'.`)
    const rawMinRows = stringOpt(args, 'min-rows')
    const minRows = rawMinRows === undefined ? DEFAULT_MIN_ROWS : Number(rawMinRows)
    if (!Number.isInteger(minRows) || minRows < 0)
      throw new AppError('CLI_USAGE', `--min-rows must be a whole number >= 0, got '${rawMinRows}'.`)
    const rawThreshold = stringOpt(args, 'share-threshold')
    const shareThreshold = rawThreshold === undefined ? undefined : Number(rawThreshold)
    if (shareThreshold !== undefined && !(shareThreshold >= 0 && shareThreshold <= 1))
      throw new AppError('CLI_USAGE', `--share-threshold must be a share in [0, 1], got '${rawThreshold}'.`)
    const result = await runDriftCheck({
      model,
      current,
      minRows,
      drift: { rule, ...(shareThreshold === undefined ? {} : { shareThreshold }) },
    })
    const report = result.report
    if (flagOpt(args, 'json')) {
      printJson({
        model: `${result.name}@${result.version}`,
        source: result.source,
        checkId: result.checkId,
        ...report,
      })
      return report.verdict === 'drift' ? 1 : 0
    }
    if (report.verdict === 'insufficient_data') {
      process.stdout.write(
        `Drift of ${result.name}@${result.version} on ${result.source} (${report.currentRows} rows)\n\n${verdictLine(report)}\n`,
      )
      return 0
    }
    const rows = [
      ...report.features,
      ...(report.prediction === undefined ? [] : [{ ...report.prediction, feature: '(prediction)' }]),
    ]
    const width = Math.max(12, ...rows.map((r) => r.feature.length))
    const lines = [
      `Drift of ${result.name}@${result.version} on ${result.source} (${report.currentRows} rows)`,
      '',
      `${'feature'.padEnd(width)}  ${'weight'.padStart(6)}  ${'test'.padEnd(14)} ${'statistic'.padStart(10)} ${'p-value'.padStart(10)} ${'threshold'.padStart(9)} ${'psi'.padStart(7)}  drifted`,
      ...rows.map((r) => {
        const notes = [
          r.unseenCategories.length > 0 ? `new levels: ${r.unseenCategories.slice(0, 3).join(', ')}` : '',
          r.missingShareChanged
            ? `missing ${(r.referenceMissingShare * 100).toFixed(1)}% -> ${(r.currentMissingShare * 100).toFixed(1)}%`
            : '',
        ].filter((n) => n !== '')
        const weight = report.weights[r.feature]
        return `${r.feature.padEnd(width)}  ${(weight === undefined ? '' : pct(weight)).padStart(6)}  ${r.test.padEnd(14)} ${fmt(r.statistic).padStart(10)} ${fmt(r.pValue).padStart(10)} ${fmt(r.threshold).padStart(9)} ${fmt(r.psi).padStart(7)}  ${r.drifted ? 'YES' : 'no'}${notes.length > 0 ? `  (${notes.join('; ')})` : ''}`
      }),
      '',
      `Weights: ${report.weighting === 'importance' ? "the model's global importance recorded at training" : 'equal (no importance recorded for this model)'}.`,
      verdictLine(report),
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    return report.verdict === 'drift' ? 1 : 0
  },
}
