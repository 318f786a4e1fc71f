import { InvalidArgumentError } from '../core/index.js'
import type { FilterOperator, MetricFilter } from './types.js'

const METRIC_FILTER =
  /^\s*(?:metrics\.)?([A-Za-z_][\w.\-/:]*?)\s*(>=|<=|!=|==|=|>|<)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$/

/**
 * Parses a metric filter such as `roc_auc>0.8`, `rmse <= 3.5` or `metrics.f1!=0` (the `metrics.`
 * prefix is optional; `==` is the same as `=`).
 */
export function parseMetricFilter(text: string): MetricFilter {
  const match = METRIC_FILTER.exec(text)
  if (match === null) {
    throw new InvalidArgumentError(
      `Cannot read metric filter '${text}'. Write METRIC OP NUMBER with OP one of > >= < <= = !=, e.g. 'roc_auc>0.8'.`,
      { filter: text },
    )
  }
  const [, metric, rawOp, rawValue] = match
  const op = (rawOp === '==' ? '=' : rawOp) as FilterOperator
  return { metric: metric!, op, value: Number(rawValue) }
}

/** Parses a tag filter `key=value` (the value may itself contain `=`). */
export function parseTagFilter(text: string): readonly [string, string] {
  const eq = text.indexOf('=')
  if (eq <= 0) {
    throw new InvalidArgumentError(`Cannot read tag filter '${text}'. Write KEY=VALUE, e.g. 'model=gbdt'.`, {
      filter: text,
    })
  }
  return [text.slice(0, eq), text.slice(eq + 1)]
}

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(m|min|h|d|w)$/

/**
 * Reads a time bound for `--since`/`--until`: an ISO date or date-time (`2026-11-01`,
 * `2026-11-01T12:00:00Z`) or a duration back from `now` (`30m`, `12h`, `7d`, `2w`).
 */
export function parseTimeBound(text: string, now: Date = new Date()): Date {
  const relative = RELATIVE.exec(text.trim())
  if (relative !== null) {
    const amount = Number(relative[1])
    const unitMs = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[
      relative[2] as 'm' | 'min' | 'h' | 'd' | 'w'
    ]
    return new Date(now.getTime() - amount * unitMs)
  }
  // Only accept text that starts like a date: Date.parse alone accepts odd strings such as '1'.
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text.trim()) : Number.NaN
  if (Number.isNaN(ms)) {
    throw new InvalidArgumentError(
      `Cannot read time '${text}'. Use an ISO date such as 2026-11-01 (or 2026-11-01T12:00:00Z), or a duration back from now such as 12h or 7d.`,
      { value: text },
    )
  }
  return new Date(ms)
}
