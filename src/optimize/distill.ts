/**
 * Distillation: a small student (a few-tree GBDT, a linear model, a narrow MLP) trained on a
 * teacher's soft predictions over the training rows plus sampled neighbours.
 */
import type { Matrix } from '../core/index.js'
import { InvalidArgumentError, Rng } from '../core/index.js'
import { type Column, type Dataset, getColumn } from '../data/index.js'
import { type FitOptions, type FittedModel, isClassifier, type TaskKind } from '../models/index.js'
import { type BundleFeature, fitFeatureEncoder, ModelBundle } from '../pipeline/index.js'
import { encodingFor, makeEstimator } from '../train/index.js'
import { GBDT_KINDS, type GbdtTree, gbdtFromParts, gbdtParts } from './trees.js'
import type { OptimizeResult } from './types.js'

/** Student model families. */
export type StudentFamily = 'gbdt' | 'linear' | 'mlp'

/** How {@link distillBundle} trains the student. */
export interface DistillOptions {
  readonly student: StudentFamily
  /** Boosting rounds of a GBDT student (default: a tenth of a GBDT teacher's rounds, at least 5; else 30). */
  readonly trees?: number
  /** Sampled neighbours per training row (default 2; 0: the training rows only). */
  readonly neighbours?: number
  /** Numeric neighbours move by N(0, noise * column std) (default 0.1). */
  readonly noise?: number
  /** Chance that a neighbour's categorical or boolean value is redrawn from the column (default 0.2). */
  readonly resample?: number
  /** Student params over the defaults below (per family). */
  readonly params?: Readonly<Record<string, unknown>>
  readonly seed?: number
}

/** Defaults per student family: small and quick to score. */
const STUDENT_DEFAULTS: Record<StudentFamily, Record<string, unknown>> = {
  // Few trees: each has to carry more, so a larger step and the full leaf budget.
  gbdt: { learningRate: 0.3, maxLeaves: 31, earlyStopping: false },
  linear: {},
  mlp: { hiddenLayers: [32], maxEpochs: 60, patience: 8 },
}

/** Largest |logit| a soft target may have (probabilities clipped to [1e-6, 1 - 1e-6]). */
const MAX_LOGIT = Math.log((1 - 1e-6) / 1e-6)

/**
 * Trains a `student` bundle on a teacher's soft predictions: the teacher (one bundle, or several
 * whose probabilities / values are averaged) scores `trainDs` plus `neighbours` perturbed copies
 * of each row (numeric values moved by a fraction of the column's std, categorical values redrawn
 * from the column at rate `resample`), and the student learns those scores.
 *
 * Classifiers: a GBDT student regresses the teacher's margins (binary: the logit; multiclass:
 * centred log-probabilities, one regressor per class) and its trees become a logistic / softmax
 * GBDT; linear and MLP students fit the soft labels exactly, as each row repeated once per class
 * with weight p(class) (weighted cross-entropy equals cross-entropy on the soft targets).
 * Regressors: the student regresses the teacher's predictions.
 * @throws InvalidArgumentError when teachers disagree on task, target or classes, or the data lacks
 *   a feature they read
 */
