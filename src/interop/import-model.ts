import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { basename, extname } from 'node:path'
import { AppError } from '../core/index.js'
import { type Column, type ColumnKind, type Dataset, fingerprintDataset, loadDataset } from '../data/index.js'
import { isClassifier, type TaskKind } from '../models/index.js'
import {
  type BundleFeature,
  buildReferenceProfile,
  type EncodedFeature,
  FeatureEncoder,
  ModelBundle,
} from '../pipeline/index.js'
import { type ModelCard, openRegistry } from '../registry/index.js'
import { openTrackingStore } from '../track/index.js'
import {
  computeMetrics,
  defaultMetrics,
  type MetricValues,
  measureSingleRowLatencyMs,
} from '../train/index.js'
import { importLightgbm } from './lightgbm.js'
import { importOnnx } from './onnx.js'
import type { ImportedModel, ImportFormat } from './types.js'
import { importXgboost } from './xgboost.js'

/** One feature of a `--schema-json` file. */
export interface SchemaJsonFeature {
  readonly name: string
  readonly kind: ColumnKind
  /** Category levels in the code order the model was trained with (code i = levels[i]). */
  readonly levels?: readonly string[]
}

/** Options of `importModel` (`keel import`). */
export interface ImportModelOptions {
  /** The model file. */
  readonly file: string
  /** Registry name of the new version. */
  readonly name: string
  /** File format; detected from the content when absent. */
  readonly format?: ImportFormat
  /** A sample of the model's input (CSV, Parquet, JSON lines): feature names, types and a reference profile. */
  readonly schemaPath?: string
  /** A JSON file listing the features (`[{ name, kind, levels? }]`), instead of a sample. */
  readonly schemaJsonPath?: string
  /** The label column in the sample: left out of the features; scores the import when present. */
  readonly target?: string
  /** What the model predicts; required for an ONNX graph with one output column. */
  readonly task?: TaskKind
  /** ONNX: the one-column (or k-column) output is a logit, not a probability. */
  readonly logits?: boolean
  /** The positive class's label (binary); default: `1`, else the sample's minority label. */
  readonly positiveLabel?: string
  /** Class labels in the model's class-code order (multiclass). */
  readonly classes?: readonly string[]
  /** Store URL (default: $KEEL_DATABASE_URL or the embedded SQLite). */
  readonly storeUrl?: string
  /** Progress notes (one line each). */
  readonly onProgress?: (message: string) => void
}

/** What `keel import --json` prints. */
export interface ImportModelResult {
  /** `name@version`: what `keel predict --model` and `keel serve --models` accept. */
  readonly model: string
  readonly name: string
  readonly version: number
  readonly runId: string
  readonly format: ImportFormat
  readonly producer: string
  readonly task: TaskKind
  readonly classes: readonly string[]
  readonly features: readonly { readonly name: string; readonly kind: ColumnKind }[]
  readonly sha256: string
  readonly artifactBytes: number
  /** Scores of the imported model on the sample, when it has the target column. */
  readonly metrics: MetricValues
  readonly latencyMs: number
  readonly notes: readonly string[]
}

/** Reads a model file of another runtime (XGBoost JSON, LightGBM text, ONNX) as a Keel model. */
export async function readForeignModel(
  bytes: Uint8Array,
  options: {
    readonly format?: ImportFormat
    readonly fileName?: string
    readonly task?: TaskKind
    readonly logits?: boolean
    readonly nClasses?: number
    readonly featureNames?: readonly string[]
  } = {},
): Promise<ImportedModel> {
  const format = options.format ?? detectFormat(bytes, options.fileName ?? '')
  if (format === 'onnx') {
    return importOnnx(bytes, {
      ...(options.task === undefined ? {} : { task: options.task }),
      ...(options.logits === undefined ? {} : { logits: options.logits }),
      ...(options.nClasses === undefined ? {} : { nClasses: options.nClasses }),
      ...(options.featureNames === undefined ? {} : { featureNames: options.featureNames }),
    })
  }
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
  return format === 'xgboost' ? importXgboost(text) : importLightgbm(text)
}

/**
 * Which format a model file is in, from its first bytes: XGBoost JSON starts with `{` and holds a
 * `learner`; LightGBM text models start with `tree` and a `version=` line; anything else binary
 * is read as ONNX (a protobuf). The extension breaks no ties: files are often renamed.
 */
