/**
 * The SQL the trainer sends, built from plain values. Every statement is the same text on DuckDB
 * and PostgreSQL: standard CASE, GROUPING SETS, window row numbers and double arithmetic only.
 */
import { sqlDouble } from './engine.js'

/** Objectives the SQL trainer computes gradients for. */
export type SqlObjective = 'logistic' | 'squared-error'

const ONE = 'CAST(1 AS DOUBLE PRECISION)'
/** The hessian floor of Keel's objectives (objectives.ts MIN_HESS). */
const MIN_HESS = sqlDouble(1e-16)
/**
 * EXP's argument is kept within ±700: PostgreSQL raises on overflow and underflow where JavaScript
 * returns Infinity or 0. Beyond it the probability is 0 or 1 to double precision anyway; only the
 * hessian, already at its floor there, could notice.
 */
const expClamped = (x: string): string => `EXP(LEAST(GREATEST(${x}, -700), 700))`

/**
 * The per-row statistic the gradient and hessian are computed from (`p`): the probability for
 * log-loss, the score itself for squared error.
 */
export function statExpr(objective: SqlObjective): string {
  return objective === 'logistic' ? `${ONE} / (${ONE} + ${expClamped('-score')})` : 'score'
}

/** Gradient and hessian from `p` and `y`, as objectives.ts computes them (unit weights). */
export function gradHessExpr(objective: SqlObjective): { g: string; h: string } {
  return objective === 'logistic'
    ? { g: 'p - y', h: `GREATEST(p * (${ONE} - p), ${MIN_HESS})` }
    : { g: 'p - y', h: ONE }
}

/** The mean loss of a score column against y (log-loss as objectives.ts, half squared error). */
export function lossExpr(objective: SqlObjective): string {
  if (objective === 'squared-error') return '(score - y) * (score - y) / 2'
  return `(CASE WHEN score > 0 THEN score + LN(${ONE} + ${expClamped('-score')}) ELSE LN(${ONE} + ${expClamped('score')}) END) - y * score`
}

/**
 * Whether row number `rid` falls in the seeded share [lo, hi) of rows: Fibonacci hashing of the row
 * number (a Weyl sequence, so any run of consecutive rows spreads evenly over [0, 1)), in integer
 * arithmetic both engines compute exactly (products stay below 2^63 up to 3 billion rows). Disjoint
 * ranges give disjoint parts of exactly their shares.
 */
export function hashIn(rid: string, seed: number, lo: number, hi: number): string {
  const offset = (((seed >>> 0) % 1_000_003) * 7919) % 2 ** 20
  const from = Math.floor(lo * 2 ** 32)
  const to = Math.floor(hi * 2 ** 32)
  const h = `(((${rid} + ${offset}) * 2654435761) % 4294967296)`
  return `(${h} >= ${from} AND ${h} < ${to})`
}

/**
 * Bin code of a numeric value `v` (NULL = missing -> `nBins`): the number of thresholds below v,
 * found by a balanced CASE (eight comparisons for 255 bins), as binMatrix counts them.
 */
export function numericBinExpr(v: string, thresholds: Float64Array, nBins: number): string {
  const search = (lo: number, hi: number): string => {
    if (lo === hi) return String(lo)
    const mid = (lo + hi) >>> 1
    return `CASE WHEN ${v} <= ${sqlDouble(thresholds[mid]!)} THEN ${search(lo, mid)} ELSE ${search(mid + 1, hi)} END`
  }
  return `CASE WHEN ${v} IS NULL THEN ${nBins} ELSE ${search(0, thresholds.length)} END`
}

/** Bin code of a categorical code `v`: the code itself when it is one of 0..nBins-1, else missing. */
export function categoricalBinExpr(v: string, nBins: number): string {
  return `CASE WHEN ${v} IS NULL THEN ${nBins} WHEN ${v} >= 0 AND ${v} < ${nBins} AND ${v} = FLOOR(${v}) THEN CAST(${v} AS INTEGER) ELSE ${nBins} END`
}

/** The rows a split sends left, in bin space (the same rule as the split's left mask). */
export function leftCondition(
  column: string,
  leftMask: Uint8Array,
  isCategorical: boolean,
  bin: number,
): string {
  const nb = leftMask.length - 1
  if (!isCategorical) {
    return leftMask[nb] === 1 ? `(${column} <= ${bin} OR ${column} = ${nb})` : `${column} <= ${bin}`
  }
  const codes: number[] = []
  for (let b = 0; b <= nb; b++) if (leftMask[b] === 1) codes.push(b)
  return `${column} IN (${codes.join(', ')})`
}

/**
 * One histogram: gradient sum, hessian sum and row count per (feature, bin) for the training rows
 * matching `where` (and `withTotal`, the node's own sums), in one scan and one aggregation. Each row meets a VALUES list of the feature
 * numbers and is grouped by `feature * 256 + its bin` (bins fit a byte): one small hash table of at
 * most features x 256 groups. GROUPING SETS, one per feature, computed the same sums but kept a
 * hash table per feature, which took DuckDB's memory past its limit.
 */
export function histogramSql(
  table: string,
  binColumns: readonly string[],
  where: string,
  objective: SqlObjective,
  withTotal = false,
): string {
  const cols = binColumns.join(', ')
  const { g, h } = gradHessExpr(objective)
  const nF = binColumns.length
  // With the totals: one more "feature" whose only bin holds every row (key nF * 256).
  const features = Array.from({ length: withTotal ? nF + 1 : nF }, (_, j) => `(${j})`).join(', ')
  const bin = `CASE fs.f ${binColumns.map((c, j) => `WHEN ${j} THEN ${c}`).join(' ')} ELSE 0 END`
  return (
    `SELECT k, SUM(g), SUM(h), CAST(COUNT(*) AS DOUBLE PRECISION) FROM ` +
    `(SELECT fs.f * 256 + ${bin} AS k, g, h FROM ` +
    `(SELECT ${cols}, ${g} AS g, ${h} AS h FROM ` +
    `(SELECT ${cols}, y, ${statExpr(objective)} AS p FROM ${table} WHERE part = 0 AND ${where}) s1) s2 ` +
    `CROSS JOIN (VALUES ${features}) AS fs(f)) s3 GROUP BY k`
  )
}