export async function distillBundle(
  teacher: ModelBundle | readonly ModelBundle[],
  trainDs: Dataset,
  options: DistillOptions,
): Promise<OptimizeResult> {
  const teachers = Array.isArray(teacher) ? (teacher as readonly ModelBundle[]) : [teacher as ModelBundle]
  const first = teachers[0]
  if (first === undefined) throw new InvalidArgumentError('distillBundle needs at least one teacher bundle.')
  for (const t of teachers.slice(1)) {
    if (t.task !== first.task || t.classes.join('\u0000') !== first.classes.join('\u0000'))
      throw new InvalidArgumentError(
        `Ensemble teachers must share the task and classes: ${first.task} [${first.classes.join(', ')}] vs ${t.task} [${t.classes.join(', ')}].`,
      )
  }
  const family = options.student
  if (!(family in STUDENT_DEFAULTS))
    throw new InvalidArgumentError(`Unknown student '${String(family)}'. Use one of: gbdt, linear, mlp.`)
  const seed = options.seed ?? 42
  const neighbours = options.neighbours ?? 2
  if (!(Number.isInteger(neighbours) && neighbours >= 0))
    throw new InvalidArgumentError(`neighbours must be an integer >= 0; got ${neighbours}.`)
  // The student reads every feature any teacher reads, in first-seen order.
  const features: BundleFeature[] = []
  for (const t of teachers)
    for (const f of t.features) if (!features.some((g) => g.name === f.name)) features.push(f)
  const names = features.map((f) => f.name)
  const rows = withNeighbours(
    trainDs,
    names,
    neighbours,
    options.noise ?? 0.1,
    options.resample ?? 0.2,
    new Rng(seed),
  )
  const task = first.task
  const k = task === 'regression' ? 1 : first.classes.length
  const soft = teacherScores(teachers, rows, k)

  const encoder = fitFeatureEncoder(trainDs, names, encodingFor(family))
  const x = encoder.encodeDataset(rows)
  const fitOptions: FitOptions = {
    featureNames: encoder.outputNames,
    categoricalFeatures: encoder.categoricalOutputs,
    indicatorFeatures: encoder.indicatorOutputs,
  }
  const trees = options.trees ?? defaultTrees(teachers)
  const params = {
    ...STUDENT_DEFAULTS[family],
    ...(family === 'gbdt' ? { nEstimators: trees } : {}),
    ...(options.params ?? {}),
  }
  const model =
    task === 'regression'
      ? await makeEstimator(family, 'regression', params, seed).fit(x, soft, fitOptions)
      : family === 'gbdt'
        ? await gbdtOnMargins(task, x, soft, k, params, seed, fitOptions)
        : await softLabelFit(family, task, x, soft, k, params, seed, fitOptions)
  const bundle = new ModelBundle({
    task,
    target: first.target,
    classes: first.classes,
    features,
    encoder,
    model,
    threshold: first.threshold,
    family,
  })
  const fidelity = agreement(bundle, teachers, trainDs, k)
  return {
    bundle,
    method: `distill:${family}`,
    changes: [
      `student ${family} (${model.kind}${family === 'gbdt' ? `, ${trees} round(s)` : ''}) trained on the soft predictions of ${teachers.length === 1 ? 'the teacher' : `an ensemble of ${teachers.length} teachers`}`,
      `${trainDs.nRows} training rows + ${trainDs.nRows * neighbours} sampled neighbours`,
      `${task === 'regression' ? 'mean |student - teacher|' : 'mean |p_student - p_teacher|'} on the training rows: ${fidelity.toPrecision(3)}`,
    ],
  }
}

function defaultTrees(teachers: readonly ModelBundle[]): number {
  const only = teachers.length === 1 ? teachers[0]!.model : undefined
  if (only !== undefined && (GBDT_KINDS as readonly string[]).includes(only.kind)) {
    const parts = gbdtParts(only)
    return Math.max(5, Math.floor(parts.trees.length / parts.nOutputs / 10))
  }
  return 30
}

/**
 * The training rows followed by `neighbours` perturbed copies of each: numeric and datetime values
 * plus N(0, noise * std) (missing stays missing), categorical and boolean values redrawn from a
 * random row with probability `resample`. Only the named feature columns are kept.
 */
function withNeighbours(
  ds: Dataset,
  names: readonly string[],
  neighbours: number,
  noise: number,
  resample: number,
  rng: Rng,
): Dataset {
  const n = ds.nRows
  const total = n * (1 + neighbours)
  const columns = names.map((name): Column => {
    const col = getColumn(ds, name)
    const colRng = rng.fork(hashName(name))
    if (col.kind === 'categorical') {
      const codes = new Int32Array(total)
      codes.set(col.codes)
      for (let i = n; i < total; i++) {
        const src = col.codes[i % n]!
        codes[i] = colRng.next() < resample ? col.codes[colRng.int(n)]! : src
      }
      return { kind: 'categorical', name, codes, levels: col.levels }
    }
    const values = new Float64Array(total)
    values.set(col.values)
    if (col.kind === 'boolean') {
      for (let i = n; i < total; i++)
        values[i] = colRng.next() < resample ? col.values[colRng.int(n)]! : col.values[i % n]!
      return { kind: 'boolean', name, values }
    }
    const sd = stdOf(col.values) * noise
    for (let i = n; i < total; i++) values[i] = col.values[i % n]! + colRng.normal() * sd
    return { kind: col.kind, name, values }
  })
  return { nRows: total, columns }
}

function hashName(name: string): number {
  let h = 2166136261
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619)
  return h >>> 0
}

function stdOf(v: Float64Array): number {
  let n = 0
  let mean = 0
  let m2 = 0
  for (const x of v) {
    if (!Number.isFinite(x)) continue
    n++
    const d = x - mean
    mean += d / n
    m2 += d * (x - mean)
  }
  return n > 1 ? Math.sqrt(m2 / (n - 1)) : 0
}

