import type { TrackingStore } from './store.js'
import type {
  ArtifactInput,
  ArtifactRecord,
  CreateRunInput,
  FinishRunInput,
  JsonValue,
  MetricPoint,
  RunRecord,
} from './types.js'

/** A started run with the store's logging methods bound to its id. */
export interface ActiveRun {
  readonly id: string
  readonly record: RunRecord
  logParams(params: Readonly<Record<string, JsonValue>>): Promise<void>
  logMetrics(metrics: Readonly<Record<string, number>>): Promise<void>
  logMetricSeries(
    key: string,
    points: ArrayLike<number> | readonly MetricPoint[],
    options?: { readonly startStep?: number },
  ): Promise<void>
  setTags(tags: Readonly<Record<string, string>>): Promise<void>
  annotate(text: string): Promise<void>
  logArtifact(artifact: ArtifactInput): Promise<ArtifactRecord>
  finish(input: FinishRunInput): Promise<RunRecord>
}

/** Creates a run and returns a handle whose methods log to it. */
export async function startRun(store: TrackingStore, input: CreateRunInput): Promise<ActiveRun> {
  const record = await store.createRun(input)
  const id = record.id
  return {
    id,
    record,
    logParams: (params) => store.logParams(id, params),
    logMetrics: (metrics) => store.logMetrics(id, metrics),
    logMetricSeries: (key, points, options) => store.logMetricSeries(id, key, points, options),
    setTags: (tags) => store.setTags(id, tags),
    annotate: (text) => store.annotate(id, text),
    logArtifact: (artifact) => store.logArtifact(id, artifact),
    finish: (finishInput) => store.finishRun(id, finishInput),
  }
}

/**
 * Runs `body` inside a new run: the run is finished as `finished` when `body` resolves (unless
 * `body` finished it itself), or as `failed` with the error's message when it throws, and the
 * error is re-thrown.
 */
export async function withRun<T>(
  store: TrackingStore,
  input: CreateRunInput,
  body: (run: ActiveRun) => Promise<T>,
): Promise<T> {
  const run = await startRun(store, input)
  let isFinished = false
  const handle: ActiveRun = {
    ...run,
    finish: async (finishInput) => {
      isFinished = true
      return run.finish(finishInput)
    },
  }
  let result: T
  try {
    result = await body(handle)
  } catch (error) {
    // Record the failure on the run, then let the caller see the original error.
    if (!isFinished) {
      const message = error instanceof Error ? error.message : String(error)
      await run.finish({ status: 'failed', error: message.split('\n')[0] ?? message })
    }
    throw error
  }
  if (!isFinished) await run.finish({ status: 'finished' })
  return result
}
