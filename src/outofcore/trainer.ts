import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import { AppError, InvalidArgumentError, Rng } from '../core/index.js'
import {
  type FittedGradientBoostingClassifier,
  type FittedGradientBoostingRegressor,
  findBestSplit,
  type GbdtCommonParams,
  GradientBoostingClassifier,
  GradientBoostingRegressor,
  gbdtFromTrees,
  HIST_STRIDE,
  type IterationInfo,
  leafOutput,
  type NodeSums,
  recordSplit,
  type SplitConstraints,
  type SplitInfo,
  SplitScratch,
} from '../models/index.js'
import {
  type BinMapper,
  MAX_CATEGORIES,
  numericBounds,
  type Tree,
  TreeBuilder,
} from '../models/tree/index.js'
import { type SqlEngine, sqlDouble, toNumber } from './engine.js'
import {
  categoricalBinExpr,
  hashIn,
  histogramSql,
  leftCondition,
  lossExpr,
  numericBinExpr,
  type SqlObjective,
} from './sql.js'

/** Rows whose values set the bin bounds (fitBinMapper's sample size: same bins as in memory). */
const BINNING_SAMPLE_ROWS = 200_000
/** Sample row positions inserted per statement. */
const INSERT_BATCH = 5000
/** Trees re-applied per statement when early stopping drops the last rounds. */
const REPLAY_BATCH = 20

/** One model input: an SQL expression over the source's columns giving a number (codes for categoricals). */
export interface OutOfCoreFeature {
  readonly name: string
  /** SQL expression; NULL or NaN is a missing value. */
  readonly sql: string
  readonly categorical: boolean
}

/** What `trainOutOfCore` trains on and how. */
export interface OutOfCoreSpec {
  readonly engine: SqlEngine
  /** The rows: a table name or a table function such as `read_parquet('big/*.parquet')`. */
  readonly source: string
  readonly features: readonly OutOfCoreFeature[]
  /** SQL expression of the target: class code 0/1 (logistic) or the value (squared error). Rows where it is NULL are left out. */
  readonly target: string
  readonly objective: SqlObjective
  /** GBDT params (GradientBoostingClassifier/Regressor's; unsupported ones are refused). */
  readonly params?: Readonly<Record<string, unknown>>
  /** Share of rows held out as the test part (chosen in SQL by a seeded hash of the row number). */
  readonly testFraction?: number
  /** Seed of the held-out parts (default: the params' seed). */
  readonly splitSeed?: number
  readonly onProgress?: (message: string) => void
  readonly onIteration?: (info: IterationInfo) => void
}

/** A trained out-of-core model and what the database computed along the way. */
export interface OutOfCoreResult {
  readonly model: FittedGradientBoostingClassifier | FittedGradientBoostingRegressor
  readonly params: GbdtCommonParams
  readonly mapper: BinMapper
  /** Rounds kept (early stopping: the best round, or the refit's scaled count). */
  readonly nRounds: number
  /** Validation loss per round when early stopping ran (index 0: base score only). */
  readonly validationLoss: readonly number[]
  readonly trainRows: number
  readonly validRows: number
  readonly testRows: number
  /** Target and raw margin of the held-out test rows (in row order), scored in the database; null without a test part. */
  readonly test: {
    /** Row numbers in the source (0-based, source order). */
    readonly rows: Float64Array
    readonly y: Float64Array
    readonly margin: Float64Array
  } | null
  /** Histogram queries sent (one per node built from rows; siblings come by subtraction). */
  readonly histogramQueries: number
  readonly fitSeconds: number
}

/** An open leaf of the tree being grown (mirrors grower.ts's OpenLeaf). */
interface OpenLeaf {
  readonly node: number
  readonly depth: number
  readonly sums: NodeSums
  /** SQL condition selecting the leaf's rows (bin space). */
  readonly where: string
  hist: Float64Array | null
  split: SplitInfo | null
}

/** Refuses params no SQL training supports, whatever the task (before any data is read). */
export function checkSqlParams(raw: Readonly<Record<string, unknown>>): void {
  const refuse = (what: string): never => {
    throw new AppError('OUTOFCORE_UNSUPPORTED', `Out-of-core training does not support ${what}.`, {
      details: { param: what },
    })
  }
  for (const key of ['subsample', 'colsample'] as const) {
    const value = raw[key]
    if (value !== undefined && value !== 1) refuse(`${key} (${String(value)}); use 1`)
  }
  const m = raw.minRowsPerCatLevel
  if (m !== undefined && m !== 0) refuse(`minRowsPerCatLevel (${String(m)}); use 0`)
}

