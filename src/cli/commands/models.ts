import { AppError, NotFoundError } from '../../core/index.js'
import {
  type AliasChange,
  type ModelRegistry,
  type ModelVersion,
  openRegistry,
  parseModelRef,
  type RegistryEvent,
  renderModelCard,
  tradeoffRows,
} from '../../registry/index.js'
import { flagOpt, parseCommandArgs, runSubcommand, stringOpt, withOpened } from '../args.js'
import type { Command } from '../command.js'
import { formatTable, formatTime, formatValue, printJson } from '../output.js'

const USAGE = `Usage: keel models <list|show|history|card|promote|rollback> [options]

Registered models, their versions and aliases.

  keel models list [--json]
  keel models show NAME [--json]               the model, its aliases and versions
  keel models show NAME@VERSION|NAME@ALIAS [--json]
                                               one version: run, hash, metrics, constraints, fallback
  keel models history NAME [--json]            registrations and alias moves: who, when, from, to
  keel models card REF                         the version's model card as Markdown
  keel models promote NAME VERSION [--to ALIAS] [--actor WHO] [--reason TEXT] [--force] [--json]
                                               point ALIAS (default production) at VERSION
  keel models rollback NAME [--alias ALIAS] [--actor WHO] [--reason TEXT] [--json]
                                               move ALIAS (default production) back to its previous version

References: NAME (production if set, else the latest version), NAME@3, NAME@production, NAME@latest.
--force promotes to production despite a failed hard constraint (recorded in the history).
The actor defaults to $USER. The database is $KEEL_DATABASE_URL or the SQLite file in $KEEL_HOME (.keel/).`

function usageError(message: string): AppError {
  return new AppError('CLI_USAGE', `${message} See 'keel models --help'.`)
}

function withRegistry<T>(body: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  return withOpened(openRegistry, body)
}

function onePositional(positionals: readonly string[], what: string): string {
  const [value, ...extra] = positionals
  if (value === undefined) throw usageError(`Missing ${what}.`)
  if (extra.length > 0) throw usageError(`Unexpected argument '${extra[0]}'.`)
  return value
}

function formatMetrics(metrics: Readonly<Record<string, number>>, max = 3): string {
  return Object.entries(metrics)
    .slice(0, max)
    .map(([k, v]) => `${k}=${formatValue(v)}`)
    .join(' ')
}

function formatAliases(aliases: Readonly<Record<string, number>>): string {
  return Object.entries(aliases)
    .map(([a, v]) => `${a}=v${v}`)
    .join(' ')
}

async function list(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, USAGE, { command: 'keel models list' })
  const models = await withRegistry((r) => r.listModels())
  if (flagOpt(args, 'json')) {
    printJson(models)
    return 0
  }
  if (models.length === 0) {
    process.stdout.write("No models registered yet. 'keel train' registers one.\n")
    return 0
  }
  const rows = models.map((m) => [
    m.name,
    String(m.latestVersion),
    String(m.versionCount),
    m.aliases.production === undefined ? '' : String(m.aliases.production),
    m.aliases.staging === undefined ? '' : String(m.aliases.staging),
    formatAliases(
      Object.fromEntries(Object.entries(m.aliases).filter(([a]) => a !== 'production' && a !== 'staging')),
    ),
    formatTime(m.updatedAt),
  ])
  process.stdout.write(
    `${formatTable(['NAME', 'LATEST', 'VERSIONS', 'PRODUCTION', 'STAGING', 'OTHER ALIASES', 'UPDATED (UTC)'], rows)}\n`,
  )
  return 0
}

