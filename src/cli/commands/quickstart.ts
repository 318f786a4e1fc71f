import { relative } from 'node:path'
import { runQuickstart } from '../../train/index.js'
import { flagOpt, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'
import { makeProgressPrinter } from '../progress.js'

const USAGE = `Usage: keel quickstart [--dir DIR] [--json]

The main job on the embedded default (SQLite and files under .keel/, no server): makes a realistic
customer-churn dataset with transaction history, engineers features in DuckDB, trains baselines
and gradient boosting, checks the constraints (latency < 100 ms, size < 500 MB, interpretable),
registers the model as 'churn', promotes it to production and writes an HTML report.`

/** `keel quickstart`. */
export const quickstartCommand: Command = {
  name: 'quickstart',
  summary: 'make a churn dataset, train, register, promote and report (no server needed)',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(argv, { dir: { type: 'string' }, json: { type: 'boolean' } }, USAGE, {
      command: 'keel quickstart',
      positionalHint: 'choose the folder with --dir DIR',
    })
    const printer = makeProgressPrinter()
    const dir = stringOpt(args, 'dir')
    const result = await runQuickstart({
      ...(dir === undefined ? {} : { dir }),
      onProgress: printer.onProgress,
    })
    printer.done()
    if (flagOpt(args, 'json')) {
      printJson(result)
      return 0
    }
    const t = result.training
    const test = t.metrics.test ?? t.metrics.train
    const base = t.baseline.test ?? t.baseline.train
    const rel = (p: string): string => relative(process.cwd(), p) || '.'
    const lines = [
      '',
      `Keel quickstart finished in ${result.seconds.toFixed(1)} s.`,
      '',
      `Data:     ${result.customers} customers, ${result.transactions} transactions -> ${rel(result.dataFile)}`,
      `Task:     ${rel(result.taskFile)}`,
      `Report:   ${rel(result.reportFile)} (open it in a browser)`,
      `Model:    ${t.model} (${t.family}), fitted in ${t.fitSeconds.toFixed(2)} s`,
      `Test:     ${Object.entries(test)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')}`,
      `Baseline: ${Object.entries(base)
        .map(([k, v]) => `${k} ${v.toFixed(4)}`)
        .join(', ')}`,
      ...t.constraints.map(
        (c) => `Constraint ${c.name}: ${c.passed ? 'pass' : 'FAIL'} (${c.measured} vs ${c.limit})`,
      ),
      result.promoted
        ? `Promoted:  churn@${t.version} is now churn@production`
        : 'Not promoted: a hard constraint failed.',
      `Run:      ${t.runId}`,
      '',
      'Next:',
      `  npx keel runs show ${t.runId}`,
      `  npx keel monitor drift --model churn@production --current ${rel(result.dataFile)}`,
      `  npx keel predict --model churn@production --input ${rel(result.dataFile)} --output predictions.csv`,
      '  npx keel serve --models churn@production',
      '  npx keel models history churn',
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
    return 0
  },
}