/** Checks params the way the in-memory estimators do, then refuses what SQL training lacks. */
function resolveParams(objective: SqlObjective, raw: Readonly<Record<string, unknown>>): GbdtCommonParams {
  const p =
    objective === 'logistic'
      ? new GradientBoostingClassifier(raw).getParams()
      : new GradientBoostingRegressor(raw).getParams()
  const refuse = (what: string): never => {
    throw new AppError('OUTOFCORE_UNSUPPORTED', `Out-of-core training does not support ${what}.`, {
      details: { param: what },
    })
  }
  if (p.subsample !== 1) refuse(`subsample (${p.subsample}); use 1`)
  if (p.colsample !== 1) refuse(`colsample (${p.colsample}); use 1`)
  const extra = p as unknown as Readonly<Record<string, unknown>>
  if (objective === 'squared-error' && extra.loss !== 'squared-error')
    refuse(`loss '${String(extra.loss)}' (squared-error and binary log-loss only)`)
  if (typeof extra.minRowsPerCatLevel === 'number' && extra.minRowsPerCatLevel > 0)
    refuse(`minRowsPerCatLevel (${extra.minRowsPerCatLevel}); use 0`)
  if (objective === 'logistic') {
    if (extra.classWeight !== null) refuse('classWeight (class weights)')
    if (extra.scalePosWeight !== 1) refuse('scalePosWeight (class weights)')
  }
  return p
}

/**
 * Gradient boosting over data that stays in the database: features are binned in SQL with bin
 * bounds Keel's own binner sets from the same 200k-row sample the in-memory fit draws, scores live
 * in a column of the binned table, every histogram is one `GROUP BY GROUPING SETS` scan over the
 * smaller child's rows (the larger child is its parent minus it), splits are found by Keel's split
 * finder in JavaScript, and each tree updates the scores with one UPDATE. Memory in this process
 * is a few histograms; the database spills the rest.
 *
 * The model equals an in-memory fit on the same rows and params, up to the order floating-point
 * sums are added in (a gain tie a last-bit difference breaks the other way can pick another split).
 * Differences from the in-memory fit's defaults: the held-out parts are chosen by a hash of the row
 * number (not stratified), early stopping's refit keeps the bins of the training part, and
 * `earlyStopping: 'auto'` below `autoEarlyStoppingRows` keeps every round (no cross-validation).
 * @throws AppError OUTOFCORE_UNSUPPORTED for params SQL training lacks (subsample, colsample,
 *   class weights, losses other than binary log-loss and squared error), OUTOFCORE_SOURCE when
 *   the source has too few rows.
 */