function renderVersion(v: ModelVersion): string {
  const rows: [string, string][] = [
    ['aliases', v.aliases.join(', ')],
    ['run', v.runId ?? ''],
    ['created', `${formatTime(v.createdAt)} UTC by ${v.createdBy}`],
    ['artifact', `${v.artifactSizeBytes} bytes, sha256 ${v.artifactSha256}`],
    ['fallback', v.fallback ?? ''],
    ['description', v.description ?? ''],
    ['model card', v.modelCard === null ? '' : `yes ('keel models card ${v.name}@${v.version}')`],
    [
      'imported',
      v.modelCard?.origin === undefined
        ? ''
        : `${v.modelCard.origin.file} (${v.modelCard.origin.format}, ${v.modelCard.origin.producer}, sha256 ${v.modelCard.origin.sha256})`,
    ],
    [
      'parent',
      v.modelCard?.lineage === undefined
        ? ''
        : `${v.modelCard.lineage.parent} (${v.modelCard.lineage.method})`,
    ],
  ]
  const shown = rows.filter(([, value]) => value !== '')
  const width = Math.max(...shown.map(([k]) => k.length))
  const out = [
    `${v.name} version ${v.version}`,
    ...shown.map(([k, value]) => `  ${k.padEnd(width)}  ${value}`),
  ]
  const metrics = Object.entries(v.metrics)
  if (metrics.length > 0) {
    out.push(
      '',
      formatTable(
        ['  METRIC', 'VALUE'],
        metrics.map(([k, value]) => [`  ${k}`, formatValue(value)]),
      ),
    )
  }
  if (v.constraints.length > 0) {
    out.push(
      '',
      formatTable(
        ['  CONSTRAINT', 'RESULT', 'MEASURED', 'LIMIT', 'KIND'],
        v.constraints.map((c) => [
          `  ${c.name}`,
          c.passed ? 'pass' : 'FAIL',
          c.measured === undefined || c.measured === null
            ? ''
            : `${String(c.measured)}${c.unit === undefined ? '' : ` ${c.unit}`}`,
          c.limit === undefined || c.limit === null
            ? ''
            : `${String(c.limit)}${c.unit === undefined ? '' : ` ${c.unit}`}`,
          c.hard === false ? 'soft' : 'hard',
        ]),
      ),
    )
  }
  const tradeoff = v.modelCard?.lineage?.tradeoff
  if (tradeoff !== undefined) {
    out.push(
      '',
      formatTable(
        ['  TRADE-OFF', 'PARENT', 'CHILD', 'CHANGE'],
        tradeoffRows(tradeoff).map(([label, ...rest]) => [`  ${label}`, ...rest]),
      ),
    )
  }
  return `${out.join('\n')}\n`
}

async function show(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, USAGE, {
    command: 'keel models show',
    maxPositionals: 1,
  })
  const text = onePositional(args.positionals, 'model name')
  const ref = parseModelRef(text)
  const json = flagOpt(args, 'json')
  if (ref.kind !== 'default') {
    const version = await withRegistry((r) => r.getVersion(ref))
    if (json) printJson(version)
    else process.stdout.write(renderVersion(version))
    return 0
  }
  const model = await withRegistry((r) => r.getModel(ref.name))
  if (json) {
    printJson(model)
    return 0
  }
  const header = [
    `${model.name}: ${model.versionCount} version(s), latest ${model.latestVersion}`,
    `  aliases  ${formatAliases(model.aliases) || '(none)'}`,
    '',
  ]
  const rows = [...model.versions]
    .reverse()
    .map((v) => [
      String(v.version),
      v.aliases.join(','),
      formatTime(v.createdAt),
      v.createdBy,
      v.runId?.slice(0, 8) ?? '',
      v.constraints.some((c) => !c.passed && c.hard !== false) ? 'FAIL' : 'ok',
      formatMetrics(v.metrics),
    ])
  process.stdout.write(
    `${header.join('\n')}${formatTable(['VERSION', 'ALIASES', 'CREATED (UTC)', 'BY', 'RUN', 'CONSTRAINTS', 'METRICS'], rows)}\n`,
  )
  return 0
}

