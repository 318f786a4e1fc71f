import { z } from 'zod'
import { ArtifactError, InvalidArgumentError } from '../core/index.js'
import type { JsonValue } from '../track/index.js'
import type { ConstraintCheck } from './constraint-check.js'

/** What the model predicts. */
export interface ModelCardTask {
  /** e.g. `binary-classification`, `multiclass-classification`, `regression`. */
  readonly kind: string
  readonly target: string
  readonly positiveClass?: string
  readonly description?: string
}

/** The data the model was trained and evaluated on. */
export interface ModelCardData {
  /** File, table or dataset name. */
  readonly source: string
  readonly rows?: number
  readonly columns?: number
  readonly fingerprint?: string
  /** Time span the data covers, e.g. `2024-01 to 2025-06`. */
  readonly period?: string
  /** Rows per split, e.g. `{ train: 6000, validation: 2000, test: 2000 }`. */
  readonly splits?: Readonly<Record<string, number>>
  readonly description?: string
}

/** Who should use the model, for what, and for what not. */
export interface ModelCardIntendedUse {
  readonly primary: string
  readonly users?: string
  readonly outOfScope?: readonly string[]
}

/** Metrics of one subgroup (one level of one column). */
export interface SubgroupMetrics {
  readonly column: string
  readonly level: string
  readonly count: number
  readonly metrics: Readonly<Record<string, number>>
  /** True when the group falls well below the overall figure. */
  readonly isFlagged?: boolean
}

/** A confidence interval for a metric. */
export interface MetricInterval {
  readonly lower: number
  readonly upper: number
  /** e.g. 0.95 */
  readonly level: number
}

/** Where an imported model came from (`keel import`). */
export interface ModelCardOrigin {
  /** File format: `xgboost`, `lightgbm`, `onnx`. */
  readonly format: string
  /** Producer and version as the file states them, e.g. `xgboost 1.7.4`. */
  readonly producer: string
  /** The imported file's name and SHA-256, so the version can be traced to the exact file. */
  readonly file: string
  readonly sha256: string
  readonly bytes: number
  /** What the conversion assumed (e.g. how a base score was read). */
  readonly notes?: readonly string[]
}

/** One side of an optimization's trade-off, measured on the held-out rows. */
export interface TradeoffSide {
  readonly artifactBytes: number
  /** Median single-row latency. */
  readonly latencyMs: number
  readonly batchRowsPerSecond: number
  /** The primary metric's value. */
  readonly metric: number
}

/** The parent a version was derived from (`keel optimize`) and what the derivation traded. */
export interface ModelCardLineage {
  /** `name@version` of the parent. */
  readonly parent: string
  /** e.g. `quantize int8`, `prune 0.5`, `distill gbdt (20 trees)`. */
  readonly method: string
  readonly details?: Readonly<Record<string, JsonValue>>
  readonly tradeoff?: {
    readonly metric: string
    /** Where it was measured, e.g. `test (1,200 rows)`. */
    readonly split: string
    readonly parent: TradeoffSide
    readonly child: TradeoffSide
  }
}

/** A model card: what the model does, on what data, how well, for whom, and where it falls short. */
export interface ModelCard {
  readonly title?: string
  readonly task: ModelCardTask
  readonly data: ModelCardData
  readonly intendedUse: ModelCardIntendedUse
  /** Model family and the params that matter. */
  readonly model?: { readonly family: string; readonly params?: Readonly<Record<string, JsonValue>> }
  /** Headline metrics, on `metricsSplit`. */
  readonly metrics: Readonly<Record<string, number>>
  /** Where `metrics` were measured; default `test`. */
  readonly metricsSplit?: string
  readonly confidenceIntervals?: Readonly<Record<string, MetricInterval>>
  /** The best baseline's metrics on the same split, to show the gain. */
  readonly baseline?: { readonly name: string; readonly metrics: Readonly<Record<string, number>> }
  readonly metricsBySubgroup?: readonly SubgroupMetrics[]
  readonly constraints?: readonly ConstraintCheck[]
  readonly limitations: readonly string[]
  readonly ethicalConsiderations?: readonly string[]
  /** Set on versions imported from another runtime's file. */
  readonly origin?: ModelCardOrigin
  /** Set on versions derived from another version (quantized, pruned, distilled). */
  readonly lineage?: ModelCardLineage
}

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
)
/**
 * Any number, NaN and ±Infinity included (a metric can be undefined, e.g. AUC with one class);
 * JSON turns those into null, so null reads back as NaN.
 */