export function detectFormat(bytes: Uint8Array, fileName = ''): ImportFormat {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('utf8')
  const trimmed = head.trimStart()
  if (trimmed.startsWith('{')) {
    if (trimmed.includes('"learner"')) return 'xgboost'
    throw new AppError(
      'IMPORT_FORMAT_UNKNOWN',
      `${fileName || 'The file'} is JSON but not an XGBoost model (no "learner"); pass --format.`,
    )
  }
  if (/^tree\r?\n/.test(trimmed) || /^version=v\d/m.test(head.slice(0, 200))) return 'lightgbm'
  const ext = extname(fileName).toLowerCase()
  if (ext === '.ubj' || ext === '.model' || ext === '.bin' || ext === '.deprecated')
    throw new AppError(
      'IMPORT_FORMAT_UNKNOWN',
      `${fileName} looks like a binary XGBoost model: save it as JSON in Python with booster.save_model("model.json") and import that.`,
    )
  return 'onnx'
}

/**
 * Imports a model trained elsewhere: converts the file (XGBoost and LightGBM trees into Keel's own
 * packed forest, ONNX graphs onto onnxruntime), maps its inputs from named features (a sample or a
 * schema file), records an import run with the reference profile monitoring needs, and registers a
 * new version whose model card says where it came from. From then on it is served, explained
 * (trees), monitored and promoted like a model Keel trained.
 */
