import type { DuckDBConnection } from '@duckdb/node-api'
import type { Dataset } from './dataset.js'
import { openDuck, queryRows, quoteIdent } from './duckdb.js'
import { DataError } from './errors.js'
import { createSourceTable, type LoadOptions, tableToDataset } from './load.js'
import type { DatetimePart, FeatureEngineeringSpec, HistoryAggregate, TaskConfig } from './task-file.js'

/** Feature spec plus the entity and timestamp columns that history features need. */
export interface EngineerSpec extends FeatureEngineeringSpec {
  readonly entity?: string
  readonly timestamp?: string
}

/** The feature-engineering part of a task file, with its entity and timestamp. */
export function featureSpecFromTask(config: TaskConfig): EngineerSpec {
  return {
    ...config.features.engineer,
    ...(config.entity === undefined ? {} : { entity: config.entity }),
    ...(config.timestamp === undefined ? {} : { timestamp: config.timestamp }),
  }
}

const DAY_MS = 86_400_000

/** Copies a Dataset into a DuckDB table (datetimes as TIMESTAMP, booleans as BOOLEAN). @internal */
export async function datasetToTable(con: DuckDBConnection, ds: Dataset, table: string): Promise<void> {
  const stage = `${table}_stage`
  const defs = ds.columns.map(
    (c) => `${quoteIdent(c.name)} ${c.kind === 'categorical' ? 'VARCHAR' : 'DOUBLE'}`,
  )
  await con.run(`CREATE TABLE ${stage} (${defs.join(', ')})`)
  const appender = await con.createAppender(stage)
  for (let r = 0; r < ds.nRows; r++) {
    for (const col of ds.columns) {
      if (col.kind === 'categorical') {
        const c = col.codes[r]!
        if (c < 0) appender.appendNull()
        else appender.appendVarchar(col.levels[c]!)
      } else {
        const v = col.values[r]!
        if (Number.isNaN(v)) appender.appendNull()
        else appender.appendDouble(v)
      }
    }
    appender.endRow()
  }
  appender.flushSync()
  appender.closeSync()
  const select = ds.columns.map((c) => {
    const q = quoteIdent(c.name)
    if (c.kind === 'datetime') return `make_timestamp(CAST(round(${q} * 1000) AS BIGINT)) AS ${q}`
    if (c.kind === 'boolean') return `CAST(${q} <> 0 AS BOOLEAN) AS ${q}`
    return q
  })
  await con.run(`CREATE TABLE ${table} AS SELECT ${select.join(', ')} FROM ${stage}`)
  await con.run(`DROP TABLE ${stage}`)
}

function partExpr(ts: string, part: DatetimePart): string {
  switch (part) {
    case 'hour':
      return `hour(${ts})`
    case 'minute':
      return `minute(${ts})`
    case 'dow':
      // Monday = 0 ... Sunday = 6 (the ISO week, as pandas' dayofweek).
      return `isodow(${ts}) - 1`
    case 'day':
      return `day(${ts})`
    case 'month':
      return `month(${ts})`
    case 'year':
      return `year(${ts})`
    case 'dayofyear':
      return `dayofyear(${ts})`
    case 'weekend':
      return `CAST(isodow(${ts}) >= 6 AS INTEGER)`
  }
}

function aggExpr(agg: HistoryAggregate, value: string | undefined, window: string): string {
  switch (agg) {
    case 'count':
      return `count(*) OVER ${window}`
    case 'sum':
      return `sum(${value}) OVER ${window}`
    case 'mean':
      return `avg(${value}) OVER ${window}`
    case 'std':
      return `stddev_samp(${value}) OVER ${window}`
    case 'min':
      return `min(${value}) OVER ${window}`
    case 'max':
      return `max(${value}) OVER ${window}`
    case 'days_since_last':
      return `(__keel_ts - max(__keel_ts) OVER ${window}) / ${DAY_MS}`
  }
}

/** Output column name of one history aggregate. */
export function historyFeatureName(
  h: FeatureEngineeringSpec['history'][number],
  agg: HistoryAggregate,
): string {
  const prefix =
    h.prefix ?? `hist_${h.column ?? 'rows'}${h.windowDays === undefined ? '' : `_${h.windowDays}d`}`
  return `${prefix}_${agg}`
}

/**
 * Adds engineered columns, computed in DuckDB SQL, to a dataset or data file:
 * - datetime parts (`<col>_hour`, `_dow` with Monday = 0, `_month`, ...);
 * - per-entity history aggregates (count, sum, mean, std, min, max, days since last) over the
 *   entity's rows STRICTLY before each row's timestamp: the window frame excludes the current row
 *   and every row with the same timestamp, so no row sees its own or any later outcome;
 * - ratios `numerator / denominator` (missing when the denominator is 0).
 * Rows keep their order; rows without an entity or timestamp get missing history features.
 * @example
 * const ds = await engineerFeatures('events.csv', {
 *   entity: 'customer_id', timestamp: 'ts',
 *   datetimeParts: [{ column: 'ts', parts: ['hour', 'dow'] }],
 *   history: [{ column: 'amount', aggregates: ['count', 'mean', 'days_since_last'], windowDays: 30 }],
 *   ratios: [],
 * })
 * @throws DataError DATA_FEATURE_SPEC for unknown columns or a history spec without entity/timestamp
 */