const metricValue = z
  .union([z.custom<number>((v) => typeof v === 'number'), z.null()])
  .transform((v) => v ?? Number.NaN)
const numberRecord = z.record(z.string(), metricValue)
const scalar = z.union([z.custom<number>((v) => typeof v === 'number'), z.string(), z.boolean(), z.null()])

const constraintCheckSchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  hard: z.boolean().optional(),
  measured: scalar.optional(),
  limit: scalar.optional(),
  unit: z.string().optional(),
  detail: z.string().optional(),
})

const tradeoffSideSchema = z.object({
  artifactBytes: z.number(),
  latencyMs: metricValue,
  batchRowsPerSecond: metricValue,
  metric: metricValue,
})

const modelCardSchema = z.object({
  title: z.string().optional(),
  task: z.object({
    kind: z.string(),
    target: z.string(),
    positiveClass: z.string().optional(),
    description: z.string().optional(),
  }),
  data: z.object({
    source: z.string(),
    rows: z.number().optional(),
    columns: z.number().optional(),
    fingerprint: z.string().optional(),
    period: z.string().optional(),
    splits: numberRecord.optional(),
    description: z.string().optional(),
  }),
  intendedUse: z.object({
    primary: z.string(),
    users: z.string().optional(),
    outOfScope: z.array(z.string()).optional(),
  }),
  model: z.object({ family: z.string(), params: z.record(z.string(), jsonValue).optional() }).optional(),
  metrics: numberRecord,
  metricsSplit: z.string().optional(),
  confidenceIntervals: z
    .record(z.string(), z.object({ lower: metricValue, upper: metricValue, level: z.number() }))
    .optional(),
  baseline: z.object({ name: z.string(), metrics: numberRecord }).optional(),
  metricsBySubgroup: z
    .array(
      z.object({
        column: z.string(),
        level: z.string(),
        count: z.number(),
        metrics: numberRecord,
        isFlagged: z.boolean().optional(),
      }),
    )
    .optional(),
  constraints: z.array(constraintCheckSchema).optional(),
  limitations: z.array(z.string()),
  ethicalConsiderations: z.array(z.string()).optional(),
  origin: z
    .object({
      format: z.string(),
      producer: z.string(),
      file: z.string(),
      sha256: z.string(),
      bytes: z.number(),
      notes: z.array(z.string()).optional(),
    })
    .optional(),
  lineage: z
    .object({
      parent: z.string(),
      method: z.string(),
      details: z.record(z.string(), jsonValue).optional(),
      tradeoff: z
        .object({
          metric: z.string(),
          split: z.string(),
          parent: tradeoffSideSchema,
          child: tradeoffSideSchema,
        })
        .optional(),
    })
    .optional(),
})

/**
 * Checks stored or given constraint checks; throws `InvalidArgumentError` listing every problem.
 * @internal
 */
export function parseConstraintChecks(value: unknown): ConstraintCheck[] {
  const result = z.array(constraintCheckSchema).safeParse(value)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new InvalidArgumentError(`Invalid constraint checks: ${problems.join('; ')}.`, { problems })
  }
  // Zod types optional keys as `T | undefined`; parsed JSON never holds an explicit undefined.
  return result.data as ConstraintCheck[]
}

/**
 * Checks that `value` (e.g. parsed JSON) is a model card; throws `ArtifactError`
 * (`MODEL_CARD_INVALID`) listing every problem.
 */
export function parseModelCard(value: unknown): ModelCard {
  const result = modelCardSchema.safeParse(value)
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    throw new ArtifactError('MODEL_CARD_INVALID', `Invalid model card: ${problems.join('; ')}.`, {
      details: { problems },
    })
  }
  // Zod types optional keys as `T | undefined`; parsed JSON never holds an explicit undefined.
  return result.data as ModelCard
}

function cell(value: unknown): string {
  const text = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value)
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

