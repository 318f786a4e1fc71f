import { AppError, ArtifactError, InvalidArgumentError, NotFoundError } from '../core/index.js'

/** No run has this id (or unique id prefix). Code `NOT_FOUND`. */
export class RunNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`No run with id '${id}'. List runs with 'keel runs list'.`, { kind: 'run', id })
  }
}

/** No experiment has this name. Code `NOT_FOUND`. */
export class ExperimentNotFoundError extends NotFoundError {
  constructor(name: string) {
    super(`No experiment named '${name}'. List runs with 'keel runs list' to see experiment names.`, {
      kind: 'experiment',
      name,
    })
  }
}

/** A run id prefix matches several runs. Code `INVALID_ARGUMENT`. */
export class AmbiguousRunIdError extends InvalidArgumentError {
  constructor(prefix: string, matches: readonly string[]) {
    super(
      `Run id prefix '${prefix}' matches ${matches.length} runs (${matches.slice(0, 3).join(', ')}${matches.length > 3 ? ', ...' : ''}). Give more characters.`,
      { prefix, matches: matches.slice(0, 10) },
    )
  }
}

/** Creating something that already exists (an experiment name). Code `CONFLICT`. */
export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('CONFLICT', message, { details })
  }
}

/**
 * Stored bytes whose SHA-256 no longer matches the hash recorded when they were written: the
 * artifact was changed or corrupted after the fact, so it is refused. Code `ARTIFACT_TAMPERED`.
 */
export class ArtifactTamperedError extends ArtifactError {
  constructor(
    what: string,
    expectedSha256: string,
    actualSha256: string,
    details: Record<string, unknown> = {},
  ) {
    super(
      'ARTIFACT_TAMPERED',
      `Refusing ${what}: its SHA-256 is ${actualSha256.slice(0, 12)}… but ${expectedSha256.slice(0, 12)}… was recorded when it was stored. The artifact was modified or corrupted; re-register it from its run.`,
      { details: { ...details, expectedSha256, actualSha256 } },
    )
  }
}