/** The teachers' mean probabilities (rows x k) or mean predictions (regression). */
function teacherScores(teachers: readonly ModelBundle[], ds: Dataset, k: number): Float64Array {
  const out = new Float64Array(ds.nRows * k)
  for (const t of teachers) {
    const pred = t.predictDataset(ds)
    const add = pred.proba?.data ?? Float64Array.from(pred.labels as readonly number[])
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + add[i]! / teachers.length
  }
  return out
}

/** GBDT student of a classifier: one squared-error GBDT per output on the teacher's margins. */
async function gbdtOnMargins(
  task: TaskKind,
  x: Matrix,
  proba: Float64Array,
  k: number,
  params: Record<string, unknown>,
  seed: number,
  fitOptions: FitOptions,
): Promise<FittedModel> {
  const outputs = k === 2 ? 1 : k
  const n = x.rows
  const fitted: ReturnType<typeof gbdtParts>[] = []
  for (let o = 0; o < outputs; o++) {
    const target = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      if (outputs === 1) {
        const p = Math.min(1 - 1e-6, Math.max(1e-6, proba[i * 2 + 1]!))
        target[i] = Math.log(p / (1 - p))
      } else {
        // Softmax is shift-invariant: centre the log-probabilities so each regressor's scale is small.
        let mean = 0
        for (let c = 0; c < k; c++) mean += Math.log(Math.max(1e-6, proba[i * k + c]!)) / k
        target[i] = Math.max(
          -MAX_LOGIT,
          Math.min(MAX_LOGIT, Math.log(Math.max(1e-6, proba[i * k + o]!)) - mean),
        )
      }
    }
    // Squared error weighted by p(1 - p), the log loss's curvature: KL(teacher || student) is
    // about p(1 - p) / 2 times the squared margin error, so confident rows need less precision.
    const weight = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      const q = outputs === 1 ? proba[i * 2 + 1]! : proba[i * k + o]!
      weight[i] = Math.max(1e-3, q * (1 - q))
    }
    const regressor = await makeEstimator('gbdt', 'regression', { ...params, seed: seed + o }, seed).fit(
      x,
      target,
      { ...fitOptions, sampleWeight: weight },
    )
    fitted.push(gbdtParts(regressor))
  }
  // Round-major order, as a boosted classifier stores its trees.
  const trees: GbdtTree[] = []
  const treeOutput: number[] = []
  const rounds = Math.max(...fitted.map((f) => f.trees.length))
  for (let r = 0; r < rounds; r++)
    for (let o = 0; o < outputs; o++) {
      const t = fitted[o]!.trees[r]
      if (t === undefined) continue
      trees.push(t)
      treeOutput.push(o)
    }
  return gbdtFromParts({
    task,
    nClasses: k,
    nOutputs: outputs,
    featureNames: fitted[0]!.featureNames,
    baseScore: Float64Array.from(fitted, (f) => f.baseScore[0]!),
    trees,
    treeOutput: Int32Array.from(treeOutput),
    categoricalFeatures: fitted[0]!.categoricalFeatures,
  })
}

/** Linear / MLP student of a classifier: every row once per class, weighted by the teacher's p. */
async function softLabelFit(
  family: StudentFamily,
  task: TaskKind,
  x: Matrix,
  proba: Float64Array,
  k: number,
  params: Record<string, unknown>,
  seed: number,
  fitOptions: FitOptions,
): Promise<FittedModel> {
  const n = x.rows
  const p = x.cols
  const data = new Float64Array(n * k * p)
  const y = new Float64Array(n * k)
  const w = new Float64Array(n * k)
  for (let c = 0; c < k; c++)
    for (let i = 0; i < n; i++) {
      const r = c * n + i
      data.set(x.data.subarray(i * p, (i + 1) * p), r * p)
      y[r] = c
      w[r] = proba[i * k + c]!
    }
  return makeEstimator(family, task, params, seed).fit({ rows: n * k, cols: p, data }, y, {
    ...fitOptions,
    sampleWeight: w,
  })
}

/** Mean absolute difference between student and teachers' probabilities (or values) on `ds`. */
function agreement(student: ModelBundle, teachers: readonly ModelBundle[], ds: Dataset, k: number): number {
  const teacher = teacherScores(teachers, ds, k)
  const pred = student.predictDataset(ds)
  const mine = isClassifier(student.model)
    ? pred.proba!.data
    : Float64Array.from(pred.labels as readonly number[])
  let total = 0
  for (let i = 0; i < mine.length; i++) total += Math.abs(mine[i]! - teacher[i]!)
  return total / Math.max(1, mine.length)
}
