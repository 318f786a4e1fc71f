import { ServeError } from '../http/index.js'
import { type Experiment, experimentSchema, PredictionLogReader } from '../predlog/index.js'
import type { KeelDb } from '../store/index.js'
import { msprtLikelihoodRatio, normalQuantile, RunningStats, rocAuc, sampleRatioTest } from './ab-stats.js'

/** Options of `abReport`. */
export interface AbReportOptions {
  /** Whether a higher outcome is better ('increase', default) or worse (e.g. churn: 'decrease'). */
  readonly goal?: 'increase' | 'decrease'
  /** Significance level of the sequential test and CI. Default 0.05. */
  readonly alpha?: number
  /** Std-dev of the mSPRT mixing prior on the difference: the effect size you care about. Default 0.05. */
  readonly tau?: number
  /** Labelled outcomes per variant before any verdict. Default 100. */
  readonly minSamples?: number
  /** A difference smaller than this (both CI ends inside ±) counts as "no difference". Default 0.01. */
  readonly minEffect?: number
  /** SRM p-value below which the split is declared broken. Default 0.001. */
  readonly srmAlpha?: number
}

/** Per-variant figures. */
export interface VariantReport {
  readonly name: string
  readonly ref: string
  readonly weight: number
  readonly predictions: number
  /** Distinct request keys (the randomisation units). */
  readonly units: number
  readonly labelled: number
  /** Mean outcome among labelled predictions (the outcome rate for 0/1 outcomes). */
  readonly outcomeRate: number | null
  /** AUC of the logged score against 0/1 outcomes, once both classes were seen. */
  readonly auc: number | null
  readonly meanScore: number | null
}

/** A treatment compared with the control (the first variant). */
export interface ComparisonReport {
  readonly control: string
  readonly treatment: string
  /** treatment − control outcome rate. */
  readonly difference: number | null
  readonly ci: readonly [number, number] | null
  readonly confidence: number
  /** Always-valid p-value of the mSPRT (valid under continuous monitoring). */
  readonly sequentialPValue: number
  readonly verdict: 'keep_running' | 'treatment_wins' | 'control_wins' | 'no_difference'
}

/** What `abReport` returns (also the admin endpoint's and `keel ab report --json`'s body). */
export interface AbReport {
  readonly experimentId: string
  readonly model: string
  readonly status: string
  readonly goal: 'increase' | 'decrease'
  readonly variants: readonly VariantReport[]
  readonly comparisons: readonly ComparisonReport[]
  readonly srm: {
    readonly chiSquare: number
    readonly df: number
    readonly pValue: number
    readonly mismatch: boolean
  }
  /** Plain verdict, e.g. "keep running", "B wins", "A wins", "no difference". */
  readonly verdict: string
  readonly notes: readonly string[]
}

/**
 * Computes an A/B report from the prediction log and feedback: sample sizes, outcome rates, AUC,
 * difference with CI, an always-valid sequential test (mSPRT), a sample-ratio-mismatch χ² check and
 * a verdict.
 * @throws ServeError `SERVE_NOT_FOUND` when the experiment does not exist.
 */