export async function importModel(options: ImportModelOptions): Promise<ImportModelResult> {
  const note = options.onProgress ?? (() => undefined)
  let bytes: Uint8Array
  try {
    bytes = readFileSync(options.file)
  } catch (error) {
    throw new AppError(
      'IMPORT_FILE_UNREADABLE',
      `Cannot read the model file ${options.file}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  if (options.schemaPath !== undefined && options.schemaJsonPath !== undefined)
    throw new AppError(
      'IMPORT_SCHEMA_INVALID',
      'Give the features once: --schema SAMPLE or --schema-json FILE, not both.',
    )
  const sample = options.schemaPath === undefined ? undefined : await loadSample(options.schemaPath)
  if (
    options.target !== undefined &&
    sample !== undefined &&
    !sample.columns.some((c) => c.name === options.target)
  )
    throw new AppError(
      'IMPORT_SCHEMA_MISMATCH',
      `The target column '${options.target}' is not in ${options.schemaPath} (columns: ${sample.columns.map((c) => c.name).join(', ')}).`,
    )
  const schemaJson = options.schemaJsonPath === undefined ? undefined : readSchemaJson(options.schemaJsonPath)
  const candidates = candidateFeatures(sample, schemaJson, options.target)

  note(`reading ${basename(options.file)}`)
  const imported = await readForeignModel(bytes, {
    fileName: options.file,
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(options.task === undefined ? {} : { task: options.task }),
    ...(options.logits === undefined ? {} : { logits: options.logits }),
    ...(options.classes === undefined ? {} : { nClasses: options.classes.length }),
    ...(candidates === undefined ? {} : { featureNames: candidates.map((c) => c.name) }),
  })
  try {
    return await registerImported(options, imported, { bytes, sha256, sample, candidates })
  } finally {
    // An ONNX graph holds a runtime thread; the registered version is loaded afresh when served.
    await imported.model.close?.()
  }
}

/** Wraps a converted model with its encoder and labels, scores the sample, records and registers it. */
async function registerImported(
  options: ImportModelOptions,
  imported: ImportedModel,
  input: {
    readonly bytes: Uint8Array
    readonly sha256: string
    readonly sample: Dataset | undefined
    readonly candidates: CandidateFeature[] | undefined
  },
): Promise<ImportModelResult> {
  const { bytes, sha256, sample, candidates } = input
  const note = options.onProgress ?? (() => undefined)
  if (options.task !== undefined && options.task !== imported.task)
    throw new AppError(
      'IMPORT_SCHEMA_MISMATCH',
      `--task ${options.task} does not match the model file, which is a ${imported.task} model.`,
    )
  const features = mapFeatures(imported, candidates)
  const encoder = FeatureEncoder.fromState({ mode: 'codes', features: features.map((f) => f.encoded) })
  const targetColumn =
    sample === undefined || options.target === undefined
      ? undefined
      : sample.columns.find((c) => c.name === options.target)
  const classes = resolveClasses(imported, targetColumn, options)
  const bundle = new ModelBundle({
    task: imported.task,
    target: options.target ?? 'prediction',
    classes,
    features: features.map((f) => f.bundle),
    encoder,
    model: imported.model,
    threshold: 0.5,
    family: `imported-${imported.format}`,
  })

  // Score the sample: a check that the inputs line up (a model fed the wrong columns scores like a
  // coin), the reference profile's prediction distribution, and the card's metrics.
  let metrics: MetricValues = {}
  let scores: Float64Array | undefined
  if (sample !== undefined) {
    note(`scoring the sample (${sample.nRows} rows)`)
    const out = bundle.predictDataset(sample)
    scores =
      out.positive ??
      (imported.task === 'regression' ? Float64Array.from(out.labels as readonly number[]) : undefined)
    if (targetColumn !== undefined) {
      const y = targetCodes(targetColumn, classes, imported.task)
      const keep = [...y.keys()].filter((i) => !Number.isNaN(y[i]!))
      if (keep.length > 0) {
        const yk = Float64Array.from(keep, (i) => y[i]!)
        const names = defaultMetrics(imported.task)
        metrics =
          out.proba !== undefined
            ? computeMetrics(imported.task, names, yk, { proba: selectProba(out.proba, keep) })
            : computeMetrics(imported.task, names, yk, {
                values: Float64Array.from(keep, (i) => Number(out.labels[i])),
              })
      }
    }
  }
  const artifact = bundle.toBytes()
  const latencyMs = sample === undefined ? Number.NaN : measureSingleRowLatencyMs(bundle, sample)

  const store = await openTrackingStore(options.storeUrl)
  let runId: string
  let version: number
  try {
    const fingerprint = sample === undefined ? undefined : fingerprintDataset(sample)
    const run = await store.createRun({
      experiment: options.name,
      name: `${options.name}-import`,
      params: { format: imported.format, producer: imported.producer, file: basename(options.file), sha256 },
      tags: { source: 'import', format: imported.format, task: imported.task },
      ...(fingerprint === undefined ? {} : { datasetFingerprint: fingerprint }),
    })
    runId = run.id
    if (Object.keys(metrics).length > 0) await store.logMetrics(run.id, prefixed(metrics, 'sample_'))
    await store.logArtifact(run.id, {
      kind: 'bytes',
      name: 'model.keel',
      bytes: artifact,
      contentType: 'application/octet-stream',
    })
    // The producer's file itself, so the version can always be traced back and re-imported.
    await store.logArtifact(run.id, {
      kind: 'bytes',
      name: `source${extname(options.file) || (imported.format === 'onnx' ? '.onnx' : '.txt')}`,
      bytes,
      contentType: 'application/octet-stream',
    })
    if (sample !== undefined) {
      note('building the reference profile for monitoring')
      const importance = importanceByName(imported)
      const profile = buildReferenceProfile(
        sample,
        features.map((f) => f.bundle.name),
        scores,
        Object.keys(metrics).length > 0 ? metrics : undefined,
        importance === undefined ? {} : { importance },
      )
      await store.logArtifact(run.id, {
        kind: 'bytes',
        name: 'reference-profile.json',
        bytes: Buffer.from(JSON.stringify(profile)),
        contentType: 'application/json',
      })
    }
    note('registering the model version')
    const registry = await openRegistry(options.storeUrl)
    try {
      version = (
        await registry.registerVersion({
          name: options.name,
          runId: run.id,
          artifact,
          featureSchema: bundle.features.map((f) => ({ ...f })),
          metrics,
          modelCard: importCard(options, imported, {
            classes,
            sha256,
            bytes: bytes.byteLength,
            metrics,
            ...(sample === undefined ? {} : { sampleRows: sample.nRows }),
            ...(fingerprint === undefined ? {} : { fingerprint }),
          }),
          description: `Imported from ${basename(options.file)} (${imported.producer})`,
        })
      ).version
    } finally {
      await registry.close()
    }
    await store.finishRun(run.id, { status: 'finished' })
  } finally {
    await store.close()
  }
  return {
    model: `${options.name}@${version}`,
    name: options.name,
    version,
    runId,
    format: imported.format,
    producer: imported.producer,
    task: imported.task,
    classes,
    features: features.map((f) => ({ name: f.bundle.name, kind: f.bundle.kind })),
    sha256,
    artifactBytes: artifact.byteLength,
    metrics,
    latencyMs,
    notes: imported.notes,
  }
}

async function loadSample(path: string): Promise<Dataset> {
  try {
    return await loadDataset(path)
  } catch (error) {
    if (error instanceof AppError) throw error
    throw new AppError(
      'IMPORT_SCHEMA_INVALID',
      `Cannot read the schema sample ${path}: ${(error as Error).message}`,
      { cause: error },
    )
  }
}

function readSchemaJson(path: string): SchemaJsonFeature[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new AppError(
      'IMPORT_SCHEMA_INVALID',
      `Cannot read the schema file ${path}: ${(error as Error).message}`,
      { cause: error },
    )
  }
  const list = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' &&
        parsed !== null &&
        Array.isArray((parsed as { features?: unknown }).features)
      ? (parsed as { features: unknown[] }).features
      : undefined
  if (list === undefined)
    throw new AppError(
      'IMPORT_SCHEMA_INVALID',
      `${path} must hold a list of features, e.g. [{"name": "age", "kind": "numeric"}, {"name": "plan", "kind": "categorical", "levels": ["basic", "pro"]}].`,
    )
  return list.map((item, i) => {
    const f = item as Partial<SchemaJsonFeature>
    const kinds: readonly ColumnKind[] = ['numeric', 'categorical', 'boolean']
    if (typeof f.name !== 'string' || f.name === '')
      throw new AppError('IMPORT_SCHEMA_INVALID', `${path}: feature ${i} has no name.`)
    const kind = f.kind ?? 'numeric'
    if (!kinds.includes(kind))
      throw new AppError(
        'IMPORT_SCHEMA_INVALID',
        `${path}: feature '${f.name}' has kind '${String(kind)}'; use one of ${kinds.join(', ')}.`,
      )
    if (f.levels !== undefined && (!Array.isArray(f.levels) || f.levels.some((l) => typeof l !== 'string')))
      throw new AppError('IMPORT_SCHEMA_INVALID', `${path}: levels of '${f.name}' must be a list of strings.`)
    return { name: f.name, kind, ...(f.levels === undefined ? {} : { levels: f.levels }) }
  })
}

/** A feature as the sample or schema file describes it. */
interface CandidateFeature {
  readonly name: string
  readonly kind: ColumnKind
  readonly levels?: readonly string[]
  /** Whether the sample had missing values here (undefined: unknown). */
  readonly hadMissing?: boolean
}

function candidateFeatures(
  sample: Dataset | undefined,
  schemaJson: readonly SchemaJsonFeature[] | undefined,
  target: string | undefined,
): CandidateFeature[] | undefined {
  if (schemaJson !== undefined) return schemaJson.filter((f) => f.name !== target)
  if (sample === undefined) return undefined
  return sample.columns
    .filter((c) => c.name !== target)
    .map((c) => {
      if (c.kind === 'datetime')
        throw new AppError(
          'IMPORT_SCHEMA_INVALID',
          `Column '${c.name}' of the sample is a date; an imported model takes numbers: convert it to the number the model was trained on.`,
        )
      return {
        name: c.name,
        kind: c.kind,
        hadMissing: columnHasMissing(c),
        ...(c.kind === 'categorical' ? { levels: [...c.levels] } : {}),
      }
    })
}

function columnHasMissing(c: Column): boolean {
  if (c.kind === 'categorical') return c.codes.some((v) => v < 0)
  return c.values.some((v) => Number.isNaN(v))
}

/** The encoder and bundle entries of each model input, in the model's column order. */
function mapFeatures(
  imported: ImportedModel,
  candidates: readonly CandidateFeature[] | undefined,
): { encoded: EncodedFeature; bundle: BundleFeature }[] {
  const n = imported.featureNames.length
  let chosen: CandidateFeature[]
  if (candidates === undefined) {
    chosen = imported.featureNames.map((name) => ({ name, kind: 'numeric' as const }))
  } else if (imported.namedFeatures) {
    const byName = new Map(candidates.map((c) => [c.name, c]))
    const missing = imported.featureNames.filter((f) => !byName.has(f))
    if (missing.length > 0)
      throw new AppError(
        'IMPORT_SCHEMA_MISMATCH',
        `The model's inputs ${missing.map((m) => `'${m}'`).join(', ')} are not in the schema (it has ${candidates.map((c) => c.name).join(', ')}). The model takes, in order: ${imported.featureNames.join(', ')}.`,
      )
    chosen = imported.featureNames.map((f) => byName.get(f)!)
  } else {
    if (candidates.length !== n)
      throw new AppError(
        'IMPORT_SCHEMA_MISMATCH',
        `The model takes ${n} input columns; the schema has ${candidates.length} feature columns (${candidates.map((c) => c.name).join(', ')}). Leave the label out with --target, or give exactly the model's inputs in order.`,
      )
    chosen = [...candidates]
  }
  const categorical = new Set(imported.categoricalFeatures)
  return chosen.map((c, i) => {
    // Trees handle missing values natively; a graph gets NaN, so only accept missing values
    // where the sample shows the model was given them.
    const hadMissing = imported.format === 'onnx' ? (c.hadMissing ?? true) : true
    if (c.kind === 'categorical') {
      const levels = [...(c.levels ?? [])]
      if (levels.length === 0)
        throw new AppError(
          'IMPORT_SCHEMA_INVALID',
          `Categorical feature '${c.name}' has no levels: list them in --schema-json in the model's code order.`,
        )
      if (imported.format !== 'onnx' && !categorical.has(i) && imported.categoricalFeatures.length > 0)
        throw new AppError(
          'IMPORT_SCHEMA_MISMATCH',
          `Feature '${c.name}' is text in the schema but the model splits it as a number.`,
        )
      return {
        encoded: { name: c.name, kind: 'categorical', levels },
        bundle: { name: c.name, kind: 'categorical', levels, hadMissing },
      }
    }
    return { encoded: { name: c.name, kind: c.kind }, bundle: { name: c.name, kind: c.kind, hadMissing } }
  })
}

