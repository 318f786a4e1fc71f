import type { ErrorCode } from './error-codes.js'

export type { ErrorCode } from './error-codes.js'

/**
 * Base error for everything Keel throws on purpose. `code` is stable and documented: it is one of
 * the catalogue's codes (src/core/error-codes.ts, docs/errors.md), so a new code is a compile
 * error until it is catalogued. `details` is structured data (never a stack trace) that the CLI
 * and server may show.
 */
export class AppError extends Error {
  readonly code: ErrorCode
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.code = code
    this.details = options.details ?? {}
  }

  /** A JSON-safe view of the error for logs, `--json` output and HTTP bodies. */
  toJSON(): { code: string; message: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, details: this.details }
  }
}

/** A model was used before it was fitted, or its fitted state failed to load. */
export class NotFittedError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('MODEL_NOT_FITTED', message, { details })
  }
}

/** Arguments or params that can never work (bad shape, out-of-range value). */
export class InvalidArgumentError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('INVALID_ARGUMENT', message, { details })
  }
}

/** Input data whose shape does not match what the model was fitted on. */
export class ShapeMismatchError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('DATA_SHAPE_MISMATCH', message, { details })
  }
}

/** An artifact that is malformed, tampered with, or of a version this reader cannot read. */
export class ArtifactError extends AppError {}

/** Something asked for by name (model, run, version, collection) does not exist. */
export class NotFoundError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('NOT_FOUND', message, { details })
  }
}

/**
 * An optional peer dependency (an SDK Keel loads only when a feature needs it) is not installed.
 * `details.package` names the npm package and `details.install` the command that fixes it.
 */
export class MissingDependencyError extends AppError {
  readonly packageName: string

  constructor(packageName: string, range: string, feature: string, cause?: unknown) {
    const install = `npm install ${packageName}@${range}`
    super(
      'DEPENDENCY_MISSING',
      `${feature} needs the optional package '${packageName}', which is not installed. Install it: ${install}`,
      { cause, details: { package: packageName, range, feature, install } },
    )
    this.packageName = packageName
  }
}

/** True when `value` is an AppError (also across module copies, by duck typing on `code`). */
export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError
}