export async function trainOutOfCore(spec: OutOfCoreSpec): Promise<OutOfCoreResult> {
  const started = performance.now()
  const { engine, features, objective } = spec
  const p = resolveParams(objective, spec.params ?? {})
  const note = spec.onProgress ?? (() => undefined)
  const nF = features.length
  if (nF < 1) throw new InvalidArgumentError('Out-of-core training needs at least one feature.')
  const testFraction = spec.testFraction ?? 0
  if (!(testFraction >= 0 && testFraction < 1))
    throw new InvalidArgumentError(`testFraction must be in [0, 1), got ${testFraction}.`)
  const splitSeed = spec.splitSeed ?? p.seed
  const id = randomBytes(6).toString('hex')
  const raw = `keel_ooc_raw_${id}`
  const work = `keel_ooc_work_${id}`
  const sample = `keel_ooc_sample_${id}`
  const created: string[] = []
  const v = (j: number): string => `v${j}`
  const b = (j: number): string => `b${j}`
  const binColumns = features.map((_, j) => b(j))
  const nan = sqlDouble(Number.NaN)

  try {
    // 1. One pass over the source: row numbers in source order, the target, the features as
    //    doubles (NaN as NULL), and the test part.
    note('reading the source into the database')
    const featureSql = features
      .map((f, j) => `NULLIF(CAST(${f.sql} AS DOUBLE PRECISION), ${nan}) AS ${v(j)}`)
      .join(', ')
    await engine.exec(
      `${engine.createTable} ${raw} AS SELECT rid, y, ${features.map((_, j) => v(j)).join(', ')}, ` +
        `CASE WHEN ${hashIn('rid', splitSeed, 0, testFraction)} THEN 2 ELSE 0 END AS part FROM ` +
        `(SELECT row_number() OVER () - 1 AS rid, CAST(${spec.target} AS DOUBLE PRECISION) AS y, ${featureSql} ` +
        `FROM ${spec.source} WHERE (${spec.target}) IS NOT NULL) s`,
    )
    created.push(raw)
    const [counts] = await engine.query(
      `SELECT CAST(SUM(CASE WHEN part = 0 THEN 1 ELSE 0 END) AS DOUBLE PRECISION), CAST(SUM(CASE WHEN part = 2 THEN 1 ELSE 0 END) AS DOUBLE PRECISION) FROM ${raw}`,
    )
    const nFit = toNumber(counts?.[0] ?? null) || 0
    const nTest = toNumber(counts?.[1] ?? null) || 0
    if (nFit < 2)
      throw new AppError(
        'OUTOFCORE_SOURCE',
        `The source has ${nFit} training rows with a target; gradient boosting needs at least 2.`,
      )

    // 2. The validation part for early stopping, as the in-memory rule decides it.
    const holdout = p.earlyStopping === true || (p.earlyStopping === 'auto' && nFit > p.autoEarlyStoppingRows)
    // The next share of the same hash: disjoint from the test part, validationFraction of the rest.
    const validIn = holdout
      ? hashIn('rid', splitSeed, testFraction, testFraction + p.validationFraction * (1 - testFraction))
      : '(1 = 0)'
    const trainWhere = `part = 0 AND NOT ${validIn}`
    const [trainCount] = await engine.query(
      `SELECT CAST(COUNT(*) AS DOUBLE PRECISION) FROM ${raw} WHERE ${trainWhere}`,
    )
    const nTrain = toNumber(trainCount?.[0] ?? null)
    const nValid = nFit - nTrain
    if (nTrain < 2)
      throw new AppError('OUTOFCORE_SOURCE', `Only ${nTrain} rows are left to train on after the holdouts.`)

    // 3. Bin bounds from Keel's binner on the rows the in-memory fit would sample.
    note(`binning ${nF} features (${nTrain} training rows)`)
    const mapper = await fitMapper(engine, {
      raw,
      sample,
      created,
      trainWhere,
      nTrain,
      features,
      maxBins: p.maxBins,
      seed: p.seed,
    })

    // 4. The binned working table: bins, target, part and the live score of every row.
    const [meanRow] = await engine.query(`SELECT AVG(y), MIN(y), MAX(y) FROM ${raw} WHERE ${trainWhere}`)
    if (objective === 'logistic') {
      const lo = toNumber(meanRow?.[1] ?? null)
      const hi = toNumber(meanRow?.[2] ?? null)
      if (!(lo >= 0 && hi <= 1))
        throw new AppError(
          'OUTOFCORE_SOURCE',
          `A binary target must be 0/1 codes; the training rows hold values from ${lo} to ${hi}.`,
        )
    }
    const base = baseScore(objective, toNumber(meanRow?.[0] ?? null))
    const binSql = features.map((f, j) =>
      f.categorical
        ? categoricalBinExpr(v(j), mapper.nBins[j]!)
        : numericBinExpr(v(j), mapper.thresholds[j]!, mapper.nBins[j]!),
    )
    note('building the binned table')
    await engine.exec(
      `${engine.createTable} ${work} AS SELECT rid, y, ` +
        `CAST(CASE WHEN part = 2 THEN 2 WHEN ${validIn} THEN 1 ELSE 0 END AS SMALLINT) AS part, ` +
        `${binSql.map((s, j) => `CAST(${s} AS SMALLINT) AS ${b(j)}`).join(', ')}, ${sqlDouble(base)} AS score FROM ${raw}`,
    )
    created.push(work)
    await engine.exec(`DROP TABLE ${raw}`)
    created.splice(created.indexOf(raw), 1)

    // 5. Boosting.
    const booster = new SqlBooster(engine, work, binColumns, mapper, objective, p, note)
    let state = await booster.boost(p.nEstimators, nValid > 0, spec.onIteration)
    let nRounds = state.bestRound
    let finalBase = base
    let trainRows = nTrain
    let validationLoss = state.validationLoss
    if (nValid > 0 && p.earlyStoppingRefit && state.bestRound > 0) {
      // As the in-memory fit: the holdout only chose the round count; refit on every row with it
      // scaled by the row ratio (on the training part's bins).
      const rounds = Math.max(1, Math.round((state.bestRound * nFit) / nTrain))
      note(`early stopping kept ${state.bestRound} rounds; refitting ${rounds} rounds on all ${nFit} rows`)
      await engine.exec(`UPDATE ${work} SET part = 0 WHERE part = 1`)
      const [mean] = await engine.query(`SELECT AVG(y) FROM ${work} WHERE part = 0`)
      finalBase = baseScore(objective, toNumber(mean?.[0] ?? null))
      await engine.exec(`UPDATE ${work} SET score = ${sqlDouble(finalBase)}`)
      await engine.afterRewrite(work)
      validationLoss = state.validationLoss
      state = await booster.boost(rounds, false, undefined)
      nRounds = state.bestRound
      trainRows = nFit
    } else if (state.trees.length > state.bestRound) {
      // Early stopping without the refit: test scores must come from the kept trees only.
      await booster.replay(finalBase, state.updates.slice(0, state.bestRound), 'part = 2')
    }
    const trees = state.trees.slice(0, nRounds)

    let test: OutOfCoreResult['test'] = null
    if (nTest > 0) {
      note(`scoring the test part (${nTest} rows)`)
      const [rows, y, margin] = await engine.readNumbers(
        `SELECT CAST(rid AS DOUBLE PRECISION), y, score FROM ${work} WHERE part = 2 ORDER BY rid`,
        3,
      )
      test = { rows: rows!, y: y!, margin: margin! }
    }
    const categoricalFeatures: number[] = []
    features.forEach((f, j) => {
      if (f.categorical) categoricalFeatures.push(j)
    })
    const model = gbdtFromTrees({
      task: objective === 'logistic' ? 'binary' : 'regression',
      ...(objective === 'logistic' ? { nClasses: 2 } : {}),
      featureNames: features.map((f) => f.name),
      baseScore: Float64Array.of(finalBase),
      trees,
      treeOutput: new Int32Array(trees.length),
      categoricalFeatures,
    })
    return {
      model,
      params: p,
      mapper,
      nRounds,
      validationLoss,
      trainRows,
      validRows: trainRows === nFit ? 0 : nValid,
      testRows: nTest,
      test,
      histogramQueries: booster.queries,
      fitSeconds: (performance.now() - started) / 1000,
    }
  } finally {
    for (const table of created) await engine.exec(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined)
  }
}