export async function engineerFeatures(
  source: string | Dataset,
  spec: EngineerSpec,
  loadOptions: LoadOptions = {},
): Promise<Dataset> {
  const duck = await openDuck()
  try {
    const con = duck.con
    await con.run(`SET TimeZone = 'UTC'`)
    if (typeof source === 'string') await createSourceTable(con, source, loadOptions, 'src')
    else await datasetToTable(con, source, 'src')
    const described = await queryRows(con, 'DESCRIBE src')
    const types = new Map(described.map((r) => [String(r.column_name), String(r.column_type).toUpperCase()]))
    const need = (name: string, what: string): string => {
      if (!types.has(name)) {
        throw new DataError(
          'DATA_FEATURE_SPEC',
          `${what} refers to column '${name}', which is not in the data. Available columns: ${[...types.keys()].join(', ')}.`,
          { details: { column: name } },
        )
      }
      return quoteIdent(name)
    }
    const asTimestamp = (name: string, what: string): string => {
      const q = need(name, what)
      const t = types.get(name)!
      if (t.startsWith('TIMESTAMP') || t === 'DATE') return `CAST(${q} AS TIMESTAMP)`
      if (/INT|DOUBLE|FLOAT|DECIMAL/.test(t)) return `make_timestamp(CAST(round(${q} * 1000) AS BIGINT))`
      return `TRY_CAST(${q} AS TIMESTAMP)`
    }
    const features: string[] = []
    const names: string[] = []
    const add = (name: string, expr: string): void => {
      if (types.has(name) || names.includes(name))
        throw new DataError(
          'DATA_FEATURE_SPEC',
          `Engineered feature '${name}' clashes with an existing column; set a prefix or another name.`,
        )
      names.push(name)
      features.push(`CAST(${expr} AS DOUBLE) AS ${quoteIdent(name)}`)
    }
    for (const d of spec.datetimeParts) {
      const ts = asTimestamp(d.column, 'datetime_parts')
      for (const part of d.parts) add(`${d.column}_${part}`, partExpr(ts, part))
    }
    const windows: string[] = []
    if (spec.history.length > 0) {
      if (spec.entity === undefined || spec.timestamp === undefined)
        throw new DataError(
          'DATA_FEATURE_SPEC',
          "History features need both 'entity' and 'timestamp' columns in the task file.",
        )
      const entity = need(spec.entity, "'entity'")
      asTimestamp(spec.timestamp, "'timestamp'")
      for (const [i, h] of spec.history.entries()) {
        const value = h.column === undefined ? undefined : `CAST(${need(h.column, 'history')} AS DOUBLE)`
        // RANGE over epoch milliseconds with EXCLUDE GROUP: the frame ends before the current row's
        // peer group, i.e. strictly earlier timestamps only (same-time rows never see each other).
        const start =
          h.windowDays === undefined ? 'UNBOUNDED PRECEDING' : `${h.windowDays * DAY_MS} PRECEDING`
        windows.push(
          `w${i} AS (PARTITION BY ${entity} ORDER BY __keel_ts RANGE BETWEEN ${start} AND CURRENT ROW EXCLUDE GROUP)`,
        )
        for (const agg of h.aggregates) {
          const expr = aggExpr(agg, value, `w${i}`)
          add(
            historyFeatureName(h, agg),
            `CASE WHEN ${entity} IS NULL OR __keel_ts IS NULL THEN NULL ELSE ${expr} END`,
          )
        }
      }
    }
    for (const r of spec.ratios) {
      const num = need(r.numerator, `ratio '${r.name}'`)
      const den = need(r.denominator, `ratio '${r.name}'`)
      add(
        r.name,
        `CASE WHEN CAST(${den} AS DOUBLE) = 0 THEN NULL ELSE CAST(${num} AS DOUBLE) / CAST(${den} AS DOUBLE) END`,
      )
    }
    const tsExpr =
      spec.timestamp !== undefined && spec.history.length > 0
        ? `epoch_ms(${asTimestamp(spec.timestamp, "'timestamp'")})`
        : 'NULL'
    await con.run(
      `CREATE TABLE src_keyed AS SELECT *, row_number() OVER () AS __keel_row, CAST(${tsExpr} AS DOUBLE) AS __keel_ts FROM src`,
    )
    const originals = [...types.keys()].map(quoteIdent)
    await con.run(
      `CREATE TABLE engineered AS SELECT ${[...originals, ...features].join(', ')} FROM src_keyed${windows.length > 0 ? ` WINDOW ${windows.join(', ')}` : ''} ORDER BY __keel_row`,
    )
    const ds = await tableToDataset(con, 'engineered')
    if (typeof source !== 'string') {
      // Keep the caller's kinds and levels for the original columns; only the new ones come from SQL.
      const added = ds.columns.filter((c) => names.includes(c.name))
      return { nRows: source.nRows, columns: [...source.columns, ...added] }
    }
    return ds
  } finally {
    duck.close()
  }
}