/** Class labels in the model's class-code order. */
function resolveClasses(
  imported: ImportedModel,
  target: Column | undefined,
  options: ImportModelOptions,
): string[] {
  if (imported.task === 'regression') return []
  const k = imported.nClasses ?? 2
  if (options.classes !== undefined) {
    if (options.classes.length !== k)
      throw new AppError(
        'IMPORT_SCHEMA_MISMATCH',
        `--classes lists ${options.classes.length} labels; the model has ${k} classes.`,
      )
    return [...options.classes]
  }
  const labels = target === undefined ? [] : labelCounts(target)
  if (imported.task === 'binary') {
    const names = labels.map((l) => l.label)
    if (options.positiveLabel !== undefined) {
      const other = names.find((l) => l !== options.positiveLabel) ?? `not ${options.positiveLabel}`
      return [other, options.positiveLabel]
    }
    if (labels.length === 0 || names.every((l) => l === '0' || l === '1')) return ['0', '1']
    if (labels.length !== 2)
      throw new AppError(
        'IMPORT_SCHEMA_MISMATCH',
        `The target column has ${labels.length} labels (${names.join(', ')}); a binary model needs 2.`,
      )
    if (names.includes('1')) return [names.find((l) => l !== '1')!, '1']
    // The positive class is the minority label (ties: the later label in sorted order).
    const [a, b] = [...labels].sort((x, y) => (x.label < y.label ? -1 : 1))
    return a!.count < b!.count ? [b!.label, a!.label] : [a!.label, b!.label]
  }
  if (labels.length === 0) return Array.from({ length: k }, (_, i) => String(i))
  const numeric = labels.every((l) => /^-?\d+$/.test(l.label))
  const sorted = labels
    .map((l) => l.label)
    .sort((x, y) => (numeric ? Number(x) - Number(y) : x < y ? -1 : x > y ? 1 : 0))
  if (numeric && sorted.every((l) => Number(l) >= 0 && Number(l) < k))
    return Array.from({ length: k }, (_, i) => String(i))
  if (sorted.length !== k)
    throw new AppError(
      'IMPORT_SCHEMA_MISMATCH',
      `The target column has ${sorted.length} labels; the model has ${k} classes. Give them in the model's order with --classes.`,
    )
  return sorted
}