/** The starting margin (objectives.ts initScore, unit weights). */
function baseScore(objective: SqlObjective, mean: number): number {
  if (objective === 'squared-error') return mean
  const q = Math.min(1 - 1e-15, Math.max(1e-15, mean))
  return Math.log(q / (1 - q))
}

/**
 * Bin bounds as fitBinMapper sets them in memory: numeric features get `numericBounds` of their
 * sorted values over the training rows, or over the same seeded 200k-row sample of them (by
 * position in row order); categorical features get one bin per code up to the largest code of all
 * training rows. Computed a column at a time, so this process holds the sample once (fitBinMapper
 * on a row-major copy would hold it three times).
 */
async function fitMapper(
  engine: SqlEngine,
  a: {
    raw: string
    sample: string
    created: string[]
    trainWhere: string
    nTrain: number
    features: readonly OutOfCoreFeature[]
    maxBins: number
    seed: number
  },
): Promise<BinMapper> {
  const { features, raw } = a
  const nF = features.length
  const names = features.map((f) => f.name)
  const numeric: number[] = []
  const categorical: number[] = []
  features.forEach((f, j) => {
    if (f.categorical) categorical.push(j)
    else numeric.push(j)
  })
  const thresholds: Float64Array[] = Array.from({ length: nF }, () => new Float64Array(0))
  const nBins = new Int32Array(nF)
  if (numeric.length > 0) {
    const cols = numeric.map((j) => `v${j}`).join(', ')
    let rowsSql = `SELECT ${cols} FROM ${raw} WHERE ${a.trainWhere}`
    if (a.nTrain > BINNING_SAMPLE_ROWS) {
      const positions = new Rng(a.seed ^ 0x5eed).permutation(a.nTrain).subarray(0, BINNING_SAMPLE_ROWS).sort()
      await engine.exec(`${engine.createTable} ${a.sample} (pos BIGINT)`)
      a.created.push(a.sample)
      for (let i = 0; i < positions.length; i += INSERT_BATCH) {
        const values = Array.from(positions.subarray(i, i + INSERT_BATCH), (x) => `(${x})`).join(', ')
        await engine.exec(`INSERT INTO ${a.sample} VALUES ${values}`)
      }
      rowsSql =
        `SELECT ${cols} FROM (SELECT ${cols}, row_number() OVER (ORDER BY rid) - 1 AS pos FROM ${raw} ` +
        `WHERE ${a.trainWhere}) t WHERE pos IN (SELECT pos FROM ${a.sample})`
    }
    const columns = await engine.readNumbers(rowsSql, numeric.length)
    numeric.forEach((j, i) => {
      const column = columns[i]!
      let m = 0
      for (let r = 0; r < column.length; r++) if (!Number.isNaN(column[r]!)) column[m++] = column[r]!
      thresholds[j] = numericBounds(column.subarray(0, m).sort(), a.maxBins)
      nBins[j] = thresholds[j]!.length + 1
      columns[i] = new Float64Array(0)
    })
  }
  if (categorical.length > 0) {
    const checks = categorical
      .map(
        (j) =>
          `MAX(v${j}), SUM(CASE WHEN v${j} IS NOT NULL AND NOT (v${j} >= 0 AND v${j} < ${MAX_CATEGORIES} AND v${j} = FLOOR(v${j})) THEN 1 ELSE 0 END)`,
      )
      .join(', ')
    const [row] = await engine.query(`SELECT ${checks} FROM ${raw} WHERE ${a.trainWhere}`)
    categorical.forEach((j, i) => {
      if (toNumber(row?.[2 * i + 1] ?? null) > 0)
        throw new InvalidArgumentError(
          `Categorical feature '${names[j]}' holds values other than integer codes 0..${MAX_CATEGORIES - 1} (NULL for missing). Encode categories as codes, or group rare levels.`,
          { feature: names[j] },
        )
      const max = toNumber(row?.[2 * i] ?? null)
      nBins[j] = Math.max(1, Number.isNaN(max) ? 0 : max + 1)
    })
  }
  const isCategorical = new Uint8Array(nF)
  for (const j of categorical) isCategorical[j] = 1
  const featureOffset = new Int32Array(nF)
  let total = 0
  for (let j = 0; j < nF; j++) {
    featureOffset[j] = total
    total += nBins[j]! + 1
  }
  return { nFeatures: nF, isCategorical, nBins, thresholds, featureOffset, totalBins: total }
}

