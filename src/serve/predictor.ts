/**
 * The predictor of one served model: routing (experiment variant, canary), validation, the fallback
 * chain, results and log rows, shadows. One link's call lives in model-call.ts, the request envelope
 * in predict-request.ts, the result type and score in prediction-result.ts.
 */
import { type FieldProblem, InvalidFeaturesError, ModelUnavailableError, ServeError } from '../http/errors.js'
import type { Contribution, FeatureRow, ModelOutput } from '../pipeline/servable.js'
import type { PredictionLog } from '../predlog/prediction-log.js'
import type { CanaryLedger, CanaryRollback } from './canary-ledger.js'
import type { ServedModelConfig } from './config.js'
import { assignVariant, BUCKETS, bucketOf, CanaryMonitor, type Experiment } from './experiments.js'
import { type ServeMetrics, scoreMetrics } from './metrics.js'
import { callModel, LinkFailure, revalidateRows } from './model-call.js'
import type { LoadedModel, ModelManager } from './model-manager.js'
import { type PredictRequest, type RequestLabels, sentRowTexts } from './predict-request.js'
import { predictionId } from './prediction-id.js'
import { type PredictionResult, type ServedBy, scoreOf } from './prediction-result.js'
import type { ExtraFieldPolicy } from './validate.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** Everything the predictor shares with the server. */
export interface PredictorDeps {
  readonly manager: ModelManager
  readonly metrics: ServeMetrics
  readonly log: PredictionLog | undefined
  readonly extraFields: ExtraFieldPolicy
  readonly onWarn: (message: string, error?: unknown) => void
  /**
   * Shares canary counts and the rollback decision with the other replicas through the database;
   * undefined (no database) decides from this process's calls alone.
   */
  readonly canaryLedger?: CanaryLedger | undefined
}

/**
 * Answers predictions for one served model: picks the experiment variant or canary, validates rows
 * against that version's features, walks the fallback chain within the time budget, logs every row
 * and schedules shadow copies off the request path.
 */
export class ServedModel {
  experiment: Experiment | undefined
  canary: CanaryMonitor | undefined
  private readonly pendingShadows = new Set<Promise<void>>()

  constructor(
    readonly config: ServedModelConfig,
    private readonly deps: PredictorDeps,
  ) {
    if (config.canary !== undefined) {
      const monitor = new CanaryMonitor(config.canary)
      this.canary = monitor
      deps.canaryLedger?.watch({
        model: config.name,
        monitor,
        onRollback: (rollback) => this.onCanaryRollback(monitor, rollback),
      })
    }
  }

  get name(): string {
    return this.config.name
  }

  /** Every reference this served model needs loaded (primary, configured fallback, shadows, canary). */
  refs(): string[] {
    const refs = [this.config.ref]
    if (typeof this.config.fallback === 'string') refs.push(this.config.fallback)
    for (const s of this.config.shadow) refs.push(s.ref)
    if (this.config.canary !== undefined) refs.push(this.config.canary.ref)
    return refs
  }

  /** The fields that are never "extra": the request-key field of a running experiment. */
  private ignoredFields(): readonly string[] {
    return this.experiment === undefined ? [] : [this.experiment.keyField]
  }

  /** Shadow runs not finished yet (awaited on shutdown so their log rows are not lost). */
  async settleShadows(): Promise<void> {
    while (this.pendingShadows.size > 0) await Promise.allSettled([...this.pendingShadows])
  }