function formatNumber(value: number | undefined): string {
  if (value === undefined) return ''
  if (Number.isNaN(value)) return 'n/a'
  if (Number.isInteger(value)) return String(value)
  return Math.abs(value) >= 1000 ? value.toFixed(1) : value.toPrecision(4).replace(/\.?0+$/, '')
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ]
}

function humanTask(kind: string): string {
  return kind.replaceAll('-', ' ').replace(/^./, (c) => c.toUpperCase())
}

/**
 * Renders a model card as Markdown: task, data, intended use, model, metrics (with baseline gain
 * and intervals), metrics by subgroup (flagged groups marked), constraints, limitations.
 */
export function renderModelCard(card: ModelCard, options: { name?: string; version?: number } = {}): string {
  const title =
    card.title ??
    (options.name === undefined
      ? 'Model card'
      : `Model card: ${options.name}${options.version === undefined ? '' : ` v${options.version}`}`)
  const out: string[] = [`# ${title}`, '']

  out.push('## Task', '')
  const positive =
    card.task.positiveClass === undefined ? '' : ` (positive class: \`${card.task.positiveClass}\`)`
  out.push(`${humanTask(card.task.kind)} of \`${card.task.target}\`${positive}.`)
  if (card.task.description !== undefined) out.push('', card.task.description)
  out.push('')

  out.push('## Data', '', `- Source: ${card.data.source}`)
  if (card.data.rows !== undefined) out.push(`- Rows: ${card.data.rows}`)
  if (card.data.columns !== undefined) out.push(`- Columns: ${card.data.columns}`)
  if (card.data.period !== undefined) out.push(`- Period: ${card.data.period}`)
  if (card.data.splits !== undefined) {
    const splits = Object.entries(card.data.splits).map(([k, v]) => `${k} ${v}`)
    out.push(`- Splits: ${splits.join(', ')}`)
  }
  if (card.data.fingerprint !== undefined) out.push(`- Fingerprint: \`${card.data.fingerprint}\``)
  if (card.data.description !== undefined) out.push('', card.data.description)
  out.push('')

  out.push('## Intended use', '', card.intendedUse.primary)
  if (card.intendedUse.users !== undefined) out.push('', `Users: ${card.intendedUse.users}`)
  if (card.intendedUse.outOfScope !== undefined && card.intendedUse.outOfScope.length > 0) {
    out.push('', 'Out of scope:', '', ...card.intendedUse.outOfScope.map((s) => `- ${s}`))
  }
  out.push('')

  if (card.model !== undefined) {
    out.push('## Model', '', `Family: ${card.model.family}`)
    const params = Object.entries(card.model.params ?? {})
    if (params.length > 0) {
      out.push(
        '',
        ...table(
          ['Param', 'Value'],
          params.map(([k, v]) => [k, JSON.stringify(v)]),
        ),
      )
    }
    out.push('')
  }

  if (card.origin !== undefined) {
    const o = card.origin
    out.push(
      '## Origin',
      '',
      `Imported from \`${o.file}\` (${o.format}, ${o.bytes} bytes), produced by ${o.producer}.`,
      '',
      `- SHA-256: \`${o.sha256}\``,
      ...(o.notes ?? []).map((n) => `- ${n}`),
      '',
    )
  }

  if (card.lineage !== undefined) {
    out.push('## Lineage', '', `Derived from \`${card.lineage.parent}\` by ${card.lineage.method}.`, '')
    const t = card.lineage.tradeoff
    if (t !== undefined) out.push(...renderTradeoffTable(t), '')
  }

  out.push(`## Metrics (${card.metricsSplit ?? 'test'})`, '')
  const metricNames = Object.keys(card.metrics)
  if (metricNames.length === 0) out.push('No metrics recorded.')
  else {
    const hasBaseline = card.baseline !== undefined
    const hasIntervals = card.confidenceIntervals !== undefined
    const header = ['Metric', 'Value']
    if (hasBaseline) header.push(`Baseline (${card.baseline?.name})`, 'Gain')
    if (hasIntervals) header.push('Interval')
    const rows = metricNames.map((m) => {
      const value = card.metrics[m]
      const row = [m, formatNumber(value)]
      if (hasBaseline) {
        const base = card.baseline?.metrics[m]
        row.push(
          formatNumber(base),
          base === undefined || value === undefined ? '' : formatSigned(value - base),
        )
      }
      if (hasIntervals) {
        const ci = card.confidenceIntervals?.[m]
        row.push(
          ci === undefined
            ? ''
            : `${formatNumber(ci.lower)} to ${formatNumber(ci.upper)} (${Math.round(ci.level * 100)}%)`,
        )
      }
      return row
    })
    out.push(...table(header, rows))
  }
  out.push('')

  const subgroups = card.metricsBySubgroup ?? []
  if (subgroups.length > 0) {
    const names = [...new Set(subgroups.flatMap((g) => Object.keys(g.metrics)))]
    out.push('## Metrics by subgroup', '')
    out.push(
      ...table(
        ['Column', 'Level', 'Rows', ...names, 'Flag'],
        subgroups.map((g) => [
          g.column,
          g.level,
          String(g.count),
          ...names.map((n) => formatNumber(g.metrics[n])),
          g.isFlagged === true ? 'below overall' : '',
        ]),
      ),
    )
    const flagged = subgroups.filter((g) => g.isFlagged === true)
    if (flagged.length > 0) {
      out.push(
        '',
        `Flagged: ${flagged.map((g) => `${g.column}=${g.level}`).join(', ')} fall well below the overall figure.`,
      )
    }
    out.push('')
  }

  const constraints = card.constraints ?? []
  if (constraints.length > 0) {
    out.push('## Constraints', '')
    out.push(
      ...table(
        ['Constraint', 'Result', 'Measured', 'Limit', 'Kind'],
        constraints.map((c) => [
          c.name,
          c.passed ? 'pass' : 'FAIL',
          withUnit(c.measured, c.unit),
          withUnit(c.limit, c.unit),
          c.hard === false ? 'soft' : 'hard',
        ]),
      ),
    )
    out.push('')
  }

  out.push('## Limitations', '')
  out.push(...(card.limitations.length === 0 ? ['None stated.'] : card.limitations.map((l) => `- ${l}`)), '')

  if (card.ethicalConsiderations !== undefined && card.ethicalConsiderations.length > 0) {
    out.push('## Ethical considerations', '', ...card.ethicalConsiderations.map((l) => `- ${l}`), '')
  }
  return `${out.join('\n').trimEnd()}\n`
}