/** Trees of one boosting run and the score updates that applied them. */
interface BoostState {
  readonly trees: Tree[]
  /** Per tree: the SQL expression of its leaf value for a row (a CASE over bins). */
  readonly updates: string[]
  readonly bestRound: number
  readonly validationLoss: number[]
}

/** The boosting loop and tree growth over the binned working table. */
class SqlBooster {
  queries = 0
  private readonly features: Int32Array
  private readonly scratch = new SplitScratch()
  private readonly histSize: number
  /** The split limits of the params (every categorical split searched as in memory by default). */
  private readonly constraints: SplitConstraints

  constructor(
    private readonly engine: SqlEngine,
    private readonly table: string,
    private readonly binColumns: readonly string[],
    private readonly mapper: BinMapper,
    private readonly objective: SqlObjective,
    private readonly p: GbdtCommonParams,
    private readonly note: (message: string) => void,
  ) {
    this.features = Int32Array.from(binColumns, (_, j) => j)
    this.histSize = mapper.totalBins * HIST_STRIDE
    this.constraints = p
  }

  /** Boosts up to `rounds` trees from the current scores; early-stops on part 1 when `validate`. */
  async boost(
    rounds: number,
    validate: boolean,
    onIteration: ((info: IterationInfo) => void) | undefined,
  ): Promise<BoostState> {
    const { p, engine, table } = this
    const trees: Tree[] = []
    const updates: string[] = []
    const validationLoss: number[] = []
    const loss = lossExpr(this.objective)
    const losses = async (): Promise<{ train: number; valid: number }> => {
      const [row] = await engine.query(
        `SELECT AVG(CASE WHEN part = 0 THEN ${loss} END), AVG(CASE WHEN part = 1 THEN ${loss} END) FROM ${table}`,
      )
      return { train: toNumber(row?.[0] ?? null), valid: toNumber(row?.[1] ?? null) }
    }
    let bestRound = 0
    let bestLoss = Number.POSITIVE_INFINITY
    if (validate) {
      bestLoss = (await losses()).valid
      validationLoss.push(bestLoss)
    }
    for (let round = 1; round <= rounds; round++) {
      const { tree, update, leaves } = await this.growTree()
      await engine.exec(`UPDATE ${table} SET score = score + ${update}`)
      await engine.afterRewrite(table)
      trees.push(tree)
      updates.push(update)
      this.note(`tree ${round}/${rounds}: ${leaves} leaves (${this.queries} histogram queries so far)`)
      let validLoss: number | undefined
      if (validate || onIteration !== undefined) {
        const l = await losses()
        if (validate) {
          validLoss = l.valid
          validationLoss.push(validLoss)
        }
        onIteration?.(
          validLoss === undefined
            ? { iteration: round, trainLoss: l.train }
            : { iteration: round, trainLoss: l.train, validLoss },
        )
      }
      if (validLoss !== undefined) {
        const scale = Math.max(1, Math.abs(bestLoss))
        if (validLoss < bestLoss - p.tol * scale) {
          bestLoss = validLoss
          bestRound = round
        } else if (round - bestRound >= p.nIterNoChange) {
          break
        }
      } else {
        bestRound = round
      }
    }
    return { trees, updates, bestRound, validationLoss }
  }