  /** Routes, validates and predicts; throws ServeErrors for bad input and unavailable models. */
  async predict(request: PredictRequest, labels: RequestLabels): Promise<PredictionResult[]> {
    const startedAt = performance.now()
    const { manager } = this.deps
    // 1. Route: experiment variant, else canary share, else the primary.
    let variant = 'default'
    let experimentId: string | null = null
    let ref = this.config.ref
    let isCanary = false
    const experiment = this.experiment
    if (experiment !== undefined) {
      const chosen = assignVariant(experiment, request.requestKey)
      variant = chosen.name
      ref = chosen.ref
      experimentId = experiment.id
    } else if (this.canary !== undefined && !this.canary.rolledBack) {
      const share = this.canary.config.weight
      const hit =
        request.requestKey === undefined
          ? Math.random() < share
          : bucketOf(`canary:${this.name}`, request.requestKey) < share * BUCKETS
      if (hit && manager.get(this.canary.config.ref) !== undefined) {
        variant = 'canary'
        ref = this.canary.config.ref
        isCanary = true
      }
    }
    labels.variant = variant
    const primary = manager.get(ref)
    if (primary === undefined)
      throw new ServeError(
        'SERVE_NOT_READY',
        `Model '${this.name}' (${ref}) is still loading; retry shortly.`,
        {
          details: { model: this.name, ref, error: manager.errorOf(ref) ?? null },
        },
      )
    labels.version = String(primary.model.version)

    // 2. Validate every row against the routed version; bad input never reaches a model.
    const policy = this.config.extraFields ?? this.deps.extraFields
    const validate = primary.validator(policy, this.ignoredFields())
    const problems: FieldProblem[] = []
    const rows: FeatureRow[] = []
    for (let i = 0; i < request.rows.length; i++) {
      const row = validate(request.rows[i]!, request.isBatch ? i : undefined, problems)
      if (row !== undefined) rows.push(row)
      if (problems.length >= 100) break
    }
    if (problems.length > 0) throw new InvalidFeaturesError(problems)
    if (request.explainTop !== undefined && primary.model.explain === undefined)
      throw new ServeError(
        'SERVE_EXPLAIN_UNSUPPORTED',
        `Model '${this.name}' version ${primary.model.version} cannot explain predictions; drop ?explain=true.`,
      )

    // 3. Fallback chain: routed model → (stable primary, for a canary) → fallback model → static default.
    const chain: LoadedModel[] = [primary]
    if (isCanary) {
      const stable = manager.get(this.config.ref)
      if (stable !== undefined) chain.push(stable)
    }
    const fallbackRef =
      this.config.fallback === false ? undefined : (this.config.fallback ?? primary.fallbackRef)
    if (fallbackRef !== undefined) {
      const fb = manager.get(fallbackRef)
      if (fb !== undefined && fb !== primary) chain.push(fb)
      else if (fb === undefined) void manager.track(fallbackRef).catch(() => undefined)
    }
    let outputs: readonly ModelOutput[] | undefined
    let answered: LoadedModel | undefined
    let servedBy: ServedBy = 'primary'
    let lastError: unknown
    for (let i = 0; i < chain.length && outputs === undefined; i++) {
      const link = chain[i]!
      const linkStart = performance.now()
      try {
        const input = link === primary ? rows : revalidateRows(link, request.rows, this.ignoredFields())
        outputs = await callModel(link, input, this.config.timeoutMs)
        answered = link
        servedBy = i === 0 || (isCanary && i === 1) ? 'primary' : 'fallback'
        if (isCanary && link === primary) this.recordCanary(false, performance.now() - linkStart)
      } catch (error) {
        lastError = error
        if (isCanary && link === primary) this.recordCanary(true, performance.now() - linkStart)
        const next = chain[i + 1]
        const to = next !== undefined ? 'fallback' : this.config.default !== undefined ? 'default' : 'none'
        const reason = error instanceof LinkFailure ? error.reason : 'error'
        this.deps.metrics.fallbacks.inc(
          { model: this.name, from: `${link.model.name}@${link.model.version}`, to, reason },
          rows.length,
        )
        if (reason === 'error')
          this.deps.onWarn(`model ${link.model.name}@${link.model.version} failed`, error)
      }
    }
    if (outputs === undefined) {
      const fixed = this.config.default
      if (fixed === undefined) throw new ModelUnavailableError(this.name, lastError)
      const answer: ModelOutput =
        fixed.probabilities === undefined
          ? { prediction: fixed.prediction }
          : { prediction: fixed.prediction, probabilities: fixed.probabilities }
      outputs = rows.map(() => answer)
      servedBy = 'default'
    }

    // 4. Explanations come from the model that answered (none for a static default).
    let explanations: (readonly Contribution[] | undefined)[] | undefined
    if (request.explainTop !== undefined && answered?.model.explain !== undefined) {
      const explainer = answered.model
      explanations = await Promise.all(rows.map((r) => explainer.explain!(r, request.explainTop!)))
    }

    // 5. Results, log entries, metrics.
    const now = Date.now()
    const latencyMs = performance.now() - startedAt
    const answerModel = answered?.model ?? primary.model
    const version = answered === undefined ? 0 : answerModel.version
    const modelName = answered === undefined ? this.name : answerModel.name
    const results: PredictionResult[] = new Array(rows.length)
    const versionLabel = String(version)
    labels.version = versionLabel
    const scoreHist = scoreMetrics(this.deps.metrics, this.name, versionLabel, variant)
    const answers = outputs
    const log = this.deps.log
    const requestKey = request.requestKey ?? null
    const loggedServedBy =
      servedBy === 'primary'
        ? 'primary'
        : `${servedBy}:${answered === undefined ? 'default' : `${modelName}@${version}`}`
    // A row that validation passed through as sent is logged as its own JSON text (no re-encoding).
    const texts = log === undefined ? undefined : sentRowTexts(request, rows)
    // Per-row work of a batch: plain object literals (no spreads), one UUID, one log row.
    for (let i = 0; i < rows.length; i++) {
      const out = answers[i]!
      const id = predictionId()
      const score = scoreOf(out, answerModel.task, answerModel.classes)
      const explanation = explanations?.[i]
      const result: Mutable<PredictionResult> =
        out.probabilities === undefined
          ? { predictionId: id, prediction: out.prediction, model: modelName, version, variant, servedBy }
          : {
              predictionId: id,
              prediction: out.prediction,
              probabilities: out.probabilities,
              model: modelName,
              version,
              variant,
              servedBy,
            }
      if (explanation !== undefined) result.explanation = explanation
      results[i] = result
      if (score !== null) scoreHist.observe(score)
      log?.append({
        id,
        ts: now,
        model: this.name,
        version,
        variant,
        experimentId,
        requestKey,
        features: rows[i],
        featuresJson: texts?.[i],
        output: out,
        score,
        latencyMs,
        servedBy: loggedServedBy,
        shadowOf: null,
      })
    }
    scoreHist.rows(rows.length)
    if (this.config.shadow.length > 0) this.scheduleShadows(request, rows, results)
    return results
  }

