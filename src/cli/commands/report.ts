import { AppError } from '../../core/index.js'
import { writeRunReport } from '../../train/index.js'
import { parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { info } from '../output.js'

const USAGE = `Usage: keel report RUN [--output FILE]

Writes one self-contained HTML file (no network needed to open it) for a training run: metrics
with a bootstrap confidence interval, ROC/PR curves, calibration, confusion matrix, feature
importance and SHAP summary, learning curves, subgroups, constraints, data summary and the most
confident errors. Default output: report-RUN.html.`

/** `keel report`. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'write a self-contained HTML report of a run',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, { output: { type: 'string' } }, USAGE, {
      command: 'keel report',
      maxPositionals: 1,
      positionalHint: 'pass one RUN and the file with --output FILE',
    })
    const runId = args.positionals[0]
    if (runId === undefined) throw new AppError('CLI_USAGE', `Missing RUN.\n${USAGE}`)
    const output = stringOpt(args, 'output') ?? `report-${runId}.html`
    const { bytes } = await writeRunReport(runId, output)
    info(`Wrote ${output} (${Math.round(bytes / 1024)} KB)`)
    return 0
  },
}