  /** Sets the scores of rows matching `where` to `base` plus the given trees. */
  async replay(base: number, updates: readonly string[], where: string): Promise<void> {
    await this.engine.exec(`UPDATE ${this.table} SET score = ${sqlDouble(base)} WHERE ${where}`)
    for (let i = 0; i < updates.length; i += REPLAY_BATCH) {
      const sum = updates.slice(i, i + REPLAY_BATCH).join(' + ')
      await this.engine.exec(`UPDATE ${this.table} SET score = score + ${sum} WHERE ${where}`)
    }
    await this.engine.afterRewrite(this.table)
  }

  /** One histogram from the rows matching `where`; with `withTotal`, also the node's sums. */
  private async histogram(where: string, withTotal = false): Promise<{ hist: Float64Array; sums: NodeSums }> {
    this.queries++
    const nF = this.binColumns.length
    const rows = await this.engine.query(
      histogramSql(this.table, this.binColumns, where, this.objective, withTotal),
    )
    const hist = new Float64Array(this.histSize)
    const { featureOffset } = this.mapper
    let sums: NodeSums = { grad: 0, hess: 0, count: 0 }
    for (const row of rows) {
      const key = toNumber(row[0] ?? null)
      const f = Math.floor(key / 256)
      const g = toNumber(row[1] ?? null)
      const h = toNumber(row[2] ?? null)
      const c = toNumber(row[3] ?? null)
      if (f === nF) {
        sums = { grad: g, hess: h, count: c }
        continue
      }
      const k = (featureOffset[f]! + (key - f * 256)) * HIST_STRIDE
      hist[k] = g
      hist[k + 1] = h
      hist[k + 2] = c
    }
    return { hist, sums }
  }

