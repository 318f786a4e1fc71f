import { AppError } from '../../core/index.js'
import { abReport, formatAbReport } from '../../monitor/ab-report.js'
import { openDb } from '../../store/index.js'
import { flagOpt, parseCommandArgs, stringOpt, unknownSubcommand } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'

const USAGE = `Usage: keel ab report EXPERIMENT [--json] [--goal increase|decrease] [--alpha 0.05] [--db URL]

Analyses an A/B experiment from the prediction log and feedback: per-variant sample size, outcome
rate and AUC, the difference with a confidence interval, an always-valid sequential test (mSPRT),
a sample-ratio-mismatch check and a verdict (keep running / B wins / A wins / no difference).

Options:
  --json           machine-readable report on stdout
  --goal           whether a higher outcome is better (increase, default) or worse (decrease, e.g. churn)
  --alpha          significance level (default 0.05)
  --min-samples    labelled outcomes per variant before a verdict (default 100)
  --db             database URL (default: $KEEL_DATABASE_URL or .keel/keel.db)

Exit codes: 0 report printed, 2 bad usage or unknown experiment.`

/** `keel ab report EXPERIMENT`: the A/B report of an experiment. */
export const abCommand: Command = {
  name: 'ab',
  summary: 'A/B experiment reports (keel ab report EXPERIMENT)',
  usage: USAGE,
  async run(argv): Promise<number> {
    const args = parseCommandArgs(
      argv,
      {
        json: { type: 'boolean' },
        goal: { type: 'string' },
        alpha: { type: 'string' },
        'min-samples': { type: 'string' },
        db: { type: 'string' },
      },
      USAGE,
      { command: 'keel ab report', maxPositionals: 2 },
    )
    const [sub, experimentId] = args.positionals
    if (sub !== 'report') throw unknownSubcommand('keel ab', sub, ['report'])
    if (experimentId === undefined)
      throw new AppError('CLI_USAGE', `Missing EXPERIMENT: 'keel ab report EXPERIMENT'.\n${USAGE}`)
    const goal = stringOpt(args, 'goal')
    if (goal !== undefined && goal !== 'increase' && goal !== 'decrease')
      throw new AppError('CLI_USAGE', `--goal must be increase or decrease, got '${goal}'.\n${USAGE}`)
    const number = (name: string): number | undefined => {
      const raw = stringOpt(args, name)
      if (raw === undefined) return undefined
      const value = Number(raw)
      if (!Number.isFinite(value) || value <= 0)
        throw new AppError('CLI_USAGE', `--${name} must be a positive number, got '${raw}'.`)
      return value
    }
    const alpha = number('alpha')
    const minSamples = number('min-samples')
    const db = await openDb(stringOpt(args, 'db'))
    try {
      const report = await abReport(db, experimentId, {
        ...(goal === undefined ? {} : { goal }),
        ...(alpha === undefined ? {} : { alpha }),
        ...(minSamples === undefined ? {} : { minSamples }),
      })
      if (flagOpt(args, 'json')) printJson(report)
      else process.stdout.write(`${formatAbReport(report)}\n`)
      return 0
    } finally {
      await db.close()
    }
  },
}