function formatSigned(value: number): string {
  const text = formatNumber(value)
  return value > 0 ? `+${text}` : text
}

function withUnit(value: number | string | boolean | null | undefined, unit: string | undefined): string {
  if (value === undefined || value === null) return ''
  const text = typeof value === 'number' ? formatNumber(value) : String(value)
  return unit === undefined ? text : `${text} ${unit}`
}

/**
 * The rows of an optimization's parent-against-child table: measure, parent, child, and the child
 * against the parent (a ratio, or the metric's difference). The card and `keel models show` both
 * print them.
 */
export function tradeoffRows(
  t: NonNullable<ModelCardLineage['tradeoff']>,
): [string, string, string, string][] {
  const ratio = (a: number, b: number): string =>
    b > 0 && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : ''
  const row = (label: string, parent: number, child: number): [string, string, string, string] => [
    label,
    formatNumber(parent),
    formatNumber(child),
    ratio(child, parent),
  ]
  return [
    row('artifact bytes', t.parent.artifactBytes, t.child.artifactBytes),
    row('latency ms (1 row, median)', t.parent.latencyMs, t.child.latencyMs),
    row('batch rows/s', t.parent.batchRowsPerSecond, t.child.batchRowsPerSecond),
    [
      `${t.metric} (${t.split})`,
      formatNumber(t.parent.metric),
      formatNumber(t.child.metric),
      formatSigned(t.child.metric - t.parent.metric),
    ],
  ]
}

/** The trade-off table as Markdown lines (the model card's Lineage section). */
export function renderTradeoffTable(t: NonNullable<ModelCardLineage['tradeoff']>): string[] {
  return table(['Measure', 'Parent', 'Child', 'Child vs parent'], tradeoffRows(t))
}
