import type { Artifact } from '../core/index.js'
import { ArtifactError, checkArtifact } from '../core/index.js'
import type { FittedModel } from './estimator.js'

/** Reads one kind of model artifact. Readers validate state themselves. */
export type ModelReader = (artifact: Artifact<unknown, unknown>) => FittedModel

const READERS = new Map<string, ModelReader>()

/**
 * Adds the reader for one artifact `kind`. Each model module registers its own reader when its
 * folder index is imported; artifacts never name code, only a kind looked up in this table.
 */
export function registerModelReader(kind: string, reader: ModelReader): void {
  READERS.set(kind, reader)
}

/** Loads a fitted model from a parsed artifact (a plain object, e.g. from JSON.parse). */
export function loadModel(value: unknown): FittedModel {
  const artifact = checkArtifact(value, { format: 'model', maxVersion: Number.MAX_SAFE_INTEGER })
  const reader = READERS.get(artifact.kind)
  if (reader === undefined) {
    throw new ArtifactError(
      'ARTIFACT_KIND_UNKNOWN',
      `No reader for model kind '${artifact.kind}'. Known kinds: ${[...READERS.keys()].sort().join(', ') || '(none)'}.`,
    )
  }
  return reader(artifact)
}