function labelCounts(c: Column): { label: string; count: number }[] {
  const counts = new Map<string, number>()
  const add = (label: string): void => {
    counts.set(label, (counts.get(label) ?? 0) + 1)
  }
  if (c.kind === 'categorical') {
    for (const code of c.codes) if (code >= 0) add(c.levels[code]!)
  } else {
    for (const v of c.values) if (!Number.isNaN(v)) add(String(v))
  }
  return [...counts].map(([label, count]) => ({ label, count }))
}

/** The sample's labels as class codes (NaN when missing or unknown), or values for regression. */
function targetCodes(c: Column, classes: readonly string[], task: TaskKind): Float64Array {
  const n = c.kind === 'categorical' ? c.codes.length : c.values.length
  const out = new Float64Array(n).fill(Number.NaN)
  if (task === 'regression') {
    if (c.kind === 'categorical')
      throw new AppError(
        'IMPORT_SCHEMA_MISMATCH',
        `The target column '${c.name}' is text; a regression model needs numbers.`,
      )
    out.set(c.values)
    return out
  }
  const index = new Map(classes.map((l, i) => [l, i]))
  for (let i = 0; i < n; i++) {
    const label =
      c.kind === 'categorical' ? (c.codes[i]! < 0 ? undefined : c.levels[c.codes[i]!]) : String(c.values[i])
    const code = label === undefined ? undefined : index.get(label)
    if (code !== undefined) out[i] = code
  }
  return out
}

