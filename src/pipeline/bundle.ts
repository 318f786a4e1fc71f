import {
  AppError,
  type Artifact,
  ArtifactError,
  artifactFromBytes,
  artifactToBytes,
  isBinaryArtifact,
  LIBRARY_VERSION,
  type Matrix,
} from '../core/index.js'
import type { ColumnKind, Dataset } from '../data/index.js'
import { type FittedModel, isClassifier, loadModel, type TaskKind } from '../models/index.js'
import { FeatureEncoder, type FeatureEncoderState, type FeatureRecord } from './encoder.js'

/** One input feature as the served model expects it (used for request validation and docs). */
export interface BundleFeature {
  readonly name: string
  readonly kind: ColumnKind
  /** Training levels of a categorical feature. */
  readonly levels?: readonly string[]
  /** Whether training rows had missing values here; if not, serving requires a value. */
  readonly hadMissing?: boolean
}

/** Predictions for a batch of rows. */
export interface BundlePredictions {
  /** Predicted label (classification) or value (regression), one per row. */
  readonly labels: readonly (string | number)[]
  /** Class probabilities (rows × classes, columns in `classes` order); absent for regression. */
  readonly proba?: Matrix
  /** Positive-class probability for binary tasks. */
  readonly positive?: Float64Array
}

/** Serialised bundle (format 'pipeline'): encoder state + model artifact + label mapping. */
export interface BundleState {
  readonly task: TaskKind
  readonly target: string
  /** Label names in class-code order; for binary, index 1 is the positive class. */
  readonly classes: readonly string[]
  readonly features: readonly BundleFeature[]
  readonly encoder: FeatureEncoderState
  readonly model: Artifact
  /** Decision threshold on the positive-class probability (binary only). */
  readonly threshold: number
  readonly family: string
}

const BUNDLE_FORMAT_VERSION = 1

/**
 * A deployable model: the fitted feature encoder, the fitted estimator and the label mapping,
 * saved together so a JSON row or a file is scored exactly as at training time.
 */
export class ModelBundle {
  readonly task: TaskKind
  readonly target: string
  readonly classes: readonly string[]
  readonly features: readonly BundleFeature[]
  readonly encoder: FeatureEncoder
  readonly model: FittedModel
  /** Decision threshold on the positive-class probability (binary); set when an operating point is chosen. */
  threshold: number
  readonly family: string

  constructor(
    fields: Omit<BundleState, 'encoder' | 'model'> & { encoder: FeatureEncoder; model: FittedModel },
  ) {
    this.task = fields.task
    this.target = fields.target
    this.classes = fields.classes
    this.features = fields.features
    this.encoder = fields.encoder
    this.model = fields.model
    this.threshold = fields.threshold
    this.family = fields.family
  }

  /** Column names of the encoded matrix the model sees. */
  get encodedNames(): readonly string[] {
    return this.encoder.outputNames
  }

  /** Scores a dataset (columns matched by name). */
  predictDataset(ds: Dataset): BundlePredictions {
    return this.predictMatrix(this.encoder.encodeDataset(ds))
  }

  /** Scores JSON rows. */
  predictRecords(records: readonly FeatureRecord[]): BundlePredictions {
    return this.predictMatrix(this.encoder.encodeRecords(records))
  }

  /** Scores an already-encoded matrix. */
  predictMatrix(x: Matrix): BundlePredictions {
    const model = this.model
    if (!isClassifier(model)) {
      return { labels: Array.from(model.predict(x)) }
    }
    const proba = model.predictProba(x)
    const k = proba.cols
    const labels: string[] = new Array(x.rows)
    if (this.task === 'binary') {
      const positive = new Float64Array(x.rows)
      for (let r = 0; r < x.rows; r++) {
        const p = proba.data[r * k + 1]!
        positive[r] = p
        labels[r] = this.classes[p >= this.threshold ? 1 : 0]!
      }
      return { labels, proba, positive }
    }
    for (let r = 0; r < x.rows; r++) {
      let best = 0
      for (let c = 1; c < k; c++) if (proba.data[r * k + c]! > proba.data[r * k + best]!) best = c
      labels[r] = this.classes[best]!
    }
    return { labels, proba }
  }

  /** Releases the model's resources (an ONNX graph's runtime thread); a no-op for Keel's own models. */
  async close(): Promise<void> {
    await this.model.close?.()
  }

  /** The bundle as a code-free JSON artifact. */
  toArtifact(): Artifact<BundleState, Record<string, never>> {
    return {
      format: 'pipeline',
      formatVersion: BUNDLE_FORMAT_VERSION,
      kind: 'keel-bundle',
      params: {},
      featureNames: this.features.map((f) => f.name),
      library: LIBRARY_VERSION,
      state: {
        task: this.task,
        target: this.target,
        classes: this.classes,
        features: this.features,
        encoder: this.encoder.state,
        model: this.model.toArtifact(),
        threshold: this.threshold,
        family: this.family,
      },
    }
  }

  /** Serialises to JSON text (arrays as base64; `toBytes` is the compact form the registry stores). */
  toJSON(): string {
    return JSON.stringify(this.toArtifact())
  }

  /**
   * Serialises to the binary artifact format (what `keel train` registers): the same JSON document
   * with arrays as raw bytes after it, checksummed; see `artifactToBytes`.
   */
  toBytes(): Uint8Array {
    return artifactToBytes(this.toArtifact())
  }

  /**
   * Restores a bundle from its artifact: an object, JSON text, or bytes (binary artifact or UTF-8
   * JSON, as the registry returns them).
   */
  static load(value: unknown): ModelBundle {
    const parsed: unknown =
      value instanceof Uint8Array
        ? isBinaryArtifact(value)
          ? artifactFromBytes(value)
          : parseJson(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8'))
        : typeof value === 'string'
          ? parseJson(value)
          : value
    if (typeof parsed !== 'object' || parsed === null)
      throw new ArtifactError('ARTIFACT_INVALID', 'Model bundle is not a JSON object.')
    const a = parsed as Partial<Artifact<Partial<BundleState>>>
    if (a.format !== 'pipeline' || a.kind !== 'keel-bundle') {
      throw new ArtifactError(
        'ARTIFACT_INVALID',
        `Expected a keel-bundle pipeline artifact, got ${String(a.format)}/${String(a.kind)}.`,
      )
    }
    if (typeof a.formatVersion !== 'number' || a.formatVersion > BUNDLE_FORMAT_VERSION) {
      throw new ArtifactError(
        'ARTIFACT_VERSION_UNSUPPORTED',
        `Bundle formatVersion ${String(a.formatVersion)} is not supported by keel-ml ${LIBRARY_VERSION} (reads up to ${BUNDLE_FORMAT_VERSION}).`,
      )
    }
    const s = a.state
    if (
      s === undefined ||
      s.encoder === undefined ||
      s.model === undefined ||
      s.classes === undefined ||
      s.features === undefined
    ) {
      throw new ArtifactError(
        'ARTIFACT_INVALID',
        'Model bundle state is incomplete (encoder, model, classes, features).',
      )
    }
    return new ModelBundle({
      task: s.task ?? 'regression',
      target: s.target ?? 'target',
      classes: s.classes,
      features: s.features,
      encoder: FeatureEncoder.fromState(s.encoder),
      model: loadModel(s.model),
      threshold: s.threshold ?? 0.5,
      family: s.family ?? 'unknown',
    })
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new AppError('ARTIFACT_INVALID', `Model bundle is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    })
  }
}