  private recordCanary(isError: boolean, latencyMs: number): void {
    const canary = this.canary
    if (canary === undefined || canary.rolledBack) return
    // With a ledger the cluster decides on its tick, from every replica's counts.
    const ledger = this.deps.canaryLedger
    if (ledger !== undefined) {
      ledger.record(this.name, isError, latencyMs)
      return
    }
    const reason = canary.record(isError, latencyMs)
    if (reason !== undefined)
      this.onCanaryRollback(canary, { reason, decidedBy: 'this process', decidedHere: true })
  }

  /** The process that decided counts the rollback; the others say they follow the cluster. */
  private onCanaryRollback(canary: CanaryMonitor, rollback: CanaryRollback): void {
    const what = `canary ${canary.config.ref} of '${this.name}'`
    if (rollback.decidedHere) {
      this.deps.metrics.canaryRollbacks.inc({ model: this.name, ref: canary.config.ref })
      this.deps.onWarn(`${what} rolled back: ${rollback.reason}`)
    } else
      this.deps.onWarn(
        `${what} rolled back by replica ${rollback.decidedBy}; following the cluster's decision: ${rollback.reason}`,
      )
  }

  private scheduleShadows(
    request: PredictRequest,
    rows: readonly FeatureRow[],
    results: PredictionResult[],
  ): void {
    for (const shadow of this.config.shadow) {
      if (shadow.sampleRate < 1 && Math.random() >= shadow.sampleRate) continue
      const job = new Promise<void>((resolve) => {
        // setImmediate runs after the response is written: shadows never add to request latency.
        setImmediate(() => {
          this.runShadow(shadow.ref, request, rows, results).then(resolve, (error) => {
            this.deps.onWarn(`shadow ${shadow.ref} failed`, error)
            resolve()
          })
        })
      })
      this.pendingShadows.add(job)
      void job.finally(() => this.pendingShadows.delete(job))
    }
  }

  private async runShadow(
    ref: string,
    request: PredictRequest,
    rows: readonly FeatureRow[],
    results: readonly PredictionResult[],
  ): Promise<void> {
    const link = this.deps.manager.get(ref)
    const metrics = this.deps.metrics
    const label = { model: this.name, shadow: ref }
    if (link === undefined) {
      metrics.shadow.inc({ ...label, outcome: 'error' }, rows.length)
      return
    }
    const started = performance.now()
    let outputs: readonly ModelOutput[]
    try {
      const input =
        link.model.features === this.deps.manager.get(this.config.ref)?.model.features
          ? rows
          : revalidateRows(link, request.rows, this.ignoredFields())
      outputs = await callModel(link, input, this.config.timeoutMs)
    } catch {
      metrics.shadow.inc({ ...label, outcome: 'error' }, rows.length)
      return
    }
    const latencyMs = performance.now() - started
    const now = Date.now()
    for (let i = 0; i < rows.length; i++) {
      const out = outputs[i]!
      const primary = results[i]!
      const agree =
        typeof out.prediction === 'number' && typeof primary.prediction === 'number'
          ? Math.abs(out.prediction - primary.prediction) <= 1e-9 + 0.01 * Math.abs(primary.prediction)
          : out.prediction === primary.prediction
      metrics.shadow.inc({ ...label, outcome: agree ? 'agree' : 'disagree' })
      this.deps.log?.append({
        id: predictionId(),
        ts: now,
        model: this.name,
        version: link.model.version,
        variant: 'shadow',
        experimentId: null,
        requestKey: request.requestKey ?? null,
        features: rows[i],
        output: out,
        score: scoreOf(out, link.model.task, link.model.classes),
        latencyMs,
        servedBy: `shadow:${link.model.name}@${link.model.version}`,
        shadowOf: primary.predictionId,
      })
    }
  }
}