function selectProba(
  proba: { rows: number; cols: number; data: Float64Array },
  keep: readonly number[],
): { rows: number; cols: number; data: Float64Array } {
  const k = proba.cols
  const data = new Float64Array(keep.length * k)
  for (let i = 0; i < keep.length; i++) data.set(proba.data.subarray(keep[i]! * k, keep[i]! * k + k), i * k)
  return { rows: keep.length, cols: k, data }
}

function prefixed(values: MetricValues, prefix: string): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}${k}`, v]))
}

/** Gain importance by feature name, normalised to sum 1 (what monitoring ranks drift alerts by). */
function importanceByName(imported: ImportedModel): Record<string, number> | undefined {
  const raw = imported.model.featureImportance?.('gain')
  if (raw === undefined) return undefined
  const total = raw.reduce((a, b) => a + b, 0)
  if (!(total > 0)) return undefined
  return Object.fromEntries(imported.featureNames.map((f, i) => [f, raw[i]! / total]))
}

function importCard(
  options: ImportModelOptions,
  imported: ImportedModel,
  facts: {
    readonly classes: readonly string[]
    readonly sha256: string
    readonly bytes: number
    readonly metrics: MetricValues
    readonly sampleRows?: number
    readonly fingerprint?: string
  },
): ModelCard {
  const target = options.target ?? 'prediction'
  const kind = isClassifier(imported.model) ? imported.task : 'regression'
  return {
    title: `${options.name}: ${kind} model imported from ${imported.format}`,
    task: {
      kind,
      target,
      ...(imported.task === 'binary' ? { positiveClass: facts.classes[1]! } : {}),
    },
    data: {
      source:
        options.schemaPath ??
        (options.schemaJsonPath === undefined
          ? 'unknown (trained elsewhere)'
          : `schema ${options.schemaJsonPath}`),
      ...(facts.sampleRows === undefined ? {} : { rows: facts.sampleRows }),
      ...(facts.fingerprint === undefined ? {} : { fingerprint: facts.fingerprint }),
      description: 'The model was trained outside Keel; its training data is not recorded here.',
    },
    intendedUse: {
      primary: `Serve the ${imported.format} model ${basename(options.file)} through Keel.`,
      outOfScope: ['Uses its producer did not validate it for.'],
    },
    model: { family: `imported-${imported.format}` },
    metrics: facts.metrics,
    metricsSplit:
      Object.keys(facts.metrics).length > 0
        ? `the import sample (${facts.sampleRows} rows; may overlap the producer's training data)`
        : 'none (no labelled sample given)',
    limitations: [
      'Trained outside Keel: no held-out evaluation is on record; score it on fresh labelled data before promoting.',
    ],
    origin: {
      format: imported.format,
      producer: imported.producer,
      file: basename(options.file),
      sha256: facts.sha256,
      bytes: facts.bytes,
      ...(imported.notes.length === 0 ? {} : { notes: [...imported.notes] }),
    },
  }
}
