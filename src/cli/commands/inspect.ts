import { AppError } from '../../core/index.js'
import {
  type ColumnSummary,
  fingerprintDataset,
  type LoadOptions,
  loadDataset,
  summarizeDataset,
} from '../../data/index.js'
import { flagOpt, type ParsedArgs, parseCommandArgs, stringOpt } from '../args.js'
import type { Command } from '../command.js'
import { printJson } from '../output.js'

const USAGE = `Usage: keel inspect FILE [--json] [--delimiter C] [--encoding utf-8|latin-1|utf-16] [--top N]

Prints each column's inferred type, missing count, distinct count and min/median/max (numbers,
dates) or most frequent levels (text, booleans). FILE may be CSV/TSV, Parquet, JSON lines or a glob.

Options:
  --json               print one JSON object on stdout
  --delimiter C        CSV delimiter (default: sniffed)
  --encoding E         CSV encoding (default utf-8)
  --top N              levels shown per categorical column (default 5)`

/** Load options shared by `inspect` and `validate`. @internal */
export function loadOptionsFrom(args: ParsedArgs): LoadOptions {
  const delimiter = stringOpt(args, 'delimiter')
  const encoding = stringOpt(args, 'encoding')
  if (encoding !== undefined && !['utf-8', 'latin-1', 'utf-16'].includes(encoding))
    throw new AppError('CLI_USAGE', `--encoding must be utf-8, latin-1 or utf-16; got '${encoding}'.`)
  const unescaped = delimiter === '\\t' || delimiter === 'tab' ? '\t' : delimiter
  return {
    ...(unescaped === undefined ? {} : { delimiter: unescaped }),
    ...(encoding === undefined ? {} : { encoding: encoding as 'utf-8' | 'latin-1' | 'utf-16' }),
  }
}

function fmtNumber(v: number | string | undefined): string {
  if (v === undefined) return ''
  if (typeof v === 'string') return v.replace('T00:00:00.000Z', '').replace('.000Z', 'Z')
  if (Number.isInteger(v)) return String(v)
  return Math.abs(v) >= 1e6 || Math.abs(v) < 1e-3 ? v.toExponential(3) : String(Number(v.toPrecision(5)))
}

function describe(s: ColumnSummary): string {
  if (s.top !== undefined)
    return (
      s.top.map((t) => `${String(t.value)} (${t.count})`).join(', ') +
      (s.distinct > s.top.length ? ', ...' : '')
    )
  if (s.min === undefined) return 'all missing'
  return `min ${fmtNumber(s.min)} / median ${fmtNumber(s.median)} / max ${fmtNumber(s.max)}`
}

/** Renders summaries as an aligned text table. @internal */
export function formatSummaryTable(summaries: readonly ColumnSummary[]): string {
  const rows = summaries.map((s) => [s.name, s.kind, `${s.missing}`, `${s.distinct}`, describe(s)])
  const header = ['column', 'type', 'missing', 'distinct', 'summary']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) =>
        i === cells.length - 1 ? c : i === 2 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!),
      )
      .join('  ')
  return [line(header), ...rows.map(line)].join('\n')
}

/** `keel inspect`. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show a data file’s schema: types, missing, distinct, ranges or top levels',
  usage: USAGE,
  async run(argv) {
    const args = parseCommandArgs(
      argv,
      {
        json: { type: 'boolean' },
        delimiter: { type: 'string' },
        encoding: { type: 'string' },
        top: { type: 'string' },
      },
      USAGE,
      { command: 'keel inspect', maxPositionals: 1, positionalHint: 'pass one FILE (quote a glob)' },
    )
    const file = args.positionals[0]
    if (file === undefined) throw new AppError('CLI_USAGE', `Pass exactly one FILE.\n${USAGE}`)
    const top = Number(stringOpt(args, 'top') ?? '5')
    if (!Number.isInteger(top) || top < 1)
      throw new AppError('CLI_USAGE', '--top must be a positive integer.')
    const ds = await loadDataset(file, loadOptionsFrom(args))
    const summaries = summarizeDataset(ds, top)
    if (flagOpt(args, 'json')) {
      printJson({
        file,
        nRows: ds.nRows,
        nColumns: ds.columns.length,
        fingerprint: fingerprintDataset(ds),
        columns: summaries,
      })
      return 0
    }
    process.stdout.write(
      `${file}: ${ds.nRows} rows × ${ds.columns.length} columns\n\n${formatSummaryTable(summaries)}\n`,
    )
    return 0
  },
}