function renderHistory(events: readonly RegistryEvent[]): string {
  const rows = events.map((e) => [
    formatTime(e.at),
    e.kind,
    e.alias ?? '',
    e.fromVersion === null ? '' : String(e.fromVersion),
    e.toVersion === null ? '' : String(e.toVersion),
    e.actor,
    e.reason ?? '',
  ])
  return `${formatTable(['WHEN (UTC)', 'ACTION', 'ALIAS', 'FROM', 'TO', 'BY', 'REASON'], rows)}\n`
}

async function history(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, USAGE, {
    command: 'keel models history',
    maxPositionals: 1,
  })
  const name = onePositional(args.positionals, 'model name')
  const events = await withRegistry((r) => r.history(name))
  if (flagOpt(args, 'json')) printJson(events)
  else process.stdout.write(renderHistory(events))
  return 0
}

async function card(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, {}, USAGE, { command: 'keel models card', maxPositionals: 1 })
  const version = await withRegistry((r) => r.getVersion(onePositional(args.positionals, 'model reference')))
  if (version.modelCard === null) {
    throw new NotFoundError(`${version.name}@${version.version} has no model card.`, {
      kind: 'model-card',
      name: version.name,
      version: version.version,
    })
  }
  process.stdout.write(renderModelCard(version.modelCard, { name: version.name, version: version.version }))
  return 0
}

function printChange(change: AliasChange, json: boolean): void {
  if (json) {
    printJson(change)
    return
  }
  const target = `${change.name}@${change.alias}`
  if (!change.isChanged) {
    process.stdout.write(`${target} already points at version ${change.toVersion}; nothing changed.\n`)
    return
  }
  const from = change.fromVersion === null ? 'unset' : `version ${change.fromVersion}`
  const by = change.event === null ? '' : ` (by ${change.event.actor}, ${formatTime(change.event.at)} UTC)`
  process.stdout.write(`${target}: ${from} -> version ${change.toVersion}${by}\n`)
}

const CHANGE_OPTIONS = {
  actor: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
} as const

function changeOptions(actor: string | undefined, reason: string | undefined) {
  return { ...(actor === undefined ? {} : { actor }), ...(reason === undefined ? {} : { reason }) }
}

async function promote(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(
    argv,
    { ...CHANGE_OPTIONS, to: { type: 'string' }, force: { type: 'boolean' } },
    USAGE,
    { command: 'keel models promote', maxPositionals: 2 },
  )
  const [name, rawVersion, ...extra] = args.positionals
  if (name === undefined || rawVersion === undefined)
    throw usageError('keel models promote needs NAME and VERSION.')
  if (extra.length > 0) throw usageError(`Unexpected argument '${extra[0]}'.`)
  if (!/^\d+$/.test(rawVersion))
    throw usageError(`VERSION must be a version number such as 3; got '${rawVersion}'.`)
  const alias = stringOpt(args, 'to') ?? 'production'
  const change = await withRegistry((r) =>
    r.promote(name, Number(rawVersion), alias, {
      ...changeOptions(stringOpt(args, 'actor'), stringOpt(args, 'reason')),
      force: flagOpt(args, 'force'),
    }),
  )
  printChange(change, flagOpt(args, 'json'))
  return 0
}

async function rollback(argv: readonly string[]): Promise<number> {
  const args = parseCommandArgs(argv, { ...CHANGE_OPTIONS, alias: { type: 'string' } }, USAGE, {
    command: 'keel models rollback',
    maxPositionals: 1,
  })
  const name = onePositional(args.positionals, 'model name')
  const change = await withRegistry((r) =>
    r.rollback(
      name,
      stringOpt(args, 'alias') ?? 'production',
      changeOptions(stringOpt(args, 'actor'), stringOpt(args, 'reason')),
    ),
  )
  printChange(change, flagOpt(args, 'json'))
  return 0
}

/** `keel models list|show|history|card|promote|rollback`. */
export const modelsCommand: Command = {
  name: 'models',
  summary: 'list registered models, show versions and history, promote and roll back aliases',
  usage: USAGE,
  async run(argv) {
    return runSubcommand('keel models', argv, { list, show, history, card, promote, rollback })
  },
}