export async function abReport(
  db: KeelDb,
  experimentId: string,
  options: AbReportOptions = {},
): Promise<AbReport> {
  const log = await PredictionLogReader.open(db)
  const row = await log.experiment(experimentId)
  if (row === undefined)
    throw new ServeError(
      'SERVE_NOT_FOUND',
      `No experiment '${experimentId}'. List them with GET /v1/admin/experiments.`,
    )
  const experiment: Experiment = experimentSchema.parse(JSON.parse(row.config))
  const goal = options.goal ?? 'increase'
  const alpha = options.alpha ?? 0.05
  const tau = options.tau ?? 0.05
  const minSamples = options.minSamples ?? 100
  const minEffect = options.minEffect ?? 0.01
  const srmAlpha = options.srmAlpha ?? 0.001

  const rows = await log.withFeedback({ experimentId })

  const names = experiment.variants.map((v) => v.name)
  const index = new Map(names.map((n, i) => [n, i]))
  const predictions = names.map(() => 0)
  const keys = names.map(() => new Set<string>())
  const stats = names.map(() => new RunningStats())
  const scoreStats = names.map(() => new RunningStats())
  const aucScores: number[][] = names.map(() => [])
  const aucLabels: number[][] = names.map(() => [])
  const labelledEvents: { variant: number; value: number; at: number }[] = []
  for (const r of rows) {
    const i = index.get(r.variant)
    if (i === undefined) continue
    predictions[i]!++
    if (r.requestKey !== null) keys[i]!.add(r.requestKey)
    if (r.score !== null) scoreStats[i]!.push(Number(r.score))
    if (r.outcomeValue !== null) {
      const value = Number(r.outcomeValue)
      stats[i]!.push(value)
      labelledEvents.push({ variant: i, value, at: Number(r.feedbackTs ?? r.ts) })
      if (r.score !== null && (value === 0 || value === 1)) {
        aucScores[i]!.push(Number(r.score))
        aucLabels[i]!.push(value)
      }
    }
  }

  const variants: VariantReport[] = experiment.variants.map((v, i) => ({
    name: v.name,
    ref: v.ref,
    weight: v.weight,
    predictions: predictions[i]!,
    units: keys[i]!.size,
    labelled: stats[i]!.n,
    outcomeRate: stats[i]!.n > 0 ? stats[i]!.mean : null,
    auc: rocAuc(aucScores[i]!, aucLabels[i]!) ?? null,
    meanScore: scoreStats[i]!.n > 0 ? scoreStats[i]!.mean : null,
  }))

  // SRM on randomisation units (keyed requests); keyless requests all go to the default arm by design.
  const units = variants.map((v) => v.units)
  const srmTest = sampleRatioTest(
    units,
    experiment.variants.map((v) => v.weight),
  )
  const srm = { ...srmTest, mismatch: units.reduce((s, u) => s + u, 0) > 0 && srmTest.pValue < srmAlpha }

  // Sequential test: replay labelled outcomes in arrival order, keeping the running minimum of 1/Λ.
  labelledEvents.sort((a, b) => a.at - b.at)
  const z = normalQuantile(1 - alpha / 2)
  const tau2 = tau * tau
  const comparisons: ComparisonReport[] = []
  for (let t = 1; t < names.length; t++) {
    const control = new RunningStats()
    const treatment = new RunningStats()
    let p = 1
    for (const e of labelledEvents) {
      if (e.variant === 0) control.push(e.value)
      else if (e.variant === t) treatment.push(e.value)
      else continue
      if (control.n < 2 || treatment.n < 2) continue
      const variance = control.variance / control.n + treatment.variance / treatment.n
      const lr = msprtLikelihoodRatio(treatment.mean - control.mean, variance, tau2)
      p = Math.min(p, 1 / lr)
    }
    const a = stats[0]!
    const b = stats[t]!
    let difference: number | null = null
    let ci: [number, number] | null = null
    if (a.n > 1 && b.n > 1) {
      difference = b.mean - a.mean
      const se = Math.sqrt(a.variance / a.n + b.variance / b.n)
      ci = [difference - z * se, difference + z * se]
    }
    let verdict: ComparisonReport['verdict'] = 'keep_running'
    if (!srm.mismatch && a.n >= minSamples && b.n >= minSamples && difference !== null && ci !== null) {
      if (p < alpha) verdict = difference > 0 === (goal === 'increase') ? 'treatment_wins' : 'control_wins'
      else if (ci[0] > -minEffect && ci[1] < minEffect) verdict = 'no_difference'
    }
    comparisons.push({
      control: names[0]!,
      treatment: names[t]!,
      difference,
      ci,
      confidence: 1 - alpha,
      sequentialPValue: Math.min(1, p),
      verdict,
    })
  }

  const notes: string[] = []
  if (srm.mismatch)
    notes.push(
      `Sample ratio mismatch (χ²=${srm.chiSquare.toFixed(1)}, p=${srm.pValue.toExponential(2)}): the split differs from the weights, so results are not trustworthy until the assignment is fixed.`,
    )
  const few = variants.filter((v) => v.labelled < minSamples)
  if (few.length > 0)
    notes.push(`Fewer than ${minSamples} labelled outcomes in: ${few.map((v) => v.name).join(', ')}.`)
  const winners = comparisons.filter((c) => c.verdict === 'treatment_wins')
  let verdict: string
  if (srm.mismatch) verdict = 'keep running'
  else if (winners.length > 0) verdict = `${winners.map((c) => c.treatment).join(', ')} wins`
  else if (comparisons.length > 0 && comparisons.every((c) => c.verdict === 'control_wins'))
    verdict = `${names[0]} wins`
  else if (
    comparisons.length > 0 &&
    comparisons.every((c) => c.verdict === 'no_difference' || c.verdict === 'control_wins')
  )
    verdict = 'no difference'
  else verdict = 'keep running'
  return {
    experimentId,
    model: experiment.model,
    status: row.status,
    goal,
    variants,
    comparisons,
    srm,
    verdict,
    notes,
  }
}

/** Renders a report as a plain-text table for the CLI. */
export function formatAbReport(report: AbReport): string {
  const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(2)}%`)
  const num = (x: number | null): string => (x === null ? '-' : x.toFixed(3))
  const lines = [
    `Experiment ${report.experimentId} on '${report.model}' (${report.status}, goal: ${report.goal} outcome)`,
    '',
    `${'variant'.padEnd(12)} ${'weight'.padStart(6)} ${'predictions'.padStart(11)} ${'units'.padStart(7)} ${'labelled'.padStart(8)} ${'outcome'.padStart(8)} ${'AUC'.padStart(6)}`,
    ...report.variants.map(
      (v) =>
        `${v.name.padEnd(12)} ${String(v.weight).padStart(6)} ${String(v.predictions).padStart(11)} ${String(v.units).padStart(7)} ${String(v.labelled).padStart(8)} ${pct(v.outcomeRate).padStart(8)} ${num(v.auc).padStart(6)}`,
    ),
    '',
    ...report.comparisons.map(
      (c) =>
        `${c.treatment} vs ${c.control}: difference ${pct(c.difference)}, ${Math.round(c.confidence * 100)}% CI ${c.ci === null ? '-' : `[${pct(c.ci[0])}, ${pct(c.ci[1])}]`}, always-valid p = ${c.sequentialPValue.toPrecision(3)} → ${c.verdict.replace('_', ' ')}`,
    ),
    `Sample ratio check: χ² = ${report.srm.chiSquare.toFixed(2)} (df ${report.srm.df}), p = ${report.srm.pValue.toPrecision(3)}${report.srm.mismatch ? '  MISMATCH' : ''}`,
    '',
    `Verdict: ${report.verdict}`,
    ...report.notes.map((n) => `note: ${n}`),
  ]
  return lines.join('\n')
}
