/** A JSON-serialisable value: what params, schemas and other free-form run fields may hold. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue }

/** Lifecycle of a run: `running` until `finishRun` records how it ended. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'killed'

/** The statuses a run can end with. */
export type FinalRunStatus = Exclude<RunStatus, 'running'>

/** An experiment: a named group of runs. */
export interface ExperimentRecord {
  readonly name: string
  readonly description: string | null
  readonly createdAt: string
  readonly runCount: number
}

/** What `createRun` records at the start of a run. Everything but `experiment` is optional. */
export interface CreateRunInput {
  /** Experiment name; created on first use. */
  readonly experiment: string
  /** Human-readable run name (not unique). */
  readonly name?: string
  readonly params?: Readonly<Record<string, JsonValue>>
  readonly tags?: Readonly<Record<string, string>>
  readonly seed?: number | null
  /** Content hash of the training data (see the data capability). */
  readonly datasetFingerprint?: string | null
  /** The data schema the run trained on (any JSON). */
  readonly schema?: JsonValue
  /** Git commit; omitted means "detect with `git rev-parse HEAD`", `null` means none. */
  readonly gitCommit?: string | null
  /** Package → version; defaults to keel-ml and Node versions. */
  readonly packageVersions?: Readonly<Record<string, string>>
  /** Defaults to `os.hostname()`. */
  readonly host?: string
  /** Who started the run; defaults to `$USER`. */
  readonly user?: string
  /** Start time; defaults to now. Mostly for imports and benchmarks. */
  readonly startedAt?: Date
}

/** One point of a metric series (per iteration or epoch). */
export interface MetricPoint {
  readonly step: number
  readonly value: number
  /** Epoch milliseconds when it was logged. */
  readonly timestampMs?: number
}

/** How a run ended, recorded by `finishRun`. */
export interface FinishRunInput {
  readonly status: FinalRunStatus
  /** Named durations in milliseconds (e.g. `{ fit: 1200, tune: 54000 }`). Merged with earlier ones. */
  readonly timingsMs?: Readonly<Record<string, number>>
  /** Why a run failed (one line). */
  readonly error?: string
  /** End time; defaults to now. */
  readonly finishedAt?: Date
}

/** An artifact to attach to a run: a file kept where it is (by path), or bytes stored in the database. */
export type ArtifactInput =
  | { readonly kind: 'path'; readonly name: string; readonly path: string; readonly contentType?: string }
  | {
      readonly kind: 'bytes'
      readonly name: string
      readonly bytes: Uint8Array
      readonly contentType?: string
    }

/** A run's artifact as recorded (bytes are fetched separately with `getArtifact`). */
export interface ArtifactRecord {
  readonly name: string
  /** File path for `path` artifacts; null when the bytes are stored in the database. */
  readonly path: string | null
  readonly sha256: string
  readonly sizeBytes: number
  readonly contentType: string | null
  readonly isStored: boolean
  readonly createdAt: string
}

/** A free-text note on a run. */
export interface RunNote {
  readonly text: string
  readonly author: string
  readonly createdAt: string
}

/** A run as listed: identity, status, provenance, params, final metrics and tags. */
export interface RunRecord {
  readonly id: string
  readonly experiment: string
  readonly name: string | null
  readonly status: RunStatus
  readonly startedAt: string
  readonly finishedAt: string | null
  /** Wall time from start to finish; null while running. */
  readonly durationMs: number | null
  readonly user: string
  readonly host: string
  readonly seed: number | null
  readonly datasetFingerprint: string | null
  readonly gitCommit: string | null
  readonly packageVersions: Readonly<Record<string, string>>
  readonly timingsMs: Readonly<Record<string, number>>
  readonly error: string | null
  readonly params: Readonly<Record<string, JsonValue>>
  /** Final metrics. NaN is stored and returned as NaN. */
  readonly metrics: Readonly<Record<string, number>>
  readonly tags: Readonly<Record<string, string>>
}

/** A run with everything recorded about it. */
export interface RunDetail extends RunRecord {
  readonly schema: JsonValue | null
  /** Metric series by key, ordered by step. */
  readonly series: Readonly<Record<string, readonly MetricPoint[]>>
  readonly artifacts: readonly ArtifactRecord[]
  readonly notes: readonly RunNote[]
}

/** Comparison operators of a metric filter. */
export type FilterOperator = '>' | '>=' | '<' | '<=' | '=' | '!='

/** `metric OP value`, e.g. `roc_auc > 0.8` (parse text with `parseMetricFilter`). */
export interface MetricFilter {
  readonly metric: string
  readonly op: FilterOperator
  readonly value: number
}

/** What `listRuns` returns; every field narrows the result (AND). */
export interface ListRunsQuery {
  readonly experiment?: string
  /** Tag equality filters (`{ model: 'gbdt' }`). */
  readonly tags?: Readonly<Record<string, string>>
  /** Metric filters, as objects or text such as `'roc_auc>0.8'`. */
  readonly metrics?: readonly (MetricFilter | string)[]
  readonly status?: RunStatus
  /** Runs started at or after this time. */
  readonly since?: Date
  /** Runs started before this time. */
  readonly until?: Date
  /** Order by a metric (runs without it last); default newest first. */
  readonly orderBy?: { readonly metric: string; readonly direction?: 'asc' | 'desc' }
  readonly limit?: number
  readonly offset?: number
}

/** One row of a run comparison: a param or metric with its value in each compared run. */
export interface ComparisonRow<V> {
  readonly key: string
  /** One entry per compared run, in the order asked; null where the run lacks the key. */
  readonly values: readonly (V | null)[]
  /** True when not every run has the same value. */
  readonly differs: boolean
}

/** Side-by-side view of several runs. */
export interface RunComparison {
  readonly runs: readonly RunRecord[]
  readonly params: readonly ComparisonRow<JsonValue>[]
  readonly metrics: readonly ComparisonRow<number>[]
  readonly tags: readonly ComparisonRow<string>[]
}
