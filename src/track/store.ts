import type {
  ArtifactInput,
  ArtifactRecord,
  CreateRunInput,
  ExperimentRecord,
  FinishRunInput,
  JsonValue,
  ListRunsQuery,
  MetricPoint,
  RunComparison,
  RunDetail,
  RunRecord,
} from './types.js'

/**
 * Where experiments and runs are recorded. One implementation (`SqlTrackingStore`) serves SQLite
 * and PostgreSQL through Kysely; `openTrackingStore` picks the database from a URL.
 *
 * Every method that takes a `runId` also accepts a unique prefix of at least 6 characters, and
 * throws `RunNotFoundError` (code `NOT_FOUND`) for an unknown run.
 */
export interface TrackingStore {
  /** Creates an experiment; throws `ConflictError` if the name is taken. */
  createExperiment(name: string, description?: string): Promise<ExperimentRecord>
  /** Returns the experiment, creating it first if needed. */
  getOrCreateExperiment(name: string): Promise<ExperimentRecord>
  listExperiments(): Promise<readonly ExperimentRecord[]>

  /** Starts a run (status `running`) and returns it. */
  createRun(input: CreateRunInput): Promise<RunRecord>
  /** Adds or overwrites params. */
  logParams(runId: string, params: Readonly<Record<string, JsonValue>>): Promise<void>
  /** Adds or overwrites final metrics. */
  logMetrics(runId: string, metrics: Readonly<Record<string, number>>): Promise<void>
  /**
   * Adds points of a step-indexed metric series (per iteration or epoch). Plain numbers get steps
   * `startStep`, `startStep + 1`, …; a point logged again at the same step replaces the old one.
   */
  logMetricSeries(
    runId: string,
    key: string,
    points: ArrayLike<number> | readonly MetricPoint[],
    options?: { readonly startStep?: number },
  ): Promise<void>
  /** Adds or overwrites tags. */
  setTags(runId: string, tags: Readonly<Record<string, string>>): Promise<void>
  /** Appends a free-text note to a run. */
  annotate(runId: string, text: string, options?: { readonly author?: string }): Promise<void>
  /** Records an artifact (a path with its hash, or bytes stored in the database). */
  logArtifact(runId: string, artifact: ArtifactInput): Promise<ArtifactRecord>
  /** Reads an artifact's bytes, checking the recorded SHA-256; throws `ArtifactTamperedError`. */
  getArtifact(runId: string, name: string): Promise<Uint8Array>
  /** Records how the run ended, its end time and timings. */
  finishRun(runId: string, input: FinishRunInput): Promise<RunRecord>

  /** A run with its series, artifacts and notes. */
  getRun(runId: string): Promise<RunDetail>
  /** Runs matching every filter in `query`, newest first unless ordered by a metric. */
  listRuns(query?: ListRunsQuery): Promise<readonly RunRecord[]>
  /** Params, metrics and tags of several runs side by side (in the order given). */
  compareRuns(runIds: readonly string[]): Promise<RunComparison>

  /** Closes the connection if this store opened it. */
  close(): Promise<void>
}