  /**
   * Grows one tree leaf-wise exactly as grower.ts does (best gain first, ties to the lower node,
   * the smaller child built and the larger one subtracted), with histograms from SQL.
   */
  private async growTree(): Promise<{ tree: Tree; update: string; leaves: number }> {
    const { p, mapper, features } = this
    const nF = features.length
    const tree = new TreeBuilder()
    const leftCond = new Map<number, string>()
    const canSplit = (depth: number, sums: NodeSums): boolean =>
      depth < (p.maxDepth ?? Number.POSITIVE_INFINITY) &&
      sums.count >= 2 * p.minSamplesLeaf &&
      sums.hess >= 2 * p.minChildWeight
    const nodeValue = (sums: NodeSums): number =>
      p.learningRate * leafOutput(sums.grad, sums.hess, p.l1, p.l2)
    const findSplit = (leaf: OpenLeaf): void => {
      leaf.split = findBestSplit(
        leaf.hist!,
        0,
        // SQL's GROUP BY counts every bin exactly, at no cost: the histograms keep their counts.
        HIST_STRIDE,
        mapper,
        features,
        nF,
        leaf.sums,
        this.constraints,
        this.scratch,
      )
      if (leaf.split === null) leaf.hist = null
    }

    // The root's sums come with its histogram (the grand total of the same scan).
    const rootHist = await this.histogram('1 = 1', true)
    const open: OpenLeaf[] = []
    const root: OpenLeaf = {
      node: tree.addLeaf(nodeValue(rootHist.sums), rootHist.sums.hess),
      depth: 0,
      sums: rootHist.sums,
      where: '1 = 1',
      hist: null,
      split: null,
    }
    open.push(root)
    if (p.maxLeaves > 1 && canSplit(0, root.sums)) {
      root.hist = rootHist.hist
      findSplit(root)
    }
    let nLeaves = 1
    while (nLeaves < p.maxLeaves) {
      let bestIndex = -1
      for (let i = 0; i < open.length; i++) {
        const s = open[i]!.split
        if (s === null) continue
        const best = bestIndex < 0 ? null : open[bestIndex]!
        if (
          best === null ||
          s.gain > best.split!.gain ||
          (s.gain === best.split!.gain && open[i]!.node < best.node)
        )
          bestIndex = i
      }
      if (bestIndex < 0) break
      const leaf = open[bestIndex]!
      open.splice(bestIndex, 1)
      const split = leaf.split!
      const f = split.feature
      const mask = split.leftMask
      const column = this.binColumns[f]!
      const goLeft = leftCondition(column, mask, split.isCategorical, split.bin)
      leftCond.set(leaf.node, goLeft)
      const { leftNode, rightNode } = recordSplit(tree, mapper, leaf.node, split, nodeValue)
      nLeaves++
      const left: OpenLeaf = {
        node: leftNode,
        depth: leaf.depth + 1,
        sums: split.left,
        where: `${leaf.where} AND ${goLeft}`,
        hist: null,
        split: null,
      }
      const right: OpenLeaf = {
        node: rightNode,
        depth: leaf.depth + 1,
        sums: split.right,
        where: `${leaf.where} AND NOT (${goLeft})`,
        hist: null,
        split: null,
      }
      open.push(left, right)
      const more = nLeaves < p.maxLeaves
      const leftOk = more && canSplit(left.depth, left.sums)
      const rightOk = more && canSplit(right.depth, right.sums)
      if (!leftOk && !rightOk) {
        leaf.hist = null
        continue
      }
      const leftSmaller = left.sums.count <= right.sums.count
      const small = leftSmaller ? left : right
      const large = leftSmaller ? right : left
      const smallOk = leftSmaller ? leftOk : rightOk
      const largeOk = leftSmaller ? rightOk : leftOk
      if (largeOk && leaf.hist !== null) {
        // Sibling subtraction: one scan for the smaller child, the larger is parent minus it.
        const built = (await this.histogram(small.where)).hist
        const parent = leaf.hist
        for (let k = 0; k < parent.length; k++) parent[k] = parent[k]! - built[k]!
        large.hist = parent
        leaf.hist = null
        small.hist = smallOk ? built : null
      } else {
        leaf.hist = null
        for (const child of [left, right]) {
          if (!(child === left ? leftOk : rightOk)) continue
          child.hist = (await this.histogram(child.where)).hist
        }
      }
      if (leftOk) findSplit(left)
      if (rightOk) findSplit(right)
    }
    const finished = tree.finish()
    // The tree as one nested CASE over bins: each row takes its path's conditions only.
    const expr = (node: number): string => {
      if (finished.feature[node]! < 0) return sqlDouble(finished.value[node]!)
      return `CASE WHEN ${leftCond.get(node)!} THEN ${expr(finished.left[node]!)} ELSE ${expr(finished.right[node]!)} END`
    }
    return { tree: finished, update: `(${expr(0)})`, leaves: nLeaves }
  }
}
